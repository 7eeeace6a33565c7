import Foundation

/// The acknowledgement (original mode, `ACK`) of one message: `AA` accepted, `AE` application error (the
/// message was understood but not applied), `AR` rejected (not understood, or not ours to take).
public struct ER7Acknowledgement: Sendable, Equatable {
    public enum Code: String, Sendable {
        case accepted = "AA"
        case error = "AE"
        case rejected = "AR"
    }

    public var code: Code
    /// MSA-3: a short human-readable reason; never patient text.
    public var text: String?
    /// ERR-2 for an error: where in the message.
    public var location: ER7Location?

    public init(_ code: Code, text: String? = nil, location: ER7Location? = nil) {
        self.code = code
        self.text = text
        self.location = location
    }

    /// The ACK for `message` in its own delimiters and version, from `application`/`facility` back to its sender.
    /// `message` may be nil when nothing of it could be read: the ACK then uses the default delimiters.
    public func encoded(answering message: ER7Message?, application: String, facility: String,
                        controlID: String, at date: Date) -> String {
        let delimiters = message?.delimiters ?? ER7Message.Delimiters()
        let header = message?.segment("MSH")
        let (f, c) = (String(delimiters.field), String(delimiters.component))
        func escaped(_ text: String?) -> String { ER7Escaping.escape(text ?? "", delimiters) }
        let version = message?.version ?? "2.5"
        var segments = [
            ["MSH", delimiters.encodingCharacters, escaped(application), escaped(facility),
             escaped(header?.value(3)), escaped(header?.value(4)), Self.timestamp(date), "",
             "ACK" + c + escaped(message?.triggerEvent) + c + "ACK", escaped(controlID), escaped(header?.value(11) ?? "P"),
             escaped(version)].joined(separator: f),
            ["MSA", code.rawValue, escaped(message?.controlID), escaped(text)].joined(separator: f),
        ]
        if code != .accepted {
            let place = location.map { [escaped($0.segment), String($0.occurrence), String($0.field)].joined(separator: c) } ?? ""
            // ERR-3 from HL7 table 0357: 207 application internal error, 102 data type error.
            let condition = location == nil ? "207" + c + "Application internal error" + c + "HL70357"
                                            : "102" + c + "Data type error" + c + "HL70357"
            segments.append(["ERR", "", place, condition, "E", "", "", "", escaped(text)].joined(separator: f))
        }
        return segments.joined(separator: "\r") + "\r"
    }

    /// HL7 DTM to the second, in UTC.
    static func timestamp(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        return String(format: "%04d%02d%02d%02d%02d%02d+0000", parts.year!, parts.month!, parts.day!,
                      parts.hour!, parts.minute!, parts.second!)
    }
}
