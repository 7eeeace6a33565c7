import Foundation
import HL7v2
import Testing
import TriageCore
@testable import TriageService

/// HL7 v2 messages as an ED's registration system and monitors send them, read into arrivals, vitals and
/// discharges.
@Suite("HL7 v2 translation")
struct HL7TranslationTests {
    /// One segment from its fields by HL7 number, so field positions are written as numbers, not counted pipes.
    static func segment(_ id: String, _ fields: [Int: String]) -> String {
        let count = fields.keys.max() ?? 0
        return ([id] + (1...max(count, 1)).map { fields[$0] ?? "" }).joined(separator: "|")
    }

    static func message(_ type: String, version: String = "2.5.1", _ segments: [String]) throws -> ER7Message {
        let header = "MSH|^~\\&|EPIC|ED|EDTRIAGE|HOSP|20261203071500+0100||\(type)|MSG1|P|\(version)"
        return try ER7Message(parsing: ([header] + segments).joined(separator: "\r") + "\r")
    }

    static func vital(_ set: Int, _ code: String, _ value: String, _ unit: String, status: String = "F") -> String {
        segment("OBX", [1: String(set), 2: "NM", 3: "\(code)^^LN", 5: value, 6: "\(unit)^^UCUM", 11: status])
    }

    static let patient = segment("PID", [1: "1", 3: "MRN12345^^^HOSP^MR", 5: "DOE^JANE", 7: "19640212", 8: "F"])
    static let visit = segment("PV1", [1: "1", 2: "E", 3: "ED^^^HOSP", 19: "V0001", 44: "20261203070500+0100"])
    static let reason = segment("PV2", [3: "CP^Chest pain", 38: "A"])

    @Test("ADT^A04 for an emergency visit is an arrival: patient, visit, age, sex, mode, complaint, note and vitals")
    func arrival() throws {
        let message = try Self.message("ADT^A04^ADT_A01", [
            "EVN|A04|20261203071500+0100", Self.patient, Self.visit, Self.reason,
            Self.vital(1, "8867-4", "128", "/min"), Self.vital(2, "9279-1", "24", "/min"),
            Self.vital(3, "8480-6", "92", "mm[Hg]"), Self.vital(4, "8462-4", "58", "mm[Hg]"),
            Self.vital(5, "59408-5", "91", "%"), Self.vital(6, "8310-5", "101.3", "[degF]"),
            Self.vital(7, "72514-3", "8", "{score}"), Self.vital(8, "9269-2", "15", "{score}"),
            Self.vital(9, "8867-4", "300", "/min", status: "X"),
            Self.vital(10, "11289-6", "37", "Cel"),
            "NTE|1||Diaphoretic\\.br\\onset at rest",
        ])
        guard case .arrival(let arrival) = try HL7Translation.request(from: message) else {
            Issue.record("not an arrival")
            return
        }
        #expect(arrival.source == "hl7:EPIC@ED" && arrival.externalID == "V0001" && arrival.patientRef == "MRN12345")
        #expect(arrival.receivedAt == RFC3339.date(from: "2026-12-03T06:05:00Z"))
        let presentation = arrival.presentation
        #expect(presentation.age == .years(62) && presentation.sex == .female && presentation.arrivalMode == .ambulance)
        #expect(presentation.chiefComplaint == "Chest pain" && presentation.note == "Diaphoretic\nonset at rest")
        #expect(presentation.vitals == Vitals(heartRate: 128, respiratoryRate: 24, systolicBP: 92, diastolicBP: 58,
                                              spo2: 91, temperatureC: 38.5, pain: 8, gcs: 15))
    }

    @Test("the chief complaint and note may come as OBX 8661-1 and 54094-8; v2.3 and v2.8 read alike")
    func observationsAsText() throws {
        for version in ["2.3", "2.8"] {
            let message = try Self.message("ADT^A01", version: version, [
                Self.patient, Self.visit,
                Self.segment("OBX", [1: "1", 2: "ST", 3: "8661-1^Chief complaint^LN", 5: "Headache"]),
                Self.segment("OBX", [1: "2", 2: "TX", 3: "54094-8^Triage note^LN", 5: "Worst of life"]),
            ])
            guard case .arrival(let arrival) = try HL7Translation.request(from: message) else {
                Issue.record("not an arrival")
                continue
            }
            #expect(arrival.presentation.chiefComplaint == "Headache" && arrival.presentation.note == "Worst of life")
            #expect(arrival.presentation.arrivalMode == .walkIn)
        }
    }

    @Test("the assigned location's facility or point of care names the department, when it is one of ours")
    func department() throws {
        func department(_ location: String, _ departments: [String]) throws -> String? {
            let visit = Self.segment("PV1", [1: "1", 2: "E", 3: location, 19: "V0001"])
            let message = try Self.message("ADT^A04^ADT_A01", [Self.patient, visit, Self.reason])
            guard case .arrival(let submission) = try HL7Translation.request(from: message, departments: departments) else {
                Issue.record("not an arrival")
                return nil
            }
            return submission.department
        }
        #expect(try department("ED^^^NORTH", ["north", "south"]) == "north")
        #expect(try department("ED^^^HOSP", ["ed"]) == "ed")
        #expect(try department("ED^^^HOSP", ["north", "south"]) == nil)
        #expect(try department("", ["north", "south"]) == nil)
    }

    @Test("ages in days for the first month and months to the second birthday")
    func paediatricAges() throws {
        let arrived = try #require(RFC3339.date(from: "2026-12-03T07:00:00Z"))
        func age(_ birth: String) -> PatientAge? { HL7Time.date(from: birth).flatMap { PatientAge(born: $0, at: arrived) } }
        #expect(age("20261120") == .days(13))
        #expect(age("20250603") == .months(18))
        #expect(age("20241204") == .months(23))
        #expect(age("20241203") == .years(2))
        #expect(age("20261204") == nil)
    }

    @Test("A08 and ORU^R01 carry vitals for a visit, A03 discharges it; other events and classes are ignored")
    func otherEvents() throws {
        let key = VisitKey(source: "hl7:EPIC@ED", externalID: "V0001")
        let update = try Self.message("ADT^A08", [Self.patient, Self.visit, Self.vital(1, "8867-4", "140", "/min")])
        #expect(try HL7Translation.request(from: update) == .vitals(key, Vitals(heartRate: 140)))
        let monitor = try Self.message("ORU^R01", [Self.patient, Self.visit, "OBR|1", Self.vital(1, "2708-6", "88", "%")])
        #expect(try HL7Translation.request(from: monitor) == .vitals(key, Vitals(spo2: 88)))
        #expect(try HL7Translation.request(from: Self.message("ADT^A03", [Self.patient, Self.visit])) == .discharge(key))
        let inpatient = try Self.message("ADT^A04", [Self.patient, Self.visit.replacingOccurrences(of: "|E|", with: "|I|")])
        guard case .ignored = try HL7Translation.request(from: inpatient) else {
            Issue.record("an inpatient registration is not an arrival")
            return
        }
        guard case .ignored = try HL7Translation.request(from: Self.message("SIU^S12", [])) else {
            Issue.record("scheduling is not used")
            return
        }
    }

    @Test("what cannot be applied names its place: a unit not accepted, a value not a number, a missing field")
    func errors() throws {
        let cases: [([String], HL7MappingError)] = [
            ([Self.patient, Self.visit, Self.reason, Self.vital(1, "8867-4", "98", "/min"), Self.vital(2, "8310-5", "37", "K")],
             HL7MappingError(reason: "OBX-6 unit of 8310-5 is not one accepted for it (UCUM)", segment: "OBX",
                             occurrence: 2, field: 6)),
            ([Self.patient, Self.visit, Self.reason, Self.vital(1, "8867-4", "fast", "/min")],
             HL7MappingError(reason: "OBX-5 of 8867-4 is not a number", segment: "OBX", occurrence: 1, field: 5)),
            ([Self.patient, Self.visit.replacingOccurrences(of: "V0001", with: ""), Self.reason],
             HL7MappingError(reason: "the visit number (PV1-19) is missing", segment: "PV1", occurrence: 1, field: 19)),
            ([Self.patient.replacingOccurrences(of: "19640212", with: "20270101"), Self.visit, Self.reason],
             HL7MappingError(reason: "the birth date (PID-7) is missing, unreadable or after the arrival",
                             segment: "PID", occurrence: 1, field: 7)),
            ([Self.patient, Self.visit],
             HL7MappingError(reason: "the chief complaint (PV2-3 or OBX 8661-1) is missing", segment: "PV2",
                             occurrence: 1, field: 3)),
        ]
        for (segments, expected) in cases {
            #expect(throws: expected) { try HL7Translation.request(from: Self.message("ADT^A04", segments)) }
        }
    }

    @Test("HL7 times: precision from year to fractions of a second, with or without an offset")
    func times() {
        #expect(HL7Time.date(from: "2026") == RFC3339.date(from: "2026-01-01T00:00:00Z"))
        #expect(HL7Time.date(from: "202612030715") == RFC3339.date(from: "2026-12-03T07:15:00Z"))
        #expect(HL7Time.date(from: "20261203071500.25-0500") == RFC3339.date(from: "2026-12-03T12:15:00.25Z"))
        for invalid in ["", "20", "2026120", "20261303", "2026-12-03", "20261203+05"] {
            #expect(HL7Time.date(from: invalid) == nil, "\(invalid)")
        }
    }

    @Test("the samples in samples/hl7 are an arrival, new vitals, a monitor's vitals and a discharge of one visit")
    func samples() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("samples/hl7")
        func request(_ name: String) throws -> HL7Request {
            let text = try String(contentsOf: folder.appendingPathComponent(name + ".hl7"), encoding: .utf8)
            return try HL7Translation.request(from: ER7Message(parsing: text))
        }
        guard case .arrival(let arrival) = try request("a04-chest-pain") else {
            Issue.record("the A04 sample is not an arrival")
            return
        }
        let key = VisitKey(source: arrival.source, externalID: arrival.externalID)
        #expect(arrival.presentation.vitals.heartRate == 118 && arrival.presentation.note.contains("\nKnown hypertension."))
        #expect(try request("a08-new-vitals") == .vitals(key, Vitals(heartRate: 132, systolicBP: 86, diastolicBP: 54)))
        #expect(try request("oru-r01-monitor") == .vitals(key, Vitals(respiratoryRate: 28, spo2: 89)))
        #expect(try request("a03-discharge") == .discharge(key))
    }
}
