import Foundation

/// One development or evaluation case: a presentation and the ESI level the published algorithm assigns
/// (the line format of `shared/clinical/vignettes.jsonl`).
public struct VignetteCase: Decodable, Sendable, Hashable {
    public var id: String
    public var presentation: ClinicalPresentation
    public var expectedLevel: ESILevel
    /// The decision point and reason behind the expected level.
    public var why: String

    private enum CodingKeys: String, CodingKey {
        case id, why
        case expectedLevel = "expected_esi"
    }

    /// The presentation's fields sit at the top level of each line, beside id and expected level.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        expectedLevel = try c.decode(ESILevel.self, forKey: .expectedLevel)
        why = try c.decodeIfPresent(String.self, forKey: .why) ?? ""
        presentation = try ClinicalPresentation(from: decoder)
    }

    /// One case per non-blank line. Errors name the 1-based line number and the field that failed.
    public static func parseJSONLines(_ data: Data) throws(VignetteParseError) -> [VignetteCase] {
        let decoder = JSONDecoder()
        var cases: [VignetteCase] = []
        for (index, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            guard line.contains(where: { !Character(UnicodeScalar($0)).isWhitespace }) else { continue }
            do {
                cases.append(try decoder.decode(VignetteCase.self, from: Data(line)))
            } catch {
                throw VignetteParseError(line: index + 1, reason: Self.describe(error))
            }
        }
        return cases
    }

    private static func describe(_ error: any Error) -> String {
        guard let decodingError = error as? DecodingError else { return "not valid JSON" }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map(\.stringValue).joined(separator: ".")
        }
        switch decodingError {
        case .keyNotFound(let key, let context):
            return "missing field \((context.codingPath.map(\.stringValue) + [key.stringValue]).joined(separator: "."))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return "wrong type at \(path(context))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON" : "invalid value at \(path(context))"
        @unknown default:
            return "cannot decode"
        }
    }
}

/// A case file line that could not be read.
public struct VignetteParseError: Error, Sendable, Hashable, CustomStringConvertible {
    /// 1-based line number.
    public let line: Int
    public let reason: String

    public var description: String { "line \(line): \(reason)" }
}
