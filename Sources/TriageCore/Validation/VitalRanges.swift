/// A closed range a measurement must lie in, named by its JSON path and unit for error messages.
struct MeasurementRange: Sendable {
    let field: String
    let range: ClosedRange<Double>
    let unit: String

    func check(_ value: Double?) throws(ArrivalValidationError) {
        guard let value else { return }
        guard value.isFinite, range.contains(value) else {
            throw ArrivalValidationError(
                field: field,
                message: "\(field) must be between \(Self.format(range.lowerBound)) and "
                    + "\(Self.format(range.upperBound))\(unit.isEmpty ? "" : " " + unit)")
        }
    }

    static func format(_ value: Double) -> String { JSONValue.canonicalNumber(value) }
}

/// A value that is physiologically possible but extreme enough that a measuring or typing error
/// is likely: kept, and flagged for the nurse to re-check.
struct ExtremeValueCheck: Sendable {
    let rule: String
    let label: String
    let unit: String
    let below: Double?
    let above: Double?
    let value: @Sendable (Vitals) -> Double?

    func flag(_ vitals: Vitals) -> Finding? {
        guard let observed = value(vitals) else { return nil }
        let threshold: String
        if let below, observed < below {
            threshold = "< \(MeasurementRange.format(below))"
        } else if let above, observed > above {
            threshold = "> \(MeasurementRange.format(above))"
        } else {
            return nil
        }
        let shown = "\(MeasurementRange.format(observed))\(unit)"
        return Finding(rule: rule, summary: "\(label) \(shown) \(threshold)\(unit): extreme value, re-check the measurement",
                       observed: shown, threshold: threshold + unit, source: "EDTriage plausibility limits")
    }
}

/// The clinical ranges used by `ArrivalValidator`: impossible values outside them are rejected.
enum VitalRanges {
    static let heartRate = MeasurementRange(field: "vitals.hr", range: 0...350, unit: "/min")
    static let respiratoryRate = MeasurementRange(field: "vitals.rr", range: 0...100, unit: "/min")
    static let systolicBP = MeasurementRange(field: "vitals.sbp", range: 0...300, unit: "mmHg")
    static let diastolicBP = MeasurementRange(field: "vitals.dbp", range: 0...200, unit: "mmHg")
    static let spo2 = MeasurementRange(field: "vitals.spo2", range: 0...100, unit: "%")
    static let temperature = MeasurementRange(field: "vitals.temp_c", range: 25...45, unit: "°C")
    static let pain = MeasurementRange(field: "vitals.pain", range: 0...10, unit: "")
    static let gcs = MeasurementRange(field: "vitals.gcs", range: 3...15, unit: "")

    /// Values that are possible but rare enough to double-check.
    static let extremes: [ExtremeValueCheck] = [
        ExtremeValueCheck(rule: "validation.extreme.hr", label: "HR", unit: "/min", below: 30, above: 220) { $0.heartRate },
        ExtremeValueCheck(rule: "validation.extreme.rr", label: "RR", unit: "/min", below: nil, above: 60) { $0.respiratoryRate },
        ExtremeValueCheck(rule: "validation.extreme.sbp", label: "SBP", unit: " mmHg", below: 60, above: 250) { $0.systolicBP },
        ExtremeValueCheck(rule: "validation.extreme.spo2", label: "SpO2", unit: "%", below: 70, above: nil) { $0.spo2 },
        ExtremeValueCheck(rule: "validation.extreme.temp", label: "Temp", unit: " °C", below: 32, above: 41) { $0.temperatureC },
    ]
}
