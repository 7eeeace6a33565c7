import CGemmaKernels
import Foundation
import Testing

/// gk_matmul_panels (the vision encoder's float-weight products) against products written out in double
/// precision, over shapes that cross every edge: tokens not a whole number of panels, rows not a whole
/// number of 32-row panels or of 256-row blocks, columns not a whole number of 256-column depth blocks
/// (whose later blocks add to the earlier ones' sums) or of 16-value F16 conversions; F32, F16 and BF16
/// weights; the AVX-512 and the plain C micro-kernel.
@Suite struct PanelProductTests {
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
            let (bytes, stored) = Self.encode(weights, type: type)
            var panels = [Float](repeating: .nan, count: Int(gk_panels_floats(Int64(tokens), Int64(columns))))
            gk_pack_panels(isa, x, Int64(columns), Int64(tokens), Int64(columns), 0,
                           Int64((tokens + Int(GK_PANEL_TOKENS) - 1) / Int(GK_PANEL_TOKENS)), 0, &panels)
            var y = [Float](repeating: .nan, count: tokens * rows)
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: Int(gk_matmul_panels_scratch_bytes()), alignment: 64)
            defer { scratch.deallocate() }
            // Two calls over a split of the rows, as two workers would make them.
            for (first, last) in [(0, rows / 2), (rows / 2, rows)] {
                let status = bytes.withUnsafeBytes { w in
                    gk_matmul_panels(isa, Int32(type.rawValue), w.baseAddress!, bytes.count / rows, Int64(columns),
                                     Int64(first), Int64(last), panels, Int64(tokens), &y, Int64(rows), scratch)
                }
                #expect(status == 0)
            }
            var worst = 0.0
            for t in 0..<tokens {
                for r in 0..<rows {
                    let expected = (0..<columns).reduce(0.0) { $0 + Double(x[t * columns + $1]) * Double(stored[r * columns + $1]) }
                    worst = max(worst, abs(expected - Double(y[t * rows + r])))
                }
            }
            #expect(worst < 1e-4, "type \(type.rawValue): max |Δ| \(worst) from the double-precision product")
        }
    }

    @Test func quantizedTypesAreRefused() {
        var y: [Float] = [0]
        let status = gk_matmul_panels(GK_ISA_PORTABLE, Int32(GK_TYPE_Q8_0.rawValue), [UInt8](repeating: 0, count: 34), 34,
                                      32, 0, 1, [Float](repeating: 0, count: 12 * 32), 1, &y, 1, nil)
        #expect(status == -1)
    }

    /// The weights in `type`'s bytes, and the values those bytes hold.
    static func encode(_ values: [Float], type: gk_type) -> (bytes: [UInt8], stored: [Float]) {
        switch type {
        case GK_TYPE_F16:
            let halves = values.map { gk_f32_to_f16($0) }
            return (halves.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] }, values.map { gk_round_f16($0) })
        case GK_TYPE_BF16:
            let halves = values.map { UInt16($0.bitPattern >> 16) }
            return (halves.flatMap { [UInt8($0 & 0xff), UInt8($0 >> 8)] },
                    halves.map { Float(bitPattern: UInt32($0) << 16) })
        default:
            return (values.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) }, values)
        }
    }
}
