/// Emergency Severity Index level (ESI v4 implementation handbook): 1 = resuscitation … 5 = non-urgent.
///
/// Ordering follows urgency, not the raw number: `a < b` means `a` is *more* urgent than `b`,
/// so `min` picks the more urgent of two levels.
public enum ESILevel: Int, Codable, Sendable, CaseIterable, Comparable, CustomStringConvertible {
    case resuscitation = 1
    case emergent = 2
    case urgent = 3
    case lessUrgent = 4
    case nonUrgent = 5

    public static func < (lhs: ESILevel, rhs: ESILevel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// True when `self` calls for earlier care than `other`.
    public func isMoreUrgent(than other: ESILevel) -> Bool { self < other }

    public var description: String { "ESI \(rawValue)" }

    /// Short name a nurse recognises on the board.
    public var label: String {
        switch self {
        case .resuscitation: "resuscitation"
        case .emergent: "emergent"
        case .urgent: "urgent"
        case .lessUrgent: "less urgent"
        case .nonUrgent: "non-urgent"
        }
    }
}
