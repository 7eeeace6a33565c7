#!/usr/bin/env bash
# Anonymous load against the clinical path: the service (API and worker in one process, rules only) on a
# fresh database; `edtriage bench queue --workers 0` enqueues N arrivals and measures enqueue → board as a
# board sees it, once on a quiet service and once while wrk sends RATE anonymous requests/s for SECONDS
# (/readyz, /metrics and bad bearer tokens in turn, bench/anonymous-load.lua). Then it checks that every
# arrival is on the board exactly once and how many refusals the audit recorded.
# Usage: bench/anonymous-load.sh [SECONDS] [RATE] [ARRIVALS]
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-60}"
rate="${2:-1000}"
arrivals="${3:-1000}"
command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }
source bench/database.sh
unset EDTRIAGE_MODEL_PATH
export EDTRIAGE_HTTP_PORT="${EDTRIAGE_HTTP_PORT:-8089}"

"$edtriage" serve &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$EDTRIAGE_HTTP_PORT/readyz" >/dev/null && break; sleep 0.2; done

queue() { "$edtriage" bench queue --workers 0 --producers 1 --arrivals "$arrivals"; }

echo "== unloaded: $arrivals arrivals, the service's own worker drains them"
queue
echo
connections=20
echo "== loaded: wrk, $connections connections paced to ~$rate requests/s for ${duration}s, same arrivals"
PACE_MS=$(( connections * 1000 / rate )) wrk -t2 -c"$connections" -d"${duration}s" --latency \
    -s bench/anonymous-load.lua "http://127.0.0.1:$EDTRIAGE_HTTP_PORT" > .local/anonymous-load-wrk.txt &
load=$!
sleep 5
queue
wait $load
cat .local/anonymous-load-wrk.txt
echo
scripts/postgres.sh psql -d edtriage_bench -At -F ' ' -c "
    SELECT 'arrivals', count(*), 'on board', (SELECT count(*) FROM worklist),
           'assessments', (SELECT count(*) FROM assessments), 'dead-lettered', count(*) FILTER (WHERE state = 'failed'),
           'token.rejected audit rows', (SELECT count(*) FROM audit_log WHERE action = 'token.rejected')
    FROM arrivals"
