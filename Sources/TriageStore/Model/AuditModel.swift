import Foundation
import TriageCore

/// One row of the append-only audit log.
public struct AuditEntry: Codable, Sendable, Hashable {
    public var seq: Int
    public var occurredAt: Date
    public var actor: String
    public var role: String
    /// e.g. `arrival.accepted`, `assessment.written`, `decision.override`, `token.rejected`.
    public var action: String
    public var entity: String
    public var entityID: String?
    public var requestID: String?
    public var before: JSONValue?
    public var after: JSONValue?
    public var prevHash: String
    public var hash: String

    private enum CodingKeys: String, CodingKey {
        case seq, actor, role, action, entity, before, after, hash
        case occurredAt = "occurred_at"
        case entityID = "entity_id"
        case requestID = "request_id"
        case prevHash = "prev_hash"
    }
}

/// Which audit rows to list. All conditions are optional and combine with AND.
public struct AuditFilter: Sendable, Hashable {
    /// Reads of patient data (`access.*` rows) or everything else (changes).
    public enum Kind: String, Sendable, CaseIterable {
        case access, change
    }

    public var since: Date?
    public var until: Date?
    public var actor: String?
    public var arrivalID: Int?
    public var kind: Kind?
    /// Only rows after this sequence number (for paging).
    public var afterSeq: Int?
    /// Only rows about arrivals in these departments; nil: every row, those about no arrival too.
    public var departments: Set<String>?
    public var limit: Int

    public init(since: Date? = nil, until: Date? = nil, actor: String? = nil, arrivalID: Int? = nil,
                kind: Kind? = nil, afterSeq: Int? = nil, departments: Set<String>? = nil, limit: Int = 100) {
        self.since = since
        self.until = until
        self.actor = actor
        self.arrivalID = arrivalID
        self.kind = kind
        self.afterSeq = afterSeq
        self.departments = departments
        self.limit = limit
    }
}

/// A read of patient data, recorded in the audit trail as who read what and when (`access.*` rows).
public enum DataAccess: Sendable, Hashable {
    /// An assessment's detail: explanation, inputs, decisions.
    case assessment(arrivalID: Int, assessmentID: Int)
    /// One of an arrival's images.
    case image(arrivalID: Int, index: Int)
    /// A page of the audit trail (which names patients' arrivals), with the rows it returned.
    case audit(rows: Int)
}

/// The chain's newest link.
public struct AuditHead: Sendable, Hashable {
    public var seq: Int
    public var hash: String

    public init(seq: Int, hash: String) {
        self.seq = seq
        self.hash = hash
    }
}

/// The result of walking the whole hash chain.
public struct AuditVerification: Codable, Sendable, Hashable {
    public struct BrokenLink: Codable, Sendable, Hashable {
        public var seq: Int
        public var reason: String

        public init(seq: Int, reason: String) {
            self.seq = seq
            self.reason = reason
        }
    }

    /// How the chain compares with the latest signed checkpoint kept outside the database.
    public struct CheckpointMatch: Codable, Sendable, Hashable {
        /// The row the latest checkpoint names, and when it was signed; nil when no valid checkpoint exists.
        public var seq: Int?
        public var signedAt: String?
        /// Why the chain does not match (rows deleted, chain rewritten, a checkpoint not signed by the key); nil
        /// when it does.
        public var problem: String?

        public init(seq: Int?, signedAt: String?, problem: String?) {
            self.seq = seq
            self.signedAt = signedAt
            self.problem = problem
        }

        private enum CodingKeys: String, CodingKey {
            case seq, problem
            case signedAt = "signed_at"
        }
    }

    public var isIntact: Bool
    /// Rows checked (up to and including the first broken one).
    public var checked: Int
    public var firstBroken: BrokenLink?
    /// Nil when no checkpoints are configured.
    public var checkpoint: CheckpointMatch?

    public init(isIntact: Bool, checked: Int, firstBroken: BrokenLink?, checkpoint: CheckpointMatch? = nil) {
        self.isIntact = isIntact
        self.checked = checked
        self.firstBroken = firstBroken
        self.checkpoint = checkpoint
    }

    private enum CodingKeys: String, CodingKey {
        case checked, checkpoint
        case isIntact = "is_intact"
        case firstBroken = "first_broken"
    }
}
