/// A patient's age as the registration desk records it: exactly one of years, months or days.
///
/// Paediatric thresholds (ESI danger-zone vitals, infant fever) need days and months,
/// so the unit is kept rather than rounded into years.
public enum PatientAge: Sendable, Hashable {
    case years(Int)
    case months(Int)
    case days(Int)

    /// Approximate age in days, for comparing against age bands.
    public var days: Int {
        switch self {
        case .years(let n): n * 365 + n / 4
        case .months(let n): n * 30 + n * 44 / 100  // 30.44 days a month on average
        case .days(let n): n
        }
    }

    /// Age in whole years (0 below one year).
    public var years: Int {
        switch self {
        case .years(let n): n
        case .months(let n): n / 12
        case .days(let n): n / 365
        }
    }

    public var description: String {
        switch self {
        case .years(let n): "\(n) y"
        case .months(let n): "\(n) mo"
        case .days(let n): "\(n) d"
        }
    }
}

extension PatientAge: Codable {
    private enum CodingKeys: String, CodingKey, CaseIterable { case years, months, days }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let present = CodingKeys.allCases.filter { container.contains($0) }
        guard present.count == 1, let key = present.first else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath,
                      debugDescription: "age must have exactly one of years, months or days"))
        }
        let value = try container.decode(Int.self, forKey: key)
        switch key {
        case .years: self = .years(value)
        case .months: self = .months(value)
        case .days: self = .days(value)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .years(let n): try container.encode(n, forKey: .years)
        case .months(let n): try container.encode(n, forKey: .months)
        case .days(let n): try container.encode(n, forKey: .days)
        }
    }
}
