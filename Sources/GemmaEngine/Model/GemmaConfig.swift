/// Hyperparameters of a Gemma 3 model, read from GGUF metadata (never hard-coded).
public struct GemmaConfig: Sendable, Equatable {
    public var contextLength: Int
    public var embeddingLength: Int
    public var layerCount: Int
    public var feedForwardLength: Int
    public var headCount: Int
    public var kvHeadCount: Int
    public var headDimension: Int
    public var rmsEpsilon: Float
    /// RoPE base of the global (full-attention) layers: `rope.freq_base`.
    public var globalRopeBase: Float
    /// Position multiplier of the global layers: 1 / `rope.scaling.factor` (linear scaling).
    public var globalRopeScale: Float
    /// Gemma 3 trains its sliding-window layers with RoPE base 10,000 regardless of the global base.
    public var localRopeBase: Float = 10_000
    public var slidingWindow: Int
    public var vocabularySize: Int
    /// Query scale before attention. Gemma 3 uses 1/sqrt(head_dim), except the 27B model whose
    /// query_pre_attn_scalar is embedding_length / head_count (as llama.cpp does, by layer count).
    public var attentionScale: Float

    /// Every sixth layer attends globally; the others use the sliding window (Gemma 3 report, 5:1 interleave).
    public static let globalLayerPeriod = 6
    static let gemma3_27BLayerCount = 62

    public func isGlobalLayer(_ index: Int) -> Bool {
        index % Self.globalLayerPeriod == Self.globalLayerPeriod - 1
    }

    public var queryDimension: Int { headCount * headDimension }
    public var kvDimension: Int { kvHeadCount * headDimension }

    init(metadata: [String: GGUFValue], vocabularySize: Int) throws(GemmaModelError) {
        guard let architecture = metadata["general.architecture"]?.string else {
            throw .missingMetadata("general.architecture")
        }
        guard architecture == "gemma3" else { throw .unsupportedArchitecture(architecture, expected: "gemma3") }
        func integer(_ key: String) throws(GemmaModelError) -> Int {
            guard let value = metadata["gemma3.\(key)"]?.int, value > 0 else { throw .missingMetadata("gemma3.\(key)") }
            return value
        }
        func real(_ key: String) -> Float? { metadata["gemma3.\(key)"]?.double.map(Float.init) }

        contextLength = try integer("context_length")
        embeddingLength = try integer("embedding_length")
        layerCount = try integer("block_count")
        feedForwardLength = try integer("feed_forward_length")
        headCount = try integer("attention.head_count")
        kvHeadCount = (try? integer("attention.head_count_kv")) ?? headCount
        headDimension = (try? integer("attention.key_length")) ?? embeddingLength / headCount
        slidingWindow = try integer("attention.sliding_window")
        rmsEpsilon = real("attention.layer_norm_rms_epsilon") ?? 1e-6
        globalRopeBase = real("rope.freq_base") ?? 10_000
        let scalingFactor = real("rope.scaling.factor") ?? 1
        globalRopeScale = scalingFactor > 0 ? 1 / scalingFactor : 1
        self.vocabularySize = vocabularySize
        guard headCount % kvHeadCount == 0 else {
            throw .inconsistentShape("head_count \(headCount) is not a multiple of head_count_kv \(kvHeadCount)")
        }
        guard headDimension % 2 == 0 else { throw .inconsistentShape("odd head dimension \(headDimension)") }
        let queryScalar = layerCount == Self.gemma3_27BLayerCount ? embeddingLength / headCount : headDimension
        attentionScale = 1 / Float(queryScalar).squareRoot()
    }
}

/// Why a GGUF file could not be loaded as a Gemma 3 model or as its vision tower (mmproj).
public enum GemmaModelError: Error, Equatable, CustomStringConvertible {
    case file(GGUFError)
    case unsupportedArchitecture(String, expected: String)
    case unsupportedProjector(String)
    /// The vision tower's soft tokens are `projection` wide; the text model's embeddings are `textWidth`.
    case mismatchedProjection(projection: Int, textWidth: Int)
    case missingMetadata(String)
    case missingTensor(String)
    case inconsistentShape(String)
    case badTokenizer(String)

    public var description: String {
        switch self {
        case .file(let error): error.description
        case .unsupportedArchitecture(let name, let expected):
            "unsupported model architecture \(name) (expected \(expected))"
        case .unsupportedProjector(let name): "unsupported vision projector \(name) (expected gemma3)"
        case .mismatchedProjection(let projection, let textWidth):
            "the vision projector makes \(projection)-wide tokens but the text model's embeddings are \(textWidth) wide: they are not a pair"
        case .missingMetadata(let key): "model metadata lacks \(key)"
        case .missingTensor(let name): "model lacks tensor \(name)"
        case .inconsistentShape(let reason): "model tensors are inconsistent: \(reason)"
        case .badTokenizer(let reason): "model tokenizer is invalid: \(reason)"
        }
    }
}
