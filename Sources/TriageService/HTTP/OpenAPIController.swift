import Foundation
import Hummingbird

/// `GET /v1/openapi.yaml`: the API description shipped with the service (the file the sync test checks).
struct OpenAPIController: Sendable {
    /// The OpenAPI 3.1 document bundled as a resource of this module.
    static func document() throws -> String {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw Problem(.internal, "the API description is missing from this build")
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    func addRoutes(to routes: APIRoutes) {
        routes.on(.openAPI) { _, _ in
            let text = try Self.document()
            return Response(status: .ok, headers: [.contentType: "application/yaml; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
