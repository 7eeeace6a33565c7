/// Which model produced a score, precisely enough to reproduce it bit for bit.
public struct ModelIdentity: Codable, Sendable, Hashable {
    /// `embedded` (in-process engine) or `openai` (an OpenAI-compatible server).
    public var backend: String
    /// The model file's name (embedded) or the served model's name (openai).
    public var name: String
    /// Hex SHA-256 of the model file; nil when the server does not say.
    public var sha256: String?
    /// e.g. `Q4_K_M`; nil when unknown.
    public var quantization: String?
    /// The inference engine and its version, e.g. `GemmaEngine 0.1`.
    public var engine: String
    /// The vision tower's file name and hex SHA-256, when the model reads images.
    public var mmproj: String?
    public var mmprojSHA256: String?

    public init(backend: String, name: String, sha256: String?, quantization: String?, engine: String,
                mmproj: String? = nil, mmprojSHA256: String? = nil) {
        self.backend = backend
        self.name = name
        self.sha256 = sha256
        self.quantization = quantization
        self.engine = engine
        self.mmproj = mmproj
        self.mmprojSHA256 = mmprojSHA256
    }

    private enum CodingKeys: String, CodingKey {
        case backend, name, sha256, quantization, engine, mmproj
        case mmprojSHA256 = "mmproj_sha256"
    }
}

/// The model's short explanation, in the fixed schema its constrained decoding enforces.
public struct ModelRationale: Codable, Sendable, Hashable {
    /// At most three short reasons.
    public var reasons: [String]
    public var redFlags: [String]

    /// At most three reasons, as the rationale prompt asks.
    public static let maxReasons = 3
    public static let maxRedFlags = 3

    public init(reasons: [String], redFlags: [String]) {
        self.reasons = reasons
        self.redFlags = redFlags
    }

    private enum CodingKeys: String, CodingKey {
        case reasons
        case redFlags = "red_flags"
    }

    /// Drops repeated entries (a small model tends to repeat itself), keeping the first of each.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        reasons = Self.unique(try c.decode([String].self, forKey: .reasons))
        redFlags = Self.unique(try c.decode([String].self, forKey: .redFlags))
    }

    static func unique(_ items: [String]) -> [String] {
        var seen: Set<String> = []
        return items.filter { seen.insert($0.lowercased()).inserted }
    }
}

/// The model's view of one arrival, stored with the assessment (JSON field `model`).
public struct ModelAssessment: Codable, Sendable, Hashable {
    public enum Status: String, Codable, Sendable {
        /// The model scored the arrival.
        case scored
        /// The rules assessment is on the board; the model's follows.
        case pending
        /// No model result: missing, corrupt or failing model (see `reason`).
        case unavailable
    }

    /// How the model's view entered the proposed level.
    public enum Effect: String, Codable, Sendable {
        /// The model's mass on more urgent levels passed the threshold: it raised the level.
        case raised
        /// The model favours a more urgent level, below the threshold: shown for review only.
        case advisory
        /// The model's level is the rules' level or less urgent: the rules' level stands.
        case none
    }

    public var status: Status
    /// Why the model is unavailable, or why the rationale is missing. No patient data.
    public var reason: String?
    public var identity: ModelIdentity?
    /// Version of the prompt template (see the service's `TriagePrompt`).
    public var promptVersion: String?
    /// The sampling seed of the rationale's decoding.
    public var seed: UInt64?
    /// P(ESI = 1…5) read from the level tokens' logits, before calibration.
    public var rawDistribution: LevelDistribution?
    /// The distribution for a content-free patient, divided out of `rawDistribution`.
    public var prior: LevelDistribution?
    /// The calibrated distribution the combination uses.
    public var distribution: LevelDistribution?
    public var rationale: ModelRationale?
    /// Why there is no rationale although the level was scored (timeout, token budget, failure).
    public var rationaleError: String?
    /// Each of the arrival's images, read with the note or not and why; nil for an arrival without images.
    public var images: [ImageAnalysis]?
    /// Filled in by the combination policy.
    public var effect: Effect?
    /// The threshold on P(more urgent than the rules) the combination applied.
    public var threshold: Double?

    public init(status: Status, reason: String? = nil, identity: ModelIdentity? = nil, promptVersion: String? = nil,
                seed: UInt64? = nil, rawDistribution: LevelDistribution? = nil, prior: LevelDistribution? = nil,
                distribution: LevelDistribution? = nil, rationale: ModelRationale? = nil) {
        self.status = status
        self.reason = reason
        self.identity = identity
        self.promptVersion = promptVersion
        self.seed = seed
        self.rawDistribution = rawDistribution
        self.prior = prior
        self.distribution = distribution
        self.rationale = rationale
    }

    public static let pending = ModelAssessment(status: .pending)

    public static func unavailable(_ reason: String, identity: ModelIdentity? = nil) -> ModelAssessment {
        ModelAssessment(status: .unavailable, reason: reason, identity: identity)
    }

    /// The most likely level after calibration.
    public var level: ESILevel? { distribution?.mostLikely }

    /// The probability of the most likely level.
    public var confidence: Double? { distribution.map { $0[$0.mostLikely] } }

    private enum CodingKeys: String, CodingKey {
        case status, reason, identity, seed, prior, distribution, rationale, images, effect, threshold, level, confidence
        case promptVersion = "prompt_version"
        case rawDistribution = "raw_distribution"
        case rationaleError = "rationale_error"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        status = try c.decode(Status.self, forKey: .status)
        reason = try c.decodeIfPresent(String.self, forKey: .reason)
        identity = try c.decodeIfPresent(ModelIdentity.self, forKey: .identity)
        promptVersion = try c.decodeIfPresent(String.self, forKey: .promptVersion)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed)
        rawDistribution = try c.decodeIfPresent(LevelDistribution.self, forKey: .rawDistribution)
        prior = try c.decodeIfPresent(LevelDistribution.self, forKey: .prior)
        distribution = try c.decodeIfPresent(LevelDistribution.self, forKey: .distribution)
        rationale = try c.decodeIfPresent(ModelRationale.self, forKey: .rationale)
        rationaleError = try c.decodeIfPresent(String.self, forKey: .rationaleError)
        images = try c.decodeIfPresent([ImageAnalysis].self, forKey: .images)
        effect = try c.decodeIfPresent(Effect.self, forKey: .effect)
        threshold = try c.decodeIfPresent(Double.self, forKey: .threshold)
    }

    /// Also writes the derived `level` and `confidence`, for readers of the stored JSON.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(status, forKey: .status)
        try c.encodeIfPresent(reason, forKey: .reason)
        try c.encodeIfPresent(identity, forKey: .identity)
        try c.encodeIfPresent(promptVersion, forKey: .promptVersion)
        try c.encodeIfPresent(seed, forKey: .seed)
        try c.encodeIfPresent(rawDistribution, forKey: .rawDistribution)
        try c.encodeIfPresent(prior, forKey: .prior)
        try c.encodeIfPresent(distribution, forKey: .distribution)
        try c.encodeIfPresent(rationale, forKey: .rationale)
        try c.encodeIfPresent(rationaleError, forKey: .rationaleError)
        try c.encodeIfPresent(images, forKey: .images)
        try c.encodeIfPresent(effect, forKey: .effect)
        try c.encodeIfPresent(threshold, forKey: .threshold)
        try c.encodeIfPresent(level, forKey: .level)
        try c.encodeIfPresent(confidence, forKey: .confidence)
    }
}
