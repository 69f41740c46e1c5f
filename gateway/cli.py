"""The `gateway` command: serve, emulator, webhook-receiver, export-schema."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from gateway.settings import DESCRIPTIONS, ENVIRONMENT, Settings
from gateway.upstream.versions import VERSION_CHOICES

_EPILOG = "environment variables (read by `serve`, besides GATEWAY_HOST and GATEWAY_PORT):\n"
_EPILOG += "\n".join(f"  {ENVIRONMENT[name]:<34} {text}" for name, text in DESCRIPTIONS.items())


def main(argv: Sequence[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        raise SystemExit(2)
    args.run(args)


def _parser() -> argparse.ArgumentParser:
    from gateway.emulator.cli import add_arguments, run

    parser = argparse.ArgumentParser(
        prog="gateway",
        description="GraphQL gateway for Metorial's Callback Destinations API.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="run the gateway (with the embedded emulator when no upstream URL is set)",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument(
        "--host", default=os.environ.get("GATEWAY_HOST", "127.0.0.1"), help="(GATEWAY_HOST)"
    )
    serve.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("GATEWAY_PORT", "8000")),
        help="(GATEWAY_PORT)",
    )
    serve.add_argument("--upstream-url", help="REST API base URL (GATEWAY_UPSTREAM_URL)")
    serve.add_argument(
        "--upstream-version",
        choices=VERSION_CHOICES,
        help="REST API version to speak; auto finds the newest served (GATEWAY_UPSTREAM_VERSION)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("GATEWAY_WORKERS", "1")),
        help="worker processes (each its own pools); share caches through GATEWAY_REDIS_URL "
        "(GATEWAY_WORKERS)",
    )
    serve.set_defaults(run=_serve)

    emulator = commands.add_parser("emulator", help="run the REST API emulator alone")
    add_arguments(emulator)
    emulator.set_defaults(run=run)

    receiver = commands.add_parser(
        "webhook-receiver",
        help="a tiny webhook receiver that verifies and prints deliveries (development)",
    )
    _add_receiver_arguments(receiver)
    receiver.set_defaults(run=_run_receiver)

    export = commands.add_parser("export-schema", help="print the schema as SDL")
    export.add_argument("--output", type=Path, help="write to FILE instead of stdout")
    export.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when schema.graphql (or --output) differs from the code",
    )
    export.set_defaults(run=_export_schema)
    return parser


def _add_receiver_arguments(parser: argparse.ArgumentParser) -> None:
    from gateway.webhooks import add_receiver_arguments

    add_receiver_arguments(parser)


def _run_receiver(args: argparse.Namespace) -> None:
    from gateway.webhooks import run_receiver

    run_receiver(args)


def _serve(args: argparse.Namespace) -> None:
    import uvicorn

    from gateway.banner import StartBlock
    from gateway.emulator import DEMO_API_KEY
    from gateway.logs import configure_logging
    from gateway.tracing import Tracing, exporter_choice
    from gateway.web.app import create_app
    from gateway.web.server import ServerLimits, guarded_protocol

    try:
        settings = Settings.from_env(
            upstream_url=args.upstream_url, upstream_version=args.upstream_version
        )
        exporter_choice(settings.otel_exporter, os.environ)  # refuse a bad value at once
    except ValueError as exc:
        raise SystemExit(f"gateway: {exc}") from None
    configure_logging(settings.log_level)
    if args.workers > 1:  # each worker sets up its own tracing (create_app_from_env)
        _serve_workers(args, settings)
        return
    tracing = Tracing.from_settings(settings.otel_exporter)
    emulator = None
    host = "127.0.0.1" if args.host in {"0.0.0.0", "::", "localhost"} else args.host
    embedded = settings.upstream_url is None
    if embedded:
        from gateway.emulator import EmulatorConfig
        from gateway.emulator import create_app as create_emulator

        Path(".data").mkdir(exist_ok=True)
        emulator = create_emulator(EmulatorConfig(db_path=".data/emulator.sqlite3"))
        settings = Settings.from_env(
            upstream_url=f"http://{host}:{args.port}/emulator",
            upstream_api_key=settings.upstream_api_key or DEMO_API_KEY,
            upstream_version=args.upstream_version,
        )
    start = StartBlock(
        graphql_url=f"http://{host}:{args.port}/graphql",
        upstream_url=settings.upstream_url or "",
        embedded=embedded,
        demo_key_is_default=embedded and settings.upstream_api_key == DEMO_API_KEY,
    )
    app = create_app(settings, emulator=emulator, announce=start.announce, tracing=tracing)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        http=guarded_protocol(ServerLimits.from_settings(settings)),
        timeout_keep_alive=settings.keepalive_timeout,
        log_config=None,  # uvicorn's loggers go through ours (JSON, redacted)
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=30,  # in-flight requests finish on SIGTERM
    )


def _serve_workers(args: argparse.Namespace, settings: Settings) -> None:
    """`args.workers` uvicorn worker processes, each building the app from the environment."""
    import uvicorn

    if settings.upstream_url is None:
        raise SystemExit(
            "gateway: --workers needs --upstream-url (the embedded emulator is one process's; "
            "run `gateway emulator` beside it)"
        )
    if settings.redis_url is None:
        print(
            f"gateway: warning: {args.workers} workers without GATEWAY_REDIS_URL: caches, "
            "persisted queries and read-your-writes are per worker",
            file=sys.stderr,
        )
    # Each worker reads its settings from the environment, flags included.
    os.environ[ENVIRONMENT["upstream_url"]] = settings.upstream_url
    os.environ[ENVIRONMENT["upstream_version"]] = settings.upstream_version
    print(f"gateway: {args.workers} workers, upstream {settings.upstream_url}")
    print(f"gateway: GraphiQL at http://{args.host}:{args.port}/graphql", flush=True)
    uvicorn.run(
        "gateway.web.app:create_app_from_env",
        factory=True,
        workers=args.workers,
        host=args.host,
        port=args.port,
        http="gateway.web.server:GuardedFromEnv",
        timeout_keep_alive=settings.keepalive_timeout,
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=30,
    )


def _export_schema(args: argparse.Namespace) -> None:
    from gateway.schema.build import print_sdl

    sdl = print_sdl()
    if args.check:
        target = args.output or Path("schema.graphql")
        current = target.read_text(encoding="utf-8") if target.exists() else ""
        if current != sdl:
            print(f"{target} is out of date: run `make schema`", file=sys.stderr)
            raise SystemExit(1)
        print(f"{target} is up to date")
    elif args.output:
        args.output.write_text(sdl, encoding="utf-8")
    else:
        sys.stdout.write(sdl)
