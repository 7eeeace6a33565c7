// Non-causal attention over many positions (the vision encoder's), flash-style: keys in tiles, a
// running maximum and sum per query, so a call holds a few tiles, never a positions × positions matrix.
//
// Queries sit in vector lanes: 32 at a time, so the running maximum, the softmax and its rescaling are
// vector operations across queries, and both products are panels.c's 12 × 32 micro-kernel:
//   scores  S[key][query] = Σ_c K[key][c] · Q[query][c]     A = 12 keys' rows, B = the queries transposed
//   values  Oᵀ[c][query] += Σ_key V[key][c] · P[key][query]  A = 12 dimensions of each value, B = P
// Layout (per head, made by gk_attention_layout): keys in blocks of 12, `dim` steps of 12 floats each;
// values in blocks of 12 dimensions, one step of 12 floats per position; both zero-padded.

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "gemma_kernels.h"

typedef float vf16 __attribute__((vector_size(64)));
typedef int32_t vi16 __attribute__((vector_size(64)));

enum { LANES = 16, BLOCK = GK_PANEL_TOKENS, QUERIES = GK_PANEL_WIDTH, KEY_TILE = 96, MAX_DIM = 256 };

// Vector helpers are macros: a vector passed to or returned from a function would change the calling
// convention between the clones (the baseline one has no 512-bit registers).
#define LOAD(p) ({ vf16 loaded_; memcpy(&loaded_, (p), sizeof loaded_); loaded_; })
#define STORE(p, v) do { const vf16 stored_ = (v); memcpy((p), &stored_, sizeof stored_); } while (0)
#define SPLAT(x) ((vf16){0} + (x))

/// exp(x) for x ≤ 0 within 2 ulp (Cephes' reduction by ln 2 and degree-6 polynomial), sixteen at a time;
/// inputs below −87.3 (and −∞) give ≈ 1e-38, which the sums cannot tell from 0.
#define EXP_NONPOSITIVE(input) ({ \
    const vf16 x_ = __builtin_elementwise_max((input), SPLAT(-87.3f)); \
    const vf16 k_ = __builtin_elementwise_floor(x_ * 1.44269504088896341f + 0.5f); \
    const vf16 r_ = (x_ - k_ * 0.693359375f) + k_ * 2.12194440e-4f; \
    vf16 p_ = SPLAT(1.9875691500e-4f); \
    p_ = p_ * r_ + 1.3981999507e-3f; \
    p_ = p_ * r_ + 8.3334519073e-3f; \
    p_ = p_ * r_ + 4.1665795894e-2f; \
    p_ = p_ * r_ + 1.6666665459e-1f; \
    p_ = p_ * r_ + 5.0000001201e-1f; \
    (p_ * r_ * r_ + r_ + 1.0f) * (vf16)((__builtin_convertvector(k_, vi16) + 127) << 23); })

int64_t gk_attention_padded_positions(int64_t positions) { return (positions + KEY_TILE - 1) / KEY_TILE * KEY_TILE; }
int64_t gk_attention_padded_dim(int64_t dim) { return (dim + BLOCK - 1) / BLOCK * BLOCK; }

void gk_attention_layout(const float *keys, const float *values, int64_t stride, int64_t positions, int64_t dim,
                         float *keys_p, float *values_p) {
    const int64_t padded_positions = gk_attention_padded_positions(positions), padded_dim = gk_attention_padded_dim(dim);
    memset(keys_p, 0, (size_t)(padded_positions * dim) * sizeof(float));
    memset(values_p, 0, (size_t)(padded_positions * padded_dim) * sizeof(float));
    for (int64_t t = 0; t < positions; t++) {
        float *key_block = keys_p + t / BLOCK * BLOCK * dim + t % BLOCK;
        for (int64_t c = 0; c < dim; c++) {
            key_block[c * BLOCK] = keys[t * stride + c];
            values_p[c / BLOCK * BLOCK * padded_positions + t * BLOCK + c % BLOCK] = values[t * stride + c];
        }
    }
}

typedef struct {
    float queries_t[MAX_DIM][QUERIES];
    float out_t[MAX_DIM][QUERIES];
    float weights[KEY_TILE][QUERIES];
    float largest[QUERIES], total[QUERIES], correction[QUERIES];
} attention_state;

/// The tile's scores become softmax weights relative to the running maximum (rows from `valid` on are
/// padding and weigh 0); the earlier sums' shrink factor goes to `correction`, and the maximum and total
/// move on.
GK_CLONES static void softmax_tile(attention_state *s, int64_t valid, float scale) {
    for (int half = 0; half < QUERIES / LANES; half++) {
        const int lane = half * LANES;
        vf16 high = LOAD(&s->largest[lane]);
        for (int64_t i = 0; i < valid; i++) high = __builtin_elementwise_max(high, LOAD(&s->weights[i][lane]) * scale);
        const vf16 correction = EXP_NONPOSITIVE(LOAD(&s->largest[lane]) - high);
        vf16 sum = {0};
        for (int64_t i = 0; i < KEY_TILE; i++) {
            const vf16 p = i < valid ? EXP_NONPOSITIVE(LOAD(&s->weights[i][lane]) * scale - high) : SPLAT(0.0f);
            STORE(&s->weights[i][lane], p);
            sum += p;
        }
        STORE(&s->largest[lane], high);
        STORE(&s->total[lane], LOAD(&s->total[lane]) * correction + sum);
        STORE(&s->correction[lane], correction);
    }
}

static void attend_group(gk_isa isa, attention_state *s, const float *queries, int64_t stride, int64_t nq, int64_t dim,
                         const float *keys_p, const float *values_p, int64_t positions, float scale, float *out) {
    const int64_t padded_positions = gk_attention_padded_positions(positions), padded_dim = gk_attention_padded_dim(dim);
    for (int64_t c = 0; c < dim; c++)
        for (int64_t q = 0; q < QUERIES; q++) s->queries_t[c][q] = q < nq ? queries[q * stride + c] : 0;
    memset(s->out_t, 0, sizeof s->out_t);
    for (int q = 0; q < QUERIES; q++) s->largest[q] = -INFINITY, s->total[q] = 0;
    for (int64_t key = 0; key < padded_positions; key += KEY_TILE) {
        for (int64_t block = 0; block < KEY_TILE; block += BLOCK)
            gk_panel_kernel(isa, keys_p + (key + block) * dim, &s->queries_t[0][0], dim, &s->weights[block][0], QUERIES, 0,
                            NULL);
        softmax_tile(s, positions - key < KEY_TILE ? positions - key : KEY_TILE, scale);
        for (int64_t first = 0; first < padded_dim; first += BLOCK)
            gk_panel_kernel(isa, values_p + first * padded_positions + key * BLOCK, &s->weights[0][0], KEY_TILE,
                            &s->out_t[first][0], QUERIES, 1, s->correction);
    }
    for (int64_t q = 0; q < nq; q++) {
        const float normalizer = 1.0f / s->total[q];
        for (int64_t c = 0; c < dim; c++) out[q * stride + c] = s->out_t[c][q] * normalizer;
    }
}

void gk_attend_tiled(gk_isa isa, const float *queries, int64_t stride, int64_t nq, int64_t dim, const float *keys_p,
                     const float *values_p, int64_t positions, float scale, float *out) {
    attention_state *state = malloc(sizeof *state);
    for (int64_t first = 0; first < nq; first += QUERIES) {
        const int64_t rows = nq - first < QUERIES ? nq - first : QUERIES;
        attend_group(isa, state, queries + first * stride, stride, rows, dim, keys_p, values_p, positions, scale,
                     out + first * stride);
    }
    free(state);
}
