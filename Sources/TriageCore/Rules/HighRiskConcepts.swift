/// Decision point B in text: high-risk situations, one concept per handbook idea
/// (ESI v4 handbook, chapter 4, "high-risk situations" and its ESI 2 examples).
enum HighRiskConcepts {
    static let source = "ESI v4 handbook, decision point B: high-risk situation"

    static let chestPainWords = [
        "chest pain", "chest pressure", "chest tight*", "chest discomfort", "chest heaviness", "crushing",
        "substernal", "retrosternal",
    ]

    /// Where ischaemic pain is felt other than the chest: shoulders, arms, neck, jaw, back and upper abdomen
    /// (AHA/ACC 2021 chest pain guideline, Gulati et al.).
    static let anginalEquivalentSites = [
        "jaw", "arm pain", "arm ache", "arm heaviness", "heavy arm*", "both arms", "left arm", "l arm",
        "left shoulder", "l shoulder", "both shoulders", "throat tight*", "tightness in * throat", "neck tight*",
        "teeth ache", "teeth hurt",
        "between * shoulder blades", "between shoulder blades", "interscapular", "epigastri*", "indigestion",
        "upper abdominal pain", "upper abdominal discomfort",
    ]
    /// Dyspnoea and fatigue, the commonest presentation of MI without chest pain (Canto et al. JAMA 2000).
    static let anginalEquivalentSymptoms = [
        "short of breath", "shortness of breath", "breathless*", "dyspn*", "winded", "tired*", "fatigue*", "nause*",
        "vomit*",
    ]
    /// What makes such a symptom cardiac: brought on by effort, or with autonomic features.
    static let ischaemicFeatures = [
        "exertion*", "on exertion", "with exertion", "exercis*", "stairs", "uphill", "walking", "walk", "lifting",
        "sweat*", "diaphore*", "clammy",
    ]

    /// Concepts that are high-risk on their own.
    static let unconditional: [TextConcept] = [
        // From 30 y any chest pain is treated as possible ACS; younger adults need a cardiac feature.
        TextConcept("esi.b.acs", "chest pain in an adult: possible acute coronary syndrome", source: source,
                    ages: 30...Int.max, anyOf: chestPainWords),
        TextConcept("esi.b.acs", "chest pain with cardiac features: possible acute coronary syndrome",
                    source: source, ages: 16...29, allOf: [
                        chestPainWords,
                        ["radiat*", "sweat*", "diaphore*", "clammy", "nause*", "short of breath", "exertion*",
                         "heart attack"],
                    ]),
        // MI without chest pain is commoner in older, diabetic and female patients and is missed more often
        // (Canto et al. JAMA 2000; JAMA 2012); anginal equivalents with effort or sweating are possible ACS.
        TextConcept("esi.b.acs_equivalent", "jaw, arm, back or epigastric pain with exertion or sweating: possible ACS",
                    source: acsEquivalentSource, ages: 30...Int.max, allOf: [anginalEquivalentSites, ischaemicFeatures]),
        TextConcept("esi.b.acs_equivalent", "exertional or sweaty breathlessness or fatigue in an older adult: possible ACS",
                    source: acsEquivalentSource, ages: 65...Int.max, allOf: [anginalEquivalentSymptoms, ischaemicFeatures]),
        TextConcept("esi.b.acs_equivalent", "exertional or sweaty breathlessness or fatigue in a diabetic: possible ACS",
                    source: acsEquivalentSource, ages: 30...Int.max, allOf: [
                        anginalEquivalentSymptoms, ischaemicFeatures, ["diabet*", "insulin"],
                    ]),
        TextConcept("esi.b.stroke", "possible stroke: focal neurological deficit", source: source, anyOf: [
            "slurred speech", "facial droop", "face droop*", "droop*", "hemipar*", "hemipleg*", "aphasi*",
            "dysphasi*", "word finding", "stroke", "tia", "one sided weakness", "left sided weakness",
            "right sided weakness", "left side weak*", "right side weak*", "unilateral weakness",
            "sudden weakness", "sudden numbness", "sudden * weakness", "left arm and leg", "right arm and leg",
            "sudden vision loss", "sudden loss of vision", "loss of vision", "vision loss",
            // BE-FAST adds balance and eyes, the signs of posterior circulation stroke (Aroor et al. Stroke 2017).
            "slurred", "ataxi*", "veering", "cant walk straight", "unable to walk straight", "double vision",
            "diplopia",
        ]),
        TextConcept("esi.b.danger_to_self_or_others", "suicidal or homicidal ideation / danger to self or others",
                    source: source, anyOf: [
                        "suicid*", "kill himself", "kill herself", "kill myself", "kill themselves", "end his life",
                        "end her life", "end my life", "take his own life", "take her own life", "homicid*",
                        "kill someone", "self harm*", "harm himself", "harm herself", "hurt himself",
                        "hurt herself", "hurt others", "violent towards", "aggressive towards", "threatening to",
                        "combative", "voices telling", "command hallucinat*",
                        // The Columbia scale's first questions, in patients' words (Posner et al. Am J Psychiatry 2011).
                        "want to die", "wants to die", "wanting to die", "dont want to be alive", "doesnt want to be alive",
                        "dont want to live", "doesnt want to live", "better off dead", "wish i was dead",
                        "wish i were dead", "wishes she was dead", "wishes he was dead", "end it all", "not wake up",
                    ]),
        TextConcept("esi.b.ectopic", "pregnant with bleeding or pain: possible ectopic pregnancy", source: source,
                    allOf: [
                        ["pregnan*", "missed period", "late period", "positive pregnancy test", "ectopic"],
                        ["bleed*", "abdominal pain", "pelvic pain", "lower abdominal", "cramp*", "faint*", "dizz*",
                         "shoulder tip", "ectopic"],
                    ]),
        TextConcept("esi.b.subarachnoid", "sudden or worst-ever headache: possible subarachnoid haemorrhage",
                    source: source, allOf: [
                        ["headache*", "head pain"],
                        ["worst", "thunderclap", "sudden*", "abrupt*", "exploding", "explosive"],
                    ]),
        TextConcept("esi.b.meningitis", "fever with neck stiffness or purpuric rash: possible meningitis",
                    source: source, allOf: [
                        ["fever*", "febrile", "temperature", "meningitis", "non blanching", "purpur*"],
                        ["stiff neck", "neck stiff*", "photophob*", "non blanching", "petechia*", "purpur*",
                         "meningitis",
                         // A rash that does not fade under a glass, in parents' words (NICE NG240).
                         "dont fade", "doesnt fade", "does not fade", "do not fade", "glass test", "purple spots",
                         "purple rash", "purple blotch*"],
                    ]),
        TextConcept("esi.b.aortic", "tearing pain or pain through to the back: possible aortic dissection/aneurysm",
                    source: source, anyOf: [
                        "tearing pain", "tearing * pain", "tearing chest", "tearing sensation", "ripping pain",
                        "ripping * pain", "aortic dissection", "dissection", "radiat* to the back",
                        "radiat* through to the back", "radiat* to his back", "radiat* to her back",
                        "through to the back", "aneurysm", "aaa",
                    ]),
        TextConcept("esi.b.toxic_ingestion", "overdose or toxic ingestion", source: source, anyOf: [
            "overdos*", "poison*", "toxic ingestion", "ingest*", "swallowed * pills", "swallowed * tablets",
            "swallowed * battery", "button battery", "drank bleach", "drank * bleach", "swallowed bleach",
            "antifreeze", "<many> tablets", "<many> pills",
            // Repeated supratherapeutic doses are treated as an overdose (MHRA 2012, paracetamol overdose).
            "<many> paracetamol", "<many> * paracetamol", "<many> acetaminophen", "staggered overdose",
            "staggered ingestion", "too many tablets", "too many pills", "more than the recommended",
            // Toxidromes named by their signs: serotonin toxicity (Hunter criteria, Dunkley et al. QJM 2003).
            "clonus", "serotonin syndrome", "serotonin toxicity", "neuroleptic malignant",
            // Wild mushrooms and plants: delayed symptoms may mean amatoxin (Goldfrank's, mushrooms chapter).
            "mushroom*", "toadstool*", "foraged", "hemlock", "foxglove",
            "<many> * tablets", "<many> * pills",
        ]),
        TextConcept("esi.b.testicular", "testicular or scrotal pain: possible torsion", source: source, anyOf: [
            "testic*", "testicle*", "scrot*", "torsion",
        ]),
        // Sickle cell disease and asplenia carry the same risk of overwhelming bacteraemia (NHLBI expert panel
        // 2014, evidence-based management of sickle cell disease: fever ≥ 38.5 °C needs urgent evaluation).
        TextConcept("esi.b.immunocompromised_fever", "fever in an immunocompromised or asplenic patient (e.g. neutropenia, sickle cell)",
                    source: "ESI v4 handbook, high-risk: immunocompromised with fever; NHLBI 2014 sickle cell disease guideline",
                    allOf: [
                        ["chemo*", "neutropen*", "transplant*", "immunosuppress*", "immunocompromised", "sickle cell",
                         "hbss", "hb ss", "asplen*", "splenectomy", "no spleen"],
                        ["fever*", "febrile", "temperature", "rigor*", "chills"],
                    ]),
        TextConcept("esi.b.trauma_mechanism", "high-risk mechanism of injury", source: source, anyOf: [
            "high speed", "rollover", "rolled over", "ejected", "pedestrian", "hit by a car", "struck by a car",
            "hit by a vehicle", "struck by a vehicle", "fall from height", "fell from a height", "stab wound*",
            "stabbed", "gunshot", "penetrating", "crush injury",
            // National field triage guideline (Newgard et al. 2022): high-risk mechanisms and injury patterns.
            "motorcycl*", "motorbike", "thrown from", "unrestrained", "open fracture", "compound fracture",
            "bone visible", "bone exposed", "exposed bone", "mangled", "deglov*", "amputat*", "flail",
            "pelvic fracture", "paralys*", "intrusion", "seatbelt sign", "seat belt sign", "seatbelt bruis*",
            "seat belt bruis*", "trapped in", "entrapment", "prolonged extrication",
            // Falls from height (over 3 m / 10 ft): from a ladder, roof, scaffold, balcony or window it is taken
            // as one until the height is known.
            "from a ladder", "off a ladder", "off the ladder", "from the ladder",
            "from a roof", "off a roof", "off the roof", "from the roof", "scaffold*", "from a balcony",
            "off a balcony", "from a window", "out of a window", "from a first floor", "from the first floor",
        ]),
        TextConcept("esi.b.strangulation", "non-fatal strangulation: risk of delayed airway or vascular injury",
                    source: "Training Institute on Strangulation Prevention 2019; ESI v4 handbook, high-risk situation",
                    anyOf: [
                        "strangl*", "throttl*", "by the throat", "by the neck", "choked by", "hands around * neck",
                        "hands round * neck", "hands around her neck", "hands around his neck", "ligature",
                    ]),
        TextConcept("esi.b.pre_eclampsia", "pregnant with visual disturbance, facial swelling or epigastric pain: possible severe pre-eclampsia",
                    source: "ACOG Practice Bulletin 222 (2020); NICE NG133: symptoms of severe pre-eclampsia",
                    allOf: [
                        pregnancyWords,
                        ["flashing lights", "visual disturbance", "blurred vision", "blurry vision", "seeing spots",
                         "spots before", "swollen face", "face swollen", "facial swelling", "face and hands swollen",
                         "swelling of * face", "pain below * ribs", "epigastric pain"],
                    ]),
        TextConcept("esi.b.labour", "pregnant with contractions or leaking fluid: possible (preterm) labour",
                    source: "ESI v4 handbook, high-risk: obstetric patients; NICE NG25 preterm labour and birth",
                    allOf: [
                        pregnancyWords,
                        ["tightening*", "contraction*", "labour pains", "labor pains", "a show", "mucousy show",
                         "bloody show", "waters broke*", "waters have broken", "waters gone", "leaking fluid",
                         "gush of fluid", "ruptured membranes", "srom", "pprom"],
                    ]),
        // Postpartum psychosis is a psychiatric emergency (NICE CG192; RCPsych): risk to mother and baby.
        TextConcept("esi.b.perinatal_psychosis", "psychotic symptoms in pregnancy or after birth",
                    source: "NICE CG192 antenatal and postnatal mental health; ESI v4 handbook, high-risk psychiatric",
                    allOf: [
                        pregnancyWords,
                        ["hearing voices", "hears voices", "voices telling", "hallucinat*", "psychos*", "psychotic",
                         "paranoi*", "delusion*", "bizarre behaviour", "bizarre behavior"],
                    ]),
        TextConcept("esi.b.mesenteric_ischaemia", "abdominal pain out of proportion or with atrial fibrillation: possible mesenteric ischaemia",
                    source: "ESVS 2017 guideline on diseases of the mesenteric arteries; ESI v4 handbook, high-risk",
                    ages: 50...Int.max, allOf: [
                        ["out of proportion", "atrial fibrillation"], ResourceConcepts.abdominalPain + ["abdominal"],
                    ]),
        TextConcept("esi.b.anticoagulated_head_injury", "head injury on anticoagulation", source: source, allOf: [
            ["head"], anticoagulants,
        ]),
        // Paraesthesia or weakness after a neck injury is a high-risk factor for cord injury (Canadian C-spine
        // rule, Stiell et al. JAMA 2001; NEXUS focal deficit, Hoffman et al. NEJM 2000).
        TextConcept("esi.b.spinal_cord", "numbness, tingling or weakness after a neck injury: possible cord injury",
                    source: "Canadian C-spine rule (Stiell et al. 2001); NEXUS (Hoffman et al. 2000)", allOf: [
                        ["neck", "spine", "spinal", "c spine", "cervical"],
                        ["tingl*", "numb*", "pins and needles", "paraesthesi*", "paresthesi*", "weakness",
                         "burning hands", "cant move * legs", "cant feel * legs"],
                        ["tackle*", "tackled", "hit", "collision", "crash*", "dive*", "dived", "dove", "diving", "fell",
                         "fall", "fallen", "injur*", "trauma", "struck", "landed", "thrown"],
                    ]),
        // Any trauma after 20 weeks risks placental abruption (ACOG Committee Opinion 518 / obstetric trauma;
        // ATLS 10th ed.): pain, bleeding or tightening after it is high-risk.
        TextConcept("esi.b.obstetric_trauma", "injury in pregnancy with pain, bleeding or tightening: possible abruption",
                    source: "ATLS 10th ed., trauma in pregnancy; ESI v4 handbook, high-risk obstetric", allOf: [
                        pregnancyWords,
                        ["collision", "crash*", "fell", "fall", "fallen", "assault*", "kicked", "punched", "hit",
                         "struck", "trauma", "injur*"],
                        ["abdominal", "abdomen", "belly", "tummy", "stomach", "bleed*", "contraction*", "tightening*",
                         "cramp*", "leaking", "fetal movement*", "baby moving less", "baby not moving"],
                    ]),
        // Catatonia with refusal of food and fluid can turn malignant (Bush-Francis catatonia rating scale, Bush
        // et al. 1996; NICE CG178 physical health in psychosis).
        TextConcept("esi.b.catatonia", "catatonic features: mute, staring, rigid postures",
                    source: "Bush-Francis catatonia rating scale (Bush et al. 1996); ESI v4 handbook, high-risk psychiatric",
                    ages: 12...Int.max, anyOf: [
                        "catatoni*", "mutism", "mute", "posturing", "rigid posture*", "waxy flexibility", "stopped talking",
                    ]),
        TextConcept("esi.b.chemical_eye", "chemical exposure to the eye", source: source, allOf: [
            ["eye*"], ["chemical*", "bleach", "alkali", "acid", "splash*"],
        ]),
        TextConcept("esi.b.sexual_assault", "sexual assault", source: source, anyOf: [
            "sexual assault", "sexually assaulted", "raped", "rape",
        ]),
        TextConcept("esi.b.diabetic_emergency", "possible diabetic ketoacidosis", source: source, anyOf: [
            "ketoacidosis", "dka", "ketone*", "kussmaul", "deep rapid breathing", "meter reads high",
            "glucose reads high", "glucose high",
        ]),
        TextConcept("esi.b.obstetric", "pregnancy emergency (labour, pre-eclampsia, abruption)", source: source,
                    anyOf: [
                        "eclampsia", "preeclampsia", "pre eclampsia", "in labour", "in labor", "waters broke",
                        "abruption",
                    ]),
        TextConcept("esi.b.syncope", "syncope in an older adult", source: source, ages: 50...Int.max, anyOf: [
            "syncop*", "fainted", "passed out", "collapse*", "blacked out", "loss of consciousness",
            "lost consciousness",
        ]),
        TextConcept("esi.b.cauda_equina", "back pain with red flags: possible cauda equina", source: source, allOf: [
            ["back", "cauda equina"],
            ["cauda equina", "saddle an*", "saddle numb*", "urinary retention", "incontinen*", "both legs",
             "back passage", "perianal numb*", "perineal numb*", "numb bottom", "numb around * bottom",
             "not passed urine", "hasnt passed urine", "cant pass urine", "cannot pass urine", "unable to pass urine",
             "cant feel * wee*", "cant feel * pee*"],
        ]),
        TextConcept("esi.b.burn_airway", "burn with airway risk or electrical injury", source: source, anyOf: [
            "smoke inhalation", "singed", "electrocut*", "electrical burn*", "facial burn*", "burns to the face",
        ]),
        // The six Ps of acute limb ischaemia: pain, pallor, pulselessness, poikilothermia (a cold limb),
        // paraesthesia, paralysis (ESVS 2020 acute limb ischaemia guideline, Björck et al.).
        TextConcept("esi.b.ischaemic_limb", "cold, pale or pulseless limb: possible acute limb ischaemia",
                    source: "ESVS 2020 acute limb ischaemia guideline; ESI v4 handbook, high-risk", anyOf: [
                        "cold pale", "pale cold", "cold and pale", "pale and cold", "compartment syndrome",
                        "pulseless", "no pulse", "no pulses", "absent pulse*", "cant feel * pulse", "cant find * pulse",
                        "cold foot", "foot cold", "foot is cold", "cold leg", "leg cold", "leg is cold", "cold hand",
                        "hand cold", "hand is cold", "white foot", "foot white", "foot is white",
                    ]),
        TextConcept("esi.b.angioedema", "allergic swelling of lips, tongue or face: airway at risk", source: source,
                    allOf: [
                        ["lip swell*", "swollen lip*", "lips swollen", "swelling of the lips", "tongue swell*",
                         "swollen tongue", "facial swelling", "face swelling", "swelling of the face", "angioedema"],
                        LifeSavingConcepts.allergicExposure + [
                            "angioedema", "antibiotic*", "penicillin", "lisinopril", "ramipril", "ace inhibitor*",
                            "medication", "food",
                        ],
                    ]),
        TextConcept("esi.b.stridor", "stridor, drooling or choking: threatened airway", source: source, anyOf: [
            "stridor", "drooling", "muffled voice", "hot potato voice", "choking",
        ]),
    ]

    /// Anticoagulants by name and brand, and the words for them.
    static let anticoagulants = [
        "warfarin", "coumadin", "apixaban", "eliquis", "rivaroxaban", "xarelto", "dabigatran", "pradaxa", "edoxaban",
        "lixiana", "savaysa", "enoxaparin", "clexane", "lovenox", "heparin", "doac", "noac", "anticoag*",
        "blood thinner*",
    ]

    static let acsEquivalentSource = "Canto et al. JAMA 2000 and 2012; AHA/ACC 2021 chest pain guideline: anginal equivalents"

    /// Words that say the patient is pregnant or has just given birth (weeks "/40" split into numbers).
    static let pregnancyWords = [
        "pregnan*", "primip*", "multip*", "primigravida", "gestation*", "antenatal", "postpartum", "post partum",
        "postnatal", "post natal", "puerper*", "after birth", "after delivery", "after giving birth", "gave birth",
        "since delivery", "since giving birth",
        // Obstetric shorthand: gravidity ("G1", "G2P1") and a recent caesarean.
        "gravida*", "multigrav*", "g1*", "g2*", "g3*", "g4*", "g5*", "c section*", "caesarean", "cesarean",
    ]

    static let eatingDisorder = TextConcept(
        "esi.b.unstable_eating_disorder", "eating disorder",
        source: "RCPsych MEED 2022: medical emergencies in eating disorders", anyOf: [
            "anorexi*", "eating disorder", "bulimi*", "arfid", "restricting", "restrictive eating",
        ])

    /// Symptoms that make a slow heart rate an emergency: poor perfusion, syncope, ischaemia, heart failure
    /// (Resuscitation Council UK 2021, bradycardia algorithm, adverse features).
    static let bradycardiaAdverseFeatures = TextConcept(
        "esi.b.symptomatic_bradycardia", "slow pulse with adverse features",
        source: "Resuscitation Council UK 2021, adult bradycardia algorithm: adverse features", anyOf: [
            "lightheaded", "light headed", "dizz*", "faint*", "syncop*", "collapse*", "passed out", "short of breath",
            "shortness of breath", "breathless*", "chest pain", "chest tight*", "confus*", "hypotens*",
        ])

    /// Bleeding from the gut is high-risk when the patient is haemodynamically unstable.
    static let gastrointestinalBleed = TextConcept(
        "esi.b.gi_bleed_unstable", "GI bleeding with signs of instability", source: source,
        anyOf: gastrointestinalBleedWords)

    static let gastrointestinalBleedWords = [
        "black stool*", "black * stool*", "tarry", "melaena", "melena", "vomiting blood", "vomited blood",
        "haematemesis", "hematemesis", "coffee ground*", "blood in * stool*", "blood in stool*",
        "bloody stool*", "rectal bleed*", "blood per rectum", "bright red blood",
    ]

    /// Words that say the patient feels haemodynamically unwell.
    static let instabilityWords = TextConcept(
        "esi.b.instability", "feels faint", source: source, anyOf: [
            "lightheaded", "light headed", "dizz*", "faint*", "syncop*", "collapse*", "passed out",
        ])

    /// Suspected infection, for sepsis screening together with NEWS2/qSOFA (RCP 2017; Sepsis-3).
    static let suspectedInfection = TextConcept(
        "esi.b.suspected_infection", "suspected infection", source: source, anyOf: [
            "fever*", "febrile", "infect*", "pneumonia", "cellulitis", "uti", "urinary tract infection",
            "productive cough", "rigor*", "chills", "pus", "abscess", "sepsis", "septic",
        ])

    /// New confusion or lethargy in words (ESI v4 handbook, decision point B).
    static let alteredMentation = TextConcept(
        "esi.b.text.altered_mentation", "new confusion, lethargy or disorientation",
        source: "ESI v4 handbook, decision point B: new confusion, lethargy or disorientation", anyOf: [
            "confus*", "disorient*", "letharg*", "drows*", "obtunded", "altered mental*", "altered conscious*",
            "not acting right", "not himself", "not herself", "floppy", "hard to wake", "difficult to rouse",
            "post ictal", "postictal", "unusually sleepy", "listless",
        ])

    /// Severe distress words, for "severe pain/distress" (ESI v4 handbook, decision point B).
    static let distress = TextConcept(
        "esi.b.text.distress", "visibly distressed",
        source: "ESI v4 handbook, decision point B: severe pain or distress", anyOf: [
            "distress*", "writhing", "screaming", "crying out", "doubled over", "agony", "agonising", "agonizing",
            "excruciating", "unable to get comfortable", "cannot get comfortable", "cant get comfortable",
            "inconsolable",
        ])
}
