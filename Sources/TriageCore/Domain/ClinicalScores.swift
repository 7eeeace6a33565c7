/// NEWS2 (Royal College of Physicians, National Early Warning Score 2, 2017) with its sub-scores.
public struct NEWS2Score: Codable, Sendable, Hashable {
    /// Points per parameter, keyed by parameter name (`respiration_rate`, `spo2`, `air_or_oxygen`,
    /// `systolic_bp`, `pulse`, `consciousness`, `temperature`). Unmeasured parameters are absent.
    public var subScores: [String: Int]
    public var total: Int
    /// Which SpO2 scale was used: 1 (default) or 2 (hypercapnic target).
    public var spo2Scale: Int
    /// True when every parameter was measured, so the total is a complete NEWS2.
    public var isComplete: Bool
    /// RCP 2017 clinical risk: `low`, `low-medium` (a single 3), `medium` (5–6), `high` (≥ 7).
    public var risk: String

    public init(subScores: [String: Int], total: Int, spo2Scale: Int, isComplete: Bool, risk: String) {
        self.subScores = subScores
        self.total = total
        self.spo2Scale = spo2Scale
        self.isComplete = isComplete
        self.risk = risk
    }

    private enum CodingKeys: String, CodingKey {
        case total, risk
        case subScores = "sub_scores"
        case spo2Scale = "spo2_scale"
        case isComplete = "is_complete"
    }
}

/// qSOFA (Sepsis-3, Seymour et al. JAMA 2016): RR ≥ 22, altered mentation, SBP ≤ 100.
public struct QSOFAScore: Codable, Sendable, Hashable {
    public var respiratoryRate: Bool?
    public var alteredMentation: Bool?
    public var systolicBP: Bool?
    public var total: Int
    /// ≥ 2 flags a higher risk of poor outcome from sepsis.
    public var isPositive: Bool

    public init(respiratoryRate: Bool?, alteredMentation: Bool?, systolicBP: Bool?, total: Int, isPositive: Bool) {
        self.respiratoryRate = respiratoryRate
        self.alteredMentation = alteredMentation
        self.systolicBP = systolicBP
        self.total = total
        self.isPositive = isPositive
    }

    private enum CodingKeys: String, CodingKey {
        case total
        case respiratoryRate = "respiratory_rate"
        case alteredMentation = "altered_mentation"
        case systolicBP = "systolic_bp"
        case isPositive = "is_positive"
    }
}

/// Brighton Paediatric Early Warning Score (Monaghan, Paediatr Nurs 2005) with its sub-scores, for children
/// under 16, where NEWS2 does not apply.
public struct PEWSScore: Codable, Sendable, Hashable {
    /// Points per component, 0–3 each (`behaviour`, `cardiovascular`, `respiratory`), plus `nebulisers`
    /// (2 for back-to-back nebulisers). Components with nothing recorded are absent.
    public var subScores: [String: Int]
    public var total: Int
    /// True when one component scores 3, which Brighton escalates like a high total.
    public var hasMaximalComponent: Bool

    public init(subScores: [String: Int], total: Int, hasMaximalComponent: Bool) {
        self.subScores = subScores
        self.total = total
        self.hasMaximalComponent = hasMaximalComponent
    }

    private enum CodingKeys: String, CodingKey {
        case total
        case subScores = "sub_scores"
        case hasMaximalComponent = "has_maximal_component"
    }
}

/// Shock index = heart rate / systolic blood pressure (Allgöwer & Burri 1967); > 0.9 suggests shock.
public struct ShockIndexScore: Codable, Sendable, Hashable {
    public var value: Double
    public var isElevated: Bool

    public init(value: Double, isElevated: Bool) {
        self.value = value
        self.isElevated = isElevated
    }

    private enum CodingKeys: String, CodingKey {
        case value
        case isElevated = "is_elevated"
    }
}

/// The physiological scores computed alongside the ESI level. A score is nil when its inputs were not measured.
public struct ClinicalScores: Codable, Sendable, Hashable {
    public var news2: NEWS2Score?
    public var qsofa: QSOFAScore?
    public var shockIndex: ShockIndexScore?
    /// Children under 16 only, where NEWS2 and qSOFA are nil.
    public var pews: PEWSScore?

    public init(news2: NEWS2Score? = nil, qsofa: QSOFAScore? = nil, shockIndex: ShockIndexScore? = nil,
                pews: PEWSScore? = nil) {
        self.news2 = news2
        self.qsofa = qsofa
        self.shockIndex = shockIndex
        self.pews = pews
    }

    private enum CodingKeys: String, CodingKey {
        case news2, qsofa, pews
        case shockIndex = "shock_index"
    }
}
