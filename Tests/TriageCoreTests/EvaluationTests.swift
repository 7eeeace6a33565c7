import ComputeThreadTesting
import Foundation
import Testing
import TriageCore

@Suite(.onComputeThread) struct EvaluationTests {
    static let rows = [
        TriageEvaluation.Row(id: "a", expected: .resuscitation, proposed: .resuscitation, ageBand: .adult),
        TriageEvaluation.Row(id: "b", expected: .emergent, proposed: .urgent, ageBand: .infant),
        TriageEvaluation.Row(id: "c", expected: .urgent, proposed: .emergent, ageBand: .adult),
        TriageEvaluation.Row(id: "d", expected: .lessUrgent, proposed: .lessUrgent, ageBand: .older),
    ]

    @Test func arithmetic() {
        let evaluation = TriageEvaluation(rows: Self.rows)
        #expect(evaluation.count == 4)
        #expect(evaluation.accuracy == 0.5)
        #expect(evaluation.underTriageRate == 0.25)
        #expect(evaluation.overTriageRate == 0.25)
        #expect(evaluation.confusionMatrix[1][2] == 1)
        #expect(evaluation.confusionMatrix[2][1] == 1)
        #expect(evaluation.confusionMatrix.flatMap { $0 }.reduce(0, +) == 4)
        // Under-triaged cases come first.
        #expect(evaluation.rows.map(\.id) == ["b", "a", "c", "d"])
        #expect(evaluation.rows.map(\.outcome) == ["under", "exact", "over", "exact"])
    }

    @Test func safetyMetrics() {
        let evaluation = TriageEvaluation(rows: Self.rows)
        // Two cases expected at ESI 1–2; one of them proposed ESI 3.
        #expect(evaluation.highAcuitySensitivity == 0.5)
        #expect(evaluation.underTriageByAgeBand.map(\.band) == EvaluationAgeBand.allCases)
        #expect(evaluation.underTriageByAgeBand.map(\.cases) == [1, 0, 2, 1])
        #expect(evaluation.underTriageByAgeBand.map(\.underTriaged) == [1, 0, 0, 0])
        #expect(evaluation.underTriageByAgeBand.first?.rate == 1)
        #expect(TriageEvaluation(rows: []).highAcuitySensitivity == nil)
        #expect(evaluation.textReport().contains("ESI 1–2 sensitivity 50.0%   under-triage by age: <1 y 1/1, 1–17 y 0/0, 18–64 y 0/2, ≥65 y 0/1\n"))
    }

    @Test(arguments: [(PatientAge.days(364), EvaluationAgeBand.infant), (.months(11), .infant), (.years(1), .child),
                      (.years(17), .child), (.years(18), .adult), (.years(64), .adult), (.years(65), .older)])
    func ageBands(age: PatientAge, band: EvaluationAgeBand) {
        #expect(EvaluationAgeBand(age) == band)
    }

    @Test func emptySetHasZeroRates() {
        let evaluation = TriageEvaluation(rows: [])
        #expect(evaluation.count == 0)
        #expect(evaluation.accuracy == 0)
    }

    @Test func textReportIsAligned() {
        let report = TriageEvaluation(rows: Self.rows).textReport()
        #expect(report.hasPrefix("cases 4   accuracy 50.0%   under-triage 25.0%   over-triage 25.0%\n"))
        #expect(report.contains("ESI 2                     0      0      1      0      0\n"))
        #expect(report.contains("b     en        ESI 2     ESI 3     under\n"))
    }

    @Test func jsonUsesSnakeCase() throws {
        let json = String(decoding: try JSONEncoder().encode(TriageEvaluation(rows: Self.rows)), as: UTF8.self)
        #expect(json.contains("\"under_triage_rate\":0.25"))
        #expect(json.contains("\"confusion_matrix\""))
        #expect(json.contains("\"esi_1_2_sensitivity\":0.5"))
        #expect(json.contains("\"under_triage_by_age_band\":[{"))
        #expect(json.contains("\"age_band\":\"<1 y\""))
    }

    static let line = #"{"id": "x-1", "age": {"days": 20}, "sex": "M", "arrival_mode": "walk-in", "chief_complaint": "fever", "note": "", "vitals": {"temp_c": 38.5}, "expected_esi": 2, "why": "neonate with fever"}"#

    @Test func parsesLinesSkippingBlankOnes() throws {
        let cases = try VignetteCase.parseJSONLines(Data((Self.line + "\n\n" + Self.line + "\n").utf8))
        #expect(cases.count == 2)
        #expect(cases[0].expectedLevel == .emergent)
        #expect(cases[0].presentation.age == .days(20))
        #expect(TriageEvaluation(cases: cases).accuracy == 1)
    }

    static let badFiles: [(String, Int, String)] = [
        (line + "\n{not json\n", 2, "not valid JSON"),
        (line + "\n" + line.replacingOccurrences(of: #""expected_esi": 2, "#, with: ""), 2, "missing field expected_esi"),
        (line.replacingOccurrences(of: #""expected_esi": 2"#, with: #""expected_esi": 7"#), 1, "invalid value at expected_esi"),
        (line.replacingOccurrences(of: #"{"days": 20}"#, with: #"{"days": "x"}"#), 1, "wrong type at age.days"),
    ]

    @Test(arguments: badFiles)
    func parseErrorsNameTheLine(file: String, line: Int, reason: String) {
        let error = #expect(throws: VignetteParseError.self) { try VignetteCase.parseJSONLines(Data(file.utf8)) }
        #expect(error?.line == line)
        #expect(error?.reason == reason)
        #expect(error?.description == "line \(line): \(reason)")
    }
}
