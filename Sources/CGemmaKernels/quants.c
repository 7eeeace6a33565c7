// Dequantization of GGML block formats, written from the format definitions in ggml's
// ggml-common.h and gguf-py's gguf/quants.py. The operation order inside each formula
// follows gguf-py exactly (e.g. Q4_K: (d * sc) * q - (dmin * m)) and this file is compiled
// with -ffp-contract=off, so no multiply-add is fused and results are bit-identical.

#include "gemma_kernels.h"
#include "half.h"

#include <string.h>

enum { QK = 32, QK_K = 256 };

int64_t gk_block_elements(int type) {
    switch (type) {
    case GK_TYPE_F32: case GK_TYPE_F16: case GK_TYPE_BF16: return 1;
    case GK_TYPE_Q4_0: case GK_TYPE_Q5_0: case GK_TYPE_Q8_0: return QK;
    case GK_TYPE_Q4_K: case GK_TYPE_Q5_K: case GK_TYPE_Q6_K: return QK_K;
    default: return 0;
    }
}

int64_t gk_block_bytes(int type) {
    switch (type) {
    case GK_TYPE_F32: return 4;
    case GK_TYPE_F16: case GK_TYPE_BF16: return 2;
    case GK_TYPE_Q4_0: return 2 + QK / 2;
    case GK_TYPE_Q5_0: return 2 + 4 + QK / 2;
    case GK_TYPE_Q8_0: return 2 + QK;
    case GK_TYPE_Q4_K: return 2 + 2 + 12 + QK_K / 2;
    case GK_TYPE_Q5_K: return 2 + 2 + 12 + QK_K / 8 + QK_K / 2;
    case GK_TYPE_Q6_K: return QK_K / 2 + QK_K / 4 + QK_K / 16 + 2;
    default: return 0;
    }
}


static uint32_t read_u32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

float gk_f16_to_f32(uint16_t h) { return gk_half_to_float(h); }


static void dequantize_q4_0(const uint8_t *b, float *y) {
    const float d = gk_half_at(b);
    const uint8_t *qs = b + 2;
    for (int j = 0; j < QK / 2; j++) {
        y[j] = d * (float)((qs[j] & 0x0f) - 8);
        y[j + QK / 2] = d * (float)((qs[j] >> 4) - 8);
    }
}

static void dequantize_q5_0(const uint8_t *b, float *y) {
    const float d = gk_half_at(b);
    const uint32_t qh = read_u32(b + 2);
    const uint8_t *qs = b + 6;
    for (int j = 0; j < QK / 2; j++) {
        const int lo = (qs[j] & 0x0f) | (int)(((qh >> j) & 1u) << 4);
        const int hi = (qs[j] >> 4) | (int)(((qh >> (j + 16)) & 1u) << 4);
        y[j] = d * (float)(lo - 16);
        y[j + QK / 2] = d * (float)(hi - 16);
    }
}

static void dequantize_q8_0(const uint8_t *b, float *y) {
    const float d = gk_half_at(b);
    const int8_t *qs = (const int8_t *)(b + 2);
    for (int j = 0; j < QK; j++) y[j] = (float)qs[j] * d;
}

/// The 6-bit scale and min of sub-block j (0..7) of a Q4_K / Q5_K block.
static void k_scale_min(int j, const uint8_t *scales, uint8_t *sc, uint8_t *m) {
    if (j < 4) {
        *sc = scales[j] & 63;
        *m = scales[j + 4] & 63;
    } else {
        *sc = (uint8_t)((scales[j + 4] & 0x0f) | ((scales[j - 4] >> 6) << 4));
        *m = (uint8_t)((scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
    }
}

/// Q4_K and Q5_K share their layout except for the fifth bit plane `qh` (NULL for Q4_K).
static void dequantize_k_4_5(const uint8_t *b, const uint8_t *qh, const uint8_t *qs, float *y) {
    const float d = gk_half_at(b);
    const float dmin = gk_half_at(b + 2);
    const uint8_t *scales = b + 4;
    for (int sub = 0; sub < 8; sub++) {
        uint8_t sc, m;
        k_scale_min(sub, scales, &sc, &m);
        const float dsc = d * (float)sc;
        const float dm = dmin * (float)m;
        const uint8_t *q = qs + (sub / 2) * 32;
        const int shift = (sub % 2) * 4;
        for (int l = 0; l < 32; l++) {
            int v = (q[l] >> shift) & 0x0f;
            if (qh) v |= ((qh[l] >> sub) & 1) << 4;
            y[sub * 32 + l] = dsc * (float)v - dm;
        }
    }
}

static void dequantize_q6_k(const uint8_t *b, float *y) {
    const uint8_t *ql = b;
    const uint8_t *qh = b + QK_K / 2;
    const int8_t *scales = (const int8_t *)(b + QK_K / 2 + QK_K / 4);
    const float d = gk_half_at(b + QK_K / 2 + QK_K / 4 + QK_K / 16);
    for (int i = 0; i < QK_K; i++) {
        const int half = i / 128, k = i % 128;
        const int low = (ql[half * 64 + k % 64] >> (4 * (k / 64))) & 0x0f;
        const int high = (qh[half * 32 + k % 32] >> (2 * (k / 32))) & 0x03;
        const float dsc = d * (float)scales[i / 16];
        y[i] = dsc * (float)((low | (high << 4)) - 32);
    }
}

int gk_dequantize(int type, const void *src, float *dst, int64_t count) {
    const int64_t per_block = gk_block_elements(type);
    const int64_t block_bytes = gk_block_bytes(type);
    if (per_block == 0 || count % per_block != 0) return -1;
    const uint8_t *b = (const uint8_t *)src;
    const int64_t blocks = count / per_block;
    for (int64_t i = 0; i < blocks; i++, b += block_bytes, dst += per_block) {
        switch (type) {
        case GK_TYPE_F32: memcpy(dst, b, 4); break;
        case GK_TYPE_F16: dst[0] = gk_half_at(b); break;
        case GK_TYPE_BF16: dst[0] = gk_bits_to_float((uint32_t)gk_read_u16(b) << 16); break;
        case GK_TYPE_Q4_0: dequantize_q4_0(b, dst); break;
        case GK_TYPE_Q5_0: dequantize_q5_0(b, dst); break;
        case GK_TYPE_Q8_0: dequantize_q8_0(b, dst); break;
        case GK_TYPE_Q4_K: dequantize_k_4_5(b, NULL, b + 16, dst); break;
        case GK_TYPE_Q5_K: dequantize_k_4_5(b, b + 16, b + 48, dst); break;
        case GK_TYPE_Q6_K: dequantize_q6_k(b, dst); break;
        default: return -1;
        }
    }
    return 0;
}
