"""Writes a Gemma 3 mmproj GGUF shaped like MedGemma's vision tower (SigLIP So400m), F16, random weights.

MedGemma 4B's mmproj: 896 px images in 14 px patches (64 × 64 = 4,096 patches), 27 pre-norm ViT blocks
of width 1,152 with 16 heads and an MLP of 4,304, 4 × 4 average pooling to 256 tokens, projected to the
text model's 2,560. Same keys and tensor names as llama.cpp's converter writes, so both engines load it;
its outputs are meaningless, only speed counts. About 0.8 GB.

--from-bf16: the F16 matrices hold bfloat16 values, as MedGemma's F16 mmproj (converted from its bfloat16
release) does; encoders may then multiply in bfloat16 without changing a weight.

usage: python bench/make_so400m_mmproj.py [--from-bf16] OUT_GGUF
"""
import sys

import numpy as np

from gemma3_mmproj import TowerShape, tower_tensors, write_tower

SO400M = TowerShape(image_size=896, patch=14, width=1152, feed_forward=4304, blocks=27, heads=16, projection=2560)

if __name__ == "__main__":
    arguments = sys.argv[1:]
    from_bf16 = "--from-bf16" in arguments
    paths = [a for a in arguments if a != "--from-bf16"]
    if len(paths) != 1:
        sys.exit(__doc__)
    write_tower(paths[0], SO400M, "So400m-shaped random Gemma 3 vision tower (benchmark)",
                lambda: tower_tensors(np.random.default_rng(896), SO400M, released_in_bf16=from_bf16))
