"""`gateway.webhooks.verify_signature` against vectors computed here by hand."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from gateway.webhooks import verify_signature

SECRET = "clb_sec_" + "A1b2C3d4E5" * 5
HOST = "hooks.example.com:8443"
BODY = b'{"eventId":"cbe_1","notificationId":"cbn_1","callbackId":"clb_1","type":"t"}'
T = 1_760_000_000


def by_hand(secret: str, host: str, t: int, body: bytes) -> str:
    """HMAC-SHA256(secret, "<host>.<t>.<body>") in hex, written out independently."""
    mac = hmac.new(secret.encode("utf-8"), digestmod=hashlib.sha256)
    mac.update(host.encode("utf-8"))
    mac.update(b".")
    mac.update(str(t).encode("ascii"))
    mac.update(b".")
    mac.update(body)
    return mac.hexdigest()


def header(v1: str, *, t: int = T, host: str = HOST) -> str:
    return f"i={host},t={t},v1={v1}"


def test_a_signature_computed_by_hand_verifies() -> None:
    assert verify_signature(SECRET, header(by_hand(SECRET, HOST, T, BODY)), BODY, host=HOST, now=T)


def test_a_known_vector_verifies() -> None:
    """A fixed vector, from `printf 'h.1.{}' | openssl dgst -sha256 -hmac secret`."""
    digest = "1f1e0030798df38025dae3ee9e2e56ada23be10182af0d1929ff8e2338badb13"
    assert verify_signature("secret", f"i=h,t=1,v1={digest}", b"{}", host="h", now=1)
    assert verify_signature("secret", f"t=1,v1={digest.upper()}", b"{}", host="h", now=1)
    assert not verify_signature("secret", f"i=h,t=1,v1={digest}", b"{} ", host="h", now=1)


def test_a_tampered_body_is_rejected() -> None:
    signed = header(by_hand(SECRET, HOST, T, BODY))
    assert not verify_signature(SECRET, signed, BODY.replace(b"cbe_1", b"cbe_2"), host=HOST, now=T)


@pytest.mark.parametrize("offset", [301, -301, 10_000])
def test_a_timestamp_outside_the_tolerance_is_rejected(offset: int) -> None:
    signed = header(by_hand(SECRET, HOST, T, BODY))
    assert not verify_signature(SECRET, signed, BODY, host=HOST, now=T + offset)


def test_the_tolerance_is_configurable_and_inclusive() -> None:
    signed = header(by_hand(SECRET, HOST, T, BODY))
    assert verify_signature(SECRET, signed, BODY, host=HOST, now=T + 300)
    assert not verify_signature(SECRET, signed, BODY, host=HOST, now=T + 61, tolerance=60)


def test_the_wrong_secret_or_host_is_rejected() -> None:
    signed = header(by_hand(SECRET, HOST, T, BODY))
    assert not verify_signature(SECRET + "x", signed, BODY, host=HOST, now=T)
    assert not verify_signature(SECRET, signed, BODY, host="evil.example.com", now=T)
    # a signature made for another host, claimed for this one
    other = header(by_hand(SECRET, "other.example", T, BODY))
    assert not verify_signature(SECRET, other, BODY, host=HOST, now=T)


def test_one_of_several_v1_values_is_enough() -> None:
    good = by_hand(SECRET, HOST, T, BODY)
    old = by_hand("clb_sec_old", HOST, T, BODY)
    assert verify_signature(SECRET, f"i={HOST},t={T},v1={old},v1={good}", BODY, host=HOST, now=T)
    assert not verify_signature(SECRET, f"i={HOST},t={T},v1={old}", BODY, host=HOST, now=T)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "garbage",
        f"i={HOST},v1=abc",
        f"i={HOST},t={T}",
        f"i={HOST},t=-{T},v1=ab",
        f"i={HOST},t=1e9,v1=ab",
        f"i={HOST},t={T},t={T},v1=ab",
        f"i={HOST},t={T},v1=\u00e9\u00e9",
    ],
)
def test_malformed_headers_are_rejected(value: str) -> None:
    assert not verify_signature(SECRET, value, BODY, host=HOST, now=T)
