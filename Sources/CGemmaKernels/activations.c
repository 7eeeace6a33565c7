// 8-bit quantization of activations and integer dot products against quantized weight rows.
//
// Matching llama.cpp's numerics is what lets our greedy continuations agree with its to the
// token: ggml multiplies Q4_0/Q5_0/Q8_0 weights with activations rounded to Q8_0 blocks (32
// values, f16 scale, scale = max|x| / 127, round half to even) and K-quant weights with Q8_K
// blocks (256 values, f32 scale -max/127 of the signed extreme, round half to even, per-16
// sums). The integer part of every block product is exact; only the float accumulation of
// block results may differ in the last bits. Layouts from ggml-common.h; code is ours.
//
// The loops are plain C compiled as target clones (AVX-512, AVX2, baseline) so the compiler
// vectorizes each for the CPU found at run time.

#include "gemma_kernels.h"

#include <math.h>
#include <string.h>

#if defined(__x86_64__) && defined(__clang__)
#define GK_CLONES __attribute__((target_clones("avx512bw", "avx2", "default")))
#else
#define GK_CLONES
#endif

enum { QK = 32, QK_K = 256, Q8_0_BYTES = 34, Q8_K_BYTES = 4 + QK_K + 2 * (QK_K / 16) };

static uint16_t read_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static float half_at(const uint8_t *p) { return gk_f16_to_f32(read_u16(p)); }

uint16_t gk_f32_to_f16(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    const uint32_t sign = (bits >> 16) & 0x8000u;
    const uint32_t exponent = (bits >> 23) & 0xffu;
    uint32_t mantissa = bits & 0x7fffffu;
    if (exponent == 0xff) return (uint16_t)(sign | 0x7c00u | (mantissa ? 0x200u | (mantissa >> 13) : 0));
    int32_t e = (int32_t)exponent - 127 + 15;
    if (e >= 0x1f) return (uint16_t)(sign | 0x7c00u);
    if (e <= 0) {
        if (e < -10) return (uint16_t)sign;
        mantissa |= 0x800000u;
        const uint32_t shift = (uint32_t)(14 - e);
        uint32_t half = mantissa >> shift;
        const uint32_t rest = mantissa & ((1u << shift) - 1);
        const uint32_t midpoint = 1u << (shift - 1);
        if (rest > midpoint || (rest == midpoint && (half & 1u))) half++;
        return (uint16_t)(sign | half);
    }
    uint32_t half = ((uint32_t)e << 10) | (mantissa >> 13);
    const uint32_t rest = mantissa & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) half++;  // may carry into the exponent: correct
    return (uint16_t)(sign | half);
}

float gk_round_f16(float value) { return gk_f16_to_f32(gk_f32_to_f16(value)); }

/// Which activation format a weight type multiplies with.
typedef enum { ACT_F32, ACT_Q8_0, ACT_Q8_K } activation_format;

static activation_format format_for(int type) {
    switch (type) {
    case GK_TYPE_Q4_0: case GK_TYPE_Q5_0: case GK_TYPE_Q8_0: return ACT_Q8_0;
    case GK_TYPE_Q4_K: case GK_TYPE_Q5_K: case GK_TYPE_Q6_K: return ACT_Q8_K;
    default: return ACT_F32;
    }
}

int64_t gk_activation_row_bytes(int weight_type, int64_t k) {
    switch (format_for(weight_type)) {
    case ACT_Q8_0: return k / QK * Q8_0_BYTES;
    case ACT_Q8_K: return k / QK_K * Q8_K_BYTES;
    default: return k * 4;
    }
}

static void quantize_q8_0(const float *x, uint8_t *y, int64_t k) {
    for (int64_t b = 0; b < k / QK; b++, x += QK, y += Q8_0_BYTES) {
        float amax = 0;
        for (int j = 0; j < QK; j++) amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127.f;
        const float id = amax != 0.0f ? 127.f / amax : 0.0f;
        const uint16_t dh = gk_f32_to_f16(d);
        y[0] = (uint8_t)dh;
        y[1] = (uint8_t)(dh >> 8);
        for (int j = 0; j < QK; j++) y[2 + j] = (uint8_t)(int8_t)nearbyintf(x[j] * id);
    }
}

static void quantize_q8_k(const float *x, uint8_t *y, int64_t k) {
    for (int64_t b = 0; b < k / QK_K; b++, x += QK_K, y += Q8_K_BYTES) {
        float extreme = 0, amax = 0;
        for (int j = 0; j < QK_K; j++) {
            const float ax = fabsf(x[j]);
            if (ax > amax) { amax = ax; extreme = x[j]; }
        }
        int8_t *qs = (int8_t *)(y + 4);
        int16_t sums[QK_K / 16];
        float d = 0;
        if (amax == 0) {
            memset(qs, 0, QK_K);
        } else {
            const float iscale = -127.f / extreme;
            for (int j = 0; j < QK_K; j++) {
                const int v = (int)nearbyintf(iscale * x[j]);
                qs[j] = (int8_t)(v < 127 ? v : 127);
            }
            d = 1 / iscale;
        }
        for (int g = 0; g < QK_K / 16; g++) {
            int sum = 0;
            for (int j = 0; j < 16; j++) sum += qs[g * 16 + j];
            sums[g] = (int16_t)sum;
        }
        memcpy(y, &d, 4);
        memcpy(y + 4 + QK_K, sums, sizeof sums);
    }
}

void gk_quantize_activations(int weight_type, const float *x, int64_t k, void *out) {
    switch (format_for(weight_type)) {
    case ACT_Q8_0: quantize_q8_0(x, out, k); break;
    case ACT_Q8_K: quantize_q8_k(x, out, k); break;
    default: memcpy(out, x, (size_t)k * 4); break;
    }
}

// MARK: block dot products (weights · quantized activations)

/// Signed 5-bit values of a Q4_0 or Q5_0 block, offset removed.
static inline void unpack_q4_q5_0(const uint8_t *b, int with_high_bits, int8_t q[QK]) {
    const uint8_t *qs = b + (with_high_bits ? 6 : 2);
    uint32_t qh = 0;
    if (with_high_bits) memcpy(&qh, b + 2, 4);
    const int offset = with_high_bits ? 16 : 8;
    for (int j = 0; j < QK / 2; j++) {
        q[j] = (int8_t)(((qs[j] & 0x0f) | (((qh >> j) & 1u) << 4)) - offset);
        q[j + QK / 2] = (int8_t)(((qs[j] >> 4) | (((qh >> (j + 16)) & 1u) << 4)) - offset);
    }
}

GK_CLONES static float dot_q_0(int type, const uint8_t *w, const uint8_t *x, int64_t k) {
    float sum = 0;
    const int64_t w_bytes = gk_block_bytes(type);
    for (int64_t b = 0; b < k / QK; b++, w += w_bytes, x += Q8_0_BYTES) {
        int8_t q[QK];
        if (type == GK_TYPE_Q8_0) memcpy(q, w + 2, QK);
        else unpack_q4_q5_0(w, type == GK_TYPE_Q5_0, q);
        const int8_t *a = (const int8_t *)(x + 2);
        int isum = 0;
        for (int j = 0; j < QK; j++) isum += q[j] * a[j];
        sum += half_at(w) * half_at(x) * (float)isum;
    }
    return sum;
}

static inline void k_scale_min(int j, const uint8_t *scales, int *sc, int *m) {
    if (j < 4) {
        *sc = scales[j] & 63;
        *m = scales[j + 4] & 63;
    } else {
        *sc = (scales[j + 4] & 0x0f) | ((scales[j - 4] >> 6) << 4);
        *m = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
    }
}

/// Q4_K and Q5_K: Σ d·dx·sc_j·(q·a) − dmin·dx·m_j·Σa, the sums of `a` coming from Q8_K's bsums.
GK_CLONES static float dot_q4_q5_k(int type, const uint8_t *w, const uint8_t *x, int64_t k) {
    float sum = 0;
    const int64_t w_bytes = gk_block_bytes(type);
    for (int64_t b = 0; b < k / QK_K; b++, w += w_bytes, x += Q8_K_BYTES) {
        float dx;
        memcpy(&dx, x, 4);
        const int8_t *a = (const int8_t *)(x + 4);
        int16_t bsums[QK_K / 16];
        memcpy(bsums, x + 4 + QK_K, sizeof bsums);
        const uint8_t *qh = type == GK_TYPE_Q5_K ? w + 16 : NULL;
        const uint8_t *qs = w + (type == GK_TYPE_Q5_K ? 48 : 16);
        int scaled = 0, mins = 0;
        for (int sub = 0; sub < 8; sub++) {
            int sc, m;
            k_scale_min(sub, w + 4, &sc, &m);
            const uint8_t *q = qs + (sub / 2) * 32;
            const int shift = (sub % 2) * 4;
            int isum = 0;
            for (int l = 0; l < 32; l++) {
                int v = (q[l] >> shift) & 0x0f;
                if (qh) v |= ((qh[l] >> sub) & 1) << 4;
                isum += v * a[sub * 32 + l];
            }
            scaled += sc * isum;
            mins += m * (bsums[2 * sub] + bsums[2 * sub + 1]);
        }
        sum += half_at(w) * dx * (float)scaled - half_at(w + 2) * dx * (float)mins;
    }
    return sum;
}

GK_CLONES static float dot_q6_k(const uint8_t *w, const uint8_t *x, int64_t k) {
    float sum = 0;
    for (int64_t b = 0; b < k / QK_K; b++, w += gk_block_bytes(GK_TYPE_Q6_K), x += Q8_K_BYTES) {
        float dx;
        memcpy(&dx, x, 4);
        const int8_t *a = (const int8_t *)(x + 4);
        const uint8_t *ql = w, *qh = w + QK_K / 2;
        const int8_t *scales = (const int8_t *)(w + QK_K / 2 + QK_K / 4);
        int scaled = 0;
        for (int group = 0; group < QK_K / 16; group++) {
            int isum = 0;
            for (int l = 0; l < 16; l++) {
                const int i = group * 16 + l, half = i / 128, j = i % 128;
                const int low = (ql[half * 64 + j % 64] >> (4 * (j / 64))) & 0x0f;
                const int high = (qh[half * 32 + j % 32] >> (2 * (j / 32))) & 0x03;
                isum += ((low | (high << 4)) - 32) * a[i];
            }
            scaled += scales[group] * isum;
        }
        sum += half_at(w + QK_K / 2 + QK_K / 4 + QK_K / 16) * dx * (float)scaled;
    }
    return sum;
}

float gk_vec_dot(int type, const void *row, const void *activations, int64_t k, float *scratch) {
    const uint8_t *w = row, *x = activations;
    switch (type) {
    case GK_TYPE_Q4_0: case GK_TYPE_Q5_0: case GK_TYPE_Q8_0: return dot_q_0(type, w, x, k);
    case GK_TYPE_Q4_K: case GK_TYPE_Q5_K: return dot_q4_q5_k(type, w, x, k);
    case GK_TYPE_Q6_K: return dot_q6_k(w, x, k);
    default:
        gk_dequantize(type, row, scratch, k);
        return gk_dot_f32(scratch, (const float *)activations, k);
    }
}

int gk_matmul_quantized(int type, const void *weights, size_t row_bytes, int64_t k,
                        int64_t row_begin, int64_t row_end,
                        const void *activations, int64_t n_tokens, int64_t activation_row_bytes,
                        float *y, int64_t ldy, float *scratch) {
    if (gk_block_elements(type) == 0) return -1;
    enum { ROWS_PER_TILE = 8 };
    const uint8_t *w = weights, *x = activations;
    for (int64_t r0 = row_begin; r0 < row_end; r0 += ROWS_PER_TILE) {
        const int64_t r1 = r0 + ROWS_PER_TILE < row_end ? r0 + ROWS_PER_TILE : row_end;
        for (int64_t t = 0; t < n_tokens; t++)
            for (int64_t r = r0; r < r1; r++)
                y[t * ldy + r] = gk_vec_dot(type, w + (size_t)r * row_bytes, x + t * activation_row_bytes, k, scratch);
    }
    return 0;
}
