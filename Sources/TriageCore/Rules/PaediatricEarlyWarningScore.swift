/// Brighton PEWS (Monaghan, Paediatr Nurs 2005): behaviour, cardiovascular and respiratory, 0–3 each, plus 2
/// for back-to-back nebulisers. Rates are scored against the APLS normal ranges for age; what triage cannot
/// measure (colour, recession, grunting, behaviour) is read from the note, and a component with nothing
/// recorded is left out rather than assumed normal.
enum PEWSCalculator {
    static let source = "Brighton PEWS, Monaghan 2005; APLS normal ranges for age"

    static func score(_ vitals: Vitals, age: PatientAge, text: ClinicalText) -> PEWSScore? {
        let normal = NormalRanges(age)
        var sub: [String: Int] = [:]
        sub["behaviour"] = behaviourPoints(vitals, text: text)
        sub["cardiovascular"] = maximum(vitals.heartRate.map { heartRatePoints($0, normal: normal) },
                                        PEWSConcepts.points(PEWSConcepts.colour, in: text, age: age))
        let breathing = PEWSConcepts.points(PEWSConcepts.workOfBreathing, in: text, age: age)
        sub["respiratory"] = maximum(vitals.respiratoryRate.map { respiratoryRatePoints($0, normal: normal, laboured: breathing != nil) },
                                     breathing, vitals.onOxygen.map { $0 ? 1 : 0 })
        if PEWSConcepts.frequentNebulisers.match(text, age: age) != nil { sub["nebulisers"] = 2 }
        guard !sub.isEmpty else { return nil }
        return PEWSScore(subScores: sub, total: sub.values.reduce(0, +),
                         hasMaximalComponent: sub.contains { $0.key != "nebulisers" && $0.value == 3 })
    }

    /// The largest of the recorded values, nil when none was recorded.
    private static func maximum(_ values: Int?...) -> Int? { values.compactMap { $0 }.max() }

    /// ACVPU below A or GCS < 15 is "lethargic/confused, reduced response to pain" (3); otherwise the note's words.
    static func behaviourPoints(_ vitals: Vitals, text: ClinicalText) -> Int? {
        if NEWS2Calculator.isAlert(vitals) == false || (vitals.gcs ?? 15) < 15 { return 3 }
        let described = PEWSConcepts.points(PEWSConcepts.behaviour, in: text, age: .years(0))
        return described ?? (NEWS2Calculator.isAlert(vitals) == true ? 0 : nil)
    }

    /// 20 above the normal rate scores 2, 30 above or bradycardia 3.
    static func heartRatePoints(_ rate: Double, normal: NormalRanges) -> Int {
        if rate >= normal.heartRate.upperBound + 30 || rate < normal.heartRate.lowerBound { return 3 }
        return rate >= normal.heartRate.upperBound + 20 ? 2 : 0
    }

    /// 10 above normal scores 1, 20 above 2; 5 below normal with laboured breathing 3 (a tiring child).
    static func respiratoryRatePoints(_ rate: Double, normal: NormalRanges, laboured: Bool) -> Int {
        if laboured && rate <= normal.respiratoryRate.lowerBound - 5 { return 3 }
        if rate >= normal.respiratoryRate.upperBound + 20 { return 2 }
        return rate >= normal.respiratoryRate.upperBound + 10 ? 1 : 0
    }

    /// Normal heart and respiratory rates by age (APLS, 5th edition).
    struct NormalRanges {
        let heartRate: ClosedRange<Double>
        let respiratoryRate: ClosedRange<Double>

        init(_ age: PatientAge) {
            switch age.years {
            case ..<1: (heartRate, respiratoryRate) = (110...160, 30...40)
            case ..<2: (heartRate, respiratoryRate) = (100...150, 25...35)
            case ..<5: (heartRate, respiratoryRate) = (95...140, 25...30)
            case ...12: (heartRate, respiratoryRate) = (80...120, 20...25)
            default: (heartRate, respiratoryRate) = (60...100, 15...20)
            }
        }
    }
}

/// The Brighton PEWS descriptors that triage records in words, each with its points.
enum PEWSConcepts {
    static let source = PEWSCalculator.source

    static let behaviour: [(points: Int, concept: TextConcept)] = [
        (3, HighRiskConcepts.alteredMentation),
        (2, TextConcept("pews.irritable", "irritable", source: source, anyOf: [
            "irritab*", "inconsolable", "wont settle", "will not settle", "cant settle",
        ])),
        (1, TextConcept("pews.sleeping", "sleeping", source: source, anyOf: ["sleepy", "sleepier", "asleep"])),
        (0, TextConcept("pews.playing", "playing", source: source, anyOf: [
            "playing", "smiling", "running around", "active", "interactive", "happy",
        ])),
    ]

    static let colour: [(points: Int, concept: TextConcept)] = [
        (3, TextConcept("pews.mottled", "grey and mottled", source: source, anyOf: ["mottl*"])),
        (2, TextConcept("pews.grey", "grey", source: source, anyOf: ["grey", "gray", "ashen", "dusky"])),
        (1, TextConcept("pews.pale", "pale", source: source, anyOf: ["pale", "pallor"])),
    ]

    static let workOfBreathing: [(points: Int, concept: TextConcept)] = [
        (3, TextConcept("pews.grunting", "sternal recession or grunting", source: source, anyOf: [
            "grunt*", "sternal recession", "sternal retraction*", "see saw", "seesaw",
        ])),
        (2, TextConcept("pews.recession", "recession or tracheal tug", source: source,
                        anyOf: PaediatricConcepts.recessionWords)),
        (1, TextConcept("pews.accessory_muscles", "using accessory muscles", source: source, anyOf: [
            "accessory muscle*", "nasal flaring", "flaring",
        ])),
    ]

    static let frequentNebulisers = TextConcept("pews.nebulisers", "back-to-back nebulisers", source: source, anyOf: [
        "back to back neb*", "continuous neb*", "back to back salbutamol", "continuous salbutamol",
    ])

    /// Points of the most severe descriptor the note affirms, nil when it names none.
    static func points(_ table: [(points: Int, concept: TextConcept)], in text: ClinicalText, age: PatientAge) -> Int? {
        table.first { $0.concept.match(text, age: age) != nil }?.points
    }
}
