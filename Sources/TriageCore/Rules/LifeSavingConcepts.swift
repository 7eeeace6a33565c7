/// Decision point A in text: notes that describe a patient needing an immediate life-saving
/// intervention (ESI v4 handbook, chapter 3, decision point A and its ESI 1 examples).
enum LifeSavingConcepts {
    static let source = "ESI v4 handbook, decision point A"

    /// Concepts that only stand when the patient is not measured alert: an alert patient is not in
    /// arrest or unresponsive now, so the text describes an earlier episode. A recent apnoea, collapse
    /// or seizure is still high risk (decision point B); a past cardiac arrest is history only.
    static let impairedConsciousness: [(concept: TextConcept, levelWhenAlert: ESILevel?)] = [
        (TextConcept("esi.a.text.cardiac_arrest", "cardiac or respiratory arrest", source: source, anyOf: [
            "cardiac arrest", "respiratory arrest", "no pulse", "pulseless", "cpr", "asystol*",
            "ventricular fibrillation", "vfib", "no signs of life",
        ]), nil),
        (TextConcept("esi.a.text.apnoea", "apnoea or agonal breathing", source: source, anyOf: [
            "apnoea", "apnea", "apnoeic", "apneic", "not breathing", "stopped breathing", "agonal",
        ]), .emergent),
        (TextConcept("esi.a.text.unresponsive", "unresponsive", source: source, anyOf: [
            "unresponsive", "unconscious", "unrousable", "not rousable", "responds only to pain",
            "no response to pain", "snoring respirations",
        ]), .emergent),
        (TextConcept("esi.a.text.seizure", "ongoing seizure", source: source, anyOf: [
            "seizing", "actively seizing", "status epilepticus", "ongoing seizure*", "continuous seizure*",
            "still fitting",
        ]), .emergent),
    ]

    static let always: [TextConcept] = [
        // Stridor with drooling, a muffled voice or a child who will not swallow: impending upper-airway
        // obstruction (APLS; ESI v4 handbook, decision point A: airway).
        TextConcept("esi.a.text.upper_airway", "stridor with drooling or unable to swallow: airway obstruction",
                    source: source + "; APLS upper airway obstruction", allOf: [
                        ["stridor", "noisy breathing"],
                        ["drooling", "muffled", "wont swallow", "cant swallow", "unable to swallow", "tripod*",
                         "leaning forward", "bolt upright"],
                    ]),
        // A prolapsed cord is relieved by hand now, before transfer (RCOG Green-top 50).
        TextConcept("esi.a.text.cord_prolapse", "umbilical cord prolapse", source: source + "; RCOG Green-top 50",
                    anyOf: ["cord prolapse", "prolapsed cord", "loop of cord", "cord visible", "cord is visible",
                            "cord hanging", "cord presenting"]),
        TextConcept("esi.a.text.anaphylaxis_airway", "anaphylaxis with airway compromise", source: source, allOf: [
            allergicExposure,
            ["stridor", "throat tight*", "throat closing", "throat swelling", "tongue swell*", "swollen tongue",
             "difficulty breathing", "wheez*", "hypotens*"],
        ]),
        TextConcept("esi.a.text.shock", "shock described", source: source, anyOf: [
            "septic shock", "anaphylactic shock", "cardiogenic shock", "hypovolaemic shock", "hypovolemic shock",
        ]),
        TextConcept("esi.a.text.haemorrhage", "uncontrolled haemorrhage", source: source, anyOf: [
            "uncontrolled bleeding", "uncontrolled haemorrhage", "uncontrolled hemorrhage", "massive bleeding",
            "arterial bleeding", "spurting",
        ]),
        TextConcept("esi.a.text.airway", "airway compromise", source: source, anyOf: [
            "airway compromise", "airway obstruction", "gurgling", "unable to swallow saliva",
        ]),
        // Stridor or hoarseness after smoke or a facial burn means the airway is swelling: secure it early.
        TextConcept("esi.a.text.inhalation_injury", "inhalation injury with stridor or hoarseness",
                    source: source + "; ATLS 10th ed., thermal injuries: early intubation", allOf: [
                        ["smoke inhalation", "singed", "soot", "house fire", "burning building", "facial burn*",
                         "burns to the face"],
                        ["stridor", "hoarse*", "voice change"],
                    ]),
    ]

    /// Signs of poor perfusion a triage nurse sees or feels (PALS: shock; NICE NG51 sepsis red flags).
    /// With altered mentation they mean decompensating shock: fluids and antibiotics now, not in minutes.
    static let hypoperfusion = TextConcept(
        "esi.a.text.hypoperfusion", "signs of poor perfusion",
        source: "ESI v4 handbook, decision point A: signs of hypoperfusion; PALS shock; NICE NG51 red flags", anyOf: [
            "cold peripher*", "peripherally cold", "cold extremities", "cold hands and feet", "cold and clammy",
            "cold clammy", "mottl*", "thready", "weak pulse*", "pulses weak", "prolonged cap*", "delayed cap*",
            "sluggish cap*", "crt prolonged", "prolonged crt", "cap refill prolonged", "capillary refill prolonged",
        ])

    /// Words for an allergic reaction in progress. Not "allergies", which notes use to list known allergies.
    static let allergicExposure = [
        "anaphyla*", "allergic reaction", "reaction to", "after eating", "peanut*", "shellfish", "bee sting",
        "wasp sting", "stung", "hives", "urticaria",
    ]

    /// Severe respiratory distress in words: life-saving with hypoxia, otherwise high risk.
    static let severeRespiratoryDistress = TextConcept(
        "esi.a.text.respiratory_distress", "severe respiratory distress",
        source: "ESI v4 handbook, decision point A: severe respiratory distress", anyOf: [
            "single words", "unable to speak", "cannot speak", "cant speak", "accessory muscle*", "cyanos*",
            "cyanotic", "blue lips", "gasping", "tripod*", "severe breathlessness", "severe respiratory distress",
            "grunting", "head bobbing",
            // BTS/SIGN 158: features of life-threatening asthma.
            "silent chest", "poor respiratory effort", "feeble respiratory effort", "lips blue", "see saw breathing",
            "seesaw breathing",
        ])
}
