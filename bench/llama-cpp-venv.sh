#!/usr/bin/env bash
# Builds llama-cpp-python for this CPU (GGML_NATIVE=ON) into the git-ignored, cached
# .local/bench-venv on first use and prints the venv's python. Benchmarks and the reference
# check use it; nothing in CI does.
set -euo pipefail
cd "$(dirname "$0")/.."
readonly LLAMA_CPP_PYTHON="llama-cpp-python==0.3.36"
readonly VENV=.local/bench-venv

if ! "$VENV/bin/python" -c "import llama_cpp" 2>/dev/null; then
    if ! command -v cmake >/dev/null || ! command -v g++ >/dev/null; then
        apt-get install -y cmake build-essential >&2
    fi
    python3 -m venv "$VENV"
    echo "building $LLAMA_CPP_PYTHON for this CPU (5–15 minutes on 2 cores)…" >&2
    CMAKE_ARGS="-DGGML_NATIVE=ON" CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
        "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir "$LLAMA_CPP_PYTHON" >&2
fi
echo "$PWD/$VENV/bin/python"
