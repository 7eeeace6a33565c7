import Crypto
import Foundation
import GemmaEngine
import TriageCore

/// The in-process Gemma engine as a triage backend: one model per process, one session, access
/// serialized by the actor. The instruction prefix is evaluated once at start-up and its KV state
/// restored before each arrival, so only the patient's tokens are computed per request.
public actor EmbeddedTriageModel: TriageModelBackend {
    public nonisolated let identity: ModelIdentity
    private nonisolated let executor = DedicatedThreadExecutor(label: "edtriage.model")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }
    private let model: GemmaModel
    private let session: GemmaSession
    private let prefix: KVSnapshot
    /// Token ids of "1" … "5" after the answer stem.
    private let levelTokens: [TokenID]
    /// Positions the session holds: the prompt and the rationale must fit in them together.
    public nonisolated let contextTokens: Int
    /// Positions kept free after the patient's facts for the rationale stem and the rationale.
    private let answerReserve: Int

    /// Loads the model, checks the level tokens, and prefills the prefix. Throws `ModelUnavailable`
    /// with a reason for a missing, corrupt or unsuitable file.
    ///
    /// `contextTokens` nil takes the model's trained context length, capped so that the KV cache fits in
    /// a quarter of physical memory; a larger request is capped the same way.
    public init(path: String, threads: Int, contextTokens: Int? = nil, rationaleMaxTokens: Int = 96) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelUnavailable("model file not found: \(URL(fileURLWithPath: path).lastPathComponent)")
        }
        do {
            model = try GemmaModel(path: path, threads: threads)
        } catch {
            throw ModelUnavailable("model file cannot be loaded: \(error.description)")
        }
        levelTokens = try Self.levelTokens(model)
        self.contextTokens = Self.contextTokens(requested: contextTokens, config: model.config,
                                           memoryBytes: ProcessInfo.processInfo.physicalMemory)
        answerReserve = rationaleMaxTokens + Self.stemAllowance
        session = model.makeSession(contextLength: self.contextTokens)
        try session.append(Self.tokens(TriagePrompt.prefix, model: model, addBOS: true))
        prefix = session.snapshot()
        // Room for the prefix, the answer and at least a few facts.
        guard prefix.tokens.count + answerReserve + Self.stemAllowance < self.contextTokens else {
            throw ModelUnavailable("a context of \(self.contextTokens) tokens cannot hold the triage prompt and its answer")
        }
        identity = ModelIdentity(backend: "embedded", name: URL(fileURLWithPath: path).lastPathComponent,
                                 sha256: try Self.sha256(ofFileAt: path), quantization: model.quantization,
                                 engine: GemmaModel.engineVersion)
    }

    public func levelDistribution(patient: [TriagePrompt.Segment]) throws -> LevelDistribution {
        try evaluate(patient)
        let logits = try session.logits(for: levelTokens)
        guard let distribution = LevelDistribution(logits: logits.map(Double.init)) else {
            throw ModelUnavailable("the model returned non-finite logits")
        }
        return distribution
    }

    public func rationale(patient: [TriagePrompt.Segment], level: ESILevel, budget: RationaleBudget) throws
        -> ModelRationale
    {
        let deadline = ContinuousClock.now + budget.timeout
        try evaluate(patient)
        try session.append(Self.tokens(TriagePrompt.rationaleStem(level: level), model: model, addBOS: false))
        var generator = ConstrainedGenerator(session: session)
        switch try generator.generate(TriagePrompt.rationaleSchema, maximumTokens: budget.maximumTokens, deadline: deadline) {
        case .complete(let json):
            do {
                return try JSONDecoder().decode(ModelRationale.self, from: Data(json.utf8))
            } catch {
                throw RationaleFailure("the constrained rationale did not decode")
            }
        case .budgetExhausted:
            throw RationaleFailure("rationale budget exhausted (\(budget.maximumTokens) tokens, \(budget.timeout))")
        case .stuck:
            throw RationaleFailure("no token could continue the rationale")
        case .cancelled:
            throw CancellationError()
        }
    }

    /// The patient's facts with the note shortened, if need be, so that prefix, facts and answer fit in
    /// the context; the vitals, complaint and findings are always kept whole.
    public func fit(_ presentation: ClinicalPresentation, rules: RulesAssessment) async throws -> [TriagePrompt.Segment] {
        let budget = contextTokens - prefix.tokens.count - answerReserve
        let whole = TriagePrompt.patientSegments(presentation, rules: rules)
        if Self.tokens(whole, model: model, addBOS: false).count <= budget { return whole }
        func segments(keeping characters: Int) -> [TriagePrompt.Segment] {
            TriagePrompt.patientSegments(presentation, rules: rules, noteCharacters: characters)
        }
        func fits(_ characters: Int) -> Bool {
            Self.tokens(segments(keeping: characters), model: model, addBOS: false).count <= budget
        }
        guard fits(0) else {
            throw ModelUnavailable("the presentation does not fit a context of \(contextTokens) tokens even without its note")
        }
        // The longest prefix of the note that fits: token counts grow with the characters kept.
        var (low, high) = (0, presentation.note.count)
        while low < high {
            let middle = (low + high + 1) / 2
            if fits(middle) { low = middle } else { high = middle - 1 }
        }
        return segments(keeping: low)
    }

    /// Leaves the session holding prefix + `patient`, reusing the prefix's KV state (and the
    /// patient's too, when the session still holds exactly that).
    private func evaluate(_ patient: [TriagePrompt.Segment]) throws {
        let patientTokens = Self.tokens(patient, model: model, addBOS: false)
        if session.tokens == prefix.tokens + patientTokens { return }
        try session.restore(prefix)
        try session.append(patientTokens)
    }

    /// Markup segments may hold special tokens; patient segments never do.
    static func tokens(_ segments: [TriagePrompt.Segment], model: GemmaModel, addBOS: Bool) -> [TokenID] {
        var tokens: [TokenID] = addBOS ? [model.tokenizer.bosID] : []
        for segment in segments {
            switch segment {
            case .markup(let text): tokens += model.encode(text, addBOS: false, parseSpecial: true)
            case .patient(let text): tokens += model.encode(text, addBOS: false, parseSpecial: false)
            }
        }
        return tokens
    }

    /// Positions for the answer stem after the facts and the rationale stem after the level.
    static let stemAllowance = 32

    /// The requested context (or the model's trained one), capped by the model's own length and by a
    /// KV cache (keys and values, 32-bit floats, every layer) of at most a quarter of `memoryBytes`.
    static func contextTokens(requested: Int?, config: GemmaConfig, memoryBytes: UInt64) -> Int {
        let bytesPerPosition = UInt64(config.layerCount * config.kvHeadCount * config.headDimension * 2 * 4)
        let memoryCap = Int(min(UInt64(Int.max), memoryBytes / 4 / max(1, bytesPerPosition)))
        return max(1, min(requested ?? config.contextLength, config.contextLength, memoryCap))
    }

    /// Each level text must be exactly one token, distinct from the others.
    static func levelTokens(_ model: GemmaModel) throws -> [TokenID] {
        let tokens = TriagePrompt.levelTexts.map { model.encode($0, addBOS: false) }
        guard tokens.allSatisfy({ $0.count == 1 }), Set(tokens.map { $0[0] }).count == tokens.count else {
            throw ModelUnavailable("the model's tokenizer does not have single tokens for the levels 1-5")
        }
        return tokens.map { $0[0] }
    }

    /// Streams the file through SHA-256 (a 250 MB model hashes in about a second).
    static func sha256(ofFileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw ModelUnavailable("model file cannot be read")
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 8 << 20), !chunk.isEmpty {
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
