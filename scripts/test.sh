#!/usr/bin/env bash
# Runs every test against real parts: PostgreSQL (the project-local cluster unless EDTRIAGE_TEST_DATABASE_URL
# or EDTRIAGE_DATABASE_URL is set), the bundled Gemma 3 270M model and real HTTP on loopback.
# Installs what is missing on a fresh Debian machine; safe to run again. Extra arguments go to `swift test`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/dev-env.sh

swift build --build-tests
swift test --skip-build "$@"
