"""The cur_ cursor codec, and the cursor query parameter."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.emulator import decode_cursor, encode_cursor
from gateway.emulator.cursors import CursorError, base62_decode, base62_encode

ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def reference_base62(data: bytes) -> str:
    """base-x by long division on the byte array, written independently of the emulator."""
    zeros = 0
    while zeros < len(data) and data[zeros] == 0:
        zeros += 1
    digits: list[int] = []  # little-endian base-62 digits
    for byte in data[zeros:]:
        carry = byte
        for index, digit in enumerate(digits):
            carry += digit << 8
            digits[index] = carry % 62
            carry //= 62
        while carry:
            digits.append(carry % 62)
            carry //= 62
    return "0" * zeros + "".join(ALPHABET[digit] for digit in reversed(digits))


@pytest.mark.parametrize(
    ("data", "text"),
    [(b"", ""), (b"\x00", "0"), (b"\x00\x00\x01", "001"), (b"\xff", "47"), (b"\x01\x00", "48")],
)
def test_base62_known_values(data, text):
    assert base62_encode(data) == text
    assert base62_decode(text) == data


@given(st.binary(max_size=64))
def test_base62_matches_the_base_x_reference_and_round_trips(data):
    assert base62_encode(data) == reference_base62(data)
    assert base62_decode(base62_encode(data)) == data


@given(st.sampled_from(["after", "before"]), st.text(max_size=40))
def test_cursor_is_cur_plus_base62_of_compact_json(direction, id_):
    cursor = encode_cursor(direction, id_)
    compact = json.dumps([direction, id_], separators=(",", ":"), ensure_ascii=False)
    assert cursor == "cur_" + reference_base62(compact.encode())
    assert decode_cursor(cursor) == (direction, id_)


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "abc",
        "cur_",
        "cur_!!!",
        "cur_" + base62_encode(b"not json"),
        "cur_" + base62_encode(b'["sideways","cld_x"]'),
        "cur_" + base62_encode(b'["after"]'),
        "cur_" + base62_encode(b'["after",5]'),
        "cur_" + base62_encode(b'{"after":"cld_x"}'),
        "cur_" + base62_encode(b"\xff\xfe"),
    ],
)
def test_malformed_cursors_do_not_decode(cursor):
    with pytest.raises(CursorError):
        decode_cursor(cursor)


INVALID_CURSOR = {
    "__typename": "error",
    "ok": False,
    "status": 400,
    "code": "bad_request",
    "message": "Invalid cursor format",
}


@pytest.mark.parametrize(
    ("cursor", "hint"),
    [
        ("cld_abc", 'Cursor must start with "cur_"'),
        ("cur_!!", "Please provide a valid cursor from another page."),
        ("cur_" + base62_encode(b"[1,2]"), "Please provide a valid cursor from another page."),
    ],
)
async def test_invalid_cursor_param_is_bad_request(emu, cursor, hint):
    """pagination/src/cursor.ts: one message, a hint per failure."""
    response = await emu.client.get("/callbacks-destinations", params={"cursor": cursor})
    assert response.status_code == 400
    assert response.json() == {**INVALID_CURSOR, "hint": hint}


async def test_invalid_cursor_is_ignored_when_after_or_before_is_given(emu):
    first, second = await emu.create(), await emu.create()
    assert await emu.list_ids(after=first["id"], cursor="junk") == [second["id"]]
    assert await emu.list_ids(before=second["id"], cursor="junk") == [first["id"]]


async def test_cursor_param_pages_like_after_and_before(emu):
    ids = [(await emu.create())["id"] for _ in range(5)]
    assert await emu.list_ids(cursor=encode_cursor("after", ids[1]), limit=2) == ids[2:4]
    assert await emu.list_ids(cursor=encode_cursor("before", ids[3]), limit=2) == ids[1:3]
    assert await emu.list_ids(cursor=encode_cursor("after", ids[3]), order="desc", limit=2) == [
        ids[2],
        ids[1],
    ]


async def test_cursor_with_empty_id_gives_the_first_page(emu):
    ids = [(await emu.create())["id"] for _ in range(3)]
    assert await emu.list_ids(cursor=encode_cursor("before", "")) == ids


async def test_cursor_also_pages_callbacks(emu):
    ids = await emu.callback_ids()
    assert await emu.list_ids("/callbacks", cursor=encode_cursor("after", ids[0])) == ids[1:]
