#!/usr/bin/env bash
# Runs every test against real parts: PostgreSQL (the project-local cluster unless EDTRIAGE_TEST_DATABASE_URL
# or EDTRIAGE_DATABASE_URL is set), the bundled Gemma 3 270M model and real HTTP on loopback.
# Installs what is missing on a fresh Debian machine; safe to run again. Extra arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dev-env.sh

# The OpenAPI conformance test drives schemathesis (PyPI), pinned, in a project-local virtualenv.
schemathesis_version=4.32.5
if ! .local/schemathesis/bin/st --version 2>/dev/null | grep -qF "$schemathesis_version"; then
    echo "test.sh: installing schemathesis $schemathesis_version from PyPI into .local/schemathesis" >&2
    python3 -m venv .local/schemathesis
    .local/schemathesis/bin/pip install -q "schemathesis==$schemathesis_version" >&2
fi
export EDTRIAGE_SCHEMATHESIS="$PWD/.local/schemathesis/bin/st"

swift build --build-tests
swift test --skip-build "$@"
