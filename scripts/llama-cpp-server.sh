#!/usr/bin/env bash
# Prints the python of a virtualenv holding llama-cpp-python with its OpenAI-compatible server
# (`python -m llama_cpp.server`), the real model server the `openai` backend is tested against.
# Built once (5–15 minutes on 2 cores) into a cache outside the checkout, so fresh clones reuse it;
# EDTRIAGE_LLAMA_SERVER_VENV moves it.
set -euo pipefail
readonly PACKAGE="llama-cpp-python[server]==0.3.36"
readonly VENV="${EDTRIAGE_LLAMA_SERVER_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/edtriage/llama-cpp-server-0.3.36}"

if ! "$VENV/bin/python" -c "import llama_cpp.server.app" 2>/dev/null; then
    if ! command -v cmake >/dev/null || ! command -v g++ >/dev/null; then
        if [[ $(id -u) -eq 0 ]]; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q cmake build-essential >&2
        else
            echo "llama-cpp-server.sh: cmake and g++ are missing: sudo apt-get install cmake build-essential" >&2
            exit 1
        fi
    fi
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV"
    echo "llama-cpp-server.sh: building $PACKAGE into $VENV (5–15 minutes on 2 cores)" >&2
    CMAKE_BUILD_PARALLEL_LEVEL=$(nproc) \
        "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir "$PACKAGE" >&2
fi
echo "$VENV/bin/python"
