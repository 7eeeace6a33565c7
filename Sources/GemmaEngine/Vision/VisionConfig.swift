/// Hyperparameters of a Gemma 3 vision tower (the SigLIP encoder and its projector into the text
/// model), read from an mmproj GGUF's `clip.*` metadata under the keys llama.cpp's mtmd reads.
public struct VisionConfig: Sendable, Equatable {
    /// Side of the square image the encoder takes, in pixels (896 for MedGemma).
    public var imageSize: Int
    /// Side of one square patch, in pixels (14).
    public var patchSize: Int
    /// Width of the encoder's residual stream (`clip.vision.embedding_length`, 1152 for SigLIP-So400m).
    public var width: Int
    public var feedForwardLength: Int
    public var blockCount: Int
    public var headCount: Int
    public var layerNormEpsilon: Float
    /// Per-channel (R, G, B) normalization of pixels scaled to 0…1.
    public var imageMean: [Float]
    public var imageStd: [Float]
    /// Width of the soft tokens given to the text model: must equal its embedding length.
    public var projectionDimension: Int
    /// Side of the average-pooling window over the patch grid (`clip.vision.projector.scale_factor`,
    /// 4 when absent, as llama.cpp assumes): a 64 × 64 grid becomes 16 × 16 = 256 tokens.
    public var poolingSide: Int

    /// The largest image side accepted from a file, so that no product of sizes can overflow.
    static let maximumImageSize = 8_192

    public var patchesPerSide: Int { imageSize / patchSize }
    public var patchCount: Int { patchesPerSide * patchesPerSide }
    public var tokensPerSide: Int { patchesPerSide / poolingSide }
    /// Soft tokens one image becomes in the text model's prompt.
    public var tokensPerImage: Int { tokensPerSide * tokensPerSide }
    public var headDimension: Int { width / headCount }

    init(metadata: [String: GGUFValue]) throws(GemmaModelError) {
        guard let architecture = metadata["general.architecture"]?.string else {
            throw .missingMetadata("general.architecture")
        }
        guard architecture == "clip" else { throw .unsupportedArchitecture(architecture, expected: "clip") }
        // Files with several modalities name the vision projector separately.
        let projectorKey = metadata["clip.vision.projector_type"] != nil ? "clip.vision.projector_type" : "clip.projector_type"
        guard let projector = metadata[projectorKey]?.string else { throw .missingMetadata(projectorKey) }
        guard projector == "gemma3" else { throw .unsupportedProjector(projector) }
        if metadata["clip.has_vision_encoder"]?.bool == false {
            throw .inconsistentShape("clip.has_vision_encoder is false: the file has no vision encoder")
        }
        // Without the key llama.cpp falls back to quick GELU, which is not Gemma's activation.
        guard metadata["clip.use_gelu"]?.bool == true else {
            throw .missingMetadata("clip.use_gelu = true (Gemma's GELU, tanh approximation)")
        }
        func integer(_ key: String) throws(GemmaModelError) -> Int {
            guard let value = metadata["clip.vision.\(key)"]?.int, value > 0 else { throw .missingMetadata("clip.vision.\(key)") }
            return value
        }
        func channels(_ key: String) throws(GemmaModelError) -> [Float] {
            let values = metadata["clip.vision.\(key)"]?.array?.compactMap { $0.double.map(Float.init) } ?? []
            guard values.count == 3, values.allSatisfy(\.isFinite) else {
                throw .missingMetadata("clip.vision.\(key) (three numbers, R G B)")
            }
            return values
        }

        imageSize = try integer("image_size")
        patchSize = try integer("patch_size")
        width = try integer("embedding_length")
        feedForwardLength = try integer("feed_forward_length")
        blockCount = try integer("block_count")
        headCount = try integer("attention.head_count")
        projectionDimension = try integer("projection_dim")
        if metadata["clip.vision.projector.scale_factor"] == nil {
            poolingSide = 4
        } else {
            poolingSide = try integer("projector.scale_factor")
        }
        guard let epsilon = metadata["clip.vision.attention.layer_norm_epsilon"]?.double, epsilon > 0, epsilon < 1 else {
            throw .missingMetadata("clip.vision.attention.layer_norm_epsilon")
        }
        layerNormEpsilon = Float(epsilon)
        imageMean = try channels("image_mean")
        imageStd = try channels("image_std")

        guard imageStd.allSatisfy({ $0 > 0 }) else { throw .inconsistentShape("clip.vision.image_std has a value ≤ 0") }
        guard imageSize <= Self.maximumImageSize, imageSize % patchSize == 0 else {
            throw .inconsistentShape("image size \(imageSize) is not a whole number of \(patchSize)-pixel patches (at most \(Self.maximumImageSize))")
        }
        guard patchesPerSide % poolingSide == 0 else {
            throw .inconsistentShape("a \(patchesPerSide)-patch side does not pool in windows of \(poolingSide)")
        }
        guard width % headCount == 0 else {
            throw .inconsistentShape("width \(width) is not a multiple of head_count \(headCount)")
        }
        guard headDimension <= Self.maximumHeadDimension else {
            throw .inconsistentShape("head dimension \(headDimension) exceeds \(Self.maximumHeadDimension)")
        }
    }

    /// The attention kernel's limit (`gk_attend_tiled`); SigLIP's heads are 64–72 wide.
    static let maximumHeadDimension = 256
}
