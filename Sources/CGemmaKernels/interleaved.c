// Q4_0 / Q5_0 / Q8_0 weights interleaved eight rows at a time, for VNNI products without
// horizontal adds.
//
// Layout (one "group" = 8 consecutive rows; groups follow each other, blocks in order):
//
//   per block of 32 columns, 272 bytes:
//     values[i][r][4]  i = 0..7 (which 4 columns: 4i..4i+3), r = 0..7 (row in the group),
//                      each value biased to unsigned: w + 128
//     scales[r]        the 8 rows' f16 block scales
//
// One 32-byte load of values[i] puts row r's columns 4i..4i+3 in 32-bit lane r, so
// vpdpbusd with the token's columns 4i..4i+3 broadcast adds Σ (w+128)·a over those four
// columns to lane r; eight of them give each lane its row's whole block. Starting the lane at
// −128·Σa removes the bias, so every lane holds the exact integer block sum gk_vec_dot computes.
// The float steps are then gk_vec_dot's, in its order: sum += (d_w · d_a) · isum, block by
// block, with no contraction; results are bit-identical to every other path.
//
// The interleaved copy costs the same bytes as Q8_0 (272 per 8 row-blocks) and more than
// Q4_0/Q5_0; in exchange each block is read once per token tile, not unpacked per call.

#include "gemma_kernels.h"
#include "half.h"

#include <string.h>

enum { QK = 32, ROWS = GK_INTERLEAVED_ROWS, CHUNKS = QK / 4, Q8_0_BYTES = 34 };
enum { VALUES_BYTES = CHUNKS * ROWS * 4, BLOCK_BYTES = VALUES_BYTES + ROWS * 2 };

static int interleavable(int type) {
    return type == GK_TYPE_Q4_0 || type == GK_TYPE_Q5_0 || type == GK_TYPE_Q8_0;
}

int64_t gk_interleaved_bytes(int type, int64_t rows, int64_t k) {
    if (!interleavable(type) || k % QK != 0) return 0;
    return (rows + ROWS - 1) / ROWS * (k / QK) * BLOCK_BYTES;
}

/// Signed values of one Q4_0 / Q5_0 / Q8_0 block (the dequantization's integer part).
static void block_values(int type, const uint8_t *b, int8_t q[QK]) {
    if (type == GK_TYPE_Q8_0) {
        memcpy(q, b + 2, QK);
        return;
    }
    const int fifth = type == GK_TYPE_Q5_0;
    const uint8_t *qs = b + (fifth ? 6 : 2);
    uint32_t qh = 0;
    if (fifth) memcpy(&qh, b + 2, 4);
    const int offset = fifth ? 16 : 8;
    for (int j = 0; j < QK / 2; j++) {
        q[j] = (int8_t)(((qs[j] & 0x0f) | (((qh >> j) & 1u) << 4)) - offset);
        q[j + QK / 2] = (int8_t)(((qs[j] >> 4) | (((qh >> (j + 16)) & 1u) << 4)) - offset);
    }
}

int gk_interleave_rows(int type, const void *weights, size_t row_bytes, int64_t rows, int64_t k,
                       int64_t group_begin, int64_t group_end, void *out) {
    if (!interleavable(type) || k % QK != 0) return -1;
    const int64_t blocks = k / QK, block_bytes = gk_block_bytes(type);
    for (int64_t g = group_begin; g < group_end; g++) {
        uint8_t *group = (uint8_t *)out + g * blocks * BLOCK_BYTES;
        for (int64_t b = 0; b < blocks; b++) {
            uint8_t *block = group + b * BLOCK_BYTES;
            for (int r = 0; r < ROWS; r++) {
                const int64_t row = g * ROWS + r;
                int8_t q[QK] = {0};
                uint16_t scale = 0;  // rows past the end multiply to 0 and are never stored
                if (row < rows) {
                    const uint8_t *source = (const uint8_t *)weights + (size_t)row * row_bytes + b * block_bytes;
                    block_values(type, source, q);
                    memcpy(&scale, source, 2);
                }
                for (int i = 0; i < CHUNKS; i++)
                    for (int j = 0; j < 4; j++) block[(i * ROWS + r) * 4 + j] = (uint8_t)(q[4 * i + j] + 128);
                memcpy(block + VALUES_BYTES + 2 * r, &scale, 2);
            }
        }
    }
    return 0;
}

/// Per token and block: the bias correction −128·Σa and the activation scale.
typedef struct { int32_t correction; float scale; } activation_block;

static void describe_activations(const uint8_t *x, int64_t blocks, activation_block *out) {
    for (int64_t b = 0; b < blocks; b++, x += Q8_0_BYTES) {
        int sum = 0;
        for (int j = 0; j < QK; j++) sum += (int8_t)x[2 + j];
        out[b].correction = -128 * sum;
        uint16_t h;
        memcpy(&h, x, 2);
        out[b].scale = gk_half_to_float(h);
    }
}

// MARK: portable path (the same integers and float steps, one lane at a time)

static void group_tokens_portable(const uint8_t *group, int64_t blocks, const uint8_t *const *x,
                                  const activation_block *const *info, int tokens, float sums[][ROWS]) {
    for (int t = 0; t < tokens; t++)
        for (int r = 0; r < ROWS; r++) sums[t][r] = 0;
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *block = group + b * BLOCK_BYTES;
        for (int t = 0; t < tokens; t++) {
            const int8_t *a = (const int8_t *)(x[t] + b * Q8_0_BYTES + 2);
            for (int r = 0; r < ROWS; r++) {
                int isum = info[t][b].correction;
                for (int i = 0; i < CHUNKS; i++)
                    for (int j = 0; j < 4; j++) isum += block[(i * ROWS + r) * 4 + j] * a[4 * i + j];
                uint16_t h;
                memcpy(&h, block + VALUES_BYTES + 2 * r, 2);
                const float d = gk_half_to_float(h) * info[t][b].scale;
                sums[t][r] = sums[t][r] + d * (float)isum;
            }
        }
    }
}

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#define GK_VNNI __attribute__((target("avx512vnni,avx512vl,avx512f,f16c,avx2")))

/// One group of 8 rows against `tokens` (≤ 4) tokens. Registers: one integer and one float
/// accumulator per token; the 32-byte value load is shared by all tokens.
GK_VNNI static inline void group_tokens_vnni(const uint8_t *group, int64_t blocks, const uint8_t *const *x,
                                             const activation_block *const *info, int tokens, float sums[][ROWS]) {
    __m256 sum[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *block = group + b * BLOCK_BYTES;
        __m256i isum[4];
        for (int t = 0; t < tokens; t++) isum[t] = _mm256_set1_epi32(info[t][b].correction);
        for (int i = 0; i < CHUNKS; i++) {
            const __m256i w = _mm256_loadu_si256((const __m256i *)(block + i * ROWS * 4));
            for (int t = 0; t < tokens; t++) {
                int32_t a;
                memcpy(&a, x[t] + b * Q8_0_BYTES + 2 + 4 * i, 4);
                isum[t] = _mm256_dpbusd_epi32(isum[t], w, _mm256_set1_epi32(a));
            }
        }
        const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(block + VALUES_BYTES)));
        for (int t = 0; t < tokens; t++) {
            const __m256 d = _mm256_mul_ps(dw, _mm256_set1_ps(info[t][b].scale));
            sum[t] = _mm256_add_ps(sum[t], _mm256_mul_ps(d, _mm256_cvtepi32_ps(isum[t])));
        }
    }
    for (int t = 0; t < tokens; t++) _mm256_storeu_ps(sums[t], sum[t]);
}

/// Four groups against one token: four independent accumulator chains hide vpdpbusd latency
/// when generating (one token, memory-bound).
GK_VNNI static inline void four_groups_one_token_vnni(const uint8_t *group, int64_t blocks, const uint8_t *x,
                                                      const activation_block *info, float sums[4][ROWS]) {
    const int64_t stride = blocks * BLOCK_BYTES;
    __m256 sum[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *block = group + b * BLOCK_BYTES;
        const __m256i correction = _mm256_set1_epi32(info[b].correction);
        __m256i isum[4] = {correction, correction, correction, correction};
        for (int i = 0; i < CHUNKS; i++) {
            int32_t a;
            memcpy(&a, x + b * Q8_0_BYTES + 2 + 4 * i, 4);
            const __m256i av = _mm256_set1_epi32(a);
            for (int g = 0; g < 4; g++)
                isum[g] = _mm256_dpbusd_epi32(isum[g], _mm256_loadu_si256((const __m256i *)(block + g * stride + i * ROWS * 4)), av);
        }
        const __m256 da = _mm256_set1_ps(info[b].scale);
        for (int g = 0; g < 4; g++) {
            const __m256 dw = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(block + g * stride + VALUES_BYTES)));
            sum[g] = _mm256_add_ps(sum[g], _mm256_mul_ps(_mm256_mul_ps(dw, da), _mm256_cvtepi32_ps(isum[g])));
        }
    }
    for (int g = 0; g < 4; g++) _mm256_storeu_ps(sums[g], sum[g]);
}
#endif

/// Stores the rows of a group (first row `first`) that lie in [begin, end).
static void store_rows(const float sums[ROWS], int64_t first, int64_t begin, int64_t end, float *y) {
    for (int r = 0; r < ROWS; r++)
        if (first + r >= begin && first + r < end) y[first + r] = sums[r];
}

int gk_matmul_interleaved(gk_isa isa, const void *packed, int64_t rows, int64_t k,
                          int64_t row_begin, int64_t row_end,
                          const void *activations, int64_t n_tokens, int64_t activation_row_bytes,
                          float *y, int64_t ldy, void *scratch) {
    if (k % QK != 0 || row_begin < 0 || row_end > rows) return -1;
    const int64_t group_begin = row_begin / ROWS, group_end = (row_end + ROWS - 1) / ROWS;
    const int64_t blocks = k / QK;
    const int vnni = gk_usable_isa(isa) >= GK_ISA_AVX512_VNNI;
    const uint8_t *base = packed, *x = activations;
    activation_block *info = scratch;
    for (int64_t t = 0; t < n_tokens; t++) describe_activations(x + t * activation_row_bytes, blocks, info + t * blocks);
    // Groups in chunks that stay in L2 while every token tile passes over them.
    enum { TOKEN_TILE = 4, CHUNK_GROUPS = 16 };
    for (int64_t c0 = group_begin; c0 < group_end; c0 += CHUNK_GROUPS) {
        const int64_t c1 = c0 + CHUNK_GROUPS < group_end ? c0 + CHUNK_GROUPS : group_end;
        for (int64_t t0 = 0; t0 < n_tokens; t0 += TOKEN_TILE) {
            const int tokens = n_tokens - t0 < TOKEN_TILE ? (int)(n_tokens - t0) : TOKEN_TILE;
            const uint8_t *xt[TOKEN_TILE];
            const activation_block *it[TOKEN_TILE];
            for (int t = 0; t < tokens; t++) {
                xt[t] = x + (t0 + t) * activation_row_bytes;
                it[t] = info + (t0 + t) * blocks;
            }
            float sums[TOKEN_TILE][ROWS];
            int64_t g = c0;
#if defined(__x86_64__) && defined(__clang__)
            if (vnni && tokens == 1) {
                for (; g + 4 <= c1; g += 4) {
                    four_groups_one_token_vnni(base + g * blocks * BLOCK_BYTES, blocks, xt[0], it[0], sums);
                    for (int j = 0; j < 4; j++) store_rows(sums[j], (g + j) * ROWS, row_begin, row_end, y + t0 * ldy);
                }
            }
#endif
            for (; g < c1; g++) {
                const uint8_t *group = base + g * blocks * BLOCK_BYTES;
#if defined(__x86_64__) && defined(__clang__)
                if (vnni) group_tokens_vnni(group, blocks, xt, it, tokens, sums);
                else
#endif
                    group_tokens_portable(group, blocks, xt, it, tokens, sums);
                for (int t = 0; t < tokens; t++) store_rows(sums[t], g * ROWS, row_begin, row_end, y + (t0 + t) * ldy);
            }
        }
    }
    return 0;
}

int64_t gk_interleaved_scratch_bytes(int64_t k, int64_t n_tokens) {
    return n_tokens * (k / QK) * (int64_t)sizeof(activation_block);
}
