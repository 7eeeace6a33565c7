#ifndef GEMMA_KERNELS_BLOCKS_H
#define GEMMA_KERNELS_BLOCKS_H

// Block decoding and build helpers shared by the kernel files (not part of the public header).

#include <stdint.h>

#include "gemma_kernels.h"

/// Plain C loops compiled once per instruction set (AVX-512, AVX2, baseline), the variant
/// picked at load time, so the compiler vectorizes each for the CPU found.
#if defined(__x86_64__) && defined(__clang__)
#define GK_CLONES __attribute__((target_clones("avx512bw", "avx2", "default")))
#else
#define GK_CLONES
#endif

/// A K-quant block's integer parts: values (Q4_K/Q5_K unsigned, Q6_K with its offset of 32
/// removed), one scale per 16 values, one minimum per 32 (0 for Q6_K), and the float factors.
typedef struct { float d, dmin; int16_t scale16[16]; int16_t min32[8]; int8_t q[256]; } gk_unpacked_k;

/// The 32 signed values of a Q4_0, Q5_0 or Q8_0 block (offsets removed).
void gk_q0_values(int type, const uint8_t *block, int8_t q[32]);
/// Decodes a Q4_K, Q5_K or Q6_K block.
void gk_unpack_k_block(int type, const uint8_t *block, gk_unpacked_k *out);

/// C[i · ldc + j] = start + Σ_d a[d · 12 + i] · b[d · 32 + j] for i < 12, j < 32 (panels.c's micro-kernel),
/// where start is 0, or C[i · ldc + j] · scale[j] when `accumulate` (scale NULL meaning 1).
void gk_panel_kernel(gk_isa isa, const float *a, const float *b, int64_t depth, float *c, int64_t ldc, int accumulate,
                     const float *scale);

#endif
