import CGemmaKernels

/// The vision half of a multimodal Gemma 3 (MedGemma): the SigLIP encoder and projector from an
/// mmproj GGUF (`general.architecture = clip`, `clip.projector_type = gemma3`), as llama.cpp and
/// Ollama ship it beside the text GGUF.
///
/// Immutable and shareable across tasks, like `GemmaModel`.
public final class GemmaVisionModel: Sendable {
    public let file: GGUFFile
    public let config: VisionConfig
    public let parallel: Parallel
    let isa: gk_isa
    let weights: VisionWeights
    /// The patch convolution's kernel as a [width × 3·patch²] matrix (the same bytes, two dimensions).
    let patchMatrix: WeightMatrix
    /// `mm.input_projection` transposed into rows of the encoder's width, as llama.cpp's graph does.
    let projection: WeightMatrix
    private let projectionStorage: TransposedTensor
    /// True when the float products run in bfloat16 (see `panelFormat(for:)`).
    public let productsInBFloat16: Bool

    /// Loads and validates the tower: every key and tensor llama.cpp requires, with its shape; F32, F16,
    /// BF16 and Q8_0 matrices.
    public convenience init(path: String, threads: Int? = nil, instructionSet: InstructionSet = .best)
        throws(GemmaModelError)
    {
        let file: GGUFFile
        do {
            file = try GGUFFile(path: path)
        } catch {
            throw .file(error)
        }
        try self.init(file: file, threads: threads, instructionSet: instructionSet)
    }

    init(file: GGUFFile, threads: Int?, instructionSet: InstructionSet) throws(GemmaModelError) {
        self.file = file
        config = try VisionConfig(metadata: file.metadata)
        parallel = Parallel(threads: threads ?? GemmaModel.coreCount)
        isa = gk_usable_isa(instructionSet == .portable ? GK_ISA_PORTABLE : GK_ISA_AVX512_VNNI)
        weights = try VisionWeights(file: file, config: config, isa: isa, parallel: parallel)
        let kernel = weights.patchEmbedding
        let rowLength = 3 * config.patchSize * config.patchSize
        patchMatrix = try WeightMatrix(
            GGUFTensor(name: kernel.name, shape: [rowLength, config.width], type: kernel.type, offset: kernel.offset,
                       data: kernel.data),
            rows: config.width, columns: rowLength, isa: isa, parallel: parallel)
        projectionStorage = TransposedTensor(weights.inputProjection)
        projection = try WeightMatrix(projectionStorage.tensor, rows: config.projectionDimension, columns: config.width,
                                      isa: isa, parallel: parallel)
        let floatMatrices = ([patchMatrix, projection] + weights.matrices).filter(\.isFloat)
        let parallel = parallel
        productsInBFloat16 = gk_bf16_products(isa) == 1
            && floatMatrices.allSatisfy { $0.holdsOnlyBFloat16Values(parallel: parallel) }
    }

    /// How a float matrix multiplies. A tower whose float weights are all bfloat16 values (a model released in
    /// bfloat16, as MedGemma is: its F16 mmproj holds those values) on a CPU that multiplies bfloat16 in
    /// hardware runs its products in bfloat16: activations rounded to bfloat16, the precision the model was
    /// released and is run in by its authors, weights unchanged, sums in float, at twice the float kernel's
    /// rate. Otherwise activations stay float, rounded to f16 for F16 weights as ggml rounds them.
    func panelFormat(for matrix: WeightMatrix) -> gk_panel_format {
        if productsInBFloat16 { return GK_PANELS_BF16 }
        return matrix.tensor.type == .f16 ? GK_PANELS_F16_ROUNDED : GK_PANELS_F32
    }

    /// The soft tokens of a decoded image, preprocessed as llama.cpp does (letterbox, normalization).
    public func encode(_ image: RGBImage) -> [Float] {
        let square = ImagePreprocessing.letterbox(image, side: config.imageSize)
        return encode(normalizedPixels: ImagePreprocessing.normalizedPlanes(square, mean: config.imageMean, std: config.imageStd))
    }

    /// The image's soft tokens: `tokensPerImage` rows of `projectionDimension` floats. `normalizedPixels`
    /// holds the R, G and B planes of an imageSize × imageSize image, each value (x/255 − mean) / std.
    public func encode(normalizedPixels: [Float]) -> [Float] {
        precondition(normalizedPixels.count == 3 * config.imageSize * config.imageSize,
                     "an image of \(config.imageSize) × \(config.imageSize) × 3 values is expected")
        return VisionEncoder(model: self).run(pixels: normalizedPixels)
    }

    /// True when the file names the MLP's up and down matrices the other way round (older converter).
    public var feedForwardNamesSwapped: Bool { weights.feedForwardNamesSwapped }

    /// Throws unless this tower's soft tokens are as wide as `text`'s embeddings.
    public func checkPairs(with text: GemmaConfig) throws(GemmaModelError) {
        guard config.projectionDimension == text.embeddingLength else {
            throw .mismatchedProjection(projection: config.projectionDimension, textWidth: text.embeddingLength)
        }
    }
}

/// A 2-D float tensor (F32, F16 or BF16 as stored; other types as F32) copied with rows and columns
/// swapped, in memory this object owns for as long as it lives.
final class TransposedTensor: @unchecked Sendable {
    let tensor: GGUFTensor
    private let storage: UnsafeMutableRawBufferPointer

    init(_ source: GGUFTensor) {
        let (columns, rows) = (source.shape[0], source.rowCount)
        let keepsType = [TensorType.f32, .f16, .bf16].contains(source.type)
        let type = keepsType ? source.type : .f32
        let size = type == .f32 ? 4 : 2
        storage = .allocate(byteCount: max(1, rows * columns * size), alignment: 64)
        if keepsType {
            for r in 0..<rows {
                for c in 0..<columns {
                    let from = source.data.baseAddress! + (r * columns + c) * size
                    (storage.baseAddress! + (c * rows + r) * size).copyMemory(from: from, byteCount: size)
                }
            }
        } else {
            var row = [Float](repeating: 0, count: columns)
            let destination = storage.bindMemory(to: Float.self)
            for r in 0..<rows {
                row.withUnsafeMutableBufferPointer { buffer in
                    _ = gk_dequantize(Int32(source.type.rawValue), source.data.baseAddress! + r * source.rowBytes,
                                      buffer.baseAddress!, Int64(columns))
                }
                for c in 0..<columns { destination[c * rows + r] = row[c] }
            }
        }
        tensor = GGUFTensor(name: source.name + " (transposed)", shape: [rows, columns], type: type, offset: 0,
                            data: UnsafeRawBufferPointer(start: storage.baseAddress, count: rows * columns * size))
    }

    deinit { storage.deallocate() }
}
