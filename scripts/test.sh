#!/usr/bin/env bash
# Runs every test against real parts: PostgreSQL (the project-local cluster unless EDTRIAGE_TEST_DATABASE_URL
# or EDTRIAGE_DATABASE_URL is set), the bundled Gemma 3 270M model and real HTTP on loopback.
# Installs what is missing on a fresh Debian machine; safe to run again. Extra arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dev-env.sh

# Clients and validators nobody here wrote, from PyPI, pinned, in a project-local virtualenv: schemathesis for
# the OpenAPI conformance test, python-hl7's MLLP client for the HL7 v2 listener's, fhir.resources' R4B models
# for every FHIR resource the service emits.
tools=.local/test-tools
packages=("schemathesis==4.32.5" "hl7==0.4.5" "fhir.resources==8.3.0")
if [[ $("$tools/bin/pip" freeze 2>/dev/null | grep -cxF "${packages[@]/#/-e}") != "${#packages[@]}" ]]; then
    echo "test.sh: installing ${packages[*]} from PyPI into $tools" >&2
    python3 -m venv "$tools"
    "$tools/bin/pip" install -q "${packages[@]}" >&2
fi
export EDTRIAGE_TEST_PYTHON="$PWD/$tools/bin/python"
export EDTRIAGE_SCHEMATHESIS="$PWD/$tools/bin/st"

swift build --build-tests
swift test --skip-build "$@"
