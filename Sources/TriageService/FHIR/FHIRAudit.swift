import Foundation
import TriageCore
import TriageStore

/// The audit trail as FHIR R4 AuditEvents, for a hospital's audit repository: each row keeps its action, actor and
/// role, the arrival it concerns and its place in the hash chain (seq, previous hash, hash), so the chain can be
/// checked from the copies.
enum FHIRAudit {
    static let actionSystem = "urn:edtriage:audit-action"

    static func event(_ entry: AuditEntry) -> FHIRAuditEvent {
        let arrivalID = entry.entity == "arrival" ? entry.entityID.flatMap { Int($0) } : nil
        let what = arrivalID.map(FHIRTriage.encounterReference(arrivalID:))
            ?? FHIRReference(identifier: FHIRIdentifier(system: "urn:edtriage:\(entry.entity)", value: entry.entityID ?? "-"))
        var details = [FHIRAuditEvent.Entity.Detail(type: "seq", valueString: String(entry.seq)),
                       .init(type: "prev_hash", valueString: entry.prevHash), .init(type: "hash", valueString: entry.hash)]
        if let requestID = entry.requestID { details.append(.init(type: "request_id", valueString: requestID)) }
        return FHIRAuditEvent(
            id: "audit-\(entry.seq)",
            type: FHIRCoding(system: "http://terminology.hl7.org/CodeSystem/audit-event-type", code: "rest",
                             display: "RESTful Operation"),
            subtype: [FHIRCoding(system: actionSystem, code: entry.action)],
            action: action(entry.action),
            recorded: FHIRTriage.instant(entry.occurredAt),
            outcome: "0",
            agent: [.init(role: [FHIRCodeableConcept(text: entry.role)],
                          who: FHIRReference(identifier: FHIRIdentifier(system: FHIRTriage.clinicianIdentifierSystem,
                                                                        value: entry.actor)),
                          requestor: true)],
            source: .init(site: "EDTriage", observer: FHIRReference(display: "EDTriage")),
            entity: [.init(what: what, detail: details)])
    }

    /// AuditEventAction: R reads (`access.*`), C what an arrival brings in, E the service's own work (scoring,
    /// tokens), U every other change (decisions, vitals, requeues).
    static func action(_ action: String) -> String {
        if action.hasPrefix("access.") { return "R" }
        if action == "arrival.accepted" { return "C" }
        if action.hasPrefix("assessment.") || action.hasPrefix("token.") || action == "arrival.failed" { return "E" }
        return "U"
    }
}
