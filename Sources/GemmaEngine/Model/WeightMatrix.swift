import CGemmaKernels

/// A 2-D weight tensor used as `y = W x`: `rows` outputs, each the dot product of one stored
/// row (`columns` elements, any supported type) with the input.
public struct WeightMatrix: Sendable {
    public let tensor: GGUFTensor
    public var rows: Int { tensor.rowCount }
    public var columns: Int { tensor.rowLength }
    /// The instruction sets products may use.
    let isa: gk_isa
    /// Rows interleaved for VNNI products, when the type, the CPU and `isa` allow them.
    let interleaved: InterleavedRows?

    init(_ tensor: GGUFTensor, rows: Int, columns: Int, isa: gk_isa, parallel: Parallel) throws(GemmaModelError) {
        guard tensor.shape.count == 2, tensor.rowLength == columns, tensor.rowCount == rows else {
            throw .inconsistentShape("\(tensor.name) has shape \(tensor.shape), expected [\(columns), \(rows)]")
        }
        self.tensor = tensor
        self.isa = gk_usable_isa(isa)
        interleaved = self.isa == GK_ISA_AVX512_VNNI ? InterleavedRows(tensor, parallel: parallel) : nil
    }

    /// `y[t][r] = row r · x[t]` for `tokens` inputs of `columns` floats laid out contiguously,
    /// into outputs of `rows` floats; rows are split across `parallel` workers.
    func multiply(_ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>, parallel: Parallel) {
        Self.multiply(x, tokens: tokens, by: [(self, y)], parallel: parallel)
    }

    /// Several matrices times the same input (Q, K and V; gate and up), the input quantized
    /// once for all the matrices that multiply with the same activation format.
    static func multiply(
        _ x: UnsafePointer<Float>, tokens: Int, by products: [(matrix: WeightMatrix, output: UnsafeMutablePointer<Float>)],
        parallel: Parallel
    ) {
        var quantized: [Int32: QuantizedActivations] = [:]
        for (matrix, output) in products {
            let format = gk_activation_format(Int32(matrix.tensor.type.rawValue))
            let activations = quantized[format] ?? matrix.quantize(x, tokens: tokens, parallel: parallel)
            quantized[format] = activations
            matrix.multiply(activations, tokens: tokens, rowRange: 0..<matrix.rows, into: output,
                            outputStride: matrix.rows, parallel: parallel)
        }
    }

    /// Activations rounded to the 8-bit block format this matrix's type multiplies with
    /// (see gemma_kernels.h); done once per input, shared by every row.
    func quantize(_ x: UnsafePointer<Float>, tokens: Int, parallel: Parallel) -> QuantizedActivations {
        let type = Int32(tensor.type.rawValue), columns = columns
        let activations = QuantizedActivations(rowBytes: Int(gk_activation_row_bytes(type, Int64(columns))), rows: tokens)
        let source = SendablePointer(UnsafeMutablePointer(mutating: x)), destination = activations.pointer
        let rowBytes = activations.rowBytes
        parallel.forEachRange(tokens) { range in
            for t in range {
                gk_quantize_activations(type, source.pointer + t * columns, Int64(columns), destination.pointer + t * rowBytes)
            }
        }
        return activations
    }

    /// Products with already quantized activations, restricted to `rowRange`; outputs land at
    /// `y[t * outputStride + r - rowRange.lowerBound]`.
    func multiply(
        _ activations: QuantizedActivations, tokens: Int, rowRange: Range<Int>,
        into y: UnsafeMutablePointer<Float>, outputStride: Int, parallel: Parallel
    ) {
        if let interleaved {
            interleaved.multiply(activations, tokens: tokens, rowRange: rowRange, into: y, outputStride: outputStride,
                                 isa: isa, parallel: parallel)
            return
        }
        let columns = columns, rowBytes = tensor.rowBytes, type = Int32(tensor.type.rawValue)
        let tensor = tensor, isa = isa
        let output = SendablePointer(y)
        // Chunks of whole row tiles, so a tile's rows stay in cache while tokens stream past.
        parallel.forEachRange(rowRange.count, granularity: Int(GK_MATMUL_TILE_ROWS),
                              chunksPerThread: Parallel.chunksPerThread(tokens: tokens)) { chunk in
            let scratch = UnsafeMutableRawPointer.allocate(
                byteCount: Int(gk_matmul_scratch_bytes(type, Int64(columns))), alignment: 64)
            defer { scratch.deallocate() }
            let status = gk_matmul_quantized(
                isa, type, tensor.data.baseAddress!, rowBytes, Int64(columns),
                Int64(rowRange.lowerBound + chunk.lowerBound), Int64(rowRange.lowerBound + chunk.upperBound),
                activations.pointer.pointer, Int64(tokens), Int64(activations.rowBytes),
                output.pointer - rowRange.lowerBound, Int64(outputStride), scratch)
            precondition(status == 0, "tensor types are validated when the model loads")
        }
    }

    /// `y = W x` for many tokens of a float matrix (F32, F16, BF16) in register-blocked outer products
    /// (panels.c): `x` is packed into `panels` (gk_panels_floats 4-byte slots) in `format`. Each sum runs over the
    /// columns in order, not in `multiply`'s sixteen partial sums, so the text model, whose decoding steps and
    /// prefill must agree, keeps `multiply`. Returns false, having done nothing, for quantized types.
    func multiplyInPanels(_ x: UnsafePointer<Float>, tokens: Int, format: gk_panel_format, panels: UnsafeMutablePointer<Float>,
                          into y: UnsafeMutablePointer<Float>, parallel: Parallel) -> Bool {
        guard isFloat else { return false }
        let columns = columns, rows = rows, rowBytes = tensor.rowBytes, type = Int32(tensor.type.rawValue)
        let tensor = tensor, isa = isa
        let source = SendablePointer(UnsafeMutablePointer(mutating: x)), packed = SendablePointer(panels)
        let output = SendablePointer(y)
        let panelCount = (tokens + Int(GK_PANEL_TOKENS) - 1) / Int(GK_PANEL_TOKENS)
        parallel.forEachRange(panelCount) { blocks in
            gk_pack_panels(isa, source.pointer, Int64(columns), Int64(tokens), Int64(columns), Int64(blocks.lowerBound),
                           Int64(blocks.upperBound), format, packed.pointer)
        }
        // Workers claim whole 32-row panels, a few chunks each so that neither waits long for the other,
        // and convert each block of weights once for every token.
        parallel.forEachRange(rows, granularity: Int(GK_PANEL_WIDTH), chunksPerThread: 4) { chunk in
            let scratch = UnsafeMutableRawPointer.allocate(byteCount: Int(gk_matmul_panels_scratch_bytes()), alignment: 64)
            defer { scratch.deallocate() }
            let status = gk_matmul_panels(isa, type, tensor.data.baseAddress!, rowBytes, Int64(columns),
                                          Int64(chunk.lowerBound), Int64(chunk.upperBound), format, packed.pointer,
                                          Int64(tokens), output.pointer, Int64(rows), scratch)
            precondition(status == 0, "type checked above")
        }
        return true
    }

    /// F32, F16 or BF16: the types the panel products take.
    var isFloat: Bool { [.f32, .f16, .bf16].contains(tensor.type) }

    /// True when every weight is a bfloat16 value, so bfloat16 products read them unchanged. Each worker
    /// checks its share of the rows.
    func holdsOnlyBFloat16Values(parallel: Parallel) -> Bool {
        let type = Int32(tensor.type.rawValue), rowBytes = tensor.rowBytes, rows = rows, columns = columns
        let tensor = tensor, isa = isa, shares = parallel.threads
        let verdicts = SendablePointer(UnsafeMutablePointer<Int32>.allocate(capacity: shares))
        defer { verdicts.pointer.deallocate() }
        parallel.forEachRange(shares) { workers in
            for worker in workers {
                let first = rows * worker / shares, last = rows * (worker + 1) / shares
                verdicts.pointer[worker] = gk_bf16_exact(isa, type, tensor.data.baseAddress! + first * rowBytes,
                                                         Int64((last - first) * columns))
            }
        }
        return (0..<shares).allSatisfy { verdicts.pointer[$0] == 1 }
    }

    /// Bytes one product reads: the interleaved copy if there is one, else the tensor.
    var bytesPerProduct: Int { interleaved?.byteCount ?? tensor.data.count }

    /// Row `index` as floats (an embedding lookup).
    func row(_ index: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition((0..<rows).contains(index), "row \(index) outside 0..<\(rows)")
        let source = tensor.data.baseAddress! + index * tensor.rowBytes
        let status = gk_dequantize(Int32(tensor.type.rawValue), source, destination, Int64(columns))
        precondition(status == 0, "tensor types are validated when the model loads")
    }
}

/// A Q4_0/Q5_0/Q8_0/Q4_K/Q6_K matrix copied into the interleaved layout of interleaved.c
/// (16 rows per group, values laid out for vpdpbusd) once at load, so products need no per-call unpacking
/// and no horizontal adds. Results are bit-identical to the other paths.
final class InterleavedRows: Sendable {
    private let storage: SendablePointer<UInt8>
    private let type: Int32, rows: Int, columns: Int
    let byteCount: Int

    /// nil for types the layout does not cover.
    init?(_ tensor: GGUFTensor, parallel: Parallel) {
        let type = Int32(tensor.type.rawValue)
        let bytes = Int(gk_interleaved_bytes(type, Int64(tensor.rowCount), Int64(tensor.rowLength)))
        guard bytes > 0 else { return nil }
        self.type = type
        byteCount = bytes
        rows = tensor.rowCount
        columns = tensor.rowLength
        storage = SendablePointer(.allocate(capacity: bytes))
        let groups = (rows + Int(GK_INTERLEAVED_ROWS) - 1) / Int(GK_INTERLEAVED_ROWS)
        let storage = storage, rows = rows, columns = columns
        parallel.forEachRange(groups) { range in
            let status = gk_interleave_rows(type, tensor.data.baseAddress!, tensor.rowBytes, Int64(rows), Int64(columns),
                                            Int64(range.lowerBound), Int64(range.upperBound), storage.pointer)
            precondition(status == 0, "interleavable types and shapes were checked above")
        }
    }

    deinit { storage.pointer.deallocate() }

    func multiply(
        _ activations: QuantizedActivations, tokens: Int, rowRange: Range<Int>,
        into y: UnsafeMutablePointer<Float>, outputStride: Int, isa: gk_isa, parallel: Parallel
    ) {
        let storage = storage, type = type, rows = rows, columns = columns
        let output = SendablePointer(y)
        // Whole sets of four groups: generation streams four groups at once (interleaved.c).
        parallel.forEachRange(rowRange.count, granularity: 4 * Int(GK_INTERLEAVED_ROWS),
                              chunksPerThread: Parallel.chunksPerThread(tokens: tokens)) { chunk in
            let scratch = UnsafeMutableRawPointer.allocate(
                byteCount: Int(gk_interleaved_scratch_bytes(Int64(columns), Int64(tokens))), alignment: 64)
            defer { scratch.deallocate() }
            let status = gk_matmul_interleaved(
                isa, type, storage.pointer, Int64(rows), Int64(columns),
                Int64(rowRange.lowerBound + chunk.lowerBound), Int64(rowRange.lowerBound + chunk.upperBound),
                activations.pointer.pointer, Int64(tokens), Int64(activations.rowBytes),
                output.pointer - rowRange.lowerBound, Int64(outputStride), scratch)
            precondition(status == 0, "shapes were checked when the rows were interleaved")
        }
    }
}

/// Activation rows quantized for one weight type, owned and freed with this object.
final class QuantizedActivations: Sendable {
    let pointer: SendablePointer<UInt8>
    let rowBytes: Int

    init(rowBytes: Int, rows: Int) {
        self.rowBytes = rowBytes
        pointer = SendablePointer(.allocate(capacity: max(1, rowBytes * rows)))
    }

    deinit { pointer.pointer.deallocate() }
}

/// A pointer handed to parallel workers that each write disjoint elements.
struct SendablePointer<T>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<T>
    init(_ pointer: UnsafeMutablePointer<T>) { self.pointer = pointer }
}

/// Reads a 1-D tensor (norm weights) as floats.
func floatVector(_ tensor: GGUFTensor, length: Int) throws(GemmaModelError) -> [Float] {
    guard tensor.elementCount == length else {
        throw .inconsistentShape("\(tensor.name) has \(tensor.elementCount) elements, expected \(length)")
    }
    return [Float](unsafeUninitializedCapacity: length) { buffer, count in
        _ = gk_dequantize(Int32(tensor.type.rawValue), tensor.data.baseAddress!, buffer.baseAddress!, Int64(length))
        count = length
    }
}
