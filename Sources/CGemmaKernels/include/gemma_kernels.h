#ifndef GEMMA_KERNELS_H
#define GEMMA_KERNELS_H

/// C kernels of the Gemma engine: dequantization of GGML tensor types and the
/// row-times-activations products the forward pass spends its time in.
///
/// Everything here is pure: callers own every buffer and every length is explicit.
/// Results never depend on the number of threads a caller splits work across, because
/// each output element is computed by one call in one fixed order (bit-reproducible runs).

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// GGML tensor type ids as stored in GGUF tensor infos (only the ones the engine computes with).
typedef enum {
    GK_TYPE_F32 = 0,
    GK_TYPE_F16 = 1,
    GK_TYPE_Q4_0 = 2,
    GK_TYPE_Q5_0 = 6,
    GK_TYPE_Q8_0 = 8,
    GK_TYPE_Q4_K = 12,
    GK_TYPE_Q5_K = 13,
    GK_TYPE_Q6_K = 14,
    GK_TYPE_BF16 = 30,
} gk_type;

/// Elements per block of `type`, or 0 if the engine does not support it.
int64_t gk_block_elements(int type);
/// Bytes per block of `type`, or 0 if the engine does not support it.
int64_t gk_block_bytes(int type);

/// Converts IEEE half bits to float exactly (subnormals, infinities and NaN payloads kept).
float gk_f16_to_f32(uint16_t bits);

/// Dequantizes `count` elements (a multiple of the block size) from `src` into `dst`,
/// bit-exactly as the reference definitions in ggml / gguf-py do. Returns 0, or -1 for an
/// unsupported type or a count that is not a whole number of blocks.
int gk_dequantize(int type, const void *src, float *dst, int64_t count);

/// Instruction sets a kernel call may use, in increasing order; each call uses the widest one
/// that is both allowed and present. Quantized products give bit-identical results on every
/// path (exact integer block sums, the same float steps in the same order); the float dot and
/// axpy differ in the last bits between paths (their lane counts differ).
typedef enum {
    GK_ISA_PORTABLE = 0,     ///< plain C, any CPU (arm64 included)
    GK_ISA_AVX2 = 1,         ///< AVX2 + FMA
    GK_ISA_AVX512 = 2,       ///< AVX-512F
    GK_ISA_AVX512_VNNI = 3,  ///< AVX-512 VNNI + VL (interleaved weight products)
} gk_isa;

/// The widest instruction set this CPU supports.
gk_isa gk_best_isa(void);
/// `allowed`, capped by what this CPU supports.
gk_isa gk_usable_isa(gk_isa allowed);
/// "avx512-vnni", "avx512", "avx2" or "portable".
const char *gk_isa_name(gk_isa isa);

/// dot(a, b) over n floats.
float gk_dot_f32(gk_isa isa, const float *a, const float *b, int64_t n);

/// out[t · out_stride + r] = dot(w[r], x[t]) for four rows and four activations, each exactly as
/// gk_dot_f32 computes it (so grouping never changes a result), with the chains interleaved.
void gk_dot_f32_4x4(gk_isa isa, const float *const w[4], const float *const x[4], int64_t n,
                    float *out, int64_t out_stride);

/// y[i] += a * x[i] over n floats.
void gk_axpy_f32(gk_isa isa, float *y, float a, const float *x, int64_t n);

/// Attention of `heads` queries (already rounded to f16 and scaled) that share one key/value
/// head, over `n` cached positions `stride` floats apart: scores q·k, softmax (sum in double),
/// weights rounded to f16, out[h] = Σ weight·value. `scores` holds heads × n floats. Results
/// are those of gk_dot_f32 / gk_axpy_f32 per pair, whatever the grouping.
void gk_attend_group(gk_isa isa, const float *queries, int64_t heads, int64_t dim,
                     const float *keys, const float *values, int64_t stride, int64_t n,
                     float *scores, float *out);

/// The micro-kernel's block (panels.c explains it): tokens per activation panel of gk_matmul_panels,
/// and weight rows (or attention's queries) per 32-wide panel.
enum { GK_PANEL_TOKENS = 12, GK_PANEL_WIDTH = 32 };
/// How gk_pack_panels stores activations and gk_matmul_panels multiplies them: floats as they are; floats
/// rounded to half precision (as ggml rounds the activations an F16 weight multiplies); or pairs of
/// bfloat16 (activations rounded to nearest even, weights converted likewise), summed in floats.
typedef enum { GK_PANELS_F32 = 0, GK_PANELS_F16_ROUNDED = 1, GK_PANELS_BF16 = 2 } gk_panel_format;
/// 4-byte slots of `n_tokens` activation rows of `k` columns packed as panels in any format (the last
/// panel zero-padded).
int64_t gk_panels_floats(int64_t n_tokens, int64_t k);
/// Packs panels [block_begin, block_end) of GK_PANEL_TOKENS rows of `x` (rows `ldx` floats apart) into
/// `out` (gk_panels_floats slots long) in `format`.
void gk_pack_panels(gk_isa isa, const float *x, int64_t ldx, int64_t n_tokens, int64_t k, int64_t block_begin,
                    int64_t block_end, gk_panel_format format, void *out);
/// Bytes of scratch one gk_matmul_panels call needs.
int64_t gk_matmul_panels_scratch_bytes(void);
/// y[t · ldy + r] = Σ_c w[r][c] · x[t][c] for rows [row_begin, row_end) of an F32, F16 or BF16 matrix and
/// `n_tokens` activation rows packed by gk_pack_panels in `format`, in register-blocked outer products; each
/// sum runs over the columns in order (AVX-512 and AVX512_BF16, or plain C). Returns 0, or -1 for another type.
int gk_matmul_panels(gk_isa isa, int type, const void *weights, size_t row_bytes, int64_t k, int64_t row_begin,
                     int64_t row_end, gk_panel_format format, const void *x_panels, int64_t n_tokens, float *y,
                     int64_t ldy, void *scratch);
/// 1 when `isa` allows AVX-512 and the CPU multiplies bfloat16 pairs in hardware (AVX512_BF16): then
/// GK_PANELS_BF16 products run at twice the float kernel's rate; elsewhere they run in plain C.
int gk_bf16_products(gk_isa isa);
/// 1 when every one of `count` values of `type` (F32, F16, BF16) is a bfloat16 value, so converting the
/// weights to bfloat16 changes none of them (MedGemma's F16 files hold its bfloat16 release); else 0.
int gk_bf16_exact(gk_isa isa, int type, const void *values, int64_t count);

/// `iterations` × 8 × 16 float multiply-adds in independent chains (a throughput probe); returns their sum.
float gk_fma_probe(int64_t iterations);

/// Positions and dimensions of one head as gk_attend_tiled reads them: padded to whole tiles.
int64_t gk_attention_padded_positions(int64_t positions);
int64_t gk_attention_padded_dim(int64_t dim);
/// One head's keys (padded-positions × `dim` floats) and values (padded-positions × padded-dim floats)
/// in attention.c's blocks of 12, zero-padded; `keys` and `values` are rows `stride` floats apart at the
/// head's first dimension.
void gk_attention_layout(const float *keys, const float *values, int64_t stride, int64_t positions, int64_t dim,
                         float *keys_p, float *values_p);
/// Non-causal attention of `nq` query rows of one head over all `positions` keys and values in
/// gk_attention_layout's layout: out[q] = Σ softmax(scale · q·k) · v, keys in tiles with a running
/// maximum and sum (no positions × positions matrix). Queries and out are rows `stride` floats apart,
/// at the head's first dimension; `dim` ≤ 256.
void gk_attend_tiled(gk_isa isa, const float *queries, int64_t stride, int64_t nq, int64_t dim, const float *keys_p,
                     const float *values_p, int64_t positions, float scale, float *out);

/// Rounds a float to the nearest IEEE half (ties to even), returning its bits.
uint16_t gk_f32_to_f16(float value);
/// `value` rounded to half precision and back.
float gk_round_f16(float value);

/// gate[i] = GELU(gate[i]) · up[i] with ggml's GELU: the tanh approximation looked up by the
/// input's f16 bits in a table of f16-rounded results, exact (0 or x) outside ±10; `up` NULL: GELU alone.
void gk_gelu_gate(gk_isa isa, float *gate, const float *up, int64_t n);
/// x[i] = GELU(x[i]) in place, with the same table as gk_gelu_gate (the vision encoder's MLP).
void gk_gelu(gk_isa isa, float *x, int64_t n);
/// Rounds n floats to half precision in place (round to nearest even).
void gk_round_f16_row(gk_isa isa, float *x, int64_t n);

/// Bytes of one activation row of `k` floats quantized for multiplying with `weight_type`
/// (Q8_0 blocks for Q4_0/Q5_0/Q8_0, Q8_K blocks for K-quants, plain f32 otherwise).
int64_t gk_activation_row_bytes(int weight_type, int64_t k);
/// Which activation format `weight_type` multiplies with: equal numbers mean one quantized
/// input can serve both (0 f32, 1 Q8_0, 2 Q8_K).
int gk_activation_format(int weight_type);
/// Quantizes one activation row as gk_activation_row_bytes describes.
void gk_quantize_activations(int weight_type, const float *x, int64_t k, void *out);
/// Dot product of one weight row with one quantized activation row. `scratch` (k floats) is
/// used only for float weight types.
float gk_vec_dot(int type, const void *row, const void *activations, int64_t k, float *scratch);
/// Rows unpacked at once by gk_matmul_quantized (a tile shares its unpacking across tokens).
enum { GK_MATMUL_TILE_ROWS = 8 };
/// Bytes of scratch one gk_matmul_quantized call needs for rows of `k` elements of `type`.
int64_t gk_matmul_scratch_bytes(int type, int64_t k);
/// y[t * ldy + r] = gk_vec_dot(row r, activation row t) for rows [row_begin, row_end),
/// bit-identical to gk_vec_dot but unpacking each row once for all tokens.
int gk_matmul_quantized(gk_isa isa, int type, const void *weights, size_t row_bytes, int64_t k,
                        int64_t row_begin, int64_t row_end,
                        const void *activations, int64_t n_tokens, int64_t activation_row_bytes,
                        float *y, int64_t ldy, void *scratch);

/// Rows per group of the interleaved layout (interleaved.c explains it).
enum { GK_INTERLEAVED_ROWS = 16 };
/// Bytes of `rows` rows of `k` columns of a Q4_0/Q5_0/Q8_0/Q4_K/Q6_K matrix interleaved, or
/// 0 for other types.
int64_t gk_interleaved_bytes(int type, int64_t rows, int64_t k);
/// Interleaves row groups [group_begin, group_end) (8 rows each, the last one zero-padded) of
/// such a matrix into `out` (gk_interleaved_bytes long). Returns 0, or -1.
int gk_interleave_rows(int type, const void *weights, size_t row_bytes, int64_t rows, int64_t k,
                       int64_t group_begin, int64_t group_end, void *out);
/// Bytes of scratch gk_matmul_interleaved needs for `n_tokens` activation rows of `k` columns.
int64_t gk_interleaved_scratch_bytes(int64_t k, int64_t n_tokens);
/// y[t * ldy + r] = gk_vec_dot(row r, activation row t), bit for bit, for rows
/// [row_begin, row_end) of an interleaved matrix of `rows` rows of `type` and activations
/// quantized for it. Returns 0, or -1 for a bad type, range or k.
int gk_matmul_interleaved(gk_isa isa, int type, const void *packed, int64_t rows, int64_t k,
                          int64_t row_begin, int64_t row_end,
                          const void *activations, int64_t n_tokens, int64_t activation_row_bytes,
                          float *y, int64_t ldy, void *scratch);

/// A fixed set of worker threads for short parallel steps (pool.c explains the waiting).
typedef struct gk_pool gk_pool;
/// One share of a job: `worker` runs from 0 to the pool's thread count − 1.
typedef void (*gk_pool_task)(void *context, int64_t worker);
/// A pool of `threads` threads counting the caller (threads − 1 are started), or NULL.
gk_pool *gk_pool_create(int threads);
/// Runs task(context, w) for every worker w, the caller taking w = 0, and returns when all
/// are done.
void gk_pool_run(gk_pool *pool, gk_pool_task task, void *context);
/// Atomically adds `value` to `*counter` and returns the old value (workers of one job claim
/// chunks of work with it).
int64_t gk_fetch_add(int64_t *counter, int64_t value);
/// Stops and joins the workers.
void gk_pool_destroy(gk_pool *pool);

/// The wrapping sum of `count` 64-bit words, read as fast as the CPU can (the bench's
/// memory-bandwidth probe).
uint64_t gk_sum_words(const uint64_t *words, int64_t count);

/// Offset of the first occurrence of `needle` in `haystack`, or -1 (for the tokenizer's
/// special-piece search; memmem is not declared by every libc without feature macros).
int64_t gk_find_bytes(const void *haystack, int64_t haystack_length, const void *needle, int64_t needle_length);

#ifdef __cplusplus
}
#endif

#endif
