/// Age bands of the ESI danger-zone vital signs (ESI v4 handbook, decision point D).
enum AgeBand: Sendable, Equatable {
    case under3Months
    case months3To3Years
    case years3To8
    case over8Years

    /// An age recorded as 0 years could be anything under one; the 3 mo–3 y band has the lower,
    /// more sensitive limits, so it is used.
    init(_ age: PatientAge) {
        if age == .years(0) {
            self = .months3To3Years
        } else if age.days < 90 {
            self = .under3Months
        } else if age.days < PatientAge.years(3).days {
            self = .months3To3Years
        } else if age.years <= 8 {
            self = .years3To8
        } else {
            self = .over8Years
        }
    }

    /// Heart rate above this is in the danger zone.
    var heartRateLimit: Double {
        switch self {
        case .under3Months: 180
        case .months3To3Years: 160
        case .years3To8: 140
        case .over8Years: 100
        }
    }

    /// Respiratory rate above this is in the danger zone.
    var respiratoryRateLimit: Double {
        switch self {
        case .under3Months: 50
        case .months3To3Years: 40
        case .years3To8: 30
        case .over8Years: 20
        }
    }

    var label: String {
        switch self {
        case .under3Months: "age < 3 mo"
        case .months3To3Years: "age 3 mo–3 y"
        case .years3To8: "age 3–8 y"
        case .over8Years: "age > 8 y"
        }
    }
}

extension PatientAge {
    /// Systolic pressure below this is hypotension (PALS: 60 mmHg neonates, 70 infants,
    /// 70 + 2 × age in years for 1–10 y, 90 from 10 y).
    var hypotensionLimit: Double {
        if days <= 28 { return 60 }
        if years < 1 { return 70 }
        if years < 10 { return 70 + 2 * Double(years) }
        return 90
    }

    /// NEWS2, qSOFA and the adult shock index are validated from 16 years (RCP 2017).
    var isAdultForEarlyWarningScores: Bool { years >= 16 }
}
