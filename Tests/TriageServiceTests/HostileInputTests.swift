import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import TriageCore
import TriageStore
@testable import TriageService

/// Malformed and hostile input against every write endpoint, over the real router and PostgreSQL: each is
/// refused as bad input (4xx, never 5xx), and a refused request writes nothing (every write appends to the
/// audit chain in its own transaction, so an unchanged chain head means nothing was written).
@Suite struct HostileInputTests {
    @Test("text PostgreSQL cannot store or would count differently is refused before the database")
    func textLimitsAgreeWithTheDatabase() async throws {
        try await ServiceHarness.run { harness in
            // One Character, 301 Unicode scalars: within 200 characters, beyond the SQL CHECK's 200.
            let flood = "e" + String(repeating: "\u{301}", count: 300)
            let arrival = Arrivals.chestPain().replacingOccurrences(of: #""patient_ref": "MRN-"#,
                                                                    with: #""patient_ref": "\#(flood)"#)
            let refused = try await harness.send(.post, "/v1/arrivals", as: .nurse, json: arrival)
            #expect(refused.status == .unprocessableContent)
            #expect(try harness.problem(refused).field == "patient_ref")

            let row = try await harness.boardRow(for: Arrivals.chestPain())
            let nul = try await harness.send(.post, "/v1/assessments/\(row.assessmentID)/override", as: .nurse,
                                             headers: [.ifMatch: EntityTag.header(row.version)],
                                             json: #"{"level": 2, "reason": "a\u0000b"}"#)
            #expect(nul.status == .unprocessableContent)
            #expect(try harness.problem(nul).field == "reason")
            let actor = try await harness.send(.get, "/v1/audit?actor=a%00b", as: .admin)
            #expect(actor.status == .unprocessableContent)
            #expect(try await harness.database.count("decisions") == 0)
        }
    }

    @Test("a method a known path does not serve is 405 with Allow; an unknown path stays 404")
    func methodNotAllowed() async throws {
        try await ServiceHarness.run { harness in
            let delete = try await harness.send(.delete, "/v1/worklist", as: .admin)
            #expect(delete.status == .methodNotAllowed)
            #expect(delete.headers[.allow] == "GET")
            #expect(try harness.problem(delete).type == Problem.Kind.methodNotAllowed.typeURI)
            #expect(try await harness.send(.get, "/v1/assessments/7/confirm", as: .nurse).status == .methodNotAllowed)
            #expect(try await harness.send(.get, "/v1/nothing-here", as: .nurse).status == .notFound)
        }
    }

    @Test("10,000 generated malformed or hostile bodies to every write endpoint: no 5xx, nothing written when refused")
    func fuzzedBodies() async throws {
        try await ServiceHarness.run { harness in
            let row = try await harness.boardRow(for: Arrivals.chestPain())
            let nurse = try await harness.headers(.nurse)
            let admin = try await harness.headers(.admin)
            let endpoints: [(uri: String, headers: HTTPFields, seed: String)] = [
                ("/v1/arrivals", nurse, Arrivals.chestPain("fuzz")),
                ("/v1/arrivals/\(row.arrivalID)/vitals", nurse, #"{"vitals": {"hr": 90, "rr": 16}}"#),
                ("/v1/arrivals/\(row.arrivalID)/discharge", nurse, #"{"reason": "home"}"#),
                ("/v1/assessments/\(row.assessmentID)/override", nurse, #"{"level": 2, "reason": "looks unwell"}"#),
                ("/v1/assessments/\(row.assessmentID)/confirm", nurse, "{}"),
                ("/v1/admin/failed/\(row.arrivalID)/requeue", admin, "{}"),
            ]
            var generator = HostileBodies(seed: 0x5EED)
            var head = try await harness.store.auditHead()
            // Decisions need the row's current version, so the body, not the ETag, is what is refused; it changes
            // only when a body is accepted.
            var version = row.version
            var statuses: [UInt: Int] = [:]
            for index in 0..<10_000 {
                let endpoint = endpoints[index % endpoints.count]
                var headers = endpoint.headers
                headers[.contentType] = "application/json"
                headers[.ifMatch] = EntityTag.header(version)
                let body = generator.next(mutating: Data(endpoint.seed.utf8))
                let response = try await harness.client.execute(uri: endpoint.uri, method: .post, headers: headers,
                                                                body: ByteBuffer(bytes: body))
                statuses[UInt(response.status.code), default: 0] += 1
                #expect(response.status.code < 500, "\(endpoint.uri) answered \(response.status.code) to body #\(index)")
                let now = try await harness.store.auditHead()
                if (200..<300).contains(response.status.code) {
                    version = try await harness.store.row(arrivalID: row.arrivalID)?.version ?? version
                } else {
                    #expect(now == head, "\(endpoint.uri) wrote audit rows for a refused body #\(index)")
                }
                head = now
            }
            #expect(statuses.keys.contains(400) && statuses.keys.contains(422), "\(statuses)")
        }
    }
}

/// Malformed and hostile JSON bodies from a seed body: wrong types, extreme numbers, deep nesting, combining-mark
/// floods, NUL, invalid UTF-8, truncation and byte flips. Deterministic (SplitMix64), so a failure replays.
struct HostileBodies {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    private mutating func random() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    private mutating func below(_ bound: Int) -> Int { Int(random() % UInt64(bound)) }

    static let hostileValues: [String] = [
        "null", "true", "[]", "{}", "\"\"", "\"   \"", "0", "-1", "1e308", "-1e308", "1e400", "NaN",
        "18446744073709551616", "-9223372036854775809", "0.0000000000000000000001", "\"\\u0000\"",
        "\"a\\u0000b\"", "\"\\ud800\"", "\"" + String(repeating: "\u{301}", count: 5_000) + "\"",
        "\"" + String(repeating: "x", count: 70_000) + "\"", "[" + String(repeating: "1,", count: 5_000) + "1]",
        String(repeating: "[", count: 5_000) + String(repeating: "]", count: 5_000),
        String(repeating: "{\"a\":", count: 2_000) + "1" + String(repeating: "}", count: 2_000),
        "\"\\u202e\\ufeff\\u200b\"", "{\"$ref\": \"#\"}",
    ]

    mutating func next(mutating seed: Data) -> Data {
        let text = String(decoding: seed, as: UTF8.self)
        switch below(6) {
        case 0:
            // Replace one value (after a colon) with a hostile one.
            let colons = text.indices.filter { text[$0] == ":" }
            guard let colon = colons.isEmpty ? nil : colons[below(colons.count)] else { return Data("{".utf8) }
            let valueStart = text.index(after: colon)
            let valueEnd = text[valueStart...].firstIndex { $0 == "," || $0 == "}" } ?? text.endIndex
            let value = Self.hostileValues[below(Self.hostileValues.count)]
            return Data((text[..<valueStart] + " " + value + text[valueEnd...]).utf8)
        case 1:
            // Truncated anywhere.
            return seed.prefix(below(seed.count + 1))
        case 2:
            // A few bytes flipped, invalid UTF-8 included.
            var bytes = [UInt8](seed)
            for _ in 0..<(1 + below(4)) where !bytes.isEmpty { bytes[below(bytes.count)] = UInt8(truncatingIfNeeded: random()) }
            return Data(bytes)
        case 3:
            // A hostile value as the whole body.
            return Data(Self.hostileValues[below(Self.hostileValues.count)].utf8)
        case 4:
            // Invalid UTF-8 inside a string.
            let bytes: [UInt8] = [0xC3, 0x28, 0xFF, 0xFE, 0xED, 0xA0, 0x80]
            return Data("{\"reason\": \"".utf8) + Data(bytes.shuffledPrefix(1 + below(bytes.count), using: &self))
                + Data("\", \"level\": 2}".utf8)
        default:
            // The seed with a duplicated or unknown key, or a string where an object belongs.
            let variants = [text.replacingOccurrences(of: "{", with: "{\"unexpected\": [1, {\"x\": null}], ", options: [],
                                                      range: text.range(of: "{")),
                            "\"" + text.replacingOccurrences(of: "\"", with: "\\\"") + "\"",
                            text + text]
            return Data(variants[below(variants.count)].utf8)
        }
    }

    fileprivate mutating func index(below bound: Int) -> Int { below(bound) }
}

private extension Array {
    func shuffledPrefix(_ count: Int, using generator: inout HostileBodies) -> [Element] {
        var copy = self
        for index in copy.indices.reversed() where index > 0 {
            copy.swapAt(index, generator.index(below: index + 1))
        }
        return Array(copy.prefix(count))
    }
}
