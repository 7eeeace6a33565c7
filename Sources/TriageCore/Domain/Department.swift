import Foundation

/// An emergency department (an ED site) of the service: arrivals, boards and tokens are scoped to one.
public enum Department {
    /// The department of a one-ED service, and of arrivals that name none while it is the only one.
    public static let defaultCode = "ed"

    /// Codes are short lowercase identifiers (they appear in URLs, tokens and metric labels), as the
    /// `departments` table's check has it.
    public static func isValidCode(_ code: String) -> Bool {
        guard let first = code.unicodeScalars.first, code.unicodeScalars.count <= 64, isLowerAlphanumeric(first)
        else { return false }
        return code.unicodeScalars.allSatisfy { isLowerAlphanumeric($0) || $0 == "-" || $0 == "_" }
    }

    /// The department of `departments` a sender's own location code names, case aside: HL7 and FHIR senders use
    /// their own codes, and only one that is ours places an arrival.
    public static func named(_ code: String?, in departments: [String]) -> String? {
        guard let code else { return nil }
        return departments.first { $0.caseInsensitiveCompare(code) == .orderedSame }
    }

    private static func isLowerAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
    }
}
