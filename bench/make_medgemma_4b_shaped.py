"""Writes a GGUF shaped like MedGemma 4B in Q4_K_M, filled with random but valid blocks.

The bundled Gemma 3 270M spends its time in a 262,144 × 640 output matrix; MedGemma 4B spends
it in Q4_K/Q6_K layer matrices. This file has MedGemma 4B's text-model metadata, tensor names,
shapes and llama.cpp's Q4_K_M type choices, so both engines can be measured at real scale
without downloading 2.5 GB of weights. Its output is gibberish; only speed means anything.

- Architecture (Gemma 3 4B, as in google/medgemma-4b-it's text config): 34 layers, n_embd 2560,
  FFN 10240, 8 query heads and 4 key/value heads of 256, sliding window 1024 (every 6th layer
  global), RoPE base 10,000 local / 1,000,000 global with linear scaling 8, vocabulary 262,208.
- Types (llama.cpp's Q4_K_M rules): token_embd (tied output) Q6_K; attn_v and ffn_down Q6_K in
  the "more bits" layers (the first and last eighth and every third between), Q4_K elsewhere;
  every other matrix Q4_K; norms F32 (1.0, i.e. unit gain as Gemma stores 1 + w).
- Blocks: random bytes with finite f16 scales small enough that activations stay finite.
- Tokenizer: the bundled model's 262,144 pieces plus 64 control pieces to reach 262,208.

usage: python bench/make_medgemma_4b_shaped.py BUNDLED_GGUF OUT_GGUF
"""
import sys

import numpy as np
from gguf import GGMLQuantizationType as T, GGUFReader, GGUFWriter

LAYERS, EMBED, FFN, HEADS, KV_HEADS, HEAD_DIM, VOCAB = 34, 2560, 10240, 8, 4, 256, 262208
BLOCK_BYTES = {T.Q4_K: 144, T.Q6_K: 210}
# Offsets of the f16 scale fields inside each block, and the range their values are drawn from.
SCALES = {T.Q4_K: ((0, 2), (5e-5, 2e-4)), T.Q6_K: ((208,), (2e-6, 1e-5))}


def more_bits(layer):
    """llama.cpp's use_more_bits: the layers Q4_K_M gives Q6_K for attn_v and ffn_down."""
    return layer < LAYERS // 8 or layer >= 7 * LAYERS // 8 or (layer - LAYERS // 8) % 3 == 2


def tensors():
    """(name, rows, columns, type) in file order."""
    yield "token_embd.weight", VOCAB, EMBED, T.Q6_K
    yield "output_norm.weight", 1, EMBED, T.F32
    for i in range(LAYERS):
        p = f"blk.{i}."
        heavy = T.Q6_K if more_bits(i) else T.Q4_K
        yield p + "attn_norm.weight", 1, EMBED, T.F32
        yield p + "attn_q.weight", HEADS * HEAD_DIM, EMBED, T.Q4_K
        yield p + "attn_k.weight", KV_HEADS * HEAD_DIM, EMBED, T.Q4_K
        yield p + "attn_v.weight", KV_HEADS * HEAD_DIM, EMBED, heavy
        yield p + "attn_q_norm.weight", 1, HEAD_DIM, T.F32
        yield p + "attn_k_norm.weight", 1, HEAD_DIM, T.F32
        yield p + "attn_output.weight", EMBED, HEADS * HEAD_DIM, T.Q4_K
        yield p + "post_attention_norm.weight", 1, EMBED, T.F32
        yield p + "ffn_norm.weight", 1, EMBED, T.F32
        yield p + "ffn_gate.weight", FFN, EMBED, T.Q4_K
        yield p + "ffn_up.weight", FFN, EMBED, T.Q4_K
        yield p + "ffn_down.weight", EMBED, FFN, heavy
        yield p + "post_ffw_norm.weight", 1, EMBED, T.F32


def nbytes(rows, columns, kind):
    return rows * columns * 4 if kind == T.F32 else rows * columns // 256 * BLOCK_BYTES[kind]


def data(rows, columns, kind, rng):
    if kind == T.F32:
        return np.ones((rows, columns) if rows > 1 else columns, dtype=np.float32)
    blocks = rows * columns // 256
    raw = rng.integers(0, 256, size=(blocks, BLOCK_BYTES[kind]), dtype=np.uint8)
    offsets, (low, high) = SCALES[kind]
    for offset in offsets:
        scales = rng.uniform(low, high, size=blocks).astype(np.float16)
        raw[:, offset:offset + 2] = scales.view(np.uint8).reshape(blocks, 2)
    return raw.reshape(rows, columns // 256 * BLOCK_BYTES[kind])


def field(reader, key):
    f = reader.fields[key]
    return [f.parts[i] for i in f.data]


def main():
    bundled, out = sys.argv[1], sys.argv[2]
    reader = GGUFReader(bundled)
    pieces = [bytes(p).decode("utf-8") for p in field(reader, "tokenizer.ggml.tokens")]
    scores = [float(s[0]) for s in field(reader, "tokenizer.ggml.scores")]
    types = [int(t[0]) for t in field(reader, "tokenizer.ggml.token_type")]
    extra = VOCAB - len(pieces)
    pieces += [f"<unused_extra{i}>" for i in range(extra)]
    scores += [-1000.0] * extra
    types += [3] * extra  # control: never produced by ordinary text

    writer = GGUFWriter(out, "gemma3")
    writer.add_name("MedGemma 4B shaped (random weights)")
    writer.add_file_type(15)  # MOSTLY_Q4_K_M
    writer.add_context_length(131072)
    writer.add_embedding_length(EMBED)
    writer.add_block_count(LAYERS)
    writer.add_feed_forward_length(FFN)
    writer.add_head_count(HEADS)
    writer.add_head_count_kv(KV_HEADS)
    writer.add_key_length(HEAD_DIM)
    writer.add_value_length(HEAD_DIM)
    writer.add_layer_norm_rms_eps(1e-6)
    writer.add_rope_freq_base(1_000_000.0)
    writer.add_string("gemma3.rope.scaling.type", "linear")
    writer.add_float32("gemma3.rope.scaling.factor", 8.0)
    writer.add_sliding_window(1024)
    writer.add_tokenizer_model("llama")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(pieces)
    writer.add_token_scores(scores)
    writer.add_token_types(types)
    writer.add_bos_token_id(2)
    writer.add_eos_token_id(1)
    writer.add_unk_token_id(3)
    writer.add_pad_token_id(0)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(False)
    writer.add_uint32("general.quantization_version", 2)

    layout = list(tensors())
    for name, rows, columns, kind in layout:
        shape = (columns,) if rows == 1 else (rows, columns if kind == T.F32 else columns // 256 * BLOCK_BYTES[kind])
        dtype = np.float32 if kind == T.F32 else np.uint8
        writer.add_tensor_info(name, shape, np.dtype(dtype), nbytes(rows, columns, kind),
                               raw_dtype=None if kind == T.F32 else kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    rng = np.random.default_rng(4)
    for name, rows, columns, kind in layout:
        writer.write_tensor_data(data(rows, columns, kind, rng))
    writer.close()


if __name__ == "__main__":
    main()
