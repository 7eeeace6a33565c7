#!/usr/bin/env bash
# Queue benchmark: a fresh database `edtriage_bench` on the project-local PostgreSQL, then
# `edtriage bench queue` (N arrivals drained by K workers with the rules scorer). Arguments go to it,
# e.g. bench/queue.sh --arrivals 1000 --workers 4. Built in release mode, as a site would run it.
set -euo pipefail
cd "$(dirname "$0")/.."
unset EDTRIAGE_DATABASE_URL EDTRIAGE_DATABASE_MIGRATION_URL
source scripts/dev-env.sh

scripts/postgres.sh psql -d postgres -c "DROP DATABASE IF EXISTS edtriage_bench" -c "CREATE DATABASE edtriage_bench"
export EDTRIAGE_DATABASE_URL="${EDTRIAGE_DATABASE_URL%/*}/edtriage_bench"
export EDTRIAGE_DATABASE_MIGRATION_URL="${EDTRIAGE_DATABASE_MIGRATION_URL%/*}/edtriage_bench"
export EDTRIAGE_LOG_LEVEL=warning

swift build -c release --product edtriage
.build/release/edtriage migrate >/dev/null
.build/release/edtriage bench queue "$@"
