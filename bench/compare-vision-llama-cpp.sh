#!/usr/bin/env bash
# Same-run comparison of the vision encoder with llama.cpp: one image through a SigLIP-So400m-shaped
# random mmproj (MedGemma's vision tower: 896 px, 27 blocks of 1,152, F16) by llama.cpp 0.3.36's
# mtmd_encode_chunk, then by `edtriage bench vision`, same file, image and thread count; then the ratio.
# A benchmark, not part of CI. llama-cpp-python comes from bench/llama-cpp-venv.sh; mtmd also needs a
# text model of width 2,560, the MedGemma-4B-shaped file bench/make_medgemma_4b_shaped.py writes.
#
# --weights from-bf16 (default): the F16 matrices hold bfloat16 values, as MedGemma's F16 mmproj holds its
# bfloat16 release, so our encoder multiplies in bfloat16 where the CPU can; --weights f16: random F16
# values, which keep it on float products.
#
# usage: bench/compare-vision-llama-cpp.sh [--weights from-bf16|f16 | --mmproj PATH] [--image PATH] [--threads N]
#                                          [--repetitions N]
set -euo pipefail
cd "$(dirname "$0")/.."

WEIGHTS=from-bf16
MMPROJ=
TEXT=.local/models/medgemma-4b-shaped-q4_k_m.gguf
IMAGE=Tests/GemmaEngineTests/Fixtures/vision/large-300x200.png
THREADS=$(nproc)
REPETITIONS=2
while [[ $# -gt 0 ]]; do
    case "$1" in
        --weights) WEIGHTS=$2; shift 2 ;;
        --mmproj) MMPROJ=$2; shift 2 ;;
        --image) IMAGE=$2; shift 2 ;;
        --threads) THREADS=$2; shift 2 ;;
        --repetitions) REPETITIONS=$2; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done
PYTHON=$(bench/llama-cpp-venv.sh)
"$PYTHON" -c "import gguf, numpy" 2>/dev/null || "$PYTHON" -m pip install --quiet gguf numpy >&2
mkdir -p .local/bench
case "$WEIGHTS" in
    from-bf16) WRITER_FLAGS=(--from-bf16) ;;
    f16) WRITER_FLAGS=() ;;
    *) echo "--weights is from-bf16 or f16, not $WEIGHTS" >&2; exit 2 ;;
esac
if [[ -z "$MMPROJ" ]]; then
    MMPROJ=.local/bench/so400m-shaped-mmproj-$WEIGHTS.gguf
    [[ -f "$MMPROJ" ]] || { echo "writing $MMPROJ…" >&2; "$PYTHON" bench/make_so400m_mmproj.py "${WRITER_FLAGS[@]}" "$MMPROJ"; }
fi
if [[ ! -f "$TEXT" ]]; then
    [[ -f .local/models/gemma-3-270m-q4_k_m.gguf ]] || scripts/fetch-model.sh >/dev/null
    echo "writing $TEXT…" >&2
    "$PYTHON" bench/make_medgemma_4b_shaped.py .local/models/gemma-3-270m-q4_k_m.gguf "$TEXT"
fi

# Build first, so that compiling never overlaps a measurement. EDTRIAGE_BIN=path skips the build.
if [[ -z "${EDTRIAGE_BIN:-}" ]]; then
    swift build -c release --product edtriage >&2
    EDTRIAGE_BIN=.build/release/edtriage
fi

echo "## llama.cpp (llama-cpp-python, mtmd_encode_chunk)"
llama=$(cd bench && "$PYTHON" llama_cpp_vision_bench.py "../$TEXT" "../$MMPROJ" "../$IMAGE" "$THREADS" "$REPETITIONS" 2>../.local/bench/mtmd.log)
echo "$llama"
echo
echo "## edtriage bench vision"
ours=$("$EDTRIAGE_BIN" bench vision --mmproj "$MMPROJ" --image "$IMAGE" --threads "$THREADS" --repetitions "$REPETITIONS")
echo "$ours"
echo
mean() { grep -o "(mean [0-9.]*)" | tr -d '()' | awk '{ print $2 }'; }
theirs=$(mean <<<"$llama"); mine=$(mean <<<"$ours")
awk -v a="$mine" -v b="$theirs" -v t="$THREADS" \
    'BEGIN { printf "## ratio, %d threads: %.2f s vs %.2f s per image = %.2f × as fast as llama.cpp\n", t, a, b, b / a }'
