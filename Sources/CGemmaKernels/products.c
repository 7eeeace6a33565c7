// Float vector kernels (attention scores and value sums), with runtime dispatch between an
// AVX-512 path, an AVX2+FMA path and a portable path (any CPU, including arm64).

#include "gemma_kernels.h"


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
