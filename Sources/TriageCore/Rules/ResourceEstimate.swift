/// Decision point C: which distinct resource types the presentation will likely need
/// (ESI v4 handbook, chapter 5: count types, not individual tests).
struct ResourceEstimate: Sendable {
    /// Each expected type with the evidence that suggested it first.
    let evidence: [ResourceType: String]

    init(_ input: RuleInput) {
        var evidence: [ResourceType: String] = [:]
        for concept in ResourceConcepts.all where evidence[concept.resource] == nil {
            if let phrases = input.matches(concept.concept) {
                evidence[concept.resource] = TextConcept.evidence(phrases)
            }
        }
        for (resource, reason) in Self.fromVitalSigns(input) where evidence[resource] == nil {
            evidence[resource] = reason
        }
        self.evidence = evidence
    }

    /// Work-ups expected regardless of wording: hypoxia (SpO2 < 92 %) needs labs and a chest x-ray;
    /// a febrile infant ≤ 90 days needs labs and parenteral antibiotics; a febrile adult ≥ 65 y needs
    /// labs and a chest x-ray.
    static func fromVitalSigns(_ input: RuleInput) -> [(ResourceType, String)] {
        var needs: [(ResourceType, String)] = []
        if let saturation = input.vitals.spo2, saturation < 92 {
            let reason = "SpO2 \(formatted(saturation)) %"
            needs += [(.labs, reason), (.xray, reason)]
        }
        if let temperature = input.vitals.temperatureC, temperature >= 38 {
            let reason = "temp \(formatted(temperature)) °C at \(input.age.description)"
            if input.age.days <= 90 { needs += [(.labs, reason), (.parenteralMedication, reason)] }
            if input.age.years >= 65 { needs += [(.labs, reason), (.xray, reason)] }
        }
        return needs
    }

    var types: [ResourceType] { evidence.keys.sorted() }

    /// Distinct types, a complex procedure counting twice.
    var count: Int { evidence.keys.reduce(0) { $0 + $1.weight } }

    /// ≥ 2 resources → ESI 3, one → ESI 4, none → ESI 5.
    var level: ESILevel {
        switch count {
        case 0: .nonUrgent
        case 1: .lessUrgent
        default: .urgent
        }
    }

    var finding: Finding {
        let list = types.map { "\($0.rawValue) \(evidence[$0]!)" }.joined(separator: "; ")
        let summary = count == 0
            ? "No ED resources expected → \(level)"
            : "\(count) resource\(count == 1 ? "" : "s") expected (\(list)) → \(level)"
        return Finding(rule: "esi.c.resources", summary: summary, observed: "\(count)",
                       threshold: "≥ 2 → ESI 3, 1 → ESI 4, 0 → ESI 5", impliedLevel: level,
                       source: "ESI v4 handbook, decision point C: resources")
    }
}
