import ComputeThreadTesting
import Foundation
import Testing
import TriageCore

@Suite(.onComputeThread) struct CanonicalJSONTests {
    func text(_ value: JSONValue) -> String { String(decoding: value.canonicalData(), as: UTF8.self) }

    @Test func keysSortByUTF8BytesWithoutWhitespace() {
        let value = JSONValue.object(["b": .number(1), "a": .array([.bool(true), .null]), "é": .string("x"),
                                      "Z": .object(["y": .number(2), "x": .number(3)])])
        #expect(text(value) == #"{"Z":{"x":3,"y":2},"a":[true,null],"b":1,"é":"x"}"#)
    }

    static let numbers: [(Double, String)] = [
        (1, "1"), (-0.0, "0"), (0, "0"), (1.5, "1.5"), (-2.25, "-2.25"), (37.0, "37"), (36.6, "36.6"),
        (1e15, "1000000000000000"), (1e300, "1e+300"), (.nan, "null"), (.infinity, "null"),
    ]

    @Test(arguments: numbers)
    func numbersAreWrittenCanonically(number: Double, expected: String) {
        #expect(text(.number(number)) == expected)
    }

    static let strings: [(String, String)] = [
        ("plain", #""plain""#),
        ("quote\" and back\\slash", #""quote\" and back\\slash""#),
        ("line\nfeed\ttab\r", #""line\nfeed\ttab\r""#),
        ("\u{01}\u{1F}\u{08}\u{0C}", #""\u0001\u001f\b\f""#),
        ("é / 🚑", "\"é / 🚑\""),
    ]

    @Test(arguments: strings)
    func stringsAreEscapedStably(string: String, expected: String) {
        #expect(text(.string(string)) == expected)
    }

    @Test func sameContentInAnyKeyOrderGivesSameBytes() throws {
        let one = #"{"sex":"F","age":{"years":58},"arrival_mode":"walk-in","chief_complaint":"chest pain","vitals":{"hr":96,"spo2":97.0}}"#
        let two = #"{ "vitals": {"spo2": 97, "hr": 96.0}, "chief_complaint": "chest pain", "arrival_mode": "walk-in", "age": {"years": 58}, "sex": "F" }"#
        let first = try JSONDecoder().decode(ClinicalPresentation.self, from: Data(one.utf8))
        let second = try JSONDecoder().decode(ClinicalPresentation.self, from: Data(two.utf8))
        #expect(try first.canonicalSHA256() == second.canonicalSHA256())
        let canonical = String(decoding: try CanonicalJSON.encode(first), as: UTF8.self)
        #expect(canonical == #"{"age":{"years":58},"arrival_mode":"walk-in","chief_complaint":"chest pain","note":"","sex":"F","vitals":{"hr":96,"spo2":97}}"#)
    }

    @Test func hashChangesWithContent() throws {
        let base = patient(complaint: "chest pain")
        var changed = base
        changed.vitals.heartRate = 77
        #expect(try base.canonicalSHA256() != changed.canonicalSHA256())
        #expect(try base.canonicalSHA256().count == 64)
    }

    @Test func decodedValueRoundTrips() throws {
        let json = #"{"a":[1,2.5,"x",false,null],"b":{"c":"d"}}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        #expect(String(decoding: value.canonicalData(), as: UTF8.self) == json)
        let reencoded = try JSONDecoder().decode(JSONValue.self, from: try JSONEncoder().encode(value))
        #expect(reencoded == value)
    }

    @Test func datesAreUTCWithMilliseconds() throws {
        let submission = ArrivalSubmission(source: "s", externalID: "e", patientRef: "p",
                                           receivedAt: Date(timeIntervalSince1970: 1_700_000_000.25),
                                           presentation: patient())
        let json = String(decoding: try CanonicalJSON.encode(submission), as: UTF8.self)
        #expect(json.contains(#""received_at":"2023-11-14T22:13:20.250Z""#))
    }

    @Test func sha256MatchesKnownVector() {
        #expect(CanonicalJSON.sha256Hex(Data("abc".utf8))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// Expected value from Python: sha256(("0" * 64 + '{"a":1}').encode()).hexdigest().
    @Test func auditChainLinksPreviousHashAndEntry() throws {
        #expect(AuditChain.genesisHash == String(repeating: "0", count: 64))
        let entry = try CanonicalJSON.encode(["a": 1])
        let first = AuditChain.link(previousHash: AuditChain.genesisHash, canonicalEntry: entry)
        #expect(first == "fc6cee09194dd2578bd7664604fcb72a539066fd34544cea0009c43eb6cdc289")
        let second = AuditChain.link(previousHash: first, canonicalEntry: entry)
        #expect(second != first)
        #expect(AuditChain.link(previousHash: first, canonicalEntry: entry) == second)
    }
}
