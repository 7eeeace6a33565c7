#!/usr/bin/env bash
# Same-run comparison with llama.cpp (issue 5): pp512 and tg128 of llama-cpp-python's low-level
# llama_decode on the same GGUF and thread count, then `edtriage bench model`, then the ratios.
# A benchmark, not part of CI. llama-cpp-python comes from bench/llama-cpp-venv.sh.
#
# usage: bench/compare-llama-cpp.sh [--model PATH] [--threads N] [--repetitions N]
set -euo pipefail
cd "$(dirname "$0")/.."

MODEL=.local/models/gemma-3-270m-q4_k_m.gguf
THREADS=$(nproc)
REPETITIONS=5
while [[ $# -gt 0 ]]; do
    case "$1" in
        --model) MODEL=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --repetitions) REPETITIONS=$2; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
[[ -f "$MODEL" ]] || scripts/fetch-model.sh >/dev/null
PYTHON=$(bench/llama-cpp-venv.sh)

# Build first, so that compiling never overlaps a measurement. EDTRIAGE_BIN=path skips the build.
if [[ -z "${EDTRIAGE_BIN:-}" ]]; then
    swift build -c release --product edtriage >&2
    EDTRIAGE_BIN=.build/release/edtriage
fi

echo "## llama.cpp (llama-cpp-python, llama_decode)"
llama=$("$PYTHON" bench/llama_cpp_bench.py "$MODEL" "$THREADS" 512 128 "$REPETITIONS")
echo "$llama"
echo
echo "## edtriage bench model"
ours=$("$EDTRIAGE_BIN" bench model --model "$MODEL" --threads "$THREADS" --repetitions "$REPETITIONS")
echo "$ours"
echo

# Mean t/s of a test from a markdown row "| … | test | mean ± sd |".
rate() { awk -F'|' -v test="$1" '$7 ~ " "test" " { split($8, parts, "±"); print parts[1] + 0 }'; }
echo "## ratio (edtriage / llama.cpp), $THREADS threads"
for test in pp512 tg128; do
    theirs=$(rate "$test" <<<"$llama"); mine=$(rate "$test" <<<"$ours")
    awk -v t="$test" -v a="$mine" -v b="$theirs" 'BEGIN { printf "%s: %.2f vs %.2f t/s = %.2f ×\n", t, a, b, a / b }'
done
# Milliseconds of the triage-shaped prompt, cold or cached, from "… cold X ms, prefix cached Y ms …".
ms() { grep -o "$1 [0-9.]* ms" | awk '{ print $(NF - 1) }'; }
for phase in cold "prefix cached"; do
    theirs=$(ms "$phase" <<<"$llama"); mine=$(ms "$phase" <<<"$ours")
    awk -v t="triage prompt, $phase" -v a="$mine" -v b="$theirs" 'BEGIN { printf "%s: %.1f vs %.1f ms = %.2f × faster\n", t, a, b, b / a }'
done
