// Products of many activation rows with float weights (F32, F16, BF16) as register-blocked outer
// products: the vision encoder's matrices, where 4,096 patches meet each weight.
//
// The micro-kernel (gk_panel_kernel, also attention.c's) computes a 12 × 32 block of outputs,
// C[i][j] = Σ_d A[i][d] · B[j][d], over `depth` steps from two panels: A as depth × 12 floats (step
// d's twelve values together, each broadcast) and B as depth × 32 floats (step d's 32 values as two
// 16-float vectors). With AVX-512 its 24 accumulators stay in the 32 registers, so each step is 2
// vector loads, 12 broadcasts and 24 FMAs, and no sum needs a horizontal add. Each output's sum runs
// over the depth in order, in one lane; the plain C kernel for other CPUs sums in the same order.
//
// For y = W x: A holds 12 tokens' activations (packed once per product by gk_pack_panels), B 32
// weight rows, converted to floats per block of PANEL_BLOCK_ROWS rows × PANEL_DEPTH columns (256 KiB,
// kept in L2 while every token passes). C is 12 tokens × 32 outputs of y; depth blocks after the
// first add to what the earlier ones left in y, which is prefetched one block ahead.
//
// In bfloat16 panels (GK_PANELS_BF16) a step is a pair of columns: each 4-byte slot holds column 2s in
// its low half and 2s + 1 in its high half, for A's 12 tokens and B's 32 rows alike. AVX512_BF16's
// vdpbf16ps multiplies such pairs and adds both products to a float lane, so the same 2 loads, 12
// broadcasts and 24 instructions cover two columns: twice the multiply-adds of the float kernel per
// cycle, with sums still in float.

#include "gemma_kernels.h"
#include "half.h"
#include "blocks.h"

#include <string.h>

enum { PANEL_TOKENS = GK_PANEL_TOKENS, PANEL_WIDTH = GK_PANEL_WIDTH, PANEL_VECTORS = PANEL_WIDTH / 16,
       PANEL_DEPTH = 256, PANEL_BLOCK_ROWS = 256 / PANEL_WIDTH * PANEL_WIDTH };

/// Steps a panel of `k` columns takes: one per column, or one per pair of columns in bfloat16.
static int64_t panel_steps(gk_panel_format format, int64_t k) { return format == GK_PANELS_BF16 ? (k + 1) / 2 : k; }

/// Columns 2s and 2s + 1 of `row` as one slot of a bfloat16 panel (the second 0 past the row's end).
static uint32_t bf16_pair(const float *row, int64_t s, int64_t k) {
    const uint32_t high = 2 * s + 1 < k ? gk_float_to_bf16(row[2 * s + 1]) : 0;
    return (uint32_t)gk_float_to_bf16(row[2 * s]) | high << 16;
}

int64_t gk_panels_floats(int64_t n_tokens, int64_t k) {
    return (n_tokens + PANEL_TOKENS - 1) / PANEL_TOKENS * PANEL_TOKENS * k;
}

void gk_pack_panels(gk_isa isa, const float *x, int64_t ldx, int64_t n_tokens, int64_t k, int64_t block_begin,
                    int64_t block_end, gk_panel_format format, void *out) {
    const int64_t steps = panel_steps(format, k);
    for (int64_t block = block_begin; block < block_end; block++) {
        const float *rows[PANEL_TOKENS];
        int64_t valid = 0;
        for (; valid < PANEL_TOKENS && block * PANEL_TOKENS + valid < n_tokens; valid++)
            rows[valid] = x + (block * PANEL_TOKENS + valid) * ldx;
        if (format == GK_PANELS_BF16) {
            uint32_t *panel = (uint32_t *)out + block * PANEL_TOKENS * steps;
            for (int64_t s = 0; s < steps; s++, panel += PANEL_TOKENS) {
                for (int64_t i = 0; i < valid; i++) panel[i] = bf16_pair(rows[i], s, k);
                for (int64_t i = valid; i < PANEL_TOKENS; i++) panel[i] = 0;
            }
            continue;
        }
        float *panel = (float *)out + block * PANEL_TOKENS * steps;
        for (int64_t d = 0; d < k; d++, panel += PANEL_TOKENS) {
            for (int64_t i = 0; i < valid; i++) panel[i] = rows[i][d];
            for (int64_t i = valid; i < PANEL_TOKENS; i++) panel[i] = 0;
        }
    }
    if (format == GK_PANELS_F16_ROUNDED)
        gk_round_f16_row(isa, (float *)out + block_begin * PANEL_TOKENS * k, (block_end - block_begin) * PANEL_TOKENS * k);
}

int64_t gk_matmul_panels_scratch_bytes(void) {
    return (PANEL_BLOCK_ROWS * PANEL_DEPTH + PANEL_TOKENS * PANEL_WIDTH + PANEL_DEPTH) * (int64_t)sizeof(float);
}

GK_CLONES static void portable_kernel(const float *a, const float *b, int64_t depth, float *c, int64_t ldc,
                                      int accumulate, const float *scale) {
    float acc[PANEL_TOKENS][PANEL_WIDTH];
    for (int i = 0; i < PANEL_TOKENS; i++)
        for (int j = 0; j < PANEL_WIDTH; j++) acc[i][j] = accumulate ? c[i * ldc + j] * (scale ? scale[j] : 1) : 0;
    for (int64_t d = 0; d < depth; d++, a += PANEL_TOKENS, b += PANEL_WIDTH)
        for (int i = 0; i < PANEL_TOKENS; i++)
            for (int j = 0; j < PANEL_WIDTH; j++) acc[i][j] += a[i] * b[j];
    for (int i = 0; i < PANEL_TOKENS; i++) memcpy(c + i * ldc, acc[i], sizeof acc[i]);
}

/// The bfloat16 kernel in plain C: per slot the high halves' product, then the low halves', as vdpbf16ps
/// orders them.
static void portable_bf16_kernel(const uint32_t *a, const uint32_t *b, int64_t steps, float *c, int64_t ldc,
                                 int accumulate) {
    float acc[PANEL_TOKENS][PANEL_WIDTH];
    for (int i = 0; i < PANEL_TOKENS; i++)
        for (int j = 0; j < PANEL_WIDTH; j++) acc[i][j] = accumulate ? c[i * ldc + j] : 0;
    for (int64_t s = 0; s < steps; s++, a += PANEL_TOKENS, b += PANEL_WIDTH)
        for (int i = 0; i < PANEL_TOKENS; i++) {
            const float low = gk_bf16_to_float((uint16_t)a[i]), high = gk_bf16_to_float((uint16_t)(a[i] >> 16));
            for (int j = 0; j < PANEL_WIDTH; j++) {
                acc[i][j] += high * gk_bf16_to_float((uint16_t)(b[j] >> 16));
                acc[i][j] += low * gk_bf16_to_float((uint16_t)b[j]);
            }
        }
    for (int i = 0; i < PANEL_TOKENS; i++) memcpy(c + i * ldc, acc[i], sizeof acc[i]);
}

#if defined(__x86_64__)
#include <immintrin.h>

__attribute__((target("avx512f"))) static void avx512_kernel(const float *a, const float *b, int64_t depth, float *c,
                                                             int64_t ldc, int accumulate, const float *scale) {
    __m512 acc[PANEL_TOKENS][PANEL_VECTORS], scales[PANEL_VECTORS];
#pragma clang loop unroll(full)
    for (int v = 0; v < PANEL_VECTORS; v++) scales[v] = scale ? _mm512_loadu_ps(scale + 16 * v) : _mm512_set1_ps(1);
#pragma clang loop unroll(full)
    for (int i = 0; i < PANEL_TOKENS; i++)
#pragma clang loop unroll(full)
        for (int v = 0; v < PANEL_VECTORS; v++)
            acc[i][v] = accumulate ? _mm512_mul_ps(_mm512_loadu_ps(c + i * ldc + 16 * v), scales[v]) : _mm512_setzero_ps();
    for (int64_t d = 0; d < depth; d++, a += PANEL_TOKENS, b += PANEL_WIDTH) {
        __m512 columns[PANEL_VECTORS];
#pragma clang loop unroll(full)
        for (int v = 0; v < PANEL_VECTORS; v++) columns[v] = _mm512_loadu_ps(b + 16 * v);
#pragma clang loop unroll(full)
        for (int i = 0; i < PANEL_TOKENS; i++) {
            const __m512 broadcast = _mm512_set1_ps(a[i]);
#pragma clang loop unroll(full)
            for (int v = 0; v < PANEL_VECTORS; v++) acc[i][v] = _mm512_fmadd_ps(broadcast, columns[v], acc[i][v]);
        }
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < PANEL_TOKENS; i++)
#pragma clang loop unroll(full)
        for (int v = 0; v < PANEL_VECTORS; v++) _mm512_storeu_ps(c + i * ldc + 16 * v, acc[i][v]);
}

/// The float kernel's shape with a column pair per step (see the top of the file).
__attribute__((target("avx512f,avx512bf16"))) static void avx512_bf16_kernel(const uint32_t *a, const uint32_t *b,
                                                                             int64_t steps, float *c, int64_t ldc,
                                                                             int accumulate) {
    __m512 acc[PANEL_TOKENS][PANEL_VECTORS];
#pragma clang loop unroll(full)
    for (int i = 0; i < PANEL_TOKENS; i++)
#pragma clang loop unroll(full)
        for (int v = 0; v < PANEL_VECTORS; v++)
            acc[i][v] = accumulate ? _mm512_loadu_ps(c + i * ldc + 16 * v) : _mm512_setzero_ps();
    for (int64_t s = 0; s < steps; s++, a += PANEL_TOKENS, b += PANEL_WIDTH) {
        __m512bh columns[PANEL_VECTORS];
#pragma clang loop unroll(full)
        for (int v = 0; v < PANEL_VECTORS; v++) columns[v] = (__m512bh)_mm512_loadu_si512(b + 16 * v);
#pragma clang loop unroll(full)
        for (int i = 0; i < PANEL_TOKENS; i++) {
            const __m512bh broadcast = (__m512bh)_mm512_set1_epi32((int)a[i]);
#pragma clang loop unroll(full)
            for (int v = 0; v < PANEL_VECTORS; v++) acc[i][v] = _mm512_dpbf16_ps(acc[i][v], broadcast, columns[v]);
        }
    }
#pragma clang loop unroll(full)
    for (int i = 0; i < PANEL_TOKENS; i++)
#pragma clang loop unroll(full)
        for (int v = 0; v < PANEL_VECTORS; v++) _mm512_storeu_ps(c + i * ldc + 16 * v, acc[i][v]);
}

/// F16 through the hardware conversion, sixteen at a time; returns how many it converted.
__attribute__((target("avx512f"))) static int64_t widen_f16_avx512(const uint8_t *source, int64_t count, float *out) {
    int64_t d = 0;
    for (; d + 16 <= count; d += 16)
        _mm512_storeu_ps(out + d, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(source + d * 2))));
    return d;
}

/// How many of `count` F16 values were checked, none of them found with bits below bfloat16's; -1 if one was.
__attribute__((target("avx512f"))) static int64_t f16_bf16_exact_avx512(const uint8_t *source, int64_t count) {
    const __m512i low_bits = _mm512_set1_epi32(0xffff);
    int64_t d = 0;
    for (; d + 16 <= count; d += 16) {
        const __m512 values = _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(source + d * 2)));
        if (_mm512_test_epi32_mask(_mm512_castps_si512(values), low_bits)) return -1;
    }
    return d;
}
#endif

int gk_bf16_products(gk_isa isa) {
#if defined(__x86_64__)
    static int hardware = -1;  // a benign race: every thread stores the same value
    if (hardware < 0) {
        __builtin_cpu_init();
        hardware = __builtin_cpu_supports("avx512bf16") ? 1 : 0;
    }
    return gk_usable_isa(isa) >= GK_ISA_AVX512 && hardware;
#else
    (void)isa;
    return 0;
#endif
}

void gk_panel_kernel(gk_isa isa, const float *a, const float *b, int64_t depth, float *c, int64_t ldc, int accumulate,
                     const float *scale) {
#if defined(__x86_64__)
    if (gk_usable_isa(isa) >= GK_ISA_AVX512) {
        avx512_kernel(a, b, depth, c, ldc, accumulate, scale);
        return;
    }
#endif
    portable_kernel(a, b, depth, c, ldc, accumulate, scale);
}

/// One block of C from panels in `format` (4-byte slots either way), adding to C when `accumulate`.
static void format_kernel(gk_isa isa, gk_panel_format format, const void *a, const void *b, int64_t steps, float *c,
                          int64_t ldc, int accumulate) {
    if (format != GK_PANELS_BF16) {
        gk_panel_kernel(isa, a, b, steps, c, ldc, accumulate, NULL);
        return;
    }
#if defined(__x86_64__)
    if (gk_bf16_products(isa)) {
        avx512_bf16_kernel(a, b, steps, c, ldc, accumulate);
        return;
    }
#endif
    portable_bf16_kernel(a, b, steps, c, ldc, accumulate);
}

/// `count` values of a weight row from column `first` as floats.
static void widen(gk_isa isa, int type, const uint8_t *row, int64_t first, int64_t count, float *out) {
    int64_t d = 0;
    if (type == GK_TYPE_F16) {
        const uint8_t *source = row + first * 2;
#if defined(__x86_64__)
        if (gk_usable_isa(isa) >= GK_ISA_AVX512) d = widen_f16_avx512(source, count, out);
#endif
        for (; d < count; d++) out[d] = gk_half_at(source + d * 2);
    } else if (type == GK_TYPE_BF16) {
        for (; d < count; d++) out[d] = gk_bf16_to_float(gk_read_u16(row + (first + d) * 2));
    } else {
        memcpy(out, row + first * 4, (size_t)count * sizeof(float));
    }
}

/// Rows [first, first + rows) of columns [depth_first, + depth) into panels of 32 rows in `format`,
/// step-major; rows past the block are zero.
static void pack_weights(gk_isa isa, int type, gk_panel_format format, const uint8_t *weights, size_t row_bytes,
                         int64_t first, int64_t rows, int64_t depth_first, int64_t depth, void *panels,
                         float *row_buffer) {
    const int64_t panel_count = (rows + PANEL_WIDTH - 1) / PANEL_WIDTH, steps = panel_steps(format, depth);
    for (int64_t r = 0; r < panel_count * PANEL_WIDTH; r++) {
        const int64_t slot = r / PANEL_WIDTH * PANEL_WIDTH * steps + r % PANEL_WIDTH;
        if (r < rows) widen(isa, type, weights + (size_t)(first + r) * row_bytes, depth_first, depth, row_buffer);
        for (int64_t s = 0; s < steps; s++) {
            if (format == GK_PANELS_BF16)
                ((uint32_t *)panels)[slot + s * PANEL_WIDTH] = r < rows ? bf16_pair(row_buffer, s, depth) : 0;
            else
                ((float *)panels)[slot + s * PANEL_WIDTH] = r < rows ? row_buffer[s] : 0;
        }
    }
}

int gk_matmul_panels(gk_isa isa, int type, const void *weights, size_t row_bytes, int64_t k, int64_t row_begin,
                     int64_t row_end, gk_panel_format format, const void *x_panels, int64_t n_tokens, float *y,
                     int64_t ldy, void *scratch) {
    if (type != GK_TYPE_F32 && type != GK_TYPE_F16 && type != GK_TYPE_BF16) return -1;
    float *panels = scratch, *edge = panels + PANEL_BLOCK_ROWS * PANEL_DEPTH, *row_buffer = edge + PANEL_TOKENS * PANEL_WIDTH;
    const float *slots = x_panels;  // 4-byte slots: floats, or bfloat16 pairs
    const int64_t k_steps = panel_steps(format, k);
    for (int64_t block = row_begin; block < row_end; block += PANEL_BLOCK_ROWS) {
        const int64_t rows = row_end - block < PANEL_BLOCK_ROWS ? row_end - block : PANEL_BLOCK_ROWS;
        for (int64_t depth_first = 0; depth_first < k; depth_first += PANEL_DEPTH) {
            const int64_t depth = k - depth_first < PANEL_DEPTH ? k - depth_first : PANEL_DEPTH;
            const int64_t steps = panel_steps(format, depth), step_first = panel_steps(format, depth_first);
            pack_weights(isa, type, format, weights, row_bytes, block, rows, depth_first, depth, panels, row_buffer);
            for (int64_t t = 0; t < n_tokens; t += PANEL_TOKENS) {
                const float *a = slots + t * k_steps + step_first * PANEL_TOKENS;
                const int64_t tokens = n_tokens - t < PANEL_TOKENS ? n_tokens - t : PANEL_TOKENS;
                for (int64_t p = 0; p * PANEL_WIDTH < rows; p++) {
                    const int64_t width = rows - p * PANEL_WIDTH < PANEL_WIDTH ? rows - p * PANEL_WIDTH : PANEL_WIDTH;
                    float *c = y + t * ldy + block + p * PANEL_WIDTH;
                    const float *b = panels + p * PANEL_WIDTH * steps;
                    // The next block's partial sums (next panel, or next tokens), written a depth block ago and
                    // long gone from the caches, are fetched while this block runs.
                    const int last_panel = (p + 1) * PANEL_WIDTH >= rows;
                    const int64_t next_tokens = !last_panel ? tokens : n_tokens - t - PANEL_TOKENS;
                    const float *next = !last_panel ? c + PANEL_WIDTH : y + (t + PANEL_TOKENS) * ldy + block;
                    for (int64_t i = 0; depth_first > 0 && i < next_tokens && i < PANEL_TOKENS; i++) {
                        __builtin_prefetch(next + i * ldy);
                        __builtin_prefetch(next + i * ldy + 16);
                    }
                    if (tokens == PANEL_TOKENS && width == PANEL_WIDTH) {
                        format_kernel(isa, format, a, b, steps, c, ldy, depth_first > 0);
                        continue;
                    }
                    // A partial block works on a full-size copy; only its valid part goes back.
                    for (int64_t i = 0; i < tokens; i++)
                        memcpy(edge + i * PANEL_WIDTH, c + i * ldy, (size_t)width * sizeof(float));
                    format_kernel(isa, format, a, b, steps, edge, PANEL_WIDTH, depth_first > 0);
                    for (int64_t i = 0; i < tokens; i++)
                        memcpy(c + i * ldy, edge + i * PANEL_WIDTH, (size_t)width * sizeof(float));
                }
            }
        }
    }
    return 0;
}

int gk_bf16_exact(gk_isa isa, int type, const void *values, int64_t count) {
    (void)isa;  // used by the x86 path only
    const uint8_t *bytes = values;
    int64_t i = 0;
    switch (type) {
    case GK_TYPE_BF16: return 1;
    case GK_TYPE_F16:
#if defined(__x86_64__)
        if (gk_usable_isa(isa) >= GK_ISA_AVX512) i = f16_bf16_exact_avx512(bytes, count);
        if (i < 0) return 0;
#endif
        for (; i < count; i++)
            if (gk_bf16_to_float(gk_float_to_bf16(gk_half_at(bytes + i * 2))) != gk_half_at(bytes + i * 2)) return 0;
        return 1;
    case GK_TYPE_F32:
        for (; i < count; i++)
            if (gk_read_u16(bytes + i * 4) != 0) return 0;
        return 1;
    default: return 0;
    }
}

/// Eight independent chains of 16-lane multiply-adds, fused where the clone's instruction set has FMA
/// (the kernels otherwise build without FP contraction), enough to keep two FMA pipes busy through
/// their latency: the float throughput the micro-kernel is measured against. Returns a sum of the
/// chains so that none is optimized away.
GK_CLONES float gk_fma_probe(int64_t iterations) {
#pragma clang fp contract(fast)
    typedef float lanes __attribute__((vector_size(64)));
    lanes chains[8];
    for (int i = 0; i < 8; i++) chains[i] = (lanes){0} + (float)i * 1e-3f;
    const lanes factor = (lanes){0} + 0.999999f, term = (lanes){0} + 1e-7f;
    for (int64_t n = 0; n < iterations; n++)
        for (int i = 0; i < 8; i++) chains[i] = chains[i] * factor + term;
    float sum = 0;
    for (int i = 0; i < 8; i++)
        for (int l = 0; l < 16; l++) sum += chains[i][l];
    return sum;
}
