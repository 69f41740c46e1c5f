"""Receiving Metorial webhook deliveries: signature verification and a tiny test receiver.

A delivery is a ``POST`` whose header ``Metorial-Signature`` reads
``i=<host>,t=<unix seconds>,v1=<hex>`` where ``<hex>`` is HMAC-SHA256, keyed with the
destination's signing secret, of ``"<host>.<t>.<raw body>"`` (``<host>`` is the host of the
destination URL, with its port unless it is the scheme's default: the ``Host`` header the
request arrived with). While a secret is being rotated a header may carry several ``v1``
values; one match is enough::

    from gateway.webhooks import verify_signature

    ok = verify_signature(secret, request.headers["Metorial-Signature"], raw_body,
                          host=request.headers["Host"])

``gateway webhook-receiver --port P --secret S [--fail-first N]`` runs :class:`WebhookReceiver`:
it verifies every request, prints one JSON line per delivery, answers 401 to a bad signature,
500 to the first ``N`` verified deliveries (to watch retries) and 200 afterwards.

This module stands alone: it imports nothing from the rest of ``gateway``.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TextIO

__all__ = [
    "DEFAULT_TOLERANCE",
    "MAX_BODY_BYTES",
    "SIGNATURE_HEADER",
    "WebhookReceiver",
    "add_receiver_arguments",
    "run_receiver",
    "verify_signature",
]

SIGNATURE_HEADER = "Metorial-Signature"
#: Seconds a signature's timestamp may differ from the receiver's clock, either way.
DEFAULT_TOLERANCE = 300.0
MAX_BODY_BYTES = 1024 * 1024


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    *,
    host: str,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether ``header`` (a ``Metorial-Signature`` value) signs ``body`` for ``host``.

    True when the header is well formed, its ``i`` (if given) is ``host``, its timestamp is
    within ``tolerance`` seconds of ``now`` (default: the current time) and one of its ``v1``
    values equals the HMAC-SHA256 of ``"<host>.<t>.<body>"`` (compared in constant time).
    """
    timestamp: str | None = None
    signer: str | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            return False
        if key == "t":
            if timestamp is not None:
                return False
            timestamp = value
        elif key == "i":
            signer = value
        elif key == "v1":
            candidates.append(value.lower())
    if timestamp is None or not timestamp.isascii() or not timestamp.isdigit() or not candidates:
        return False
    if signer is not None and not hmac.compare_digest(signer.encode(), host.encode()):
        return False
    current = time.time() if now is None else now
    if abs(current - int(timestamp)) > tolerance:
        return False
    message = f"{host}.{timestamp}.".encode() + body
    expected = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest().encode()
    found = False
    for candidate in candidates:  # check them all: the time taken does not say which matched
        found |= hmac.compare_digest(expected, candidate.encode("ascii", "replace"))
    return found


class WebhookReceiver(ThreadingHTTPServer):
    """A receiver on ``(host, port)`` (port 0: any free one, see :attr:`url`).

    ``secret`` may be set after construction (before deliveries arrive). ``deliveries``
    keeps the printed records, oldest first.
    """

    daemon_threads = True

    def __init__(
        self,
        secret: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        fail_first: int = 0,
        out: TextIO | None = None,
    ) -> None:
        super().__init__((host, port), _Handler)
        self.secret = secret
        self.fail_first = fail_first
        self.out = out
        self.deliveries: list[dict[str, object]] = []
        self._lock = threading.Lock()
        self._verified = 0

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}"

    def handle_delivery(self, headers: dict[str, str], body: bytes) -> int:
        """Verify, record, print; returns the status to answer."""
        verified = verify_signature(
            self.secret,
            headers.get(SIGNATURE_HEADER.lower(), ""),
            body,
            host=headers.get("host", ""),
        )
        record: dict[str, object] = {"verified": verified}
        with self._lock:
            if verified:
                self._verified += 1
                status = 500 if self._verified <= self.fail_first else 200
                record["delivery"] = self._verified
            else:
                status = 401
            record["status"] = status
            if verified:
                record.update(_summary(body))
            self.deliveries.append(record)
            if self.out is not None:
                print(json.dumps(record, separators=(",", ":")), file=self.out, flush=True)
        return status


def _summary(body: bytes) -> dict[str, object]:
    try:
        data = json.loads(body)
    except ValueError:
        return {"body": body[:200].decode("utf-8", "replace")}
    if not isinstance(data, dict):
        return {"body": data}
    keys = ("eventId", "notificationId", "callbackId", "type", "payload")
    return {key: data.get(key) for key in keys}


class _Handler(BaseHTTPRequestHandler):
    server: WebhookReceiver
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY_BYTES:
            self._answer(413, {"error": "body too large or without Content-Length"})
            return
        body = self.rfile.read(length)
        headers = {name.lower(): value for name, value in self.headers.items()}
        status = self.server.handle_delivery(headers, body)
        self._answer(status, {"ok": status == 200})

    def _answer(self, status: int, payload: dict[str, object]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the receiver prints its own one line per delivery."""


def add_receiver_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="interface (default %(default)s)")
    parser.add_argument("--port", type=int, required=True, help="port to listen on")
    parser.add_argument(
        "--secret",
        required=True,
        help="the destination's signing secret (never printed)",
    )
    parser.add_argument(
        "--fail-first",
        metavar="N",
        type=int,
        default=0,
        help="answer 500 to the first N verified deliveries, then 200 (default 0)",
    )


def run_receiver(args: argparse.Namespace, *, out: TextIO | None = None) -> None:
    """Serve until interrupted, printing one JSON line per delivery."""
    stream = out or sys.stdout
    with WebhookReceiver(
        args.secret, host=args.host, port=args.port, fail_first=args.fail_first, out=stream
    ) as server:
        print(f"webhook receiver listening on {server.url}", file=stream, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever(poll_interval=0.2)
