import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import TriageService

@Suite struct DegradedReadinessTests {
    struct AlwaysReady: ReadinessCheck {
        func notReadyReason() async -> String? { nil }
    }

    func readyz(_ readiness: any ReadinessCheck) async throws -> (HTTPResponse.Status, [String: String]) {
        let router = try await buildRouter(configuration: try await ServiceHarness.configuration(),
                                           repository: ServiceHarness.offlineStore(), readiness: readiness,
                                           metrics: .init())
        return try await Application(router: router).test(.router) { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            let body = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: String]
            return (response.status, body ?? [:])
        }
    }

    /// A missing model keeps the service ready (the rules triage) but says it is degraded, and why.
    @Test func aMissingModelReportsDegradedButReady() async throws {
        let setup = ScoringSetup.degraded("model file not found: gemma.gguf")
        let (status, body) = try await readyz(DegradableReadiness(base: AlwaysReady(), degradedReason: setup.degradedReason))
        #expect(status == .ok)
        #expect(body == ["status": "degraded", "reason": "model unavailable: model file not found: gemma.gguf"])
    }

    @Test func notReadyWinsOverDegraded() async throws {
        let (status, _) = try await readyz(DegradableReadiness(base: NeverReady(), degradedReason: "model unavailable: x"))
        #expect(status == .serviceUnavailable)
    }

    @Test func withTheModelWorkingReadinessIsPlain() async throws {
        let (status, body) = try await readyz(DegradableReadiness(base: AlwaysReady(), degradedReason: nil))
        #expect(status == .ok)
        #expect(body == ["status": "ready"])
    }
}
