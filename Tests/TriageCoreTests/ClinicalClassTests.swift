import ComputeThreadTesting
import Testing
import TriageCore

/// A well child at rest: PEWS 0, no danger-zone value at any age from 1 year.
let calmChildVitals = Vitals(heartRate: 100, respiratoryRate: 24, spo2: 99, temperatureC: 36.8, consciousness: .alert)

/// Classes of presentation the ESI v4 handbook, the paediatric assessment triangle, Brighton PEWS and the
/// chest pain and field-triage guidelines name: each test fails without its rule.
@Suite(.onComputeThread) struct ClinicalClassTests {
    // MARK: Danger-zone vitals below ESI 3

    @Test func dangerZoneAtLessUrgentLevelLeadsTheFindings() throws {
        let assessment = assess(patient(complaint: "dysuria", note: "Burning on urination.",
                                        vitals: vitals { $0.heartRate = 112; $0.respiratoryRate = 24 }))
        #expect(assessment.level == .lessUrgent)
        let first = try #require(assessment.result.findings.first)
        #expect(first.rule == "esi.d.danger_zone.review")
        #expect(first.summary == "Danger-zone vital signs (HR 112/min, RR 24/min) at a proposed ESI 4: consider a more urgent level")
        #expect(first.impliedLevel == nil)
        #expect(assessment.result.explanation.contains("consider a more urgent level"))
    }

    @Test func noReviewWhenDecisionPointDApplies() {
        let applied = assess(patient(complaint: "abdominal pain", vitals: vitals { $0.heartRate = 112 }))
        #expect(applied.level == .emergent)
        #expect(!applied.ruleIDs.contains("esi.d.danger_zone.review"))
        let calm = assess(patient(complaint: "rash", note: "Itchy rash on the hands."))
        #expect(!calm.ruleIDs.contains("esi.d.danger_zone.review"))
    }

    // MARK: High-risk classes (decision point B)

    static let highRiskCases: [(String, ClinicalPresentation, String)] = [
        ("recession and flaring", patient(.years(2), complaint: "cough", note: "Subcostal recession and nasal flaring.",
                                          vitals: calmChildVitals), "esi.b.paed.work_of_breathing"),
        ("tracheal tug", patient(.months(8), complaint: "breathing fast", note: "Tracheal tug, feeding less.",
                                 vitals: calmChildVitals), "esi.b.paed.work_of_breathing"),
        ("stridor at rest", patient(.years(2), complaint: "barking cough", note: "Stridor at rest.", vitals: calmChildVitals),
         "esi.b.paed.work_of_breathing"),
        ("bulging fontanelle", patient(.months(6), complaint: "irritable", note: "Bulging fontanelle, high pitched cry.",
                                       vitals: calmChildVitals), "esi.b.paed.red_feature"),
        ("mottled toddler", patient(.years(1), complaint: "fever", note: "Mottled legs.", vitals: calmChildVitals),
         "esi.b.paed.red_feature"),
        ("story does not fit", patient(.years(3), complaint: "burn", note: "Scald to both feet; the story does not fit.",
                                       vitals: calmChildVitals), "esi.b.paed.maltreatment"),
        ("TEN-4 bruising", patient(.years(2), complaint: "bruises", note: "Bruising behind both ears.", vitals: calmChildVitals),
         "esi.b.paed.maltreatment"),
        ("one pill can kill", patient(.years(2), complaint: "ingestion", note: "Found chewing his grandmothers verapamil.",
                                      vitals: calmChildVitals), "esi.b.paed.one_pill_can_kill"),
        ("epigastric with sweating", patient(.years(72), complaint: "indigestion", note: "Epigastric discomfort, sweaty and pale."),
         "esi.b.acs_equivalent"),
        ("jaw and arm on exertion", patient(.years(58), complaint: "jaw pain", note: "Ache in the jaw and left arm climbing stairs."),
         "esi.b.acs_equivalent"),
        ("breathless on exertion, older", patient(.years(78), complaint: "breathless", note: "Breathless on exertion since yesterday."),
         "esi.b.acs_equivalent"),
        ("breathless on exertion, diabetic", patient(.years(50), complaint: "SOB", note: "SOB on exertion; type 2 diabetic."),
         "esi.b.acs_equivalent"),
        ("symptomatic bradycardia", patient(.years(70), complaint: "dizzy", note: "Lightheaded for two days.",
                                            vitals: vitals { $0.heartRate = 38 }), "esi.b.symptomatic_bradycardia"),
        ("strangulation", patient(complaint: "assault", note: "Grabbed by the throat, hoarse."), "esi.b.strangulation"),
        ("pre-eclampsia symptoms", patient(.years(29), complaint: "headache, pregnant", note: "Flashing lights and swollen face."),
         "esi.b.pre_eclampsia"),
        ("severe-range BP in pregnancy", patient(.years(29), complaint: "pregnant, feels unwell",
                                                 vitals: vitals { $0.systolicBP = 164; $0.diastolicBP = 112 }),
         "esi.b.pregnancy_severe_hypertension"),
        ("open fracture", patient(complaint: "leg injury", note: "Open fracture of the shin."), "esi.b.trauma_mechanism"),
        ("motorcycle crash", patient(complaint: "motorbike crash", note: "Came off at 30 mph."), "esi.b.trauma_mechanism"),
        ("preterm labour", patient(.years(31), complaint: "tightenings, pregnant", note: "32 weeks, regular tightenings."),
         "esi.b.labour"),
        ("waters broke", patient(.years(26), complaint: "leaking fluid", note: "Primip, waters broke an hour ago."),
         "esi.b.labour"),
        ("postnatal psychosis", patient(.years(30), complaint: "not sleeping", note: "Two weeks postnatal, hearing voices."),
         "esi.b.perinatal_psychosis"),
        ("postnatal pre-eclampsia", patient(.years(30), complaint: "headache", note: "Postnatal day 4, blurred vision."),
         "esi.b.pre_eclampsia"),
        ("command hallucinations", patient(complaint: "hearing voices", note: "Voices telling him to hurt people."),
         "esi.b.danger_to_self_or_others"),
        ("cauda equina in lay words", patient(complaint: "back pain", note: "Numb around the back passage, cant pass urine."),
         "esi.b.cauda_equina"),
        ("fall from a roof", patient(complaint: "fall", note: "Fell off a roof onto the drive."), "esi.b.trauma_mechanism"),
        ("staggered paracetamol", patient(complaint: "toothache", note: "Taking 12 paracetamol a day for five days."),
         "esi.b.toxic_ingestion"),
        ("shoulder pain walking uphill", patient(.years(63), complaint: "shoulder ache", note: "L shoulder ache walking uphill."),
         "esi.b.acs_equivalent"),
        ("rash that does not fade", patient(.months(10), complaint: "temp + rash",
                                            note: "Febrile, purple spots that dont fade under a glass.", vitals: calmChildVitals),
         "esi.b.meningitis"),
        ("croup in parents' words", patient(.years(2), complaint: "croup", note: "Sucking in under the ribs.", vitals: calmChildVitals),
         "esi.b.paed.work_of_breathing"),
        ("green vomit in a neonate", patient(.days(12), complaint: "vomiting", note: "Vomit bright green.", vitals: calmChildVitals),
         "esi.b.paed.bilious_vomiting"),
        ("posterior stroke", patient(.years(71), complaint: "dizzy", note: "Veering to the left, speech a bit slurred."),
         "esi.b.stroke"),
        ("nausea and sweating, older adult", patient(.years(81), complaint: "nausea", note: "Vomited twice, cold sweat."),
         "esi.b.acs_equivalent"),
        ("AF with abdominal pain", patient(.years(78), complaint: "abdo pain", note: "AF, sudden central abdo pain."),
         "esi.b.mesenteric_ischaemia"),
        ("serotonin toxicity", patient(complaint: "shaky", note: "Sertraline and tramadol, clonus at both ankles."),
         "esi.b.toxic_ingestion"),
        ("intrusion", patient(complaint: "MVC", note: "Passenger-side intrusion, seatbelt sign."), "esi.b.trauma_mechanism"),
        ("unstable eating disorder", patient(.years(15), complaint: "dizzy", note: "Anorexia nervosa, lost 6 kg.",
                                             vitals: vitals { $0.heartRate = 42 }), "esi.b.unstable_eating_disorder"),
        ("went blue and limp", patient(.days(40), complaint: "funny turn", note: "Went blue around the lips and limp during a feed, now pink.",
                                       vitals: calmChildVitals), "esi.b.paed.brue"),
        ("delay in care", patient(.months(5), complaint: "leg swollen", note: "Story vague, 2 day delay in care.",
                                  vitals: calmChildVitals), "esi.b.paed.maltreatment"),
        ("sickle cell with fever", patient(.years(6), complaint: "fever", note: "HbSS, temp 38.9 at home.", vitals: calmChildVitals),
         "esi.b.immunocompromised_fever"),
        ("pulseless cold foot", patient(.years(74), complaint: "leg pain", note: "Foot cold, no pulse felt."), "esi.b.ischaemic_limb"),
        ("tingling arms after a tackle", patient(.years(19), complaint: "neck pain", note: "Tackled, tingling in both arms since."),
         "esi.b.spinal_cord"),
        ("pregnant after a crash", patient(.years(27), complaint: "MVC", note: "G2P1 at 30 wks, lower abd pain since."),
         "esi.b.obstetric_trauma"),
        ("catatonia", patient(.years(40), complaint: "not eating", note: "Stopped talking, holds rigid postures."), "esi.b.catatonia"),
        ("wild mushrooms", patient(complaint: "vomiting", note: "Ate foraged mushrooms last night."), "esi.b.toxic_ingestion"),
        ("SI with a plan", patient(complaint: "low mood", note: "SI x1 wk w/ plan."), "esi.b.danger_to_self_or_others"),
        ("does not want to be alive", patient(complaint: "\"I dont want to be alive\""), "esi.b.danger_to_self_or_others"),
        ("winded in known CAD", patient(.years(77), complaint: "winded", note: "New DOE walking to the car, clammy."),
         "esi.b.acs_equivalent"),
        ("PEWS 5", patient(.years(3), complaint: "rash", vitals: vitals({ $0.heartRate = 175; $0.respiratoryRate = 52 }, from: calmChildVitals)),
         "pews.high"),
    ]

    @Test(arguments: highRiskCases)
    func highRiskClass(name: String, presentation: ClinicalPresentation, rule: String) {
        let assessment = assess(presentation)
        #expect(assessment.level == .emergent, "\(name): \(assessment.result.explanation)")
        #expect(assessment.ruleIDs.contains(rule), "\(name): \(assessment.ruleIDs)")
    }

    /// The same concepts, negated or outside their age range, stay quiet.
    static let quietCases: [(String, ClinicalPresentation, String)] = [
        ("no recession", patient(.years(2), complaint: "cough", note: "No recession, no nasal flaring, no grunting, no tracheal tug.",
                                 vitals: calmChildVitals), "esi.b.paed.work_of_breathing"),
        ("no stridor at rest", patient(.years(2), complaint: "barking cough", note: "No stridor at rest.", vitals: calmChildVitals),
         "esi.b.paed.work_of_breathing"),
        ("no red features", patient(.months(6), complaint: "fever", note: "Not mottled, fontanelle not bulging, no non blanching rash.",
                                    vitals: calmChildVitals), "esi.b.paed.red_feature"),
        ("history fits", patient(.years(3), complaint: "fall", note: "No safeguarding concerns, no unexplained bruising.",
                                 vitals: calmChildVitals), "esi.b.paed.maltreatment"),
        ("drug named, no exposure", patient(.years(2), complaint: "cough", note: "Grandad takes amlodipine; no tablets missing.",
                                            vitals: calmChildVitals), "esi.b.paed.one_pill_can_kill"),
        ("reflux without cardiac features", patient(.years(72), complaint: "indigestion",
                                                    note: "Epigastric burning after meals. No sweating, no exertional symptoms."),
         "esi.b.acs_equivalent"),
        ("breathless on exertion, 40 y, not diabetic", patient(.years(40), complaint: "breathless", note: "Breathless on exertion."),
         "esi.b.acs_equivalent"),
        ("slow pulse, no symptoms", patient(.years(30), complaint: "wrist injury", note: "Denies dizziness or fainting.",
                                            vitals: vitals { $0.heartRate = 46 }), "esi.b.symptomatic_bradycardia"),
        ("not strangled", patient(complaint: "assault", note: "Punched in the face, not strangled."), "esi.b.strangulation"),
        ("no visual symptoms", patient(.years(29), complaint: "headache, pregnant", note: "No flashing lights, no blurred vision."),
         "esi.b.pre_eclampsia"),
        ("no open fracture", patient(complaint: "leg injury", note: "Skin intact, no open fracture."), "esi.b.trauma_mechanism"),
        ("calm child", patient(.years(3), complaint: "rash", vitals: calmChildVitals), "pews.high"),
        ("eating disorder, stable observations", patient(.years(15), complaint: "weight loss", note: "Anorexia nervosa.",
                                                         vitals: vitals { $0.heartRate = 64 }), "esi.b.unstable_eating_disorder"),
        ("older adult vomiting, no sweating", patient(.years(81), complaint: "vomiting", note: "Vomited twice, no sweating."),
         "esi.b.acs_equivalent"),
        ("green vomit in a school child", patient(.years(9), complaint: "vomiting", note: "Vomit green.", vitals: calmChildVitals),
         "esi.b.paed.bilious_vomiting"),
        ("pregnant, no contractions", patient(.years(26), complaint: "pregnant, nausea", note: "No tightenings, no leaking fluid."),
         "esi.b.labour"),
        ("postnatal, no psychotic symptoms", patient(.years(30), complaint: "low mood", note: "Postnatal, denies hearing voices."),
         "esi.b.perinatal_psychosis"),
        ("back pain, continent", patient(complaint: "back pain", note: "No numbness around the back passage, passing urine."),
         "esi.b.cauda_equina"),
        ("ladder at home, no fall", patient(complaint: "cut hand", note: "Cut his hand on a ladder."), "esi.b.trauma_mechanism"),
        ("usual paracetamol dose", patient(complaint: "toothache", note: "Taking paracetamol 500 mg four times a day."),
         "esi.b.toxic_ingestion"),
        ("denies SI/HI", patient(complaint: "anxiety", note: "Calm, denies SI/HI."), "esi.b.danger_to_self_or_others"),
        ("pulses present", patient(.years(74), complaint: "leg pain", note: "Foot warm, no pallor, pulses present."),
         "esi.b.ischaemic_limb"),
        ("neck pain, no tingling", patient(.years(19), complaint: "neck pain", note: "Tackled, no tingling or numbness."),
         "esi.b.spinal_cord"),
        ("sickle cell crisis, afebrile", patient(.years(16), complaint: "leg pain", note: "Sickle cell, no fever."),
         "esi.b.immunocompromised_fever"),
        ("not blue, no apnoea, 3 years", patient(.years(3), complaint: "cough", note: "Went to nursery, not blue, no apnoea.",
                                                   vitals: calmChildVitals), "esi.b.paed.brue"),
    ]

    @Test(arguments: quietCases)
    func negatedOrOutOfRangeStaysQuiet(name: String, presentation: ClinicalPresentation, rule: String) {
        #expect(!assess(presentation).ruleIDs.contains(rule), "\(name)")
    }

    // MARK: Decision point A

    @Test func inhalationInjuryWithStridorIsLifeSaving() {
        let assessment = assess(patient(complaint: "house fire", note: "Singed nasal hair, hoarse voice."))
        #expect(assessment.level == .resuscitation)
        #expect(assessment.ruleIDs.contains("esi.a.text.inhalation_injury"))
        #expect(!assess(patient(complaint: "house fire", note: "Singed hair, no stridor, voice normal.")).ruleIDs
            .contains("esi.a.text.inhalation_injury"))
    }

    @Test func poorPerfusionWithAlteredMentationIsLifeSaving() {
        let shocked = assess(patient(.years(5), complaint: "fever", note: "Cold peripheries, drowsy.",
                                     vitals: vitals({ $0.consciousness = .voice }, from: calmChildVitals)))
        #expect(shocked.level == .resuscitation)
        #expect(shocked.ruleIDs.contains("esi.a.text.hypoperfusion"))
        // Cold hands in an alert child, or a drowsy one with warm peripheries, are not decompensated shock.
        #expect(!assess(patient(.years(5), complaint: "fever", note: "Cold hands and feet, playing.", vitals: calmChildVitals))
            .ruleIDs.contains("esi.a.text.hypoperfusion"))
        #expect(!assess(patient(.years(5), complaint: "fever", note: "Drowsy, not mottled, warm peripheries.",
                                vitals: vitals({ $0.consciousness = .voice }, from: calmChildVitals)))
            .ruleIDs.contains("esi.a.text.hypoperfusion"))
    }

    @Test func upperAirwayObstructionAndCordProlapseAreLifeSaving() {
        let airway = assess(patient(.months(20), complaint: "noisy breathing", note: "Drooling, soft stridor, wont swallow.",
                                    vitals: calmChildVitals))
        #expect(airway.level == .resuscitation)
        #expect(airway.ruleIDs.contains("esi.a.text.upper_airway"))
        #expect(!assess(patient(.years(4), complaint: "croup", note: "Stridor only when crying, not drooling.",
                                vitals: calmChildVitals)).ruleIDs.contains("esi.a.text.upper_airway"))
        let cord = assess(patient(.years(29), complaint: "waters broke", note: "Loop of cord visible."))
        #expect(cord.level == .resuscitation)
        #expect(cord.ruleIDs.contains("esi.a.text.cord_prolapse"))
    }

    @Test func lifeThreateningAsthmaWithHypoxiaIsLifeSaving() {
        let assessment = assess(patient(.years(12), complaint: "asthma", note: "Silent chest.",
                                        vitals: vitals { $0.spo2 = 86; $0.respiratoryRate = 14 }))
        #expect(assessment.level == .resuscitation)
        #expect(assessment.ruleIDs.contains("esi.a.text.respiratory_distress"))
    }

    // MARK: Brighton PEWS

    @Test func pewsScoresAgainstNormalRangesForAge() throws {
        let scores = assess(patient(.years(6), complaint: "cough", note: "Intercostal recession, irritable.",
                                    vitals: vitals({ $0.heartRate = 150; $0.respiratoryRate = 36 }, from: calmChildVitals))).scores
        let pews = try #require(scores.pews)
        // 5–12 y: HR 80–120 (150 is 30 above → 3), RR 20–25 (36 is 11 above → 1, recession → 2), irritable → 2.
        #expect(pews.subScores == ["behaviour": 2, "cardiovascular": 3, "respiratory": 2])
        #expect(pews.total == 7)
        #expect(scores.news2 == nil)
        #expect(assess(patient(.years(16))).scores.pews == nil)
    }

    /// HR 70 is bradycardia at 5–12 y (normal 80–120) though no danger-zone value: PEWS puts a floor of ESI 3.
    @Test func pewsComponentAtThreeIsAtLeastUrgent() {
        let assessment = assess(patient(.years(6), complaint: "rash", note: "Playing.",
                                        vitals: vitals({ $0.heartRate = 70 }, from: calmChildVitals)))
        #expect(assessment.level == .urgent)
        #expect(assessment.ruleIDs.contains("pews.medium"))
    }

    // MARK: Resources (decision point C)

    static let resourceCases: [(String, ClinicalPresentation, ESILevel, Int)] = [
        ("suspected DVT", patient(complaint: "leg swelling", note: "Swollen calf after a long flight."), .urgent, 2),
        ("splinter", patient(complaint: "splinter", note: "Wooden splinter in the palm."), .lessUrgent, 1),
        ("pulled elbow", patient(.years(2), complaint: "wont use arm", note: "Pulled up by the hand, holding arm still.",
                                 vitals: calmChildVitals), .lessUrgent, 1),
        ("renal colic", patient(complaint: "loin pain", note: "Loin to groin colicky pain."), .urgent, 3),
        ("reduced fetal movements", patient(.years(30), complaint: "reduced fetal movements", note: "36 weeks."), .urgent, 2),
        ("possible hip fracture", patient(.years(85), complaint: "groin pain", note: "Cant weight bear since the fall."), .urgent, 3),
        ("child with wheeze", patient(.years(7), complaint: "wheeze", note: "Wheezy with a cold, full sentences.",
                                      vitals: calmChildVitals), .lessUrgent, 1),
        ("swallowed coin", patient(.years(3), complaint: "swallowed coin", note: "Swallowed a 10p coin, breathing comfortably.",
                                   vitals: calmChildVitals), .lessUrgent, 1),
        ("febrile child who will not bear weight", patient(.years(7), complaint: "limp", note: "Wont bear weight, fever.",
                                                           vitals: calmChildVitals), .urgent, 2),
        ("hot swollen knee", patient(.years(81), complaint: "knee", note: "Hot swollen knee, no injury."), .urgent, 3),
        ("infected wound", patient(complaint: "wound", note: "Caesarean wound red with a little ooze."), .lessUrgent, 1),
        ("diabetic foot infection", patient(.years(57), complaint: "foot", note: "Type 2 diabetic, toe ulcer oozing pus."),
         .urgent, 3),
        ("fight bite", patient(complaint: "cut knuckle", note: "Punched someone in the teeth, knuckle cut."), .urgent, 2),
        ("bead up the nose", patient(.years(4), complaint: "bead up nose", note: "Pushed a bead up his nostril.",
                                     vitals: calmChildVitals), .lessUrgent, 1),
        ("lac in shorthand", patient(complaint: "cut thumb", note: "2 cm gaping lac."), .lessUrgent, 1),
        ("cellulitis failing oral antibiotics", patient(complaint: "red leg", note: "Spreading despite oral antibiotics; diabetic."),
         .urgent, 2),
        ("nosebleed on an anticoagulant", patient(.years(80), complaint: "nosebleed", note: "On Coumadin, bleeding an hour."),
         .urgent, 2),
        ("urethral discharge", patient(complaint: "discharge", note: "Penile discharge and dysuria."), .urgent, 2),
        ("migraine failing a triptan", patient(complaint: "migraine", note: "Usual migraine, nausea, sumatriptan w/o relief."),
         .urgent, 2),
        ("jammed finger", patient(.years(14), complaint: "jammed finger", note: "Swollen PIP joint."), .lessUrgent, 1),
        ("ingrown toenail", patient(complaint: "toe", note: "Ingrown nail, a little pus."), .lessUrgent, 1),
        ("fever after a caesarean", patient(.years(33), complaint: "fever", note: "Day 5 after C-section, offensive lochia."),
         .urgent, 3),
    ]

    /// "#" is shorthand for a fracture, but not before a number.
    @Test func fractureShorthandIsNotABayNumber() {
        func expectsXRay(_ note: String) -> Bool {
            assess(patient(complaint: "pain", note: note)).result.findings
                .contains { $0.rule == "esi.c.resources" && $0.summary.contains("x-ray “fractur…”") }
        }
        #expect(expectsXRay("?# scaphoid after a fall onto the hand."))
        #expect(expectsXRay("#NOF on the GP's x-ray."))
        #expect(!expectsXRay("Itchy rash, waiting in bay #4."))
        #expect(!expectsXRay("Itchy rash, waiting in bay # 4."))
    }

    @Test(arguments: resourceCases)
    func resourcesPerPresentation(name: String, presentation: ClinicalPresentation, level: ESILevel, count: Int) {
        let assessment = assess(presentation)
        #expect(assessment.level == level, "\(name): \(assessment.result.explanation)")
        #expect(assessment.expectedResources == count, "\(name): \(assessment.result.explanation)")
    }
}
