import Testing
import TriageCore

@Suite struct CombinationPolicyTests {
    static let model = ScorerIdentity(name: "medgemma", version: "test-1")

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

    static func other(_ level: ESILevel) -> ScorerResult {
        ScorerResult(level: level,
                     findings: [Finding(rule: "model.concern", summary: "Model concern", impliedLevel: level, source: "model")],
                     explanation: "Looks unwell.", confidence: 0.7, scorer: model)
    }

    static let pairs = ESILevel.allCases.flatMap { rules in ESILevel.allCases.map { (rules, $0) } }

    @Test(arguments: pairs)
    func neverLessUrgentThanRules(rulesLevel: ESILevel, otherLevel: ESILevel) {
        let rules = Self.rulesAssessment(rulesLevel)
        let draft = CombinationPolicy.combine(rules: rules, other: Self.other(otherLevel), inputSHA256: "abc")
        #expect(draft.proposedLevel == min(rulesLevel, otherLevel))
        #expect(draft.rulesLevel == rulesLevel)
        #expect(draft.rulesVersion == TriageRules.version)
        #expect(draft.inputSHA256 == "abc")
        #expect(draft.findings.contains { $0.rule == "model.concern" })
        #expect(draft.explanation.hasPrefix("Raised to \(otherLevel) by medgemma: Looks unwell.") == (otherLevel < rulesLevel))
    }

    @Test func withoutOtherScorerTheRulesStand() {
        let rules = Self.rulesAssessment(.lessUrgent)
        let draft = CombinationPolicy.combine(rules: rules, other: nil, inputSHA256: "h")
        #expect(draft.proposedLevel == .lessUrgent)
        #expect(draft.findings == rules.result.findings)
        #expect(draft.explanation == rules.result.explanation)
        #expect(draft.scorer == TriageRules.identity)
        #expect(draft.scores == rules.scores)
    }

    @Test func lessUrgentProposalIsNotedButDoesNotLower() {
        let draft = CombinationPolicy.combine(rules: Self.rulesAssessment(.emergent), other: Self.other(.nonUrgent),
                                              inputSHA256: "h")
        #expect(draft.proposedLevel == .emergent)
        #expect(draft.explanation.hasSuffix(" medgemma proposed ESI 5; the rules' level stands."))
    }

    @Test func raisedFindingsPutTheReasonFirst() {
        let draft = CombinationPolicy.combine(rules: Self.rulesAssessment(.nonUrgent), other: Self.other(.emergent),
                                              inputSHA256: "h")
        #expect(draft.findings.first?.rule == "model.concern")
        #expect(draft.scorer == Self.model)
    }

    @Test func rulesScorerReturnsTheRulesResult() async throws {
        let presentation = patient(complaint: "abdominal pain")
        let rules = assess(presentation)
        let scorer = RulesScorer()
        #expect(scorer.identity == ScorerIdentity(name: "rules", version: "esi-rules/1"))
        #expect(try await scorer.score(presentation, rules: rules) == rules.result)
    }
}
