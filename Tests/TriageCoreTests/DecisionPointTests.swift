import ComputeThreadTesting
import Testing
import TriageCore

/// The ESI v4 decision points A–D, each on presentations built to isolate one rule.
@Suite(.onComputeThread) struct DecisionPointTests {
    static let lifeSavingCases: [(String, ClinicalPresentation, String)] = [
        ("AVPU U", patient(vitals: vitals { $0.consciousness = .unresponsive; $0.gcs = nil }), "esi.a.unresponsive"),
        ("AVPU P", patient(vitals: vitals { $0.consciousness = .pain; $0.gcs = nil }), "esi.a.unresponsive"),
        ("GCS 8", patient(vitals: vitals { $0.consciousness = nil; $0.gcs = 8 }), "esi.a.unresponsive"),
        ("RR 6", patient(vitals: vitals { $0.respiratoryRate = 6 }), "esi.a.apnoea"),
        ("SBP 75", patient(vitals: vitals { $0.systolicBP = 75; $0.diastolicBP = 40 }), "esi.a.shock"),
        ("SBP 86 with shock index 1.4", patient(vitals: vitals { $0.systolicBP = 86; $0.diastolicBP = 50; $0.heartRate = 120 }),
         "esi.a.shock"),
        ("child 5 y SBP 75", patient(.years(5), vitals: vitals { $0.systolicBP = 75; $0.diastolicBP = 40 }), "esi.a.shock"),
        ("SpO2 85 with RR 34", patient(vitals: vitals { $0.spo2 = 85; $0.respiratoryRate = 34 }), "esi.a.hypoxic_distress"),
        ("CPR in progress", patient(complaint: "collapse", note: "CPR in progress, no pulse.",
                                    vitals: Vitals(gcs: 3, consciousness: .unresponsive)), "esi.a.text.cardiac_arrest"),
        ("anaphylaxis with stridor", patient(complaint: "allergic reaction", note: "Bee sting, now stridor and hives."),
         "esi.a.text.anaphylaxis_airway"),
        ("distress words with hypoxia", patient(complaint: "shortness of breath", note: "Speaking in single words.",
                                                vitals: vitals { $0.spo2 = 88 }), "esi.a.text.respiratory_distress"),
    ]

    @Test(arguments: lifeSavingCases)
    func decisionPointA(name: String, presentation: ClinicalPresentation, rule: String) {
        let assessment = assess(presentation)
        #expect(assessment.level == .resuscitation, "\(name)")
        #expect(assessment.decisionPoint == .lifeSavingIntervention)
        #expect(assessment.ruleIDs.first(where: { $0.hasPrefix("esi.a") }) != nil)
        #expect(assessment.ruleIDs.contains(rule), "\(name): \(assessment.ruleIDs)")
        #expect(assessment.result.explanation.hasPrefix("ESI 1 (decision point A): "))
    }

    static let highRiskCases: [(String, ClinicalPresentation, String)] = [
        ("chest pain 55 y", patient(.years(55), complaint: "chest pain"), "esi.b.acs"),
        ("chest pain 24 y with radiation", patient(.years(24), complaint: "chest pain", note: "radiating to the jaw"), "esi.b.acs"),
        ("stroke", patient(complaint: "weakness", note: "Sudden right sided weakness and facial droop."), "esi.b.stroke"),
        ("suicidal", patient(complaint: "low mood", note: "Says he wants to kill himself."), "esi.b.danger_to_self_or_others"),
        ("ectopic", patient(complaint: "pelvic pain", note: "Six weeks pregnant, left pelvic pain."), "esi.b.ectopic"),
        ("subarachnoid", patient(complaint: "headache", note: "Thunderclap onset while lifting."), "esi.b.subarachnoid"),
        ("dissection", patient(complaint: "back pain", note: "Ripping pain between the shoulder blades."), "esi.b.aortic"),
        ("overdose", patient(complaint: "ingestion", note: "Took twenty tablets of her mothers sertraline."), "esi.b.toxic_ingestion"),
        ("GI bleed, tachycardic", patient(complaint: "vomiting blood", vitals: vitals { $0.heartRate = 112 }), "esi.b.gi_bleed_unstable"),
        ("torsion", patient(.years(14), complaint: "testicular pain", note: "Sudden onset an hour ago."), "esi.b.testicular"),
        ("neutropenic fever", patient(complaint: "fever", note: "On chemotherapy for lymphoma, fever and chills."),
         "esi.b.immunocompromised_fever"),
        ("AVPU C", patient(vitals: vitals { $0.consciousness = .newConfusion; $0.gcs = nil }), "esi.b.avpu"),
        ("GCS 12", patient(vitals: vitals { $0.consciousness = nil; $0.gcs = 12 }), "esi.b.gcs"),
        ("lethargy in words", patient(.years(2), complaint: "cough", note: "Very lethargic since this morning."),
         "esi.b.text.altered_mentation"),
        ("pain 9 with distress", patient(complaint: "flank pain", note: "Writhing on the trolley.", vitals: vitals { $0.pain = 9 }),
         "esi.b.severe_pain_distress"),
        ("NEWS2 ≥ 7", patient(complaint: "unwell", vitals: Vitals(heartRate: 135, respiratoryRate: 25, systolicBP: 130,
                                                                  spo2: 95, temperatureC: 37, consciousness: .alert)),
         "news2.high"),
        ("qSOFA 2", patient(complaint: "unwell", vitals: vitals { $0.respiratoryRate = 24; $0.systolicBP = 98; $0.diastolicBP = 60 }),
         "qsofa.positive"),
        ("sepsis screen", patient(complaint: "cellulitis", note: "Red hot leg.",
                                  vitals: vitals { $0.heartRate = 118; $0.temperatureC = 38.9; $0.respiratoryRate = 22 }),
         "esi.b.possible_sepsis"),
        ("seizure reported, now alert", patient(complaint: "seizure", note: "Was seizing for two minutes, now alert."),
         "esi.a.text.seizure"),
    ]

    @Test(arguments: highRiskCases)
    func decisionPointB(name: String, presentation: ClinicalPresentation, rule: String) {
        let assessment = assess(presentation)
        #expect(assessment.level == .emergent, "\(name): \(assessment.result.explanation)")
        #expect(assessment.decisionPoint == .highRisk)
        #expect(assessment.ruleIDs.contains(rule), "\(name): \(assessment.ruleIDs)")
    }

    static let resourcesCases: [(String, ClinicalPresentation, ESILevel, Int)] = [
        ("refill", patient(complaint: "medication refill", note: "Needs repeat prescription."), .nonUrgent, 0),
        ("rash", patient(complaint: "rash", note: "Itchy rash on the hands for a week."), .nonUrgent, 0),
        ("dysuria", patient(complaint: "dysuria", note: "Burning on urination."), .lessUrgent, 1),
        ("laceration", patient(complaint: "laceration", note: "2 cm laceration to the thumb."), .lessUrgent, 1),
        ("abdominal pain", patient(complaint: "abdominal pain", note: "Right upper quadrant pain after meals."), .urgent, 2),
        ("dislocation counts 2", patient(complaint: "shoulder", note: "Dislocated again putting on a coat."), .urgent, 4),
    ]

    @Test(arguments: resourcesCases)
    func decisionPointC(name: String, presentation: ClinicalPresentation, level: ESILevel, count: Int) {
        let assessment = assess(presentation)
        #expect(assessment.level == level, "\(name): \(assessment.result.explanation)")
        #expect(assessment.expectedResources == count, "\(name): \(assessment.result.explanation)")
        #expect(assessment.decisionPoint == .resources)
    }

    /// (age, HR, RR, up-triaged): just at the limit stays ESI 3, one above becomes ESI 2.
    static let dangerZoneCases: [(PatientAge, Double, Double, Bool)] = [
        (.days(40), 180, 50, false), (.days(40), 181, 40, true), (.days(40), 150, 51, true),
        (.months(6), 160, 40, false), (.months(6), 161, 30, true), (.years(2), 120, 41, true),
        (.years(3), 140, 30, false), (.years(5), 141, 20, true), (.years(8), 120, 31, true),
        (.years(9), 100, 20, false), (.years(9), 101, 16, true), (.years(60), 80, 21, true),
    ]

    @Test(arguments: dangerZoneCases)
    func decisionPointD(age: PatientAge, heartRate: Double, respiratoryRate: Double, upTriaged: Bool) {
        // Abdominal pain needs labs and imaging (ESI 3); a mild temperature keeps fever rules out.
        let presentation = patient(age, complaint: "abdominal pain", vitals: Vitals(
            heartRate: heartRate, respiratoryRate: respiratoryRate, systolicBP: 130, spo2: 99, temperatureC: 37,
            consciousness: .alert))
        let assessment = assess(presentation)
        #expect(assessment.level == (upTriaged ? .emergent : .urgent), "\(age): \(assessment.result.explanation)")
        #expect((assessment.decisionPoint == .dangerZoneVitals) == upTriaged)
    }

    @Test func dangerZoneFindingReadsAsNurseWouldSay() throws {
        let assessment = assess(patient(complaint: "abdominal pain", vitals: vitals { $0.respiratoryRate = 28 }))
        let finding = try #require(assessment.result.findings.first)
        #expect(finding.summary == "RR 28/min > 20: ESI danger zone for age > 8 y")
        #expect(finding.impliedLevel == .emergent)
        #expect(assessment.result.explanation.hasPrefix("ESI 2 (decision point D): RR 28/min > 20"))
    }

    @Test func lowSaturationIsDangerZoneAtAnyAge() {
        let assessment = assess(patient(.years(30), complaint: "cough", note: "Productive cough and fever.",
                                        vitals: vitals { $0.spo2 = 91 }))
        #expect(assessment.level == .emergent)
        #expect(assessment.ruleIDs.contains("esi.d.danger_zone.spo2"))
    }

    /// The handbook asks about danger-zone vitals only for would-be ESI 3 patients; for fewer
    /// resources the finding is shown but decides nothing.
    @Test func dangerZoneDoesNotUpTriageOneResource() throws {
        let assessment = assess(patient(complaint: "dysuria", vitals: vitals { $0.heartRate = 104 }))
        #expect(assessment.level == .lessUrgent)
        let finding = try #require(assessment.result.findings.first { $0.rule == "esi.d.danger_zone.hr" })
        #expect(finding.impliedLevel == nil)
    }

    static let infantFeverCases: [(PatientAge, Double?, String, ESILevel)] = [
        (.days(14), 38.0, "fever", .emergent),
        (.days(28), 38.4, "fever", .emergent),
        (.days(10), nil, "fever", .emergent),         // reported fever, not measured
        (.days(14), 37.9, "feeding less", .nonUrgent),
        (.days(45), 38.2, "fever", .emergent),        // 29–90 days: febrile work-up, then D
        (.days(60), 37.5, "fever", .nonUrgent),
    ]

    @Test(arguments: infantFeverCases)
    func infantFever(age: PatientAge, temperature: Double?, complaint: String, level: ESILevel) {
        let presentation = patient(age, complaint: complaint, vitals: Vitals(
            heartRate: 140, respiratoryRate: 40, spo2: 99, temperatureC: temperature, consciousness: .alert))
        let assessment = assess(presentation)
        #expect(assessment.level == level, "\(age) \(String(describing: temperature)): \(assessment.result.explanation)")
        if level == .emergent { #expect(assessment.decisionPoint == .dangerZoneVitals) }
    }

    @Test func findingsAreMostUrgentFirst() {
        let assessment = assess(patient(.years(70), complaint: "chest pain", note: "Crushing pain, now unresponsive.",
                                        vitals: vitals { $0.consciousness = .unresponsive; $0.gcs = 5; $0.heartRate = 120 }))
        let levels = assessment.result.findings.map { $0.impliedLevel?.rawValue ?? 6 }
        #expect(levels == levels.sorted())
        #expect(levels.first == 1)
    }

    @Test func confidenceFollowsCompleteness() {
        let complete = assess(patient(note: "Needs repeat prescription.")).result.confidence
        let sparse = assess(patient(note: "Needs repeat prescription.", vitals: Vitals(heartRate: 80))).result.confidence
        #expect(complete == 1.0)
        #expect(sparse < complete)
        #expect(sparse >= 0.4)
    }

    @Test func assessmentIsDeterministic() throws {
        let presentation = patient(.years(63), complaint: "black stools", note: "Lightheaded on standing.")
        #expect(assess(presentation) == assess(presentation))
        #expect(assess(presentation).result.scorer == ScorerIdentity(name: "rules", version: "esi-rules/3"))
    }
}
