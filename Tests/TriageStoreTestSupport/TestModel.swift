import Foundation

/// The bundled Gemma 3 270M model that the tests run against (`EDTRIAGE_MODEL_PATH`, or where
/// scripts/fetch-model.sh puts it).
public enum TestModel {
    public static var path: String {
        if let path = ProcessInfo.processInfo.environment["EDTRIAGE_MODEL_PATH"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".local/models/gemma-3-270m-q4_k_m.gguf").path
    }
}
