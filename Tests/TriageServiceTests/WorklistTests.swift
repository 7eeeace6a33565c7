import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import TriageCore
import TriageStore
@testable import TriageService

@Suite struct WorklistTests {
    /// A wall screen sees where each patient is and how urgent, not who they are or what the note says; with
    /// `auth.dashboard_view: full` it sees the clinicians' rows.
    @Test func wallScreensSeeReducedRowsUnlessConfiguredOtherwise() async throws {
        let wallFields: Set<String> = [
            "arrival_id", "assessment_id", "patient_ref", "age_band", "sex", "chief_complaint", "arrival_mode",
            "proposed_level", "effective_level", "state", "received_at", "minutes_waiting", "top_findings",
            "reassessment_due", "version", "model_status", "review_level",
        ]
        @Sendable func rows(_ response: TestResponse) throws -> [[String: Any]] {
            let snapshot = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
            return snapshot?["rows"] as? [[String: Any]] ?? []
        }
        try await ServiceHarness.run { harness in
            let row = try await harness.boardRow(for: Arrivals.chestPain())
            let wall = try rows(try await harness.send(.get, "/v1/worklist", as: .dashboard))
            #expect(wall.count == 1)
            #expect(Set(wall[0].keys).isSubset(of: wallFields), "\(wall[0].keys.sorted())")
            #expect(wall[0]["patient_ref"] as? String == "#\(row.arrivalID)")
            #expect(wall[0]["age_band"] as? String == "50–59 y")
            #expect((wall[0]["top_findings"] as? [Any])?.isEmpty == true)
            #expect(wall[0]["effective_level"] as? Int == row.effectiveLevel.rawValue)
            let clinician = try rows(try await harness.send(.get, "/v1/worklist", as: .nurse))
            #expect(clinician[0]["patient_ref"] as? String == row.patientRef)
            #expect(clinician[0]["explanation"] != nil)
        }
        try await ServiceHarness.run(environment: ["EDTRIAGE_AUTH_DASHBOARD_VIEW": "full"]) { harness in
            let row = try await harness.boardRow(for: Arrivals.chestPain())
            let wall = try rows(try await harness.send(.get, "/v1/worklist", as: .dashboard))
            #expect(wall[0]["patient_ref"] as? String == row.patientRef)
        }
    }

    @Test func ageBandsAggregateChildrenByStageAndAdultsByDecadeAndOver89() {
        let bands = [PatientAge.days(3), .months(11), .years(0), .years(4), .years(11), .years(17), .years(18),
                     .years(54), .years(89), .years(90), .years(104)].map(WallBoardRow.band)
        #expect(bands == ["under 1 y", "under 1 y", "under 1 y", "1–4 y", "5–11 y", "12–17 y", "18–29 y",
                          "50–59 y", "80–89 y", "90+ y", "90+ y"])
    }

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
            let changed = try await harness.send(.get, "/v1/worklist", as: .nurse, headers: [.ifNoneMatch: etag])
            #expect(changed.status == .ok)
            #expect(changed.headers[.eTag] != etag)
            #expect(try harness.decode(WorklistSnapshot.self, changed).rows.count == 1)
        }
    }

    /// A board long-polling with `?wait=` is answered within a second of the change, not at the timeout.
    @Test func longPollWakesSoonAfterAChange() async throws {
        try await ServiceHarness.run { harness in
            let etag = try #require(try await harness.send(.get, "/v1/worklist", as: .dashboard).headers[.eTag])
            // The longest wait (http.long_poll_max_seconds), to outlast the scoring on a machine busy with other suites.
            async let polled = harness.send(.get, "/v1/worklist?wait=30", as: .dashboard, headers: [.ifNoneMatch: etag])
            try await Task.sleep(for: .milliseconds(500))
            _ = try await harness.boardRow(for: Arrivals.chestPain())
            let changedAt = ContinuousClock.now
            let response = try await polled
            let delay = ContinuousClock.now - changedAt
            #expect(response.status == .ok)
            #expect(response.headers[.eTag] != etag)
            // Woken by the change, not by the end of its 30 s wait: half of that leaves room for a machine busy with
            // other suites (seen at 7 s under a full parallel run).
            #expect(delay < .seconds(15), "answered \(delay) after the change")
        }
    }

    /// One change wakes every waiting board at once; past `http.long_poll_max_waiting` a board is told to
    /// come back (503 with Retry-After) instead of holding one more request open. The limit, well past the waits,
    /// turns a wake-up that never comes into a failure of this test rather than a stalled run.
    @Test(.timeLimit(.minutes(10))) func longPollsShareOneWakeUpAndAreCapped() async throws {
        // Waits long enough to outlast scoring the change on a machine busy with every other suite (over 30 s seen).
        let environment = ["EDTRIAGE_HTTP_LONG_POLL_MAX_WAITING": "3", "EDTRIAGE_HTTP_LONG_POLL_MAX_SECONDS": "240",
                           "EDTRIAGE_HTTP_IDLE_TIMEOUT_SECONDS": "300"]
        try await ServiceHarness.run(environment: environment) { harness in
            let etag = try #require(try await harness.send(.get, "/v1/worklist", as: .dashboard).headers[.eTag])
            try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { boards in
                for _ in 0..<3 {
                    boards.addTask {
                        let response = try await harness.send(.get, "/v1/worklist?wait=240", as: .dashboard,
                                                              headers: [.ifNoneMatch: etag])
                        return (response.status, response.headers[.eTag])
                    }
                }
                var waiting = 0
                for _ in 0..<200 where waiting < 3 {
                    try await Task.sleep(for: .milliseconds(50))
                    waiting = await harness.boardChanges.waiting
                }
                #expect(waiting == 3)
                let refused = try await harness.send(.get, "/v1/worklist?wait=240", as: .dashboard,
                                                     headers: [.ifNoneMatch: etag])
                #expect(refused.status == .serviceUnavailable && refused.headers[.retryAfter] == "2")
                #expect(try harness.problem(refused).type.hasSuffix("/unavailable"))

                _ = try await harness.boardRow(for: Arrivals.chestPain())
                var answers: [(HTTPResponse.Status, String?)] = []
                for try await answer in boards { answers.append(answer) }
                #expect(answers.count == 3 && answers.allSatisfy { $0.0 == .ok && $0.1 != etag }, "\(answers)")
                #expect(await harness.boardChanges.waiting == 0)
            }
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
