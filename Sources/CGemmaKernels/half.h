#ifndef GEMMA_KERNELS_HALF_H
#define GEMMA_KERNELS_HALF_H

// Half-to-float conversion inlined into the hot loops (block scales are halves).

#include <stdint.h>
#include <string.h>

static inline float gk_bits_to_float(uint32_t bits) {
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/// Exact IEEE half to float: subnormals normalised, infinities and NaN payloads kept.
static inline float gk_half_to_float(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    if (exponent == 0x1f) return gk_bits_to_float(sign | 0x7f800000u | (mantissa << 13));
    if (exponent != 0) return gk_bits_to_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
    if (mantissa == 0) return gk_bits_to_float(sign);
    uint32_t shift = 0;
    while ((mantissa & 0x400u) == 0) { mantissa <<= 1; shift++; }
    mantissa &= 0x3ffu;
    return gk_bits_to_float(sign | ((113 - shift) << 23) | (mantissa << 13));
}

/// A float rounded to bfloat16 (its top 16 bits, ties to even; NaN stays NaN).
static inline uint16_t gk_float_to_bf16(float value) {
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40u);
    return (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

/// A bfloat16 as a float (exact: the float's top 16 bits).
static inline float gk_bf16_to_float(uint16_t value) { return gk_bits_to_float((uint32_t)value << 16); }

/// Little-endian 16 bits at `p` (GGUF is little-endian; `p` need not be aligned).
static inline uint16_t gk_read_u16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

/// The f16 stored at `p` (block scales), as a float.
static inline float gk_half_at(const uint8_t *p) { return gk_half_to_float(gk_read_u16(p)); }

#endif
