import CGemmaKernels

/// A 2-D weight tensor used as `y = W x`: `rows` outputs, each the dot product of one stored
/// row (`columns` elements, any supported type) with the input.
public struct WeightMatrix: Sendable {
    public let tensor: GGUFTensor
    public var rows: Int { tensor.rowCount }
    public var columns: Int { tensor.rowLength }

    init(_ tensor: GGUFTensor, rows: Int, columns: Int) throws(GemmaModelError) {
        guard tensor.shape.count == 2, tensor.rowLength == columns, tensor.rowCount == rows else {
            throw .inconsistentShape("\(tensor.name) has shape \(tensor.shape), expected [\(columns), \(rows)]")
        }
        self.tensor = tensor
    }

    /// `y[t][r] = row r · x[t]` for `tokens` inputs of `columns` floats laid out contiguously,
    /// into outputs of `rows` floats; rows are split across `parallel` workers.
    func multiply(_ x: UnsafePointer<Float>, tokens: Int, into y: UnsafeMutablePointer<Float>, parallel: Parallel) {
        let activations = quantize(x, tokens: tokens, parallel: parallel)
        multiply(activations, tokens: tokens, rowRange: 0..<rows, into: y, outputStride: rows, parallel: parallel)
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
        let columns = columns, rowBytes = tensor.rowBytes, type = Int32(tensor.type.rawValue)
        let tensor = tensor
        let output = SendablePointer(y)
        // Chunks of whole row tiles, so a tile's rows stay in cache while tokens stream past.
        parallel.forEachRange(rowRange.count, granularity: Int(GK_MATMUL_TILE_ROWS)) { chunk in
            let scratch = UnsafeMutableRawPointer.allocate(
                byteCount: Int(gk_matmul_scratch_bytes(type, Int64(columns))), alignment: 64)
            defer { scratch.deallocate() }
            let status = gk_matmul_quantized(
                type, tensor.data.baseAddress!, rowBytes, Int64(columns),
                Int64(rowRange.lowerBound + chunk.lowerBound), Int64(rowRange.lowerBound + chunk.upperBound),
                activations.pointer.pointer, Int64(tokens), Int64(activations.rowBytes),
                output.pointer - rowRange.lowerBound, Int64(outputStride), scratch)
            precondition(status == 0, "tensor types are validated when the model loads")
        }
    }

    /// Row `index` as floats (an embedding lookup).
    func row(_ index: Int, into destination: UnsafeMutablePointer<Float>) {
        precondition((0..<rows).contains(index), "row \(index) outside 0..<\(rows)")
        let source = tensor.data.baseAddress! + index * tensor.rowBytes
        let status = gk_dequantize(Int32(tensor.type.rawValue), source, destination, Int64(columns))
        precondition(status == 0, "tensor types are validated when the model loads")
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
