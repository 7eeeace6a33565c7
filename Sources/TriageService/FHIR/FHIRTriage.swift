import Foundation
import TriageCore
import TriageStore

/// How a triage result reads in FHIR R4: the board row and its assessment as an ESI `Observation`, the visit as
/// an `Encounter` whose priority is the level, and the model's distribution as a `RiskAssessment`. Pure: the
/// controller fetches, this maps.
enum FHIRTriage {
    static let loinc = "http://loinc.org"
    /// Patients are named by the reference the registration system sent (no names, no demographics).
    static let patientIdentifierSystem = "urn:edtriage:patient-ref"
    /// Clinicians by the subject of their token.
    static let clinicianIdentifierSystem = "urn:edtriage:user"

    /// LOINC 75636-1 "Emergency severity index [ESI]".
    static let esiCode = FHIRCodeableConcept(
        coding: [FHIRCoding(system: loinc, code: "75636-1", display: "Emergency severity index [ESI]")],
        text: "Emergency Severity Index")

    /// The level as LOINC answer list LL3056-0 (ESI version 4), the answers of 75636-1.
    static func answer(_ level: ESILevel) -> FHIRCodeableConcept {
        let (code, display): (String, String) = switch level {
        case .resuscitation: ("LA21567-5", "Requires immediate life-saving intervention")
        case .emergent: ("LA21752-3", "High risk or confused/lethargic/disoriented or severe pain/distress")
        case .urgent: ("LA21753-1", "Needs 2 or more resources")
        case .lessUrgent: ("LA21754-9", "Needs 1 resource")
        case .nonUrgent: ("LA21755-6", "Needs no resources")
        }
        return FHIRCodeableConcept(coding: [FHIRCoding(system: loinc, code: code, display: display)],
                                   text: "ESI \(level.rawValue)")
    }

    static func observationID(arrivalID: Int) -> String { "esi-\(arrivalID)" }
    static func riskAssessmentID(assessmentID: Int) -> String { "model-\(assessmentID)" }

    /// `preliminary` until a clinician decides, `final` once the level is confirmed, `amended` after an override.
    static func observationStatus(_ state: BoardState) -> String {
        switch state {
        case .awaitingConfirmation: "preliminary"
        case .confirmed, .discharged: "final"
        case .overridden: "amended"
        }
    }

    static func patient(_ row: WorklistRow) -> FHIRReference {
        FHIRReference(identifier: FHIRIdentifier(system: patientIdentifierSystem, value: row.patientRef))
    }

    static func encounterReference(arrivalID: Int) -> FHIRReference {
        FHIRReference(reference: "Encounter/\(arrivalID)")
    }

    /// When the row last changed in a way FHIR shows: the assessment behind it, or the clinician's decision.
    static func lastUpdated(_ row: WorklistRow, _ assessment: AssessmentDetail) -> Date {
        max(assessment.createdAt, row.decidedAt ?? .distantPast)
    }

    /// The effective level on the board: the clinician's once decided (the performer), the proposal until then,
    /// with how it was reached (rules version, model) and the explanation a nurse reads.
    static func observation(_ row: WorklistRow, _ assessment: AssessmentDetail) -> FHIRObservation {
        let updated = lastUpdated(row, assessment)
        let performer = row.decidedBy.map { actor in
            [FHIRReference(identifier: FHIRIdentifier(system: clinicianIdentifierSystem, value: actor),
                           display: row.decidedRole.map { "\($0) \(actor)" } ?? actor)]
        }
        var notes = [row.explanation, row.advisory].compactMap { $0 }.map { FHIRAnnotation(text: $0) }
        if let override = assessment.decisions.last(where: { $0.kind == "override" }), let reason = override.reason {
            notes.append(FHIRAnnotation(text: "Override: \(reason)"))
        }
        return FHIRObservation(
            id: observationID(arrivalID: row.arrivalID),
            meta: FHIRMeta(versionId: String(row.version), lastUpdated: instant(updated)),
            status: observationStatus(row.state),
            category: [FHIRCodeableConcept(coding: [FHIRCoding(
                system: "http://terminology.hl7.org/CodeSystem/observation-category", code: "survey", display: "Survey")])],
            code: esiCode,
            subject: patient(row),
            encounter: encounterReference(arrivalID: row.arrivalID),
            effectiveDateTime: instant(row.decidedAt ?? assessment.createdAt),
            issued: instant(updated),
            performer: performer,
            valueCodeableConcept: answer(row.effectiveLevel),
            method: FHIRCodeableConcept(text: method(assessment)),
            note: notes.isEmpty ? nil : notes)
    }

    /// The visit: `triaged` while on the board and `finished` once discharged, class EMER, the effective level as
    /// its priority.
    static func encounter(_ row: WorklistRow, _ assessment: AssessmentDetail) -> FHIREncounter {
        FHIREncounter(
            id: String(row.arrivalID),
            meta: FHIRMeta(versionId: String(row.version), lastUpdated: instant(lastUpdated(row, assessment))),
            status: row.state == .discharged ? "finished" : "triaged",
            class: FHIRCoding(system: "http://terminology.hl7.org/CodeSystem/v3-ActCode", code: "EMER", display: "emergency"),
            priority: answer(row.effectiveLevel),
            subject: patient(row),
            period: FHIRPeriod(start: instant(row.receivedAt)),
            reasonCode: [FHIRCodeableConcept(text: row.chiefComplaint)])
    }

    /// The model's probability for each level, with the model and prompt that gave it; nil when the model gave
    /// no distribution for this assessment.
    static func riskAssessment(_ row: WorklistRow, _ assessment: AssessmentDetail) -> FHIRRiskAssessment? {
        guard let model = assessment.model, let distribution = model.distribution else { return nil }
        let identity = model.identity.map { "\($0.name) (\($0.backend), \($0.engine))" } ?? "model"
        return FHIRRiskAssessment(
            id: riskAssessmentID(assessmentID: assessment.id),
            meta: FHIRMeta(lastUpdated: instant(assessment.createdAt)),
            status: "preliminary",
            method: FHIRCodeableConcept(text: "\(identity), prompt \(model.promptVersion ?? "unknown")"),
            subject: patient(row),
            encounter: encounterReference(arrivalID: row.arrivalID),
            occurrenceDateTime: instant(assessment.createdAt),
            basis: [FHIRReference(reference: "Observation/\(observationID(arrivalID: row.arrivalID))")],
            prediction: ESILevel.allCases.map { level in
                .init(outcome: answer(level), probabilityDecimal: distribution.probabilities[level.rawValue - 1])
            },
            note: model.rationale.map { rationale in
                [FHIRAnnotation(text: (rationale.reasons + rationale.redFlags.map { "red flag: \($0)" }).joined(separator: "; "))]
            })
    }

    /// How the proposal was reached: the rules (always) and the model when it contributed.
    static func method(_ assessment: AssessmentDetail) -> String {
        var parts = ["EDTriage rules \(assessment.rulesVersion)"]
        if let identity = assessment.model?.identity { parts.append("model \(identity.name)") }
        return parts.joined(separator: " + ")
    }

    /// A FHIR `instant`: UTC with milliseconds.
    static func instant(_ date: Date) -> String { instantStyle.format(date) }

    private static let instantStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)
}
