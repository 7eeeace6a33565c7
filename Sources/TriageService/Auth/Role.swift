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

    public init(actorID: String, role: Role) {
        self.actorID = actorID
        self.role = role
    }
}
