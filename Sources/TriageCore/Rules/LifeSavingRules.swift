/// Decision point A: does the patient need an immediate life-saving intervention? (ESI v4 handbook, chapter 3)
enum LifeSavingRules {
    static let source = "ESI v4 handbook, decision point A"

    /// Findings that call for ESI 1, plus high-risk findings for text that an alert patient contradicts.
    static func evaluate(_ input: RuleInput) -> (lifeSaving: [Finding], downgraded: [Finding]) {
        var lifeSaving = vitalSignFindings(input)
        var downgraded: [Finding] = []
        for (concept, levelWhenAlert) in LifeSavingConcepts.impairedConsciousness {
            guard let phrases = input.matches(concept) else { continue }
            if input.isMeasuredAlert {
                downgraded.append(input.textFinding(concept, phrases, level: levelWhenAlert,
                                                    prefix: "Mentioned, but now measured alert: "))
            } else {
                lifeSaving.append(input.textFinding(concept, phrases, level: .resuscitation))
            }
        }
        for concept in LifeSavingConcepts.always {
            if let phrases = input.matches(concept) {
                lifeSaving.append(input.textFinding(concept, phrases, level: .resuscitation))
            }
        }
        if let phrases = input.matches(LifeSavingConcepts.severeRespiratoryDistress) {
            let hypoxic = (input.vitals.spo2 ?? 100) < 90 || isSevereTachypnoea(input)
            let finding = input.textFinding(LifeSavingConcepts.severeRespiratoryDistress, phrases,
                                            level: hypoxic ? .resuscitation : .emergent)
            if hypoxic { lifeSaving.append(finding) } else { downgraded.append(finding) }
        }
        return (lifeSaving, downgraded)
    }

    /// RR at least 10/min above the age band's danger zone (≥ 30/min over 8 y): a sign of severe distress.
    static func isSevereTachypnoea(_ input: RuleInput) -> Bool {
        guard let rate = input.vitals.respiratoryRate else { return false }
        return rate >= input.ageBand.respiratoryRateLimit + 10
    }

    static func vitalSignFindings(_ input: RuleInput) -> [Finding] {
        let vitals = input.vitals
        var findings: [Finding] = []
        func add(_ rule: String, _ summary: String, _ observed: String, _ threshold: String) {
            findings.append(Finding(rule: "esi.a.\(rule)", summary: summary, observed: observed,
                                    threshold: threshold, impliedLevel: .resuscitation, source: source))
        }
        // The handbook counts P and U on AVPU as unresponsive; GCS ≤ 8 means the airway is unprotected.
        if let level = vitals.consciousness, level == .pain || level == .unresponsive {
            add("unresponsive", "AVPU \(level.rawValue): responds to pain only or unresponsive",
                "AVPU \(level.rawValue)", "P or U")
        } else if let gcs = vitals.gcs, gcs <= 8 {
            add("unresponsive", "GCS \(gcs) ≤ 8: unresponsive, airway at risk", "GCS \(gcs)", "≤ 8")
        }
        if let rate = vitals.respiratoryRate, rate < 8 {
            add("apnoea", "RR \(formatted(rate))/min < 8: apnoea or bradypnoea needs ventilatory support",
                "RR \(formatted(rate))/min", "< 8/min")
        }
        if let rate = vitals.heartRate, rate == 0 {
            add("pulseless", "HR 0/min: pulseless", "HR 0/min", "= 0")
        }
        if let saturation = vitals.spo2, saturation < 90, isSevereTachypnoea(input) {
            add("hypoxic_distress",
                "SpO2 \(formatted(saturation)) % < 90 with RR \(formatted(vitals.respiratoryRate ?? 0))/min: severe respiratory distress",
                "SpO2 \(formatted(saturation)) %", "< 90 % with severe tachypnoea")
        }
        if let shock = shockFinding(input) { findings.append(shock) } else if let perfusion = perfusionFinding(input) {
            findings.append(perfusion)
        }
        return findings
    }

    /// Poor perfusion described with altered mentation (ACVPU C or V, GCS ≤ 13, or confusion in words):
    /// the brain is no longer perfused well enough, whatever the pressure reads (PALS: decompensated shock).
    static func perfusionFinding(_ input: RuleInput) -> Finding? {
        guard let signs = input.matches(LifeSavingConcepts.hypoperfusion) else { return nil }
        let measuredAltered = NEWS2Calculator.isAlert(input.vitals) == false || (input.vitals.gcs ?? 15) <= 13
        guard measuredAltered || input.matches(HighRiskConcepts.alteredMentation) != nil else { return nil }
        return input.textFinding(LifeSavingConcepts.hypoperfusion, signs, level: .resuscitation,
                                 prefix: "altered mentation with ")
    }

    /// Shock: SBP < 80 mmHg from 10 y, or below the age's hypotension limit with an elevated shock index
    /// or altered mentation; under 10 y any hypotension (PALS limits).
    static func shockFinding(_ input: RuleInput) -> Finding? {
        guard let systolic = input.vitals.systolicBP, let threshold = shockThreshold(input, systolic: systolic)
        else { return nil }
        let observed = "SBP \(formatted(systolic)) mmHg"
        return Finding(rule: "esi.a.shock", summary: "\(observed) \(threshold): shock, needs immediate resuscitation",
                       observed: observed, threshold: threshold, impliedLevel: .resuscitation,
                       source: source + "; PALS hypotension limits; shock index (Allgöwer & Burri 1967)")
    }

    /// The shock criterion the systolic pressure meets, in words, or nil.
    private static func shockThreshold(_ input: RuleInput, systolic: Double) -> String? {
        let limit = input.age.hypotensionLimit
        guard input.age.years >= 10 else {
            return systolic < limit ? "< \(formatted(limit)) mmHg (hypotension for age)" : nil
        }
        if systolic < 80 { return "< 80 mmHg" }
        guard systolic < limit else { return nil }
        if let index = input.scores.shockIndex, index.isElevated {
            return "< \(formatted(limit)) mmHg with shock index \(formatted(index.value))"
        }
        return NEWS2Calculator.isAlert(input.vitals) == false
            ? "< \(formatted(limit)) mmHg with altered mentation" : nil
    }
}
