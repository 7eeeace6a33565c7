/// Who produced a score: stored with every assessment so any result can be traced and reproduced.
public struct ScorerIdentity: Codable, Sendable, Hashable {
    public var name: String
    public var version: String

    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }
}

/// What one scorer concludes about one arrival.
public struct ScorerResult: Codable, Sendable, Hashable {
    public var level: ESILevel
    /// Most important first; the board shows the first few.
    public var findings: [Finding]
    /// Plain-language explanation of the level.
    public var explanation: String
    /// 0…1. For the rules scorer this reflects how much of the input was measured.
    public var confidence: Double
    public var scorer: ScorerIdentity

    public init(level: ESILevel, findings: [Finding], explanation: String, confidence: Double,
                scorer: ScorerIdentity) {
        self.level = level
        self.findings = findings
        self.explanation = explanation
        self.confidence = confidence
        self.scorer = scorer
    }
}

/// Anything that can propose an ESI level for an arrival: the rules, later a language model.
///
/// A scorer never sees patient identifiers, only the clinical presentation, and gets the rules'
/// assessment so it can build on it. The combination policy, not the scorer, decides how its
/// result may change the proposed level.
public protocol TriageScorer: Sendable {
    var identity: ScorerIdentity { get }
    func score(_ presentation: ClinicalPresentation, rules: RulesAssessment) async throws -> ScorerResult
}
