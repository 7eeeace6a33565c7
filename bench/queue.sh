#!/usr/bin/env bash
# Queue benchmark: a fresh database, then `edtriage bench queue` (N arrivals drained by K workers with the
# rules scorer). Arguments go to it, e.g. bench/queue.sh --arrivals 1000 --workers 4.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/database.sh
"$edtriage" bench queue "$@"
