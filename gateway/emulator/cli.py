"""``gateway emulator``: serve the emulator alone with uvicorn.

Every flag's default can come from an environment variable (``GATEWAY_EMULATOR_*``).
Keys passed with ``--api-key`` are never printed; only the demo key is, being no secret.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

from gateway.emulator.config import DEFAULT_DB_PATH, DEMO_API_KEY, EmulatorConfig
from gateway.emulator.versions import DEFAULT_VERSION, VERSIONS

__all__ = ["add_arguments", "config_from_args", "derived_instance_id", "parse_api_key", "run"]

ENV_PREFIX = "GATEWAY_EMULATOR_"


def derived_instance_id(key: str) -> str:
    """The instance of a key given without ``=INSTANCE``: non-secret, stable, never the key."""
    return "ins_" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def parse_api_key(spec: str) -> tuple[str, str]:
    """``KEY`` or ``KEY=INSTANCE`` -> (key, instance)."""
    key, _, instance = spec.strip().partition("=")
    key, instance = key.strip(), instance.strip()
    if not key:
        raise argparse.ArgumentTypeError("an API key must not be empty")
    return key, instance or derived_instance_id(key)


def _int_at_least(minimum: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected an integer >= {minimum}, got {value}")
        return value

    parse.__name__ = "integer"
    return parse


def _number(*, minimum: float, strict: bool) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value) or value < minimum or (strict and value == minimum):
            sign = ">" if strict else ">="
            raise argparse.ArgumentTypeError(f"expected a number {sign} {minimum:g}, got {text}")
        return value

    parse.__name__ = "number"
    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the emulator's flags; defaults read ``GATEWAY_EMULATOR_*`` at this moment."""
    env = os.environ

    def default(name: str, fallback: str) -> str:
        return env.get(ENV_PREFIX + name, fallback)

    parser.add_argument(
        "--host",
        default=default("HOST", "127.0.0.1"),
        help="interface to listen on (env GATEWAY_EMULATOR_HOST, default %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=_int_at_least(0),
        default=default("PORT", "8100"),
        help="port to listen on (env GATEWAY_EMULATOR_PORT, default %(default)s)",
    )
    parser.add_argument(
        "--db",
        metavar="PATH",
        default=default("DB", DEFAULT_DB_PATH),
        help="SQLite file, ':memory:' for none (env GATEWAY_EMULATOR_DB, default %(default)s)",
    )
    parser.add_argument(
        "--api-key",
        metavar="KEY[=INSTANCE]",
        action="append",
        type=parse_api_key,
        default=None,
        help=(
            "accept KEY as a secret key of INSTANCE (repeatable; without =INSTANCE the key gets "
            "an instance of its own); keys of one instance share data. Env "
            "GATEWAY_EMULATOR_API_KEYS, comma-separated. Default: one demo key, printed at start"
        ),
    )
    parser.add_argument(
        "--seed-callbacks",
        metavar="N",
        type=_int_at_least(0),
        default=default("SEED_CALLBACKS", "3"),
        help="callbacks seeded in every instance that has none "
        "(env GATEWAY_EMULATOR_SEED_CALLBACKS, default %(default)s)",
    )
    parser.add_argument(
        "--latency-ms",
        metavar="N",
        type=_int_at_least(0),
        default=default("LATENCY_MS", "0"),
        help="delay every response by N ms (env GATEWAY_EMULATOR_LATENCY_MS, default %(default)s)",
    )
    parser.add_argument(
        "--api-version",
        choices=VERSIONS,
        default=default("API_VERSION", DEFAULT_VERSION),
        help="the version served to requests whose metorial-version header (or api-version "
        "query) names no version key: mt_2025_01_01_pulsar or mt_2026_01_01_magnetar "
        "(env GATEWAY_EMULATOR_API_VERSION, default %(default)s)",
    )
    parser.add_argument(
        "--rate-limit",
        metavar="N",
        type=_int_at_least(1),
        default=default("RATE_LIMIT", "5000"),
        help="requests per 10 minutes per instance before 429 "
        "(env GATEWAY_EMULATOR_RATE_LIMIT, default %(default)s)",
    )
    parser.add_argument(
        "--events-every",
        metavar="SECONDS",
        type=_number(minimum=0, strict=True),
        default=env.get(ENV_PREFIX + "EVENTS_EVERY") or None,
        help="create an event on every active callback every SECONDS, delivered to its "
        "destinations (env GATEWAY_EMULATOR_EVENTS_EVERY; default: off, events come only from "
        "POST /_emulator/callbacks/{callback_id}/events)",
    )
    parser.add_argument(
        "--retry-scale",
        metavar="FACTOR",
        type=_number(minimum=0, strict=False),
        default=default("RETRY_SCALE", "1"),
        help="multiply the delivery retry backoff, min(30 min, 2^n s), by FACTOR; 0.001 retries "
        "in milliseconds (env GATEWAY_EMULATOR_RETRY_SCALE, default %(default)s)",
    )


def _api_keys(args: argparse.Namespace, environ: Mapping[str, str]) -> dict[str, str] | None:
    specs: Sequence[tuple[str, str]] | None = args.api_key
    if specs is None:
        raw = environ.get(ENV_PREFIX + "API_KEYS", "")
        try:
            specs = [parse_api_key(item) for item in raw.split(",") if item.strip()]
        except argparse.ArgumentTypeError as exc:
            raise SystemExit(f"GATEWAY_EMULATOR_API_KEYS: {exc}") from None
    return dict(specs) if specs else None


def config_from_args(
    args: argparse.Namespace, environ: Mapping[str, str] | None = None
) -> EmulatorConfig:
    return EmulatorConfig(
        db_path=args.db,
        api_keys=_api_keys(args, os.environ if environ is None else environ),
        seed_callbacks=args.seed_callbacks,
        latency_ms=args.latency_ms,
        rate_limit=args.rate_limit,
        api_version=args.api_version,
        retry_scale=args.retry_scale,
        events_every=args.events_every,
    )


def describe(config: EmulatorConfig, url: str) -> str:
    """The start-up banner. It names instances, and shows a key only if it is the demo key."""
    lines = [
        f"Metorial Callback Destinations emulator listening on {url}",
        f"Database: {config.db_path}",
        f"API version: {config.api_version} by default; header metorial-version: "
        "mt_2025_01_01_pulsar (2025-01-01) or mt_2026_01_01_magnetar (2026-02-01) picks one",
    ]
    if config.api_keys is None:
        lines += [
            f"Demo API key (instance demo): {DEMO_API_KEY}",
            f"Trigger an event (delivered to its destinations): POST "
            f"{url}/_emulator/callbacks/{{callback_id}}/events",
            f'Try: curl -H "Authorization: Bearer {DEMO_API_KEY}" {url}/callbacks-destinations',
        ]
    else:
        count = len(config.keys)
        lines.append(
            f"{count} API key{'s' if count != 1 else ''} (not shown) for instances: "
            + ", ".join(config.instances)
        )
    return "\n".join(lines)


def run(args: argparse.Namespace, *, out: TextIO | None = None) -> None:
    """Build the config from parsed flags, print the banner and serve until interrupted."""
    import uvicorn

    from gateway.emulator.app import create_app

    config = config_from_args(args)
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(describe(config, f"http://{host}:{args.port}"), file=out or sys.stdout, flush=True)
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="info")
