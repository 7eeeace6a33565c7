import CGemmaKernels
import Foundation

/// One image through the Gemma 3 vision tower, as llama.cpp's mtmd computes it (SigLIP encoder and the
/// gemma3 projector, tools/mtmd: siglip graph and clip.cpp):
///
///     patches (14 × 14 convolution with bias) + learned position embeddings
///     per block: x += Wo · attention(LN1(x)); x += Wdown · GELU(Wup · LN2(x))   (biased, non-causal)
///     LN(post) → average pool k × k over the patch grid → RMSNorm · soft_emb_norm → x · W_projection
///
/// Attention runs over tiles of keys with a running softmax, so no patches × patches score matrix is ever held.
struct VisionEncoder {
    let model: GemmaVisionModel
    /// Scratch that every block reuses: a product's input packed as panels, and each head's keys and values
    /// in the attention kernel's layout (`gk_attention_layout`), `keysPerHead` and `valuesPerHead` floats apart.
    private let productInput: Buffer
    private let laidKeys: Buffer, laidValues: Buffer
    private let keysPerHead: Int, valuesPerHead: Int

    init(model: GemmaVisionModel) {
        self.model = model
        let c = model.config, n = c.patchCount
        let positions = Int(gk_attention_padded_positions(Int64(n)))
        keysPerHead = c.headDimension * positions
        valuesPerHead = positions * Int(gk_attention_padded_dim(Int64(c.headDimension)))
        productInput = Buffer(Int(gk_panels_floats(Int64(n), Int64(max(c.width, c.feedForwardLength, 3 * c.patchSize * c.patchSize)))))
        laidKeys = Buffer(c.headCount * keysPerHead)
        laidValues = Buffer(c.headCount * valuesPerHead)
    }

    private var config: VisionConfig { model.config }
    private var weights: VisionWeights { model.weights }
    private var parallel: Parallel { model.parallel }

    /// `pixels`: planar R, G, B planes of imageSize² normalized values. Returns tokensPerImage rows of
    /// projectionDimension floats.
    func run(pixels: [Float]) -> [Float] {
        let c = config, n = c.patchCount
        let x = Buffer(n * c.width), normed = Buffer(n * c.width)
        let q = Buffer(n * c.width), k = Buffer(n * c.width), v = Buffer(n * c.width)
        let attended = Buffer(n * c.width), hidden = Buffer(n * c.feedForwardLength)
        embedPatches(pixels, into: x.pointer)
        for block in weights.blocks {
            layerNorm(x.pointer, block.attentionNorm, into: normed.pointer)
            for (matrix, output) in [(block.query, q), (block.key, k), (block.value, v)] {
                apply(matrix, normed.pointer, into: output.pointer)
            }
            attend(q: q.pointer, k: k.pointer, v: v.pointer, into: attended.pointer)
            apply(block.attentionOutput, attended.pointer, into: normed.pointer)
            addResidual(normed, to: x)

            layerNorm(x.pointer, block.feedForwardNorm, into: normed.pointer)
            apply(block.up, normed.pointer, into: hidden.pointer)
            let (isa, hiddenRows, width) = (model.isa, SendablePointer(hidden.pointer), c.feedForwardLength)
            parallel.forEachRange(n) { tokens in
                gk_gelu(isa, hiddenRows.pointer + tokens.lowerBound * width, Int64(tokens.count * width))
            }
            apply(block.down, hidden.pointer, into: normed.pointer)
            addResidual(normed, to: x)
        }
        layerNorm(x.pointer, weights.postNorm, into: normed.pointer)
        let pooled = Self.averagePool(normed.pointer, side: c.patchesPerSide, window: c.poolingSide, width: c.width)
        return project(pooled)
    }

    /// The convolution as a product: each patch unfolded in (channel, y, x) order, the kernel's row layout.
    private func embedPatches(_ pixels: [Float], into x: UnsafeMutablePointer<Float>) {
        let c = config, p = c.patchSize, side = c.imageSize, rowLength = 3 * p * p
        var unfolded = [Float](repeating: 0, count: c.patchCount * rowLength)
        for patch in 0..<c.patchCount {
            let (top, left) = (patch / c.patchesPerSide * p, patch % c.patchesPerSide * p)
            for channel in 0..<3 {
                for dy in 0..<p {
                    for dx in 0..<p {
                        unfolded[patch * rowLength + (channel * p + dy) * p + dx] =
                            pixels[(channel * side + top + dy) * side + left + dx]
                    }
                }
            }
        }
        unfolded.withUnsafeMutableBufferPointer { patches in
            multiply(model.patchMatrix, patches.baseAddress!, tokens: c.patchCount, into: x)
        }
        for patch in 0..<c.patchCount {
            for i in 0..<c.width {
                x[patch * c.width + i] += weights.patchBias[i] + weights.positionEmbedding[patch * c.width + i]
            }
        }
    }

    /// Float weights go through the panel products in the tower's format (`GemmaVisionModel.panelFormat`);
    /// quantized weights quantize the input their own way.
    private func multiply(_ matrix: WeightMatrix, _ input: UnsafeMutablePointer<Float>, tokens: Int,
                          into output: UnsafeMutablePointer<Float>) {
        if matrix.multiplyInPanels(input, tokens: tokens, format: model.panelFormat(for: matrix),
                                   panels: productInput.pointer, into: output, parallel: parallel) {
            return
        }
        matrix.multiply(input, tokens: tokens, into: output, parallel: parallel)
    }

    private func apply(_ matrix: BiasedMatrix, _ input: UnsafeMutablePointer<Float>, into output: UnsafeMutablePointer<Float>) {
        let rows = matrix.bias.count, bias = matrix.bias, result = SendablePointer(output)
        multiply(matrix.weight, input, tokens: config.patchCount, into: output)
        parallel.forEachRange(config.patchCount) { tokens in
            for t in tokens {
                for i in 0..<rows { result.pointer[t * rows + i] += bias[i] }
            }
        }
    }

    /// x += the block's output, every patch row.
    private func addResidual(_ output: Buffer, to x: Buffer) {
        let width = config.width, source = SendablePointer(output.pointer), destination = SendablePointer(x.pointer)
        parallel.forEachRange(config.patchCount) { tokens in
            Operations.add(destination.pointer + tokens.lowerBound * width, source.pointer + tokens.lowerBound * width,
                           count: tokens.count * width)
        }
    }

    private func layerNorm(_ x: UnsafeMutablePointer<Float>, _ norm: LayerNormWeights, into y: UnsafeMutablePointer<Float>) {
        let width = config.width, epsilon = config.layerNormEpsilon
        let source = SendablePointer(x), destination = SendablePointer(y)
        parallel.forEachRange(config.patchCount) { range in
            for t in range {
                Self.layerNorm(source.pointer + t * width, norm, epsilon: epsilon, into: destination.pointer + t * width)
            }
        }
    }

    /// LayerNorm of one row: (x − mean) / sqrt(variance + ε) · scale + shift, sums in Double as ggml's norm.
    static func layerNorm(_ x: UnsafePointer<Float>, _ norm: LayerNormWeights, epsilon: Float,
                          into y: UnsafeMutablePointer<Float>) {
        let n = norm.scale.count
        var sum: Double = 0
        for i in 0..<n { sum += Double(x[i]) }
        let mean = Float(sum / Double(n))
        var squares: Double = 0
        for i in 0..<n {
            let centred = x[i] - mean
            y[i] = centred
            squares += Double(centred * centred)
        }
        let scale = 1 / (Float(squares / Double(n)) + epsilon).squareRoot()
        for i in 0..<n { y[i] = y[i] * scale * norm.scale[i] + norm.shift[i] }
    }

    /// Multi-head softmax(q·kᵀ/√d)·v over every patch (no mask): each head's keys and values laid out once
    /// (`gk_attention_layout`), then tiles of query rows per task, keys in tiles with a running softmax.
    private func attend(q: UnsafeMutablePointer<Float>, k: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>,
                        into output: UnsafeMutablePointer<Float>) {
        let c = config, n = c.patchCount, d = c.headDimension, isa = model.isa
        let scale = 1 / Float(d).squareRoot()
        let (keySize, valueSize) = (keysPerHead, valuesPerHead)
        let keys = SendablePointer(k), values = SendablePointer(v)
        let keyLayout = SendablePointer(laidKeys.pointer), valueLayout = SendablePointer(laidValues.pointer)
        parallel.forEachRange(c.headCount) { heads in
            for head in heads {
                gk_attention_layout(keys.pointer + head * d, values.pointer + head * d, Int64(c.width), Int64(n), Int64(d),
                                    keyLayout.pointer + head * keySize, valueLayout.pointer + head * valueSize)
            }
        }
        let rowsPerTask = Self.attentionRowsPerTask
        let tasksPerHead = (n + rowsPerTask - 1) / rowsPerTask
        let queries = SendablePointer(q), result = SendablePointer(output)
        parallel.forEachRange(c.headCount * tasksPerHead, chunksPerThread: 16) { range in
            for task in range {
                let (head, first) = (task / tasksPerHead, task % tasksPerHead * rowsPerTask)
                let offset = first * c.width + head * d
                gk_attend_tiled(isa, queries.pointer + offset, Int64(c.width), Int64(min(rowsPerTask, n - first)), Int64(d),
                                keyLayout.pointer + head * keySize, valueLayout.pointer + head * valueSize, Int64(n), scale,
                                result.pointer + offset)
            }
        }
    }

    /// Query rows per attention task: enough to reuse each key tile, few enough to spread over threads.
    static let attentionRowsPerTask = 64

    /// Mean of each `window` × `window` square of a `side` × `side` grid of rows (row-major), in the same order.
    static func averagePool(_ x: UnsafePointer<Float>, side: Int, window: Int, width: Int) -> [Float] {
        let pooledSide = side / window
        var pooled = [Float](repeating: 0, count: pooledSide * pooledSide * width)
        let divisor = Float(window * window)
        for ty in 0..<pooledSide {
            for tx in 0..<pooledSide {
                let token = ty * pooledSide + tx
                for i in 0..<width {
                    var sum: Float = 0
                    for dy in 0..<window {
                        for dx in 0..<window {
                            sum += x[((ty * window + dy) * side + tx * window + dx) * width + i]
                        }
                    }
                    pooled[token * width + i] = sum / divisor
                }
            }
        }
        return pooled
    }

    /// RMSNorm with the soft-embedding weight, then x · W into the text model's width.
    private func project(_ pooled: [Float]) -> [Float] {
        let c = config, tokens = c.tokensPerImage
        var normed = [Float](repeating: 0, count: pooled.count)
        pooled.withUnsafeBufferPointer { source in
            normed.withUnsafeMutableBufferPointer { destination in
                for t in 0..<tokens {
                    Operations.rmsNorm(source.baseAddress! + t * c.width, weight: weights.softEmbeddingNorm,
                                       epsilon: c.layerNormEpsilon, into: destination.baseAddress! + t * c.width)
                }
            }
        }
        var output = [Float](repeating: 0, count: tokens * c.projectionDimension)
        normed.withUnsafeMutableBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                multiply(model.projection, input.baseAddress!, tokens: tokens, into: out.baseAddress!)
            }
        }
        return output
    }
}
