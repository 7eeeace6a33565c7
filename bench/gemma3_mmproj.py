"""Random-weight Gemma 3 vision towers (mmproj GGUF) in llama.cpp's layout, for the test fixtures
(scripts/make-vision-fixtures.py) and the benchmarks (bench/make_so400m_mmproj.py).

Keys and tensor names as llama.cpp's converter writes them (conversion/gemma.py): a SigLIP-style ViT
(`v.*`) and the Gemma 3 projector (`mm.*`). GGML shapes are the NumPy shapes reversed: e.g.
v.patch_embd.weight (W, 3, 14, 14) is GGML [14, 14, 3, W].
"""
import math
from typing import NamedTuple

import gguf
import numpy as np

F16, F32 = gguf.GGMLQuantizationType.F16, gguf.GGMLQuantizationType.F32


class TowerShape(NamedTuple):
    image_size: int
    patch: int
    width: int
    feed_forward: int
    blocks: int
    heads: int
    projection: int
    eps: float = 1e-6

    @property
    def n_patches(self):
        return (self.image_size // self.patch) ** 2


def bfloat16_values(array):
    """float32 values rounded to the nearest bfloat16 (ties to even), still as float32."""
    bits = np.ascontiguousarray(array, dtype=np.float32).view(np.uint32)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).astype(np.uint32).view(np.float32)


def tower_tensors(rng, shape, released_in_bf16=False):
    """(name, array, type) in file order, one tensor at a time; F16 arrays are already rounded, as
    llama.cpp sees them. `released_in_bf16`: the F16 matrices hold bfloat16 values, as an F16 mmproj
    converted from a bfloat16 checkpoint (MedGemma's) does."""
    s = shape

    def normal(dims, std):
        return (rng.standard_normal(dims) * std).astype(np.float32)

    def linear(n_out, n_in):
        weights = normal((n_out, n_in), 1 / math.sqrt(n_in))
        return (bfloat16_values(weights) if released_in_bf16 else weights).astype(np.float16)

    patches = normal((s.width, 3, s.patch, s.patch), 1 / math.sqrt(3 * s.patch * s.patch))
    yield "v.patch_embd.weight", (bfloat16_values(patches) if released_in_bf16 else patches).astype(np.float16), F16
    yield "v.patch_embd.bias", normal((s.width,), 0.1), F32
    yield "v.position_embd.weight", normal((s.n_patches, s.width), 0.5), F32
    for block in range(s.blocks):
        p = f"v.blk.{block}."
        for norm in ("ln1", "ln2"):
            yield p + norm + ".weight", 1 + normal((s.width,), 0.1), F32
            yield p + norm + ".bias", normal((s.width,), 0.1), F32
        for proj in ("attn_q", "attn_k", "attn_v", "attn_out"):
            yield p + proj + ".weight", linear(s.width, s.width), F16
            yield p + proj + ".bias", normal((s.width,), 0.1), F32
        yield p + "ffn_up.weight", linear(s.feed_forward, s.width), F16
        yield p + "ffn_up.bias", normal((s.feed_forward,), 0.1), F32
        yield p + "ffn_down.weight", linear(s.width, s.feed_forward), F16
        yield p + "ffn_down.bias", normal((s.width,), 0.1), F32
    yield "v.post_ln.weight", 1 + normal((s.width,), 0.1), F32
    yield "v.post_ln.bias", normal((s.width,), 0.1), F32
    # stored as llama.cpp uses it: the converter already folded Gemma's (1 + w) into the file
    yield "mm.soft_emb_norm.weight", 1 + normal((s.width,), 0.1), F32
    # GGML [projection, W]: llama.cpp multiplies by its transpose (models/siglip.cpp)
    yield "mm.input_projection.weight", linear(s.projection, s.width).T.copy(), F16


def write_tower(path, shape, title, tensors):
    """Writes the tower; `tensors()` returns (name, array, type) in file order, and is called twice (the
    header needs every shape before the data), so large towers never sit in memory whole."""
    writer = gguf.GGUFWriter(str(path), "clip")
    writer.add_name(title)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    writer.add_string("clip.projector_type", "gemma3")
    writer.add_bool("clip.has_vision_encoder", True)
    writer.add_bool("clip.use_gelu", True)  # as conversion/gemma.py writes: tanh GELU, not quick GELU
    writer.add_uint32("clip.vision.image_size", shape.image_size)
    writer.add_uint32("clip.vision.patch_size", shape.patch)
    writer.add_uint32("clip.vision.embedding_length", shape.width)
    writer.add_uint32("clip.vision.feed_forward_length", shape.feed_forward)
    writer.add_uint32("clip.vision.block_count", shape.blocks)
    writer.add_uint32("clip.vision.attention.head_count", shape.heads)
    writer.add_float32("clip.vision.attention.layer_norm_epsilon", shape.eps)
    writer.add_uint32("clip.vision.projection_dim", shape.projection)
    writer.add_array("clip.vision.image_mean", [0.5, 0.5, 0.5])
    writer.add_array("clip.vision.image_std", [0.5, 0.5, 0.5])
    for name, array, kind in tensors():
        writer.add_tensor_info(name, array.shape, array.dtype, array.nbytes, raw_dtype=kind)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    for _, array, _ in tensors():
        writer.write_tensor_data(array)
    writer.close()
