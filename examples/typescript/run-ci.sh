#!/usr/bin/env bash
# The TypeScript example, end to end: install from the lockfile, generate the typed
# documents from schema.graphql + examples/operations, type-check, then page through a live
# gateway (`gateway serve` with its embedded emulator, on a free port) with Apollo's
# fetchMore. Run by `make typescript` and .ci/run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
python="$root/.venv/bin/python"
cd "$here"

npm ci --no-audit --no-fund --loglevel=error
npm run --silent codegen
npm run --silent typecheck

port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
workdir="$(mktemp -d)" # fresh emulator data (.data/) for this run
(cd "$workdir" && exec env -u GATEWAY_UPSTREAM_URL "$root/.venv/bin/gateway" serve --port "$port") \
  >"$workdir/gateway.log" 2>&1 &
gateway_pid=$!
cleanup() {
  kill "$gateway_pid" 2>/dev/null || true
  wait "$gateway_pid" 2>/dev/null || true
  rm -rf "$workdir"
}
trap cleanup EXIT

if ! "$python" - "$port" <<'PY'; then
import sys, time, httpx
url = f"http://127.0.0.1:{sys.argv[1]}/readyz"
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    try:
        if httpx.get(url, timeout=1).status_code == 200:
            sys.exit(0)
    except httpx.TransportError:
        pass
    time.sleep(0.2)
sys.exit(1)
PY
  echo "gateway serve did not get ready:" >&2
  cat "$workdir/gateway.log" >&2
  exit 1
fi

npm run --silent page-through -- "http://127.0.0.1:$port/graphql"
