import Foundation
import Hummingbird

/// `GET /board` and its two assets: the ED board, plain HTML, CSS and JavaScript shipped as resources.
///
/// The page holds no patient data and is public; it asks for a token and sends it with its own API calls.
/// A self-only Content-Security-Policy keeps it from loading or calling anything beyond this service.
struct BoardController: Sendable {
    /// An asset served verbatim, read once at start-up so a broken build fails at once, not per request.
    struct Asset: Sendable {
        let contentType: String
        let body: ByteBuffer
    }

    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        + "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    static let contentTypes = [
        "index.html": "text/html; charset=utf-8",
        "board.css": "text/css; charset=utf-8",
        "board.js": "text/javascript; charset=utf-8",
    ]

    let assets: [String: Asset]

    init() throws {
        guard let folder = Bundle.module.url(forResource: "board", withExtension: nil) else {
            throw Problem(.internal, "the board page is missing from this build")
        }
        assets = try Self.contentTypes.reduce(into: [:]) { assets, entry in
            let text = try String(contentsOf: folder.appendingPathComponent(entry.key), encoding: .utf8)
            assets[entry.key] = Asset(contentType: entry.value, body: ByteBuffer(string: text))
        }
    }

    func addRoutes(to routes: APIRoutes) {
        routes.on(.board) { _, _ in try response(for: "index.html") }
        routes.on(.boardAsset) { _, context in
            // Only the page's own assets: the page itself is served at /board, nothing else is reachable.
            let file = context.parameters.get("file") ?? ""
            guard file != "index.html" else { throw Problem.notFound("the board asset") }
            return try response(for: file)
        }
    }

    private func response(for file: String) throws -> Response {
        guard let asset = assets[file] else { throw Problem.notFound("the board asset") }
        return Response(status: .ok,
                        headers: [.contentType: asset.contentType,
                                  .contentSecurityPolicy: Self.contentSecurityPolicy,
                                  .xContentTypeOptions: "nosniff",
                                  .cacheControl: "no-cache"],
                        body: .init(byteBuffer: asset.body))
    }
}
