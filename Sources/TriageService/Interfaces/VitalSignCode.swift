import TriageCore

/// The vital signs triage reads from hospital interfaces, by LOINC code (the FHIR vital-signs profile's codes,
/// also what HL7 v2 OBX-3 carries), with the UCUM units accepted for each. HL7 v2 and FHIR intake share it.
enum VitalSignCode {
    case heartRate, respiratoryRate, systolic, diastolic, saturation, temperature, pain, gcs

    static let byLOINC: [String: VitalSignCode] = [
        "8867-4": .heartRate, "9279-1": .respiratoryRate, "8480-6": .systolic, "8462-4": .diastolic,
        "59408-5": .saturation, "2708-6": .saturation, "8310-5": .temperature, "72514-3": .pain,
        "9269-2": .gcs,
    ]

    /// LOINC 8661-1 "Chief complaint - Reported" and 54094-8 "Emergency department triage note".
    static let chiefComplaintLOINC = "8661-1"
    static let triageNoteLOINC = "54094-8"

    /// The value in the unit `Vitals` keeps, or nil when `unit` (UCUM) is not one this measure comes in.
    func convert(_ value: Double, unit: String?) -> Double? {
        switch (self, unit ?? "") {
        case (.heartRate, "/min"), (.heartRate, "{beats}/min"), (.respiratoryRate, "/min"),
             (.respiratoryRate, "{breaths}/min"), (.systolic, "mm[Hg]"), (.diastolic, "mm[Hg]"),
             (.saturation, "%"), (.temperature, "Cel"), (.pain, "{score}"), (.pain, ""), (.gcs, "{score}"),
             (.gcs, ""):
            return value
        case (.temperature, "[degF]"):
            return (value - 32) * 5 / 9
        default:
            return nil
        }
    }

    /// Sets this measure of `vitals` to `value` (already in `Vitals`' unit).
    func set(_ value: Double, in vitals: inout Vitals) {
        switch self {
        case .heartRate: vitals.heartRate = value
        case .respiratoryRate: vitals.respiratoryRate = value
        case .systolic: vitals.systolicBP = value
        case .diastolic: vitals.diastolicBP = value
        case .saturation: vitals.spo2 = value
        case .temperature: vitals.temperatureC = (value * 10).rounded() / 10
        case .pain: vitals.pain = Int(value.rounded())
        case .gcs: vitals.gcs = Int(value.rounded())
        }
    }

    /// The arrival JSON field this measure fills (`ArrivalValidationError.field`), to name the source of a refusal.
    var field: String {
        switch self {
        case .heartRate: "vitals.hr"
        case .respiratoryRate: "vitals.rr"
        case .systolic: "vitals.sbp"
        case .diastolic: "vitals.dbp"
        case .saturation: "vitals.spo2"
        case .temperature: "vitals.temp_c"
        case .pain: "vitals.pain"
        case .gcs: "vitals.gcs"
        }
    }
}
