import Foundation
import HL7v2
import TriageCore

/// What one HL7 v2 message asks of the service.
enum HL7Request: Sendable, Equatable {
    /// `ADT^A04` / `ADT^A01` for an emergency visit (`PV1-2 = E`): a new arrival.
    case arrival(ArrivalSubmission)
    /// `ADT^A08` or `ORU^R01` with vital signs for a visit: a re-triage of the patient on the board.
    case vitals(VisitKey, Vitals)
    /// `ADT^A03`: the visit ended; the patient leaves the board.
    case discharge(VisitKey)
    /// A message the service has no use for (another event, another patient class); acknowledged `AA`.
    case ignored(String)
}

/// A visit as the registration system names it: the arrival's `(source, external_id)`.
struct VisitKey: Sendable, Hashable {
    var source: String
    var externalID: String
}

/// Why a message cannot be applied, and where: answered `AE` with the location in `ERR-2`.
struct HL7MappingError: Error, Equatable {
    var reason: String
    var location: ER7Location

    init(reason: String, segment: String, occurrence: Int, field: Int) {
        self.reason = reason
        self.location = ER7Location(segment, occurrence, field)
    }
}

/// Reads arrivals, vitals and discharges out of HL7 v2 messages (v2.3–v2.8), the way an ED registration
/// system and its monitors send them. The mapping tables are in the README (Hospital interfaces).
enum HL7Translation {
    /// `departments` are the service's: an arrival's assigned location names one of them or none.
    static func request(from message: ER7Message, departments: [String] = [Department.defaultCode])
        throws(HL7MappingError) -> HL7Request
    {
        guard let header = message.segment("MSH") else {
            throw HL7MappingError(reason: "no MSH segment", segment: "MSH", occurrence: 1, field: 0)
        }
        let type = message.messageType ?? "", event = message.triggerEvent ?? ""
        switch (type, event) {
        case ("ADT", "A04"), ("ADT", "A01"):
            let visit = try self.visit(message)
            guard let patientClass = message.segment("PV1")?.value(2), patientClass == "E" else {
                return .ignored("not an emergency visit (PV1-2 is not E)")
            }
            return .arrival(try arrival(message, header: header, visit: visit, departments: departments))
        case ("ADT", "A08"), ("ORU", "R01"):
            let observations = try Observations(message)
            guard observations.vitals != Vitals() else { return .ignored("no vital signs") }
            return .vitals(try visit(message), observations.vitals)
        case ("ADT", "A03"):
            return .discharge(try visit(message))
        default:
            return .ignored("\(type)^\(event) is not used")
        }
    }

    /// The visit: the sending application and facility (MSH-3, MSH-4) and the visit number (PV1-19), which
    /// every message that touches a patient on the board must carry.
    static func visit(_ message: ER7Message) throws(HL7MappingError) -> VisitKey {
        guard let number = message.segment("PV1")?.value(19) else {
            throw HL7MappingError(reason: "the visit number (PV1-19) is missing", segment: "PV1", occurrence: 1, field: 19)
        }
        let header = message.segment("MSH")
        let sender = [header?.value(3), header?.value(4)].compactMap { $0 }.joined(separator: "@")
        return VisitKey(source: "hl7:" + (sender.isEmpty ? "unknown" : sender), externalID: number)
    }

    static func arrival(_ message: ER7Message, header: ER7Message.Segment, visit: VisitKey, departments: [String])
        throws(HL7MappingError) -> ArrivalSubmission
    {
        guard let pid = message.segment("PID") else {
            throw HL7MappingError(reason: "no PID segment", segment: "PID", occurrence: 1, field: 0)
        }
        guard let patientRef = pid.value(3) else {
            throw HL7MappingError(reason: "the patient identifier (PID-3) is missing", segment: "PID", occurrence: 1, field: 3)
        }
        let eventTime = message.segment("EVN")?.value(2).flatMap(HL7Time.date(from:))
            ?? header.value(7).flatMap(HL7Time.date(from:))
        let arrivedAt = message.segment("PV1")?.value(44).flatMap(HL7Time.date(from:)) ?? eventTime
        guard let birth = pid.value(7), let born = HL7Time.date(from: birth), let age = PatientAge(born: born, at: arrivedAt ?? Date())
        else {
            throw HL7MappingError(reason: "the birth date (PID-7) is missing, unreadable or after the arrival",
                                  segment: "PID", occurrence: 1, field: 7)
        }
        let observations = try Observations(message)
        let pv2 = message.segment("PV2")
        // PV2-3 admit reason (CWE): its text, else its code.
        guard let complaint = pv2?.value(3, component: 2) ?? pv2?.value(3) ?? observations.chiefComplaint else {
            throw HL7MappingError(reason: "the chief complaint (PV2-3 or OBX 8661-1) is missing",
                                  segment: "PV2", occurrence: 1, field: 3)
        }
        let notes = message.segments("NTE").compactMap { $0.value(3) } + observations.notes
        let presentation = ClinicalPresentation(
            age: age, sex: Self.sex(pid.value(8)), arrivalMode: Self.arrivalMode(message),
            chiefComplaint: complaint, note: notes.joined(separator: "\n"), vitals: observations.vitals)
        // The ED: PV1-3.4 (the assigned location's facility) or PV1-3.1 (its point of care), whichever names one of
        // the service's departments; with neither, validation places the arrival in the only one or refuses it.
        let location = message.segment("PV1")
        let department = [location?.value(3, component: 4), location?.value(3, component: 1)]
            .lazy.compactMap { Department.named($0, in: departments) }.first
        return ArrivalSubmission(source: visit.source, externalID: visit.externalID, patientRef: patientRef,
                                 receivedAt: arrivedAt, department: department, presentation: presentation)
    }

    /// PID-8, HL7 table 0001: F, M; anything else (O, U, A, N) as other or not recorded.
    static func sex(_ code: String?) -> Sex {
        switch code {
        case "F": .female
        case "M": .male
        default: .unknown
        }
    }

    /// PV2-38 mode of arrival (HL7 table 0430: A ambulance, H helicopter; C car, F on foot, P public transport
    /// are walk-ins) and PV1-14 admit source (table 0023: 4 and 6, transfers from another hospital or facility).
    static func arrivalMode(_ message: ER7Message) -> ArrivalMode {
        switch message.segment("PV2")?.value(38) {
        case "A": return .ambulance
        case "H": return .helicopter
        default: break
        }
        switch message.segment("PV1")?.value(14) {
        case "4", "6": return .transfer
        default: return .walkIn
        }
    }
}

/// The OBX segments that carry what triage reads, by LOINC code (OBX-3, coding system `LN`) with UCUM units
/// (OBX-6). Codes triage does not use are skipped; a used code with a unit it cannot convert is an error.
struct Observations {
    var vitals = Vitals()
    var chiefComplaint: String?
    var notes: [String] = []

    init(_ message: ER7Message) throws(HL7MappingError) {
        for (index, obx) in message.segments("OBX").enumerated() {
            let occurrence = index + 1
            // OBX-11 result status: D deleted, X could not be obtained, W wrong patient.
            if let status = obx.value(11), ["D", "X", "W"].contains(status) { continue }
            guard let code = obx.value(3), obx.value(3, component: 3) ?? "LN" == "LN" else { continue }
            if code == VitalSignCode.chiefComplaintLOINC {
                chiefComplaint = obx.value(5)
                continue
            }
            if code == VitalSignCode.triageNoteLOINC {
                if let text = obx.value(5) { notes.append(text) }
                continue
            }
            guard let measure = VitalSignCode.byLOINC[code] else { continue }
            guard let text = obx.value(5), let number = Double(text), number.isFinite else {
                throw HL7MappingError(reason: "OBX-5 of \(code) is not a number", segment: "OBX",
                                      occurrence: occurrence, field: 5)
            }
            guard let value = measure.convert(number, unit: obx.value(6)) else {
                throw HL7MappingError(reason: "OBX-6 unit of \(code) is not one accepted for it (UCUM)",
                                      segment: "OBX", occurrence: occurrence, field: 6)
            }
            measure.set(value, in: &vitals)
        }
    }
}

/// HL7 v2 DTM (`YYYY[MM[DD[HH[MM[SS[.S…]]]]]][+/-ZZZZ]`); without an offset the time is read as UTC.
enum HL7Time {
    static func date(from text: String) -> Date? {
        var digits = Substring(text)
        var offsetSeconds = 0
        if let sign = digits.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            let zone = digits[digits.index(after: sign)...]
            guard zone.count == 4, let hours = Int(zone.prefix(2)), let minutes = Int(zone.suffix(2)) else { return nil }
            offsetSeconds = (digits[sign] == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
            digits = digits[..<sign]
        }
        var fraction = 0.0
        if let dot = digits.firstIndex(of: ".") {
            guard let value = Double("0" + String(digits[dot...])) else { return nil }
            fraction = value
            digits = digits[..<dot]
        }
        guard digits.count >= 4, digits.count % 2 == 0, digits.count <= 14, digits.allSatisfy(\.isASCIINumber) else {
            return nil
        }
        func part(_ offset: Int, _ fallback: String) -> String {
            let start = digits.index(digits.startIndex, offsetBy: offset, limitedBy: digits.endIndex) ?? digits.endIndex
            let end = digits.index(start, offsetBy: 2, limitedBy: digits.endIndex) ?? digits.endIndex
            return start < digits.endIndex ? String(digits[start..<end]) : fallback
        }
        let rfc = "\(digits.prefix(4))-\(part(4, "01"))-\(part(6, "01"))T\(part(8, "00")):\(part(10, "00")):\(part(12, "00"))Z"
        return RFC3339.date(from: rfc).map { $0.addingTimeInterval(fraction - Double(offsetSeconds)) }
    }
}

extension Character {
    fileprivate var isASCIINumber: Bool { isASCII && isNumber }
}
