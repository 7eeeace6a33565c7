import Foundation

public enum Sex: String, Codable, Sendable, CaseIterable {
    case female = "F"
    case male = "M"
    /// Other or not recorded.
    case unknown = "X"
}

public enum ArrivalMode: String, Codable, Sendable, CaseIterable {
    case walkIn = "walk-in"
    case ambulance
    case police
    case helicopter
    case transfer
}

/// What the triage desk knows about a patient at arrival: the clinical content that is scored.
///
/// The JSON field names are the wire format of `POST /v1/arrivals`, `edtriage ingest` and the
/// `arrivals.payload` column, and match `shared/clinical/vignettes.jsonl`.
public struct ClinicalPresentation: Codable, Sendable, Hashable {
    public var age: PatientAge
    public var sex: Sex
    public var arrivalMode: ArrivalMode
    public var chiefComplaint: String
    /// Free-text triage note. Patient text: never logged.
    public var note: String
    public var vitals: Vitals

    public init(age: PatientAge, sex: Sex, arrivalMode: ArrivalMode, chiefComplaint: String,
                note: String = "", vitals: Vitals = Vitals()) {
        self.age = age
        self.sex = sex
        self.arrivalMode = arrivalMode
        self.chiefComplaint = chiefComplaint
        self.note = note
        self.vitals = vitals
    }

    private enum CodingKeys: String, CodingKey {
        case age, sex, note, vitals
        case arrivalMode = "arrival_mode"
        case chiefComplaint = "chief_complaint"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        age = try c.decode(PatientAge.self, forKey: .age)
        sex = try c.decode(Sex.self, forKey: .sex)
        arrivalMode = try c.decode(ArrivalMode.self, forKey: .arrivalMode)
        chiefComplaint = try c.decode(String.self, forKey: .chiefComplaint)
        note = try c.decodeIfPresent(String.self, forKey: .note) ?? ""
        vitals = try c.decodeIfPresent(Vitals.self, forKey: .vitals) ?? Vitals()
    }
}

/// An image sent with an arrival (e.g. a wound photo), base64 in JSON.
public struct ImageSubmission: Codable, Sendable, Hashable {
    public var contentType: String
    public var data: Data

    public init(contentType: String, data: Data) {
        self.contentType = contentType
        self.data = data
    }

    /// Hex SHA-256 of the bytes as received: how assessments and the image cache name the image.
    public var sha256: String { CanonicalJSON.sha256Hex(data) }

    private enum CodingKeys: String, CodingKey {
        case contentType = "content_type"
        case data = "data_base64"
    }
}

/// One arrival as a producer submits it: who sent it, the patient reference, and the presentation.
///
/// `(source, externalID)` identifies the arrival across re-deliveries: submitting it twice is one patient.
public struct ArrivalSubmission: Codable, Sendable, Hashable {
    /// The registration system that sent the arrival, e.g. `"epic-adt"`.
    public var source: String
    /// The arrival's id in that system.
    public var externalID: String
    /// Opaque patient reference (MRN or similar). Patient identifier: never logged.
    public var patientRef: String
    /// When the patient arrived; the database's clock when absent.
    public var receivedAt: Date?
    /// The ED the patient arrived at, one of the service's departments; may be left out while there is only one.
    public var department: String?
    public var presentation: ClinicalPresentation

    /// The department the arrival is stored in: its own, or the default one when it names none (validation places
    /// every arrival the service takes; this covers callers that write without it, as tests do).
    public var storedDepartment: String { department ?? Department.defaultCode }
    public var images: [ImageSubmission]

    public init(source: String, externalID: String, patientRef: String, receivedAt: Date? = nil,
                department: String? = nil, presentation: ClinicalPresentation, images: [ImageSubmission] = []) {
        self.source = source
        self.externalID = externalID
        self.patientRef = patientRef
        self.receivedAt = receivedAt
        self.department = department
        self.presentation = presentation
        self.images = images
    }

    private enum CodingKeys: String, CodingKey {
        case source, images, department
        case externalID = "external_id"
        case patientRef = "patient_ref"
        case receivedAt = "received_at"
    }

    /// The presentation's fields sit at the top level of the JSON object, beside source and ids.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        source = try c.decode(String.self, forKey: .source)
        externalID = try c.decode(String.self, forKey: .externalID)
        patientRef = try c.decode(String.self, forKey: .patientRef)
        receivedAt = try c.decodeIfPresent(Date.self, forKey: .receivedAt)
        department = try c.decodeIfPresent(String.self, forKey: .department)
        images = try c.decodeIfPresent([ImageSubmission].self, forKey: .images) ?? []
        presentation = try ClinicalPresentation(from: decoder)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(source, forKey: .source)
        try c.encode(externalID, forKey: .externalID)
        try c.encode(patientRef, forKey: .patientRef)
        try c.encodeIfPresent(receivedAt, forKey: .receivedAt)
        try c.encodeIfPresent(department, forKey: .department)
        if !images.isEmpty { try c.encode(images, forKey: .images) }
        try presentation.encode(to: encoder)
    }
}
