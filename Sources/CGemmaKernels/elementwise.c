// Element-wise steps that round through half precision, as llama.cpp's CPU backend does:
// GELU from a table indexed by the input's f16 bits, and rounding of whole rows to f16.
// The AVX-512 paths use the hardware conversion (vcvtps2ph, round to nearest even), which
// rounds exactly as gk_f32_to_f16 does for every finite value, so every path agrees bit for bit.

#include "gemma_kernels.h"
#include "half.h"

#include <math.h>
#include <pthread.h>

#if defined(__x86_64__) && defined(__clang__)
#include <immintrin.h>
#define GK_AVX512 __attribute__((target("avx512f,f16c")))
#endif

/// GELU, tanh approximation (Gemma's FFN activation), in a fixed operation order.
static float gelu(float x) {
    const float sqrt_two_over_pi = 0.79788456f;
    return 0.5f * x * (1.0f + tanhf(sqrt_two_over_pi * x * (1.0f + 0.044715f * x * x)));
}

/// gelu(h) rounded to half, for every half h: 256 KiB, built once per process.
static float gelu_table[1 << 16];
static pthread_once_t gelu_once = PTHREAD_ONCE_INIT;

static void build_gelu_table(void) {
    for (uint32_t h = 0; h < (1u << 16); h++) gelu_table[h] = gk_round_f16(gelu(gk_half_to_float((uint16_t)h)));
}

/// ggml's GELU: exact outside ±10 (the table would saturate), the table inside.
static inline float table_gelu(float x) {
    if (x <= -10.0f) return 0.0f;
    if (x >= 10.0f) return x;
    return gelu_table[gk_f32_to_f16(x)];
}

#ifdef GK_AVX512
/// gate[i] = GELU(gate[i]) · up[i], or GELU(gate[i]) where `up` is NULL.
GK_AVX512 static int64_t gelu_gate_avx512(float *gate, const float *up, int64_t n) {
    const __m512 low = _mm512_set1_ps(-10.0f), high = _mm512_set1_ps(10.0f);
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m512 x = _mm512_loadu_ps(gate + i);
        const __m256i halves = _mm512_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        __m512 g = _mm512_i32gather_ps(_mm512_cvtepu16_epi32(halves), gelu_table, 4);
        g = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, high, _CMP_GE_OQ), g, x);
        g = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(x, low, _CMP_GT_OQ), g);
        _mm512_storeu_ps(gate + i, up ? _mm512_mul_ps(g, _mm512_loadu_ps(up + i)) : g);
    }
    return i;
}

GK_AVX512 static int64_t round_f16_avx512(float *x, int64_t n) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m256i halves = _mm512_cvtps_ph(_mm512_loadu_ps(x + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        _mm512_storeu_ps(x + i, _mm512_cvtph_ps(halves));
    }
    return i;
}
#endif

void gk_gelu_gate(gk_isa isa, float *gate, const float *up, int64_t n) {
    pthread_once(&gelu_once, build_gelu_table);
    int64_t i = 0;
#ifdef GK_AVX512
    if (gk_usable_isa(isa) >= GK_ISA_AVX512) i = gelu_gate_avx512(gate, up, n);
#else
    (void)isa;
#endif
    for (; i < n; i++) gate[i] = up ? table_gelu(gate[i]) * up[i] : table_gelu(gate[i]);
}

void gk_gelu(gk_isa isa, float *x, int64_t n) { gk_gelu_gate(isa, x, NULL, n); }

void gk_round_f16_row(gk_isa isa, float *x, int64_t n) {
    int64_t i = 0;
#ifdef GK_AVX512
    if (gk_usable_isa(isa) >= GK_ISA_AVX512) i = round_f16_avx512(x, n);
#else
    (void)isa;
#endif
    for (; i < n; i++) x[i] = gk_round_f16(x[i]);
}
