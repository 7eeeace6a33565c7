import TriageCore

/// The second phase: the rules and the model's view under `TriagePolicy.modelPhase`, after the rules'
/// assessment is already on the board.
public protocol ModelPhase: Sendable {
    /// The model's name, as the lane reports it (no patient data).
    var modelName: String { get }

    /// Makes the model ready to answer (e.g. measures its calibration prior on a server); throws
    /// while it cannot, and the lane tries again with backoff.
    func prepare() async throws

    /// Nil when the phase reads images; else why not, as its assessments record it.
    var imagesUnreadableReason: String? { get }

    /// The model-phase assessment, from the text alone or with the images (`reading`), each image
    /// listed as analysed, pending or not analysed and why. Throws when the model failed in a way a
    /// retry may mend (timeout, server error, open circuit breaker).
    func score(_ presentation: ClinicalPresentation, images: [ImageSubmission], reading: ImageReading) async throws
        -> AssessmentDraft
}

/// What one model-phase score does with the arrival's images.
public enum ImageReading: Sendable, Equatable {
    /// The text alone, the images listed pending: a later stage reads them.
    case later
    /// The text with the images.
    case now
    /// The text alone, each image listed not analysed for `reason` (reading them has failed for good).
    case abandoned(reason: String)
}

extension ModelPhase {
    /// The assessment of an arrival without images.
    public func score(_ presentation: ClinicalPresentation) async throws -> AssessmentDraft {
        try await score(presentation, images: [], reading: .later)
    }
}

/// The model phase with a calibrated model: the model's level distribution divided by its prior
/// (measured once, on `prepare`) and combined with the rules at `threshold`.
public actor CalibratedModelPhase: ModelPhase {
    public nonisolated let modelName: String
    let backend: any TriageModelBackend
    /// Minimum P(more urgent than the rules) for the model to raise the level (`model.raise_threshold`).
    let threshold: Double
    let rationaleBudget: RationaleBudget?
    let rationaleLanguage: RationaleLanguage
    /// Images read per arrival (`model.max_images_per_arrival`); the others are listed as not analysed.
    let maxImages: Int
    let rules = TriageRules()
    private var scorer: ModelScorer?
    public nonisolated var imagesUnreadableReason: String? {
        maxImages == 0 ? "model.max_images_per_arrival is 0" : backend.imagesUnreadableReason
    }

    public init(backend: any TriageModelBackend, threshold: Double, rationaleBudget: RationaleBudget? = nil,
                rationaleLanguage: RationaleLanguage = .english, maxImages: Int = 4) {
        modelName = backend.identity.name
        self.backend = backend
        self.threshold = threshold
        self.rationaleBudget = rationaleBudget
        self.rationaleLanguage = rationaleLanguage
        self.maxImages = maxImages
    }

    /// A phase around a scorer whose prior is already measured.
    public init(scorer: ModelScorer, threshold: Double, maxImages: Int = 4) {
        modelName = scorer.backend.identity.name
        backend = scorer.backend
        self.threshold = threshold
        rationaleBudget = scorer.rationaleBudget
        rationaleLanguage = scorer.rationaleLanguage
        self.maxImages = maxImages
        self.scorer = scorer
    }

    public func prepare() async throws {
        _ = try await readyScorer()
    }

    public func score(_ presentation: ClinicalPresentation, images: [ImageSubmission], reading: ImageReading) async throws
        -> AssessmentDraft
    {
        let scorer = try await readyScorer()
        let assessment = rules.assess(presentation)
        var analyses = try await imageAnalyses(images, reading: reading)
        let analysed = analyses.filter { $0.status == .analysed }.map(\.sha256)
        var model: ModelAssessment
        do {
            model = try await scorer.assess(presentation, rules: assessment, images: analysed)
        } catch let error as ModelUnavailable where !analysed.isEmpty {
            // Images that do not fit the context leave the text score standing.
            analyses = analyses.map {
                $0.status == .analysed ? ImageAnalysis(index: $0.index, sha256: $0.sha256, status: .notAnalysed,
                                                       reason: error.description) : $0
            }
            model = try await scorer.assess(presentation, rules: assessment)
        }
        if !images.isEmpty { model.images = analyses }
        return TriagePolicy.modelPhase(rules: assessment, model: model, threshold: threshold,
                                       inputSHA256: try presentation.canonicalSHA256())
    }

    /// Each image read by the backend (`read`), pending its stage, or not analysed and why.
    private func imageAnalyses(_ images: [ImageSubmission], reading: ImageReading) async throws -> [ImageAnalysis] {
        if let reason = imagesUnreadableReason { return ImageAnalysis.list(images, status: .notAnalysed, reason: reason) }
        switch reading {
        case .later: return ImageAnalysis.list(images, status: .pending, reason: nil)
        case .abandoned(let reason): return ImageAnalysis.list(images, status: .notAnalysed, reason: reason)
        case .now: break
        }
        let overLimit = images.enumerated().dropFirst(maxImages).map {
            ImageAnalysis(index: $0.offset, sha256: $0.element.sha256, status: .notAnalysed,
                          reason: "over the limit of \(maxImages) images read per arrival")
        }
        return try await backend.readImages(Array(images.prefix(maxImages))) + overLimit
    }

    private func readyScorer() async throws -> ModelScorer {
        if let scorer { return scorer }
        let measured = try await ModelScorer(backend: backend, rationaleBudget: rationaleBudget,
                                                 rationaleLanguage: rationaleLanguage)
        scorer = measured
        return measured
    }
}
