import TriageCore

/// The second phase: the rules and the model's view under `TriagePolicy.modelPhase`, after the rules'
/// assessment is already on the board.
public protocol ModelPhase: Sendable {
    /// The model's name, as the lane reports it (no patient data).
    var modelName: String { get }

    /// Makes the model ready to answer (e.g. measures its calibration prior on a server); throws
    /// while it cannot, and the lane tries again with backoff.
    func prepare() async throws

    /// The model-phase assessment. Throws when the model failed in a way a retry may mend (timeout,
    /// server error, open circuit breaker).
    func score(_ presentation: ClinicalPresentation) async throws -> AssessmentDraft
}

/// The model phase with a calibrated model: the model's level distribution divided by its prior
/// (measured once, on `prepare`) and combined with the rules at `threshold`.
public actor CalibratedModelPhase: ModelPhase {
    public nonisolated let modelName: String
    let backend: any TriageModelBackend
    /// Minimum P(more urgent than the rules) for the model to raise the level (`model.raise_threshold`).
    let threshold: Double
    let rationaleBudget: RationaleBudget?
    let rules = TriageRules()
    private var scorer: ModelScorer?

    public init(backend: any TriageModelBackend, threshold: Double, rationaleBudget: RationaleBudget? = nil) {
        modelName = backend.identity.name
        self.backend = backend
        self.threshold = threshold
        self.rationaleBudget = rationaleBudget
    }

    /// A phase around a scorer whose prior is already measured.
    public init(scorer: ModelScorer, threshold: Double) {
        modelName = scorer.backend.identity.name
        backend = scorer.backend
        self.threshold = threshold
        rationaleBudget = scorer.rationaleBudget
        self.scorer = scorer
    }

    public func prepare() async throws {
        _ = try await readyScorer()
    }

    public func score(_ presentation: ClinicalPresentation) async throws -> AssessmentDraft {
        let scorer = try await readyScorer()
        let assessment = rules.assess(presentation)
        let model = try await scorer.assess(presentation, rules: assessment)
        return TriagePolicy.modelPhase(rules: assessment, model: model, threshold: threshold,
                                       inputSHA256: try presentation.canonicalSHA256())
    }

    private func readyScorer() async throws -> ModelScorer {
        if let scorer { return scorer }
        let measured = try await ModelScorer(backend: backend, rationaleBudget: rationaleBudget)
        scorer = measured
        return measured
    }
}
