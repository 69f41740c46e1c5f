"""Destination URLs under 2026-02-01: validated and normalized like JS ``new URL(url).toString()``.

The service accepts a URL only when it parses as an absolute URL whose scheme is http or https
(contract-2026 §5.2) and stores the serialized form. This module follows the WHATWG URL
standard for what matters here: surrounding C0 controls and spaces are stripped and tabs and
newlines removed; the scheme and host are lower-cased (hosts go through IDNA); ``\\`` counts as
``/``; the default port is dropped; an empty path becomes ``/``; ``.``/``..`` segments are
resolved; characters outside each component's allowed set are percent-encoded (UTF-8).
Not reproduced: IPv4 shorthand (``http://0x7f.1``) and IPv6 compression, which are kept as
written (lower-cased).
"""

from __future__ import annotations

import re

from gateway.emulator.errors import ApiError, service_error

__all__ = ["INVALID_URL_CODE", "normalize_destination_url"]

INVALID_URL_CODE = "invalid_callback_destination_url"
NOT_ABSOLUTE = "Callback destination URL must be a valid absolute URL."
NOT_HTTP = "Callback destination URL must use http or https."

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):(.*)", re.DOTALL)
_SPECIAL_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443, "ftp": 21}
_FORBIDDEN_HOST = set("\x00\t\n\r #/:<>?@[\\]^|%")
_C0 = "".join(chr(code) for code in range(0x21))
_FRAGMENT_SET = set(' "<>`')
_QUERY_SET = set(" \"#<>'")
_PATH_SET = set(' "#<>?`{}')
_USERINFO_SET = _PATH_SET | set("/:;=@[\\]^|")


def _encode(text: str, unsafe: set[str]) -> str:
    out: list[str] = []
    for char in text:
        if char in unsafe or ord(char) < 0x20 or ord(char) >= 0x7F:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))
        else:
            out.append(char)
    return "".join(out)


def _invalid() -> ApiError:
    return service_error(INVALID_URL_CODE, NOT_ABSOLUTE)


def _host(raw: str) -> str:
    if raw.startswith("["):
        if not raw.endswith("]") or not re.fullmatch(r"\[[0-9A-Fa-f:.]+\]", raw):
            raise _invalid()
        return raw.lower()
    decoded = re.sub(
        r"%([0-9A-Fa-f]{2})", lambda match: chr(int(match.group(1), 16)), raw
    )  # latin-1 view is enough to find forbidden characters
    if not decoded or any(char in _FORBIDDEN_HOST for char in decoded):
        raise _invalid()
    try:
        return decoded.encode("idna").decode("ascii").lower()
    except UnicodeError:
        if decoded.isascii():
            return decoded.lower()
        raise _invalid() from None


def _path(raw: str) -> str:
    segments = raw.replace("\\", "/").split("/")[1:] if raw else [""]
    out: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        lowered = segment.lower()
        if lowered in (".", "%2e"):
            if last:
                out.append("")
            continue
        if lowered in ("..", ".%2e", "%2e.", "%2e%2e"):
            if out:
                out.pop()
            if last:
                out.append("")
            continue
        out.append(_encode(segment, _PATH_SET))
    return "/" + "/".join(out)


def normalize_destination_url(url: str) -> str:
    """The serialized URL, or 400 ``invalid_callback_destination_url``."""
    text = re.sub(r"[\t\n\r]", "", url.strip(_C0))
    match = _SCHEME.fullmatch(text)
    if match is None:
        raise _invalid()
    scheme, rest = match.group(1).lower(), match.group(2)
    if scheme not in ("http", "https"):
        if scheme in _SPECIAL_PORTS and not rest.lstrip("/\\").split("/")[0]:
            raise _invalid()  # e.g. "ftp://": not a URL at all
        raise service_error(INVALID_URL_CODE, NOT_HTTP)
    rest = rest.lstrip("/\\")
    fragment: str | None = None
    if "#" in rest:
        rest, fragment = rest.split("#", 1)
    query: str | None = None
    if "?" in rest:
        rest, query = rest.split("?", 1)
    cut = min((rest.find(sep) for sep in "/\\" if sep in rest), default=len(rest))
    authority, path = rest[:cut], rest[cut:]
    userinfo = ""
    if "@" in authority:
        credentials, authority = authority.rsplit("@", 1)
        user, _, password = credentials.partition(":")
        userinfo = _encode(user, _USERINFO_SET)
        if password:
            userinfo += ":" + _encode(password, _USERINFO_SET)
        if userinfo:
            userinfo += "@"
    host_part, port_text = authority, ""
    port_match = re.fullmatch(r"(.*?):([^:\]]*)", authority)
    if port_match and not authority.endswith("]"):
        host_part, port_text = port_match.group(1), port_match.group(2)
    host = _host(host_part)
    port = ""
    if port_text:
        if not port_text.isascii() or not port_text.isdigit() or int(port_text) > 65535:
            raise _invalid()
        if int(port_text) != _SPECIAL_PORTS[scheme]:
            port = f":{int(port_text)}"
    serialized = f"{scheme}://{userinfo}{host}{port}{_path(path)}"
    if query is not None:
        serialized += "?" + _encode(query, _QUERY_SET)
    if fragment is not None:
        serialized += "#" + _encode(fragment, _FRAGMENT_SET)
    return serialized
