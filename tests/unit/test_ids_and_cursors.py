"""Global ids and cursors: pure functions, no server."""

from __future__ import annotations

import pytest

from gateway.errors import GatewayError
from gateway.schema.cursors import ConnectionKey, decode_cursor, encode_cursor
from gateway.schema.ids import expect_id, parse_id, to_global_id

OPAQUE = ["cld_0mx65btq63xgqm5VbRdLoK", "cbd_01HZX", "550e8400-e29b-41d4-a716-446655440000"]


@pytest.mark.parametrize("upstream_id", OPAQUE)
def test_a_global_id_carries_any_opaque_upstream_id(upstream_id: str) -> None:
    global_id = to_global_id("CallbackDestination", upstream_id)
    assert parse_id(global_id) == ("CallbackDestination", upstream_id)
    assert expect_id(global_id, "CallbackDestination") == upstream_id


def test_raw_ids_with_a_known_prefix_say_their_type() -> None:
    assert parse_id("clb_abc") == ("Callback", "clb_abc")
    with pytest.raises(GatewayError, match="is a Callback id"):
        expect_id("clb_abc", "CallbackDestination")


def test_a_raw_id_of_another_prefix_is_taken_as_the_expected_type_only() -> None:
    assert expect_id("cbd_01HZX", "CallbackDestination") == "cbd_01HZX"
    with pytest.raises(GatewayError, match="does not say what it names"):
        parse_id("cbd_01HZX")


@pytest.mark.parametrize(
    "bad", ["", "not-an-id", "cld_", "cld_a/../b", "cld_a\n", "x" * 400, "Zm9vOmJhcg"]
)
def test_malformed_ids_are_refused(bad: str) -> None:
    with pytest.raises(GatewayError, match="Malformed id"):
        expect_id(bad, "CallbackDestination")


def test_a_global_id_whose_upstream_id_could_change_a_path_is_refused() -> None:
    with pytest.raises(GatewayError, match="Malformed id"):
        parse_id(to_global_id("Callback", "clb_ok/../../evil"))


@pytest.mark.parametrize("upstream_id", OPAQUE)
def test_a_cursor_round_trips_within_its_connection(upstream_id: str) -> None:
    key = ConnectionKey("destinations", "asc", ("clb_a",))
    assert decode_cursor(key, encode_cursor(key, upstream_id), "after") == upstream_id


def test_a_cursor_of_another_connection_is_refused() -> None:
    cursor = encode_cursor(ConnectionKey("destinations", "asc"), "cld_a")
    with pytest.raises(GatewayError, match="another connection"):
        decode_cursor(ConnectionKey("destinations", "desc"), cursor, "after")
