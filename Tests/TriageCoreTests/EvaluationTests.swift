import Foundation
import Testing
import TriageCore

@Suite struct EvaluationTests {
    static let rows = [
        TriageEvaluation.Row(id: "a", expected: .resuscitation, proposed: .resuscitation),
        TriageEvaluation.Row(id: "b", expected: .emergent, proposed: .urgent),
        TriageEvaluation.Row(id: "c", expected: .urgent, proposed: .emergent),
        TriageEvaluation.Row(id: "d", expected: .lessUrgent, proposed: .lessUrgent),
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
        #expect(evaluation.rows.map(\.outcome) == ["exact", "under", "over", "exact"])
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
        #expect(report.contains("b     ESI 2     ESI 3     under\n"))
    }

    @Test func jsonUsesSnakeCase() throws {
        let json = String(decoding: try JSONEncoder().encode(TriageEvaluation(rows: Self.rows)), as: UTF8.self)
        #expect(json.contains("\"under_triage_rate\":0.25"))
        #expect(json.contains("\"confusion_matrix\""))
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
