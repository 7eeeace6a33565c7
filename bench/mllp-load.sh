#!/usr/bin/env bash
# HL7 v2 intake throughput: the service (API, MLLP listener and worker in one process, rules only) on a fresh
# database; bench/mllp_load.py (python-hl7's asyncio MLLP client) sends MESSAGES ADT^A04 registrations over
# CONNECTIONS loopback connections and reports messages/s and ACK latency; then every message is checked to be
# on the board exactly once.
# Usage: bench/mllp-load.sh [MESSAGES] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/.."
messages="${1:-10000}"
connections="${2:-16}"
source bench/database.sh
unset EDTRIAGE_MODEL_PATH
export EDTRIAGE_HTTP_PORT="${EDTRIAGE_HTTP_PORT:-8089}" EDTRIAGE_HL7_PORT="${EDTRIAGE_HL7_PORT:-2575}"
tools=.local/test-tools
"$tools/bin/python" -c "import hl7" 2>/dev/null || { python3 -m venv "$tools"; "$tools/bin/pip" install -q "hl7==0.4.5"; }

"$edtriage" serve &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$EDTRIAGE_HL7_PORT") 2>/dev/null && break; sleep 0.2; done

started=$(date +%s.%N)
"$tools/bin/python" bench/mllp_load.py 127.0.0.1 "$EDTRIAGE_HL7_PORT" "$messages" "$connections" samples/hl7/a04-chest-pain.hl7
# The worker may still be scoring the last arrivals: wait until the board holds them all (or a minute passes).
for _ in $(seq 1 600); do
    [[ $(scripts/postgres.sh psql -d edtriage_bench -At -c "SELECT count(*) FROM worklist") -ge $messages ]] && break
    sleep 0.1
done
awk -v from="$started" -v to="$(date +%s.%N)" 'BEGIN { printf "board complete %.1f s after the first message\n", to - from }'
scripts/postgres.sh psql -d edtriage_bench -At -F ' ' -c "
    SELECT 'arrivals', count(*), 'distinct visits', count(DISTINCT external_id), 'on board', (SELECT count(*) FROM worklist),
           'assessments', (SELECT count(*) FROM assessments), 'dead-lettered', count(*) FILTER (WHERE state = 'failed')
    FROM arrivals"
