"""Structured logs: one JSON object per line, secrets redacted on the way out."""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import orjson

# Anything that looks like a Metorial key, a bearer token or a signing secret (but the
# placeholder of our own hints, `Bearer <key>`).
_SECRET = re.compile(
    r"(metorial_(?:sk|pk)_[0-9A-Za-z_]+|clb_sec_[0-9A-Za-z]+|(?i:bearer)\s+(?!<)[^\s\"',]+)"
)
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def redact(text: str) -> str:
    return _SECRET.sub("[REDACTED]", text)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(orjson.dumps(entry, default=str).decode())


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # httpx logs every request URL at INFO; our own access line is enough.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # uvicorn's own messages (its errors included) go through the same JSON, redacting
    # handler: no plain-text traceback reaches stderr.
    for name in UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True


UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
