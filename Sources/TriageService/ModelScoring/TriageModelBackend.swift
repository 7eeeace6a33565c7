import TriageCore

/// A language model that reads the level distribution for a triage prompt: the in-process Gemma
/// engine, or an OpenAI-compatible server.
public protocol TriageModelBackend: Sendable {
    var identity: ModelIdentity { get }
    /// Nil when the backend reads images; else why not, as the assessment records it.
    var imagesUnreadableReason: String? { get }

    /// The patient's part of the prompt with the `images` read (SHA-256s of analysed images), shortened
    /// where the backend's context requires it (see `TriagePrompt.patientSegments`); never throws for a
    /// presentation that fits.
    func fit(_ presentation: ClinicalPresentation, rules: RulesAssessment, images: [String]) async throws
        -> [TriagePrompt.Segment]

    /// Reads each image for the prompts that follow: analysed (its `.image` segment may then be used)
    /// or not and why. Throws only when cancelled: an image that cannot be read leaves the text score standing.
    func readImages(_ images: [ImageSubmission]) async throws -> [ImageAnalysis]

    /// Raw P(ESI = 1…5): the next-token probabilities of the five level tokens after the prompt's
    /// answer stem, renormalized over those five. `patient` is the part after the fixed prefix.
    func levelDistribution(patient: [TriagePrompt.Segment]) async throws -> LevelDistribution

    /// A short rationale for `level` in `language`, always of `TriagePrompt.rationaleSchema`, within
    /// `budget`; throws `RationaleFailure` when the budget runs out first.
    func rationale(patient: [TriagePrompt.Segment], level: ESILevel, language: NoteLanguage, budget: RationaleBudget)
        async throws -> ModelRationale
}

extension TriageModelBackend {
    /// A server whose context is not known here gets the whole presentation.
    public func fit(_ presentation: ClinicalPresentation, rules: RulesAssessment, images: [String]) async throws
        -> [TriagePrompt.Segment]
    {
        TriagePrompt.patientSegments(presentation, rules: rules, images: images)
    }
}

/// Bounds on the rationale's generation: the board never waits on it, but the model phase does.
public struct RationaleBudget: Sendable, Hashable {
    public var maximumTokens: Int
    public var timeout: Duration

    public init(maximumTokens: Int, timeout: Duration) {
        self.maximumTokens = maximumTokens
        self.timeout = timeout
    }
}

/// Why there is no rationale; the level distribution still stands.
public struct RationaleFailure: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) { self.description = description }
}

/// Why a model cannot be used. Descriptions carry no patient data.
public struct ModelUnavailable: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(_ description: String) { self.description = description }
}
