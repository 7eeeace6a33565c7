import CGemmaKernels

/// One batched evaluation of the Gemma 3 transformer over consecutive positions: text tokens, or the
/// soft tokens of an image (embeddings given directly, attending to each other in both directions).
///
/// Per layer: RMSNorm → Q/K/V projections → per-head RMSNorm of Q and K → NEOX RoPE →
/// attention (sliding window on local layers, full on every sixth) → output projection →
/// post-attention norm → residual; RMSNorm → GELU(tanh)-gated FFN → post-FFN norm → residual.
/// (Gemma 3 technical report; llama.cpp's gemma3 graph for the details.)
///
/// Numerics follow llama.cpp's CPU backend where it rounds (8-bit activations in weight
/// products, f16 KV cache, f16 GELU table), so greedy output can be compared token for token.
struct ForwardPass {
    let model: GemmaModel
    let cache: KVCache
    /// Position of the first token.
    let start: Int
    let input: Input

    enum Input {
        case tokens([TokenID])
        /// `count` rows of embedding-width floats, used as given (an image's soft tokens are not scaled
        /// by √width as token embeddings are), each seeing every other row of the batch (llama.cpp's
        /// non-causal attention for Gemma 3 images).
        case softTokens([Float], count: Int)
    }

    private var count: Int {
        switch input {
        case .tokens(let tokens): tokens.count
        case .softTokens(_, let count): count
        }
    }

    private var config: GemmaConfig { model.config }
    private var parallel: Parallel { model.parallel }

    /// Runs every layer and returns the final-normed hidden state of the last token.
    func run() -> [Float] {
        let c = config, count = count
        let x = Buffer(count * c.embeddingLength), normed = Buffer(count * c.embeddingLength)
        let q = Buffer(count * c.queryDimension), attended = Buffer(count * c.queryDimension)
        let k = Buffer(count * c.kvDimension), v = Buffer(count * c.kvDimension)
        let gate = Buffer(count * c.feedForwardLength), up = Buffer(count * c.feedForwardLength)
        embed(into: x.pointer)
        cache.reserve(start + count, keeping: start)
        for (index, layer) in model.weights.layers.enumerated() {
            normRows(x.pointer, layer.attentionNorm, into: normed.pointer)
            WeightMatrix.multiply(normed.pointer, tokens: count,
                                  by: [(layer.query, q.pointer), (layer.key, k.pointer), (layer.value, v.pointer)],
                                  parallel: parallel)
            prepareQueriesAndKeys(layer: index, weights: layer, q: q.pointer, k: k.pointer)
            storeKeysAndValues(layer: index, k: k.pointer, v: v.pointer)
            attend(layer: index, q: q.pointer, into: attended.pointer)
            layer.attentionOutput.multiply(attended.pointer, tokens: count, into: normed.pointer, parallel: parallel)
            normRows(normed.pointer, layer.postAttentionNorm, into: normed.pointer)
            Operations.add(x.pointer, normed.pointer, count: count * c.embeddingLength)

            normRows(x.pointer, layer.feedForwardNorm, into: normed.pointer)
            WeightMatrix.multiply(normed.pointer, tokens: count, by: [(layer.gate, gate.pointer), (layer.up, up.pointer)],
                                  parallel: parallel)
            gk_gelu_gate(model.isa, gate.pointer, up.pointer, Int64(count * c.feedForwardLength))
            layer.down.multiply(gate.pointer, tokens: count, into: normed.pointer, parallel: parallel)
            normRows(normed.pointer, layer.postFeedForwardNorm, into: normed.pointer)
            Operations.add(x.pointer, normed.pointer, count: count * c.embeddingLength)
        }
        var hidden = [Float](repeating: 0, count: c.embeddingLength)
        Operations.rmsNorm(x.pointer + (count - 1) * c.embeddingLength, weight: model.weights.outputNorm,
                           epsilon: c.rmsEpsilon, into: &hidden)
        return hidden
    }

    /// Token embeddings scaled by sqrt(n_embd), as Gemma does (the scale is rounded to float first);
    /// soft tokens as given.
    private func embed(into x: UnsafeMutablePointer<Float>) {
        let width = config.embeddingLength
        switch input {
        case .tokens(let tokens):
            let scale = Float(width).squareRoot()
            for (t, token) in tokens.enumerated() {
                let row = x + t * width
                model.weights.tokenEmbedding.row(Int(token), into: row)
                for i in 0..<width { row[i] *= scale }
            }
        case .softTokens(let rows, _):
            x.update(from: rows, count: rows.count)
        }
    }

    private func normRows(_ x: UnsafeMutablePointer<Float>, _ weight: [Float], into y: UnsafeMutablePointer<Float>) {
        let width = weight.count, epsilon = config.rmsEpsilon
        let source = SendablePointer(x), destination = SendablePointer(y)
        parallel.forEachRange(count) { range in
            for t in range {
                Operations.rmsNorm(source.pointer + t * width, weight: weight, epsilon: epsilon,
                                   into: destination.pointer + t * width)
            }
        }
    }

    /// Per-head RMSNorm and RoPE of queries and keys; queries are also pre-scaled for attention.
    private func prepareQueriesAndKeys(layer: Int, weights: LayerWeights, q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>) {
        let c = config, start = start
        let global = c.isGlobalLayer(layer)
        let base = global ? c.globalRopeBase : c.localRopeBase
        let scale: Float = global ? c.globalRopeScale : 1
        let queries = SendablePointer(q), keys = SendablePointer(k)
        parallel.forEachRange(count) { range in
            for t in range {
                let position = start + t
                for head in 0..<c.headCount {
                    let vector = queries.pointer + t * c.queryDimension + head * c.headDimension
                    Operations.rmsNorm(vector, weight: weights.queryNorm, epsilon: c.rmsEpsilon, into: vector)
                    Operations.rope(vector, dimension: c.headDimension, position: position, base: base, scale: scale)
                    for i in 0..<c.headDimension { vector[i] *= c.attentionScale }
                }
                for head in 0..<c.kvHeadCount {
                    let vector = keys.pointer + t * c.kvDimension + head * c.headDimension
                    Operations.rmsNorm(vector, weight: weights.keyNorm, epsilon: c.rmsEpsilon, into: vector)
                    Operations.rope(vector, dimension: c.headDimension, position: position, base: base, scale: scale)
                }
            }
        }
    }

    /// Keys and values are rounded to half precision (held in floats), as in llama.cpp's default f16 KV cache.
    private func storeKeysAndValues(layer: Int, k: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>) {
        let width = config.kvDimension
        for t in 0..<count {
            let key = cache.key(layer: layer, position: start + t), value = cache.value(layer: layer, position: start + t)
            key.update(from: k + t * width, count: width)
            value.update(from: v + t * width, count: width)
            gk_round_f16_row(model.isa, key, Int64(width))
            gk_round_f16_row(model.isa, value, Int64(width))
        }
    }

    /// The first position a query at `position` may see: on local layers a key at p0 is hidden
    /// from a query at p1 when p1 − p0 ≥ window.
    static func firstVisible(position: Int, global: Bool, window: Int) -> Int {
        global ? 0 : max(0, position - window + 1)
    }

    /// Grouped-query attention: per (token, key/value head), its query heads together against
    /// the cached keys and values. Queries and attention weights are rounded to half precision
    /// before their products with the f16 cache, as ggml converts them.
    private func attend(layer: Int, q: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        let c = config, start = start, count = count, isa = model.isa
        let global = c.isGlobalLayer(layer)
        let bidirectional = if case .softTokens = input { true } else { false }
        let groupSize = c.headCount / c.kvHeadCount
        let queries = SendablePointer(q), result = SendablePointer(output)
        let keyBase = SendablePointer(cache.keys[layer]), valueBase = SendablePointer(cache.values[layer])
        parallel.forEachRange(count * c.kvHeadCount, chunksPerThread: Parallel.chunksPerThread(tokens: count)) { range in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: groupSize * (start + count))
            defer { scores.deallocate() }
            for task in range {
                let t = task / c.kvHeadCount, kvHead = task % c.kvHeadCount
                let position = start + t
                let first = Self.firstVisible(position: position, global: global, window: c.slidingWindow)
                let last = bidirectional ? start + count - 1 : position
                let offset = t * c.queryDimension + kvHead * groupSize * c.headDimension
                let kvOffset = first * c.kvDimension + kvHead * c.headDimension
                gk_round_f16_row(isa, queries.pointer + offset, Int64(groupSize * c.headDimension))
                gk_attend_group(isa, queries.pointer + offset, Int64(groupSize), Int64(c.headDimension),
                                keyBase.pointer + kvOffset, valueBase.pointer + kvOffset, Int64(c.kvDimension),
                                Int64(last - first + 1), scores, result.pointer + offset)
            }
        }
    }
}

/// A scratch activation buffer freed with its owner.
final class Buffer {
    let pointer: UnsafeMutablePointer<Float>
    init(_ count: Int) {
        pointer = .allocate(capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }
    deinit { pointer.deallocate() }
}
