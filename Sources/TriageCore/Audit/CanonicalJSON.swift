import Crypto
import Foundation

/// Canonical JSON bytes and their SHA-256, used for input hashes and the audit chain.
public enum CanonicalJSON {
    /// Encodes `value` as canonical JSON (see `JSONValue.canonicalData()`).
    ///
    /// Dates are written as UTC ISO 8601 strings with milliseconds and `Data` as base64, so the bytes
    /// do not depend on the platform. Numbers pass through `Double`: integers beyond 2^53 lose precision.
    /// Throws when the value holds a non-finite number, which JSON cannot express.
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(date.formatted(timestampStyle))
        }
        let plain = try encoder.encode(value)
        return try JSONDecoder().decode(JSONValue.self, from: plain).canonicalData()
    }

    private static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

    /// Lower-case hex SHA-256 of `data`.
    public static func sha256Hex(_ data: Data) -> String {
        SHA256.hash(data: data).hexString
    }
}

extension Sequence<UInt8> {
    /// Lower-case hex, two digits per byte.
    var hexString: String {
        map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

extension ClinicalPresentation {
    /// Hex SHA-256 of this presentation's canonical JSON: the assessment's input hash.
    ///
    /// Throws only for a non-finite vital sign, which validation already rejects.
    public func canonicalSHA256() throws -> String {
        CanonicalJSON.sha256Hex(try CanonicalJSON.encode(self))
    }
}
