#!/usr/bin/env bash
# Anonymous load against the clinical path: the service (API and worker in one process, rules only) on a
# fresh database; `edtriage bench queue --workers 0` enqueues N arrivals at 50/s (a mass-casualty surge, below
# the worker's capacity) and measures enqueue → board as a board sees it, once on a quiet service and once
# while wrk sends RATE anonymous requests/s for SECONDS
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

server=""
# Each run gets an empty board and a freshly started service, so both measure the same work.
start_service() {
    fresh_bench_database
    "$edtriage" serve &
    server=$!
    for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$EDTRIAGE_HTTP_PORT/readyz" >/dev/null && break; sleep 0.2; done
}
stop_service() {
    [[ -n $server ]] && { kill -TERM "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; }
    server=""
}
trap stop_service EXIT
queue() { "$edtriage" bench queue --workers 0 --producers 2 --rate 50 --arrivals "$arrivals"; }
# Every arrival on the board once, scored once, none dead-lettered; how often refused tokens were audited.
tally() {
    scripts/postgres.sh psql -d edtriage_bench -At -F ' ' -c "
        SELECT 'arrivals', count(*), 'on board', (SELECT count(*) FROM worklist),
               'assessments', (SELECT count(*) FROM assessments), 'dead-lettered', count(*) FILTER (WHERE state = 'failed'),
               'token.rejected audit rows', (SELECT count(*) FROM audit_log WHERE action = 'token.rejected')
        FROM arrivals"
}

echo "== unloaded: $arrivals arrivals, the service's own worker drains them"
start_service
queue
tally
stop_service
echo
# Each connection waits 20 ms between requests; one more connection per 42 requests/s makes up for the
# time the answers take. One wrk thread is enough for this rate and leaves the cores to the service.
connections=$(( (rate + 41) / 42 ))
echo "== loaded: wrk, $connections connections paced to ~$rate requests/s for ${duration}s, same arrivals"
start_service
PACE_MS=20 wrk -t1 -c"$connections" -d"${duration}s" --latency \
    -s bench/anonymous-load.lua "http://127.0.0.1:$EDTRIAGE_HTTP_PORT" > .local/anonymous-load-wrk.txt &
load=$!
sleep 5
queue
wait $load
tally
stop_service
cat .local/anonymous-load-wrk.txt
