import Foundation
import Testing
import TriageCore
import TriageStore
import TriageStoreTestSupport

@Suite("Worklist and decisions")
struct WorklistTests {
    /// Three arrivals, oldest first: a sprain (less urgent), chest pain with bad vitals, a cough.
    private func board(_ store: PostgresTriageStore) async throws -> [Int] {
        let start = Date(timeIntervalSince1970: 1_790_000_000)
        var ids: [Int] = []
        for (index, (complaint, vitals)) in [
            ("sprained ankle", Vitals(heartRate: 80, respiratoryRate: 16, systolicBP: 125, spo2: 99, temperatureC: 36.8)),
            ("chest pain", Vitals(heartRate: 140, respiratoryRate: 32, systolicBP: 82, spo2: 86, temperatureC: 38.9)),
            ("cough", Vitals(heartRate: 84, respiratoryRate: 18, systolicBP: 128, spo2: 97, temperatureC: 37.2)),
        ].enumerated() {
            let submission = Fixtures.submission("W\(index)", complaint: complaint, vitals: vitals,
                                                 receivedAt: start.addingTimeInterval(Double(index) * 60))
            ids.append(try await store.enqueue(submission, flags: [], context: Fixtures.nurse).arrivalID)
        }
        try await Fixtures.scoreAll(store)
        return ids
    }

    @Test("rows are ordered by effective level, then arrival time, with item 5's fields")
    func ordering() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store async throws in
                let ids = try await board(store)
                let snapshot = try await store.snapshot(department: "ed")
                #expect(snapshot.revision == 3)
                #expect(snapshot.rows.count == 3)
                #expect(snapshot.rows.first?.arrivalID == ids[1])
                let levels = snapshot.rows.map(\.effectiveLevel)
                #expect(levels == levels.sorted())
                for pair in zip(snapshot.rows, snapshot.rows.dropFirst()) where pair.0.effectiveLevel == pair.1.effectiveLevel {
                    #expect(pair.0.receivedAt <= pair.1.receivedAt)
                }
                let top = try #require(snapshot.rows.first)
                #expect(top.state == .awaitingConfirmation && top.version == 1)
                #expect(top.chiefComplaint == "chest pain" && top.age == .years(40) && top.sex == .female)
                #expect(!top.topFindings.isEmpty && top.topFindings.count <= 3)
                #expect(top.minutesWaiting > 0)
                let interval = Double(ReassessmentIntervals.default.minutes[top.effectiveLevel]! * 60)
                #expect(abs(top.reassessmentDue.timeIntervalSince(snapshot.generatedAt) - interval) < 60)
            }
        }
    }

    @Test("an override re-orders the board; a stale version is refused and writes nothing")
    func overrideAndStaleVersion() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store async throws in
                let ids = try await board(store)
                let sprain = try #require(try await store.row(arrivalID: ids[0]))
                let receipt = try await store.decide(.override(level: .resuscitation, reason: "  looks grey  "),
                                                     arrivalID: ids[0], expectedVersion: sprain.version,
                                                     context: Fixtures.nurse)
                #expect(receipt.state == .overridden && receipt.effectiveLevel == .resuscitation)
                #expect(receipt.version == sprain.version + 1 && receipt.revision == 4)
                let snapshot = try await store.snapshot(department: "ed")
                #expect(snapshot.rows.first?.arrivalID == ids[0])
                #expect(snapshot.rows.first?.proposedLevel == sprain.proposedLevel)
                #expect(snapshot.rows.first?.decidedBy == "nurse.jones")

                let auditRows = try await database.count("audit_log")
                await #expect(throws: DecisionError.versionMismatch(current: receipt.version)) {
                    try await store.decide(.confirm, arrivalID: ids[0], expectedVersion: sprain.version,
                                           context: Fixtures.nurse)
                }
                #expect(try await database.count("decisions") == 1)
                #expect(try await database.count("audit_log") == auditRows)
                #expect(try await store.revision(department: "ed") == 4)
                let detail = try #require(try await store.assessment(id: sprain.assessmentID))
                #expect(detail.decisions.map(\.reason) == ["looks grey"])
                #expect(detail.decisions.first?.level == .resuscitation)
            }
        }
    }

    @Test("an override without a reason, or to the proposed level, is rejected and writes nothing")
    func invalidOverride() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store async throws in
                let ids = try await board(store)
                let row = try #require(try await store.row(arrivalID: ids[2]))
                let auditRows = try await database.count("audit_log")
                await #expect(throws: DecisionError.invalid("an override needs a reason")) {
                    try await store.decide(.override(level: .emergent, reason: " \n"), arrivalID: ids[2],
                                           expectedVersion: row.version, context: Fixtures.nurse)
                }
                await #expect(throws: DecisionError.self) {
                    try await store.decide(.override(level: row.proposedLevel, reason: "same"), arrivalID: ids[2],
                                           expectedVersion: row.version, context: Fixtures.nurse)
                }
                #expect(try await database.count("decisions") == 0)
                #expect(try await database.count("audit_log") == auditRows)
                #expect(try await store.row(arrivalID: ids[2])?.version == row.version)
            }
        }
    }

    @Test("confirm then discharge: the patient leaves the board; later decisions find nothing")
    func confirmAndDischarge() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store async throws in
                let ids = try await board(store)
                let row = try #require(try await store.row(arrivalID: ids[1]))
                let confirmed = try await store.decide(.confirm, arrivalID: ids[1], expectedVersion: row.version,
                                                       context: Fixtures.nurse)
                #expect(confirmed.state == .confirmed && confirmed.effectiveLevel == row.proposedLevel)
                _ = try await store.decide(.discharge(reason: "admitted to ICU"), arrivalID: ids[1],
                                           expectedVersion: confirmed.version,
                                           context: AuditContext(actor: "dr.who", role: "physician"))
                #expect(try await store.snapshot(department: "ed").rows.map(\.arrivalID).contains(ids[1]) == false)
                #expect(try await store.row(arrivalID: ids[1]) == nil)
                await #expect(throws: DecisionError.notFound) {
                    try await store.decide(.confirm, arrivalID: ids[1], expectedVersion: confirmed.version + 1,
                                           context: Fixtures.nurse)
                }
                await #expect(throws: DecisionError.notFound) {
                    try await store.decide(.confirm, arrivalID: 999_999, expectedVersion: 1, context: Fixtures.nurse)
                }
                let actions = try await store.auditEntries(AuditFilter(arrivalID: ids[1])).map(\.action)
                #expect(actions == ["arrival.accepted", "assessment.written", "decision.confirm", "decision.discharge"])
            }
        }
    }

    @Test("waitForChange returns as soon as the revision moves, or at the timeout")
    func longPoll() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store async throws in
                let start = try await store.revision(department: "ed")
                #expect(try await store.waitForChange(department: "ed", after: start, timeout: .milliseconds(300)) == start)
                // Long enough to outlast the change even on a machine busy with other suites.
                async let changed = store.waitForChange(department: "ed", after: start, timeout: .seconds(60))
                try await Task.sleep(for: .milliseconds(200))
                _ = try await board(store)
                let clock = ContinuousClock.now
                #expect(try await changed > start)
                #expect(ContinuousClock.now - clock < .seconds(5))
            }
        }
    }

    @Test("each department's revision moves with its own board only; the previous version's bumps reach ed's")
    func departmentRevisions() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store async throws in
                try await store.registerDepartments(["ed", "north"])
                let (ed, north) = (try await store.revision(department: "ed"), try await store.revision(department: "north"))
                _ = try await board(store)
                #expect(try await store.revision(department: "ed") > ed)
                #expect(try await store.revision(department: "north") == north)
                #expect(try await store.revision(department: "unknown") == 0)

                // A process of the previous version bumps worklist_state; ed's board must see its change.
                let before = try await store.revision(department: "ed")
                try await database.ownerQuery("SET ROLE edtriage_app; UPDATE worklist_state SET revision = revision + 1")
                #expect(try await store.revision(department: "ed") > before)
                #expect(try await store.revision(department: "north") == north)
            }
        }
    }

    @Test("images come back byte for byte with their metadata")
    func images() async throws {
        try await TestDatabase.with { database in
            try await database.withStore { store async throws in
                let bytes = Data((0..<2048).map { UInt8($0 % 251) })
                let arrival = try await store.enqueue(
                    Fixtures.submission("I1", images: [ImageSubmission(contentType: "image/jpeg", data: bytes)]),
                    flags: [], context: Fixtures.nurse)
                try await Fixtures.scoreAll(store)
                let image = try #require(try await store.image(arrivalID: arrival.arrivalID, index: 0))
                #expect(image.data == bytes && image.contentType == "image/jpeg")
                #expect(try await store.image(arrivalID: arrival.arrivalID, index: 1) == nil)
                let row = try #require(try await store.row(arrivalID: arrival.arrivalID))
                let detail = try #require(try await store.assessment(id: row.assessmentID))
                #expect(detail.images == [ImageMetadata(index: 0, contentType: "image/jpeg",
                                                        sha256: CanonicalJSON.sha256Hex(bytes), byteSize: 2048)])
                #expect(detail.inputSHA256 == (try detail.presentation.canonicalSHA256()))
            }
        }
    }
}
