import Crypto
import Foundation
import GemmaEngine
import TriageCore

/// The in-process Gemma engine as a triage backend: one model per process, one session, access
/// serialized by the actor. The instruction prefix is evaluated once at start-up and its KV state
/// restored before each arrival, so only the patient's tokens are computed per request.
///
/// With an mmproj vision tower (MedGemma's other half), images are decoded, encoded into soft tokens
/// and kept by SHA-256, so a re-triage of the same arrival does not encode them again.
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
    private let vision: GemmaVisionModel?
    public nonisolated let imagesUnreadableReason: String?
    /// Largest image decoded, in pixels (checked from the header, before decoding).
    private let maxImagePixels: Int
    /// Soft tokens of recently read images by SHA-256, oldest first; at most `cachedImages`.
    private var imageCache: [(sha256: String, rows: [Float])] = []
    /// The images the session holds after the prefix, in order (their positions are placeholders in `session.tokens`).
    private var heldImages: [String] = []
    /// Images run through the vision tower since loading (cached ones are not run again).
    public private(set) var encodedImages = 0

    /// Loads the model, checks the level tokens, and prefills the prefix. Throws `ModelUnavailable`
    /// with a reason for a missing, corrupt or unsuitable file.
    ///
    /// `contextTokens` nil takes the model's trained context length, capped so that the KV cache fits in
    /// a quarter of physical memory; a larger request is capped the same way. A missing, broken or
    /// unpaired `mmproj` leaves the model reading text only, and `imagesUnreadableReason` says why.
    public init(path: String, threads: Int, contextTokens: Int? = nil, rationaleMaxTokens: Int = 96,
                mmproj: String? = nil, maxImagePixels: Int = 50_000_000) throws {
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
        self.maxImagePixels = maxImagePixels
        (vision, imagesUnreadableReason) = Self.loadVision(mmproj, pairedWith: model.config, threads: threads)
        var identity = ModelIdentity(backend: "embedded", name: URL(fileURLWithPath: path).lastPathComponent,
                                     sha256: try Self.sha256(ofFileAt: path), quantization: model.quantization,
                                     engine: GemmaModel.engineVersion)
        if let mmproj, vision != nil {
            identity.mmproj = URL(fileURLWithPath: mmproj).lastPathComponent
            identity.mmprojSHA256 = try Self.sha256(ofFileAt: mmproj)
        }
        self.identity = identity
    }

    /// The vision tower, or nil and why not.
    public static func loadVision(_ path: String?, pairedWith text: GemmaConfig, threads: Int)
        -> (GemmaVisionModel?, reason: String?)
    {
        guard let path else { return (nil, "no vision model is configured") }
        do {
            let tower = try GemmaVisionModel(path: path, threads: threads)
            try tower.checkPairs(with: text)
            return (tower, nil)
        } catch {
            return (nil, "vision model \(URL(fileURLWithPath: path).lastPathComponent) unavailable: \(error.description)")
        }
    }

    /// Decodes and encodes each image not read before; one that cannot be decoded is not analysed, with the reason.
    public func readImages(_ images: [ImageSubmission]) throws -> [ImageAnalysis] {
        guard let vision else {
            return ImageAnalysis.list(images, status: .notAnalysed, reason: imagesUnreadableReason)
        }
        var analyses: [ImageAnalysis] = []
        for (index, image) in images.enumerated() {
            try Task.checkCancellation()
            let sha256 = image.sha256
            if !imageCache.contains(where: { $0.sha256 == sha256 }) {
                let decoded: RGBImage
                do {
                    decoded = try ImageDecoder.decode([UInt8](image.data), maximumPixels: maxImagePixels)
                } catch {
                    analyses.append(ImageAnalysis(index: index, sha256: sha256, status: .notAnalysed, reason: error.description))
                    continue
                }
                if imageCache.count >= Self.cachedImages { imageCache.removeFirst() }
                imageCache.append((sha256, vision.encode(decoded)))
                encodedImages += 1
            }
            analyses.append(ImageAnalysis(index: index, sha256: sha256, status: .analysed))
        }
        return analyses
    }

    /// Images whose soft tokens are kept: more than an arrival may have read (`model.max_images_per_arrival`).
    static let cachedImages = 16

    public func levelDistribution(patient: [TriagePrompt.Segment]) throws -> LevelDistribution {
        try evaluate(patient)
        let logits = try session.logits(for: levelTokens)
        guard let distribution = LevelDistribution(logits: logits.map(Double.init)) else {
            throw ModelUnavailable("the model returned non-finite logits")
        }
        return distribution
    }

    public func rationale(patient: [TriagePrompt.Segment], level: ESILevel, language: NoteLanguage,
                          budget: RationaleBudget) throws -> ModelRationale
    {
        let deadline = ContinuousClock.now + budget.timeout
        try evaluate(patient)
        try session.append(tokens(TriagePrompt.rationaleStem(level: level, language: language), addBOS: false))
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
    public func fit(_ presentation: ClinicalPresentation, rules: RulesAssessment, images: [String]) async throws
        -> [TriagePrompt.Segment]
    {
        let budget = contextTokens - prefix.tokens.count - answerReserve
        func segments(keeping characters: Int? = nil) -> [TriagePrompt.Segment] {
            TriagePrompt.patientSegments(presentation, rules: rules, images: images, noteCharacters: characters)
        }
        func length(_ segments: [TriagePrompt.Segment]) -> Int { tokens(segments, addBOS: false).count }
        let whole = segments()
        if length(whole) <= budget { return whole }
        func fits(_ characters: Int) -> Bool { length(segments(keeping: characters)) <= budget }
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
    /// patient's too, when the session still holds exactly that). Text runs up to each image are
    /// appended as tokens, each image as its cached soft tokens.
    private func evaluate(_ patient: [TriagePrompt.Segment]) throws {
        let images = patient.compactMap { if case .image(let sha256) = $0 { sha256 } else { nil } }
        if session.tokens == prefix.tokens + tokens(patient, addBOS: false), heldImages == images { return }
        try session.restore(prefix)
        heldImages = []
        var text: [TriagePrompt.Segment] = []
        for segment in patient {
            guard case .image(let sha256) = segment else {
                text.append(segment)
                continue
            }
            guard let vision, let rows = imageCache.last(where: { $0.sha256 == sha256 })?.rows else {
                throw ModelUnavailable("an image in the prompt was not read")
            }
            try session.append(tokens(text, addBOS: false))
            text = []
            try session.append(softTokens: rows, count: vision.config.tokensPerImage)
        }
        try session.append(tokens(text, addBOS: false))
        heldImages = images
    }

    /// The segments' tokens, each image's soft-token positions as `GemmaSession.softTokenPlaceholder`.
    private func tokens(_ segments: [TriagePrompt.Segment], addBOS: Bool) -> [TokenID] {
        Self.tokens(segments, model: model, addBOS: addBOS, imageTokens: vision?.config.tokensPerImage ?? 0)
    }

    /// Markup segments may hold special tokens; patient segments never do.
    static func tokens(_ segments: [TriagePrompt.Segment], model: GemmaModel, addBOS: Bool, imageTokens: Int = 0)
        -> [TokenID]
    {
        var tokens: [TokenID] = addBOS ? [model.tokenizer.bosID] : []
        for segment in segments {
            switch segment {
            case .markup(let text): tokens += model.encode(text, addBOS: false, parseSpecial: true)
            case .patient(let text): tokens += model.encode(text, addBOS: false, parseSpecial: false)
            case .image: tokens += Array(repeating: GemmaSession.softTokenPlaceholder, count: imageTokens)
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
