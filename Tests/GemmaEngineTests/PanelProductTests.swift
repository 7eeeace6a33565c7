import ComputeThreadTesting
import CGemmaKernels
import Foundation
import Testing

/// gk_matmul_panels (the vision encoder's float-weight products) against products written out in double
/// precision, over shapes that cross every edge: tokens not a whole number of panels, rows not a whole
/// number of 32-row panels or of 256-row blocks, columns not a whole number of 256-column depth blocks
/// (whose later blocks add to the earlier ones' sums), of 16-value F16 conversions or of bfloat16 pairs;
/// F32, F16 and BF16 weights; float and bfloat16 panels; the AVX-512 (with AVX512_BF16 where the CPU has
/// it) and the plain C micro-kernels.
@Suite(.onComputeThread) struct PanelProductTests {
    static let shapes = [(tokens: 29, rows: 70, columns: 300), (tokens: 12, rows: 32, columns: 16),
                         (tokens: 1, rows: 1, columns: 1), (tokens: 50, rows: 300, columns: 523),
                         (tokens: 30, rows: 600, columns: 600)]

    @Test(arguments: shapes, [GK_ISA_AVX512_VNNI, GK_ISA_PORTABLE])
    func panelProductsAreMatrixProducts(shape: (tokens: Int, rows: Int, columns: Int), isa: gk_isa) throws {
        let (tokens, rows, columns) = shape
        var generator = SystemRandomNumberGenerator()
        let x = (0..<tokens * columns).map { _ in Float.random(in: -1...1, using: &generator) }
        let weights = (0..<rows * columns).map { _ in Float.random(in: -1...1, using: &generator) }
        for type in [GK_TYPE_F32, GK_TYPE_F16, GK_TYPE_BF16] {
            for format in [GK_PANELS_F32, GK_PANELS_BF16] {
                let (bytes, stored) = Self.encode(weights, type: type)
                // What the product multiplies: in bfloat16 panels, both sides rounded to bfloat16.
                let (xUsed, wUsed) = format == GK_PANELS_BF16 ? (x.map(Self.bfloat16), stored.map(Self.bfloat16)) : (x, stored)
                var panels = [Float](repeating: .nan, count: Int(gk_panels_floats(Int64(tokens), Int64(columns))))
                gk_pack_panels(isa, x, Int64(columns), Int64(tokens), Int64(columns), 0,
                               Int64((tokens + Int(GK_PANEL_TOKENS) - 1) / Int(GK_PANEL_TOKENS)), format, &panels)
                var y = [Float](repeating: .nan, count: tokens * rows)
                let scratch = UnsafeMutableRawPointer.allocate(byteCount: Int(gk_matmul_panels_scratch_bytes()), alignment: 64)
                defer { scratch.deallocate() }
                // Two calls over a split of the rows, as two workers would make them.
                for (first, last) in [(0, rows / 2), (rows / 2, rows)] {
                    let status = bytes.withUnsafeBytes { w in
                        gk_matmul_panels(isa, Int32(type.rawValue), w.baseAddress!, bytes.count / rows, Int64(columns),
                                         Int64(first), Int64(last), format, panels, Int64(tokens), &y, Int64(rows), scratch)
                    }
                    #expect(status == 0)
                }
                var worst = 0.0
                for t in 0..<tokens {
                    for r in 0..<rows {
                        let expected = (0..<columns).reduce(0.0) { $0 + Double(xUsed[t * columns + $1]) * Double(wUsed[r * columns + $1]) }
                        worst = max(worst, abs(expected - Double(y[t * rows + r])))
                    }
                }
                #expect(worst < 1e-4, "type \(type.rawValue), format \(format.rawValue): max |Δ| \(worst) from the double-precision product")
            }
        }
    }

    /// Only values with no bits below bfloat16's count as bfloat16-exact, in every float type.
    @Test(arguments: [GK_ISA_AVX512_VNNI, GK_ISA_PORTABLE])
    func bfloat16ExactnessIsDetected(isa: gk_isa) {
        var generator = SystemRandomNumberGenerator()
        let exact = ((0..<1000).map { _ in Float.random(in: -2...2, using: &generator) } + [0, 6e-8, -61440]).map(Self.bfloat16)
        for type in [GK_TYPE_F32, GK_TYPE_F16, GK_TYPE_BF16] {
            let (bytes, _) = Self.encode(exact, type: type)
            #expect(gk_bf16_exact(isa, Int32(type.rawValue), bytes, Int64(exact.count)) == 1, "type \(type.rawValue)")
        }
        // One value anywhere with a bit below bfloat16's (1 + 2⁻¹⁰ is an f16), early or in the tail.
        for position in [3, 500, exact.count - 1] {
            var values = exact
            values[position] = 1 + 1.0 / 1024
            for type in [GK_TYPE_F32, GK_TYPE_F16] {
                let (bytes, _) = Self.encode(values, type: type)
                #expect(gk_bf16_exact(isa, Int32(type.rawValue), bytes, Int64(values.count)) == 0, "type \(type.rawValue) at \(position)")
            }
        }
        #expect(gk_bf16_exact(isa, Int32(GK_TYPE_Q8_0.rawValue), [UInt8](repeating: 0, count: 34), 32) == 0)
    }

    /// `value` rounded to the nearest bfloat16 (ties to even).
    static func bfloat16(_ value: Float) -> Float {
        let bits = value.bitPattern
        return Float(bitPattern: (bits &+ 0x7fff &+ ((bits >> 16) & 1)) & 0xffff_0000)
    }

    @Test func quantizedTypesAreRefused() {
        var y: [Float] = [0]
        let status = gk_matmul_panels(GK_ISA_PORTABLE, Int32(GK_TYPE_Q8_0.rawValue), [UInt8](repeating: 0, count: 34), 34,
                                      32, 0, 1, GK_PANELS_F32, [Float](repeating: 0, count: 12 * 32), 1, &y, 1, nil)
        #expect(status == -1)
    }

    /// The weights in `type`'s bytes, and the values those bytes hold.
    static func encode(_ values: [Float], type: gk_type) -> (bytes: [UInt8], stored: [Float]) {
        switch type {
        case GK_TYPE_F16:
            let halves = values.map { gk_f32_to_f16($0) }
            return (halves.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }, values.map { gk_round_f16($0) })
        case GK_TYPE_BF16:
            let halves = values.map { UInt16(bfloat16($0).bitPattern >> 16) }
            return (halves.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] },
                    halves.map { Float(bitPattern: UInt32($0) << 16) })
        default:
            return (values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) }, values)
        }
    }
}
