import Foundation

/// Rejects arrivals that cannot be right (impossible vitals, missing or oversized text, bad images)
/// and flags values that are possible but extreme.
///
/// Runs before anything is stored, so a rejected arrival leaves nothing half-written.
public struct ArrivalValidator: Sendable {
    public let limits: ArrivalLimits

    /// Oldest accepted age; larger values are typing errors.
    static let maxAgeYears = 130

    public init(limits: ArrivalLimits = .init()) {
        self.limits = limits
    }

    /// Validates the whole submission; returns flags for plausible-but-extreme values. A submission without a
    /// department is placed in the only one; with several, it must name one.
    public func validate(_ submission: inout ArrivalSubmission) throws(ArrivalValidationError) -> [Finding] {
        submission.department = try department(of: submission)
        try checkLength(submission.source, field: "source", allowed: 1...128)
        try checkLength(submission.externalID, field: "external_id", allowed: 1...128)
        try checkLength(submission.patientRef, field: "patient_ref", allowed: 1...128)
        try checkImages(submission.images)
        return try validate(submission.presentation)
    }

    /// Validates the clinical content; returns flags for plausible-but-extreme values.
    public func validate(_ presentation: ClinicalPresentation) throws(ArrivalValidationError) -> [Finding] {
        try checkAge(presentation.age)
        try checkLength(presentation.chiefComplaint, field: "chief_complaint", allowed: 1...200)
        try checkLength(presentation.note, field: "note", allowed: 0...8000)
        try checkVitals(presentation.vitals)
        return Self.extremeValueFlags(presentation.vitals)
    }

    /// The submission's department, or the only one when it names none.
    private func department(of submission: ArrivalSubmission) throws(ArrivalValidationError) -> String {
        let choices = limits.departments.joined(separator: ", ")
        guard let department = submission.department else {
            guard limits.departments.count == 1 else {
                throw ArrivalValidationError(field: "department", message: "department is required: one of \(choices)")
            }
            return limits.departments[0]
        }
        guard limits.departments.contains(department) else {
            throw ArrivalValidationError(field: "department", message: "department must be one of \(choices)")
        }
        return department
    }

    /// Flags for values that are possible but extreme (e.g. HR > 220/min): the nurse should re-measure.
    public static func extremeValueFlags(_ vitals: Vitals) -> [Finding] {
        VitalRanges.extremes.compactMap { $0.flag(vitals) }
    }

    private func checkAge(_ age: PatientAge) throws(ArrivalValidationError) {
        let (field, upper): (String, Int) = switch age {
        case .years: ("age.years", Self.maxAgeYears)
        case .months: ("age.months", Self.maxAgeYears * 12)
        case .days: ("age.days", Self.maxAgeYears * 366)
        }
        let value = switch age { case .years(let n), .months(let n), .days(let n): n }
        guard (0...upper).contains(value) else {
            throw ArrivalValidationError(field: field, message: "\(field) must be between 0 and \(upper)")
        }
    }

    /// Whitespace-only text counts as empty; length and NUL as PostgreSQL sees them (`StoredText`).
    private func checkLength(_ text: String, field: String, allowed: ClosedRange<Int>) throws(ArrivalValidationError) {
        guard !StoredText.containsNUL(text) else {
            throw ArrivalValidationError(field: field, message: "\(field) must not contain NUL characters")
        }
        let isBlank = text.allSatisfy(\.isWhitespace)
        guard allowed.contains(StoredText.length(text)), !(allowed.lowerBound > 0 && isBlank) else {
            let message = allowed.lowerBound > 0
                ? "\(field) must be 1 to \(allowed.upperBound) characters and not blank"
                : "\(field) must be at most \(allowed.upperBound) characters"
            throw ArrivalValidationError(field: field, message: message)
        }
    }

    private func checkVitals(_ vitals: Vitals) throws(ArrivalValidationError) {
        try VitalRanges.heartRate.check(vitals.heartRate)
        try VitalRanges.respiratoryRate.check(vitals.respiratoryRate)
        try VitalRanges.systolicBP.check(vitals.systolicBP)
        try VitalRanges.diastolicBP.check(vitals.diastolicBP)
        if let systolic = vitals.systolicBP, let diastolic = vitals.diastolicBP, systolic < diastolic {
            throw ArrivalValidationError(field: "vitals.sbp", message: "vitals.sbp must not be below vitals.dbp")
        }
        try VitalRanges.spo2.check(vitals.spo2)
        try VitalRanges.temperature.check(vitals.temperatureC)
        try VitalRanges.pain.check(vitals.pain.map(Double.init))
        try VitalRanges.gcs.check(vitals.gcs.map(Double.init))
    }

    private func checkImages(_ images: [ImageSubmission]) throws(ArrivalValidationError) {
        guard images.count <= limits.maxImages else {
            throw ArrivalValidationError(field: "images", message: "images must hold at most \(limits.maxImages) images")
        }
        for (index, image) in images.enumerated() {
            guard limits.allowedImageContentTypes.contains(image.contentType) else {
                let allowed = limits.allowedImageContentTypes.sorted().joined(separator: ", ")
                throw ArrivalValidationError(field: "images[\(index)].content_type",
                                             message: "images[\(index)].content_type must be one of \(allowed)")
            }
            guard !image.data.isEmpty, image.data.count <= limits.maxImageBytes else {
                throw ArrivalValidationError(field: "images[\(index)].data_base64",
                                             message: "images[\(index)].data_base64 must be 1 to \(limits.maxImageBytes) bytes")
            }
        }
    }
}
