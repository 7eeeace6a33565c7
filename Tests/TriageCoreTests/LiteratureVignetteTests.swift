import Foundation
import Testing
import TriageCore

/// Runs the rules over the three vignette sets and prints each report: the shared development set
/// (`../shared/clinical/vignettes.jsonl`), and the literature development and held-out halves
/// (`Tests/Fixtures/vignettes`, written from published sources without reference to the rules).
/// Only the shared set is held to a score here; the literature halves are measurements.
@Suite struct LiteratureVignetteTests {
    static var fixturesURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/vignettes")
    }

    static func cases(_ url: URL) throws -> [VignetteCase] {
        try VignetteCase.parseJSONLines(try Data(contentsOf: url))
    }

    static func evaluation(_ url: URL) throws -> TriageEvaluation {
        TriageEvaluation(cases: try cases(url))
    }

    static var allSets: [URL] {
        [VignetteEvaluationTests.vignettesURL, fixturesURL.appendingPathComponent("development.jsonl"),
         fixturesURL.appendingPathComponent("heldout.jsonl")]
    }

    @Test func sharedSet() throws {
        let evaluation = try Self.evaluation(VignetteEvaluationTests.vignettesURL)
        print("shared development set\n" + evaluation.textReport())
        #expect(evaluation.underTriageRate == 0)
    }

    /// A guard against losing what the development half's classes gained, not a target to tune to.
    @Test func literatureDevelopmentSet() throws {
        let evaluation = try Self.evaluation(Self.fixturesURL.appendingPathComponent("development.jsonl"))
        print("literature development set\n" + evaluation.textReport())
        #expect(evaluation.count == 118)
        #expect(try #require(evaluation.highAcuitySensitivity) >= 0.95)
        #expect(evaluation.underTriageRate <= 0.05)
    }

    @Test func literatureHeldOutSet() throws {
        let evaluation = try Self.evaluation(Self.fixturesURL.appendingPathComponent("heldout.jsonl"))
        print("literature held-out set\n" + evaluation.textReport())
        #expect(evaluation.count == 59)
    }

    /// On every case of every set, whatever the model says (a grid of distributions, three thresholds), the
    /// model phase never proposes a level less urgent than the rules phase.
    @Test(arguments: allSets)
    func theModelPhaseIsNeverLessUrgentThanTheRulesOnAnyCase(set: URL) throws {
        let distributions = try TriagePolicyTests.gridDistributions(step: 2).map { try #require(LevelDistribution(weights: $0)) }
        var checked = 0
        for item in try Self.cases(set) {
            let rules = TriageRules().assess(item.presentation)
            let rulesOnly = TriagePolicy.rulesPhase(rules, model: nil, inputSHA256: "h")
            for distribution in distributions {
                let model = ModelAssessment(status: .scored, distribution: distribution)
                for threshold in [0.01, 0.6, 1] {
                    let draft = TriagePolicy.modelPhase(rules: rules, model: model, threshold: threshold, inputSHA256: "h")
                    if draft.proposedLevel > rulesOnly.proposedLevel {
                        Issue.record("\(item.id): model phase \(draft.proposedLevel) less urgent than rules \(rulesOnly.proposedLevel)")
                    }
                    checked += 1
                }
            }
        }
        #expect(checked >= 30 * distributions.count * 3)
    }
}
