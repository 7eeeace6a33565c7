// Weight rows interleaved sixteen at a time, for VNNI products without horizontal adds.
//
// A "group" is 16 consecutive rows; groups follow each other, blocks in order inside a group.
// In every layout one 64-byte load puts 4 consecutive columns of each of the 16 rows into the
// 16 32-bit lanes of a zmm register (lane r = row r), so vpdpbusd with the token's 4 matching
// activations broadcast adds each row's 4 products to its own lane. Lanes thus hold exact
// integer block (or sub-block) sums per row, and the float steps afterwards are exactly
// gk_vec_dot's, in its order, vectorized across the 16 rows: results are bit-identical to
// every other path. (512-bit vpdpbusd does 1.6× the multiply-adds per second of 256-bit here.)
//
// Sizes below are per row and block; r runs over the group's 16 rows.
//
// Q4_0 / Q5_0 / Q8_0, 34 bytes per block of 32 columns (as Q8_0):
//   values[i][r][4]   i = 0..7 (columns 4i..4i+3), biased to unsigned: w + 128
//   scales[r]         f16 block scales
//   vpdpbusd needs unsigned weights; the bias adds 128·Σa per block, which the lane starts
//   from (−128·Σa) to cancel exactly.
//
// Q4_K, 148 bytes per block of 256 columns (Q4_K itself: 144):
//   values[p][i][r][4]  p = 0..3 (sub-block pair 2p, 2p+1), i = 0..7; low nibble: sub-block
//                       2p, columns 64p + 4i.., high nibble: sub-block 2p+1 (as Q4_K packs)
//   scales[j][r]        u8 6-bit sub-block scales, j = 0..7
//   mins[q][r][2]       u8 sub-block minimums 2q, 2q+1 (widened to i16 pairs for vpmaddwd
//                       with the activation sums of those two sub-blocks)
//   d[r], dmin[r]       f16
//
// Q6_K, 210 bytes per block of 256 columns (as Q6_K itself). Chunk c = columns 4c..4c+3
// (c = 0..63, 16-column group c / 4), each value stored as q + 32 in 6 bits:
//   low[m][r][4]        m = 0..31: low nibble = low 4 bits of chunk m, high nibble = of chunk m+32
//   high[n][r][4]       n = 0..15: bits 2k, 2k+1 = the top 2 bits of chunk n + 16k (k = 0..3)
//   scales[g][r]        i8 group scales, g = 0..15
//   d[r]                f16
//   One low load and one high load rebuild chunks n, n+16, n+32, n+48: one column position in
//   groups n/4, n/4 + 4, n/4 + 8, n/4 + 12. Each lane starts from −32·Σa of its group.
//
// The Q0 layout costs the bytes of Q8_0 (more than Q4_0/Q5_0), Q4_K 3 % more than itself,
// Q6_K nothing; in exchange nothing is unpacked per call and no lane is summed horizontally.

#include "gemma_kernels.h"
#include "half.h"
#include "blocks.h"

#include <string.h>

enum { QK = 32, QK_K = 256, ROWS = GK_INTERLEAVED_ROWS, Q8_0_BYTES = 34, Q8_K_BYTES = 4 + QK_K + 2 * (QK_K / 16) };
enum { Q0_VALUES = (QK / 4) * ROWS * 4, Q0_BLOCK = Q0_VALUES + ROWS * 2 };
enum {
    Q4K_VALUES = 4 * 8 * ROWS * 4, Q4K_SCALES = Q4K_VALUES, Q4K_MINS = Q4K_SCALES + 8 * ROWS,
    Q4K_D = Q4K_MINS + 4 * ROWS * 2, Q4K_BLOCK = Q4K_D + 2 * ROWS * 2,
    Q6K_HIGH = 32 * ROWS * 4, Q6K_SCALES = Q6K_HIGH + 16 * ROWS * 4, Q6K_D = Q6K_SCALES + 16 * ROWS,
    Q6K_BLOCK = Q6K_D + ROWS * 2,
};

static int is_q0(int type) { return type == GK_TYPE_Q4_0 || type == GK_TYPE_Q5_0 || type == GK_TYPE_Q8_0; }

/// Interleaved bytes per group and block, or 0 if `type` has no layout here.
static int64_t layout_block_bytes(int type) {
    if (is_q0(type)) return Q0_BLOCK;
    if (type == GK_TYPE_Q4_K) return Q4K_BLOCK;
    if (type == GK_TYPE_Q6_K) return Q6K_BLOCK;
    return 0;
}

static int64_t block_columns(int type) { return is_q0(type) ? QK : QK_K; }

int64_t gk_interleaved_bytes(int type, int64_t rows, int64_t k) {
    const int64_t bytes = layout_block_bytes(type);
    if (bytes == 0 || k % block_columns(type) != 0) return 0;
    return (rows + ROWS - 1) / ROWS * (k / block_columns(type)) * bytes;
}

// MARK: interleaving (at load)

static void interleave_q0(const uint8_t *source, int r, uint8_t *block, int type) {
    int8_t q[QK] = {0};
    uint16_t scale = 0;  // rows past the end multiply to 0 and are never stored
    if (source) {
        gk_q0_values(type, source, q);
        memcpy(&scale, source, 2);
    }
    for (int i = 0; i < QK / 4; i++)
        for (int j = 0; j < 4; j++) block[(i * ROWS + r) * 4 + j] = (uint8_t)(q[4 * i + j] + 128);
    memcpy(block + Q0_VALUES + 2 * r, &scale, 2);
}

static void store_half(uint8_t *p, float value) {
    const uint16_t h = gk_f32_to_f16(value);  // exact: the scales were halves to begin with
    memcpy(p, &h, 2);
}

static void interleave_k(const uint8_t *source, int r, uint8_t *block, int type) {
    gk_unpacked_k u;
    memset(&u, 0, sizeof u);
    if (source) gk_unpack_k_block(type, source, &u);
    if (type == GK_TYPE_Q4_K) {
        for (int p = 0; p < 4; p++)
            for (int i = 0; i < 8; i++)
                for (int j = 0; j < 4; j++) {
                    const int low = u.q[64 * p + 4 * i + j], high = u.q[64 * p + 32 + 4 * i + j];
                    block[((p * 8 + i) * ROWS + r) * 4 + j] = (uint8_t)(low | (high << 4));
                }
        for (int j = 0; j < 8; j++) block[Q4K_SCALES + j * ROWS + r] = (uint8_t)u.scale16[2 * j];
        for (int q = 0; q < 4; q++)
            for (int h = 0; h < 2; h++) block[Q4K_MINS + (q * ROWS + r) * 2 + h] = (uint8_t)u.min32[2 * q + h];
        store_half(block + Q4K_D + 2 * r, u.d);
        store_half(block + Q4K_D + 2 * (ROWS + r), u.dmin);
        return;
    }
    uint8_t v[QK_K];  // q + 32, column order
    for (int c = 0; c < QK_K; c++) v[c] = (uint8_t)(u.q[c] + 32);
    for (int m = 0; m < 32; m++)
        for (int j = 0; j < 4; j++)
            block[(m * ROWS + r) * 4 + j] = (uint8_t)((v[4 * m + j] & 0x0f) | ((v[4 * (m + 32) + j] & 0x0f) << 4));
    for (int n = 0; n < 16; n++)
        for (int j = 0; j < 4; j++) {
            int bits = 0;
            for (int k = 0; k < 4; k++) bits |= (v[4 * (n + 16 * k) + j] >> 4) << (2 * k);
            block[Q6K_HIGH + (n * ROWS + r) * 4 + j] = (uint8_t)bits;
        }
    for (int g = 0; g < 16; g++) block[Q6K_SCALES + g * ROWS + r] = (uint8_t)(int8_t)u.scale16[g];
    store_half(block + Q6K_D + 2 * r, u.d);
}

int gk_interleave_rows(int type, const void *weights, size_t row_bytes, int64_t rows, int64_t k,
                       int64_t group_begin, int64_t group_end, void *out) {
    const int64_t bytes = layout_block_bytes(type);
    if (bytes == 0 || k % block_columns(type) != 0) return -1;
    const int64_t blocks = k / block_columns(type), source_bytes = gk_block_bytes(type);
    for (int64_t g = group_begin; g < group_end; g++) {
        for (int64_t b = 0; b < blocks; b++) {
            uint8_t *block = (uint8_t *)out + (g * blocks + b) * bytes;
            for (int r = 0; r < ROWS; r++) {
                const int64_t row = g * ROWS + r;
                const uint8_t *source = row < rows ? (const uint8_t *)weights + (size_t)row * row_bytes + b * source_bytes : NULL;
                if (is_q0(type)) interleave_q0(source, r, block, type);
                else interleave_k(source, r, block, type);
            }
        }
    }
    return 0;
}

// MARK: activations

/// Per Q8_0 token block: the bias correction −128·Σa and the activation scale.
typedef struct { int32_t correction; float scale; } q0_activation;

static void describe_q0_activations(const uint8_t *x, int64_t blocks, q0_activation *out) {
    for (int64_t b = 0; b < blocks; b++, x += Q8_0_BYTES) {
        int sum = 0;
        for (int j = 0; j < QK; j++) sum += (int8_t)x[2 + j];
        out[b].correction = -128 * sum;
        out[b].scale = gk_half_at(x);
    }
}

static int16_t q8k_bsum(const uint8_t *x, int g) {
    int16_t sum;
    memcpy(&sum, x + 4 + QK_K + 2 * g, 2);
    return sum;
}

static float q8k_scale(const uint8_t *x) {
    float d;
    memcpy(&d, x, 4);
    return d;
}

/// Per Q8_K token block, what every K product needs from it: the scale, the activation sums of
/// sub-block pairs as i16 halves of one lane (Q4_K minimums), and −32·Σa per 16-column group
/// (Q6_K's offset). Computed once per call instead of once per row group.
typedef struct { float scale; int32_t min_pairs[4]; int32_t group_bias[16]; } k_activation;

static void describe_k_activations(const uint8_t *x, int64_t blocks, k_activation *out) {
    for (int64_t b = 0; b < blocks; b++, x += Q8_K_BYTES) {
        out[b].scale = q8k_scale(x);
        for (int q = 0; q < 4; q++) {
            const uint16_t low = (uint16_t)(q8k_bsum(x, 4 * q) + q8k_bsum(x, 4 * q + 1));
            const uint16_t high = (uint16_t)(q8k_bsum(x, 4 * q + 2) + q8k_bsum(x, 4 * q + 3));
            out[b].min_pairs[q] = (int32_t)((uint32_t)low | ((uint32_t)high << 16));
        }
        for (int g = 0; g < 16; g++) out[b].group_bias[g] = -32 * q8k_bsum(x, g);
    }
}

static float block_value_q0(float dw, float da, int isum) { return dw * da * (float)isum; }

/// The same formula as activations.c's k_block_value.
static float block_value_k(float d, float dmin, float dx, int scaled, int mins) {
    return d * dx * (float)scaled - dmin * dx * (float)mins;
}

// MARK: portable path (the same integers and float steps, one lane at a time)

static void q0_group_portable(const uint8_t *group, int64_t blocks, const uint8_t *const *x,
                              const q0_activation *const *info, int tokens, float sums[][ROWS]) {
    for (int t = 0; t < tokens; t++)
        for (int r = 0; r < ROWS; r++) sums[t][r] = 0;
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *block = group + b * Q0_BLOCK;
        for (int t = 0; t < tokens; t++) {
            const int8_t *a = (const int8_t *)(x[t] + b * Q8_0_BYTES + 2);
            for (int r = 0; r < ROWS; r++) {
                int isum = info[t][b].correction;
                for (int i = 0; i < QK / 4; i++)
                    for (int j = 0; j < 4; j++) isum += block[(i * ROWS + r) * 4 + j] * a[4 * i + j];
                sums[t][r] = sums[t][r] + block_value_q0(gk_half_at(block + Q0_VALUES + 2 * r), info[t][b].scale, isum);
            }
        }
    }
}

/// Value j of chunk c (columns 4c..4c+3) of row r in a Q6_K group-block, q + 32.
static int q6k_value(const uint8_t *block, int r, int c, int j) {
    const int low = (block[((c % 32) * ROWS + r) * 4 + j] >> (4 * (c / 32))) & 0x0f;
    const int high = (block[Q6K_HIGH + ((c % 16) * ROWS + r) * 4 + j] >> (2 * (c / 16))) & 0x03;
    return low | (high << 4);
}

static void k_group_portable(int type, const uint8_t *group, int64_t blocks, const uint8_t *const *x,
                             int tokens, float sums[][ROWS]) {
    const int64_t bytes = layout_block_bytes(type);
    for (int t = 0; t < tokens; t++)
        for (int r = 0; r < ROWS; r++) sums[t][r] = 0;
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *block = group + b * bytes;
        for (int t = 0; t < tokens; t++) {
            const uint8_t *xb = x[t] + b * Q8_K_BYTES;
            const int8_t *a = (const int8_t *)(xb + 4);
            for (int r = 0; r < ROWS; r++) {
                int scaled = 0, mins = 0;
                float d, dmin = 0;
                if (type == GK_TYPE_Q4_K) {
                    for (int p = 0; p < 4; p++)
                        for (int half = 0; half < 2; half++) {
                            int isum = 0;
                            for (int i = 0; i < 8; i++)
                                for (int j = 0; j < 4; j++) {
                                    const int v = (block[((p * 8 + i) * ROWS + r) * 4 + j] >> (4 * half)) & 0x0f;
                                    isum += v * a[64 * p + 32 * half + 4 * i + j];
                                }
                            scaled += block[Q4K_SCALES + (2 * p + half) * ROWS + r] * isum;
                        }
                    for (int q = 0; q < 4; q++) {
                        const uint8_t *m = block + Q4K_MINS + (q * ROWS + r) * 2;
                        mins += m[0] * (q8k_bsum(xb, 4 * q) + q8k_bsum(xb, 4 * q + 1)) +
                                m[1] * (q8k_bsum(xb, 4 * q + 2) + q8k_bsum(xb, 4 * q + 3));
                    }
                    d = gk_half_at(block + Q4K_D + 2 * r);
                    dmin = gk_half_at(block + Q4K_D + 2 * (ROWS + r));
                } else {
                    for (int g = 0; g < 16; g++) {
                        int isum = -32 * q8k_bsum(xb, g);
                        for (int i = 0; i < 4; i++)
                            for (int j = 0; j < 4; j++) isum += q6k_value(block, r, 4 * g + i, j) * a[16 * g + 4 * i + j];
                        scaled += (int8_t)block[Q6K_SCALES + g * ROWS + r] * isum;
                    }
                    d = gk_half_at(block + Q6K_D + 2 * r);
                }
                sums[t][r] = sums[t][r] + block_value_k(d, dmin, q8k_scale(xb), scaled, mins);
            }
        }
    }
}

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#define GK_VNNI __attribute__((target("avx512vnni,avx512bw,avx512vl,avx512f,f16c,avx2")))
#define GK_VNNI_INLINE GK_VNNI __attribute__((always_inline)) static inline

/// How far ahead (in blocks of the same group) generation prefetches: one token streams the
/// whole matrix once, and four groups' streams per thread outrun the hardware prefetcher.
enum { PREFETCH_BLOCKS = 2 };

GK_VNNI_INLINE __m512i broadcast4(const uint8_t *p) {
    int32_t v;
    memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

/// One Q0 group against T tokens (T a constant after inlining). Registers: an integer and a
/// float accumulator per token; each 32-byte value load serves all T tokens, and the T
/// independent vpdpbusd chains hide its latency.
GK_VNNI_INLINE void q0_group_vnni_tile(const uint8_t *group, int64_t blocks, const uint8_t *const *x,
                                       const q0_activation *const *info, const int T, float sums[][ROWS]) {
    __m512 sum[8];
    for (int t = 0; t < T; t++) sum[t] = _mm512_setzero_ps();
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *block = group + b * Q0_BLOCK;
        __m512i isum[8];
        for (int t = 0; t < T; t++) isum[t] = _mm512_set1_epi32(info[t][b].correction);
        for (int i = 0; i < QK / 4; i++) {
            const __m512i w = _mm512_loadu_si512(block + i * ROWS * 4);
            for (int t = 0; t < T; t++)
                isum[t] = _mm512_dpbusd_epi32(isum[t], w, broadcast4(x[t] + b * Q8_0_BYTES + 2 + 4 * i));
        }
        const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(block + Q0_VALUES)));
        for (int t = 0; t < T; t++) {
            const __m512 d = _mm512_mul_ps(dw, _mm512_set1_ps(info[t][b].scale));
            sum[t] = _mm512_add_ps(sum[t], _mm512_mul_ps(d, _mm512_cvtepi32_ps(isum[t])));
        }
    }
    for (int t = 0; t < T; t++) _mm512_storeu_ps(sums[t], sum[t]);
}

GK_VNNI static void q0_group_vnni(const uint8_t *group, int64_t blocks, const uint8_t *const *x,
                                  const q0_activation *const *info, int tokens, float sums[][ROWS]) {
    switch (tokens) {
    case 8: q0_group_vnni_tile(group, blocks, x, info, 8, sums); break;
    case 7: q0_group_vnni_tile(group, blocks, x, info, 7, sums); break;
    case 6: q0_group_vnni_tile(group, blocks, x, info, 6, sums); break;
    case 5: q0_group_vnni_tile(group, blocks, x, info, 5, sums); break;
    case 4: q0_group_vnni_tile(group, blocks, x, info, 4, sums); break;
    case 3: q0_group_vnni_tile(group, blocks, x, info, 3, sums); break;
    case 2: q0_group_vnni_tile(group, blocks, x, info, 2, sums); break;
    default: q0_group_vnni_tile(group, blocks, x, info, 1, sums); break;
    }
}

/// Four Q0 groups against one token: four independent chains when generating (memory-bound).
GK_VNNI static void q0_four_groups_one_token_vnni(const uint8_t *group, int64_t blocks, const uint8_t *x,
                                                  const q0_activation *info, float sums[4][ROWS]) {
    const int64_t stride = blocks * Q0_BLOCK;
    __m512 sum[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
    for (int64_t b = 0; b < blocks; b++) {
        const uint8_t *block = group + b * Q0_BLOCK;
        const __m512i correction = _mm512_set1_epi32(info[b].correction);
        __m512i isum[4] = {correction, correction, correction, correction};
        for (int i = 0; i < QK / 4; i++) {
            const __m512i a = broadcast4(x + b * Q8_0_BYTES + 2 + 4 * i);
            for (int g = 0; g < 4; g++) {
                _mm_prefetch((const char *)(block + g * stride + PREFETCH_BLOCKS * Q0_BLOCK + i * ROWS * 4), _MM_HINT_T0);
                isum[g] = _mm512_dpbusd_epi32(isum[g], _mm512_loadu_si512(block + g * stride + i * ROWS * 4), a);
            }
        }
        const __m512 da = _mm512_set1_ps(info[b].scale);
        for (int g = 0; g < 4; g++) {
            const __m512 dw = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(block + g * stride + Q0_VALUES)));
            sum[g] = _mm512_add_ps(sum[g], _mm512_mul_ps(_mm512_mul_ps(dw, da), _mm512_cvtepi32_ps(isum[g])));
        }
    }
    for (int g = 0; g < 4; g++) _mm512_storeu_ps(sums[g], sum[g]);
}

/// The float step of a K block for T tokens, vectorized across the 16 rows.
GK_VNNI_INLINE void k_accumulate(__m512 d, __m512 dmin, const k_activation *const *info, int64_t b, const int T,
                                 const __m512i *scaled, const __m512i *mins, __m512 *sum) {
    for (int t = 0; t < T; t++) {
        const __m512 dx = _mm512_set1_ps(info[t][b].scale);
        const __m512 positive = _mm512_mul_ps(_mm512_mul_ps(d, dx), _mm512_cvtepi32_ps(scaled[t]));
        const __m512 negative = _mm512_mul_ps(_mm512_mul_ps(dmin, dx), _mm512_cvtepi32_ps(mins[t]));
        sum[t] = _mm512_add_ps(sum[t], _mm512_sub_ps(positive, negative));
    }
}

GK_VNNI_INLINE __m512 load_halves(const uint8_t *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }

/// G groups (`stride` bytes apart) against T tokens, G·T ≤ 8: T = 8 when prefilling (each
/// load serves all tokens), G = 4 when generating (four independent chains per token). Each
/// 32-byte load holds two sub-blocks' columns (low and high nibbles), split once.
GK_VNNI_INLINE void q4k_tile_vnni(const uint8_t *group, int64_t stride, int64_t blocks, const uint8_t *const *x,
                                  const k_activation *const *info, const int G, const int T, float sums[][ROWS]) {
    const __m512i nibble = _mm512_set1_epi8(0x0f);
    __m512 sum[8];
    for (int l = 0; l < G * T; l++) sum[l] = _mm512_setzero_ps();
    for (int64_t b = 0; b < blocks; b++) {
        __m512i scaled[8], mins[8];
        for (int l = 0; l < G * T; l++) scaled[l] = mins[l] = _mm512_setzero_si512();
        for (int p = 0; p < 4; p++) {
            __m512i low_sum[8], high_sum[8];
            for (int l = 0; l < G * T; l++) low_sum[l] = high_sum[l] = _mm512_setzero_si512();
            for (int i = 0; i < 8; i++)
                for (int g = 0; g < G; g++) {
                    const uint8_t *block = group + g * stride + b * Q4K_BLOCK;
                    if (T == 1) _mm_prefetch((const char *)(block + PREFETCH_BLOCKS * Q4K_BLOCK + (p * 8 + i) * ROWS * 4), _MM_HINT_T0);
                    const __m512i w = _mm512_loadu_si512(block + (p * 8 + i) * ROWS * 4);
                    const __m512i low = _mm512_and_si512(w, nibble), high = _mm512_and_si512(_mm512_srli_epi16(w, 4), nibble);
                    for (int t = 0; t < T; t++) {
                        const uint8_t *a = x[t] + b * Q8_K_BYTES + 4 + 64 * p + 4 * i;
                        low_sum[g * T + t] = _mm512_dpbusd_epi32(low_sum[g * T + t], low, broadcast4(a));
                        high_sum[g * T + t] = _mm512_dpbusd_epi32(high_sum[g * T + t], high, broadcast4(a + 32));
                    }
                }
            for (int g = 0; g < G; g++) {
                const uint8_t *scales = group + g * stride + b * Q4K_BLOCK + Q4K_SCALES;
                const __m512i low_scale = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(scales + 2 * p * ROWS)));
                const __m512i high_scale = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(scales + (2 * p + 1) * ROWS)));
                for (int t = 0; t < T; t++) {
                    const int l = g * T + t;
                    scaled[l] = _mm512_add_epi32(scaled[l], _mm512_add_epi32(_mm512_mullo_epi32(low_sum[l], low_scale),
                                                                             _mm512_mullo_epi32(high_sum[l], high_scale)));
                }
            }
        }
        for (int g = 0; g < G; g++) {
            const uint8_t *block = group + g * stride + b * Q4K_BLOCK;
            for (int q = 0; q < 4; q++) {
                const __m512i m = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(block + Q4K_MINS + q * ROWS * 2)));
                for (int t = 0; t < T; t++)
                    mins[g * T + t] = _mm512_add_epi32(mins[g * T + t],
                                                       _mm512_madd_epi16(m, _mm512_set1_epi32(info[t][b].min_pairs[q])));
            }
            k_accumulate(load_halves(block + Q4K_D), load_halves(block + Q4K_D + 2 * ROWS), info, b, T,
                         scaled + g * T, mins + g * T, sum + g * T);
        }
    }
    for (int l = 0; l < G * T; l++) _mm512_storeu_ps(sums[l], sum[l]);
}

/// The same tiling for Q6_K: per step one low and one high load rebuild the same column of
/// four 16-column groups (see the layout), each with its own lane sums.
GK_VNNI_INLINE void q6k_tile_vnni(const uint8_t *group, int64_t stride, int64_t blocks, const uint8_t *const *x,
                                  const k_activation *const *info, const int G, const int T, float sums[][ROWS]) {
    const __m512i nibble = _mm512_set1_epi8(0x0f), top = _mm512_set1_epi8(0x30);
    __m512 sum[4];
    for (int l = 0; l < G * T; l++) sum[l] = _mm512_setzero_ps();
    const __m512i no_mins[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512()};
    for (int64_t b = 0; b < blocks; b++) {
        __m512i scaled[4];
        for (int l = 0; l < G * T; l++) scaled[l] = _mm512_setzero_si512();
        for (int quarter = 0; quarter < 4; quarter++) {  // groups quarter + 4k, k = 0..3
            __m512i isum[4][4];
            for (int g = 0; g < G; g++)
                for (int t = 0; t < T; t++)
                    for (int k = 0; k < 4; k++)
                        isum[g * T + t][k] = _mm512_set1_epi32(info[t][b].group_bias[quarter + 4 * k]);
            for (int i = 0; i < 4; i++) {
                const int n = 4 * quarter + i;
                for (int g = 0; g < G; g++) {
                    const uint8_t *block = group + g * stride + b * Q6K_BLOCK;
                    if (T == 1) {
                        const uint8_t *ahead = block + PREFETCH_BLOCKS * Q6K_BLOCK;
                        _mm_prefetch((const char *)(ahead + n * ROWS * 4), _MM_HINT_T0);
                        _mm_prefetch((const char *)(ahead + (n + 16) * ROWS * 4), _MM_HINT_T0);
                        _mm_prefetch((const char *)(ahead + Q6K_HIGH + n * ROWS * 4), _MM_HINT_T0);
                    }
                    const __m512i l0 = _mm512_loadu_si512(block + n * ROWS * 4);
                    const __m512i l1 = _mm512_loadu_si512(block + (n + 16) * ROWS * 4);
                    const __m512i h = _mm512_loadu_si512(block + Q6K_HIGH + n * ROWS * 4);
                    const __m512i v[4] = {
                        _mm512_or_si512(_mm512_and_si512(l0, nibble), _mm512_and_si512(_mm512_slli_epi16(h, 4), top)),
                        _mm512_or_si512(_mm512_and_si512(l1, nibble), _mm512_and_si512(_mm512_slli_epi16(h, 2), top)),
                        _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l0, 4), nibble), _mm512_and_si512(h, top)),
                        _mm512_or_si512(_mm512_and_si512(_mm512_srli_epi16(l1, 4), nibble), _mm512_and_si512(_mm512_srli_epi16(h, 2), top)),
                    };
                    for (int t = 0; t < T; t++)
                        for (int k = 0; k < 4; k++)
                            isum[g * T + t][k] = _mm512_dpbusd_epi32(
                                isum[g * T + t][k], v[k], broadcast4(x[t] + b * Q8_K_BYTES + 4 + 16 * (quarter + 4 * k) + 4 * i));
                }
            }
            for (int g = 0; g < G; g++)
                for (int k = 0; k < 4; k++) {
                    const uint8_t *scales = group + g * stride + b * Q6K_BLOCK + Q6K_SCALES;
                    const __m512i scale = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(scales + (quarter + 4 * k) * ROWS)));
                    for (int t = 0; t < T; t++)
                        scaled[g * T + t] = _mm512_add_epi32(scaled[g * T + t], _mm512_mullo_epi32(isum[g * T + t][k], scale));
                }
        }
        for (int g = 0; g < G; g++)
            k_accumulate(load_halves(group + g * stride + b * Q6K_BLOCK + Q6K_D), _mm512_setzero_ps(), info, b, T,
                         scaled + g * T, no_mins, sum + g * T);
    }
    for (int l = 0; l < G * T; l++) _mm512_storeu_ps(sums[l], sum[l]);
}

/// K-quant groups against `tokens` tokens: tiles of up to 8 (Q4_K) or 4 (Q6_K, whose four
/// group sums per token take more registers) tokens on one group, or, for a single token,
/// 4 groups (`groups` is 1 or 4) at once.
GK_VNNI static void k_groups_vnni(int type, const uint8_t *group, int64_t stride, int64_t blocks, const uint8_t *const *x,
                                  const k_activation *const *info, int groups, int tokens, float sums[][ROWS]) {
    if (groups == 4) {
        if (type == GK_TYPE_Q4_K) q4k_tile_vnni(group, stride, blocks, x, info, 4, 1, sums);
        else q6k_tile_vnni(group, stride, blocks, x, info, 4, 1, sums);
        return;
    }
    const int tile = type == GK_TYPE_Q4_K ? 8 : 4;
    for (int t0 = 0; t0 < tokens; t0 += tile) {
        const int T = tokens - t0 < tile ? tokens - t0 : tile;
        const uint8_t *const *xt = x + t0;
        const k_activation *const *it = info + t0;
        float (*st)[ROWS] = sums + t0;
        if (type == GK_TYPE_Q4_K) {
            switch (T) {
            case 8: q4k_tile_vnni(group, stride, blocks, xt, it, 1, 8, st); break;
            case 7: q4k_tile_vnni(group, stride, blocks, xt, it, 1, 7, st); break;
            case 6: q4k_tile_vnni(group, stride, blocks, xt, it, 1, 6, st); break;
            case 5: q4k_tile_vnni(group, stride, blocks, xt, it, 1, 5, st); break;
            case 4: q4k_tile_vnni(group, stride, blocks, xt, it, 1, 4, st); break;
            case 3: q4k_tile_vnni(group, stride, blocks, xt, it, 1, 3, st); break;
            case 2: q4k_tile_vnni(group, stride, blocks, xt, it, 1, 2, st); break;
            default: q4k_tile_vnni(group, stride, blocks, xt, it, 1, 1, st); break;
            }
        } else {
            switch (T) {
            case 4: q6k_tile_vnni(group, stride, blocks, xt, it, 1, 4, st); break;
            case 3: q6k_tile_vnni(group, stride, blocks, xt, it, 1, 3, st); break;
            case 2: q6k_tile_vnni(group, stride, blocks, xt, it, 1, 2, st); break;
            default: q6k_tile_vnni(group, stride, blocks, xt, it, 1, 1, st); break;
            }
        }
    }
}
#endif

/// Stores the rows of a group (first row `first`) that lie in [begin, end).
static void store_rows(const float sums[ROWS], int64_t first, int64_t begin, int64_t end, float *y) {
    for (int r = 0; r < ROWS; r++)
        if (first + r >= begin && first + r < end) y[first + r] = sums[r];
}

int64_t gk_interleaved_scratch_bytes(int64_t k, int64_t n_tokens) {
    return n_tokens * ((k / QK) * (int64_t)sizeof(q0_activation) + (k / QK_K) * (int64_t)sizeof(k_activation));
}

int gk_matmul_interleaved(gk_isa isa, int type, const void *packed, int64_t rows, int64_t k,
                          int64_t row_begin, int64_t row_end,
                          const void *activations, int64_t n_tokens, int64_t activation_row_bytes,
                          float *y, int64_t ldy, void *scratch) {
    const int64_t block_bytes = layout_block_bytes(type);
    if (block_bytes == 0 || k % block_columns(type) != 0 || row_begin < 0 || row_end > rows) return -1;
    const int64_t blocks = k / block_columns(type), group_bytes = blocks * block_bytes;
    const int64_t group_begin = row_begin / ROWS, group_end = (row_end + ROWS - 1) / ROWS;
    const int vnni = gk_usable_isa(isa) >= GK_ISA_AVX512_VNNI;
    const uint8_t *base = packed, *x = activations;
    q0_activation *info = scratch;
    k_activation *k_info = scratch;
    for (int64_t t = 0; t < n_tokens; t++) {
        if (is_q0(type)) describe_q0_activations(x + t * activation_row_bytes, blocks, info + t * blocks);
        else describe_k_activations(x + t * activation_row_bytes, blocks, k_info + t * blocks);
    }
    // Groups in chunks that stay in L2 while every token tile passes over them.
    enum { TOKEN_TILE = 8, CHUNK_GROUPS = 16 };
    for (int64_t c0 = group_begin; c0 < group_end; c0 += CHUNK_GROUPS) {
        const int64_t c1 = c0 + CHUNK_GROUPS < group_end ? c0 + CHUNK_GROUPS : group_end;
        for (int64_t t0 = 0; t0 < n_tokens; t0 += TOKEN_TILE) {
            const int tokens = n_tokens - t0 < TOKEN_TILE ? (int)(n_tokens - t0) : TOKEN_TILE;
            const uint8_t *xt[TOKEN_TILE];
            const q0_activation *it[TOKEN_TILE];
            const k_activation *kt[TOKEN_TILE];
            for (int t = 0; t < tokens; t++) {
                xt[t] = x + (t0 + t) * activation_row_bytes;
                it[t] = info + (t0 + t) * blocks;
                kt[t] = k_info + (t0 + t) * blocks;
            }
            float sums[TOKEN_TILE][ROWS];
            int64_t g = c0;
#if defined(__x86_64__) && defined(__clang__)
            if (vnni && tokens == 1) {
                for (; g + 4 <= c1; g += 4) {
                    if (is_q0(type)) q0_four_groups_one_token_vnni(base + g * group_bytes, blocks, xt[0], it[0], sums);
                    else k_groups_vnni(type, base + g * group_bytes, group_bytes, blocks, xt, kt, 4, 1, sums);
                    for (int j = 0; j < 4; j++) store_rows(sums[j], (g + j) * ROWS, row_begin, row_end, y + t0 * ldy);
                }
            }
#endif
            for (; g < c1; g++) {
                const uint8_t *group = base + g * group_bytes;
#if defined(__x86_64__) && defined(__clang__)
                if (vnni && is_q0(type)) q0_group_vnni(group, blocks, xt, it, tokens, sums);
                else if (vnni) k_groups_vnni(type, group, group_bytes, blocks, xt, kt, 1, tokens, sums);
                else
#endif
                if (is_q0(type)) q0_group_portable(group, blocks, xt, it, tokens, sums);
                else k_group_portable(type, group, blocks, xt, tokens, sums);
                for (int t = 0; t < tokens; t++) store_rows(sums[t], g * ROWS, row_begin, row_end, y + (t0 + t) * ldy);
            }
        }
    }
    return 0;
}
