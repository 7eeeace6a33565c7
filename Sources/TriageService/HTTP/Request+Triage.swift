import Foundation
import HTTPTypes
import Hummingbird
import TriageCore

extension Request {
    /// Decodes a JSON body of at most `limit` bytes. A declared or actual size above the limit is 413 before
    /// anything is parsed; syntax errors are 400 and field errors 422 (see `Problem(decoding:)`).
    func decodeJSON<Value: Decodable>(_ type: Value.Type, limit: Int) async throws -> Value {
        try Self.decode(Value.self, from: try await collectBody(limit: limit))
    }

    /// Like `decodeJSON`, but an empty body decodes as nil (for optional bodies such as a discharge reason).
    func decodeOptionalJSON<Value: Decodable>(_ type: Value.Type, limit: Int) async throws -> Value? {
        let buffer = try await collectBody(limit: limit)
        return buffer.readableBytes == 0 ? nil : try Self.decode(Value.self, from: buffer)
    }

    private static func decode<Value: Decodable>(_ type: Value.Type, from buffer: ByteBuffer) throws -> Value {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = RFC3339.decodingStrategy
        return try decoder.decode(Value.self, from: Data(buffer.readableBytesView))
    }

    private func collectBody(limit: Int) async throws -> ByteBuffer {
        if let declared = headers[.contentLength].flatMap(Int.init), declared > limit {
            throw Problem(.contentTooLarge, "the request body is larger than \(limit) bytes")
        }
        return try await body.collect(upTo: limit)
    }

    /// The request's `Idempotency-Key` (IETF httpapi draft "The Idempotency-Key HTTP Header Field"), or nil: a client
    /// that sends a request again after getting no answer names both attempts with one key, so an attempt that was
    /// committed unbeknown to it is recognised. 1–255 visible ASCII characters; anything else is 400.
    func idempotencyKey() throws -> String? {
        guard let key = headers[.idempotencyKey] else { return nil }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw Problem(.malformedRequest, "Idempotency-Key must be 1 to 255 visible ASCII characters")
        }
        return key
    }

    /// The version an `If-Match` header demands: 428 when absent, 412 when it names no version we issue.
    func requiredVersion() throws -> Int {
        guard let header = headers[.ifMatch] else {
            throw Problem(.preconditionRequired, "send If-Match with the ETag of the row you read")
        }
        guard let version = EntityTag.versions(in: header).first else {
            throw Problem(.versionMismatch, "If-Match names no current version")
        }
        return version
    }
}

extension HTTPField.Name {
    static let idempotencyKey = Self("Idempotency-Key")!
}

extension RequestContext {
    /// The `{name}` path parameter as a positive integer id; anything else is 404 (no such resource).
    func id(_ name: String, of what: String) throws -> Int {
        guard let text = parameters.get(name), let id = Int(text), id > 0 else {
            throw Problem.notFound(what)
        }
        return id
    }
}

/// Strong entity tags carrying an integer: the worklist revision or a board row's version.
enum EntityTag {
    static func header(_ version: Int) -> String { "\"\(version)\"" }

    /// The integer versions listed in an `If-Match` / `If-None-Match` value, ignoring weak prefixes,
    /// `*` and tags we never issue.
    static func versions(in header: String) -> [Int] {
        header.split(separator: ",").compactMap { tag in
            var text = tag.trimmingCharacters(in: .whitespaces)
            if text.hasPrefix("W/") { text.removeFirst(2) }
            guard text.count >= 2, text.first == "\"", text.last == "\"" else { return nil }
            return Int(text.dropFirst().dropLast())
        }
    }
}

/// A JSON response with a status and extra headers (ETag, Cache-Control).
struct JSONResponse<Body: Encodable & Sendable>: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    var headers: HTTPFields = [:]
    var contentType = "application/json; charset=utf-8"
    let body: Body

    func response(from request: Request, context: some RequestContext) throws -> Response {
        try EncodedJSONResponse(status: status, headers: headers, contentType: contentType, data: JSONBody.encode(body))
            .response(from: request, context: context)
    }
}

/// The wire form of every JSON body: sorted keys, ISO 8601 dates, slashes left as they are.
enum JSONBody {
    static func encode(_ value: some Encodable) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }
}

/// A JSON body encoded beforehand (a cached board), sent with the headers `JSONResponse` sends.
struct EncodedJSONResponse: ResponseGenerator {
    var status: HTTPResponse.Status = .ok
    var headers: HTTPFields = [:]
    var contentType = "application/json; charset=utf-8"
    let data: Data

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers = self.headers
        headers[.contentType] = contentType
        headers[.contentLength] = String(data.count)
        // Bodies hold patient data: a shared cache must never keep them.
        if headers[.cacheControl] == nil { headers[.cacheControl] = "private, no-store" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
