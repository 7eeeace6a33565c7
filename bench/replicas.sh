#!/usr/bin/env bash
# Replicas under chaos (bench/replicas.py): 2 × `edtriage serve --no-worker` and 3 × `edtriage worker` on one
# PostgreSQL, 1,000 arrivals posted while workers are SIGKILLed and restarted at random and PostgreSQL is
# crash-restarted once (or --restarts times); then every arrival, round, phase, the audit chain and the boards are
# checked. Exits non-zero when a check fails. Arguments go to bench/replicas.py (--arrivals, --rate, --restarts,
# --apis, --workers, --model, --report FILE). The database restart needs a cluster of its own: this starts one on
# EDTRIAGE_REPLICAS_PG_PORT (default: the project-local port + 10) and stops it at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
export EDTRIAGE_PG_PORT="${EDTRIAGE_REPLICAS_PG_PORT:-$((${EDTRIAGE_PG_PORT:-54329} + 10))}"
unset EDTRIAGE_DATABASE_SSL_ROOT_CERT
source bench/database.sh
trap 'scripts/postgres.sh stop' EXIT
python3 bench/replicas.py --edtriage "$edtriage" --psql "scripts/postgres.sh psql -d edtriage_bench" \
    --crash-restart "scripts/postgres.sh crash-restart" "$@"
