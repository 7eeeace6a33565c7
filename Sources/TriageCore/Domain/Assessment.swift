/// The ESI algorithm's decision point that settled the level (ESI v4 handbook, chapter 3).
public enum ESIDecisionPoint: String, Codable, Sendable {
    /// A: requires an immediate life-saving intervention → ESI 1.
    case lifeSavingIntervention = "A"
    /// B: high-risk situation, new confusion/lethargy, or severe pain/distress → ESI 2.
    case highRisk = "B"
    /// C: how many different resources are expected → ESI 3, 4 or 5.
    case resources = "C"
    /// D: danger-zone vital signs up-triage a would-be ESI 3 to ESI 2.
    case dangerZoneVitals = "D"
}

/// What the deterministic rules conclude about one presentation.
public struct RulesAssessment: Codable, Sendable, Hashable {
    /// Level, findings, explanation, confidence; `result.scorer.version` is the rules version.
    public var result: ScorerResult
    public var scores: ClinicalScores
    public var decisionPoint: ESIDecisionPoint
    /// Expected number of distinct resource types (decision point C).
    public var expectedResources: Int
    /// Plausible but extreme values, kept and flagged for the nurse to double-check.
    public var flags: [Finding]

    public init(result: ScorerResult, scores: ClinicalScores, decisionPoint: ESIDecisionPoint,
                expectedResources: Int, flags: [Finding]) {
        self.result = result
        self.scores = scores
        self.decisionPoint = decisionPoint
        self.expectedResources = expectedResources
        self.flags = flags
    }

    private enum CodingKeys: String, CodingKey {
        case result, scores, flags
        case decisionPoint = "decision_point"
        case expectedResources = "expected_resources"
    }
}

/// One scoring of one arrival, ready to be stored immutably: the combined proposal and everything
/// needed to explain and reproduce it.
public struct AssessmentDraft: Codable, Sendable, Hashable {
    /// The level put on the board: never less urgent than `rulesLevel`.
    public var proposedLevel: ESILevel
    public var rulesLevel: ESILevel
    public var scores: ClinicalScores
    /// Rules findings plus any other scorer's findings, most important first.
    public var findings: [Finding]
    public var explanation: String
    public var confidence: Double
    /// The scorer whose result this is (the rules scorer, or the combination's other scorer).
    public var scorer: ScorerIdentity
    public var rulesVersion: String
    /// Hex SHA-256 of the canonical JSON of the scored presentation.
    public var inputSHA256: String
    /// The language model's view (distribution, identity, prompt version, seed), or why there is none;
    /// nil when no model is configured.
    public var model: ModelAssessment?

    public init(proposedLevel: ESILevel, rulesLevel: ESILevel, scores: ClinicalScores, findings: [Finding],
                explanation: String, confidence: Double, scorer: ScorerIdentity, rulesVersion: String,
                inputSHA256: String, model: ModelAssessment? = nil) {
        self.proposedLevel = proposedLevel
        self.rulesLevel = rulesLevel
        self.scores = scores
        self.findings = findings
        self.explanation = explanation
        self.confidence = confidence
        self.scorer = scorer
        self.rulesVersion = rulesVersion
        self.inputSHA256 = inputSHA256
        self.model = model
    }

    private enum CodingKeys: String, CodingKey {
        case scores, findings, explanation, confidence, scorer, model
        case proposedLevel = "proposed_level"
        case rulesLevel = "rules_level"
        case rulesVersion = "rules_version"
        case inputSHA256 = "input_sha256"
    }
}
