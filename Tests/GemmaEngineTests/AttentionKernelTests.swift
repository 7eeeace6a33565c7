import ComputeThreadTesting
import CGemmaKernels
import Foundation
import Testing

/// The vision encoder's tiled attention against softmax attention written out in double precision, over
/// shapes that exercise every tile edge: positions not a whole number of key tiles, head widths padded,
/// query counts not a whole number of blocks or groups, and scores far apart (the running maximum); on the
/// AVX-512 and the plain C micro-kernel.
@Suite(.onComputeThread) struct AttentionKernelTests {
    static let shapes = [(positions: 200, dim: 72, queries: 67), (positions: 64, dim: 64, queries: 4),
                         (positions: 1, dim: 16, queries: 1), (positions: 300, dim: 256, queries: 130)]

    @Test(arguments: shapes, [GK_ISA_AVX512_VNNI, GK_ISA_PORTABLE])
    func tiledAttentionIsSoftmaxAttention(shape: (positions: Int, dim: Int, queries: Int), isa: gk_isa) {
        let (positions, dim, queries) = shape
        var generator = SystemRandomNumberGenerator()
        let heads = 2, stride = heads * dim
        // Large values so that some scores differ by tens: the running maximum must rescale correctly.
        func random(_ count: Int, _ spread: Float) -> [Float] {
            (0..<count).map { _ in Float.random(in: -spread...spread, using: &generator) }
        }
        let q = random(queries * stride, 2), k = random(positions * stride, 2), v = random(positions * stride, 1)
        let scale = 1 / Float(dim).squareRoot()
        let paddedPositions = Int(gk_attention_padded_positions(Int64(positions)))
        let paddedDim = Int(gk_attention_padded_dim(Int64(dim)))
        var out = [Float](repeating: .nan, count: queries * stride)
        for head in 0..<heads {
            var keys = [Float](repeating: .nan, count: dim * paddedPositions)
            var values = [Float](repeating: .nan, count: paddedPositions * paddedDim)
            gk_attention_layout(k.withUnsafeBufferPointer { $0.baseAddress! + head * dim },
                                v.withUnsafeBufferPointer { $0.baseAddress! + head * dim },
                                Int64(stride), Int64(positions), Int64(dim), &keys, &values)
            out.withUnsafeMutableBufferPointer { result in
                gk_attend_tiled(isa, q.withUnsafeBufferPointer { $0.baseAddress! + head * dim }, Int64(stride),
                                Int64(queries), Int64(dim), keys, values, Int64(positions), scale,
                                result.baseAddress! + head * dim)
            }
        }
        var worst = 0.0
        for head in 0..<heads {
            for t in 0..<queries {
                let scores = (0..<positions).map { j in
                    (0..<dim).reduce(0.0) { $0 + Double(q[t * stride + head * dim + $1]) * Double(k[j * stride + head * dim + $1]) }
                        * Double(scale)
                }
                let largest = scores.max()!
                let weights = scores.map { exp($0 - largest) }
                let total = weights.reduce(0, +)
                for c in 0..<dim {
                    let expected = (0..<positions).reduce(0.0) { $0 + weights[$1] * Double(v[$1 * stride + head * dim + c]) } / total
                    worst = max(worst, abs(expected - Double(out[t * stride + head * dim + c])))
                }
            }
        }
        #expect(worst < 1e-5, "max |Δ| \(worst) from double-precision attention")
    }
}
