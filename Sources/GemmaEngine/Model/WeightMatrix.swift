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
        multiply(x, tokens: tokens, rowRange: 0..<rows, into: y, outputStride: rows, parallel: parallel)
    }

    /// The same product restricted to `rowRange`; outputs land at `y[t * outputStride + r]`.
    func multiply(
        _ x: UnsafePointer<Float>, tokens: Int, rowRange: Range<Int>,
        into y: UnsafeMutablePointer<Float>, outputStride: Int, parallel: Parallel
    ) {
        let columns = columns, rowBytes = tensor.rowBytes, type = Int32(tensor.type.rawValue)
        let tensor = tensor
        let output = SendablePointer(y)
        let input = SendablePointer(UnsafeMutablePointer(mutating: x))
        // Tiles of 8 rows share one dequantization scratch; keep chunks whole tiles.
        parallel.forEachRange(rowRange.count, granularity: 8) { chunk in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: Int(gk_scratch_floats(Int64(columns))))
            defer { scratch.deallocate() }
            let status = gk_matmul(
                type, tensor.data.baseAddress!, rowBytes, Int64(columns),
                Int64(rowRange.lowerBound + chunk.lowerBound), Int64(rowRange.lowerBound + chunk.upperBound),
                input.pointer, Int64(tokens), Int64(columns),
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
