/// Decision point D: danger-zone vital signs and fever in young infants (ESI v4 handbook, chapter 3, D,
/// and the paediatric fever criteria).
enum DangerZoneRules {
    static let source = "ESI v4 handbook, decision point D: danger-zone vital signs"

    /// Vitals that make the nurse consider up-triaging an ESI 3 to ESI 2; `applied` says whether they did.
    static func findings(_ input: RuleInput, applied: Bool) -> [Finding] {
        let band = input.ageBand
        let vitals = input.vitals
        let level: ESILevel? = applied ? .emergent : nil
        var findings: [Finding] = []
        if let rate = vitals.heartRate, rate > band.heartRateLimit {
            findings.append(Finding(rule: "esi.d.danger_zone.hr",
                                    summary: "HR \(formatted(rate))/min > \(formatted(band.heartRateLimit)): ESI danger zone for \(band.label)",
                                    observed: "HR \(formatted(rate))/min", threshold: "> \(formatted(band.heartRateLimit))/min",
                                    impliedLevel: level, source: source))
        }
        if let rate = vitals.respiratoryRate, rate > band.respiratoryRateLimit {
            findings.append(Finding(rule: "esi.d.danger_zone.rr",
                                    summary: "RR \(formatted(rate))/min > \(formatted(band.respiratoryRateLimit)): ESI danger zone for \(band.label)",
                                    observed: "RR \(formatted(rate))/min", threshold: "> \(formatted(band.respiratoryRateLimit))/min",
                                    impliedLevel: level, source: source))
        }
        if let saturation = vitals.spo2, saturation < 92 {
            findings.append(Finding(rule: "esi.d.danger_zone.spo2",
                                    summary: "SpO2 \(formatted(saturation)) % < 92: ESI danger zone (any age)",
                                    observed: "SpO2 \(formatted(saturation)) %", threshold: "< 92 %",
                                    impliedLevel: level, source: source))
        }
        if let fever = youngInfantFever(input) {
            findings.append(Finding(rule: "esi.d.infant_fever_29_90d",
                                    summary: "\(fever) at \(input.age.description) (29–90 days): consider ESI 2",
                                    observed: fever, threshold: "≥ 38.0 °C", impliedLevel: level,
                                    source: "ESI v4 handbook, paediatric fever criteria"))
        }
        return findings
    }

    /// Danger-zone vitals at a proposed ESI 4–5 decide nothing: the handbook asks decision point D only of
    /// patients expected to need two or more resources, and even there up-triage is the experienced nurse's
    /// call (ESI v4 handbook, decision point D). Raising every 0–1 resource patient with one abnormal value
    /// would over-triage anxious, febrile or in-pain patients. They are never silent either: this finding
    /// leads the list, names them and asks the nurse to consider a more urgent level.
    static func review(_ dangerZone: [Finding], proposed level: ESILevel) -> Finding? {
        guard level > .urgent, !dangerZone.isEmpty else { return nil }
        let observed = dangerZone.compactMap(\.observed).joined(separator: ", ")
        return Finding(rule: "esi.d.danger_zone.review",
                       summary: "Danger-zone vital signs (\(observed)) at a proposed \(level): consider a more urgent level",
                       observed: observed, threshold: "ESI danger zone for age",
                       source: source + " (advisory below 2 resources; the nurse decides)")
    }

    /// Temp ≥ 38.0 °C at 29–90 days.
    static func youngInfantFever(_ input: RuleInput) -> String? {
        guard (29...90).contains(input.age.days), let temperature = input.vitals.temperatureC, temperature >= 38
        else { return nil }
        return "Temp \(formatted(temperature)) °C ≥ 38.0"
    }

    /// Fever at ≤ 28 days is ESI 2 whatever else is found. A fever reported in words counts when no
    /// temperature was taken, since a neonate's reported fever is treated as real.
    static func neonatalFever(_ input: RuleInput) -> Finding? {
        guard input.age.days <= 28 else { return nil }
        let observed: String
        if let temperature = input.vitals.temperatureC {
            guard temperature >= 38 else { return nil }
            observed = "Temp \(formatted(temperature)) °C ≥ 38.0"
        } else {
            guard input.text.contains(anyOf: ["fever*", "febrile"]) else { return nil }
            observed = "Fever reported, not measured"
        }
        return Finding(rule: "esi.d.neonatal_fever", summary: "\(observed) at \(input.age.description) (≤ 28 days): neonatal fever → ESI 2",
                       observed: observed, threshold: "≥ 38.0 °C at ≤ 28 days", impliedLevel: .emergent,
                       source: "ESI v4 handbook, paediatric fever criteria")
    }

    /// Findings that put a floor of ESI 3 under the resource count: NEWS2 5–6 (RCP 2017: urgent response),
    /// PEWS 4 or a component at 3 (Brighton: urgent medical review; ≥ 5 is decision point B) and fever
    /// > 39 °C at 3–36 months (ESI v4 handbook: consider ESI 3).
    static func urgentFloor(_ input: RuleInput) -> [Finding] {
        var findings: [Finding] = []
        if let news2 = input.scores.news2, (5...6).contains(news2.total) {
            findings.append(Finding(rule: "news2.medium", summary: "NEWS2 \(news2.total) ≥ 5: medium clinical risk, urgent review → at least ESI 3",
                                    observed: "NEWS2 \(news2.total)", threshold: "5–6", impliedLevel: .urgent,
                                    source: "RCP NEWS2 2017, clinical response thresholds"))
        }
        if let pews = input.scores.pews, pews.total == 4 || (pews.total < 5 && pews.hasMaximalComponent) {
            findings.append(Finding(rule: "pews.medium", summary: "PEWS \(pews.total)\(pews.hasMaximalComponent ? " with a component at 3" : ""): urgent medical review → at least ESI 3",
                                    observed: "PEWS \(pews.total)", threshold: "4, or 3 in one component", impliedLevel: .urgent,
                                    source: PEWSCalculator.source))
        }
        if (91...(3 * 365 + 1)).contains(input.age.days), let temperature = input.vitals.temperatureC, temperature > 39 {
            findings.append(Finding(rule: "esi.d.toddler_fever", summary: "Temp \(formatted(temperature)) °C > 39 at \(input.age.description) (3–36 months): at least ESI 3",
                                    observed: "Temp \(formatted(temperature)) °C", threshold: "> 39.0 °C", impliedLevel: .urgent,
                                    source: "ESI v4 handbook, paediatric fever criteria"))
        }
        return findings
    }
}
