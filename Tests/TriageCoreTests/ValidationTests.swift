import ComputeThreadTesting
import Foundation
import Testing
import TriageCore

@Suite(.onComputeThread) struct ValidationTests {
    let validator = ArrivalValidator()

    /// The error `validate` throws, or nil when it accepts.
    func rejection(_ validate: () throws(ArrivalValidationError) -> [Finding]) -> ArrivalValidationError? {
        do {
            _ = try validate()
            return nil
        } catch {
            return error
        }
    }

    static let impossibleVitals: [(String, Vitals)] = [
        ("vitals.hr", vitals { $0.heartRate = 351 }),
        ("vitals.hr", vitals { $0.heartRate = -1 }),
        ("vitals.hr", vitals { $0.heartRate = .nan }),
        ("vitals.rr", vitals { $0.respiratoryRate = 101 }),
        ("vitals.sbp", vitals { $0.systolicBP = 301 }),
        ("vitals.dbp", vitals { $0.diastolicBP = 201; $0.systolicBP = 250 }),
        ("vitals.sbp", vitals { $0.systolicBP = 70; $0.diastolicBP = 80 }),
        ("vitals.spo2", vitals { $0.spo2 = 100.5 }),
        ("vitals.temp_c", vitals { $0.temperatureC = 24.9 }),
        ("vitals.temp_c", vitals { $0.temperatureC = 45.1 }),
        ("vitals.pain", vitals { $0.pain = 11 }),
        ("vitals.gcs", vitals { $0.gcs = 2 }),
        ("vitals.gcs", vitals { $0.gcs = 16 }),
    ]

    @Test(arguments: impossibleVitals)
    func impossibleVitalIsRejectedNamingTheField(field: String, vitals: Vitals) {
        let error = rejection { () throws(ArrivalValidationError) in try validator.validate(patient(vitals: vitals)) }
        #expect(error?.field == field)
        #expect(error?.message.hasPrefix(field) == true)
    }

    static let boundaryVitals: [Vitals] = [
        vitals { $0.heartRate = 0 }, vitals { $0.heartRate = 350 }, vitals { $0.respiratoryRate = 0 },
        vitals { $0.respiratoryRate = 100 }, vitals { $0.systolicBP = 300; $0.diastolicBP = 200 },
        vitals { $0.systolicBP = 80; $0.diastolicBP = 80 }, vitals { $0.spo2 = 0 }, vitals { $0.spo2 = 100 },
        vitals { $0.temperatureC = 25 }, vitals { $0.temperatureC = 45 }, vitals { $0.pain = 0 },
        vitals { $0.pain = 10 }, vitals { $0.gcs = 3 }, vitals { $0.gcs = 15 }, Vitals(),
    ]

    @Test(arguments: boundaryVitals)
    func boundaryValuesAreAccepted(vitals: Vitals) throws {
        _ = try validator.validate(patient(vitals: vitals))
    }

    static let ages: [(PatientAge, String?)] = [
        (.years(0), nil), (.years(130), nil), (.years(131), "age.years"), (.years(-1), "age.years"),
        (.months(1560), nil), (.months(1561), "age.months"), (.days(0), nil), (.days(-1), "age.days"),
        (.days(47_580), nil), (.days(47_581), "age.days"),
    ]

    @Test(arguments: ages)
    func ageRange(age: PatientAge, rejectedField: String?) {
        let error = rejection { () throws(ArrivalValidationError) in try validator.validate(patient(age)) }
        #expect(error?.field == rejectedField)
    }

    static let badText: [(String, ClinicalPresentation)] = [
        ("chief_complaint", patient(complaint: "")),
        ("chief_complaint", patient(complaint: "   \n")),
        ("chief_complaint", patient(complaint: String(repeating: "x", count: 201))),
        ("note", patient(note: String(repeating: "y", count: 8001))),
        ("note", patient(note: "yyy\u{0}yyy")),
    ]

    @Test(arguments: badText)
    func badTextIsRejectedWithoutEchoingIt(field: String, presentation: ClinicalPresentation) {
        let error = rejection { () throws(ArrivalValidationError) in try validator.validate(presentation) }
        #expect(error?.field == field)
        #expect(error.map { !$0.message.contains("xxx") && !$0.message.contains("yyy") } == true)
    }

    @Test func longestAllowedTextIsAccepted() throws {
        _ = try validator.validate(patient(complaint: String(repeating: "x", count: 200),
                                           note: String(repeating: "y", count: 8000)))
    }

    static func submission(source: String = "epic-adt", externalID: String = "A-1", patientRef: String = "MRN-9",
                           images: [ImageSubmission] = []) -> ArrivalSubmission {
        ArrivalSubmission(source: source, externalID: externalID, patientRef: patientRef,
                          presentation: patient(), images: images)
    }

    static let jpeg = ImageSubmission(contentType: "image/jpeg", data: Data([0xFF, 0xD8, 0xFF]))

    static let badSubmissions: [(String, ArrivalSubmission)] = [
        ("source", submission(source: "")),
        ("external_id", submission(externalID: String(repeating: "1", count: 129))),
        ("patient_ref", submission(patientRef: " ")),
        ("images", submission(images: Array(repeating: jpeg, count: 5))),
        ("images[1].content_type", submission(images: [jpeg, ImageSubmission(contentType: "text/html; MRN-42", data: Data([1]))])),
        ("images[0].data_base64", submission(images: [ImageSubmission(contentType: "image/png", data: Data())])),
        ("images[0].data_base64", submission(images: [ImageSubmission(contentType: "image/webp",
                                                                      data: Data(count: 5 * 1024 * 1024 + 1))])),
    ]

    @Test(arguments: badSubmissions)
    func badSubmissionIsRejected(field: String, submission: ArrivalSubmission) {
        var submission = submission
        let error = rejection { () throws(ArrivalValidationError) in try validator.validate(&submission) }
        #expect(error?.field == field)
        #expect(error.map { !$0.message.contains("MRN-42") } == true)
    }

    @Test func validSubmissionWithImagesPasses() throws {
        var submission = Self.submission(images: Array(repeating: Self.jpeg, count: 4))
        let flags = try validator.validate(&submission)
        #expect(flags.isEmpty)
    }

    @Test func anArrivalWithoutADepartmentIsPlacedInTheOnlyOne() throws {
        var submission = Self.submission()
        _ = try ArrivalValidator(limits: ArrivalLimits(departments: ["north"])).validate(&submission)
        #expect(submission.department == "north")
    }

    @Test func withSeveralDepartmentsAnArrivalMustNameAConfiguredOne() throws {
        let validator = ArrivalValidator(limits: ArrivalLimits(departments: ["north", "south"]))
        var unnamed = Self.submission()
        #expect(throws: ArrivalValidationError(field: "department", message: "department is required: one of north, south")) {
            try validator.validate(&unnamed)
        }
        var unknown = Self.submission()
        unknown.department = "east"
        #expect(throws: ArrivalValidationError(field: "department", message: "department must be one of north, south")) {
            try validator.validate(&unknown)
        }
        var south = Self.submission()
        south.department = "south"
        _ = try validator.validate(&south)
        #expect(south.department == "south")
    }

    @Test func imageLimitsAreConfigurable() {
        let strict = ArrivalValidator(limits: ArrivalLimits(maxImages: 1, maxImageBytes: 2))
        #expect(throws: ArrivalValidationError(field: "images[0].data_base64",
                                               message: "images[0].data_base64 must be 1 to 2 bytes")) {
            var submission = Self.submission(images: [Self.jpeg])
            _ = try strict.validate(&submission)
        }
    }

    static let extremes: [(String, Vitals)] = [
        ("validation.extreme.hr", vitals { $0.heartRate = 230 }),
        ("validation.extreme.hr", vitals { $0.heartRate = 25 }),
        ("validation.extreme.rr", vitals { $0.respiratoryRate = 70 }),
        ("validation.extreme.sbp", vitals { $0.systolicBP = 55; $0.diastolicBP = 30 }),
        ("validation.extreme.sbp", vitals { $0.systolicBP = 260 }),
        ("validation.extreme.spo2", vitals { $0.spo2 = 65 }),
        ("validation.extreme.temp", vitals { $0.temperatureC = 31.5 }),
        ("validation.extreme.temp", vitals { $0.temperatureC = 41.5 }),
    ]

    @Test(arguments: extremes)
    func extremeButPossibleValueIsKeptAndFlagged(rule: String, vitals: Vitals) throws {
        let flags = try validator.validate(patient(vitals: vitals))
        #expect(flags.map(\.rule) == [rule])
        #expect(assess(patient(vitals: vitals)).flags.map(\.rule) == [rule])
    }

    @Test func flagNamesValueAndThreshold() throws {
        let flag = try #require(try validator.validate(patient(vitals: vitals { $0.heartRate = 230 })).first)
        #expect(flag.summary == "HR 230/min > 220/min: extreme value, re-check the measurement")
    }
}
