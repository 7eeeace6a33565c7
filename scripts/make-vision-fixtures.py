#!/usr/bin/env python3
"""Writes the llama.cpp vision fixtures of Tests/GemmaEngineTests/Fixtures/vision.

What it makes, in that folder:
  tiny-mmproj-f16.gguf   a random-weight Gemma 3 vision tower (SigLIP-style ViT + Gemma 3
                         projector, "clip.projector_type" = "gemma3") small enough to commit,
                         written with gguf-py and loadable by llama.cpp's libmtmd
  *.png, *.jpg           small deterministic test images (square, wide, tall JPEG)
  <image>.embd.f32       llama.cpp's image embeddings for each image: little-endian float32,
                         row-major n_tokens x 640 (the 270M text model's embedding width)
  <image>.rgb            the RGB bytes llama.cpp's own decoder (stb_image) produced, row-major
                         height x width x 3 (decoders can disagree on JPEG)
  <image>.letterboxed.rgb  the 112 x 112 RGB image llama.cpp's preprocessing makes of it (row-major,
                         3 bytes per pixel); llama.cpp gives bit-identical embeddings for it
  <image>.stages.f32     for the square image only: llama.cpp's ViT activations after the
                         patch embedding, after each block and after the post-LN (64 x 64 each)
  vision-fixtures.json   manifest: geometry, prompts, chunk layout, text-chunk token ids,
                         embedding statistics and the top-40 next-token logits after a chat
                         prompt containing the image (and the same prompt without the image)
  tiny-mmproj-from-bf16.gguf  the same tower with its F16 matrices holding bfloat16 values, as an
                         F16 mmproj converted from a bfloat16 release (MedGemma's) does, with
                         <image>.from-bf16.embd.f32 and the manifest's "from_bf16" section
                         (llama.cpp's embeddings and top-40 logits for each image)

Why: the Swift vision encoder and the image path of the text model are checked against
llama.cpp (llama-cpp-python 0.3.36 and its libmtmd) without needing Python at test time.
Everything runs on the CPU with 2 threads; llama.cpp's own image decoder and preprocessing
are used (mtmd_helper_bitmap_init_from_file). The script also cross-checks its understanding
of llama.cpp against an independent float32 NumPy implementation of the tower and prints the
differences (they are recorded in the manifest, to size the Swift tests' tolerances).

Regenerate (from the repository root; needs the 270M model, see scripts/fetch-model.sh):

    .local/bench-venv/bin/pip install gguf pillow numpy
    .local/bench-venv/bin/python scripts/make-vision-fixtures.py [--only-from-bf16]

--only-from-bf16 writes the bfloat16-release tower and its records alone, keeping the other fixtures.
"""
import ctypes
import hashlib
import json
import math
import pathlib
import sys

import numpy as np
from PIL import Image

import llama_cpp as L
from llama_cpp import mtmd_cpp as M

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from llama_cpp_common import silence_logs  # noqa: E402
from gemma3_mmproj import TowerShape, tower_tensors, write_tower  # noqa: E402

OUT = ROOT / "Tests" / "GemmaEngineTests" / "Fixtures" / "vision"
TEXT_MODEL = ROOT / ".local" / "models" / "gemma-3-270m-q4_k_m.gguf"
MMPROJ = OUT / "tiny-mmproj-f16.gguf"
MMPROJ_FROM_BF16 = OUT / "tiny-mmproj-from-bf16.gguf"
MANIFEST = OUT / "vision-fixtures.json"
SEED = 20261202

# Tower shape. llama.cpp's gemma3 path average-pools the patch grid by 4 per side (n_merge,
# clip.cpp load_hparams) and needs a square grid, so image_size must be a multiple of 14*4 = 56:
# 112 px -> 8x8 patches -> 2x2 = 4 image tokens.
IMAGE_SIZE, PATCH, WIDTH, FF, BLOCKS, HEADS, EPS, MERGE = 112, 14, 64, 128, 2, 4, 1e-6, 4
PROJECTION = 640  # the 270M text model's embedding length
N_PATCHES = (IMAGE_SIZE // PATCH) ** 2
N_TOKENS = (IMAGE_SIZE // PATCH // MERGE) ** 2
SHAPE = TowerShape(IMAGE_SIZE, PATCH, WIDTH, FF, BLOCKS, HEADS, PROJECTION, EPS)

THREADS = 2
N_CTX = 512
TOP = 40
PROMPT = "<start_of_turn>user\n{marker}Describe the image.<end_of_turn>\n<start_of_turn>model\n"
# ViT tensors saved for one image, by their names in llama.cpp's graph (clip.cpp build_vit):
# each is n_patches x WIDTH, patches in row-major grid order
STAGES = {
    "pos_embed": "patch embeddings: conv + v.patch_embd.bias + v.position_embd.weight",
    "layer_out-0": "residual stream after block 0",
    "layer_out-1": "residual stream after block 1",
    "norm_b": "after v.post_ln (input of the 4x4 average pool)",
}
STAGE_IMAGE = "square-40x40.png"


# ---------------------------------------------------------------------------------------------
# the tiny mmproj


def tower_weights(rng, released_in_bf16=False):
    """name -> (array, GGUF type): the tower's tensors in file order (bench/gemma3_mmproj.py)."""
    return {name: (array, kind) for name, array, kind in tower_tensors(rng, SHAPE, released_in_bf16)}


def write_mmproj(weights, path=MMPROJ):
    write_tower(path, SHAPE, "tiny random Gemma 3 vision tower (test fixture)",
                lambda: ((name, array, kind) for name, (array, kind) in weights.items()))


# ---------------------------------------------------------------------------------------------
# test images


def make_images():
    """Writes four small deterministic images; returns their file names."""
    def square():  # colour gradients, a checkerboard in blue and a white diagonal
        y, x = np.mgrid[0:40, 0:40]
        rgb = np.stack([x * 255 // 39, y * 255 // 39, np.where((x // 5 + y // 5) % 2, 230, 30)], -1)
        rgb[np.abs(x - y) <= 1] = 255
        return rgb

    def wide():  # 60x30: horizontal rainbow-ish bands over a vertical ramp, and a dark disc
        y, x = np.mgrid[0:30, 0:60]
        rgb = np.stack([(np.sin(x / 6) * 0.5 + 0.5) * 255, y * 255 // 29, (np.cos(x / 9) * 0.5 + 0.5) * 255], -1)
        rgb[(x - 40) ** 2 + (y - 14) ** 2 < 64] = (20, 20, 60)
        return rgb

    def tall():  # 30x45: concentric rings (JPEG-friendly smooth content)
        y, x = np.mgrid[0:45, 0:30]
        r = np.hypot(x - 15, y - 22)
        rgb = np.stack([128 + 127 * np.cos(r / 2), 255 - y * 255 // 44, x * 255 // 29], -1)
        return rgb

    def large():  # 300x200, larger than the tower's square: the resample shrinks it (antialiasing)
        y, x = np.mgrid[0:200, 0:300]
        rgb = np.stack([(x * 7 + y * 3) % 256, np.where((x // 3 + y // 3) % 2, 240, 15), (x ^ y) % 256], -1)
        return rgb

    images = [("square-40x40.png", square()), ("wide-60x30.png", wide()), ("tall-30x45.jpg", tall()),
              ("large-300x200.png", large())]
    for name, rgb in images:
        image = Image.fromarray(np.clip(rgb, 0, 255).astype(np.uint8), "RGB")
        if name.endswith(".jpg"):
            image.save(OUT / name, quality=90, subsampling=0)  # 4:4:4, baseline
        else:
            image.save(OUT / name, optimize=True)
    # The square again as lossless WebP, for the decoder tests only (llama.cpp's stb_image reads no WebP).
    Image.fromarray(np.clip(square(), 0, 255).astype(np.uint8), "RGB").save(OUT / "square-40x40.webp", lossless=True)
    return [name for name, _ in images]


# ---------------------------------------------------------------------------------------------
# independent float32 reference of what llama.cpp computes (used only as a cross-check)


def letterbox(rgb):
    """llama.cpp's gemma3 preprocessing (mtmd-image.cpp img_tool::resize, PAD_CEIL): aspect-
    preserving Pillow-style bilinear resize into IMAGE_SIZE^2, centred, black padding. The size
    arithmetic is float32 as in the C++ code."""
    h, w = rgb.shape[:2]
    target = np.float32(IMAGE_SIZE)
    scale = min(target / np.float32(w), target / np.float32(h))
    new_w = min(math.ceil(np.float32(w) * scale), IMAGE_SIZE)
    new_h = min(math.ceil(np.float32(h) * scale), IMAGE_SIZE)
    out = np.zeros((IMAGE_SIZE, IMAGE_SIZE, 3), np.uint8)
    if (new_w, new_h) == (w, h):
        resized = rgb
    else:
        resized = np.asarray(Image.fromarray(rgb).resize((new_w, new_h), Image.BILINEAR))
    ox, oy = (IMAGE_SIZE - new_w) // 2, (IMAGE_SIZE - new_h) // 2
    out[oy:oy + new_h, ox:ox + new_w] = resized
    return out, {"resized_width": new_w, "resized_height": new_h, "offset_x": ox, "offset_y": oy}


class ReferenceTower:
    """The tower in NumPy float32, stage by stage. emulate_ggml also rounds what llama.cpp's x86
    CPU backend rounds to half precision: pixels (the im2col of the patch conv is F16), the
    activations entering every matmul with an F16 weight (converted to the weight's type before
    the dot products), and the FFN GELU (looked up in an F16 table)."""

    def __init__(self, weights, emulate_ggml=False):
        self.w = {name: array.astype(np.float32) for name, (array, _) in weights.items()}
        self.half = (lambda a: a.astype(np.float16).astype(np.float32)) if emulate_ggml else (lambda a: a)

    def linear(self, x, name):
        return self.half(x) @ self.w[name + ".weight"].T + self.w[name + ".bias"]

    def layer_norm(self, x, name):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + EPS) * self.w[name + ".weight"] + self.w[name + ".bias"]

    def gelu(self, x):  # tanh approximation (ggml_gelu)
        x = self.half(x)
        return self.half(0.5 * x * (1 + np.tanh(0.7978845608028654 * x * (1 + 0.044715 * x * x))))

    def embed(self, square_rgb):
        """"pos_embed": n_patches x WIDTH, patches row-major over the grid."""
        pixels = (square_rgb.astype(np.float32) / 255 - 0.5) / 0.5     # (H, W, 3)
        grid = IMAGE_SIZE // PATCH
        patches = self.half(pixels).reshape(grid, PATCH, grid, PATCH, 3).transpose(0, 2, 4, 1, 3)
        patches = patches.reshape(grid * grid, 3 * PATCH * PATCH)      # (c, ky, kx) per patch
        x = patches @ self.w["v.patch_embd.weight"].reshape(WIDTH, -1).T + self.w["v.patch_embd.bias"]
        return x + self.w["v.position_embd.weight"]

    def block(self, x, index):
        """"layer_out-N": pre-norm block, bidirectional attention."""
        p, d_head = f"v.blk.{index}.", WIDTH // HEADS
        h = self.layer_norm(x, p + "ln1")
        q, k, v = (self.linear(h, p + n).reshape(-1, HEADS, d_head).transpose(1, 0, 2)
                   for n in ("attn_q", "attn_k", "attn_v"))
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(d_head)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        attn = (scores / scores.sum(-1, keepdims=True)) @ v
        x = x + self.linear(attn.transpose(1, 0, 2).reshape(-1, WIDTH), p + "attn_out")
        h = self.layer_norm(x, p + "ln2")
        return x + self.linear(self.gelu(self.linear(h, p + "ffn_up")), p + "ffn_down")

    def post_ln(self, x):
        """"norm_b"."""
        return self.layer_norm(x, "v.post_ln")

    def project(self, x):
        """4x4 average pool over the patch grid (tokens row-major), RMS norm, projection."""
        grid = IMAGE_SIZE // PATCH
        pooled = x.reshape(grid // MERGE, MERGE, grid // MERGE, MERGE, WIDTH).mean((1, 3)).reshape(-1, WIDTH)
        normed = pooled / np.sqrt((pooled ** 2).mean(-1, keepdims=True) + EPS) * self.w["mm.soft_emb_norm.weight"]
        return self.half(normed) @ self.w["mm.input_projection.weight"]

    def __call__(self, square_rgb):
        x = self.embed(square_rgb)
        for index in range(BLOCKS):
            x = self.block(x, index)
        return self.project(self.post_ln(x))


def max_gap(a, b):
    return float(np.abs(a - b).max())


def stage_checks(weights, boxed, tensors, embd):
    """Each stage recomputed in NumPy from llama.cpp's own input to it: max |Δ| per stage."""
    checks = {}
    for mode, tower in (("float32", ReferenceTower(weights)), ("ggml_rounding_emulated", ReferenceTower(weights, True))):
        checks[mode] = {
            "pos_embed": max_gap(tower.embed(boxed), tensors["pos_embed"]),
            "layer_out-0": max_gap(tower.block(tensors["pos_embed"], 0), tensors["layer_out-0"]),
            "layer_out-1": max_gap(tower.block(tensors["layer_out-0"], 1), tensors["layer_out-1"]),
            "norm_b": max_gap(tower.post_ln(tensors["layer_out-1"]), tensors["norm_b"]),
            "embeddings": max_gap(tower.project(tensors["norm_b"]), embd),
        }
    return checks


# ---------------------------------------------------------------------------------------------
# llama.cpp


class StageCapture:
    """A ggml_backend_sched_eval_callback keeping float32 copies of the STAGES tensors of the
    last encode (llama.cpp asks with ask=true which nodes we want, then hands them over)."""

    def __init__(self):
        ggml = ctypes.CDLL(str(pathlib.Path(L.__file__).parent / "lib" / "libggml-base.so"))
        self.name = ggml.ggml_get_name
        self.name.restype, self.name.argtypes = ctypes.c_char_p, [ctypes.c_void_p]
        self.nbytes = ggml.ggml_nbytes
        self.nbytes.restype, self.nbytes.argtypes = ctypes.c_size_t, [ctypes.c_void_p]
        self.nelements = ggml.ggml_nelements
        self.nelements.restype, self.nelements.argtypes = ctypes.c_int64, [ctypes.c_void_p]
        self.get = ggml.ggml_backend_tensor_get
        self.get.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t]
        self.tensors = {}
        self.callback = L.ggml_backend_sched_eval_callback(self.observe)

    def observe(self, tensor, ask, _):
        name = self.name(tensor).decode()
        if ask:
            return name in STAGES
        n = self.nelements(tensor)
        assert self.nbytes(tensor) == 4 * n, f"{name} is not contiguous float32"
        values = np.empty(n, np.float32)
        self.get(tensor, values.ctypes.data, 0, 4 * n)
        self.tensors[name] = values.reshape(-1, WIDTH)
        return True


def mtmd_context(model, flash_attn_type, capture=None, mmproj=MMPROJ):
    params = M.mtmd_context_params_default()
    if capture is not None:
        params.cb_eval = capture.callback
    params.use_gpu = False
    params.print_timings = False
    params.n_threads = THREADS
    params.flash_attn_type = flash_attn_type
    context = M.mtmd_init_from_file(str(mmproj).encode(), model, params)
    if not context:
        sys.exit("mtmd_init_from_file failed")
    return context


def tokenize(context, bitmap, prompt):
    """mtmd_tokenize with BOS and special-token parsing (bitmap None: text only); returns the chunks."""
    chunks = M.mtmd_input_chunks_init()
    text = M.mtmd_input_text(prompt.encode(), len(prompt.encode()), True, True)
    bitmaps = (ctypes.c_void_p * 1)(bitmap)
    if M.mtmd_tokenize(context, chunks, ctypes.byref(text), bitmaps, 0 if bitmap is None else 1) != 0:
        sys.exit("mtmd_tokenize failed")
    return chunks


def image_chunk(chunks):
    for i in range(M.mtmd_input_chunks_size(chunks)):
        chunk = M.mtmd_input_chunks_get(chunks, i)
        if M.mtmd_input_chunk_get_type(chunk) == M.MTMD_INPUT_CHUNK_TYPE_IMAGE:
            return chunk
    sys.exit("no image chunk")


def encode(context, chunks):
    """mtmd_encode_chunk + mtmd_get_output_embd of the (only) image chunk -> n_tokens x n_embd."""
    chunk = image_chunk(chunks)
    n_tokens = M.mtmd_input_chunk_get_n_tokens(chunk)
    if M.mtmd_encode_chunk(context, chunk) != 0:
        sys.exit("mtmd_encode_chunk failed")
    embd = M.mtmd_get_output_embd(context)
    return np.ctypeslib.as_array(embd, shape=(n_tokens * PROJECTION,)).reshape(n_tokens, PROJECTION).copy()


def layout(context, chunks, vocab):
    """The chunk list as JSON: text chunks with token ids and pieces, image chunks with their
    token count and decoder positions."""
    described, position = [], 0
    for i in range(M.mtmd_input_chunks_size(chunks)):
        chunk = M.mtmd_input_chunks_get(chunks, i)
        n_pos = M.mtmd_input_chunk_get_n_pos(chunk)
        if M.mtmd_input_chunk_get_type(chunk) == M.MTMD_INPUT_CHUNK_TYPE_TEXT:
            count = ctypes.c_size_t()
            ids = M.mtmd_input_chunk_get_tokens_text(chunk, ctypes.byref(count))
            ids = [ids[j] for j in range(count.value)]
            described.append({"type": "text", "token_ids": ids, "pieces": [piece(vocab, t) for t in ids],
                              "first_position": position, "n_pos": n_pos})
        else:
            tokens = M.mtmd_input_chunk_get_tokens_image(chunk)
            n_tokens = M.mtmd_image_tokens_get_n_tokens(tokens)
            positions = [M.mtmd_image_tokens_get_decoder_pos(tokens, position, j).t for j in range(n_tokens)]
            described.append({"type": "image", "n_tokens": n_tokens, "first_position": position, "n_pos": n_pos,
                              "decoder_positions": positions,
                              "non_causal_attention": bool(M.mtmd_decode_use_non_causal(context, chunk))})
        position += n_pos
    return described


def piece(vocab, token):
    buffer = ctypes.create_string_buffer(64)
    n = L.llama_token_to_piece(vocab, token, buffer, len(buffer), 0, True)
    return buffer.raw[:max(n, 0)].decode("utf-8", errors="replace")


def next_token_logits(model, context, chunks, n_vocab):
    """Evaluates the chunks with mtmd_helper_eval_chunks in a fresh llama context; logits of
    the last prompt token and the position count."""
    params = L.llama_context_default_params()
    params.n_ctx = params.n_batch = params.n_ubatch = N_CTX
    params.n_threads = params.n_threads_batch = THREADS
    params.flash_attn_type = L.LLAMA_FLASH_ATTN_TYPE_DISABLED
    lctx = L.llama_init_from_model(model, params)
    n_past = L.llama_pos(0)
    if M.mtmd_helper_eval_chunks(context, lctx, chunks, 0, 0, N_CTX, True, ctypes.byref(n_past)) != 0:
        sys.exit("mtmd_helper_eval_chunks failed")
    logits = np.ctypeslib.as_array(L.llama_get_logits_ith(lctx, -1), shape=(n_vocab,)).copy()
    L.llama_free(lctx)
    return logits, n_past.value


def stats(array):
    return {"mean": float(array.mean()), "std": float(array.std()), "min": float(array.min()), "max": float(array.max())}


def from_bf16_records(model, n_vocab, names, prompt):
    """Writes the bfloat16-release tower (same draws, F16 matrices holding bfloat16 values) and, for each
    image, llama.cpp's embeddings and next-token logits through it; returns the manifest section."""
    write_mmproj(tower_weights(np.random.default_rng(SEED), released_in_bf16=True), MMPROJ_FROM_BF16)
    context = mtmd_context(model, L.LLAMA_FLASH_ATTN_TYPE_DISABLED, mmproj=MMPROJ_FROM_BF16)
    records = []
    for name in names:
        bitmap = M.mtmd_helper_bitmap_init_from_file(context, str(OUT / name).encode(), False)
        if not bitmap:
            sys.exit(f"cannot decode {name}")
        chunks = tokenize(context, bitmap, prompt)
        embd = encode(context, chunks)
        assert embd.shape == (N_TOKENS, PROJECTION) and np.isfinite(embd).all()
        (OUT / f"{name}.from-bf16.embd.f32").write_bytes(embd.astype("<f4").tobytes())
        logits, _ = next_token_logits(model, context, chunks, n_vocab)
        top = np.argsort(-logits, kind="stable")[:TOP]
        records.append({"file": name, "embeddings_file": f"{name}.from-bf16.embd.f32", "embedding_stats": stats(embd),
                        "argmax": int(top[0]), "top40": [[int(t), float(logits[t])] for t in top]})
        M.mtmd_input_chunks_free(chunks)
        M.mtmd_bitmap_free(bitmap)
    M.mtmd_free(context)
    return {"file": MMPROJ_FROM_BF16.name, "seed": SEED, "images": records}


def load_text_model():
    L.llama_backend_init()
    quiet = silence_logs()
    M.mtmd_log_set(quiet, None)
    M.mtmd_helper_log_set(quiet, None)
    model_params = L.llama_model_default_params()
    model_params.n_gpu_layers = 0
    model = L.llama_model_load_from_file(str(TEXT_MODEL).encode(), model_params)
    if not model:
        sys.exit(f"cannot load {TEXT_MODEL}")
    return model, quiet  # the log callback is kept alive with the model: llama.cpp calls it later


def only_from_bf16():
    manifest = json.loads(MANIFEST.read_text())
    model, _quiet = load_text_model()
    n_vocab = L.llama_vocab_n_tokens(L.llama_model_get_vocab(model))
    manifest["from_bf16"] = from_bf16_records(model, n_vocab, [r["file"] for r in manifest["images"]],
                                              manifest["images"][0]["prompt"])
    MANIFEST.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")
    L.llama_model_free(model)
    for r in manifest["from_bf16"]["images"]:
        print(f"{r['file']} (from bf16): argmax {r['argmax']}, embeddings std {r['embedding_stats']['std']:.4f}")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    weights = tower_weights(rng)
    write_mmproj(weights)
    names = make_images()

    model, _quiet = load_text_model()
    vocab = L.llama_model_get_vocab(model)
    n_vocab = L.llama_vocab_n_tokens(vocab)
    context = mtmd_context(model, L.LLAMA_FLASH_ATTN_TYPE_DISABLED)
    context_default = mtmd_context(model, L.LLAMA_FLASH_ATTN_TYPE_AUTO)  # llama.cpp's default, for comparison
    capture = StageCapture()
    context_capture = mtmd_context(model, L.LLAMA_FLASH_ATTN_TYPE_DISABLED, capture)
    marker = M.mtmd_default_marker().decode()
    prompt = PROMPT.format(marker=marker)

    records = []
    for name in names:
        path = OUT / name
        bitmap = M.mtmd_helper_bitmap_init_from_file(context, str(path).encode(), False)
        if not bitmap:
            sys.exit(f"cannot decode {path}")
        width, height = M.mtmd_bitmap_get_nx(bitmap), M.mtmd_bitmap_get_ny(bitmap)
        decoded = np.ctypeslib.as_array(M.mtmd_bitmap_get_data(bitmap), shape=(height * width * 3,))
        decoded = decoded.reshape(height, width, 3).copy()
        pillow = np.asarray(Image.open(path).convert("RGB"))
        decoder_gap = int(np.abs(decoded.astype(int) - pillow.astype(int)).max())
        (OUT / f"{name}.rgb").write_bytes(decoded.tobytes())

        chunks = tokenize(context, bitmap, prompt)
        embd = encode(context, chunks)
        assert embd.shape == (N_TOKENS, PROJECTION) and np.isfinite(embd).all()
        (OUT / f"{name}.embd.f32").write_bytes(embd.astype("<f4").tobytes())
        stages = per_stage = None
        if name == STAGE_IMAGE:
            chunks_capture = tokenize(context_capture, bitmap, prompt)
            capture.tensors.clear()
            assert np.array_equal(encode(context_capture, chunks_capture), embd)
            M.mtmd_input_chunks_free(chunks_capture)
            per_stage = stage_checks(weights, letterbox(decoded)[0], capture.tensors, embd)
            stages, offset = [], 0
            with open(OUT / f"{name}.stages.f32", "wb") as out:
                for stage, meaning in STAGES.items():
                    values = capture.tensors[stage]
                    assert values.shape == (N_PATCHES, WIDTH) and np.isfinite(values).all()
                    out.write(values.astype("<f4").tobytes())
                    stages.append({"llama_cpp_name": stage, "meaning": meaning, "shape": list(values.shape),
                                   "offset_floats": offset, "stats": stats(values)})
                    offset += values.size
        chunks_default = tokenize(context_default, bitmap, prompt)
        embd_default = encode(context_default, chunks_default)

        # preprocessing check: feed llama.cpp our own letterboxed IMAGE_SIZE^2 image (no resize
        # happens then) and compare with what it made from the original
        boxed, geometry = letterbox(decoded)
        (OUT / f"{name}.letterboxed.rgb").write_bytes(boxed.tobytes())
        boxed_bitmap = M.mtmd_bitmap_init(IMAGE_SIZE, IMAGE_SIZE, boxed.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8)))
        boxed_chunks = tokenize(context, boxed_bitmap, prompt)
        embd_boxed = encode(context, boxed_chunks)
        reference = ReferenceTower(weights)(boxed)
        emulated = ReferenceTower(weights, emulate_ggml=True)(boxed)

        chunk_layout = layout(context, chunks, vocab)
        logits, n_past = next_token_logits(model, context, chunks, n_vocab)
        assert np.isfinite(logits).all()
        top = np.argsort(-logits, kind="stable")[:TOP]

        records.append({
            "file": name,
            "width": width,
            "height": height,
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "llama_cpp_decoder_vs_pillow_max_abs_diff": decoder_gap,
            "decoded_rgb_file": f"{name}.rgb",
            "letterbox": geometry,
            "embeddings_file": f"{name}.embd.f32",
            "n_tokens": int(embd.shape[0]),
            "embedding_width": int(embd.shape[1]),
            "embedding_stats": stats(embd),
            "stages_file": f"{name}.stages.f32" if stages else None,
            "stages": stages,
            "checks": {
                "pillow_letterbox_fed_to_llama_cpp_max_abs_diff": float(np.abs(embd_boxed - embd).max()),
                "numpy_float32_reference_max_abs_diff": max_gap(reference, embd),
                "numpy_ggml_rounding_emulation_max_abs_diff": max_gap(emulated, embd),
                "numpy_per_stage_from_llama_cpp_inputs_max_abs_diff": per_stage,
                "llama_cpp_default_flash_attention_max_abs_diff": max_gap(embd_default, embd),
            },
            "prompt": prompt,
            "chunks": chunk_layout,
            "n_positions": n_past,
            "argmax": int(top[0]),
            "argmax_piece": piece(vocab, int(top[0])),
            "top1_margin": float(logits[top[0]] - logits[top[1]]),
            "top40": [[int(t), float(logits[t])] for t in top],
            "logits_stats": stats(logits),
        })
        for c in (chunks, chunks_default, boxed_chunks):
            M.mtmd_input_chunks_free(c)
        M.mtmd_bitmap_free(boxed_bitmap)
        M.mtmd_bitmap_free(bitmap)

    text_prompt = prompt.replace(marker, "")
    text_chunks = tokenize(context, None, text_prompt)
    text_logits, text_positions = next_token_logits(model, context, text_chunks, n_vocab)
    text_top = np.argsort(-text_logits, kind="stable")[:TOP]
    baseline = {"prompt": text_prompt, "chunks": layout(context, text_chunks, vocab), "n_positions": text_positions,
                "argmax": int(text_top[0]), "argmax_piece": piece(vocab, int(text_top[0])),
                "top1_margin": float(text_logits[text_top[0]] - text_logits[text_top[1]]),
                "top40": [[int(t), float(text_logits[t])] for t in text_top], "logits_stats": stats(text_logits)}
    M.mtmd_input_chunks_free(text_chunks)

    manifest = {
        "generator": "scripts/make-vision-fixtures.py",
        "llama_cpp_python": L.__version__,
        "llama_cpp_commit": "0c1e570 (vendor/llama.cpp of the llama-cpp-python 0.3.36 sdist)",
        "text_model": TEXT_MODEL.name,
        "mmproj": {
            "file": MMPROJ.name, "seed": SEED, "image_size": IMAGE_SIZE, "patch_size": PATCH,
            "embedding_length": WIDTH, "feed_forward_length": FF, "block_count": BLOCKS,
            "head_count": HEADS, "layer_norm_epsilon": EPS, "projection_dim": PROJECTION,
            "pooling_kernel": MERGE, "n_patches": N_PATCHES, "n_tokens": N_TOKENS,
            "image_mean": [0.5] * 3, "image_std": [0.5] * 3, "ffn_activation": "gelu (tanh approximation)",
        },
        "settings": {
            "backend": "CPU", "threads": THREADS, "mtmd_flash_attention": "disabled",
            "llama_context": {"n_ctx": N_CTX, "n_batch": N_CTX, "n_ubatch": N_CTX, "flash_attention": "disabled"},
            "tokenize": {"add_special": True, "parse_special": True, "media_marker": marker},
            "embeddings_layout": "little-endian float32, row-major [n_tokens][640]",
        },
        "images": records,
        "text_only_baseline": baseline,
        "from_bf16": from_bf16_records(model, n_vocab, names, prompt),
    }
    MANIFEST.write_text(json.dumps(manifest, indent=1, ensure_ascii=False) + "\n")

    M.mtmd_free(context_capture)
    M.mtmd_free(context_default)
    M.mtmd_free(context)
    L.llama_model_free(model)

    print(f"llama-cpp-python {L.__version__}; mmproj {MMPROJ.stat().st_size} bytes, {N_TOKENS} tokens per image")
    for r in records:
        s, c = r["embedding_stats"], r["checks"]
        print(f"{r['file']} {r['width']}x{r['height']}: {r['n_tokens']}x{r['embedding_width']} "
              f"mean {s['mean']:+.4f} std {s['std']:.4f} | letterbox Δ {c['pillow_letterbox_fed_to_llama_cpp_max_abs_diff']:.2g} "
              f"numpy Δ {c['numpy_float32_reference_max_abs_diff']:.2g} (emulated {c['numpy_ggml_rounding_emulation_max_abs_diff']:.2g}) "
              f"FA-auto Δ {c['llama_cpp_default_flash_attention_max_abs_diff']:.2g} | "
              f"argmax {r['argmax']} {r['argmax_piece']!r} ({r['top40'][0][1]:.3f}), {r['n_positions']} positions")
    print(f"text only: argmax {baseline['argmax']} {baseline['argmax_piece']!r} ({baseline['top40'][0][1]:.3f})")
    total = sum(p.stat().st_size for p in OUT.iterdir() if p.is_file())
    print(f"{OUT.relative_to(ROOT)}: {total} bytes")


if __name__ == "__main__":
    only_from_bf16() if sys.argv[1:] == ["--only-from-bf16"] else main()
