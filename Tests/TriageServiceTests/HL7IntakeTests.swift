import Foundation
import Logging
import Synchronization
import Testing
import TriageCore
import TriageStore
@testable import TriageService

/// The HL7 v2 intake on the real store, with the board row changed by a nurse between the intake's read of it and
/// its write, as happens when an assessment lands while an ADT^A03 is applied.
@Suite struct HL7IntakeTests {
    /// The stored worklist, except that each of the first `changes` reads of a row is followed by a nurse's
    /// confirmation of that row, so the version read is stale by the time the reader writes.
    final class ChangedAfterRead: WorklistRepository {
        let store: PostgresTriageStore
        let changes: Mutex<Int>

        init(_ store: PostgresTriageStore, changes: Int) {
            self.store = store
            self.changes = Mutex(changes)
        }

        func row(arrivalID: Int, includingDischarged: Bool) async throws -> WorklistRow? {
            let row = try await store.row(arrivalID: arrivalID, includingDischarged: includingDischarged)
            if let row, changes.withLock({ changes in defer { changes -= 1 }; return changes > 0 }) {
                _ = try await store.decide(.confirm, arrivalID: arrivalID, expectedVersion: row.version,
                                           context: AuditContext(actor: "nurse-1", role: "nurse", requestID: nil))
            }
            return row
        }

        func snapshot(department: String) async throws -> WorklistSnapshot { try await store.snapshot(department: department) }
        func boardCensus() async throws -> [BoardCensus] { try await store.boardCensus() }
        func revision(department: String) async throws -> Int { try await store.revision(department: department) }
        func revisions() async throws -> [String: Int] { try await store.revisions() }
        func waitForChange(department: String, after revision: Int, timeout: Duration) async throws -> Int {
            try await store.waitForChange(department: department, after: revision, timeout: timeout)
        }
        func decide(_ decision: Decision, arrivalID: Int, expectedVersion: Int, context: AuditContext) async throws
            -> DecisionReceipt
        {
            try await store.decide(decision, arrivalID: arrivalID, expectedVersion: expectedVersion, context: context)
        }
    }

    static func sample(_ name: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("samples/hl7/\(name).hl7"), encoding: .utf8)
    }

    /// Registers the sample visit through the intake, scores it onto the board, then sends its ADT^A03 with the
    /// board row changing after each of the intake's first `changes` reads; returns the ACK (nil: none).
    static func discharge(changingRow changes: Int, _ harness: ServiceHarness) async throws -> String? {
        let intake = { (worklist: any WorklistRepository) in
            HL7Intake(queue: harness.store, arrivals: ArrivalBatcher(queue: harness.store), worklist: worklist,
                      validator: ArrivalValidator(limits: harness.configuration.triage.arrivalLimits),
                      logger: Logger(label: "edtriage.tests"))
        }
        let registered = try #require(await intake(harness.store).acknowledge(try sample("a04-chest-pain")))
        #expect(registered.contains("MSA|AA|"))
        try await harness.scoreQueued()
        #expect(try await harness.database.count("worklist") == 1)
        return await intake(ChangedAfterRead(harness.store, changes: changes)).acknowledge(try sample("a03-discharge"))
    }

    @Test("an ADT^A03 whose board row changes after it was read is applied to the row as it is now")
    func dischargeOfAChangingRow() async throws {
        try await ServiceHarness.run { harness in
            let ack = try #require(try await Self.discharge(changingRow: HL7Intake.dischargeAttempts - 1, harness))
            #expect(ack.contains("MSA|AA|EPIC-000103"), "\(ack)")
            #expect(try await harness.database.count("worklist", where: "status = 'discharged'") == 1)
            #expect(try await harness.database.count("decisions", where: "kind = 'discharge'") == 1)
            #expect(try await harness.database.count("decisions", where: "kind = 'confirm'")
                == HL7Intake.dischargeAttempts - 1)
        }
    }

    @Test("an ADT^A03 whose board row keeps changing gets no ACK, so the sender sends it again, and writes nothing")
    func dischargeOfARowThatKeepsChanging() async throws {
        try await ServiceHarness.run { harness in
            let ack = try await Self.discharge(changingRow: HL7Intake.dischargeAttempts, harness)
            #expect(ack == nil, "\(ack ?? "")")
            #expect(try await harness.database.count("worklist", where: "status = 'discharged'") == 0)
            #expect(try await harness.database.count("decisions", where: "kind = 'discharge'") == 0)
        }
    }
}
