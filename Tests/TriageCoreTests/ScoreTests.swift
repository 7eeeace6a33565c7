import ComputeThreadTesting
import Testing
import TriageCore

/// NEWS2 against the RCP 2017 chart, qSOFA (Sepsis-3) and the shock index.
@Suite(.onComputeThread) struct ScoreTests {
    /// An adult with only the vitals in `vitals` measured.
    func news2(_ vitals: Vitals) throws -> NEWS2Score {
        try #require(assess(patient(vitals: vitals)).scores.news2)
    }

    static let respirationChart: [(Double, Int)] = [(8, 3), (9, 1), (11, 1), (12, 0), (20, 0), (21, 2), (24, 2), (25, 3)]
    static let spo2Scale1Chart: [(Double, Int)] = [(91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0), (100, 0)]
    static let systolicChart: [(Double, Int)] = [(90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3)]
    static let pulseChart: [(Double, Int)] = [(40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1), (110, 1), (111, 2), (130, 2), (131, 3)]
    static let temperatureChart: [(Double, Int)] = [(35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0), (38.0, 0), (38.1, 1), (39.0, 1), (39.1, 2)]

    @Test(arguments: respirationChart)
    func respirationRate(rate: Double, points: Int) throws {
        #expect(try news2(Vitals(respiratoryRate: rate)).subScores == ["respiration_rate": points])
    }

    @Test(arguments: spo2Scale1Chart)
    func spo2Scale1(saturation: Double, points: Int) throws {
        let score = try news2(Vitals(spo2: saturation))
        #expect(score.subScores == ["spo2": points])
        #expect(score.spo2Scale == 1)
    }

    /// Scale 2 (target 88–92 %): 93 % and above score only on oxygen.
    static let spo2Scale2Chart: [(Double, Bool, Int)] = [
        (83, false, 3), (84, false, 2), (85, false, 2), (86, false, 1), (87, false, 1), (88, false, 0),
        (92, false, 0), (93, false, 0), (99, false, 0), (93, true, 1), (94, true, 1), (95, true, 2),
        (96, true, 2), (97, true, 3),
    ]

    @Test(arguments: spo2Scale2Chart)
    func spo2Scale2(saturation: Double, onOxygen: Bool, points: Int) throws {
        let score = try news2(Vitals(spo2: saturation, onOxygen: onOxygen, hypercapnicTarget: true))
        #expect(score.subScores["spo2"] == points)
        #expect(score.subScores["air_or_oxygen"] == (onOxygen ? 2 : 0))
        #expect(score.spo2Scale == 2)
    }

    @Test(arguments: systolicChart)
    func systolicPressure(pressure: Double, points: Int) throws {
        #expect(try news2(Vitals(systolicBP: pressure)).subScores == ["systolic_bp": points])
    }

    @Test(arguments: pulseChart)
    func pulse(rate: Double, points: Int) throws {
        #expect(try news2(Vitals(heartRate: rate)).subScores == ["pulse": points])
    }

    @Test(arguments: temperatureChart)
    func temperature(celsius: Double, points: Int) throws {
        #expect(try news2(Vitals(temperatureC: celsius)).subScores == ["temperature": points])
    }

    @Test(arguments: [(ConsciousnessLevel.alert, 0), (.newConfusion, 3), (.voice, 3), (.pain, 3), (.unresponsive, 3)])
    func consciousness(level: ConsciousnessLevel, points: Int) throws {
        #expect(try news2(Vitals(consciousness: level)).subScores == ["consciousness": points])
    }

    /// Hand-computed from the RCP chart: RR 22 (2), SpO2 93 % scale 1 (2), oxygen (2), SBP 105 (1),
    /// pulse 115 (2), alert (0), 38.5 °C (1) = 10, high risk.
    @Test func completeScale1Example() throws {
        let score = try news2(Vitals(heartRate: 115, respiratoryRate: 22, systolicBP: 105, spo2: 93,
                                     temperatureC: 38.5, consciousness: .alert, onOxygen: true))
        #expect(score.total == 10)
        #expect(score.isComplete)
        #expect(score.risk == "high")
        #expect(score.subScores == ["respiration_rate": 2, "spo2": 2, "air_or_oxygen": 2, "systolic_bp": 1,
                                    "pulse": 2, "consciousness": 0, "temperature": 1])
    }

    /// COPD on scale 2: RR 19 (0), SpO2 95 % on oxygen (2 + 2), SBP 135 (0), pulse 92 (1), alert (0),
    /// 37.4 °C (0) = 5, medium risk.
    @Test func completeScale2Example() throws {
        let score = try news2(Vitals(heartRate: 92, respiratoryRate: 19, systolicBP: 135, spo2: 95,
                                     temperatureC: 37.4, consciousness: .alert, onOxygen: true, hypercapnicTarget: true))
        #expect(score.total == 5)
        #expect(score.risk == "medium")
    }

    @Test func singleRedParameterIsLowMedium() throws {
        let score = try news2(vitals { $0.consciousness = .voice; $0.gcs = nil })
        #expect(score.total == 3)
        #expect(score.risk == "low-medium")
    }

    @Test func partialObservationsAreMarkedIncomplete() throws {
        let score = try news2(Vitals(heartRate: 80, respiratoryRate: 16))
        #expect(!score.isComplete)
        #expect(score.total == 0)
    }

    @Test func notComputedForChildrenOrWithoutVitals() {
        #expect(assess(patient(.years(12))).scores.news2 == nil)
        #expect(assess(patient(vitals: Vitals())).scores.news2 == nil)
    }

    static let qsofaCases: [(Vitals, Int, [Bool?])] = [
        (Vitals(respiratoryRate: 22, systolicBP: 100, gcs: 14), 3, [true, true, true]),
        (Vitals(respiratoryRate: 21, systolicBP: 101, consciousness: .alert), 0, [false, false, false]),
        (Vitals(respiratoryRate: 24, systolicBP: 95, consciousness: .alert), 2, [true, false, true]),
        (Vitals(respiratoryRate: 30, consciousness: .newConfusion), 2, [true, true, nil]),
    ]

    @Test(arguments: qsofaCases)
    func qsofa(vitals: Vitals, total: Int, criteria: [Bool?]) throws {
        let score = try #require(assess(patient(vitals: vitals)).scores.qsofa)
        #expect(score.total == total)
        #expect(score.isPositive == (total >= 2))
        #expect([score.respiratoryRate, score.alteredMentation, score.systolicBP] == criteria)
    }

    @Test func qsofaNeedsAtLeastOneCriterion() {
        #expect(assess(patient(vitals: Vitals(heartRate: 80))).scores.qsofa == nil)
    }

    static let shockIndexCases: [(PatientAge, Double, Double, Double?, Bool)] = [
        (.years(40), 120, 100, 1.2, true),
        (.years(40), 80, 120, 0.67, false),
        (.years(40), 90, 100, 0.9, false),
        (.years(5), 120, 100, 1.2, false),  // SIPA 4–6 y: elevated above 1.22
        (.years(10), 110, 100, 1.1, true),  // SIPA 7–12 y: above 1.0
        (.years(2), 140, 90, nil, false),   // no validated limit under 4 y
    ]

    @Test(arguments: shockIndexCases)
    func shockIndex(age: PatientAge, heartRate: Double, systolic: Double, value: Double?, elevated: Bool) {
        let score = assess(patient(age, vitals: Vitals(heartRate: heartRate, systolicBP: systolic))).scores.shockIndex
        #expect(score?.value == value)
        #expect((score?.isElevated ?? false) == elevated)
    }
}
