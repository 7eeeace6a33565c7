/// NEWS2 from one set of observations (Royal College of Physicians, NEWS2 chart, 2017).
/// Each parameter is rounded to the chart's resolution (whole numbers; temperature to 0.1 °C) first.
enum NEWS2Calculator {
    static func score(_ vitals: Vitals) -> NEWS2Score? {
        let scale = vitals.hypercapnicTarget == true ? 2 : 1
        var sub: [String: Int] = [:]
        sub["respiration_rate"] = vitals.respiratoryRate.map { respirationPoints($0.rounded()) }
        sub["spo2"] = vitals.spo2.map { spo2Points($0.rounded(), scale: scale, onOxygen: vitals.onOxygen == true) }
        sub["air_or_oxygen"] = vitals.onOxygen.map { $0 ? 2 : 0 }
        sub["systolic_bp"] = vitals.systolicBP.map { systolicPoints($0.rounded()) }
        sub["pulse"] = vitals.heartRate.map { pulsePoints($0.rounded()) }
        sub["consciousness"] = isAlert(vitals).map { $0 ? 0 : 3 }
        sub["temperature"] = vitals.temperatureC.map { temperaturePoints(($0 * 10).rounded() / 10) }
        guard !sub.isEmpty else { return nil }
        let total = sub.values.reduce(0, +)
        let risk = if total >= 7 { "high" } else if total >= 5 { "medium" }
            else if sub.values.contains(3) { "low-medium" } else { "low" }
        return NEWS2Score(subScores: sub, total: total, spo2Scale: scale, isComplete: sub.count == 7, risk: risk)
    }

    /// ACVPU "A" is alert; without ACVPU, GCS 15 counts as alert. Nil when neither was recorded.
    static func isAlert(_ vitals: Vitals) -> Bool? {
        if let level = vitals.consciousness { return level == .alert }
        return vitals.gcs.map { $0 == 15 }
    }

    static func respirationPoints(_ rate: Double) -> Int {
        switch rate {
        case ...8: 3
        case ...11: 1
        case ...20: 0
        case ...24: 2
        default: 3
        }
    }

    /// Scale 1 for most patients; scale 2 for a prescribed 88–92 % target (hypercapnic respiratory failure),
    /// where saturations of 93 % and above score only when on oxygen.
    static func spo2Points(_ saturation: Double, scale: Int, onOxygen: Bool) -> Int {
        if scale == 1 {
            switch saturation {
            case ...91: return 3
            case ...93: return 2
            case ...95: return 1
            default: return 0
            }
        }
        switch saturation {
        case ...83: return 3
        case ...85: return 2
        case ...87: return 1
        case ...92: return 0
        default:
            guard onOxygen else { return 0 }
            switch saturation {
            case ...94: return 1
            case ...96: return 2
            default: return 3
            }
        }
    }

    static func systolicPoints(_ pressure: Double) -> Int {
        switch pressure {
        case ...90: 3
        case ...100: 2
        case ...110: 1
        case ...219: 0
        default: 3
        }
    }

    static func pulsePoints(_ rate: Double) -> Int {
        switch rate {
        case ...40: 3
        case ...50: 1
        case ...90: 0
        case ...110: 1
        case ...130: 2
        default: 3
        }
    }

    static func temperaturePoints(_ celsius: Double) -> Int {
        switch celsius {
        case ...35.0: 3
        case ...36.0: 1
        case ...38.0: 0
        case ...39.0: 1
        default: 2
        }
    }
}

/// qSOFA (Seymour et al., JAMA 2016; Sepsis-3): one point each for RR ≥ 22/min, altered mentation, SBP ≤ 100 mmHg.
enum QSOFACalculator {
    static func score(_ vitals: Vitals) -> QSOFAScore? {
        let respiratory = vitals.respiratoryRate.map { $0 >= 22 }
        let mentation = NEWS2Calculator.isAlert(vitals).map { !$0 }.map { $0 || (vitals.gcs ?? 15) < 15 }
        let systolic = vitals.systolicBP.map { $0 <= 100 }
        let criteria = [respiratory, mentation, systolic]
        guard criteria.contains(where: { $0 != nil }) else { return nil }
        let total = criteria.filter { $0 == true }.count
        return QSOFAScore(respiratoryRate: respiratory, alteredMentation: mentation, systolicBP: systolic,
                          total: total, isPositive: total >= 2)
    }
}

/// Shock index = HR / SBP (Allgöwer & Burri 1967). Adults: > 0.9 is elevated. Children 4–16 y use the
/// age-adjusted limits of SIPA (Acker et al., J Pediatr Surg 2015): > 1.22 at 4–6 y, > 1.0 at 7–12 y,
/// > 0.9 at 13–16 y. Not computed under 4 y, where no validated limit exists.
enum ShockIndexCalculator {
    static func score(_ vitals: Vitals, age: PatientAge) -> ShockIndexScore? {
        guard let heartRate = vitals.heartRate, let systolic = vitals.systolicBP, systolic > 0,
              let limit = elevatedAbove(age) else { return nil }
        let value = ((heartRate / systolic) * 100).rounded() / 100
        return ShockIndexScore(value: value, isElevated: value > limit)
    }

    static func elevatedAbove(_ age: PatientAge) -> Double? {
        switch age.years {
        case ..<4: nil
        case ...6: 1.22
        case ...12: 1.0
        default: 0.9
        }
    }
}
