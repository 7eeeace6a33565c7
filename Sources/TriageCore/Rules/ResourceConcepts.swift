/// Decision point C: the distinct resource types an ED typically uses (ESI v4 handbook, chapter 5, table 5-1).
///
/// History and examination, point-of-care tests, oral medicines, simple wound care, crutches/splints
/// and prescriptions are not resources, so nothing here stands for them.
enum ResourceType: String, Codable, Sendable, CaseIterable, Comparable {
    case labs
    case ecg = "ECG"
    case xray = "x-ray"
    case advancedImaging = "CT/MRI/US"
    case ivFluids = "IV fluids"
    case parenteralMedication = "IV/IM/nebulised medication"
    case specialtyConsult = "specialty consult"
    case simpleProcedure = "simple procedure"
    case complexProcedure = "complex procedure"

    /// A complex procedure (e.g. procedural sedation) counts as two resources.
    var weight: Int { self == .complexProcedure ? 2 : 1 }

    static func < (lhs: ResourceType, rhs: ResourceType) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// A phrase pattern that suggests one resource type will be needed.
struct ResourceConcept: Sendable {
    let resource: ResourceType
    let concept: TextConcept

    init(_ resource: ResourceType, ages: ClosedRange<Int> = 0...Int.max, allOf: [[String]]) {
        self.resource = resource
        concept = TextConcept("esi.c.\(resource.rawValue)", resource.rawValue,
                              source: "ESI v4 handbook, decision point C: resources",
                              ages: ages, allOf: allOf)
    }

    init(_ resource: ResourceType, ages: ClosedRange<Int> = 0...Int.max, anyOf: [String]) {
        self.init(resource, ages: ages, allOf: [anyOf])
    }
}

enum ResourceConcepts {
    static let abdominalPain = ["abdominal pain", "belly pain", "stomach pain", "tummy pain",
                                "flank pain", "pelvic pain", "quadrant pain", "epigastric", "renal colic",
                                "kidney stone*", "loin pain", "loin to groin", "belly hurts", "stomach hurts",
                                "tummy hurts", "abdomen hurts", "periumbilical", "right lower quadrant",
                                "right iliac fossa", "appendic*"]
    static let chestPain = HighRiskConcepts.chestPainWords
    static let breathing = ["short of breath", "shortness of breath", "breathless*", "dyspn*",
                            "difficulty breathing", "wheez*", "breathing fast", "fast breathing", "rapid breathing",
                            "recession", "retraction*", "nasal flaring", "working hard to breathe"]
    static let injury = ["fractur*", "deform*", "injur*", "fell", "fall", "fallen", "twist*", "inversion",
                         "sprain*", "outstretched hand", "unable to bear weight", "cannot bear weight",
                         "cant bear weight", "shortened", "externally rotated", "swollen joint", "dislocat*",
                         // Mechanisms in everyday words: a crushed or jammed finger, a kick or punch in an assault.
                         "jammed", "shut in", "caught in", "slammed", "crush*", "angulat*", "assault*", "kicked in",
                         "punched in", "beaten up", "got jumped"]
        + weightBearing
    static let weightBearing = ["unable to weight bear", "cannot weight bear", "cant weight bear", "non weight bearing",
                                "wont bear weight", "will not bear weight", "not bearing weight", "wont weight bear",
                                "refus* to walk", "refus* to weight bear", "refus* to bear weight", "wont walk",
                                "stopped walking", "limp*"]
    /// Suspected deep-vein thrombosis or pulmonary embolism: D-dimer and ultrasound or CT (NICE NG158).
    static let venousThrombosis = ["calf swelling", "calf pain", "swollen calf", "leg swelling", "swollen leg",
                                   "dvt", "pulmonary embol*", "blood clot", "arm swelling", "swollen arm", "arm swollen",
                                   "arm is swollen"]
    /// Signs of clinical dehydration in a child (NICE CG84).
    static let dehydration = ["dehydrat*", "dry lips", "lips dry", "dry mucous", "dry mouth", "sunken", "no tears",
                              "without tears", "few* wet", "dry nappy", "dry nappies", "no wet nappies",
                              "last wet nappy", "reduced urine"]
    /// An infected wound is swabbed (ESI v4 handbook: labs).
    static let woundInfection: [[String]] = [["wound", "incision", "scar", "stitches", "sutures"],
                                             ["red*", "ooz*", "pus", "discharg*", "infect*", "weeping"]]
    /// A hot swollen joint is aspirated, with bloods and an x-ray (BSR/BOA septic arthritis guideline 2006).
    static let hotSwollenJoint: [[String]] = [["knee", "joint", "ankle", "elbow", "wrist", "hip", "shoulder"],
                                              ["hot"], ["swollen", "swelling"]]
    /// A diabetic foot infection needs bloods, an x-ray for osteomyelitis and often IV antibiotics (NICE NG19).
    static let diabeticFootInfection: [[String]] = [["diabet*"], ["foot", "toe", "toes", "ulcer*"],
                                                    ["red*", "swollen", "pus", "ooz*", "infect*", "cellulitis"]]
    /// A cut over a knuckle from a punch is a human bite: x-ray and hand surgery (NICE CKS, human bites).
    static let fightBite: [[String]] = [["knuckle*"], ["punch*", "teeth", "tooth", "fight", "bite", "bitten"]]
    /// Foreign bodies removed in the ED, a simple procedure (ESI v4 handbook, resources table).
    static let foreignBody = ["foreign body", "splinter", "fish hook", "fishhook", "embedded", "ring stuck",
                              "stuck ring", "ring is stuck", "ring * stuck", "ring * tight", "tight ring", "ring cutter"]
    static let gastrointestinalBleeding = HighRiskConcepts.gastrointestinalBleedWords
    static let reducedFetalMovements = ["reduced fetal movement*", "reduced foetal movement*", "baby moving less",
                                        "fewer fetal movements", "baby not moving", "fetal movements reduced"]
    static let hipFractureSigns = weightBearing + ["unable to bear weight", "cannot bear weight", "cant bear weight",
                                                   "shortened", "externally rotated"]
    /// Oral treatment that did not work: the next step is usually parenteral.
    static let failedOralTreatment = ["failed", "not helped", "no relief", "not relieved", "didnt help",
                                      "did not help", "not improving", "getting worse despite",
                                      "unable to keep * down", "cant keep * down", "not keeping * down", "despite",
                                      "without relief", "without effect", "not working", "didnt work"]
    /// Bleeding on an anticoagulant: the INR or anti-Xa level is checked (NICE CKS, anticoagulation: bleeding).
    static let anticoagulatedBleeding: [[String]] = [HighRiskConcepts.anticoagulants,
                                                     ["bleed*", "nosebleed", "epistaxis", "blood"]]
    /// Urethral discharge: a NAAT and intramuscular ceftriaxone for gonorrhoea (CDC STI treatment guidelines 2021).
    static let urethritis: [[String]] = [["penile", "urethral", "sti", "std", "drip", "gonorr*", "chlamydia"],
                                         ["discharge", "drip", "dysuria", "burning"]]
    /// Fever or offensive lochia after birth: bloods, IV antibiotics and an obstetric review (RCOG Green-top
    /// 64b, bacterial sepsis following pregnancy, 2012).
    static let puerperalInfection: [[String]] = [["postpartum", "post partum", "postnatal", "after delivery",
                                                  "after birth", "since delivery", "since giving birth", "c section*",
                                                  "caesarean", "cesarean", "lochia"],
                                                 ["fever*", "febrile", "temperature", "foul*", "offensive", "smelly",
                                                  "bad smelling"]]

    static let all: [ResourceConcept] = [
        ResourceConcept(.labs, anyOf: abdominalPain + chestPain + gastrointestinalBleeding + venousThrombosis + [
            "dysuria", "burning on urination", "urinary", "urine", "haematuria", "hematuria", "weak*", "dizz*",
            "lightheaded", "faint*", "syncop*", "collapse*", "palpitation*", "racing heart", "heart racing",
            "confus*", "letharg*", "overdos*", "ingest*", "poison*", "pregnan*", "vaginal bleed*", "jaundice*",
            "diabet*", "glucose", "sepsis", "septic", "cellulitis", "rigor*", "chemo*", "projectile vomit*",
            "long lie", "found on the floor", "miscarr*",
        ] + dehydration),
        ResourceConcept(.labs, allOf: woundInfection),
        ResourceConcept(.labs, allOf: hotSwollenJoint),
        ResourceConcept(.labs, allOf: diabeticFootInfection),
        ResourceConcept(.labs, allOf: anticoagulatedBleeding),
        ResourceConcept(.labs, allOf: urethritis),
        ResourceConcept(.labs, allOf: puerperalInfection),
        // Children with wheeze or breathlessness need no routine bloods or chest x-ray (BTS/SIGN 158; BTS
        // paediatric pneumonia guideline); hypoxia brings both back at any age.
        ResourceConcept(.labs, ages: 16...Int.max, anyOf: breathing),
        ResourceConcept(.labs, ages: 12...Int.max, anyOf: ["vomit*", "diarrh*"]),
        // A febrile child who will not bear weight has septic arthritis until bloods say otherwise (Kocher et al.
        // 1999: fever, non-weight-bearing, ESR and white count).
        ResourceConcept(.labs, ages: 0...17, allOf: [weightBearing, ["fever*", "febrile", "pyrexi*", "temperature"]]),
        ResourceConcept(.ecg, anyOf: chestPain + [
            "palpitation*", "racing heart", "heart racing", "irregular heart*", "irregular pulse", "syncop*",
            "fainted", "collapse*", "passed out", "overdos*",
        ]),
        ResourceConcept(.ecg, ages: 40...Int.max, anyOf: breathing + ["dizz*", "weak*", "lightheaded"]),
        ResourceConcept(.xray, anyOf: injury + chestPain + [
            "productive cough", "pneumonia", "foreign body", "nail gun", "nail fired", "metal fragment*", "shrapnel",
        ]),
        ResourceConcept(.xray, allOf: hotSwollenJoint),
        ResourceConcept(.xray, allOf: diabeticFootInfection),
        ResourceConcept(.xray, allOf: fightBite),
        ResourceConcept(.xray, ages: 16...Int.max, anyOf: breathing),
        // Swallowed coins, magnets and batteries are located on x-ray (NICE CKS, foreign body ingestion).
        ResourceConcept(.xray, allOf: [["swallow*", "ingest*", "ate", "eaten"],
                                       ["coin*", "magnet*", "battery", "batteries", "marble*", "foreign body"]]),
        ResourceConcept(.xray, ages: 16...Int.max, allOf: [["cough*"], ["fever*", "febrile"]]),
        // Glass in a wound is looked for on x-ray.
        ResourceConcept(.xray, allOf: [["glass"], ["cut*", "lacerat*", "wound*", "gash*"]]),
        ResourceConcept(.advancedImaging, anyOf: abdominalPain + [
            "right lower quadrant", "right upper quadrant", "testic*", "scrot*", "stroke",
            "slurred speech", "facial droop", "worst headache", "thunderclap", "appendic*", "gallbladder",
            "biliary", "aneurysm", "dissection", "tearing pain", "tearing chest", "projectile vomit*",
        ] + venousThrombosis),
        // Bleeding or pain in pregnancy needs an ultrasound (NICE NG126); so do reduced fetal movements
        // (RCOG Green-top 57), with an obstetric review.
        ResourceConcept(.advancedImaging, allOf: [["pregnan*", "miscarr*"], ["bleed*", "pain", "spotting"]]),
        ResourceConcept(.advancedImaging, anyOf: reducedFetalMovements),
        ResourceConcept(.advancedImaging, allOf: [
            ["head"],
            ["loss of consciousness", "lost consciousness", "knocked out", "vomit*", "warfarin", "anticoag*",
             "blood thinner*", "confus*", "amnesia"],
        ]),
        ResourceConcept(.ivFluids, anyOf: gastrointestinalBleeding + dehydration + [
            "sepsis", "septic", "dka", "ketoacidosis", "meter reads high",
        ]),
        ResourceConcept(.ivFluids, allOf: [["vomit*", "nause*"], ["diarrh*"] + failedOralTreatment]),
        ResourceConcept(.parenteralMedication, anyOf: [
            "wheez*", "nebul*", "fractur*", "deform*", "shortened", "externally rotated", "dislocat*",
            "renal colic", "kidney stone*", "loin to groin", "anaphyla*", "sickle cell", "angulat*",
        ]),
        ResourceConcept(.parenteralMedication, allOf: urethritis),
        ResourceConcept(.parenteralMedication, allOf: puerperalInfection),
        ResourceConcept(.parenteralMedication, ages: 12...Int.max, anyOf: ["vomit*"]),
        ResourceConcept(.parenteralMedication, allOf: diabeticFootInfection),
        ResourceConcept(.parenteralMedication, allOf: [
            ["pain", "headache", "migraine", "medication", "tablets", "analgesi*", "antibiotic*", "oral"],
            failedOralTreatment,
        ]),
        ResourceConcept(.specialtyConsult, anyOf: [
            "externally rotated", "hip fracture", "neck of femur", "open fracture", "suicid*", "psychos*",
            "hallucinat*", "testic*", "torsion", "ectopic", "vision loss", "low mood", "depress*",
            "mental health", "tendon", "cant bend", "unable to bend", "cannot bend", "cant straighten",
            "unable to straighten", "schizophreni*", "bipolar", "paranoi*", "delusion*", "catatoni*", "emergency hold",
            "involuntary hold",
        ] + reducedFetalMovements),
        ResourceConcept(.specialtyConsult, allOf: puerperalInfection),
        ResourceConcept(.specialtyConsult, allOf: fightBite),
        // NICE CG124 (adults): a suspected hip fracture gets orthopaedic care and parenteral analgesia or a nerve block.
        ResourceConcept(.specialtyConsult, ages: 18...Int.max, allOf: [["hip", "groin"], hipFractureSigns]),
        ResourceConcept(.parenteralMedication, ages: 18...Int.max, allOf: [["hip", "groin"], hipFractureSigns]),
        ResourceConcept(.simpleProcedure, anyOf: [
            "lacerat*", "gash", "deep cut", "needs stitches", "need stitches", "needs sutures", "catheter",
            "urinary retention", "unable to pass urine", "abscess", "nosebleed", "epistaxis", "ingrown*", "ingrowing",
            "paronychia",
            // Reduction of a pulled elbow (radial head subluxation).
            "pulled elbow", "nursemaid*", "radial head subluxation", "pulled up by the hand", "pulled up by the arm",
            "pulled by the hand", "pulled by the arm",
        ] + foreignBody),
        ResourceConcept(.simpleProcedure, allOf: hotSwollenJoint),
        // Objects pushed into a nose or ear are removed in the ED (ESI v4 handbook: simple procedure).
        ResourceConcept(.simpleProcedure, allOf: [["nose", "nostril", "ear"],
                                                  ["bead*", "stuck", "pushed", "inserted", "button", "toy", "pea", "peas",
                                                   "stone", "crayon"]]),
        ResourceConcept(.simpleProcedure, allOf: [["eye"], ["grinding", "metal", "something in", "splinter", "rust"]]),
        ResourceConcept(.complexProcedure, anyOf: [
            "dislocat*", "procedural sedation", "chest drain", "chest tube",
        ]),
    ]
}
