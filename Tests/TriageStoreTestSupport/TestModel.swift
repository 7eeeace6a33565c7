import Foundation

/// The bundled Gemma 3 270M model that the tests run against (`EDTRIAGE_MODEL_PATH`, or where
/// scripts/fetch-model.sh puts it).
public enum TestModel {
    public static var path: String {
        if let path = ProcessInfo.processInfo.environment["EDTRIAGE_MODEL_PATH"], !path.isEmpty { return path }
        return root.appendingPathComponent(".local/models/gemma-3-270m-q4_k_m.gguf").path
    }

    /// The llama.cpp-checked vision fixtures: a random-weight mmproj that pairs with the bundled model
    /// (`tiny-mmproj-f16.gguf`) and the images it was run on.
    public static let visionFixtures = root.appendingPathComponent("Tests/GemmaEngineTests/Fixtures/vision")

    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
}
