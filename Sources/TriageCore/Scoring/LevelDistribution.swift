import Foundation

/// A probability for each ESI level, P(ESI = 1…5), summing to 1.
///
/// Encoded as a JSON array of five numbers, level 1 first.
public struct LevelDistribution: Codable, Sendable, Hashable {
    /// `probabilities[level.rawValue - 1]`.
    public let probabilities: [Double]

    /// Normalizes five non-negative weights; nil when there are not five or they carry no mass.
    public init?(weights: [Double]) {
        guard weights.count == ESILevel.allCases.count, weights.allSatisfy({ $0 >= 0 && $0.isFinite }) else { return nil }
        let total = weights.reduce(0, +)
        guard total > 0 else { return nil }
        probabilities = weights.map { $0 / total }
    }

    /// Softmax over five logits (or log-probabilities), shifted by the largest for numerical safety.
    public init?(logits: [Double]) {
        guard let top = logits.max(), top.isFinite else { return nil }
        self.init(weights: logits.map { exp($0 - top) })
    }

    public init(from decoder: any Decoder) throws {
        let values = try decoder.singleValueContainer().decode([Double].self)
        guard let distribution = LevelDistribution(weights: values) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "expected five non-negative probabilities"))
        }
        self = distribution
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(probabilities)
    }

    public subscript(level: ESILevel) -> Double { probabilities[level.rawValue - 1] }

    /// The level with the highest probability; ties go to the more urgent level.
    public var mostLikely: ESILevel {
        ESILevel.allCases.max { self[$0] != self[$1] ? self[$0] < self[$1] : $0 > $1 }!
    }

    /// P(ESI ≤ level): the mass on `level` and every more urgent level.
    public func mass(atLeastAsUrgentAs level: ESILevel) -> Double {
        ESILevel.allCases.filter { $0 <= level }.reduce(0) { $0 + self[$1] }
    }

    /// P(ESI < level): the mass on the levels more urgent than `level`.
    public func mass(moreUrgentThan level: ESILevel) -> Double {
        ESILevel.allCases.filter { $0 < level }.reduce(0) { $0 + self[$1] }
    }

    /// The most urgent level whose cumulative mass P(ESI ≤ level) reaches `threshold`.
    public func mostUrgentLevel(reaching threshold: Double) -> ESILevel {
        ESILevel.allCases.first { mass(atLeastAsUrgentAs: $0) >= threshold } ?? .nonUrgent
    }

    /// Contextual calibration (Zhao et al., "Calibrate Before Use", ICML 2021): a language model
    /// favours some answer tokens whatever the input, so divide the answer distribution by the one
    /// it gives for a content-free input and renormalize. Nil when the prior puts no mass on a level.
    public func dividingOut(_ prior: LevelDistribution) -> LevelDistribution? {
        guard prior.probabilities.allSatisfy({ $0 > 0 }) else { return nil }
        return LevelDistribution(weights: zip(probabilities, prior.probabilities).map { $0 / $1 })
    }
}
