"""Id, secret and request-id formats; ids unique and increasing even within a millisecond."""

from __future__ import annotations

import re
import threading
import time

from gateway.emulator.ids import (
    IdGenerator,
    new_request_id,
    new_signing_secret,
    timestamp_ms_of,
)

ID = re.compile(r"cld_[0-9a-z]{9}[0-9A-Za-z]{13}")


def test_id_is_prefix_base36_time_and_base62_tail():
    before = time.time_ns() // 1_000_000
    id_, ms = IdGenerator("cld_").new()
    after = time.time_ns() // 1_000_000
    assert ID.fullmatch(id_)
    assert len(id_) == 26
    assert before <= ms <= after
    assert timestamp_ms_of(id_, "cld_") == ms
    assert id_[4:13] == _base36(ms).rjust(9, "0")


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while number:
        number, digit = divmod(number, 36)
        out = digits[digit] + out
    return out


def test_ids_strictly_increase_within_one_millisecond():
    generator = IdGenerator("clb_", clock=lambda: 1_761_300_000_000)
    ids = [generator.new()[0] for _ in range(5000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert {timestamp_ms_of(id_, "clb_") for id_ in ids} == {1_761_300_000_000}


def test_ids_keep_increasing_when_the_clock_steps_back():
    times = iter([2_000, 1_000, 1_500, 2_000, 3_000])
    generator = IdGenerator("cld_", clock=lambda: next(times))
    results = [generator.new() for _ in range(5)]
    ids = [id_ for id_, _ in results]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5
    assert [ms for _, ms in results] == [2_000, 2_000, 2_000, 2_000, 3_000]


def test_tail_overflow_carries_into_the_next_millisecond():
    generator = IdGenerator("cld_", clock=lambda: 5_000)
    first, _ = generator.new()
    generator._last_tail = 62**13 - 1  # the tail space of this millisecond is used up
    second, ms = generator.new()
    assert ms == 5_001
    assert first < second


def test_ids_from_many_threads_are_unique_and_increasing_per_thread():
    generator = IdGenerator("cld_")
    per_thread: list[list[str]] = []

    def work() -> None:
        per_thread.append([generator.new()[0] for _ in range(500)])

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [id_ for ids in per_thread for id_ in ids]
    assert len(set(everything)) == 8 * 500
    assert all(ids == sorted(ids) for ids in per_thread)


def test_signing_secret_is_clb_sec_and_50_base62_chars():
    secret = new_signing_secret()
    assert re.fullmatch(r"clb_sec_[0-9A-Za-z]{50}", secret)
    assert new_signing_secret() != secret


def test_request_id_is_req_and_20_chars():
    assert re.fullmatch(r"req_[0-9A-Za-z]{20}", new_request_id())
