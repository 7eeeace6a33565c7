#!/usr/bin/env bash
# Builds and runs EDTriage with its embedded defaults: the project-local PostgreSQL, the bundled model and
# the sample arrivals in samples/. Prints the worklist, its URL and a dashboard token, then serves until
# Ctrl-C. To use an existing PostgreSQL, set EDTRIAGE_DATABASE_URL (and EDTRIAGE_DATABASE_MIGRATION_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dev-env.sh

swift build --product edtriage
edtriage=.build/debug/edtriage
port="${EDTRIAGE_HTTP_PORT:-8080}"

"$edtriage" migrate
"$edtriage" serve &
server=$!
trap 'kill -TERM $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
trap 'exit 130' INT TERM
# Waits until the service accepts connections on port $1.
wait_for_port() {
    for _ in $(seq 1 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$server" 2>/dev/null || { echo "run.sh: the service exited" >&2; exit 1; }
        sleep 0.2
    done
}
wait_for_port "$port"

"$edtriage" ingest samples/arrivals.ndjson
rows="$(grep -c . samples/arrivals.ndjson)"
# With the HL7 v2 listener on (EDTRIAGE_HL7_PORT), one more patient arrives as a hospital's would: an ADT^A04
# over MLLP (0x0B, the message, 0x1C 0x0D), answered with an ACK.
if [[ "${EDTRIAGE_HL7_PORT:-0}" != 0 ]]; then
    wait_for_port "$EDTRIAGE_HL7_PORT"
    exec 4<>"/dev/tcp/127.0.0.1/$EDTRIAGE_HL7_PORT"
    printf '\x0b%s\x1c\r' "$(cat samples/hl7/a04-chest-pain.hl7)" >&4
    IFS= read -r -d $'\x1c' ack <&4 || true
    exec 4>&-
    echo "HL7 v2 ADT^A04 (samples/hl7/a04-chest-pain.hl7) acknowledged: $(tr '\r' '\n' <<<"$ack" | grep '^MSA')"
    rows=$((rows + 1))
fi
# And one as a FHIR R4 transaction Bundle from a registration system, answered with a transaction-response
# Bundle whose Encounter entry names the arrival (its ESI Observation: /fhir/r4/Observation/esi-<id>).
answer="$(curl -sS --fail-with-body -X POST -H "Authorization: Bearer $("$edtriage" token --role intake)" \
    -H "Content-Type: application/fhir+json" --data-binary @samples/fhir/transaction-wrist-injury.json \
    "http://127.0.0.1:$port/fhir/r4")"
encounter="$(grep -o '"Encounter/[0-9]*"' <<<"$answer" | tr -d '"')"
echo "FHIR transaction (samples/fhir/transaction-wrist-injury.json) accepted as $encounter"
rows=$((rows + 1))
"$edtriage" worklist --wait 30 --min-rows "$rows"    # the rules' levels, at once (model: pending)
echo "Waiting for the model's assessments (the board does not: they follow the rules' as they come)..."
"$edtriage" worklist --wait 300 --min-rows "$rows" --model-settled

token="$("$edtriage" token --role dashboard)"
cat <<INFO

ED board:        http://127.0.0.1:$port/board   (sign in with a token below, or open .../board#token=TOKEN)
Worklist API:    http://127.0.0.1:$port/v1/worklist
Dashboard token: $token
Try:             curl -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:$port/v1/worklist
Tokens for other roles: $edtriage token --role nurse|physician|admin
FHIR R4:         curl -H "Authorization: Bearer \$NURSE_TOKEN" http://127.0.0.1:$port/fhir/r4/Observation/esi-${encounter#Encounter/}
Serving until Ctrl-C.
INFO
wait "$server"
