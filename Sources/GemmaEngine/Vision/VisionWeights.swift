import CGemmaKernels

/// A matrix with the bias added after the product: every linear layer of the encoder.
struct BiasedMatrix: Sendable {
    let weight: WeightMatrix
    let bias: [Float]
}

/// LayerNorm's per-channel scale and shift (SigLIP normalizes with mean and variance, unlike the text model).
struct LayerNormWeights: Sendable {
    let scale: [Float]
    let shift: [Float]
}

/// One pre-norm ViT block: attention then an MLP, each behind a LayerNorm and added to the residual.
struct VisionBlockWeights: Sendable {
    let attentionNorm: LayerNormWeights
    let query: BiasedMatrix
    let key: BiasedMatrix
    let value: BiasedMatrix
    let attentionOutput: BiasedMatrix
    let feedForwardNorm: LayerNormWeights
    let up: BiasedMatrix
    let down: BiasedMatrix
}

/// All weights of a Gemma 3 vision tower, pointing into the mmproj mapping where they are used as stored.
struct VisionWeights: Sendable {
    /// The 14 × 14 patch convolution, GGML shape [patch, patch, 3, width]: per output channel one row of
    /// 3 · patch² weights in (channel, y, x) order, so the convolution is a product with unfolded patches.
    let patchEmbedding: GGUFTensor
    let patchBias: [Float]
    /// Learned position embedding per patch, row-major [patchCount][width].
    let positionEmbedding: [Float]
    let blocks: [VisionBlockWeights]
    let postNorm: LayerNormWeights
    /// RMSNorm weight over the pooled tokens; the converter stored it with the +1 already added.
    let softEmbeddingNorm: [Float]
    /// Projection into the text model, GGML shape [projection, width]: stored as x · W (a row per input
    /// channel), the transpose of the other matrices.
    let inputProjection: GGUFTensor
    /// True when the file came from the older converter that named the MLP's up and down matrices the
    /// other way round (recognised by shape, as llama.cpp does).
    let feedForwardNamesSwapped: Bool

    init(file: GGUFFile, config c: VisionConfig, isa: gk_isa, parallel: Parallel) throws(GemmaModelError) {
        func tensor(_ name: String) throws(GemmaModelError) -> GGUFTensor {
            guard let tensor = file.tensor(named: name) else { throw .missingTensor(name) }
            return tensor
        }
        func shaped(_ name: String, _ shape: [Int]) throws(GemmaModelError) -> GGUFTensor {
            let found = try tensor(name)
            guard found.shape == shape else {
                throw .inconsistentShape("\(name) has shape \(found.shape), expected \(shape)")
            }
            return found
        }
        func vector(_ name: String, _ length: Int) throws(GemmaModelError) -> [Float] {
            try floatVector(shaped(name, [length]), length: length)
        }
        func norm(_ prefix: String) throws(GemmaModelError) -> LayerNormWeights {
            LayerNormWeights(scale: try vector(prefix + ".weight", c.width), shift: try vector(prefix + ".bias", c.width))
        }
        func linear(_ prefix: String, rows: Int, columns: Int) throws(GemmaModelError) -> BiasedMatrix {
            BiasedMatrix(weight: try WeightMatrix(tensor(prefix + ".weight"), rows: rows, columns: columns, isa: isa,
                                                  parallel: parallel),
                         bias: try vector(prefix + ".bias", rows))
        }

        patchEmbedding = try shaped("v.patch_embd.weight", [c.patchSize, c.patchSize, 3, c.width])
        guard [.f32, .f16, .bf16].contains(patchEmbedding.type) else {
            throw .inconsistentShape("v.patch_embd.weight is \(patchEmbedding.type); F32, F16 or BF16 expected")
        }
        patchBias = try vector("v.patch_embd.bias", c.width)
        positionEmbedding = try floatVector(shaped("v.position_embd.weight", [c.width, c.patchCount]),
                                            length: c.width * c.patchCount)
        let firstDown = try tensor("v.blk.0.ffn_down.weight")
        feedForwardNamesSwapped = c.feedForwardLength != c.width && firstDown.shape.first == c.width
        let (upName, downName) = feedForwardNamesSwapped ? ("ffn_down", "ffn_up") : ("ffn_up", "ffn_down")
        var blocks: [VisionBlockWeights] = []
        for index in 0..<c.blockCount {
            let p = "v.blk.\(index)."
            blocks.append(VisionBlockWeights(
                attentionNorm: try norm(p + "ln1"),
                query: try linear(p + "attn_q", rows: c.width, columns: c.width),
                key: try linear(p + "attn_k", rows: c.width, columns: c.width),
                value: try linear(p + "attn_v", rows: c.width, columns: c.width),
                attentionOutput: try linear(p + "attn_out", rows: c.width, columns: c.width),
                feedForwardNorm: try norm(p + "ln2"),
                up: try linear(p + upName, rows: c.feedForwardLength, columns: c.width),
                down: try linear(p + downName, rows: c.width, columns: c.feedForwardLength)))
        }
        self.blocks = blocks
        postNorm = try norm("v.post_ln")
        softEmbeddingNorm = try vector("mm.soft_emb_norm.weight", c.width)
        inputProjection = try shaped("mm.input_projection.weight", [c.projectionDimension, c.width])
    }

    /// Every block's matrices, in the order they run.
    var matrices: [WeightMatrix] {
        blocks.flatMap { [$0.query, $0.key, $0.value, $0.attentionOutput, $0.up, $0.down].map(\.weight) }
    }
}
