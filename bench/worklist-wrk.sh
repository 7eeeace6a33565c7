#!/usr/bin/env bash
# Worklist polling load: starts the service (release build) on a fresh bench database with a board of
# PATIENTS arrivals (the samples, repeated under new ids), then wrk on loopback polls GET /v1/worklist as
# dashboards would: paced at RATE requests/s with full responses, paced with If-None-Match (the 304 path
# boards use between changes), and flat out with full responses.
# Usage: bench/worklist-wrk.sh [SECONDS] [CONNECTIONS] [RATE] [PATIENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-20}"
connections="${2:-32}"
rate="${3:-500}"
patients="${4:-150}"
command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }
source bench/database.sh
# Rules only: a model scoring the board while it is measured would change it under the 304s (and take the cores).
unset EDTRIAGE_MODEL_PATH
export EDTRIAGE_HTTP_PORT="${EDTRIAGE_HTTP_PORT:-8089}"
"$edtriage" serve &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$EDTRIAGE_HTTP_PORT/healthz" >/dev/null && break; sleep 0.2; done
run="$(date +%s)"
python3 - "$patients" "$run" <<'PY' | "$edtriage" ingest - >/dev/null || true
import json, sys
count, run = int(sys.argv[1]), sys.argv[2]
samples = [json.loads(line) for line in open("samples/arrivals.ndjson") if line.strip()]
for n in range(count):
    arrival = dict(samples[n % len(samples)], external_id=f"bench-{run}-{n}", patient_ref=f"BENCH-{run}-{n}")
    print(json.dumps(arrival))
PY
# Measure the settled board: every arrival scored.
"$edtriage" worklist --wait 300 --min-rows "$patients" --model-settled >/dev/null
url="http://127.0.0.1:$EDTRIAGE_HTTP_PORT/v1/worklist"
token="$("$edtriage" token --role dashboard)"
etag="$(curl -sf -D - -o /dev/null -H "Authorization: Bearer $token" "$url" | tr -d '\r' | awk 'tolower($1)=="etag:" {print $2}')"

pace=$((connections * 1000 / rate))
echo "== GET /v1/worklist (200, full body, $patients patients), paced at about $rate/s: ${duration}s, $connections connections"
PACE_MS=$pace wrk -t2 -c"$connections" -d"${duration}s" --latency -s bench/paced.lua -H "Authorization: Bearer $token" "$url"
echo
echo "== the same with If-None-Match: $etag (304)"
PACE_MS=$pace wrk -t2 -c"$connections" -d"${duration}s" --latency -s bench/paced.lua -H "Authorization: Bearer $token" \
    -H "If-None-Match: $etag" "$url"
echo
echo "== GET /v1/worklist (200, full body), flat out: ${duration}s, $connections connections"
wrk -t2 -c"$connections" -d"${duration}s" --latency -H "Authorization: Bearer $token" "$url"
