"""The stack's ceiling: a plain FastAPI endpoint on uvicorn returning fixed JSON bytes.

It answers `POST /graphql` with the bytes of a file (the gateway's own response to the
benchmarked query), reading and ignoring the request body, and runs uvicorn with the same
options as `gateway serve`, so the difference to the gateway is the gateway's own work::

    python -m bench.plain --port 8300 --body-file response.json
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import JSONResponse, Response


def create_app(body: bytes) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.post("/graphql")
    async def graphql(request: Request) -> Response:
        await request.body()
        return Response(body, media_type="application/json")

    @app.get("/healthz")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    return app


def main(argv: Sequence[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(prog="python -m bench.plain", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--body-file", type=Path, required=True)
    args = parser.parse_args(argv)
    app = create_app(args.body_file.read_bytes())
    # The same uvicorn options as `gateway serve` (loop/http "auto": uvloop and httptools).
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
