// Float vector kernels (attention scores and value sums), with runtime dispatch between an
// AVX-512 path, an AVX2+FMA path and a portable path (any CPU, including arm64).

#include "gemma_kernels.h"

#include <math.h>


#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define GK_X86 1
#endif

// MARK: portable path

enum { PORTABLE_LANES = 8 };

static float portable_dot(const float *a, const float *b, int64_t n) {
    float lanes[PORTABLE_LANES] = {0};
    int64_t i = 0;
    for (; i + PORTABLE_LANES <= n; i += PORTABLE_LANES)
        for (int l = 0; l < PORTABLE_LANES; l++) lanes[l] += a[i + l] * b[i + l];
    float sum = 0;
    for (int l = 0; l < PORTABLE_LANES; l++) sum += lanes[l];
    for (; i < n; i++) sum += a[i] * b[i];
    return sum;
}

#ifdef GK_X86

// MARK: AVX2 + FMA path

__attribute__((target("avx2,fma"))) static float avx2_reduce(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

__attribute__((target("avx2,fma"))) static float avx2_tail(float sum, const float *a, const float *b,
                                                           int64_t from, int64_t n) {
    for (int64_t i = from; i < n; i++) sum += a[i] * b[i];
    return sum;
}

__attribute__((target("avx2,fma"))) static float avx2_dot(const float *a, const float *b, int64_t n) {
    __m256 acc = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) acc = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), acc);
    return avx2_tail(avx2_reduce(acc), a, b, i, n);
}

__attribute__((target("avx2,fma"))) static void avx2_axpy(float *y, float a, const float *x, int64_t n) {
    const __m256 av = _mm256_set1_ps(a);
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(y + i, _mm256_fmadd_ps(av, _mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}

/// Four rows by two activations, each pair's sum exactly as avx2_dot makes it (eight independent chains
/// instead of one, so the FMA latency is hidden; sixteen registers hold them and the loads).
__attribute__((target("avx2,fma"))) static void avx2_dot_4x2(const float *const w[4], const float *const x[2],
                                                             int64_t n, float *out, int64_t out_stride) {
    __m256 acc[2][4];
    for (int t = 0; t < 2; t++)
        for (int r = 0; r < 4; r++) acc[t][r] = _mm256_setzero_ps();
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        const __m256 x0 = _mm256_loadu_ps(x[0] + i), x1 = _mm256_loadu_ps(x[1] + i);
        for (int r = 0; r < 4; r++) {
            const __m256 wr = _mm256_loadu_ps(w[r] + i);
            acc[0][r] = _mm256_fmadd_ps(wr, x0, acc[0][r]);
            acc[1][r] = _mm256_fmadd_ps(wr, x1, acc[1][r]);
        }
    }
    for (int t = 0; t < 2; t++)
        for (int r = 0; r < 4; r++) out[t * out_stride + r] = avx2_tail(avx2_reduce(acc[t][r]), w[r], x[t], i, n);
}

// MARK: AVX-512 path

__attribute__((target("avx512f"))) static float avx512_tail(float sum, const float *a, const float *b,
                                                             int64_t from, int64_t n) {
    for (int64_t i = from; i < n; i++) sum += a[i] * b[i];
    return sum;
}

__attribute__((target("avx512f"))) static float avx512_dot(const float *a, const float *b, int64_t n) {
    __m512 acc = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) acc = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc);
    return avx512_tail(_mm512_reduce_add_ps(acc), a, b, i, n);
}

/// Four rows by four activations, each pair's sum exactly as avx512_dot makes it (sixteen chains).
__attribute__((target("avx512f"))) static void avx512_dot_4x4(const float *const w[4], const float *const x[4],
                                                              int64_t n, float *out, int64_t out_stride) {
    __m512 acc[4][4];
    for (int t = 0; t < 4; t++)
        for (int r = 0; r < 4; r++) acc[t][r] = _mm512_setzero_ps();
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m512 xs[4];
        for (int t = 0; t < 4; t++) xs[t] = _mm512_loadu_ps(x[t] + i);
        for (int r = 0; r < 4; r++) {
            const __m512 wr = _mm512_loadu_ps(w[r] + i);
            for (int t = 0; t < 4; t++) acc[t][r] = _mm512_fmadd_ps(wr, xs[t], acc[t][r]);
        }
    }
    for (int t = 0; t < 4; t++)
        for (int r = 0; r < 4; r++)
            out[t * out_stride + r] = avx512_tail(_mm512_reduce_add_ps(acc[t][r]), w[r], x[t], i, n);
}

__attribute__((target("avx512f"))) static void avx512_axpy(float *y, float a, const float *x, int64_t n) {
    const __m512 av = _mm512_set1_ps(a);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(y + i, _mm512_fmadd_ps(av, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    for (; i < n; i++) y[i] += a * x[i];
}

#endif

static void portable_axpy(float *y, float a, const float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) y[i] += a * x[i];
}

// MARK: dispatch

static gk_isa detect_isa(void) {
#ifdef GK_X86
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        const int vnni = __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512vl") &&
                         __builtin_cpu_supports("f16c");
        return vnni ? GK_ISA_AVX512_VNNI : GK_ISA_AVX512;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return GK_ISA_AVX2;
#endif
    return GK_ISA_PORTABLE;
}

gk_isa gk_best_isa(void) {
    static int detected = -1;  // a benign race: every thread stores the same value
    if (detected < 0) detected = (int)detect_isa();
    return (gk_isa)detected;
}

gk_isa gk_usable_isa(gk_isa allowed) {
    const gk_isa best = gk_best_isa();
    return allowed < best ? allowed : best;
}

const char *gk_isa_name(gk_isa isa) {
    switch (isa) {
    case GK_ISA_AVX512_VNNI: return "avx512-vnni";
    case GK_ISA_AVX512: return "avx512";
    case GK_ISA_AVX2: return "avx2";
    default: return "portable";
    }
}


float gk_dot_f32(gk_isa isa, const float *a, const float *b, int64_t n) {
#ifdef GK_X86
    switch (gk_usable_isa(isa)) {
    case GK_ISA_AVX512_VNNI: case GK_ISA_AVX512: return avx512_dot(a, b, n);
    case GK_ISA_AVX2: return avx2_dot(a, b, n);
    default: break;
    }
#endif
    return portable_dot(a, b, n);
}

void gk_dot_f32_4x4(gk_isa isa, const float *const w[4], const float *const x[4], int64_t n,
                    float *out, int64_t out_stride) {
#ifdef GK_X86
    switch (gk_usable_isa(isa)) {
    case GK_ISA_AVX512_VNNI: case GK_ISA_AVX512: avx512_dot_4x4(w, x, n, out, out_stride); return;
    case GK_ISA_AVX2:
        avx2_dot_4x2(w, x, n, out, out_stride);
        avx2_dot_4x2(w, x + 2, n, out + 2 * out_stride, out_stride);
        return;
    default: break;
    }
#endif
    for (int t = 0; t < 4; t++)
        for (int r = 0; r < 4; r++) out[t * out_stride + r] = portable_dot(w[r], x[t], n);
}

void gk_axpy_f32(gk_isa isa, float *y, float a, const float *x, int64_t n) {
#ifdef GK_X86
    switch (gk_usable_isa(isa)) {
    case GK_ISA_AVX512_VNNI: case GK_ISA_AVX512: avx512_axpy(y, a, x, n); return;
    case GK_ISA_AVX2: avx2_axpy(y, a, x, n); return;
    default: break;
    }
#endif
    portable_axpy(y, a, x, n);
}

// MARK: attention

/// Softmax in place; the sum is accumulated in double.
static void softmax(float *x, int64_t n) {
    float maximum = -INFINITY;
    for (int64_t i = 0; i < n; i++) maximum = x[i] > maximum ? x[i] : maximum;
    double sum = 0;
    for (int64_t i = 0; i < n; i++) {
        x[i] = expf(x[i] - maximum);
        sum += (double)x[i];
    }
    const float inverse = (float)(1 / sum);
    for (int64_t i = 0; i < n; i++) x[i] *= inverse;
}

#ifdef GK_X86
/// Scores of up to 4 heads against each key, every key row loaded once for all heads. Each
/// score is avx512_dot's exact sequence (16-lane FMAs in order, then the same reduction).
__attribute__((target("avx512f"))) static void avx512_scores(const float *queries, int64_t heads, int64_t dim,
                                                             const float *keys, int64_t stride, int64_t n, float *scores) {
    for (int64_t j = 0; j < n; j++) {
        const float *key = keys + j * stride;
        __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps()};
        for (int64_t i = 0; i < dim; i += 16) {
            const __m512 k = _mm512_loadu_ps(key + i);
            for (int64_t h = 0; h < heads; h++) acc[h] = _mm512_fmadd_ps(_mm512_loadu_ps(queries + h * dim + i), k, acc[h]);
        }
        for (int64_t h = 0; h < heads; h++) scores[h * n + j] = _mm512_reduce_add_ps(acc[h]);
    }
}

/// out[h] = Σ_j weight[h][j] · value_j for up to 4 heads, 64 dimensions at a time held in
/// registers; per element the same FMA sequence as repeated avx512_axpy calls.
__attribute__((target("avx512f"))) static void avx512_weighted_values(const float *weights, int64_t heads, int64_t dim,
                                                                      const float *values, int64_t stride, int64_t n, float *out) {
    for (int64_t d = 0; d < dim; d += 64) {
        __m512 acc[4][4];
        for (int64_t h = 0; h < heads; h++)
            for (int c = 0; c < 4; c++) acc[h][c] = _mm512_setzero_ps();
        for (int64_t j = 0; j < n; j++) {
            const float *value = values + j * stride + d;
            const __m512 v[4] = {_mm512_loadu_ps(value), _mm512_loadu_ps(value + 16), _mm512_loadu_ps(value + 32), _mm512_loadu_ps(value + 48)};
            for (int64_t h = 0; h < heads; h++) {
                const __m512 w = _mm512_set1_ps(weights[h * n + j]);
                for (int c = 0; c < 4; c++) acc[h][c] = _mm512_fmadd_ps(w, v[c], acc[h][c]);
            }
        }
        for (int64_t h = 0; h < heads; h++)
            for (int c = 0; c < 4; c++) _mm512_storeu_ps(out + h * dim + d + 16 * c, acc[h][c]);
    }
}
#endif

void gk_attend_group(gk_isa isa, const float *queries, int64_t heads, int64_t dim,
                     const float *keys, const float *values, int64_t stride, int64_t n,
                     float *scores, float *out) {
    for (int64_t h0 = 0; h0 < heads; h0 += 4) {
        const int64_t group = heads - h0 < 4 ? heads - h0 : 4;
        const float *q = queries + h0 * dim;
        float *o = out + h0 * dim;
#ifdef GK_X86
        const int wide = gk_usable_isa(isa) >= GK_ISA_AVX512 && dim % 64 == 0;
        if (wide) avx512_scores(q, group, dim, keys, stride, n, scores);
        else
#endif
            for (int64_t h = 0; h < group; h++)
                for (int64_t j = 0; j < n; j++) scores[h * n + j] = gk_dot_f32(isa, q + h * dim, keys + j * stride, dim);
        for (int64_t h = 0; h < group; h++) {
            softmax(scores + h * n, n);
            gk_round_f16_row(isa, scores + h * n, n);
        }
#ifdef GK_X86
        if (wide) {
            avx512_weighted_values(scores, group, dim, values, stride, n, o);
            continue;
        }
#endif
        for (int64_t h = 0; h < group; h++) {
            for (int64_t i = 0; i < dim; i++) o[h * dim + i] = 0;
            for (int64_t j = 0; j < n; j++) gk_axpy_f32(isa, o + h * dim, scores[h * n + j], values + j * stride, dim);
        }
    }
}
