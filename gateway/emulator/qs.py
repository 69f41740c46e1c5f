"""The ``qs`` query-string parser (v6 defaults), as Metorial's REST server reads queries and forms.

``src/packages/server/rest/src/server.ts`` parses every query with
``qs.parse(url.search, {ignoreQueryPrefix: true})`` and ``parseBody.ts`` parses
``application/x-www-form-urlencoded`` bodies with ``qs.parse(body)``. The validators then see
strings, arrays and objects, never the flat multi-dict a Python framework gives. This module
reproduces the defaults that matter here:

- ``&`` separates pairs (at most 1000 are read); ``+`` is a space; a pair without ``=`` has the
  value ``""``; a bad percent escape leaves the text undecoded.
- a repeated key combines into an array: ``a=1&a=2`` -> ``{"a": ["1", "2"]}``.
- brackets nest (5 levels): ``a[]=1`` -> ``{"a": ["1"]}``, ``a[b]=1`` -> ``{"a": {"b": "1"}}``,
  ``a[1]=x`` -> ``{"a": ["x"]}`` (arrays are compacted); an index above 20 makes an object
  with a string key; ``a[b`` (unclosed) is the plain key ``"a[b"``.
- mixing forms merges as ``qs``'s ``utils.merge`` does (an array meeting an object becomes an
  object with string indices).

JavaScript arrays are Python lists and objects are dicts.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = ["parse"]

PARAMETER_LIMIT = 1000
ARRAY_LIMIT = 20
DEPTH = 5

_CHILD = re.compile(r"\[[^\[\]]*\]")


class _Sparse(dict[int, object]):
    """A JavaScript array under construction: index -> value (holes allowed, compacted later)."""


def _decode(text: str) -> str:
    text = text.replace("+", " ")
    try:
        return unquote(text, errors="strict")
    except UnicodeDecodeError:
        return text


def _split_key(key: str) -> list[str]:
    first = _CHILD.search(key)
    parent = key[: first.start()] if first else key
    keys: list[str] = [parent] if parent else []
    position = first.start() if first else len(key)
    depth = 0
    while depth < DEPTH:
        match = _CHILD.match(key, position)
        if match is None:
            break
        keys.append(match.group(0))
        position = match.end()
        depth += 1
    if position < len(key):
        keys.append("[" + key[position:] + "]")
    return keys


def _build(chain: list[str], value: object) -> object:
    leaf = value
    for root in reversed(chain):
        if root == "[]":
            leaf = _Sparse(enumerate(leaf if isinstance(leaf, list) else [leaf]))
            continue
        clean = root[1:-1] if root.startswith("[") and root.endswith("]") else root
        if (
            root != clean
            and clean.isdigit()
            and str(int(clean)) == clean
            and int(clean) <= ARRAY_LIMIT
        ):
            leaf = _Sparse({int(clean): leaf})
        elif clean != "__proto__":
            leaf = {clean: leaf}
        else:
            leaf = {}
    return leaf


def _is_object(value: object) -> bool:
    return isinstance(value, dict | list)


def _as_object(array: _Sparse) -> dict[str, object]:
    return {str(index): item for index, item in sorted(array.items())}


def _merge(target: object, source: object) -> object:
    if not _is_object(source):
        if isinstance(target, _Sparse):
            target[max(target, default=-1) + 1] = source
            return target
        if isinstance(target, dict):
            assert isinstance(source, str)
            target[source] = True
            return target
        return [target, source]
    if not _is_object(target):
        if isinstance(source, _Sparse):
            return _Sparse(enumerate([target, *(item for _, item in sorted(source.items()))]))
        return [target, source]
    if isinstance(target, _Sparse) and isinstance(source, _Sparse):
        for index, item in sorted(source.items()):
            if index in target:
                existing = target[index]
                if _is_object(existing) and _is_object(item):
                    target[index] = _merge(existing, item)
                else:
                    target[max(target) + 1] = item
            else:
                target[index] = item
        return target
    merged: dict[object, object] = {}
    if isinstance(target, _Sparse):
        merged.update(_as_object(target))
    elif isinstance(target, dict):
        merged.update(target)
    items = _as_object(source) if isinstance(source, _Sparse) else source
    assert isinstance(items, dict)
    for key, item in items.items():
        merged[key] = _merge(merged[key], item) if key in merged else item
    return merged


def _finish(value: object) -> object:
    if isinstance(value, _Sparse):
        return [_finish(item) for _, item in sorted(value.items())]
    if isinstance(value, list):
        return [_finish(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _finish(item) for key, item in value.items()}
    return value


def parse(text: str, *, ignore_query_prefix: bool = False) -> dict[str, object]:
    """``qs.parse(text)`` with qs's default options."""
    if ignore_query_prefix and text.startswith("?"):
        text = text[1:]
    flat: dict[str, object] = {}
    for part in text.split("&")[:PARAMETER_LIMIT]:
        if not part:
            continue
        bracket_equals = part.find("]=")
        position = part.find("=") if bracket_equals == -1 else bracket_equals + 1
        if position == -1:
            key, value = _decode(part), ""
        else:
            key, value = _decode(part[:position]), _decode(part[position + 1 :])
        if not key:
            continue
        if key in flat:
            existing: object = flat[key]
            flat[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            flat[key] = value
    result: object = {}
    for name, item in flat.items():
        result = _merge(result, _build(_split_key(name), item))
    finished = _finish(result)
    assert isinstance(finished, dict)
    return finished
