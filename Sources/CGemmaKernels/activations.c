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
#include "half.h"
#include "blocks.h"

#include <math.h>
#include <string.h>

enum { QK = 32, QK_K = 256, Q8_0_BYTES = 34, Q8_K_BYTES = 4 + QK_K + 2 * (QK_K / 16) };


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

float gk_round_f16(float value) { return gk_half_to_float(gk_f32_to_f16(value)); }

/// Which activation format a weight type multiplies with.
typedef enum { ACT_F32, ACT_Q8_0, ACT_Q8_K } activation_format;

static activation_format format_for(int type) {
    switch (type) {
    case GK_TYPE_Q4_0: case GK_TYPE_Q5_0: case GK_TYPE_Q8_0: return ACT_Q8_0;
    case GK_TYPE_Q4_K: case GK_TYPE_Q5_K: case GK_TYPE_Q6_K: return ACT_Q8_K;
    default: return ACT_F32;
    }
}

int gk_activation_format(int weight_type) { return (int)format_for(weight_type); }

int64_t gk_activation_row_bytes(int weight_type, int64_t k) {
    switch (format_for(weight_type)) {
    case ACT_Q8_0: return k / QK * Q8_0_BYTES;
    case ACT_Q8_K: return k / QK_K * Q8_K_BYTES;
    default: return k * 4;
    }
}

GK_CLONES static void quantize_q8_0(const float *x, uint8_t *y, int64_t k) {
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

GK_CLONES static void quantize_q8_k(const float *x, uint8_t *y, int64_t k) {
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

void gk_q0_values(int type, const uint8_t *b, int8_t q[QK]) {
    if (type == GK_TYPE_Q8_0) {
        memcpy(q, b + 2, QK);
        return;
    }
    const int with_high_bits = type == GK_TYPE_Q5_0;
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
        gk_q0_values(type, w, q);
        const int8_t *a = (const int8_t *)(x + 2);
        int isum = 0;
        for (int j = 0; j < QK; j++) isum += q[j] * a[j];
        sum += gk_half_at(w) * gk_half_at(x) * (float)isum;
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
        sum += gk_half_at(w) * dx * (float)scaled - gk_half_at(w + 2) * dx * (float)mins;
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
        sum += gk_half_at(w + QK_K / 2 + QK_K / 4 + QK_K / 16) * dx * (float)scaled;
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
        return gk_dot_f32(gk_best_isa(), scratch, (const float *)activations, k);
    }
}

// MARK: row tiles unpacked once, multiplied with many tokens
//
// A batched product would otherwise re-extract the same weight bits for every token. Rows are
// unpacked into plain int8 values with integer scales, then each token's product is computed
// from exact integer sums and the same float formula as gk_vec_dot, so both give identical
// results on every path.

typedef struct { float d; int8_t q[QK]; } unpacked_q0;
typedef gk_unpacked_k unpacked_k;

static int is_q0(int type) { return type == GK_TYPE_Q4_0 || type == GK_TYPE_Q5_0 || type == GK_TYPE_Q8_0; }
static int is_k(int type) { return type == GK_TYPE_Q4_K || type == GK_TYPE_Q5_K || type == GK_TYPE_Q6_K; }

static int64_t unpacked_row_bytes(int type, int64_t k) {
    if (is_q0(type)) return k / QK * (int64_t)sizeof(unpacked_q0);
    if (is_k(type)) return k / QK_K * (int64_t)sizeof(unpacked_k);
    return k * 4;
}

/// Float rows (F32, F16, BF16) are tiled deeper than block-quantized ones: 64 rows of a vision
/// tower's 1,152 columns fill a quarter of a 1 MiB L2, and each activation row loaded is used 64 times.
enum { FLOAT_TILE_ROWS = 64 };

static int64_t tile_rows(int type) { return is_q0(type) || is_k(type) ? GK_MATMUL_TILE_ROWS : FLOAT_TILE_ROWS; }

int64_t gk_matmul_scratch_bytes(int type, int64_t k) { return tile_rows(type) * unpacked_row_bytes(type, k); }

static void unpack_q0_row_portable(int type, const uint8_t *w, unpacked_q0 *out, int64_t blocks) {
    const int64_t bytes = gk_block_bytes(type);
    for (int64_t b = 0; b < blocks; b++, w += bytes) {
        out[b].d = gk_half_at(w);
        gk_q0_values(type, w, out[b].q);
    }
}

#if defined(__x86_64__)
#include <immintrin.h>

/// The same unpacking of Q4_0 / Q5_0 blocks with AVX2: nibbles split into the two halves of the
/// block, and for Q5_0 the 32 fifth bits spread to bytes by shuffle and bit mask.
__attribute__((target("avx2"))) static void unpack_q0_row_avx2(int type, const uint8_t *w, unpacked_q0 *out, int64_t blocks) {
    const int64_t bytes = gk_block_bytes(type);
    const int has_fifth_bit = type == GK_TYPE_Q5_0;
    const __m256i low_nibble = _mm256_set1_epi8(0x0f);
    const __m256i byte_of_bit = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
    const __m256i bit_in_byte = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
    const __m256i offset = _mm256_set1_epi8(has_fifth_bit ? 16 : 8);
    for (int64_t b = 0; b < blocks; b++, w += bytes) {
        out[b].d = gk_half_at(w);
        const __m128i packed = _mm_loadu_si128((const __m128i *)(w + (has_fifth_bit ? 6 : 2)));
        __m256i values = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), low_nibble);
        if (has_fifth_bit) {
            uint32_t qh;
            memcpy(&qh, w + 2, 4);
            const __m256i spread = _mm256_shuffle_epi8(_mm256_set1_epi32((int)qh), byte_of_bit);
            const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit_in_byte), bit_in_byte);
            values = _mm256_or_si256(values, _mm256_and_si256(set, _mm256_set1_epi8(0x10)));
        }
        _mm256_storeu_si256((__m256i *)out[b].q, _mm256_sub_epi8(values, offset));
    }
}
#endif

static void unpack_q0_row(gk_isa isa, int type, const uint8_t *w, unpacked_q0 *out, int64_t blocks) {
#if defined(__x86_64__)
    if (isa >= GK_ISA_AVX2) {
        unpack_q0_row_avx2(type, w, out, blocks);
        return;
    }
#endif
    unpack_q0_row_portable(type, w, out, blocks);
}

/// Scales (and, for Q4_K / Q5_K, minimums and dmin) of one K block; the values come separately.
static void unpack_k_scales(int type, const uint8_t *w, unpacked_k *u) {
    if (type == GK_TYPE_Q6_K) {
        const int8_t *scales = (const int8_t *)(w + QK_K / 2 + QK_K / 4);
        u->d = gk_half_at(w + QK_K / 2 + QK_K / 4 + QK_K / 16);
        u->dmin = 0;
        for (int g = 0; g < QK_K / 16; g++) u->scale16[g] = scales[g];
        for (int j = 0; j < QK_K / 32; j++) u->min32[j] = 0;
        return;
    }
    u->d = gk_half_at(w);
    u->dmin = gk_half_at(w + 2);
    for (int sub = 0; sub < 8; sub++) {
        int sc, m;
        k_scale_min(sub, w + 4, &sc, &m);
        u->scale16[2 * sub] = u->scale16[2 * sub + 1] = (int16_t)sc;
        u->min32[sub] = (int16_t)m;
    }
}

static void unpack_k_values_portable(int type, const uint8_t *w, int8_t *q) {
    if (type == GK_TYPE_Q6_K) {
        const uint8_t *ql = w, *qh = w + QK_K / 2;
        for (int i = 0; i < QK_K; i++) {
            const int half = i / 128, j = i % 128;
            const int low = (ql[half * 64 + j % 64] >> (4 * (j / 64))) & 0x0f;
            const int high = (qh[half * 32 + j % 32] >> (2 * (j / 32))) & 0x03;
            q[i] = (int8_t)((low | (high << 4)) - 32);
        }
        return;
    }
    const uint8_t *qh = type == GK_TYPE_Q5_K ? w + 16 : NULL;
    const uint8_t *qs = w + (type == GK_TYPE_Q5_K ? 48 : 16);
    for (int sub = 0; sub < 8; sub++) {
        const uint8_t *packed = qs + (sub / 2) * 32;
        const int shift = (sub % 2) * 4;
        for (int l = 0; l < 32; l++) {
            int v = (packed[l] >> shift) & 0x0f;
            if (qh) v |= ((qh[l] >> sub) & 1) << 4;
            q[sub * 32 + l] = (int8_t)v;
        }
    }
}

#if defined(__x86_64__)

/// Bytes of `v` shifted right by `bits` (within each byte) and masked to `mask`.
__attribute__((target("avx2"))) static inline __m256i byte_field(__m256i v, int bits, int mask) {
    return _mm256_and_si256(_mm256_srli_epi16(v, bits), _mm256_set1_epi8((char)mask));
}

/// The same K-block values with AVX2, 32 at a time.
__attribute__((target("avx2"))) static void unpack_k_values_avx2(int type, const uint8_t *w, int8_t *q) {
    if (type == GK_TYPE_Q6_K) {
        const __m256i bias = _mm256_set1_epi8(32);
        for (int half = 0; half < 2; half++) {
            const __m256i a = _mm256_loadu_si256((const __m256i *)(w + half * 64));
            const __m256i b = _mm256_loadu_si256((const __m256i *)(w + half * 64 + 32));
            const __m256i h = _mm256_loadu_si256((const __m256i *)(w + QK_K / 2 + half * 32));
            const __m256i lows[4] = {byte_field(a, 0, 0x0f), byte_field(b, 0, 0x0f), byte_field(a, 4, 0x0f), byte_field(b, 4, 0x0f)};
            for (int quarter = 0; quarter < 4; quarter++) {
                const __m256i high = _mm256_slli_epi16(byte_field(h, 2 * quarter, 0x03), 4);
                const __m256i v = _mm256_sub_epi8(_mm256_or_si256(lows[quarter], high), bias);
                _mm256_storeu_si256((__m256i *)(q + half * 128 + quarter * 32), v);
            }
        }
        return;
    }
    const int fifth = type == GK_TYPE_Q5_K;
    const uint8_t *qs = w + (fifth ? 48 : 16);
    const __m256i qh = fifth ? _mm256_loadu_si256((const __m256i *)(w + 16)) : _mm256_setzero_si256();
    for (int sub = 0; sub < 8; sub++) {
        const __m256i packed = _mm256_loadu_si256((const __m256i *)(qs + (sub / 2) * 32));
        __m256i v = byte_field(packed, (sub % 2) * 4, 0x0f);
        if (fifth) {
            const __m256i bit = _mm256_set1_epi8((char)(1 << sub));
            const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(qh, bit), bit);
            v = _mm256_or_si256(v, _mm256_and_si256(set, _mm256_set1_epi8(0x10)));
        }
        _mm256_storeu_si256((__m256i *)(q + sub * 32), v);
    }
}
#endif

void gk_unpack_k_block(int type, const uint8_t *w, gk_unpacked_k *out) {
    unpack_k_scales(type, w, out);
    unpack_k_values_portable(type, w, out->q);
}

static void unpack_k_row(gk_isa isa, int type, const uint8_t *w, unpacked_k *out, int64_t blocks) {
    const int64_t bytes = gk_block_bytes(type);
#if defined(__x86_64__)
    const int avx2 = isa >= GK_ISA_AVX2;
#endif
    for (int64_t b = 0; b < blocks; b++, w += bytes) {
        unpack_k_scales(type, w, &out[b]);
#if defined(__x86_64__)
        if (avx2) {
            unpack_k_values_avx2(type, w, out[b].q);
            continue;
        }
#endif
        unpack_k_values_portable(type, w, out[b].q);
    }
}

static int isum_bytes_portable(const int8_t *q, const int8_t *a, int n) {
    int isum = 0;
    for (int j = 0; j < n; j++) isum += q[j] * a[j];
    return isum;
}

static float dot_unpacked_q0_portable(const unpacked_q0 *w, const uint8_t *x, int64_t blocks) {
    float sum = 0;
    for (int64_t b = 0; b < blocks; b++, x += Q8_0_BYTES)
        sum += w[b].d * gk_half_at(x) * (float)isum_bytes_portable(w[b].q, (const int8_t *)(x + 2), QK);
    return sum;
}

/// Integer parts of one K block: Σ_g scale16[g]·(q·a over group g) and Σ_j min32[j]·bsum_j.
static void k_block_sums_portable(const unpacked_k *u, const uint8_t *x, int *scaled, int *mins) {
    const int8_t *a = (const int8_t *)(x + 4);
    int16_t bsums[QK_K / 16];
    memcpy(bsums, x + 4 + QK_K, sizeof bsums);
    *scaled = 0;
    *mins = 0;
    for (int g = 0; g < QK_K / 16; g++) *scaled += u->scale16[g] * isum_bytes_portable(u->q + 16 * g, a + 16 * g, 16);
    for (int j = 0; j < QK_K / 32; j++) *mins += u->min32[j] * (bsums[2 * j] + bsums[2 * j + 1]);
}

static inline float k_block_value(const unpacked_k *u, float dx, int scaled, int mins) {
    return u->d * dx * (float)scaled - u->dmin * dx * (float)mins;
}

static float dot_unpacked_k_portable(const unpacked_k *w, const uint8_t *x, int64_t blocks) {
    float sum = 0;
    for (int64_t b = 0; b < blocks; b++, x += Q8_K_BYTES) {
        float dx;
        memcpy(&dx, x, 4);
        int scaled, mins;
        k_block_sums_portable(&w[b], x, &scaled, &mins);
        sum += k_block_value(&w[b], dx, scaled, mins);
    }
    return sum;
}

#if defined(__x86_64__)
/// 16 signed 16-bit sums of byte pairs q·a: |q| times a·sign(q) as unsigned×signed bytes;
/// each pair sum is at most 2·128·127, so nothing saturates.
__attribute__((target("avx2"))) static inline __m256i pair_sums_avx2(const int8_t *q, const int8_t *a) {
    const __m256i qv = _mm256_loadu_si256((const __m256i *)q);
    const __m256i av = _mm256_loadu_si256((const __m256i *)a);
    return _mm256_maddubs_epi16(_mm256_sign_epi8(qv, qv), _mm256_sign_epi8(av, qv));
}

__attribute__((target("avx2"))) static inline int hsum_epi32_avx2(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

__attribute__((target("avx2"))) static float dot_unpacked_q0_avx2(const unpacked_q0 *w, const uint8_t *x, int64_t blocks) {
    const __m256i ones = _mm256_set1_epi16(1);
    float sum = 0;
    for (int64_t b = 0; b < blocks; b++, x += Q8_0_BYTES) {
        const int isum = hsum_epi32_avx2(_mm256_madd_epi16(pair_sums_avx2(w[b].q, (const int8_t *)(x + 2)), ones));
        sum += w[b].d * gk_half_at(x) * (float)isum;
    }
    return sum;
}

/// Q8_0 weights need no unpacking: their blocks already hold int8 values behind a half scale.
__attribute__((target("avx2"))) static float dot_raw_q8_0_avx2(const void *row, const uint8_t *x, int64_t blocks) {
    const __m256i ones = _mm256_set1_epi16(1);
    const uint8_t *w = row;
    float sum = 0;
    for (int64_t b = 0; b < blocks; b++, w += Q8_0_BYTES, x += Q8_0_BYTES) {
        const int isum = hsum_epi32_avx2(_mm256_madd_epi16(pair_sums_avx2((const int8_t *)(w + 2), (const int8_t *)(x + 2)), ones));
        sum += gk_half_at(w) * gk_half_at(x) * (float)isum;
    }
    return sum;
}

__attribute__((target("avx2"))) static float dot_unpacked_k_avx2(const unpacked_k *w, const uint8_t *x, int64_t blocks) {
    float sum = 0;
    for (int64_t b = 0; b < blocks; b++, x += Q8_K_BYTES) {
        const unpacked_k *u = &w[b];
        float dx;
        memcpy(&dx, x, 4);
        const int8_t *a = (const int8_t *)(x + 4);
        __m256i acc = _mm256_setzero_si256();
        for (int g = 0; g < QK_K / 16; g += 2) {
            // Lanes 0-7 hold group g's pair sums, lanes 8-15 group g+1's; weight each by its scale.
            const __m256i scales = _mm256_set_m128i(_mm_set1_epi16(u->scale16[g + 1]), _mm_set1_epi16(u->scale16[g]));
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(pair_sums_avx2(u->q + 16 * g, a + 16 * g), scales));
        }
        int16_t bsums[QK_K / 16];
        memcpy(bsums, x + 4 + QK_K, sizeof bsums);
        int mins = 0;
        for (int j = 0; j < QK_K / 32; j++) mins += u->min32[j] * (bsums[2 * j] + bsums[2 * j + 1]);
        sum += k_block_value(u, dx, hsum_epi32_avx2(acc), mins);
    }
    return sum;
}
#endif

typedef float (*unpacked_dot_fn)(const void *, const uint8_t *, int64_t);

static float dot_raw_q8_0_portable(const void *row, const uint8_t *x, int64_t blocks) {
    return dot_q_0(GK_TYPE_Q8_0, row, x, blocks * QK);
}

static unpacked_dot_fn choose_unpacked_dot(gk_isa isa, int type) {
#if defined(__x86_64__)
    if (isa >= GK_ISA_AVX2) {
        if (type == GK_TYPE_Q8_0) return dot_raw_q8_0_avx2;
        return is_q0(type) ? (unpacked_dot_fn)dot_unpacked_q0_avx2 : (unpacked_dot_fn)dot_unpacked_k_avx2;
    }
#endif
    if (type == GK_TYPE_Q8_0) return dot_raw_q8_0_portable;
    return is_q0(type) ? (unpacked_dot_fn)dot_unpacked_q0_portable : (unpacked_dot_fn)dot_unpacked_k_portable;
}

/// y[t · ldy + r] = dot(row r of the float tile, activation t): four rows by four activations at a time
/// (gk_dot_f32_4x4), the rest one pair at a time; every pair as gk_dot_f32 computes it.
static void float_tile_products(gk_isa isa, const uint8_t *tile, int64_t row_bytes, int64_t rows, const uint8_t *x,
                                int64_t n_tokens, int64_t x_row_bytes, int64_t k, float *y, int64_t ldy) {
    const int64_t whole_rows = rows / 4 * 4, whole_tokens = n_tokens / 4 * 4;
    for (int64_t t = 0; t < whole_tokens; t += 4) {
        const float *xs[4];
        for (int i = 0; i < 4; i++) xs[i] = (const float *)(x + (t + i) * x_row_bytes);
        for (int64_t r = 0; r < whole_rows; r += 4) {
            const float *ws[4];
            for (int i = 0; i < 4; i++) ws[i] = (const float *)(tile + (r + i) * row_bytes);
            gk_dot_f32_4x4(isa, ws, xs, k, y + t * ldy + r, ldy);
        }
    }
    for (int64_t t = 0; t < n_tokens; t++) {
        const float *xt = (const float *)(x + t * x_row_bytes);
        for (int64_t r = t < whole_tokens ? whole_rows : 0; r < rows; r++)
            y[t * ldy + r] = gk_dot_f32(isa, (const float *)(tile + r * row_bytes), xt, k);
    }
}

int gk_matmul_quantized(gk_isa allowed, int type, const void *weights, size_t row_bytes, int64_t k,
                        int64_t row_begin, int64_t row_end,
                        const void *activations, int64_t n_tokens, int64_t activation_row_bytes,
                        float *y, int64_t ldy, void *scratch) {
    if (gk_block_elements(type) == 0) return -1;
    const gk_isa isa = gk_usable_isa(allowed);
    const uint8_t *w = weights, *x = activations;
    const int64_t unpacked_bytes = unpacked_row_bytes(type, k);
    const int quantized = is_q0(type) || is_k(type);
    const unpacked_dot_fn dot = quantized ? choose_unpacked_dot(isa, type) : NULL;
    const int64_t blocks = is_q0(type) ? k / QK : k / QK_K;
    uint8_t *tile = scratch;
    const int64_t height = tile_rows(type);
    for (int64_t r0 = row_begin; r0 < row_end; r0 += height) {
        const int64_t rows = r0 + height < row_end ? height : row_end - r0;
        // Q8_0 rows are used in place; other types are unpacked into the tile.
        const int in_place = type == GK_TYPE_Q8_0;
        for (int64_t r = 0; r < rows && !in_place; r++) {
            const uint8_t *row = w + (size_t)(r0 + r) * row_bytes;
            void *out = tile + r * unpacked_bytes;
            if (is_q0(type)) unpack_q0_row(isa, type, row, out, blocks);
            else if (is_k(type)) unpack_k_row(isa, type, row, out, blocks);
            else gk_dequantize(type, row, out, k);
        }
        if (!quantized) {
            float_tile_products(isa, tile, unpacked_bytes, rows, x, n_tokens, activation_row_bytes, k, y + r0, ldy);
            continue;
        }
        for (int64_t t = 0; t < n_tokens; t++) {
            const uint8_t *xt = x + t * activation_row_bytes;
            for (int64_t r = 0; r < rows; r++) {
                const void *u = in_place ? (const void *)(w + (size_t)(r0 + r) * row_bytes) : tile + r * unpacked_bytes;
                y[t * ldy + r0 + r] = dot(u, xt, blocks);
            }
        }
    }
    return 0;
}
