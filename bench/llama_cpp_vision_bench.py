"""Times llama.cpp's vision encoder: mtmd_encode_chunk of one image through an mmproj, as llama.cpp's
own tools call it (mtmd_helper_bitmap_init_from_file, mtmd_tokenize, then the image chunk's encode).

mtmd needs a text model whose embedding length equals the tower's projection (it is loaded, not run).
Prints each encode's seconds, one warm-up first, and the mean, in the same words `edtriage bench vision` uses.

usage: python bench/llama_cpp_vision_bench.py TEXT_GGUF MMPROJ_GGUF IMAGE THREADS REPETITIONS
"""
import ctypes
import sys
import time

import llama_cpp as L
from llama_cpp import mtmd_cpp as M

from llama_cpp_common import silence_logs


def main(text_model, mmproj, image, threads, repetitions):
    keep = silence_logs()
    L.llama_backend_init()
    params = L.llama_model_default_params()
    params.n_gpu_layers = 0
    model = L.llama_model_load_from_file(text_model.encode(), params)
    if not model:
        sys.exit(f"cannot load {text_model}")
    context_params = M.mtmd_context_params_default()
    context_params.use_gpu = False
    context_params.print_timings = False
    context_params.n_threads = threads
    context = M.mtmd_init_from_file(mmproj.encode(), model, context_params)
    if not context:
        sys.exit(f"mtmd_init_from_file failed for {mmproj}")
    bitmap = M.mtmd_helper_bitmap_init_from_file(context, image.encode(), False)
    if not bitmap:
        sys.exit(f"cannot read {image}")
    chunks = M.mtmd_input_chunks_init()
    prompt = M.mtmd_default_marker().decode()
    text = M.mtmd_input_text(prompt.encode(), len(prompt.encode()), True, True)
    bitmaps = (ctypes.c_void_p * 1)(bitmap)
    if M.mtmd_tokenize(context, chunks, ctypes.byref(text), bitmaps, 1) != 0:
        sys.exit("mtmd_tokenize failed")
    chunk = next(M.mtmd_input_chunks_get(chunks, i) for i in range(M.mtmd_input_chunks_size(chunks))
                 if M.mtmd_input_chunk_get_type(M.mtmd_input_chunks_get(chunks, i)) == M.MTMD_INPUT_CHUNK_TYPE_IMAGE)
    seconds = []
    for _ in range(repetitions + 1):
        start = time.perf_counter()
        if M.mtmd_encode_chunk(context, chunk) != 0:
            sys.exit("mtmd_encode_chunk failed")
        seconds.append(time.perf_counter() - start)
    measured = seconds[1:]
    print(f"llama.cpp {L.__version__} mtmd_encode_chunk, {threads} threads, flash attention "
          f"{'auto' if context_params.flash_attn_type < 0 else context_params.flash_attn_type}")
    print("encode seconds per image: " + " ".join(f"{s:.3f}" for s in measured)
          + f" (mean {sum(measured) / len(measured):.3f})")
    del keep


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]))
