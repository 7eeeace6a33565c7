import Foundation

/// Date-times as RFC 3339 §5.6 writes them, the `date-time` format of JSON Schema and of the API:
/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, `T` and `Z` in either case, any offset up to ±23:59, and a leap
/// second (`:60`, read as the next second's start). Foundation's ISO 8601 strategy refuses fractions unless
/// told to expect them and offsets beyond ±18 h, so feeds that send either would be refused.
public enum RFC3339 {
    public static func date(from text: String) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20 else { return nil }
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<start + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func isByte(_ index: Int, _ characters: String) -> Bool {
            index < bytes.count && characters.utf8.contains(bytes[index])
        }
        guard let year = number(0, 4), isByte(4, "-"), let month = number(5, 2), isByte(7, "-"),
              let day = number(8, 2), isByte(10, "Tt"), let hour = number(11, 2), isByte(13, ":"),
              let minute = number(14, 2), isByte(16, ":"), let second = number(17, 2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day),
              hour <= 23, minute <= 59, second <= 60
        else { return nil }

        var index = 19
        var fraction = 0.0
        if isByte(index, ".") {
            index += 1
            let start = index
            var scale = 0.1
            while let digit = number(index, 1) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }

        let offsetSeconds: Int
        if isByte(index, "Zz") {
            offsetSeconds = 0
            index += 1
        } else if isByte(index, "+-"), let offsetHour = number(index + 1, 2), isByte(index + 3, ":"),
                  let offsetMinute = number(index + 4, 2), offsetHour <= 23, offsetMinute <= 59 {
            offsetSeconds = (bytes[index] == UInt8(ascii: "-") ? -1 : 1) * (offsetHour * 3600 + offsetMinute * 60)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }

        let seconds = daysSinceEpoch(year: year, month: month, day: day) * 86_400
            + hour * 3600 + minute * 60 + second - offsetSeconds
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// A `JSONDecoder` date strategy that reads RFC 3339 and names the problem otherwise.
    public static let decodingStrategy = JSONDecoder.DateDecodingStrategy.custom { decoder in
        let container = try decoder.singleValueContainer()
        guard let date = date(from: try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not an RFC 3339 date-time")
        }
        return date
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the date in the proleptic Gregorian calendar: count whole 400-year eras (146,097
    /// days each) of years that start on 1 March, so the leap day falls at the end of a year.
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let marchYear = month <= 2 ? year - 1 : year
        let era = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
        let yearOfEra = marchYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
