import CGemmaKernels
import Foundation

/// Element-wise building blocks of the Gemma 3 forward pass, as small pure functions.
enum Operations {
    /// RMSNorm: y = x / sqrt(mean(x²) + ε) · w. The sum of squares is accumulated in Double
    /// (as ggml does) so long rows do not lose precision.
    static func rmsNorm(
        _ x: UnsafePointer<Float>, weight: [Float], epsilon: Float, into y: UnsafeMutablePointer<Float>
    ) {
        let n = weight.count
        var sum: Double = 0
        for i in 0..<n { sum += Double(x[i] * x[i]) }
        let scale = 1 / (Float(sum / Double(n)) + epsilon).squareRoot()
        for i in 0..<n { y[i] = x[i] * scale * weight[i] }
    }

    /// NEOX-style rotary embedding of one head in place: element i pairs with i + d/2.
    /// Angles advance by repeated multiplication, as ggml's rope cache does.
    static func rope(_ head: UnsafeMutablePointer<Float>, dimension: Int, position: Int, base: Float, scale: Float) {
        let half = dimension / 2
        let step = powf(base, -2 / Float(dimension))
        var theta = Float(position) * scale
        for i in 0..<half {
            let cosine = cosf(theta), sine = sinf(theta)
            let a = head[i], b = head[i + half]
            head[i] = a * cosine - b * sine
            head[i + half] = a * sine + b * cosine
            theta *= step
        }
    }

    static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += y[i] }
    }
}
