/// Level of consciousness on the ACVPU scale (NEWS2, RCP 2017): Alert, new Confusion, Voice, Pain, Unresponsive.
public enum ConsciousnessLevel: String, Codable, Sendable, CaseIterable {
    case alert = "A"
    case newConfusion = "C"
    case voice = "V"
    case pain = "P"
    case unresponsive = "U"
}

/// One set of observations. Every field is optional: a missing value means "not measured",
/// never "normal", and rules that need it say so instead of guessing.
public struct Vitals: Codable, Sendable, Hashable {
    /// Heart rate, beats/min.
    public var heartRate: Double?
    /// Respiratory rate, breaths/min.
    public var respiratoryRate: Double?
    /// Systolic blood pressure, mmHg.
    public var systolicBP: Double?
    /// Diastolic blood pressure, mmHg.
    public var diastolicBP: Double?
    /// Peripheral oxygen saturation, %.
    public var spo2: Double?
    /// Temperature, °C.
    public var temperatureC: Double?
    /// Pain score 0–10.
    public var pain: Int?
    /// Glasgow Coma Scale 3–15.
    public var gcs: Int?
    public var consciousness: ConsciousnessLevel?
    /// Breathing supplemental oxygen when measured (NEWS2 adds 2 points).
    public var onOxygen: Bool?
    /// NEWS2 SpO2 scale 2 applies (hypercapnic respiratory failure, target 88–92 %), set by a clinician.
    public var hypercapnicTarget: Bool?

    public init(heartRate: Double? = nil, respiratoryRate: Double? = nil, systolicBP: Double? = nil,
                diastolicBP: Double? = nil, spo2: Double? = nil, temperatureC: Double? = nil,
                pain: Int? = nil, gcs: Int? = nil, consciousness: ConsciousnessLevel? = nil,
                onOxygen: Bool? = nil, hypercapnicTarget: Bool? = nil) {
        self.heartRate = heartRate
        self.respiratoryRate = respiratoryRate
        self.systolicBP = systolicBP
        self.diastolicBP = diastolicBP
        self.spo2 = spo2
        self.temperatureC = temperatureC
        self.pain = pain
        self.gcs = gcs
        self.consciousness = consciousness
        self.onOxygen = onOxygen
        self.hypercapnicTarget = hypercapnicTarget
    }

    private enum CodingKeys: String, CodingKey {
        case heartRate = "hr"
        case respiratoryRate = "rr"
        case systolicBP = "sbp"
        case diastolicBP = "dbp"
        case spo2
        case temperatureC = "temp_c"
        case pain
        case gcs
        case consciousness = "avpu"
        case onOxygen = "on_oxygen"
        case hypercapnicTarget = "spo2_scale2"
    }
}

extension Vitals {
    /// These vitals with every measure `newer` carries replacing the older one: a monitor that sends only
    /// the saturation leaves the last blood pressure standing.
    public func updated(with newer: Vitals) -> Vitals {
        Vitals(heartRate: newer.heartRate ?? heartRate, respiratoryRate: newer.respiratoryRate ?? respiratoryRate,
               systolicBP: newer.systolicBP ?? systolicBP, diastolicBP: newer.diastolicBP ?? diastolicBP,
               spo2: newer.spo2 ?? spo2, temperatureC: newer.temperatureC ?? temperatureC, pain: newer.pain ?? pain,
               gcs: newer.gcs ?? gcs, consciousness: newer.consciousness ?? consciousness,
               onOxygen: newer.onOxygen ?? onOxygen, hypercapnicTarget: newer.hypercapnicTarget ?? hypercapnicTarget)
    }
}
