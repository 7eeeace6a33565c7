#!/usr/bin/env python3
"""Writes the dequantization fixtures of Tests/GemmaEngineTests/Fixtures.

For each tensor type the engine supports: random blocks (TYPE.bin) and their dequantization
by gguf-py's reference implementation, gguf.quants (TYPE.f32, little-endian float32). The
Swift tests compare the engine's dequantization with these bit for bit, without needing
Python at test time. Regenerate with:

    python3 -m pip install --target .local/pyoracle gguf
    PYTHONPATH=.local/pyoracle python3 scripts/make-quant-fixtures.py
"""
import pathlib

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

OUT = pathlib.Path(__file__).resolve().parent.parent / "Tests" / "GemmaEngineTests" / "Fixtures"
RNG = np.random.default_rng(20261129)
BLOCKS = 16

# Byte offsets of the f16 scale fields in each block: random bytes there could be NaN or
# infinity, whose propagation is not what the test is about, so they get finite halves.
HALF_FIELDS = {
    T.Q4_0: [0], T.Q5_0: [0], T.Q8_0: [0],
    T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208],
}


def finite_halves(count):
    return (RNG.standard_normal(count) * 0.05).astype(np.float16).view(np.uint8).reshape(count, 2)


def quantized_blocks(qtype):
    block_size, type_size = quants.GGML_QUANT_SIZES[qtype]
    blocks = RNG.integers(0, 256, size=(BLOCKS, type_size), dtype=np.uint8)
    for offset in HALF_FIELDS[qtype]:
        blocks[:, offset:offset + 2] = finite_halves(BLOCKS)
    return blocks.reshape(-1), BLOCKS * block_size


def float_elements(qtype):
    values = np.concatenate([
        RNG.standard_normal(200) * 10,
        [0.0, -0.0, np.inf, -np.inf, 6.0e-8, -6.0e-8, 1.0e-5, 65504.0, 3.0e38, 1.0e-40],
    ]).astype(np.float32)
    if qtype == T.F16:
        raw = values.astype(np.float16).view(np.uint8)
    elif qtype == T.BF16:
        raw = (values.view(np.uint32) >> 16).astype(np.uint16).view(np.uint8)
    else:
        raw = values.view(np.uint8)
    return raw.reshape(-1), len(values)


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    for qtype in [T.F32, T.F16, T.BF16, T.Q4_0, T.Q5_0, T.Q8_0, T.Q4_K, T.Q5_K, T.Q6_K]:
        raw, count = float_elements(qtype) if qtype in (T.F32, T.F16, T.BF16) else quantized_blocks(qtype)
        if qtype == T.F32:
            expected = raw.view(np.float32)
        elif qtype == T.F16:
            expected = raw.view(np.float16).astype(np.float32)
        else:
            expected = quants.dequantize(raw, qtype).reshape(-1)
        assert expected.size == count
        (OUT / f"{qtype.name}.bin").write_bytes(raw.tobytes())
        (OUT / f"{qtype.name}.f32").write_bytes(expected.astype("<f4").tobytes())
        print(f"{qtype.name}: {count} elements")


if __name__ == "__main__":
    main()
