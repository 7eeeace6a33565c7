import ComputeThreadTesting
import Testing
import TriageCore

@Suite(.onComputeThread) struct TriagePolicyTests {
    /// A rules assessment at a chosen level, from a real presentation.
    static func rulesAssessment(_ level: ESILevel) -> RulesAssessment {
        let presentations: [ESILevel: ClinicalPresentation] = [
            .resuscitation: patient(vitals: vitals { $0.consciousness = .unresponsive }),
            .emergent: patient(.years(60), complaint: "chest pain"),
            .urgent: patient(complaint: "abdominal pain"),
            .lessUrgent: patient(complaint: "dysuria"),
            .nonUrgent: patient(complaint: "medication refill"),
        ]
        let assessment = assess(presentations[level]!)
        precondition(assessment.level == level)
        return assessment
    }

    @Test(arguments: [nil, ModelAssessment.pending, .unavailable("model file missing")])
    func theRulesPhaseProposesTheRulesLevel(model: ModelAssessment?) {
        let rules = Self.rulesAssessment(.lessUrgent)
        let draft = TriagePolicy.rulesPhase(rules, model: model, inputSHA256: "h")
        #expect(draft.proposedLevel == .lessUrgent)
        #expect(draft.rulesLevel == .lessUrgent)
        #expect(draft.findings == rules.result.findings)
        #expect(draft.explanation == rules.result.explanation)
        #expect(draft.scorer == TriageRules.identity)
        #expect(draft.scores == rules.scores)
        #expect(draft.rulesVersion == TriageRules.version)
        #expect(draft.inputSHA256 == "h")
        #expect(draft.model == model)
    }

    /// Every distribution on a grid of tenths, at every rules level and several thresholds: the model
    /// phase is never less urgent than the rules, and raises only with enough mass above them.
    @Test(arguments: ESILevel.allCases)
    func theModelPhaseIsNeverLessUrgentThanTheRules(rulesLevel: ESILevel) throws {
        let rules = Self.rulesAssessment(rulesLevel)
        var checked = 0
        for weights in Self.gridDistributions(step: 1) {
            let distribution = try #require(LevelDistribution(weights: weights))
            let model = ModelAssessment(status: .scored, distribution: distribution)
            for threshold in [0.01, 0.3, 0.6, 1.0] {
                let draft = TriagePolicy.modelPhase(rules: rules, model: model, threshold: threshold, inputSHA256: "h")
                #expect(draft.proposedLevel <= rulesLevel)
                #expect(draft.rulesLevel == rulesLevel)
                let raised = draft.proposedLevel < rulesLevel
                #expect(raised == (distribution.mass(moreUrgentThan: rulesLevel) >= threshold))
                checked += 1
            }
        }
        #expect(checked > 1_000)
    }

    /// All weight vectors of five non-negative multiples of `step` tenths summing to ten tenths.
    static func gridDistributions(step: Int) -> [[Double]] {
        var result: [[Double]] = []
        func extend(_ prefix: [Int], remaining: Int) {
            if prefix.count == 4 {
                result.append((prefix + [remaining]).map { Double($0) / 10 })
                return
            }
            for part in stride(from: 0, through: remaining, by: step) { extend(prefix + [part], remaining: remaining - part) }
        }
        extend([], remaining: 10)
        return result.filter { $0.contains { $0 > 0 } }
    }
}
