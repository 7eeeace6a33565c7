import Foundation
import Hummingbird
import ServiceLifecycle
import TriageStore

/// `GET /v1/worklist`: a department's board, with revision ETags, `If-None-Match` → 304 and `?wait=` long-polling;
/// `GET /v1/departments`: the departments the caller's token covers, for the board's picker.
struct WorklistController: Sendable {
    let worklist: any WorklistRepository
    let changes: BoardChangeFeed
    let gate: DepartmentGate
    /// The encoded boards this process serves; one per department and view.
    let snapshots: BoardSnapshotCache
    /// Longest honoured `?wait=`.
    let maxWait: Duration
    /// Whether `dashboard` tokens get the reduced wall-board rows (`auth.dashboard_view: minimal`).
    let wallScreensSeeLess: Bool

    func addRoutes(to routes: APIRoutes) {
        routes.on(.worklist, use: list)
        routes.on(.departments, use: departments)
    }

    struct Departments: Encodable, Sendable {
        let departments: [String]
    }

    @Sendable func departments(_ request: Request, context: TriageRequestContext) async throws -> Response {
        try JSONResponse(body: Departments(departments: try gate.visible(to: context))).response(from: request, context: context)
    }

    @Sendable func list(_ request: Request, context: TriageRequestContext) async throws -> Response {
        let query = QueryReader(request.uri.queryParameters)
        let department = try gate.board(try query.string("department"), context)
        let known = request.headers[.ifNoneMatch].map(EntityTag.versions(in:)) ?? []
        let wait = try waitDuration(query)
        var revision = try await worklist.revision(department: department)
        if known.contains(revision) {
            if wait > .zero {
                revision = try await waitForChange(department: department, after: revision, timeout: wait)
            }
            if known.contains(revision) {
                return Response(status: .notModified, headers: [.eTag: EntityTag.header(revision)])
            }
        }
        let wallView = wallScreensSeeLess && context.identity?.role == .dashboard
        let body = try await snapshots.body(.init(department: department, wallView: wallView), atLeast: revision) {
            [worklist] in
            let snapshot = try await worklist.snapshot(department: department)
            return (snapshot.revision, try wallView ? JSONBody.encode(WallBoardSnapshot(snapshot)) : JSONBody.encode(snapshot))
        }
        return try EncodedJSONResponse(headers: [.eTag: EntityTag.header(body.revision)], data: body.data)
            .response(from: request, context: context)
    }

    /// Waits for a newer revision, but gives up at graceful shutdown so a long-polling board never holds
    /// the server open: the board simply polls again. With every waiting place taken, the board is told
    /// to come back shortly.
    private func waitForChange(department: String, after revision: Int, timeout: Duration) async throws -> Int {
        do {
            return try await cancelWhenGracefulShutdown {
                try await changes.waitForChange(department: department, after: revision, timeout: timeout)
            }
        } catch is CancellationError {
            return revision
        } catch is BoardChangeFeed.Full {
            throw Problem(.unavailable, "\(changes.capacity) boards are already waiting for a change: poll again shortly",
                          headers: [.retryAfter: "2"])
        }
    }

    private func waitDuration(_ query: QueryReader) throws -> Duration {
        let seconds = try query.int("wait", in: 0...Int.max) ?? 0
        return min(.seconds(seconds), maxWait)
    }
}
