#!/usr/bin/env bash
# Worklist polling load: starts the service (release build) on the project-local PostgreSQL with the
# sample arrivals, then wrk on loopback polls GET /v1/worklist as a dashboard would, once with full
# responses and once with If-None-Match (the 304 path boards use between changes).
# Usage: bench/worklist-wrk.sh [SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-20}"
connections="${2:-32}"
command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }
source scripts/dev-env.sh
export EDTRIAGE_LOG_LEVEL=warning EDTRIAGE_HTTP_PORT="${EDTRIAGE_HTTP_PORT:-8089}"

swift build -c release --product edtriage
edtriage=.build/release/edtriage
"$edtriage" migrate >/dev/null
"$edtriage" serve &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$EDTRIAGE_HTTP_PORT/healthz" >/dev/null && break; sleep 0.2; done
"$edtriage" ingest samples/arrivals.ndjson >/dev/null || true
# Measure the settled board: every sample scored by the rules and, with a model configured, by the model.
"$edtriage" worklist --wait 180 --min-rows "$(grep -c . samples/arrivals.ndjson)" --model-settled >/dev/null

url="http://127.0.0.1:$EDTRIAGE_HTTP_PORT/v1/worklist"
token="$("$edtriage" token --role dashboard)"
etag="$(curl -sf -D - -o /dev/null -H "Authorization: Bearer $token" "$url" | tr -d '\r' | awk 'tolower($1)=="etag:" {print $2}')"

echo "== GET /v1/worklist (200, full body), ${duration}s, $connections connections, 2 threads"
wrk -t2 -c"$connections" -d"${duration}s" --latency -H "Authorization: Bearer $token" "$url"
echo
echo "== GET /v1/worklist with If-None-Match: $etag (304)"
wrk -t2 -c"$connections" -d"${duration}s" --latency -H "Authorization: Bearer $token" -H "If-None-Match: $etag" "$url"
