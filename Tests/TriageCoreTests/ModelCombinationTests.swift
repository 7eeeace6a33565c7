import ComputeThreadTesting
import Foundation
import Testing
import TriageCore

@Suite(.onComputeThread) struct LevelDistributionTests {
    @Test func softmaxOfLogitsIsNormalizedAndOrdered() throws {
        let distribution = try #require(LevelDistribution(logits: [0, 2, 1, -1, -30]))
        #expect(abs(distribution.probabilities.reduce(0, +) - 1) < 1e-12)
        #expect(distribution.mostLikely == .emergent)
        #expect(distribution[.emergent] > distribution[.urgent])
        #expect(abs(distribution.mass(atLeastAsUrgentAs: .emergent) - distribution[.resuscitation] - distribution[.emergent]) < 1e-12)
        #expect(distribution.mass(moreUrgentThan: .resuscitation) == 0)
    }

    @Test func rejectsWrongShapes() {
        #expect(LevelDistribution(weights: [1, 2, 3]) == nil)
        #expect(LevelDistribution(weights: [0, 0, 0, 0, 0]) == nil)
        #expect(LevelDistribution(weights: [1, -1, 1, 1, 1]) == nil)
        #expect(LevelDistribution(logits: [.nan, 0, 0, 0, 0]) == nil)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(LevelDistribution.self, from: Data("[1,2]".utf8)) }
    }

    /// Dividing a distribution by itself leaves no information: uniform.
    @Test func dividingOutThePriorRemovesTheAnswerBias() throws {
        let prior = try #require(LevelDistribution(weights: [0.05, 0.1, 0.6, 0.2, 0.05]))
        let uniform = try #require(prior.dividingOut(prior))
        for level in ESILevel.allCases { #expect(abs(uniform[level] - 0.2) < 1e-12) }
        // A patient nudging mass toward ESI 2 against the prior's pull to ESI 3 now reads as ESI 2.
        let raw = try #require(LevelDistribution(weights: [0.05, 0.3, 0.45, 0.15, 0.05]))
        #expect(raw.mostLikely == .urgent)
        #expect(try #require(raw.dividingOut(prior)).mostLikely == .emergent)
        #expect(raw.dividingOut(try #require(LevelDistribution(weights: [0, 1, 1, 1, 1]))) == nil)
    }

    @Test func cumulativeThresholdPicksTheMostUrgentSupportedLevel() throws {
        let distribution = try #require(LevelDistribution(weights: [0.1, 0.3, 0.4, 0.1, 0.1]))
        #expect(distribution.mostUrgentLevel(reaching: 0.1) == .resuscitation)
        #expect(distribution.mostUrgentLevel(reaching: 0.35) == .emergent)
        #expect(distribution.mostUrgentLevel(reaching: 0.5) == .urgent)
        #expect(distribution.mostUrgentLevel(reaching: 1) == .nonUrgent)
    }

    @Test func encodesAsFiveNumbers() throws {
        let distribution = try #require(LevelDistribution(weights: [1, 1, 2, 0, 0]))
        let json = String(decoding: try JSONEncoder().encode(distribution), as: UTF8.self)
        #expect(json == "[0.25,0.25,0.5,0,0]")
        #expect(try JSONDecoder().decode(LevelDistribution.self, from: Data(json.utf8)) == distribution)
    }
}

@Suite(.onComputeThread) struct ModelCombinationTests {
    static let identity = ModelIdentity(backend: "embedded", name: "gemma-test.gguf", sha256: "ab", quantization: "Q4_K_M",
                                        engine: "GemmaEngine test")

    static func model(_ weights: [Double], redFlags: [String] = ["Possible sepsis"]) -> ModelAssessment {
        let distribution = LevelDistribution(weights: weights)!
        return ModelAssessment(status: .scored, identity: identity, promptVersion: "triage-prompt/9", seed: 7,
                               rawDistribution: distribution, prior: LevelDistribution(weights: [1, 1, 1, 1, 1]),
                               distribution: distribution,
                               rationale: ModelRationale(reasons: ["fever and tachycardia"], redFlags: redFlags))
    }

    @Test func raisesWhenTheMassOnMoreUrgentLevelsPassesTheThreshold() {
        let rules = TriagePolicyTests.rulesAssessment(.urgent)
        let draft = TriagePolicy.modelPhase(rules: rules, model: Self.model([0.1, 0.5, 0.3, 0.05, 0.05]),
                                              threshold: 0.5, inputSHA256: "h")
        #expect(draft.proposedLevel == .emergent)
        #expect(draft.rulesLevel == .urgent)
        #expect(draft.model?.effect == .raised)
        #expect(draft.model?.threshold == 0.5)
        #expect(draft.explanation.hasPrefix("Model raised urgency to ESI 2 (P(ESI ≤ 2) = 0.60): fever and tachycardia. Rules: "))
        #expect(draft.findings.first == Finding(rule: "model.red_flag", summary: "Possible sepsis", impliedLevel: .emergent,
                                                source: "language model"))
        #expect(abs(draft.confidence - 0.6) < 1e-12)
        #expect(draft.scorer == ScorerIdentity(name: "model:gemma-test.gguf", version: "triage-prompt/9"))
    }

    @Test func belowTheThresholdTheModelIsAdvisory() {
        let rules = TriagePolicyTests.rulesAssessment(.urgent)
        let draft = TriagePolicy.modelPhase(rules: rules, model: Self.model([0.01, 0.4, 0.39, 0.1, 0.1]),
                                              threshold: 0.5, inputSHA256: "h")
        #expect(draft.proposedLevel == .urgent)
        #expect(draft.model?.effect == .advisory)
        #expect(draft.explanation == rules.result.explanation + " Model suggests ESI 2, p = 0.41 — review.")
        #expect(draft.findings == rules.result.findings)
        #expect(draft.confidence == rules.result.confidence)
    }

    @Test(arguments: ESILevel.allCases)
    func neverLowersTheRulesLevel(rulesLevel: ESILevel) {
        let rules = TriagePolicyTests.rulesAssessment(rulesLevel)
        let draft = TriagePolicy.modelPhase(rules: rules, model: Self.model([0.0, 0.0, 0.0, 0.0, 1.0]),
                                              threshold: 0.3, inputSHA256: "h")
        #expect(draft.proposedLevel == rulesLevel)
        #expect(draft.model?.effect == ModelAssessment.Effect.none)
    }

    @Test(arguments: [ModelAssessment.pending, .unavailable("model file missing")])
    func withoutAScoreTheRulesStandAndTheStatusIsKept(model: ModelAssessment) {
        let rules = TriagePolicyTests.rulesAssessment(.lessUrgent)
        let draft = TriagePolicy.modelPhase(rules: rules, model: model, threshold: 0.5, inputSHA256: "h")
        var expected = TriagePolicy.rulesPhase(rules, model: nil, inputSHA256: "h")
        expected.model = model
        #expect(draft == expected)
    }

    @Test func storedModelJSONRoundTripsWithDerivedFields() throws {
        var model = Self.model([0.1, 0.5, 0.3, 0.05, 0.05])
        model.effect = .raised
        let data = try JSONEncoder().encode(model)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["level"] as? Int == 2)
        #expect(object["prompt_version"] as? String == "triage-prompt/9")
        #expect((object["rationale"] as? [String: Any])?["red_flags"] as? [String] == ["Possible sepsis"])
        #expect(try JSONDecoder().decode(ModelAssessment.self, from: data) == model)
    }
}
