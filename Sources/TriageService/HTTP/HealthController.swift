import Foundation
import Hummingbird
import TriageStore

/// Whether this process may take traffic: the database answers and its schema matches the migration files.
public protocol ReadinessCheck: Sendable {
    /// Nil when ready, else the reason (no patient data, no connection details).
    func notReadyReason() async -> String?
    /// Nil when fully working, else why the service runs with reduced function (still ready).
    func degradedReason() async -> String?
    /// Whether the model reads images: nil when no vision tower is configured, else `ready` or
    /// `unavailable: ` and why.
    var vision: String? { get }
}

extension ReadinessCheck {
    public func degradedReason() async -> String? { nil }
    public var vision: String? { nil }
}

/// A readiness check that also reports a degraded part, e.g. the model the worker could not load.
public struct DegradableReadiness: ReadinessCheck {
    let base: any ReadinessCheck
    let degraded: String?
    public let vision: String?

    public init(base: any ReadinessCheck, degradedReason: String?, vision: String? = nil) {
        self.base = base
        self.degraded = degradedReason
        self.vision = vision
    }

    public func notReadyReason() async -> String? { await base.notReadyReason() }
    public func degradedReason() async -> String? { degraded }
}

extension SchemaReadiness: ReadinessCheck {}

/// `/healthz` (the process answers) and `/readyz` (it can do its work).
struct HealthController: Sendable {
    let readiness: any ReadinessCheck

    struct Status: Encodable, Sendable {
        let status: String
        var reason: String? = nil
        var vision: String? = nil
    }

    func addRoutes(to routes: APIRoutes) {
        routes.on(.health) { request, context in
            try JSONResponse(headers: [.cacheControl: "no-store"], body: Status(status: "ok"))
                .response(from: request, context: context)
        }
        routes.on(.readiness) { request, context in
            if let reason = await readiness.notReadyReason() {
                throw Problem(.unavailable, "not ready: \(reason)")
            }
            // Degraded still takes traffic: the rules triage every arrival.
            let degraded = await readiness.degradedReason()
            let status = Status(status: degraded == nil ? "ready" : "degraded", reason: degraded, vision: readiness.vision)
            return try JSONResponse(headers: [.cacheControl: "no-store"], body: status).response(from: request, context: context)
        }
    }
}
