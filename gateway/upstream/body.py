"""Upstream answers read with a byte limit, decompressed bytes counted.

httpx reads a whole body into memory, and its gzip decoder inflates each network chunk
without bound (a 300 KB gzip answer can become 300 MB). Here the raw stream is read
and inflated piece by piece, and reading stops as soon as the answer passes `limit`
bytes, the connection is closed, and the caller gets UPSTREAM_ERROR.

Usage::

    request = client.build_request("GET", url, headers={"Accept-Encoding": ACCEPT_ENCODING})
    response = await send_bounded(client, request, limit=5_000_000)
    response.content  # at most `limit` bytes, already decompressed
"""

from __future__ import annotations

import zlib

import httpx

from gateway.errors import ErrorCode, GatewayError

ACCEPT_ENCODING = "gzip, deflate"  # the encodings inflated here, with a bound
_WITHOUT = frozenset({"content-encoding", "content-length", "transfer-encoding"})


class BodyTooLarge(GatewayError):
    """The upstream answer passed the byte limit (GATEWAY_UPSTREAM_MAX_BYTES)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            ErrorCode.UPSTREAM_ERROR,
            f"The upstream API sent an answer larger than {limit} bytes; it was not read.",
        )


async def send_bounded(
    client: httpx.AsyncClient, request: httpx.Request, limit: int
) -> httpx.Response:
    """Send `request` and read its answer, decompressed, up to `limit` bytes."""
    response = await client.send(request, stream=True)
    try:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and not response.headers.get("content-encoding"):
            # The common answer: its size is said up front (and h11 reads no more than
            # that), nothing to inflate: httpx's own read, no copy of the response.
            if int(declared) > limit:
                raise BodyTooLarge(limit)
            await response.aread()
            return response
        content = await read_bounded(response, limit)
    finally:
        await response.aclose()
    headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _WITHOUT]
    return httpx.Response(
        response.status_code, headers=headers, content=content, request=response.request
    )


async def read_bounded(response: httpx.Response, limit: int) -> bytes:
    """The decoded body of a streamed `response`, or BodyTooLarge once past `limit`."""
    if response.is_stream_consumed:  # built in memory by a transport (tests, mocks)
        if len(response.content) > limit:
            raise BodyTooLarge(limit)
        return response.content
    inflate = _Inflater(response.headers.get("content-encoding", ""))
    pieces: list[bytes] = []
    size = 0
    async for raw in response.aiter_raw():
        piece = inflate.feed(raw, limit - size + 1)
        size += len(piece)
        if size > limit:
            raise BodyTooLarge(limit)
        pieces.append(piece)
    pieces.append(inflate.finish())
    if size + len(pieces[-1]) > limit:
        raise BodyTooLarge(limit)
    return b"".join(pieces)


class _Inflater:
    """Identity, gzip or deflate; never more than `room` bytes of output per piece of input
    are held before the caller checks the limit."""

    def __init__(self, encoding: str) -> None:
        codings = [c.strip().lower() for c in encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in {"gzip", "x-gzip", "deflate"}):
            raise GatewayError(
                ErrorCode.UPSTREAM_ERROR, "The upstream API sent an answer that cannot be read."
            )
        self.coding = codings[0] if codings else None
        self.zlib: zlib._Decompress | None = None
        if self.coding is not None:
            self.zlib = zlib.decompressobj(zlib.MAX_WBITS | (32 if "gzip" in self.coding else 0))
        self.first = True

    def feed(self, raw: bytes, room: int) -> bytes:
        if self.zlib is None:
            return raw
        first, self.first = self.first, False
        try:
            return self._inflate(raw, room)
        except zlib.error:
            if not (first and self.coding == "deflate"):
                raise _unreadable() from None
        self.zlib = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, as some servers send
        try:
            return self._inflate(raw, room)
        except zlib.error:
            raise _unreadable() from None

    def _inflate(self, raw: bytes, room: int) -> bytes:
        if self.zlib is None:
            return raw
        out = bytearray()
        pending = raw
        while pending and len(out) < room:
            out += self.zlib.decompress(pending, max(1, room - len(out)))
            pending = self.zlib.unconsumed_tail
        return bytes(out)

    def finish(self) -> bytes:
        if self.zlib is None:
            return b""
        try:
            return self.zlib.flush()
        except zlib.error:
            raise _unreadable() from None


def _unreadable() -> GatewayError:
    return GatewayError(
        ErrorCode.UPSTREAM_ERROR, "The upstream API sent an answer that cannot be read."
    )
