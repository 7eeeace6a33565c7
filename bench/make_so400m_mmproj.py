"""Writes a Gemma 3 mmproj GGUF shaped like MedGemma's vision tower (SigLIP So400m), F16, random weights.

MedGemma 4B's mmproj: 896 px images in 14 px patches (64 × 64 = 4,096 patches), 27 pre-norm ViT blocks
of width 1,152 with 16 heads and an MLP of 4,304, 4 × 4 average pooling to 256 tokens, projected to the
text model's 2,560. Same keys and tensor names as llama.cpp's converter writes (conversion/gemma.py), so
both engines load it; its outputs are meaningless, only speed counts. About 0.8 GB.

usage: python bench/make_so400m_mmproj.py OUT_GGUF
"""
import math
import sys

import gguf
import numpy as np

IMAGE_SIZE, PATCH, WIDTH, FF, BLOCKS, HEADS, PROJECTION, EPS = 896, 14, 1152, 4304, 27, 16, 2560, 1e-6
N_PATCHES = (IMAGE_SIZE // PATCH) ** 2


def tensors(rng):
    """(name, float array in NumPy order, stored as F16) one at a time, so memory stays at one tensor."""
    def normal(shape, std):
        return (rng.standard_normal(shape, dtype=np.float32) * std)

    def linear(n_out, n_in):
        return normal((n_out, n_in), 1 / math.sqrt(n_in)).astype(np.float16)

    yield "v.patch_embd.weight", normal((WIDTH, 3, PATCH, PATCH), 1 / math.sqrt(3 * PATCH * PATCH)).astype(np.float16)
    yield "v.patch_embd.bias", normal((WIDTH,), 0.1)
    yield "v.position_embd.weight", normal((N_PATCHES, WIDTH), 0.5)
    for block in range(BLOCKS):
        p = f"v.blk.{block}."
        for norm in ("ln1", "ln2"):
            yield p + norm + ".weight", 1 + normal((WIDTH,), 0.1)
            yield p + norm + ".bias", normal((WIDTH,), 0.1)
        for proj in ("attn_q", "attn_k", "attn_v", "attn_out"):
            yield p + proj + ".weight", linear(WIDTH, WIDTH)
            yield p + proj + ".bias", normal((WIDTH,), 0.1)
        yield p + "ffn_up.weight", linear(FF, WIDTH)
        yield p + "ffn_up.bias", normal((FF,), 0.1)
        yield p + "ffn_down.weight", linear(WIDTH, FF)
        yield p + "ffn_down.bias", normal((WIDTH,), 0.1)
    yield "v.post_ln.weight", 1 + normal((WIDTH,), 0.1)
    yield "v.post_ln.bias", normal((WIDTH,), 0.1)
    yield "mm.soft_emb_norm.weight", 1 + normal((WIDTH,), 0.1)
    yield "mm.input_projection.weight", linear(PROJECTION, WIDTH).T.copy()


def main(out):
    writer = gguf.GGUFWriter(out, "clip")
    writer.add_name("So400m-shaped random Gemma 3 vision tower (benchmark)")
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    writer.add_string("clip.projector_type", "gemma3")
    writer.add_bool("clip.has_vision_encoder", True)
    writer.add_bool("clip.use_gelu", True)
    writer.add_uint32("clip.vision.image_size", IMAGE_SIZE)
    writer.add_uint32("clip.vision.patch_size", PATCH)
    writer.add_uint32("clip.vision.embedding_length", WIDTH)
    writer.add_uint32("clip.vision.feed_forward_length", FF)
    writer.add_uint32("clip.vision.block_count", BLOCKS)
    writer.add_uint32("clip.vision.attention.head_count", HEADS)
    writer.add_float32("clip.vision.attention.layer_norm_epsilon", EPS)
    writer.add_uint32("clip.vision.projection_dim", PROJECTION)
    writer.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
    writer.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])
    rng = np.random.default_rng(896)
    # Shapes first (the header needs them), then the data tensor by tensor.
    shapes = [(name, array.shape, array.dtype) for name, array in tensors(np.random.default_rng(0))]
    for name, shape, dtype in shapes:
        raw_dtype = gguf.GGMLQuantizationType.F16 if dtype == np.float16 else gguf.GGMLQuantizationType.F32
        writer.add_tensor_info(name, shape, dtype, int(np.prod(shape)) * np.dtype(dtype).itemsize, raw_dtype=raw_dtype)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for _, array in tensors(rng):
        writer.write_tensor_data(array)
    writer.close()


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
