import Foundation

// The FHIR R4 (4.0.1) resources and data types the service reads and writes, with only the elements it
// uses. No maintained Swift FHIR model package is reachable from this build's package sources (apple/FHIRModels
// is not among them), so these are our own; `FHIRValidationTests` checks every resource we emit with an
// independent validator. Optional members are left out of the JSON when nil, as FHIR requires (no nulls).

/// An element of a code system.
struct FHIRCoding: Codable, Sendable, Hashable {
    var system: String?
    var code: String?
    var display: String?
}

struct FHIRCodeableConcept: Codable, Sendable, Hashable {
    var coding: [FHIRCoding]?
    var text: String?
}

struct FHIRIdentifier: Codable, Sendable, Hashable {
    var system: String?
    var value: String?
}

/// A reference by id (`Patient/7`) or, for resources this service does not hold, by business identifier.
struct FHIRReference: Codable, Sendable, Hashable {
    var reference: String?
    var identifier: FHIRIdentifier?
    var display: String?
}

struct FHIRMeta: Codable, Sendable, Hashable {
    var versionId: String?
    var lastUpdated: String?
}

struct FHIRAnnotation: Codable, Sendable, Hashable {
    var text: String
}

struct FHIRPeriod: Codable, Sendable, Hashable {
    var start: String?
    var end: String?
}

/// The triage level: an ESI Observation (LOINC 75636-1).
struct FHIRObservation: Codable, Sendable, Hashable {
    var resourceType = "Observation"
    var id: String
    var meta: FHIRMeta
    var status: String
    var category: [FHIRCodeableConcept]
    var code: FHIRCodeableConcept
    var subject: FHIRReference
    var encounter: FHIRReference
    var effectiveDateTime: String
    var issued: String
    var performer: [FHIRReference]?
    var valueCodeableConcept: FHIRCodeableConcept
    var method: FHIRCodeableConcept?
    var note: [FHIRAnnotation]?
}

/// The ED visit, with its triage level as `priority`.
struct FHIREncounter: Codable, Sendable, Hashable {
    var resourceType = "Encounter"
    var id: String
    var meta: FHIRMeta
    var status: String
    var `class`: FHIRCoding
    var priority: FHIRCodeableConcept
    var subject: FHIRReference
    var period: FHIRPeriod
    var reasonCode: [FHIRCodeableConcept]?
}

/// The model's distribution over the five levels.
struct FHIRRiskAssessment: Codable, Sendable, Hashable {
    struct Prediction: Codable, Sendable, Hashable {
        var outcome: FHIRCodeableConcept
        var probabilityDecimal: Double
    }

    var resourceType = "RiskAssessment"
    var id: String
    var meta: FHIRMeta
    var status: String
    var method: FHIRCodeableConcept
    var subject: FHIRReference
    var encounter: FHIRReference
    var occurrenceDateTime: String
    var basis: [FHIRReference]?
    var prediction: [Prediction]
    var note: [FHIRAnnotation]?
}

/// One audit row: who did what to which arrival, when, with its link in the hash chain.
struct FHIRAuditEvent: Codable, Sendable, Hashable {
    struct Agent: Codable, Sendable, Hashable {
        var role: [FHIRCodeableConcept]?
        var who: FHIRReference
        var requestor: Bool
    }

    struct Source: Codable, Sendable, Hashable {
        var site: String?
        var observer: FHIRReference
    }

    struct Entity: Codable, Sendable, Hashable {
        struct Detail: Codable, Sendable, Hashable {
            var type: String
            var valueString: String
        }
        var what: FHIRReference
        var detail: [Detail]?
    }

    var resourceType = "AuditEvent"
    var id: String
    var type: FHIRCoding
    var subtype: [FHIRCoding]
    var action: String
    var recorded: String
    var outcome: String
    var agent: [Agent]
    var source: Source
    var entity: [Entity]
}

/// A search result or a batch of resources: entries hold any of the resources above.
struct FHIRBundle<Resource: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
    struct Link: Codable, Sendable, Hashable {
        var relation: String
        var url: String
    }

    struct Entry: Codable, Sendable, Hashable {
        struct Search: Codable, Sendable, Hashable {
            var mode: String
        }
        var fullUrl: String
        var resource: Resource
        var search: Search?
    }

    var resourceType = "Bundle"
    var type: String
    var total: Int?
    var link: [Link]?
    var entry: [Entry]
}

/// The answer to a transaction: one entry per entry sent, each with its outcome.
struct FHIRTransactionResponse: Codable, Sendable, Hashable {
    struct Entry: Codable, Sendable, Hashable {
        struct Response: Codable, Sendable, Hashable {
            var status: String
            var location: String?
        }
        var response: Response
    }

    var resourceType = "Bundle"
    var type = "transaction-response"
    var entry: [Entry]
}

/// Errors in FHIR's own form: what failed, and the element it failed on.
struct FHIROperationOutcome: Codable, Sendable, Hashable {
    struct Issue: Codable, Sendable, Hashable {
        var severity: String
        var code: String
        var diagnostics: String?
        var expression: [String]?
    }

    var resourceType = "OperationOutcome"
    var issue: [Issue]
}

/// What this server offers: the answer to `GET /fhir/r4/metadata`.
struct FHIRCapabilityStatement: Codable, Sendable, Hashable {
    struct Software: Codable, Sendable, Hashable {
        var name: String
        var version: String
    }

    struct Rest: Codable, Sendable, Hashable {
        struct Security: Codable, Sendable, Hashable {
            var service: [FHIRCodeableConcept]
            var description: String
        }

        struct Resource: Codable, Sendable, Hashable {
            struct Interaction: Codable, Sendable, Hashable {
                var code: String
            }

            struct SearchParameter: Codable, Sendable, Hashable {
                var name: String
                var type: String
                var documentation: String
            }

            var type: String
            var interaction: [Interaction]
            var searchParam: [SearchParameter]?
        }

        var mode: String
        var security: Security
        var resource: [Resource]
        /// Whole-system interactions: `transaction` (a Bundle is one arrival).
        var interaction: [Resource.Interaction]
    }

    var resourceType = "CapabilityStatement"
    var status: String
    var date: String
    var kind: String
    var software: Software
    var fhirVersion: String
    var format: [String]
    var rest: [Rest]
}

extension Problem {
    /// The problem as FHIR reports errors: one issue whose code is FHIR's issue type for the kind of problem
    /// (IssueType value set), the detail as diagnostics and the offending element as its expression.
    var operationOutcome: FHIROperationOutcome {
        let code = switch kind {
        case .malformedRequest: "structure"
        case .validation: "invalid"
        case .unauthenticated: "login"
        case .forbidden: "forbidden"
        case .notFound: "not-found"
        case .methodNotAllowed: "not-supported"
        case .conflict, .versionMismatch: "conflict"
        case .preconditionRequired: "required"
        case .contentTooLarge: "too-costly"
        case .unavailable: "transient"
        case .internal: "exception"
        }
        return FHIROperationOutcome(issue: [.init(severity: kind == .internal ? "fatal" : "error", code: code,
                                                  diagnostics: detail, expression: field.map { [$0] })])
    }
}
