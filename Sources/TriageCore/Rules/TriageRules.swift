/// The deterministic ESI v4 algorithm: decision points A → B → C → D, with NEWS2, qSOFA and the
/// shock index computed alongside. Same input, same output, always; no I/O.
public struct TriageRules: Sendable {
    /// Stored with every assessment; bump when any rule or table changes.
    public static let version = "esi-rules/3"
    public static let identity = ScorerIdentity(name: "rules", version: version)

    public init() {}

    public func assess(_ presentation: ClinicalPresentation) -> RulesAssessment {
        let input = RuleInput(presentation)
        let (lifeSaving, downgraded) = LifeSavingRules.evaluate(input)
        let highRisk = downgraded + HighRiskRules.findings(input)
        let isHighRisk = highRisk.contains { $0.impliedLevel == .emergent }
        let resources = ResourceEstimate(input)
        let floor = DangerZoneRules.urgentFloor(input)
        let neonatalFever = DangerZoneRules.neonatalFever(input)

        let decision: (level: ESILevel, point: ESIDecisionPoint)
        let resourceLevel = floor.isEmpty ? resources.level : min(resources.level, .urgent)
        let dangerZoneApplies = lifeSaving.isEmpty && !isHighRisk && resourceLevel == .urgent
        let dangerZone = DangerZoneRules.findings(input, applied: dangerZoneApplies)
        if !lifeSaving.isEmpty {
            decision = (.resuscitation, .lifeSavingIntervention)
        } else if isHighRisk {
            decision = (.emergent, .highRisk)
        } else if neonatalFever != nil || (dangerZoneApplies && !dangerZone.isEmpty) {
            decision = (.emergent, .dangerZoneVitals)
        } else {
            decision = (resourceLevel, .resources)
        }

        let review = DangerZoneRules.review(dangerZone, proposed: decision.level)
        let unreadNote = Self.unreadNoteFinding(input)
        let findings = [unreadNote, review].compactMap { $0 } + Self.mostImportantFirst(
            lifeSaving + highRisk + [neonatalFever].compactMap { $0 } + dangerZone + floor
                + [resources.finding] + Self.shockIndexFinding(input))
        let completeness = MeasurementCompleteness(input)
        let explanation = Self.explain(decision.level, decision.point, findings: findings,
                                       notices: [unreadNote, review].compactMap { $0 }, resources: resources,
                                       completeness: completeness)
        let result = ScorerResult(level: decision.level, findings: findings, explanation: explanation,
                                  confidence: completeness.confidence, scorer: Self.identity)
        return RulesAssessment(result: result, scores: input.scores, decisionPoint: decision.point,
                               expectedResources: resources.count,
                               flags: ArrivalValidator.extremeValueFlags(presentation.vitals))
    }

    /// A note in a language the rules have no term table for is never silently ignored: the nurse is told first
    /// that the level rests on the vital signs and whatever English the note holds.
    static func unreadNoteFinding(_ input: RuleInput) -> Finding? {
        let language = input.text.language
        guard !language.isRead else { return nil }
        return Finding(rule: "note.language_not_read",
                       summary: "Triage note in \(language) was not read by the rules: check it",
                       observed: language.code,
                       source: "Rules read English, Korean and Spanish notes; language by script and common words")
    }

    /// An elevated shock index is shown even when it decides nothing, so the nurse sees it.
    static func shockIndexFinding(_ input: RuleInput) -> [Finding] {
        guard let index = input.scores.shockIndex, index.isElevated,
              let limit = ShockIndexCalculator.elevatedAbove(input.age) else { return [] }
        return [Finding(rule: "shock_index.elevated",
                        summary: "Shock index \(formatted(index.value)) > \(formatted(limit)): possible hypoperfusion",
                        observed: formatted(index.value), threshold: "> \(formatted(limit))",
                        source: "Shock index, Allgöwer & Burri 1967; SIPA, Acker et al. 2015")]
    }

    /// Most urgent implied level first; findings that imply no level last; otherwise in rule order.
    static func mostImportantFirst(_ findings: [Finding]) -> [Finding] {
        findings.enumerated().sorted { lhs, rhs in
            let left = lhs.element.impliedLevel?.rawValue ?? 6
            let right = rhs.element.impliedLevel?.rawValue ?? 6
            return left != right ? left < right : lhs.offset < rhs.offset
        }.map(\.element)
    }

    static func explain(_ level: ESILevel, _ point: ESIDecisionPoint, findings: [Finding], notices: [Finding],
                        resources: ResourceEstimate, completeness: MeasurementCompleteness) -> String {
        let reasons = findings.filter { $0.impliedLevel == level }.prefix(3).map(\.summary)
        var text = "\(level) (decision point \(point.rawValue)): "
        text += reasons.isEmpty ? resources.finding.summary : reasons.joined(separator: "; ")
        text += "."
        for notice in notices { text += " \(notice.summary)." }
        if point != .resources { text += " Expected resources: \(resources.count)." }
        if !completeness.missing.isEmpty {
            text += " Not measured: \(completeness.missing.joined(separator: ", "))."
        }
        return text
    }
}

/// How much of the usual triage data was recorded; the rules' confidence grows with it, because a
/// missing value is never assumed normal.
struct MeasurementCompleteness: Sendable {
    let missing: [String]
    let expectedCount: Int

    init(_ input: RuleInput) {
        let vitals = input.vitals
        var expected: [(String, Bool)] = [
            ("HR", vitals.heartRate != nil), ("RR", vitals.respiratoryRate != nil), ("SpO2", vitals.spo2 != nil),
            ("temp", vitals.temperatureC != nil),
            ("AVPU/GCS", vitals.consciousness != nil || vitals.gcs != nil),
            ("note", !input.presentation.note.allSatisfy(\.isWhitespace)),
        ]
        // Blood pressure is not routine at triage under 3 years (ESI v4 handbook, paediatric chapter).
        if input.age.years >= 3 { expected.append(("SBP", vitals.systolicBP != nil)) }
        missing = expected.filter { !$0.1 }.map(\.0)
        expectedCount = expected.count
    }

    /// 0.4 with nothing measured, up to 1.0 with everything.
    var confidence: Double {
        let measured = Double(expectedCount - missing.count) / Double(expectedCount)
        return ((0.4 + 0.6 * measured) * 100).rounded() / 100
    }
}
