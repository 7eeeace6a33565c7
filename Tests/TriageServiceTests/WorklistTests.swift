import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TriageStore
@testable import TriageService

@Suite struct WorklistTests {
    @Test func etagAndNotModified() async throws {
        try await ServiceHarness.run { harness in
            let first = try await harness.send(.get, "/v1/worklist", as: .dashboard)
            #expect(first.status == .ok)
            let etag = try #require(first.headers[.eTag])
            let snapshot = try harness.decode(WorklistSnapshot.self, first)
            #expect(etag == "\"\(snapshot.revision)\"")

            let unchanged = try await harness.send(.get, "/v1/worklist", as: .dashboard, headers: [.ifNoneMatch: etag])
            #expect(unchanged.status == .notModified)
            #expect(unchanged.body.readableBytes == 0)

            _ = try await harness.boardRow(for: Arrivals.chestPain())
            let changed = try await harness.send(.get, "/v1/worklist", as: .dashboard, headers: [.ifNoneMatch: etag])
            #expect(changed.status == .ok)
            #expect(changed.headers[.eTag] != etag)
            #expect(try harness.decode(WorklistSnapshot.self, changed).rows.count == 1)
        }
    }

    /// A board long-polling with `?wait=` is answered within a second of the change, not at the timeout.
    @Test func longPollWakesSoonAfterAChange() async throws {
        try await ServiceHarness.run { harness in
            let etag = try #require(try await harness.send(.get, "/v1/worklist", as: .dashboard).headers[.eTag])
            async let polled = harness.send(.get, "/v1/worklist?wait=20", as: .dashboard, headers: [.ifNoneMatch: etag])
            try await Task.sleep(for: .milliseconds(500))
            _ = try await harness.boardRow(for: Arrivals.chestPain())
            let changedAt = ContinuousClock.now
            let response = try await polled
            let delay = ContinuousClock.now - changedAt
            #expect(response.status == .ok)
            #expect(response.headers[.eTag] != etag)
            // Woken by the change, not by the end of its 20 s wait (with room for a machine busy with other suites).
            #expect(delay < .seconds(5), "answered \(delay) after the change")
        }
    }

    @Test func longPollWithoutChangeEndsNotModified() async throws {
        try await ServiceHarness.run(environment: ["EDTRIAGE_HTTP_LONG_POLL_MAX_SECONDS": "1"]) { harness in
            let etag = try #require(try await harness.send(.get, "/v1/worklist", as: .dashboard).headers[.eTag])
            // wait=60 is capped at the configured 1 s.
            let response = try await harness.send(.get, "/v1/worklist?wait=60", as: .dashboard,
                                                  headers: [.ifNoneMatch: etag])
            #expect(response.status == .notModified)
            let invalid = try await harness.send(.get, "/v1/worklist?wait=soon", as: .dashboard,
                                                 headers: [.ifNoneMatch: etag])
            #expect(invalid.status == .unprocessableContent)
            #expect(try harness.problem(invalid).field == "wait")
        }
    }
}
