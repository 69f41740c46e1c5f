"""Relay global ids: opaque to clients, and raw upstream ids accepted as well."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Literal

from gateway.errors import bad_input

NodeType = Literal["CallbackDestination", "Callback"]

PREFIXES: dict[str, NodeType] = {"cld_": "CallbackDestination", "clb_": "Callback"}
_RAW_ID = re.compile(r"^(cld|clb)_[0-9A-Za-z]{1,60}$")
_MAX_ID_LENGTH = 200


def to_global_id(node_type: NodeType, upstream_id: str) -> str:
    return base64.urlsafe_b64encode(f"{node_type}:{upstream_id}".encode()).decode().rstrip("=")


def parse_id(value: str) -> tuple[NodeType, str]:
    """Return (type, upstream id) for a global or raw id; BAD_USER_INPUT when malformed."""
    if len(value) <= _MAX_ID_LENGTH:
        if _RAW_ID.fullmatch(value):
            return PREFIXES[value[:4]], value
        decoded = _decode(value)
        if decoded is not None:
            node_type, _, upstream_id = decoded.partition(":")
            if node_type in PREFIXES.values() and _RAW_ID.fullmatch(upstream_id):
                kind = PREFIXES[upstream_id[:4]]
                if kind == node_type:
                    return kind, upstream_id
    raise bad_input(f"Malformed id {_preview(value)}: expected a global id or a raw cld_/clb_ id.")


def expect_id(value: str, node_type: NodeType) -> str:
    """The upstream id of `value`, which must name a `node_type`."""
    kind, upstream_id = parse_id(value)
    if kind != node_type:
        raise bad_input(f"Id {_preview(value)} is a {kind} id, expected a {node_type} id.")
    return upstream_id


def _decode(value: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        return raw.decode("utf-8")
    except (binascii.Error, ValueError):
        return None


def _preview(value: str) -> str:
    return repr(value if len(value) <= 40 else value[:40] + "...")
