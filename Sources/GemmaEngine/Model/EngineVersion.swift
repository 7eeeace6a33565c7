extension GemmaModel {
    /// This engine's version, stored with every model score so a result can be tied to the code
    /// that computed it. Bump it whenever a change can alter logits.
    public static let engineVersion = "GemmaEngine 0.1.0"

    /// The weights' quantization as llama.cpp names it (GGUF `general.file_type`), e.g. `Q4_K_M`.
    public var quantization: String? {
        guard let fileType = file.metadata["general.file_type"]?.int else { return nil }
        let names = [0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
                     11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
                     17: "Q5_K_M", 18: "Q6_K", 32: "BF16"]
        return names[fileType] ?? "file_type \(fileType)"
    }
}
