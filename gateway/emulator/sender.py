"""The emulator's delivery worker: it really POSTs each notification to its destination.

Runs as one asyncio task in the emulator app's lifespan (``app.py``), so it never blocks API
requests: store calls go to worker threads, HTTP goes through one ``httpx.AsyncClient``.

What a delivery is (contract "Related objects": Delivery; contract-2026 §6 for MA):

- ``POST <url>`` with the notification's JSON body ``{eventId, notificationId, callbackId,
  object: "callback.notification", type, payload}`` and the headers ``Content-Type``,
  ``Metorial-Notification-Id``, ``Metorial-Event-Id``, ``Metorial-Callback-Id``,
  ``Metorial-Version: 2025-01-01`` (both API versions: §6 notes MA sends it too) and
  ``Metorial-Signature: i=<host>,t=<unix s>,v1=<hex HMAC-SHA256(secret,
  "<host>.<t>.<body>")>``. ``secret`` is the destination's signing secret (every destination
  has one, whichever version made it); ``host`` is the URL's host as a browser's ``URL.host``
  has it (with the port unless it is the scheme's default), i.e. the ``Host`` header sent.
- A 2xx answer is success; anything else, a timeout (10 s for the whole exchange) or a
  connection error is a failed attempt. After failed attempt ``n`` (1-based) the next is due
  ``min(30 min, 2^n s) * retry_scale`` later; after 21 attempts (the first and 20 retries)
  the notification is ``failed``.
- Every attempt is stored (``DeliveryLog.record_delivery_attempt``): request headers, response
  status, headers (at most 100) and body (at most ``RESPONSE_BODY_CAP`` bytes, read no
  further), error and duration. Redirects are not followed.
- At start-up owed attempts resume from the database (``DeliveryLog.resume_deliveries``):
  ``pending`` ones at once, ``retrying`` ones at their last attempt plus the backoff under the
  current ``retry_scale``. An attempt cut short by a shutdown is simply sent again.
- At most ``concurrency`` attempts are in flight; the signing secret is never logged.

``events_every`` (``--events-every``) also creates an ``emulator.tick`` event on every active
callback of the database that often.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import hmac
import logging
import time

import anyio
import anyio.to_thread
import httpx

from gateway.emulator.deliveries import DeliveryJob, NotificationAttempt
from gateway.emulator.store import Store

__all__ = [
    "MAX_ATTEMPTS",
    "RESPONSE_BODY_CAP",
    "TICK_EVENT_TYPE",
    "Sender",
    "backoff_seconds",
    "signature_header",
]

logger = logging.getLogger("gateway.emulator.deliveries")

MAX_ATTEMPTS = 21
MAX_BACKOFF_SECONDS = 30 * 60
TIMEOUT_SECONDS = 10.0
RESPONSE_BODY_CAP = 64 * 1024
RESPONSE_HEADERS_CAP = 100
ERROR_CAP = 1000
TICK_EVENT_TYPE = "emulator.tick"
#: The longest the worker sleeps without looking at the database again.
_IDLE_SECONDS = 1.0


def backoff_seconds(failed_attempts: int) -> float:
    """The contract's ``min(30 min, 2^n s)`` after the ``n``-th failed attempt."""
    return float(min(MAX_BACKOFF_SECONDS, 2 ** min(failed_attempts, 32)))


def signature_header(secret: str, host: str, timestamp: int, body: bytes) -> str:
    """``i=<host>,t=<unix s>,v1=<hex HMAC-SHA256(secret, "<host>.<t>.<body>")>``."""
    message = f"{host}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return f"i={host},t={timestamp},v1={digest}"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


class Sender:
    """Sends owed attempts; :meth:`wake` after creating notifications."""

    def __init__(
        self,
        store: Store,
        *,
        retry_scale: float = 1.0,
        events_every: float | None = None,
        concurrency: int = 8,
        timeout: float = TIMEOUT_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.store = store
        self.retry_scale = retry_scale
        self.events_every = events_every
        self.concurrency = concurrency
        self.timeout = timeout
        self._transport = transport
        self._wakeup = asyncio.Event()
        self._in_flight: dict[str, asyncio.Task[None]] = {}

    def wake(self) -> None:
        """Look for due attempts now (call from the event loop)."""
        self._wakeup.set()

    def delay_ms(self, failed_attempts: int) -> int:
        return round(backoff_seconds(failed_attempts) * self.retry_scale * 1000)

    async def run(self) -> None:
        """Resume, then send forever (until cancelled; in-flight attempts are cancelled)."""
        owed = await anyio.to_thread.run_sync(self.store.resume_deliveries, self.delay_ms)
        if owed:
            logger.info("resuming %d owed deliveries", owed)
        async with (
            httpx.AsyncClient(
                transport=self._transport,
                timeout=self.timeout,
                follow_redirects=False,
                trust_env=False,
                headers={"User-Agent": "Metorial-Emulator-Webhooks"},
            ) as client,
            anyio.create_task_group() as group,
        ):
            if self.events_every:
                group.start_soon(self._tick_events, self.events_every)
            try:
                await self._dispatch(client)
            finally:
                for task in self._in_flight.values():
                    task.cancel()
                await asyncio.gather(*self._in_flight.values(), return_exceptions=True)
                group.cancel_scope.cancel()

    async def _dispatch(self, client: httpx.AsyncClient) -> None:
        while True:
            self._wakeup.clear()
            free = self.concurrency - len(self._in_flight)
            if free > 0:
                due = await anyio.to_thread.run_sync(
                    functools.partial(
                        self.store.due_deliveries,
                        _now_ms(),
                        limit=free,
                        exclude=list(self._in_flight),
                    )
                )
                for notification_id in due:
                    task = asyncio.create_task(self._attempt(client, notification_id))
                    self._in_flight[notification_id] = task
                    task.add_done_callback(functools.partial(self._done, notification_id))
            wait = _IDLE_SECONDS
            if len(self._in_flight) < self.concurrency:
                next_ms = await anyio.to_thread.run_sync(
                    lambda: self.store.next_delivery_ms(exclude=list(self._in_flight))
                )
                if next_ms is not None:
                    wait = min(wait, max(0.0, (next_ms - _now_ms()) / 1000))
            if wait > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wakeup.wait(), wait)

    def _done(self, notification_id: str, _: object) -> None:
        self._in_flight.pop(notification_id, None)
        self._wakeup.set()

    async def _attempt(self, client: httpx.AsyncClient, notification_id: str) -> None:
        try:
            job = await anyio.to_thread.run_sync(self.store.delivery_job, notification_id)
            if job is None:
                return
            attempt = await self._send(client, job)
            made = job.attempts_made + 1
            next_ms = (
                _now_ms() + self.delay_ms(made)
                if attempt.status == "failed" and made < MAX_ATTEMPTS
                else None
            )
            status = await anyio.to_thread.run_sync(
                lambda: self.store.record_delivery_attempt(
                    notification_id, attempt, next_attempt_ms=next_ms, now_ms=_now_ms()
                )
            )
            logger.info(
                "delivery %s attempt %d: %s (%s)",
                notification_id,
                made,
                attempt.response_status if attempt.request_error is None else "no response",
                status,
            )
        except Exception:  # the worker must outlive any one attempt
            logger.exception("delivery %s: attempt not recorded", notification_id)

    async def _send(self, client: httpx.AsyncClient, job: DeliveryJob) -> NotificationAttempt:
        body = job.body.encode()
        started_ms = _now_ms()
        started = time.monotonic()
        headers: list[tuple[str, str]] = []
        status = -1
        response_headers: tuple[tuple[str, str], ...] = ()
        response_body: str | None = None
        error: str | None = None
        try:
            url = httpx.URL(job.url)
            host = url.netloc.decode("ascii")
            headers = [
                ("Content-Type", "application/json"),
                ("Metorial-Notification-Id", job.notification_id),
                ("Metorial-Event-Id", job.event_id),
                ("Metorial-Callback-Id", job.callback_id),
                ("Metorial-Version", "2025-01-01"),
                (
                    "Metorial-Signature",
                    signature_header(job.signing_secret, host, int(time.time()), body),
                ),
            ]
            with anyio.fail_after(self.timeout):
                async with client.stream("POST", url, content=body, headers=headers) as response:
                    status = response.status_code
                    response_headers = tuple(
                        (name, value)
                        for name, value in list(response.headers.items())[:RESPONSE_HEADERS_CAP]
                    )
                    response_body = await _read_capped(response)
        except TimeoutError:
            error = f"Timed out after {self.timeout:g} s"
        except Exception as exc:  # any failure to get an answer is the attempt's error
            error = (f"{type(exc).__name__}: {exc}".rstrip(": "))[:ERROR_CAP]
        return NotificationAttempt(
            id="",
            status="succeeded" if 200 <= status < 300 and error is None else "failed",
            index=0,
            response_status=status if error is None else -1,
            response_body=response_body if error is None else None,
            response_headers=response_headers if error is None else (),
            request_error=error,
            duration_ms=round((time.monotonic() - started) * 1000),
            created_ms=started_ms,
            request_headers=tuple(headers),
        )

    async def _tick_events(self, every: float) -> None:
        tick = 0
        while True:
            await anyio.sleep(every)
            tick += 1
            try:
                callbacks = await anyio.to_thread.run_sync(self.store.active_callbacks)
                for instance_id, callback_id in callbacks:
                    await anyio.to_thread.run_sync(
                        functools.partial(
                            self.store.create_event,
                            instance_id,
                            callback_id,
                            event_type=TICK_EVENT_TYPE,
                            payload={"tick": tick},
                            now_ms=_now_ms(),
                        )
                    )
            except Exception:
                logger.exception("periodic events: tick %d failed", tick)
            self.wake()


async def _read_capped(response: httpx.Response) -> str:
    """At most ``RESPONSE_BODY_CAP`` bytes of the body, decoded leniently."""
    data = bytearray()
    async for chunk in response.aiter_raw():
        data += chunk[: RESPONSE_BODY_CAP - len(data)]
        if len(data) >= RESPONSE_BODY_CAP:
            break
    return data.decode("utf-8", errors="replace")
