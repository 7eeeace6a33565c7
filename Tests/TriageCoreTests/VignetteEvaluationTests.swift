import ComputeThreadTesting
import Foundation
import Testing
import TriageCore

/// Runs the rules over the development vignettes (`../shared/clinical/vignettes.jsonl` from the package
/// root, or `EDTRIAGE_VIGNETTES`). The set is for development: these assertions guard safety properties,
/// not a tuned score.
@Suite(.onComputeThread) struct VignetteEvaluationTests {
    static var vignettesURL: URL {
        if let path = ProcessInfo.processInfo.environment["EDTRIAGE_VIGNETTES"] {
            return URL(fileURLWithPath: path)
        }
        let packageRoot = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent("../shared/clinical/vignettes.jsonl").standardized
    }

    static func evaluation() throws -> TriageEvaluation {
        let cases = try VignetteCase.parseJSONLines(try Data(contentsOf: vignettesURL))
        return TriageEvaluation(cases: cases)
    }

    @Test func developmentSetIsTriagedSafely() throws {
        let evaluation = try Self.evaluation()
        print(evaluation.textReport())
        #expect(evaluation.count >= 30)
        let underTriagedResuscitation = evaluation.rows.filter { $0.expected == .resuscitation && $0.proposed != .resuscitation }
        #expect(underTriagedResuscitation.isEmpty, "ESI 1 cases under-triaged: \(underTriagedResuscitation.map(\.id))")
        let underTriagedEmergent = evaluation.rows.filter { $0.expected == .emergent && $0.proposed > .emergent }
        #expect(underTriagedEmergent.isEmpty, "ESI 2 cases under-triaged: \(underTriagedEmergent.map(\.id))")
        #expect(evaluation.underTriageRate <= 0.10)
        #expect(evaluation.accuracy >= 0.70)
    }
}
