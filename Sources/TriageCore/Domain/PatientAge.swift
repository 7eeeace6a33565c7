import Foundation

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
    private enum Unit: String { case years, months, days }

    /// Any member name, so that a member besides the unit is seen (and refused) rather than ignored.
    private struct MemberKey: CodingKey {
        let stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: MemberKey.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first, let unit = Unit(rawValue: key.stringValue)
        else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath,
                      debugDescription: "age must have exactly one member: years, months or days"))
        }
        let value = try container.decode(Int.self, forKey: key)
        switch unit {
        case .years: self = .years(value)
        case .months: self = .months(value)
        case .days: self = .days(value)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: MemberKey.self)
        switch self {
        case .years(let n): try container.encode(n, forKey: MemberKey(stringValue: Unit.years.rawValue))
        case .months(let n): try container.encode(n, forKey: MemberKey(stringValue: Unit.months.rawValue))
        case .days(let n): try container.encode(n, forKey: MemberKey(stringValue: Unit.days.rawValue))
        }
    }
}

extension PatientAge {
    /// The age on `date` of someone born at `birth`, in the unit a registration desk uses: days in the first
    /// month, months until the second birthday, then years (paediatric thresholds need the finer units).
    /// Nil when `birth` is after `date`.
    public init?(born birth: Date, at date: Date) {
        guard birth <= date else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let age = calendar.dateComponents([.year, .month, .day], from: birth, to: date)
        let (years, months) = (age.year ?? 0, age.month ?? 0)
        if years == 0 && months == 0 {
            self = .days(calendar.dateComponents([.day], from: birth, to: date).day ?? 0)
        } else if years < 2 {
            self = .months(years * 12 + months)
        } else {
            self = .years(years)
        }
    }
}
