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
