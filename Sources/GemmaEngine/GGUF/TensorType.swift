import CGemmaKernels

/// The GGML tensor element types the engine can compute with, by their GGUF type codes.
public enum TensorType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case f32 = 0, f16 = 1, q4_0 = 2, q5_0 = 6, q8_0 = 8, q4_K = 12, q5_K = 13, q6_K = 14, bf16 = 30

    /// Elements per quantization block (1 for plain floats).
    public var blockElements: Int { Int(gk_block_elements(Int32(rawValue))) }
    /// Bytes per quantization block.
    public var blockBytes: Int { Int(gk_block_bytes(Int32(rawValue))) }

    public var description: String {
        switch self {
        case .f32: "F32"
        case .f16: "F16"
        case .bf16: "BF16"
        case .q4_0: "Q4_0"
        case .q5_0: "Q5_0"
        case .q8_0: "Q8_0"
        case .q4_K: "Q4_K"
        case .q5_K: "Q5_K"
        case .q6_K: "Q6_K"
        }
    }

    /// Bytes a row of `elements` occupies, or nil unless `elements` is a whole number of blocks.
    public func rowBytes(elements: Int) -> Int? {
        guard elements % blockElements == 0 else { return nil }
        return elements / blockElements * blockBytes
    }
}
