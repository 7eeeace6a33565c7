/// Who produced a score: stored with every assessment so any result can be traced and reproduced.
public struct ScorerIdentity: Codable, Sendable, Hashable {
    public var name: String
    public var version: String

    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }
}

/// What the rules conclude about one arrival: level, findings and explanation.
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
