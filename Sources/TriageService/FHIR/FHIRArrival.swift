import Foundation
import TriageCore

/// A FHIR R4 transaction Bundle from a registration system, read as one arrival: the Patient (identifier, gender,
/// birth date), the Encounter (class EMER, its identifier, period, admit source), Observations of the
/// vital-signs profile, the chief complaint (8661-1) and triage note (54094-8), a DocumentReference holding the
/// note as text, and Media or Binary images. The Encounter's identifier keys the arrival (conditional create),
/// so a re-sent bundle is the same arrival. Anything triage cannot read exactly is refused naming the element
/// (`Bundle.entry[3].resource.valueQuantity.code`), before anything is written.
struct FHIRArrival {
    let submission: ArrivalSubmission
    /// Where each arrival field came from, as a FHIRPath into the bundle, for naming a validation failure.
    let origins: [String: String]
    /// The resource type of each entry, in order, for the transaction response.
    let entryTypes: [String]

    /// Senders are named by the Encounter identifier's system: `fhir:<system>`.
    static let sourcePrefix = "fhir:"

    init(_ bundle: FHIRIncoming.Bundle, receivedAt now: Date = Date()) throws(Problem) {
        guard bundle.resourceType == "Bundle" else { throw Self.invalid("a transaction Bundle is expected", at: "resourceType") }
        guard bundle.type == "transaction" else { throw Self.invalid("the Bundle's type must be transaction", at: "Bundle.type") }
        var reader = EntryReader()
        for (index, entry) in (bundle.entry ?? []).enumerated() {
            try reader.read(entry.resource, at: "Bundle.entry[\(index)].resource")
        }
        submission = try reader.submission(receivedAt: now)
        origins = reader.origins
        entryTypes = (bundle.entry ?? []).map(\.resource.resourceType)
    }

    static func invalid(_ message: String, at expression: String) -> Problem {
        Problem(.validation, message, field: expression)
    }
}

/// Collects what the entries say, remembering where each part came from.
private struct EntryReader {
    var patientRef: String?
    var birthDate: Date?
    var sex = Sex.unknown
    var visit: (system: String, value: String)?
    /// The Encounter's `serviceProvider.identifier.value`: the ED's department code.
    var department: String?
    var arrivalMode = ArrivalMode.walkIn
    var receivedAt: Date?
    var vitals = Vitals()
    var chiefComplaint: String?
    var notes: [String] = []
    var images: [ImageSubmission] = []
    var origins: [String: String] = [:]

    mutating func read(_ resource: FHIRIncoming.Resource, at path: String) throws(Problem) {
        switch resource.resourceType {
        case "Patient": try readPatient(resource, at: path)
        case "Encounter": try readEncounter(resource, at: path)
        case "Observation": try readObservation(resource, at: path)
        case "DocumentReference": try readDocument(resource, at: path)
        case "Media": try readImage(resource.content, at: path + ".content")
        case "Binary": try readImage(FHIRIncoming.Attachment(contentType: resource.contentType, data: resource.data), at: path)
        default:
            throw FHIRArrival.invalid("\(resource.resourceType) is not read here; send Patient, Encounter, Observation, "
                                      + "DocumentReference, Media or Binary", at: path + ".resourceType")
        }
    }

    private mutating func readPatient(_ patient: FHIRIncoming.Resource, at path: String) throws(Problem) {
        guard patientRef == nil else { throw FHIRArrival.invalid("one Patient per bundle", at: path) }
        guard let value = patient.identifier?.first?.value, !value.isEmpty else {
            throw FHIRArrival.invalid("the Patient needs an identifier (the patient reference)", at: path + ".identifier")
        }
        patientRef = value
        origins["patient_ref"] = path + ".identifier[0].value"
        guard let text = patient.birthDate, let born = FHIRDate.date(from: text) else {
            throw FHIRArrival.invalid("the Patient needs a birthDate (YYYY, YYYY-MM or YYYY-MM-DD)", at: path + ".birthDate")
        }
        birthDate = born
        origins["age"] = path + ".birthDate"
        // AdministrativeGender: female, male; other and unknown are kept as not recorded.
        sex = switch patient.gender { case "female": .female; case "male": .male; default: .unknown }
    }

    private mutating func readEncounter(_ encounter: FHIRIncoming.Resource, at path: String) throws(Problem) {
        guard visit == nil else { throw FHIRArrival.invalid("one Encounter per bundle", at: path) }
        guard encounter.class?.code == "EMER" else {
            throw FHIRArrival.invalid("the Encounter's class must be EMER (v3 ActCode): an emergency visit", at: path + ".class")
        }
        guard let identifier = encounter.identifier?.first, let system = identifier.system, !system.isEmpty,
              let value = identifier.value, !value.isEmpty
        else {
            throw FHIRArrival.invalid("the Encounter needs an identifier with system and value: it keys a re-sent bundle "
                                      + "to the same arrival", at: path + ".identifier")
        }
        visit = (system, value)
        if let provider = encounter.serviceProvider?.identifier?.value {
            department = provider
            origins["department"] = path + ".serviceProvider.identifier.value"
        }
        if let start = encounter.period?.start {
            guard let date = RFC3339.date(from: start) else {
                throw FHIRArrival.invalid("period.start is not a FHIR dateTime with a time zone", at: path + ".period.start")
            }
            receivedAt = date
        }
        // admit-source: transferred from another hospital; ambulance and helicopter arrivals have no code there.
        if encounter.hospitalization?.admitSource?.coding?.contains(where: { $0.code == "hosp-trans" }) == true {
            arrivalMode = .transfer
        }
    }

    private mutating func readObservation(_ observation: FHIRIncoming.Resource, at path: String) throws(Problem) {
        // Observations withdrawn by their sender are not read.
        if ["entered-in-error", "cancelled"].contains(observation.status ?? "") { return }
        let codes = Self.loincCodes(observation.code)
        if codes.contains(VitalSignCode.chiefComplaintLOINC) {
            chiefComplaint = try text(of: observation, at: path)
            origins["chief_complaint"] = path
        } else if codes.contains(VitalSignCode.triageNoteLOINC) {
            notes.append(try text(of: observation, at: path))
        } else if codes.contains("85354-9") {
            // Blood pressure panel: systolic and diastolic as components.
            for (index, component) in (observation.component ?? []).enumerated() {
                try measure(Self.loincCodes(component.code), component.valueQuantity, at: path + ".component[\(index)]")
            }
        } else {
            try measure(codes, observation.valueQuantity, at: path)
        }
    }

    /// The LOINC codes among a concept's codings.
    private static func loincCodes(_ concept: FHIRCodeableConcept?) -> [String] {
        (concept?.coding ?? []).filter { $0.system == FHIRTriage.loinc }.compactMap(\.code)
    }

    private mutating func measure(_ codes: [String], _ quantity: FHIRIncoming.Quantity?, at path: String) throws(Problem) {
        guard let code = codes.first(where: { VitalSignCode.byLOINC[$0] != nil }), let sign = VitalSignCode.byLOINC[code] else {
            throw FHIRArrival.invalid("no LOINC code triage reads (vital signs, 8661-1, 54094-8, 85354-9)", at: path + ".code")
        }
        guard let quantity, let number = quantity.value, number.isFinite else {
            throw FHIRArrival.invalid("LOINC \(code) needs a valueQuantity with a value", at: path + ".valueQuantity")
        }
        // The UCUM code when the quantity names UCUM, else its unit text.
        let unit = quantity.system == "http://unitsofmeasure.org" ? quantity.code : quantity.unit ?? quantity.code
        guard let value = sign.convert(number, unit: unit) else {
            throw FHIRArrival.invalid("the unit of LOINC \(code) is not one accepted for it (UCUM)",
                                      at: path + ".valueQuantity.code")
        }
        sign.set(value, in: &vitals)
        origins[sign.field] = path + ".valueQuantity"
    }

    private func text(of observation: FHIRIncoming.Resource, at path: String) throws(Problem) -> String {
        guard let text = observation.valueString ?? observation.valueCodeableConcept?.text
            ?? observation.valueCodeableConcept?.coding?.first?.display, !text.isEmpty
        else { throw FHIRArrival.invalid("a valueString (or a valueCodeableConcept's text) is expected", at: path) }
        return text
    }

    private mutating func readDocument(_ document: FHIRIncoming.Resource, at path: String) throws(Problem) {
        for (index, content) in (document.contents ?? []).enumerated() {
            let attachmentPath = path + ".content[\(index)].attachment"
            guard content.attachment.contentType?.hasPrefix("text/plain") == true, let data = content.attachment.data,
                  let bytes = Data(base64Encoded: data), let text = String(data: bytes, encoding: .utf8)
            else { throw FHIRArrival.invalid("a triage note is text/plain base64 data", at: attachmentPath) }
            notes.append(text)
        }
    }

    private mutating func readImage(_ attachment: FHIRIncoming.Attachment?, at path: String) throws(Problem) {
        guard let attachment, let contentType = attachment.contentType, let data = attachment.data,
              let bytes = Data(base64Encoded: data)
        else { throw FHIRArrival.invalid("an image needs contentType and base64 data", at: path) }
        origins["images[\(images.count)].content_type"] = path + ".contentType"
        origins["images[\(images.count)].data"] = path + ".data"
        images.append(ImageSubmission(contentType: contentType, data: bytes))
    }

    func submission(receivedAt now: Date) throws(Problem) -> ArrivalSubmission {
        guard let patientRef, let birthDate else { throw FHIRArrival.invalid("the bundle has no Patient", at: "Bundle.entry") }
        guard let visit else { throw FHIRArrival.invalid("the bundle has no Encounter", at: "Bundle.entry") }
        guard let chiefComplaint else {
            throw FHIRArrival.invalid("no chief complaint: an Observation with LOINC 8661-1", at: "Bundle.entry")
        }
        guard let age = PatientAge(born: birthDate, at: receivedAt ?? now) else {
            throw FHIRArrival.invalid("the birth date is after the arrival", at: origins["age"] ?? "Bundle.entry")
        }
        let presentation = ClinicalPresentation(age: age, sex: sex, arrivalMode: arrivalMode, chiefComplaint: chiefComplaint,
                                                note: notes.joined(separator: "\n"), vitals: vitals)
        return ArrivalSubmission(source: FHIRArrival.sourcePrefix + visit.system, externalID: visit.value,
                                 patientRef: patientRef, receivedAt: receivedAt, department: department,
                                 presentation: presentation, images: images)
    }
}

/// FHIR `date` (YYYY, YYYY-MM, YYYY-MM-DD) as the first instant of that period, UTC.
enum FHIRDate {
    static func date(from text: String) -> Date? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard (1...3).contains(parts.count), parts[0].count == 4, parts.dropFirst().allSatisfy({ $0.count == 2 }) else {
            return nil
        }
        let padded = parts.map(String.init) + Array(repeating: "01", count: 3 - parts.count)
        return RFC3339.date(from: padded.joined(separator: "-") + "T00:00:00Z")
    }
}

/// What is read of the incoming JSON; everything else in the resources is ignored.
enum FHIRIncoming {
    struct Bundle: Decodable {
        struct Entry: Decodable {
            var resource: Resource
        }
        var resourceType: String
        var type: String?
        var entry: [Entry]?
    }

    struct Quantity: Decodable {
        var value: Double?
        var unit: String?
        var system: String?
        var code: String?
    }

    struct Attachment: Decodable {
        var contentType: String?
        var data: String?
    }

    /// The union of the members read from any accepted resource type (each type uses its own).
    struct Resource: Decodable {
        struct Component: Decodable {
            var code: FHIRCodeableConcept?
            var valueQuantity: Quantity?
        }
        struct Hospitalization: Decodable {
            var admitSource: FHIRCodeableConcept?
        }
        struct DocumentContent: Decodable {
            var attachment: Attachment
        }

        var resourceType: String
        var identifier: [FHIRIdentifier]?
        var gender: String?
        var birthDate: String?
        var `class`: FHIRCoding?
        var period: FHIRPeriod?
        var hospitalization: Hospitalization?
        var serviceProvider: FHIRReference?
        var status: String?
        var code: FHIRCodeableConcept?
        var valueQuantity: Quantity?
        var valueString: String?
        var valueCodeableConcept: FHIRCodeableConcept?
        var component: [Component]?
        /// Media's attachment.
        var content: Attachment?
        /// DocumentReference's attachments (also `content` in FHIR, but an array there).
        var contents: [DocumentContent]?
        /// Binary's.
        var contentType: String?
        var data: String?

        private enum CodingKeys: String, CodingKey {
            case resourceType, identifier, gender, birthDate, `class`, period, hospitalization, serviceProvider, status, code
            case valueQuantity
            case valueString, valueCodeableConcept, component, content, contentType, data
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            resourceType = try container.decode(String.self, forKey: .resourceType)
            identifier = try container.decodeIfPresent([FHIRIdentifier].self, forKey: .identifier)
            gender = try container.decodeIfPresent(String.self, forKey: .gender)
            birthDate = try container.decodeIfPresent(String.self, forKey: .birthDate)
            `class` = try container.decodeIfPresent(FHIRCoding.self, forKey: .class)
            period = try container.decodeIfPresent(FHIRPeriod.self, forKey: .period)
            hospitalization = try container.decodeIfPresent(Hospitalization.self, forKey: .hospitalization)
            serviceProvider = try container.decodeIfPresent(FHIRReference.self, forKey: .serviceProvider)
            status = try container.decodeIfPresent(String.self, forKey: .status)
            code = try container.decodeIfPresent(FHIRCodeableConcept.self, forKey: .code)
            valueQuantity = try container.decodeIfPresent(Quantity.self, forKey: .valueQuantity)
            valueString = try container.decodeIfPresent(String.self, forKey: .valueString)
            valueCodeableConcept = try container.decodeIfPresent(FHIRCodeableConcept.self, forKey: .valueCodeableConcept)
            component = try container.decodeIfPresent([Component].self, forKey: .component)
            contentType = try container.decodeIfPresent(String.self, forKey: .contentType)
            data = try container.decodeIfPresent(String.self, forKey: .data)
            // `content` is one Attachment in Media, a list of {attachment} in DocumentReference.
            if resourceType == "DocumentReference" {
                contents = try container.decodeIfPresent([DocumentContent].self, forKey: .content)
            } else if resourceType == "Media" {
                content = try container.decodeIfPresent(Attachment.self, forKey: .content)
            }
        }
    }
}
