/// One observation a rule made about a patient, in words a nurse can check in seconds,
/// e.g. "RR 28/min > 20: ESI danger zone for age > 8 y".
public struct Finding: Codable, Sendable, Hashable {
    /// Stable rule identifier, e.g. `"esi.d.danger_zone.rr"`.
    public var rule: String
    /// The sentence shown on the board.
    public var summary: String
    /// The observed value with its unit, when the finding is about a measurement.
    public var observed: String?
    /// The threshold the value crossed, e.g. `"> 20"`.
    public var threshold: String?
    /// The ESI level this finding alone calls for, if any.
    public var impliedLevel: ESILevel?
    /// Where the rule comes from, e.g. `"ESI v4 handbook, decision point D"`.
    public var source: String

    public init(rule: String, summary: String, observed: String? = nil, threshold: String? = nil,
                impliedLevel: ESILevel? = nil, source: String) {
        self.rule = rule
        self.summary = summary
        self.observed = observed
        self.threshold = threshold
        self.impliedLevel = impliedLevel
        self.source = source
    }

    private enum CodingKeys: String, CodingKey {
        case rule, summary, observed, threshold, source
        case impliedLevel = "implied_level"
    }
}
