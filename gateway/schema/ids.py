"""Relay global ids: opaque to clients, and raw upstream ids accepted as well.

A global id wraps any upstream id (API 2026-02-01 ids are opaque: no prefix or length is
assumed). Raw ids are a convenience: `cld_`/`clb_` ids name their type; other raw ids of
the `<prefix>_<rest>` shape are taken as the type the argument expects.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Literal

from gateway.errors import bad_input
from gateway.upstream.records import SAFE_ID

NodeType = Literal["CallbackDestination", "Callback", "CallbackEvent", "CallbackDelivery"]

PREFIXES: dict[str, NodeType] = {
    "cld_": "CallbackDestination",
    "clb_": "Callback",
    "cbe_": "CallbackEvent",
    "cbn_": "CallbackDelivery",
}
NODE_TYPES: tuple[NodeType, ...] = tuple(PREFIXES.values())
# Events and deliveries of some versions are found by two ids (`<callback id>:<id>`).
_COMPOSITE: frozenset[NodeType] = frozenset({"CallbackEvent", "CallbackDelivery"})
_RAW_ID = re.compile(r"[a-z][a-z0-9]{0,15}_[0-9A-Za-z][0-9A-Za-z_.~-]{0,180}")
_MAX_ID_LENGTH = 300


def to_global_id(node_type: NodeType, upstream_id: str) -> str:
    return base64.urlsafe_b64encode(f"{node_type}:{upstream_id}".encode()).decode().rstrip("=")


def _parse(value: str) -> tuple[NodeType | None, str]:
    """(type, upstream id); the type is None for a raw id that does not name one."""
    if len(value) <= _MAX_ID_LENGTH:
        if _RAW_ID.fullmatch(value):
            return PREFIXES.get(value[:4]), value
        decoded = _decode(value)
        if decoded is not None:
            node_type, _, upstream_id = decoded.partition(":")
            if node_type in NODE_TYPES and _well_formed(node_type, upstream_id):
                own_id = upstream_id.rpartition(":")[2]  # a composite id: its own part
                kind = PREFIXES.get(own_id[:4], node_type)
                if kind == node_type:
                    return kind, upstream_id
    raise bad_input(f"Malformed id {_preview(value)}: expected a global id or a raw upstream id.")


def parse_id(value: str) -> tuple[NodeType, str]:
    """Return (type, upstream id) for a global or raw id; BAD_USER_INPUT when malformed."""
    kind, upstream_id = _parse(value)
    if kind is None:
        raise bad_input(
            f"Id {_preview(value)} does not say what it names: pass the global `id` the "
            "gateway returned."
        )
    return kind, upstream_id


def expect_id(value: str, node_type: NodeType) -> str:
    """The upstream id of `value`, which must name a `node_type`."""
    kind, upstream_id = _parse(value)
    if kind is not None and kind != node_type:
        raise bad_input(f"Id {_preview(value)} is a {kind} id, expected a {node_type} id.")
    return upstream_id


def _well_formed(node_type: str, upstream_id: str) -> bool:
    parts = upstream_id.split(":") if node_type in _COMPOSITE else [upstream_id]
    return len(parts) <= 2 and all(SAFE_ID.fullmatch(part) for part in parts)


def _decode(value: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _preview(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "...")
