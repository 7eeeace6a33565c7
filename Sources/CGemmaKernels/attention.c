// Non-causal attention over many positions (the vision encoder's), flash-style: keys in tiles, a
// running maximum and sum per query, so a call holds a few tiles, never a positions × positions matrix.
//
// Layout (per head, made by gk_attention_layout): keys transposed, `dim` rows of `padded_positions`
// floats, so a tile's scores are outer products along the keys; values as rows of `padded_dim` floats,
// so the weighted sum runs along the dimensions. Both products keep their sums in registers: sixteen
// 16-float accumulators for the scores of four queries × 64 keys, ten for two queries' value sums.

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blocks.h"
#include "gemma_kernels.h"

typedef float vf16 __attribute__((vector_size(64)));
typedef int32_t vi16 __attribute__((vector_size(64)));

enum { LANES = 16, KEY_TILE = 64, QUERY_BLOCK = 4, VALUE_CHUNKS = 5, VALUE_BLOCK = VALUE_CHUNKS * LANES,
       MAX_PADDED_DIM = 320 };

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
int64_t gk_attention_padded_dim(int64_t dim) { return (dim + VALUE_BLOCK - 1) / VALUE_BLOCK * VALUE_BLOCK; }

void gk_attention_layout(const float *keys, const float *values, int64_t stride, int64_t positions, int64_t dim,
                         float *keys_t, float *values_p) {
    const int64_t padded_positions = gk_attention_padded_positions(positions), padded_dim = gk_attention_padded_dim(dim);
    memset(keys_t, 0, (size_t)(dim * padded_positions) * sizeof(float));
    memset(values_p, 0, (size_t)(padded_positions * padded_dim) * sizeof(float));
    for (int64_t t = 0; t < positions; t++) {
        for (int64_t c = 0; c < dim; c++) keys_t[c * padded_positions + t] = keys[t * stride + c];
        memcpy(values_p + t * padded_dim, values + t * stride, (size_t)dim * sizeof(float));
    }
}

/// scores[q][j] = scale · q·k for four queries and one tile of 64 keys, keys past `valid` −∞.
GK_CLONES static void tile_scores(const float queries[QUERY_BLOCK][MAX_PADDED_DIM], int64_t dim,
                                  const float *keys_t, int64_t padded_positions, int64_t valid, float scale,
                                  float scores[QUERY_BLOCK][KEY_TILE]) {
    vf16 sums[QUERY_BLOCK][KEY_TILE / LANES] = {{0}};
    for (int64_t c = 0; c < dim; c++) {
        const float *row = keys_t + c * padded_positions;
        const vf16 k0 = LOAD(row), k1 = LOAD(row + 16), k2 = LOAD(row + 32), k3 = LOAD(row + 48);
        for (int q = 0; q < QUERY_BLOCK; q++) {
            const vf16 a = SPLAT(queries[q][c]);
            sums[q][0] += a * k0;
            sums[q][1] += a * k1;
            sums[q][2] += a * k2;
            sums[q][3] += a * k3;
        }
    }
    for (int q = 0; q < QUERY_BLOCK; q++)
        for (int i = 0; i < KEY_TILE / LANES; i++) STORE(scores[q] + i * LANES, sums[q][i] * scale);
    for (int q = 0; q < QUERY_BLOCK; q++)
        for (int64_t j = valid; j < KEY_TILE; j++) scores[q][j] = -INFINITY;
}

/// acc[q] += Σ_j weights[q][j] · value[j] for two queries and one tile, VALUE_BLOCK dimensions at a time.
GK_CLONES static void tile_values(const float weights[2][KEY_TILE], const float *values_p, int64_t padded_dim,
                                  float acc[2][MAX_PADDED_DIM]) {
    for (int64_t first = 0; first < padded_dim; first += VALUE_BLOCK) {
        vf16 sums[2][VALUE_CHUNKS];
        for (int q = 0; q < 2; q++)
            for (int i = 0; i < VALUE_CHUNKS; i++) sums[q][i] = LOAD(acc[q] + first + i * LANES);
        for (int64_t j = 0; j < KEY_TILE; j++) {
            const float *row = values_p + j * padded_dim + first;
            vf16 v[VALUE_CHUNKS];
            for (int i = 0; i < VALUE_CHUNKS; i++) v[i] = LOAD(row + i * LANES);
            for (int q = 0; q < 2; q++) {
                const vf16 w = SPLAT(weights[q][j]);
                for (int i = 0; i < VALUE_CHUNKS; i++) sums[q][i] += w * v[i];
            }
        }
        for (int q = 0; q < 2; q++)
            for (int i = 0; i < VALUE_CHUNKS; i++) STORE(acc[q] + first + i * LANES, sums[q][i]);
    }
}

/// The scores become softmax weights relative to the running maximum; returns the factor by which the
/// earlier sums shrink, and updates the maximum and the total.
GK_CLONES static float rescale(float scores[KEY_TILE], float *largest, float *total) {
    vf16 high = LOAD(scores);
    for (int i = 1; i < KEY_TILE / LANES; i++) high = __builtin_elementwise_max(high, LOAD(scores + i * LANES));
    float tile_largest = *largest;
    for (int i = 0; i < LANES; i++) tile_largest = high[i] > tile_largest ? high[i] : tile_largest;
    const float correction = EXP_NONPOSITIVE(SPLAT(*largest - tile_largest))[0];
    vf16 sum = {0};
    for (int i = 0; i < KEY_TILE / LANES; i++) {
        const vf16 p = EXP_NONPOSITIVE(LOAD(scores + i * LANES) - tile_largest);
        STORE(scores + i * LANES, p);
        sum += p;
    }
    float tile_sum = 0;
    for (int i = 0; i < LANES; i++) tile_sum += sum[i];
    *largest = tile_largest;
    *total = *total * correction + tile_sum;
    return correction;
}

/// Up to QUERY_GROUP queries at a time take each key tile in turn, so a head's keys and values (megabytes)
/// stream through the cache once per group rather than once per four queries.
enum { QUERY_GROUP = 64 };

typedef struct {
    float queries[QUERY_GROUP][MAX_PADDED_DIM];
    float acc[QUERY_GROUP][MAX_PADDED_DIM];
    float scores[QUERY_BLOCK][KEY_TILE];
    float largest[QUERY_GROUP], total[QUERY_GROUP];
} attention_state;

static void attend_group(attention_state *state, const float *queries, int64_t stride, int64_t nq, int64_t dim,
                         const float *keys_t, const float *values_p, int64_t positions, float scale, float *out) {
    const int64_t padded_positions = gk_attention_padded_positions(positions), padded_dim = gk_attention_padded_dim(dim);
    const int64_t blocks = (nq + QUERY_BLOCK - 1) / QUERY_BLOCK * QUERY_BLOCK;
    memset(state->queries, 0, sizeof state->queries);
    memset(state->acc, 0, sizeof state->acc);
    for (int64_t q = 0; q < nq; q++) memcpy(state->queries[q], queries + q * stride, (size_t)dim * sizeof(float));
    for (int64_t q = 0; q < QUERY_GROUP; q++) state->largest[q] = -INFINITY, state->total[q] = 0;
    for (int64_t key = 0; key < padded_positions; key += KEY_TILE) {
        const int64_t valid = positions - key < KEY_TILE ? positions - key : KEY_TILE;
        for (int64_t first = 0; first < blocks; first += QUERY_BLOCK) {
            tile_scores((const float (*)[MAX_PADDED_DIM])state->queries[first], dim, keys_t + key, padded_positions,
                        valid, scale, state->scores);
            for (int q = 0; q < QUERY_BLOCK; q++) {
                float *acc = state->acc[first + q];
                const vf16 correction = SPLAT(rescale(state->scores[q], &state->largest[first + q], &state->total[first + q]));
                for (int64_t c = 0; c < padded_dim; c += LANES) STORE(acc + c, LOAD(acc + c) * correction);
            }
            for (int q = 0; q < QUERY_BLOCK; q += 2)
                tile_values((const float (*)[KEY_TILE])state->scores[q], values_p + key * padded_dim, padded_dim,
                            (float (*)[MAX_PADDED_DIM])state->acc[first + q]);
        }
    }
    for (int64_t q = 0; q < nq; q++) {
        const float normalizer = 1.0f / state->total[q];
        for (int64_t c = 0; c < dim; c++) out[q * stride + c] = state->acc[q][c] * normalizer;
    }
}

void gk_attend_tiled(const float *queries, int64_t stride, int64_t nq, int64_t dim, const float *keys_t,
                     const float *values_p, int64_t positions, float scale, float *out) {
    attention_state *state = malloc(sizeof *state);
    for (int64_t first = 0; first < nq; first += QUERY_GROUP) {
        const int64_t rows = nq - first < QUERY_GROUP ? nq - first : QUERY_GROUP;
        attend_group(state, queries + first * stride, stride, rows, dim, keys_t, values_p, positions, scale,
                     out + first * stride);
    }
    free(state);
}
