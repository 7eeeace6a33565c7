import CGemmaKernels

/// The weights of one transformer layer.
struct LayerWeights: Sendable {
    let attentionNorm: [Float]
    let query: WeightMatrix
    let key: WeightMatrix
    let value: WeightMatrix
    let queryNorm: [Float]
    let keyNorm: [Float]
    let attentionOutput: WeightMatrix
    let postAttentionNorm: [Float]
    let feedForwardNorm: [Float]
    let gate: WeightMatrix
    let up: WeightMatrix
    let down: WeightMatrix
    let postFeedForwardNorm: [Float]
}

/// All weights of a Gemma 3 model, pointing into the GGUF mapping (nothing large is copied).
///
/// Norm weights are used as stored: Gemma's converter already wrote 1 + w into the GGUF.
struct GemmaWeights: Sendable {
    let tokenEmbedding: WeightMatrix
    /// The output projection: `output.weight` if present, else tied to the token embedding.
    let output: WeightMatrix
    let outputNorm: [Float]
    let layers: [LayerWeights]

    init(file: GGUFFile, config c: GemmaConfig, isa: gk_isa, parallel: Parallel) throws(GemmaModelError) {
        func tensor(_ name: String) throws(GemmaModelError) -> GGUFTensor {
            guard let tensor = file.tensor(named: name) else { throw .missingTensor(name) }
            return tensor
        }
        func matrix(_ name: String, rows: Int, columns: Int) throws(GemmaModelError) -> WeightMatrix {
            let matrix = try WeightMatrix(tensor(name), rows: rows, columns: columns, isa: isa, parallel: parallel)
            // Products read the interleaved copy; the mapped original need not stay resident.
            if matrix.interleaved != nil { file.releasePages(of: matrix.tensor) }
            return matrix
        }
        func vector(_ name: String, _ length: Int) throws(GemmaModelError) -> [Float] {
            try floatVector(tensor(name), length: length)
        }
        tokenEmbedding = try matrix("token_embd.weight", rows: c.vocabularySize, columns: c.embeddingLength)
        output = file.tensor(named: "output.weight") == nil
            ? tokenEmbedding : try matrix("output.weight", rows: c.vocabularySize, columns: c.embeddingLength)
        outputNorm = try vector("output_norm.weight", c.embeddingLength)
        var layers: [LayerWeights] = []
        for index in 0..<c.layerCount {
            let p = "blk.\(index)."
            layers.append(LayerWeights(
                attentionNorm: try vector(p + "attn_norm.weight", c.embeddingLength),
                query: try matrix(p + "attn_q.weight", rows: c.queryDimension, columns: c.embeddingLength),
                key: try matrix(p + "attn_k.weight", rows: c.kvDimension, columns: c.embeddingLength),
                value: try matrix(p + "attn_v.weight", rows: c.kvDimension, columns: c.embeddingLength),
                queryNorm: try vector(p + "attn_q_norm.weight", c.headDimension),
                keyNorm: try vector(p + "attn_k_norm.weight", c.headDimension),
                attentionOutput: try matrix(p + "attn_output.weight", rows: c.embeddingLength, columns: c.queryDimension),
                postAttentionNorm: try vector(p + "post_attention_norm.weight", c.embeddingLength),
                feedForwardNorm: try vector(p + "ffn_norm.weight", c.embeddingLength),
                gate: try matrix(p + "ffn_gate.weight", rows: c.feedForwardLength, columns: c.embeddingLength),
                up: try matrix(p + "ffn_up.weight", rows: c.feedForwardLength, columns: c.embeddingLength),
                down: try matrix(p + "ffn_down.weight", rows: c.embeddingLength, columns: c.feedForwardLength),
                postFeedForwardNorm: try vector(p + "post_ffw_norm.weight", c.embeddingLength)))
        }
        self.layers = layers
    }
}

extension GemmaWeights {
    /// Weight bytes one generated token reads: every layer's matrices (in the layout the
    /// products use) and norms, the output matrix and one embedding row.
    var bytesPerGeneratedToken: Int {
        let layerBytes = layers.reduce(0) { sum, layer in
            let matrices = [layer.query, layer.key, layer.value, layer.attentionOutput, layer.gate, layer.up, layer.down]
            let norms = [layer.attentionNorm, layer.queryNorm, layer.keyNorm, layer.postAttentionNorm,
                         layer.feedForwardNorm, layer.postFeedForwardNorm]
            return sum + matrices.reduce(0) { $0 + $1.bytesPerProduct } + norms.reduce(0) { $0 + 4 * $1.count }
        }
        return layerBytes + output.bytesPerProduct + 4 * outputNorm.count + tokenEmbedding.tensor.rowBytes
    }
}
