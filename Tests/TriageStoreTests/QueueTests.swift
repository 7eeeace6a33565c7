import Foundation
import Testing
import TriageCore
@testable import TriageStore
import TriageStoreTestSupport

@Suite("Arrival queue")
struct QueueTests {
    @Test("the same (source, external_id) twice is one patient, the duplicate writes nothing, other content is refused")
    func duplicateEnqueue() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store async throws in
                let image = ImageSubmission(contentType: "image/png", data: Data([0x89, 0x50, 0x4E, 0x47]))
                let first = try await store.enqueue(Fixtures.submission("A1", images: [image]), flags: [],
                                                    context: Fixtures.nurse)
                let second = try await store.enqueue(Fixtures.submission("A1", images: [image]), flags: [],
                                                     context: Fixtures.nurse)
                #expect(!first.isDuplicate)
                #expect(second == EnqueueResult(arrivalID: first.arrivalID, isDuplicate: true))
                for changed in [Fixtures.submission("A1", complaint: "other", images: [image]), Fixtures.submission("A1")] {
                    await #expect(throws: QueueError.conflictingResend(arrivalID: first.arrivalID)) {
                        try await store.enqueue(changed, flags: [], context: Fixtures.nurse)
                    }
                }
                let other = try await store.enqueue(Fixtures.submission("A1", source: "other-adt"), flags: [],
                                                    context: Fixtures.nurse)
                #expect(other.arrivalID != first.arrivalID)
            }
            #expect(try await database.count("arrivals") == 2)
            #expect(try await database.count("arrival_images") == 1)
            #expect(try await database.count("audit_log", where: "action = 'arrival.accepted'") == 2)
            #expect(try await database.ownerQuery("SELECT sha256 FROM arrival_images").first
                == "0f4636c78f65d3639ece5a064b5ae753e3408614a14fb18ab4d7540d2c248543")
        }
    }

    @Test("a batch is committed together; one refused item leaves the others stored, each with its own answer")
    func batchEnqueue() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store async throws in
                let first = try await store.enqueue(Fixtures.submission("C0"), flags: [], context: Fixtures.nurse)
                let items = [Fixtures.submission("C1"), Fixtures.submission("C2"), Fixtures.submission("C0"),
                             Fixtures.submission("C3")].map { ArrivalEnqueue(submission: $0, flags: [], context: Fixtures.nurse) }
                let together = await store.enqueue(batch: items)
                #expect(together.compactMap { try? $0.get().isDuplicate } == [false, false, true, false])
                #expect(try together[2].get().arrivalID == first.arrivalID)

                // A conflicting re-send of C0 fails the batch's transaction; the others are then stored alone.
                let mixed = [Fixtures.submission("C4"), Fixtures.submission("C0", complaint: "other"),
                             Fixtures.submission("C5")].map { ArrivalEnqueue(submission: $0, flags: [], context: Fixtures.nurse) }
                let answers = await store.enqueue(batch: mixed)
                #expect(throws: QueueError.conflictingResend(arrivalID: first.arrivalID)) { try answers[1].get() }
                #expect(answers.enumerated().filter { $0.offset != 1 }.allSatisfy { (try? $0.element.get().isDuplicate) == false })

                // One statement stores them all: the same key twice in a batch is one arrival; images, arrival times
                // and the order of ids follow the items.
                let image = ImageSubmission(contentType: "image/png", data: Data([0x89, 0x50, 0x4E, 0x47]))
                let arrived = Date(timeIntervalSince1970: 1_796_000_000.123456)
                let repeated = [Fixtures.submission("C6", receivedAt: arrived, images: [image]),
                                Fixtures.submission("C7"), Fixtures.submission("C6", receivedAt: arrived, images: [image])]
                    .map { ArrivalEnqueue(submission: $0, flags: [], context: Fixtures.nurse) }
                let stored = try await store.enqueue(batch: repeated).map { try $0.get() }
                #expect(stored.map(\.isDuplicate) == [false, false, true])
                #expect(stored[2].arrivalID == stored[0].arrivalID && stored[1].arrivalID > stored[0].arrivalID)
                #expect(try await store.image(arrivalID: stored[0].arrivalID, index: 0)?.data == image.data)
                #expect(try await store.verifyAudit().isIntact)
            }
            #expect(try await database.count("arrivals") == 8)
            #expect(try await database.count("arrival_images") == 1)
            #expect(try await database.count("audit_log", where: "action = 'arrival.accepted'") == 8)
            #expect(try await database.count("arrivals", where: "accepted_seq IS NULL") == 0)
            // C6 and C7 were accepted in one transaction (one time), not one by one.
            #expect(try await database.count("audit_log", where: """
                action = 'arrival.accepted'
                AND occurred_at = (SELECT occurred_at FROM audit_log ORDER BY seq DESC LIMIT 1)
                """) == 2)
            #expect(try await database.count(
                "arrivals", where: "external_id = 'C6' AND received_at = '2026-11-30 00:53:20.123456+00'") == 1)
        }
    }

    @Test("scorings commit together; a claim lost meanwhile writes nothing and does not stop the others")
    func batchComplete() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store async throws in
                for id in ["D1", "D2", "D3"] {
                    _ = try await store.enqueue(Fixtures.submission(id), flags: [], context: Fixtures.nurse)
                }
                let claims = try await store.claim(limit: 10, lease: .seconds(900), maxAttempts: 3)
                #expect(claims.count == 3)
                // New vitals for the second start a new round: its claim is lost.
                try await store.recordVitals(arrivalID: claims[1].arrivalID, vitals: Vitals(heartRate: 90),
                                             context: Fixtures.nurse)
                let revision = try await store.snapshot(department: "ed").revision
                let scored = try claims.map { claim in
                    let (presentation, draft) = try Fixtures.draft(for: claim)
                    return ScoredArrival(claim: claim, presentation: presentation, draft: draft)
                }
                let results = await store.complete(scored)
                #expect(throws: QueueError.claimLost(arrivalID: claims[1].arrivalID)) { try results[1].get() }
                #expect((try? results[0].get()) != nil && (try? results[2].get()) != nil)
                #expect(try await store.snapshot(department: "ed").revision == revision + 1)
                #expect(try await store.arrivalStatus(arrivalID: claims[1].arrivalID)?.state == .queued)
                #expect(try await store.verifyAudit().isIntact)
            }
            #expect(try await database.count("assessments") == 2)
            #expect(try await database.count("worklist") == 2)
            #expect(try await database.count("audit_log", where: """
                action = 'assessment.written'
                AND occurred_at = (SELECT occurred_at FROM audit_log ORDER BY seq DESC LIMIT 1)
                """) == 2)
        }
    }

    @Test("a rejected arrival (oversized image) writes nothing")
    func rejectedArrivalWritesNothing() async throws {
        try await TestDatabase.with { database in
            try await database.withStore(StoreConfiguration(maxImageBytes: 8)) { store async throws in
                let big = ImageSubmission(contentType: "image/png", data: Data(repeating: 1, count: 9))
                await #expect(throws: QueueError.self) {
                    try await store.enqueue(Fixtures.submission("B1", images: [big]), flags: [], context: Fixtures.nurse)
                }
            }
            for table in ["arrivals", "arrival_images", "audit_log"] {
                #expect(try await database.count(table) == 0)
            }
        }
    }

    @Test("four concurrent claimers never claim the same arrival (1,000 arrivals)")
    func noDoubleClaim() async throws {
        try await TestDatabase.with { database in
            try await database.insertArrivals(count: 1000)
            let claimed = try await database.withStore { store async throws in
                try await withThrowingTaskGroup(of: [Int].self) { group in
                    for _ in 0..<4 {
                        group.addTask {
                            var mine: [Int] = []
                            while true {
                                // A lease no busy test machine outlasts: expiry has its own test below.
                                let claims = try await store.claim(limit: 25, lease: .seconds(900), maxAttempts: 3)
                                if claims.isEmpty { return mine }
                                for claim in claims {
                                    let (presentation, draft) = try Fixtures.draft(for: claim)
                                    _ = try await store.complete(claim, presentation: presentation, draft: draft)
                                    mine.append(claim.arrivalID)
                                }
                            }
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0 += $1 }
                }
            }
            #expect(claimed.count == 1000)
            #expect(Set(claimed).count == 1000)
            #expect(try await database.count("assessments") == 1000)
            #expect(try await database.count("arrivals", where: "state = 'done' AND attempts = 1") == 1000)
            #expect(try await database.count("worklist") == 1000)
            #expect(try await database.count(
                "audit_log", where: "action = 'arrival.accepted' AND actor = current_user AND role = 'sql'") == 1000)
            #expect(try await database.count("arrivals", where: "accepted_seq IS NULL") == 0)
            try await database.withStore { store async throws in
                // At least one revision per commit: they come from a sequence, and a bump that waited on another
                // draws again, leaving gaps.
                #expect(try await store.revision(department: "ed") >= 1000)
                #expect(try await store.verifyAudit().isIntact)
            }
        }
    }

    @Test("a worker killed mid-batch loses nothing: its expired lease is reclaimed and its late commit refused")
    func leaseExpiry() async throws {
        try await TestDatabase.with { database in
            try await database.insertArrivals(count: 5)
            try await database.withStore { store async throws in
                let dead = try await store.claim(limit: 10, lease: .seconds(60), maxAttempts: 3)
                #expect(dead.count == 5)
                #expect(try await store.claim(limit: 10, lease: .seconds(30), maxAttempts: 3).isEmpty)
                // The worker "dies": instead of waiting a minute, let its leases run out in the database.
                try await database.ownerQuery(
                    "UPDATE arrivals SET lease_until = now() - interval '1 second' WHERE state = 'processing'")
                let reclaimed = try await store.claim(limit: 10, lease: .seconds(30), maxAttempts: 3)
                #expect(Set(reclaimed.map(\.arrivalID)) == Set(dead.map(\.arrivalID)))
                #expect(reclaimed.allSatisfy { $0.attempt == 2 })
                let (presentation, draft) = try Fixtures.draft(for: dead[0])
                await #expect(throws: QueueError.claimLost(arrivalID: dead[0].arrivalID)) {
                    try await store.complete(dead[0], presentation: presentation, draft: draft)
                }
                for claim in reclaimed {
                    let (presentation, draft) = try Fixtures.draft(for: claim)
                    _ = try await store.complete(claim, presentation: presentation, draft: draft)
                }
            }
            #expect(try await database.count("assessments") == 5)
            #expect(try await database.count("assessments", where: "attempt = 2") == 5)
        }
    }

    @Test("an expired lease on the last attempt goes to the dead letter instead of looping")
    func poisonLease() async throws {
        try await TestDatabase.with { database in
            try await database.insertArrivals(count: 1)
            try await database.withStore { store async throws in
                #expect(try await store.claim(limit: 1, lease: .milliseconds(100), maxAttempts: 1).count == 1)
                try await Task.sleep(for: .milliseconds(250))
                #expect(try await store.claim(limit: 1, lease: .seconds(30), maxAttempts: 1).isEmpty)
                let failed = try await store.failedArrivals(limit: 10, departments: nil)
                #expect(failed.count == 1)
                #expect(failed.first?.lastError.contains("lease expired") == true)
            }
        }
    }

    @Test("failures back off exponentially with jitter, then dead-letter; an admin requeues")
    func retryBackoffDeadLetter() async throws {
        try await TestDatabase.with { database in
            try await database.insertArrivals(count: 1)
            try await database.withStore { store async throws in
                // Delays long enough that "not yet due" cannot race a loaded machine; the test then moves
                // the due time to now instead of sleeping.
                let policy = RetryPolicy(maxAttempts: 3, baseDelay: .seconds(60), maxDelay: .seconds(100))
                let scheduledDelay = """
                    SELECT round(extract(epoch FROM next_attempt_at - updated_at) * 1000)::text FROM arrivals
                    """
                var claim = try #require(try await store.claim(limit: 1, lease: .seconds(30), maxAttempts: 3).first)
                var expectedRange = Duration.seconds(30)...Duration.seconds(60)
                for attempt in 1...2 {
                    #expect(claim.attempt == attempt)
                    guard case .retryScheduled(let delay) = try await store.fail(claim, reason: "crash \(attempt)",
                                                                                 policy: policy)
                    else { Issue.record("expected a retry after attempt \(attempt)"); return }
                    #expect(expectedRange.contains(delay))
                    let stored = try await database.ownerQuery(scheduledDelay).first.flatMap { $0 }.flatMap { Int($0) }
                    let delayMilliseconds = delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000
                    #expect(stored.map { abs(Int64($0) - delayMilliseconds) <= 1 } == true)
                    #expect(try await store.claim(limit: 1, lease: .seconds(30), maxAttempts: 3).isEmpty)
                    try await database.ownerQuery("UPDATE arrivals SET next_attempt_at = now()")
                    claim = try #require(try await store.claim(limit: 1, lease: .seconds(30), maxAttempts: 3).first)
                    // 60 s × 2 = 120 s, capped at 100 s, times a jitter factor in [0.5, 1].
                    expectedRange = Duration.seconds(50)...Duration.seconds(100)
                }
                #expect(try await store.fail(claim, reason: "still broken", policy: policy) == .deadLettered)

                let failed = try await store.failedArrivals(limit: 10, departments: nil)
                #expect(failed.map(\.arrivalID) == [claim.arrivalID])
                #expect(failed.first?.lastError == "still broken")
                #expect(failed.first?.attempts == 3)
                #expect(try await store.queueDepth().failed == 1)

                try await store.requeue(arrivalID: claim.arrivalID, context: AuditContext(actor: "ada", role: "admin"))
                await #expect(throws: QueueError.notFailed(arrivalID: claim.arrivalID, state: .queued)) {
                    try await store.requeue(arrivalID: claim.arrivalID, context: AuditContext(actor: "ada", role: "admin"))
                }
                let again = try #require(try await store.claim(limit: 1, lease: .seconds(30), maxAttempts: 3).first)
                #expect(again.attempt == 1)
                let audit = try await store.auditEntries(AuditFilter(arrivalID: claim.arrivalID))
                #expect(audit.map(\.action) == ["arrival.accepted", "arrival.failed", "arrival.requeued"])
            }
        }
    }

    @Test("the backoff doubles per attempt, respects the cap, and jitter stays within half to full delay")
    func backoffSchedule() {
        let policy = RetryPolicy(maxAttempts: 10, baseDelay: .seconds(1), maxDelay: .seconds(30))
        #expect(policy.delay(afterAttempt: 1, jitter: 1) == .seconds(1))
        #expect(policy.delay(afterAttempt: 3, jitter: 1) == .seconds(4))
        #expect(policy.delay(afterAttempt: 3, jitter: 0) == .seconds(2))
        #expect(policy.delay(afterAttempt: 9, jitter: 1) == .seconds(30))
        #expect(policy.delay(afterAttempt: 100, jitter: 0.5) == .milliseconds(22_500))
    }

    @Test("one assessment per committed attempt; new vitals start a new round whose level is advice on a confirmed row")
    func oneAssessmentPerAttempt() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store async throws in
                let arrival = try await store.enqueue(Fixtures.submission("C1"), flags: [], context: Fixtures.nurse)
                let claim = try #require(try await Fixtures.scoreAll(store).first)
                let (presentation, draft) = try Fixtures.draft(for: claim)
                await #expect(throws: QueueError.claimLost(arrivalID: arrival.arrivalID)) {
                    try await store.complete(claim, presentation: presentation, draft: draft)
                }
                let row = try #require(try await store.row(arrivalID: arrival.arrivalID))
                _ = try await store.decide(.confirm, arrivalID: arrival.arrivalID, expectedVersion: row.version,
                                           context: Fixtures.nurse)

                let sick = Vitals(heartRate: 135, respiratoryRate: 30, systolicBP: 85, spo2: 88, temperatureC: 39.4)
                try await store.recordVitals(arrivalID: arrival.arrivalID, vitals: sick, context: Fixtures.nurse)
                let status = try #require(try await store.arrivalStatus(arrivalID: arrival.arrivalID))
                #expect(status.state == .queued && status.scoringRound == 2)
                let second = try #require(try await Fixtures.scoreAll(store).first)
                #expect(second.scoringRound == 2 && second.attempt == 1)
                let retriaged = try #require(try await store.row(arrivalID: arrival.arrivalID))
                // The nurse's confirmation stands; the more urgent re-triage is advice with a review alert.
                #expect(retriaged.state == .confirmed)
                #expect(retriaged.effectiveLevel == row.proposedLevel)
                #expect(retriaged.version == row.version + 2)
                #expect(retriaged.proposedLevel.isMoreUrgent(than: row.proposedLevel))
                #expect(retriaged.reviewLevel == retriaged.proposedLevel)
                #expect(retriaged.advisory == "Re-triage now suggests \(retriaged.proposedLevel) — review")
                let detail = try #require(try await store.assessment(id: retriaged.assessmentID))
                #expect(detail.presentation.vitals == sick)
                #expect(detail.scoringRound == 2)
            }
            #expect(try await database.count("assessments") == 2)
            #expect(try await database.count("vitals_observations") == 1)
        }
    }

    @Test("new vitals for a discharged patient are refused")
    func vitalsAfterDischarge() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store async throws in
                let arrival = try await store.enqueue(Fixtures.submission("D1"), flags: [], context: Fixtures.nurse)
                try await Fixtures.scoreAll(store)
                _ = try await store.decide(.discharge(reason: nil), arrivalID: arrival.arrivalID, expectedVersion: 1,
                                           context: Fixtures.nurse)
                await #expect(throws: QueueError.notOnBoard(arrivalID: arrival.arrivalID)) {
                    try await store.recordVitals(arrivalID: arrival.arrivalID, vitals: Vitals(heartRate: 90),
                                                 context: Fixtures.nurse)
                }
            }
        }
    }
}
