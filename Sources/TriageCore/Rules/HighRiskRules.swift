/// Decision point B: high-risk situation, new confusion/lethargy/disorientation, or severe pain/distress
/// (ESI v4 handbook, chapter 4), plus early-warning scores that mark high risk.
enum HighRiskRules {
    static let source = "ESI v4 handbook, decision point B"

    static func findings(_ input: RuleInput) -> [Finding] {
        var findings = mentationFindings(input)
        for concept in HighRiskConcepts.unconditional + PaediatricConcepts.highRisk {
            if let phrases = input.matches(concept) {
                findings.append(input.textFinding(concept, phrases, level: .emergent))
            }
        }
        if let phrases = input.matches(HighRiskConcepts.gastrointestinalBleed), isHaemodynamicallyUnstable(input) {
            findings.append(input.textFinding(HighRiskConcepts.gastrointestinalBleed, phrases, level: .emergent))
        }
        if let pain = input.vitals.pain, pain >= 7, let phrases = input.matches(HighRiskConcepts.distress) {
            findings.append(Finding(
                rule: "esi.b.severe_pain_distress",
                summary: "Pain \(pain)/10 ≥ 7 and \(HighRiskConcepts.distress.summary) (\(TextConcept.evidence(phrases)))",
                observed: "pain \(pain)/10", threshold: "≥ 7 with distress", impliedLevel: .emergent,
                source: HighRiskConcepts.distress.source))
        }
        findings += scoreFindings(input)
        findings += [symptomaticBradycardia(input), severeHypertensionInPregnancy(input), unstableEatingDisorder(input)]
            .compactMap { $0 }
        return findings
    }

    /// HR < 50/min in an adult with dizziness, syncope, breathlessness, chest pain or confusion.
    static func symptomaticBradycardia(_ input: RuleInput) -> Finding? {
        guard input.age.isAdultForEarlyWarningScores, let rate = input.vitals.heartRate, rate < 50,
              let phrases = input.matches(HighRiskConcepts.bradycardiaAdverseFeatures) else { return nil }
        let concept = HighRiskConcepts.bradycardiaAdverseFeatures
        return Finding(rule: concept.id, summary: "HR \(formatted(rate))/min < 50 with \(TextConcept.evidence(phrases)): symptomatic bradycardia",
                       observed: "HR \(formatted(rate))/min", threshold: "< 50/min with adverse features",
                       impliedLevel: .emergent, source: concept.source)
    }

    /// Severe-range blood pressure (≥ 160 systolic or ≥ 110 diastolic) in pregnancy or after birth.
    static func severeHypertensionInPregnancy(_ input: RuleInput) -> Finding? {
        let systolic = input.vitals.systolicBP ?? 0
        let diastolic = input.vitals.diastolicBP ?? 0
        guard systolic >= 160 || diastolic >= 110,
              input.text.contains(anyOf: HighRiskConcepts.pregnancyWords) else { return nil }
        let observed = "BP \(formatted(systolic))/\(formatted(diastolic)) mmHg"
        return Finding(rule: "esi.b.pregnancy_severe_hypertension",
                       summary: "\(observed) in pregnancy: severe-range hypertension, possible pre-eclampsia",
                       observed: observed, threshold: "≥ 160 systolic or ≥ 110 diastolic", impliedLevel: .emergent,
                       source: "ACOG Practice Bulletin 222 (2020); NICE NG133")
    }

    /// An eating disorder with heart rate < 50, systolic < 90 or temperature < 35.5: medically unstable
    /// (RCPsych MEED 2022, the amber and red physiological thresholds).
    static func unstableEatingDisorder(_ input: RuleInput) -> Finding? {
        guard let phrases = input.matches(HighRiskConcepts.eatingDisorder) else { return nil }
        let vitals = input.vitals
        let unstable: String? = if let rate = vitals.heartRate, rate < 50 { "HR \(formatted(rate))/min" }
            else if let systolic = vitals.systolicBP, systolic < 90 { "SBP \(formatted(systolic)) mmHg" }
            else if let temperature = vitals.temperatureC, temperature < 35.5 { "Temp \(formatted(temperature)) °C" }
            else { nil }
        guard let unstable else { return nil }
        return Finding(rule: HighRiskConcepts.eatingDisorder.id,
                       summary: "\(unstable) with \(TextConcept.evidence(phrases)): medically unstable eating disorder",
                       observed: unstable, threshold: "HR < 50, SBP < 90 or temp < 35.5 °C", impliedLevel: .emergent,
                       source: HighRiskConcepts.eatingDisorder.source)
    }

    /// ACVPU C or V, or GCS 9–14 (lower values are decision point A); and confusion described in words.
    static func mentationFindings(_ input: RuleInput) -> [Finding] {
        let vitals = input.vitals
        var findings: [Finding] = []
        let mentationSource = "ESI v4 handbook, decision point B: new confusion, lethargy or disorientation"
        if let level = vitals.consciousness, level == .newConfusion || level == .voice {
            findings.append(Finding(rule: "esi.b.avpu", summary: "AVPU \(level.rawValue): new confusion or responds to voice only",
                                    observed: "AVPU \(level.rawValue)", threshold: "C or V", impliedLevel: .emergent,
                                    source: mentationSource))
        } else if let gcs = vitals.gcs, (9...14).contains(gcs) {
            findings.append(Finding(rule: "esi.b.gcs", summary: "GCS \(gcs) < 15: altered mentation",
                                    observed: "GCS \(gcs)", threshold: "9–14", impliedLevel: .emergent,
                                    source: mentationSource))
        }
        if let phrases = input.matches(HighRiskConcepts.alteredMentation) {
            findings.append(input.textFinding(HighRiskConcepts.alteredMentation, phrases, level: .emergent))
        }
        return findings
    }

    /// Tachycardia, low or borderline systolic pressure, an elevated shock index, or feeling faint.
    static func isHaemodynamicallyUnstable(_ input: RuleInput) -> Bool {
        (input.vitals.heartRate ?? 0) > 100
            || (input.vitals.systolicBP ?? 200) < 100
            || input.scores.shockIndex?.isElevated == true
            || input.matches(HighRiskConcepts.instabilityWords) != nil
    }

    /// NEWS2 ≥ 7 (RCP 2017: emergency response), qSOFA ≥ 2 (Sepsis-3), and suspected infection with
    /// NEWS2 ≥ 5, qSOFA ≥ 2 or an elevated shock index (RCP 2017: "think sepsis").
    static func scoreFindings(_ input: RuleInput) -> [Finding] {
        var findings: [Finding] = []
        if let news2 = input.scores.news2, news2.total >= 7 {
            findings.append(Finding(rule: "news2.high", summary: "NEWS2 \(news2.total) ≥ 7: high clinical risk, emergency assessment",
                                    observed: "NEWS2 \(news2.total)", threshold: "≥ 7", impliedLevel: .emergent,
                                    source: "RCP NEWS2 2017, clinical response thresholds"))
        }
        if let qsofa = input.scores.qsofa, qsofa.isPositive {
            findings.append(Finding(rule: "qsofa.positive", summary: "qSOFA \(qsofa.total) ≥ 2: high risk of poor outcome if infected",
                                    observed: "qSOFA \(qsofa.total)", threshold: "≥ 2", impliedLevel: .emergent,
                                    source: "Sepsis-3, Seymour et al. JAMA 2016"))
        }
        if let pews = input.scores.pews, pews.total >= 5 {
            findings.append(Finding(rule: "pews.high", summary: "PEWS \(pews.total) ≥ 5: a child at high risk of deterioration, immediate review",
                                    observed: "PEWS \(pews.total)", threshold: "≥ 5", impliedLevel: .emergent,
                                    source: PEWSCalculator.source))
        }
        if let sepsis = sepsisFinding(input) { findings.append(sepsis) }
        return findings
    }

    static func sepsisFinding(_ input: RuleInput) -> Finding? {
        let temperature = input.vitals.temperatureC
        let feverOrHypothermia = temperature.map { $0 >= 38 || $0 < 36 } ?? false
        guard feverOrHypothermia || input.matches(HighRiskConcepts.suspectedInfection) != nil else { return nil }
        let news2 = input.scores.news2?.total ?? 0
        let signal: String? = if news2 >= 5 { "NEWS2 \(news2) ≥ 5" }
            else if let index = input.scores.shockIndex, index.isElevated { "shock index \(formatted(index.value)) elevated" }
            else { nil }
        guard let signal else { return nil }
        return Finding(rule: "esi.b.possible_sepsis", summary: "Possible sepsis: suspected infection with \(signal)",
                       observed: signal, threshold: "NEWS2 ≥ 5 or shock index elevated", impliedLevel: .emergent,
                       source: "RCP NEWS2 2017 (think sepsis); ESI v4 handbook, decision point B")
    }
}
