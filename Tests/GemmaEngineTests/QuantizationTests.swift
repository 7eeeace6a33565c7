import ComputeThreadTesting
import CGemmaKernels
import Foundation
import Testing

@testable import GemmaEngine

@Suite("Tensor types", .onComputeThread)
struct QuantizationTests {
    static func fixture(_ type: TensorType) throws -> (raw: [UInt8], expected: [Float]) {
        let name = type.description
        let raw = try [UInt8](Data(contentsOf: TestResources.fixtures.appendingPathComponent("\(name).bin")))
        let expected = try ReferenceTests.floats(TestResources.fixtures.appendingPathComponent("\(name).f32"))
        return (raw, expected)
    }

    static func dequantize(_ type: TensorType, _ raw: [UInt8], count: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            let status = gk_dequantize(Int32(type.rawValue), raw, buffer.baseAddress!, Int64(count))
            precondition(status == 0)
            initialized = count
        }
    }

    /// Bit-exact agreement with gguf-py's gguf.quants (fixtures from scripts/make-quant-fixtures.py).
    @Test(arguments: TensorType.allCases)
    func dequantizationIsBitExact(type: TensorType) throws {
        let (raw, expected) = try Self.fixture(type)
        #expect(raw.count == expected.count / type.blockElements * type.blockBytes)
        let ours = Self.dequantize(type, raw, count: expected.count)
        let mismatches = zip(ours, expected).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(3))")
    }

    /// The quantized dot product equals the exact dot product of the dequantized weights with the
    /// dequantized 8-bit activations, up to float rounding of the block sums.
    @Test(arguments: [TensorType.q4_0, .q5_0, .q8_0, .q4_K, .q5_K, .q6_K, .f32, .f16, .bf16])
    func quantizedDotMatchesDequantizedDot(type: TensorType) throws {
        let (raw, expected) = try Self.fixture(type)
        let k = type.blockElements == 1 ? expected.count : 256 * max(1, expected.count / 256 / 2)
        let row = Array(raw.prefix(k / type.blockElements * type.blockBytes))
        let weights = Self.dequantize(type, row, count: k)
        var generator = SplitMix64(seed: 7)
        let x = (0..<k).map { _ in Float(generator.nextUnitDouble() * 4 - 2) }
        let activationBytes = Int(gk_activation_row_bytes(Int32(type.rawValue), Int64(k)))
        var activations = [UInt8](repeating: 0, count: activationBytes)
        gk_quantize_activations(Int32(type.rawValue), x, Int64(k), &activations)
        let rounded = Self.dequantizeActivations(activations, type: type, count: k)
        // Inputs lie in [-2, 2]: 8-bit rounding with a block scale of max|x|/127 errs by at most
        // half a step, 1/127, plus the rounding of the scale itself.
        let worstRounding = zip(rounded, x).map { abs($0 - $1) }.max()!
        #expect(worstRounding <= 1.01 / 127)
        var scratch = [Float](repeating: 0, count: k)
        let ours = gk_vec_dot(Int32(type.rawValue), row, activations, Int64(k), &scratch)
        let finite = weights.allSatisfy(\.isFinite)
        let exact = zip(weights, rounded).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let magnitude = zip(weights, rounded).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
        if finite {
            #expect(abs(Double(ours) - exact) <= 1e-5 * magnitude + 1e-6, "\(type): \(ours) vs \(exact)")
        }
    }

    /// The batched product (row tiles unpacked once, SIMD integer sums) gives exactly the same
    /// floats as the one-row reference `gk_vec_dot`, for every token and row, on the fastest
    /// path of this CPU and, for quantized types, on the portable one (float dot products
    /// differ between paths in their lane count, so F16 is compared on the fastest only).
    @Test(arguments: [TensorType.q4_0, .q5_0, .q8_0, .q4_K, .q5_K, .q6_K].flatMap { [($0, GK_ISA_AVX512_VNNI), ($0, GK_ISA_PORTABLE)] }
        + [(TensorType.f16, GK_ISA_AVX512_VNNI)])
    func batchedProductEqualsReferenceDotBitForBit(type: TensorType, isa: gk_isa) throws {
        let (raw, _) = try Self.fixture(type)
        let k = type.blockElements == 1 ? 64 : 256, rowBytes = k / type.blockElements * type.blockBytes
        let rows = raw.count / rowBytes, tokens = 5
        #expect(rows >= 2)
        let (activations, activationBytes) = Self.quantizedActivations(type: type, k: k, tokens: tokens, seed: 11)
        var batched = [Float](repeating: .nan, count: rows * tokens)
        var scratch = [UInt8](repeating: 0, count: Int(gk_matmul_scratch_bytes(Int32(type.rawValue), Int64(k))))
        let status = gk_matmul_quantized(isa, Int32(type.rawValue), raw, rowBytes, Int64(k), 0, Int64(rows),
                                         activations, Int64(tokens), Int64(activationBytes), &batched, Int64(rows), &scratch)
        #expect(status == 0)
        Self.expectReferenceDots(batched, type: type, weights: raw, rowBytes: rowBytes, rowRange: 0..<rows, ldy: rows,
                                 activations: activations, activationBytes: activationBytes, tokens: tokens, k: k)
    }

    /// Interleaved rows (the VNNI layout) multiply to exactly `gk_vec_dot`'s floats, on the VNNI
    /// path and the portable one, for token counts on and off the 4- and 8-token tiles, a row count
    /// that is no multiple of 8, and row ranges that start and end inside a group.
    @Test(arguments: [TensorType.q4_0, .q5_0, .q8_0, .q4_K, .q6_K], [GK_ISA_AVX512_VNNI, GK_ISA_PORTABLE])
    func interleavedProductEqualsReferenceDotBitForBit(type: TensorType, isa: gk_isa) throws {
        let rows = 77, k = type.blockElements * 5, rowBytes = k / type.blockElements * type.blockBytes
        var generator = SplitMix64(seed: 23)
        var weights = (0..<rows * rowBytes).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        // Finite positive half scales between 2^-10 and 2^-3, where each format keeps them
        // (Q4_K: d and dmin first; Q6_K: d last; the others: d first).
        let scaleOffsets = switch type {
        case .q4_K: [0, 2]
        case .q6_K: [type.blockBytes - 2]
        default: [0]
        }
        for block in stride(from: 0, to: weights.count, by: type.blockBytes) {
            for offset in scaleOffsets {
                let scale = Float16(Float(generator.nextUnitDouble()) * 0.12 + 0.001).bitPattern
                weights[block + offset] = UInt8(scale & 0xff)
                weights[block + offset + 1] = UInt8(scale >> 8)
            }
        }
        var packed = [UInt8](repeating: 0, count: Int(gk_interleaved_bytes(Int32(type.rawValue), Int64(rows), Int64(k))))
        let groups = (rows + Int(GK_INTERLEAVED_ROWS) - 1) / Int(GK_INTERLEAVED_ROWS)
        #expect(gk_interleave_rows(Int32(type.rawValue), weights, rowBytes, Int64(rows), Int64(k), 0, Int64(groups), &packed) == 0)
        for tokens in [1, 3, 6, 9] {
            let (activations, activationBytes) = Self.quantizedActivations(type: type, k: k, tokens: tokens, seed: UInt64(tokens))
            for rowRange in [0..<rows, 5..<30, 76..<77] {
                var y = [Float](repeating: .nan, count: rows * tokens)
                var scratch = [UInt8](repeating: 0, count: Int(gk_interleaved_scratch_bytes(Int64(k), Int64(tokens))))
                let status = gk_matmul_interleaved(isa, Int32(type.rawValue), packed, Int64(rows), Int64(k), Int64(rowRange.lowerBound),
                                                   Int64(rowRange.upperBound), activations, Int64(tokens),
                                                   Int64(activationBytes), &y, Int64(rows), &scratch)
                #expect(status == 0)
                Self.expectReferenceDots(y, type: type, weights: weights, rowBytes: rowBytes, rowRange: rowRange, ldy: rows,
                                         activations: activations, activationBytes: activationBytes, tokens: tokens, k: k)
                let untouched = (0..<rows).filter { !rowRange.contains($0) }
                #expect(untouched.allSatisfy { y[$0].isNaN }, "rows outside the range stay unwritten")
            }
        }
    }

    static func quantizedActivations(type: TensorType, k: Int, tokens: Int, seed: UInt64) -> (bytes: [UInt8], rowBytes: Int) {
        var generator = SplitMix64(seed: seed)
        let x = (0..<k * tokens).map { _ in Float(generator.nextUnitDouble() * 6 - 3) }
        let rowBytes = Int(gk_activation_row_bytes(Int32(type.rawValue), Int64(k)))
        var activations = [UInt8](repeating: 0, count: rowBytes * tokens)
        for t in 0..<tokens {
            x.withUnsafeBufferPointer { source in
                activations.withUnsafeMutableBytes { out in
                    gk_quantize_activations(Int32(type.rawValue), source.baseAddress! + t * k, Int64(k),
                                            out.baseAddress! + t * rowBytes)
                }
            }
        }
        return (activations, rowBytes)
    }

    static func expectReferenceDots(
        _ y: [Float], type: TensorType, weights: [UInt8], rowBytes: Int, rowRange: Range<Int>, ldy: Int,
        activations: [UInt8], activationBytes: Int, tokens: Int, k: Int
    ) {
        var floatScratch = [Float](repeating: 0, count: k)
        for t in 0..<tokens {
            for r in rowRange {
                let reference = weights.withUnsafeBytes { w in
                    activations.withUnsafeBytes { a in
                        gk_vec_dot(Int32(type.rawValue), w.baseAddress! + r * rowBytes, a.baseAddress! + t * activationBytes,
                                   Int64(k), &floatScratch)
                    }
                }
                #expect(y[t * ldy + r].bitPattern == reference.bitPattern, "\(type) token \(t) of \(tokens), row \(r)")
            }
        }
    }

    /// What the activations were rounded to, read from the Q8_0 / Q8_K layouts.
    static func dequantizeActivations(_ bytes: [UInt8], type: TensorType, count: Int) -> [Float] {
        switch type {
        case .q4_0, .q5_0, .q8_0:
            return dequantize(.q8_0, bytes, count: count)
        case .q4_K, .q5_K, .q6_K:
            return (0..<count).map { i in
                let block = i / 256 * 292
                let d = bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: block, as: Float.self) }
                return d * Float(Int8(bitPattern: bytes[block + 4 + i % 256]))
            }
        case .f32, .f16, .bf16:
            return bytes.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) } }
        }
    }

    @Test func halfConversionRoundsToNearestEven() {
        #expect(gk_f32_to_f16(1.0) == 0x3C00)
        #expect(gk_f32_to_f16(65504) == 0x7BFF)
        #expect(gk_f32_to_f16(65520) == 0x7C00)  // rounds up to infinity
        #expect(gk_f32_to_f16(5.960_464_5e-8) == 0x0001)  // smallest subnormal
        #expect(gk_f32_to_f16(1 + 1.0 / 2048) == 0x3C00)  // tie goes to even
        #expect(gk_f32_to_f16(1 + 3.0 / 2048) == 0x3C02)
        for bits in stride(from: UInt16(0), to: 0x7C00, by: 7) {
            #expect(gk_f32_to_f16(gk_f16_to_f32(bits)) == bits)
        }
    }
}
