import Foundation

/// Chooses the next token from logits: greedy (temperature 0) or seeded
/// temperature / top-k / top-p sampling, reproducible for a given seed.
public struct Sampler: Sendable {
    public var temperature: Float
    /// Keep only the `topK` most likely tokens (0 = all).
    public var topK: Int
    /// Keep the smallest set of most likely tokens whose probability reaches `topP` (1 = all).
    public var topP: Float
    private var random: SplitMix64

    public static let greedy = Sampler(temperature: 0)

    public init(temperature: Float, topK: Int = 0, topP: Float = 1, seed: UInt64 = 0) {
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        random = SplitMix64(seed: seed)
    }

    /// The highest-logit token; ties go to the lowest id.
    public static func argmax(_ logits: [Float]) -> TokenID {
        var best = 0
        for index in logits.indices where logits[index] > logits[best] { best = index }
        return TokenID(best)
    }

    public mutating func next(from logits: [Float]) -> TokenID {
        guard temperature > 0 else { return Self.argmax(logits) }
        // Candidates by descending logit, ties by ascending id, so the order is deterministic.
        var candidates = logits.indices.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
        if topK > 0 { candidates = Array(candidates.prefix(topK)) }
        let top = logits[candidates[0]]
        var weights = candidates.map { Double(expf((logits[$0] - top) / temperature)) }
        let total = weights.reduce(0, +)
        weights = weights.map { $0 / total }
        var kept = weights.count, cumulative = 0.0
        for (index, weight) in weights.enumerated() {
            cumulative += weight
            if cumulative >= Double(topP) { kept = index + 1; break }
        }
        let mass = weights.prefix(kept).reduce(0, +)
        var target = random.nextUnitDouble() * mass
        for index in 0..<kept {
            target -= weights[index]
            if target < 0 { return TokenID(candidates[index]) }
        }
        return TokenID(candidates[kept - 1])
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): tiny, fast and fully determined by its seed.
struct SplitMix64: Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1) with 53 random bits.
    mutating func nextUnitDouble() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
