import Foundation
import TriageCore

/// The CapabilityStatement `GET /fhir/r4/metadata` answers: the transaction that brings an arrival in, which
/// resources this server reads and searches, and how clients authenticate.
enum FHIRCapabilities {
    static var statement: FHIRCapabilityStatement {
        typealias Resource = FHIRCapabilityStatement.Rest.Resource
        let read = Resource.Interaction(code: "read")
        return FHIRCapabilityStatement(
            status: "active",
            date: "2026-12-03",
            kind: "instance",
            software: .init(name: "EDTriage", version: TriageRules.version),
            fhirVersion: "4.0.1",
            format: ["json"],
            rest: [.init(
                mode: "server",
                security: .init(
                    service: [FHIRCodeableConcept(coding: [FHIRCoding(
                        system: "http://terminology.hl7.org/CodeSystem/restful-security-service", code: "OAuth",
                        display: "OAuth")])],
                    description: "Bearer JWTs as for the rest of the API: intake, nurse, physician and admin tokens may send "
                        + "transactions; nurse, physician and admin tokens may read; admin tokens read the audit."),
                resource: [
                    Resource(type: "Observation", interaction: [read, .init(code: "search-type")], searchParam: [
                        .init(name: "patient", type: "reference",
                              documentation: "with the :identifier modifier: [system|]value of the patient reference"),
                        .init(name: "encounter", type: "reference", documentation: "Encounter/<id> or <id>"),
                        .init(name: "_lastUpdated", type: "date",
                              documentation: "eq, gt, lt, ge or le and an RFC 3339 date-time; repeat for a range"),
                    ]),
                    Resource(type: "Encounter", interaction: [read]),
                    Resource(type: "RiskAssessment", interaction: [read]),
                    Resource(type: "AuditEvent", interaction: [.init(code: "search-type")], searchParam: [
                        .init(name: "date", type: "date", documentation: "ge (from) or lt (before) and an RFC 3339 date-time"),
                        .init(name: "agent", type: "reference", documentation: "the actor: a token's subject or a feed"),
                        .init(name: "entity", type: "reference", documentation: "Encounter/<id>"),
                        .init(name: "_count", type: "number", documentation: "1 to 1000, default 100"),
                    ]),
                ],
                interaction: [.init(code: "transaction")])])
    }
}
