/// What a bearer token lets its holder do; the `role` claim of the JWT.
public enum Role: String, Codable, Sendable, CaseIterable {
    /// A wall board: reads the worklist and nothing else.
    case dashboard
    case nurse
    case physician
    /// Operations: audit trail, failed arrivals, requeues.
    case admin
    /// A registration or monitoring feed: posts arrivals and new vitals, reads nothing back.
    case intake
}

/// The caller behind a verified bearer token.
public struct AuthenticatedUser: Sendable, Equatable {
    /// The `sub` claim: who acts, recorded as the actor of every audit row and decision.
    public let actorID: String
    public let role: Role
    /// The departments the token lets its holder see and act on.
    public let departments: DepartmentAccess

    public init(actorID: String, role: Role, departments: DepartmentAccess = .all) {
        self.actorID = actorID
        self.role = role
        self.departments = departments
    }
}

/// Which departments a token covers: the `departments` claim, a list of department codes, `*` for all.
public enum DepartmentAccess: Sendable, Equatable {
    case all
    case only(Set<String>)

    /// The claim's value: `*` anywhere in it covers every department.
    init(claim: [String]) {
        self = claim.contains(Self.everyDepartment) ? .all : .only(Set(claim))
    }

    static let everyDepartment = "*"

    public func covers(_ department: String) -> Bool {
        switch self {
        case .all: true
        case .only(let codes): codes.contains(department)
        }
    }

    /// The covered departments as a store filter: nil for all.
    var codes: Set<String>? {
        switch self {
        case .all: nil
        case .only(let codes): codes
        }
    }
}
