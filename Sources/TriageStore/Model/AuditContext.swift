/// Who is making a change, recorded on every audit row the change writes.
public struct AuditContext: Sendable, Hashable {
    /// The authenticated subject (user name, or a service name such as `worker`).
    public var actor: String
    /// The actor's role, e.g. `nurse`, `physician`, `admin`, `ingest`, `system`.
    public var role: String
    /// The HTTP request id (or the CLI run id), to tie audit rows to logs.
    public var requestID: String?

    public init(actor: String, role: String, requestID: String? = nil) {
        self.actor = actor
        self.role = role
        self.requestID = requestID
    }

    /// The queue worker writing assessments.
    public static let worker = AuditContext(actor: "worker", role: "system")
}
