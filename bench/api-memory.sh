#!/usr/bin/env bash
# Peak memory of an API process (`edtriage serve --no-worker`, release build, no model), to size its Kubernetes
# requests and limits: idle on a 150-patient board, after wrk reads the board flat out, and after SENDERS
# concurrent clients each post ARRIVALS arrivals carrying the largest body the defaults accept (4 images of
# triage.max_image_bytes, base64). Prints the process's resident set (VmRSS) and its peak (VmHWM) after each step.
# Usage: bench/api-memory.sh [SENDERS] [ARRIVALS]
set -euo pipefail
cd "$(dirname "$0")/.."
senders="${1:-8}"
arrivals="${2:-2}"
command -v wrk >/dev/null || { DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk >/dev/null; }
source bench/database.sh
unset EDTRIAGE_MODEL_PATH
export EDTRIAGE_HTTP_PORT="${EDTRIAGE_HTTP_PORT:-8089}"
"$edtriage" serve --no-worker &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 150); do curl -sf "http://127.0.0.1:$EDTRIAGE_HTTP_PORT/healthz" >/dev/null && break; sleep 0.2; done

memory() {
    awk -v step="$1" '/^VmRSS|^VmHWM/ {value[$1] = $2} END {
        printf "%-40s RSS %6.1f MiB   peak %6.1f MiB\n", step, value["VmRSS:"] / 1024, value["VmHWM:"] / 1024 }' \
        "/proc/$server/status"
}

# The board: 150 sample arrivals, scored by a worker of its own that then stops (its memory is not measured).
python3 - 150 "$(date +%s)" <<'PY' | "$edtriage" ingest - >/dev/null
import json, sys
count, run = int(sys.argv[1]), sys.argv[2]
samples = [json.loads(line) for line in open("samples/arrivals.ndjson") if line.strip()]
for n in range(count):
    print(json.dumps(dict(samples[n % len(samples)], external_id=f"memory-{run}-{n}", patient_ref=f"MEM-{run}-{n}")))
PY
"$edtriage" worker &
worker=$!
"$edtriage" worklist --wait 300 --min-rows 150 >/dev/null
kill -TERM $worker && wait $worker || true
memory "idle, 150-patient board"

url="http://127.0.0.1:$EDTRIAGE_HTTP_PORT/v1/worklist"
dashboard="$("$edtriage" token --role dashboard)"
wrk -t2 -c64 -d15s -H "Authorization: Bearer $dashboard" "$url" | grep -E "Requests/sec"
memory "after 15 s of board reads, 64 connections"

intake="$("$edtriage" token --role intake)"
python3 - "$senders" "$arrivals" "http://127.0.0.1:$EDTRIAGE_HTTP_PORT/v1/arrivals" "$intake" <<'PY'
import base64, json, os, sys, threading, urllib.request
senders, per_sender, url, token = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
image = base64.b64encode(os.urandom(5 * 1024 * 1024)).decode()
statuses = []
def body(sender, n):
    return json.dumps({"source": "memory-bench", "external_id": f"{os.getpid()}-{sender}-{n}", "patient_ref": "MEM",
                       "age": {"years": 40}, "sex": "F", "arrival_mode": "walk-in", "chief_complaint": "hand wound",
                       "images": [{"content_type": "image/jpeg", "data_base64": image}] * 4}).encode()
def send(sender):
    for n in range(per_sender):
        request = urllib.request.Request(url, data=body(sender, n), method="POST", headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=300) as response:
            statuses.append(response.status)
threads = [threading.Thread(target=send, args=(s,)) for s in range(senders)]
for thread in threads: thread.start()
for thread in threads: thread.join()
print(f"{len(statuses)} arrivals of {len(body(0, 0)) / 2**20:.1f} MiB posted by {senders} senders at once: "
      f"statuses {sorted(set(statuses))}")
PY
memory "after the large arrivals"
