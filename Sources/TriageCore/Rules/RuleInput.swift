/// Everything the rules look at for one presentation, computed once.
struct RuleInput: Sendable {
    let presentation: ClinicalPresentation
    let text: ClinicalText
    let scores: ClinicalScores

    init(_ presentation: ClinicalPresentation) {
        self.presentation = presentation
        text = ClinicalText(presentation)
        let vitals = presentation.vitals
        let adult = presentation.age.isAdultForEarlyWarningScores
        scores = ClinicalScores(news2: adult ? NEWS2Calculator.score(vitals) : nil,
                                qsofa: adult ? QSOFACalculator.score(vitals) : nil,
                                shockIndex: ShockIndexCalculator.score(vitals, age: presentation.age),
                                pews: adult ? nil : PEWSCalculator.score(vitals, age: presentation.age, text: text))
    }

    var vitals: Vitals { presentation.vitals }
    var age: PatientAge { presentation.age }
    var ageBand: AgeBand { AgeBand(age) }

    /// Measured alert: ACVPU A (with GCS, if recorded, above 13), or GCS 15 without ACVPU.
    var isMeasuredAlert: Bool {
        NEWS2Calculator.isAlert(vitals) == true && (vitals.gcs ?? 15) >= 14
    }

    func matches(_ concept: TextConcept) -> [Phrase]? { concept.match(text, age: age) }

    /// A finding for a text concept, quoting our pattern words (never the note itself).
    func textFinding(_ concept: TextConcept, _ phrases: [Phrase], level: ESILevel?, prefix: String = "") -> Finding {
        let sentence = prefix + concept.summary
        let evidence = TextConcept.evidence(phrases)
        return Finding(rule: concept.id, summary: sentence.prefix(1).uppercased() + sentence.dropFirst() + " (\(evidence))",
                       observed: evidence, impliedLevel: level, source: concept.source)
    }
}

/// Numbers as a nurse reads them: "38.4", "120", never "120.0".
func formatted(_ value: Double) -> String { JSONValue.canonicalNumber(value) }
