#!/usr/bin/env bash
# How long Swift's cooperative pool stalls while the whole test suite runs (but the replica chaos test): with the
# synchronous compute-bound suites on their compute thread, as the tests run, and, side by side, with them on the
# pool (EDTRIAGE_COMPUTE_THREAD=off). A probe test sleeps 100 ms at a time on the pool for EDTRIAGE_POOL_PROBE_SECONDS
# (default 300) and reports how late it woke (Tests/TriageCoreTests/ComputeThreadTests.swift). Runs the suite
# twice, about 6 minutes each on 2 cores, through scripts/test.sh (same set-up and database).
set -euo pipefail
cd "$(dirname "$0")/.."
export EDTRIAGE_POOL_PROBE_SECONDS=${EDTRIAGE_POOL_PROBE_SECONDS:-300}
for mode in on off; do
    log=$(mktemp)
    if ! EDTRIAGE_COMPUTE_THREAD=$mode scripts/test.sh --skip ReplicaChaosTests >"$log" 2>&1; then
        echo "pool-stalls: the suite failed with the compute thread $mode; its output is in $log" >&2
    fi
    echo "compute thread $mode: $(grep -ao 'pool stall probe: .*' "$log" || echo 'no probe report')"
    echo "    $(grep -ao 'Test run with .*' "$log" | tail -n 1)"
done
