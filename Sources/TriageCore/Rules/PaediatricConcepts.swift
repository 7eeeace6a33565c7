/// Decision point B in children: what the ESI v4 handbook's paediatric chapter lists as high-risk, in the
/// words of the guidelines it rests on.
enum PaediatricConcepts {
    /// Chest-wall indrawing in its usual names (Dieckmann et al. 2010; NICE NG9).
    static let recessionWords = [
        "recession", "recessing", "retraction*", "indrawing", "in drawing", "subcostal", "intercostal",
        "suprasternal", "tracheal tug",
    ]

    static let highRisk: [TextConcept] = [
        TextConcept("esi.b.paed.work_of_breathing", "abnormal work of breathing in a child: respiratory distress",
                    source: "Paediatric assessment triangle, Dieckmann et al. 2010; ESI v4 handbook, paediatric high-risk",
                    ages: 0...17, anyOf: recessionWords + [
                        "stridor at rest", "grunt*", "nasal flaring", "flaring", "head bobbing", "see saw", "seesaw",
                        "increased work of breathing", "working hard to breathe",
                        // The same signs in parents' words.
                        "sucking in", "caving in", "pulling in under", "ribs showing", "noisy breathing * at rest",
                        "noisy breathing even when",
                    ]),
        TextConcept("esi.b.paed.red_feature", "NICE red feature for serious illness in a young child",
                    source: "NICE NG143 traffic-light system, red features; ESI v4 handbook, paediatric high-risk",
                    ages: 0...4, anyOf: [
                        "mottl*", "ashen", "grey", "gray", "blue lips", "lips blue", "high pitched cry", "weak cry",
                        "continuous cry", "not waking", "wont wake", "does not wake", "doesnt wake",
                        "not staying awake", "no response to social cues", "not responding to parents",
                        "bulging fontanelle", "fontanelle bulging", "non blanching", "reduced skin turgor",
                        "neck stiff*", "stiff neck",
                    ]),
        // Green vomit in an infant is malrotation with volvulus until proven otherwise (APLS; BAPS).
        TextConcept("esi.b.paed.bilious_vomiting", "bilious (green) vomiting in an infant",
                    source: "APLS 6th ed., the surgical infant; ESI v4 handbook, paediatric high-risk", ages: 0...1,
                    allOf: [["vomit*", "sick", "posset*"], ["green", "bilious", "bile"]]),
        TextConcept("esi.b.paed.maltreatment", "injury pattern or history that suggests maltreatment",
                    source: "NICE CG89 child maltreatment; ESI v4 handbook, high-risk: suspected abuse",
                    ages: 0...17, anyOf: [
                        "non accidental", "nai", "suspected abuse", "physical abuse", "child abuse", "safeguarding concern*",
                        "inconsistent with", "not consistent with", "doesnt fit", "does not fit", "doesnt match",
                        "does not match", "unexplained bruis*", "unexplained injur*", "immersion", "stocking",
                        "glove and stocking",
                        // Alerting features of the history: delay in seeking care, a vague or changing account.
                        "delay in care", "delay in seeking care", "delay in presentation", "delayed presentation",
                        "story vague", "vague story", "history vague", "vague history", "story is vague",
                        "changing story", "story changed", "story keeps changing", "implausible",
                    ]),
        // A brief resolved unexplained event in an infant: cyanosis, limpness or stopped breathing. Under
        // 60 days, preterm, or more than once it is never lower-risk (AAP BRUE guideline, Tieder et al. 2016).
        TextConcept("esi.b.paed.brue", "infant who went blue, limp or stopped breathing: brief resolved unexplained event",
                    source: "AAP clinical practice guideline on BRUE (Tieder et al. Pediatrics 2016); ESI v4 handbook, paediatric high-risk",
                    ages: 0...0, anyOf: [
                        "brue", "alte", "turned blue", "went blue", "going blue", "blue around * lips", "blue around",
                        "went limp", "gone limp", "went floppy", "went stiff and blue", "stopped breathing", "apnoea*",
                        "apnea*", "apnoeic", "apneic",
                    ]),
        TextConcept("esi.b.paed.maltreatment", "bruising of torso, ears or neck under 4 years (TEN-4)",
                    source: "TEN-4 bruising rule, Pierce et al. Pediatrics 2010; NICE CG89", ages: 0...3, allOf: [
                        ["bruis*"], ["torso", "ear", "ears", "neck", "chest", "abdomen", "back", "buttock*", "genital*"],
                    ]),
        TextConcept("esi.b.paed.one_pill_can_kill",
                    "young child exposed to a drug that can kill in one or two doses",
                    source: "Bar-Oz et al. Paediatr Drugs 2004, one pill can kill; Goldfrank's Toxicologic Emergencies",
                    ages: 0...5, allOf: [
                        [
                            "amlodipine", "nifedipine", "felodipine", "verapamil", "diltiazem", "propranolol",
                            "metoprolol", "atenolol", "bisoprolol", "calcium channel blocker*", "beta blocker*",
                            "amitriptyline", "nortriptyline", "imipramine", "clomipramine", "dosulepin",
                            "tricyclic*", "methadone", "buprenorphine", "oxycodone", "morphine", "fentanyl",
                            "tramadol", "codeine", "opioid*", "gliclazide", "glibenclamide", "glipizide",
                            "sulfonylurea*", "sulphonylurea*", "clonidine", "flecainide", "chloroquine",
                            "hydroxychloroquine", "camphor", "methyl salicylate", "wintergreen", "iron tablets",
                        ],
                        [
                            "missing", "swallow*", "ate", "eaten", "chew*", "found with", "got into", "ingest*",
                            "took", "taken", "in his mouth", "in her mouth", "bit*", "sucking",
                        ],
                    ]),
    ]
}
