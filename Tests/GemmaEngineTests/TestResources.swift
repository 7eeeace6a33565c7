import Foundation
import Testing

@testable import GemmaEngine

/// Locations of the model and the llama.cpp reference data, relative to the package root
/// (overridable with EDTRIAGE_MODEL_PATH and EDTRIAGE_REFERENCE_DIR).
enum TestResources {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var modelPath: String {
        ProcessInfo.processInfo.environment["EDTRIAGE_MODEL_PATH"]
            ?? packageRoot.appendingPathComponent(GemmaModel.defaultPath).path
    }

    static var referenceDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["EDTRIAGE_REFERENCE_DIR"] {
            return URL(fileURLWithPath: override)
        }
        return packageRoot.deletingLastPathComponent().appendingPathComponent("shared/reference/gemma-3-270m")
    }

    static var fixtures: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Fixtures")
    }

    /// One JSON object per line.
    static func jsonLines<Record: Decodable>(_ name: String, as: Record.Type) throws -> [Record] {
        let url = referenceDirectory.appendingPathComponent(name)
        let text = try String(contentsOf: url, encoding: .utf8)
        return try text.split(separator: "\n").map { try JSONDecoder().decode(Record.self, from: Data($0.utf8)) }
    }
}

/// The real model, loaded once and shared by every test that needs it. A missing model fails
/// the test with instructions instead of skipping it.
enum SharedModel {
    private static let fastest = load(.best)
    private static let portable = load(.portable)

    private static func load(_ instructionSet: InstructionSet) -> Result<GemmaModel, any Error> {
        Result {
            let path = TestResources.modelPath
            guard FileManager.default.fileExists(atPath: path) else {
                throw MissingModel(path: path)
            }
            return try GemmaModel(path: path, instructionSet: instructionSet)
        }
    }

    /// The model on the fastest kernels, or on the portable ones (loaded on first use).
    static func get(_ instructionSet: InstructionSet = .best) throws -> GemmaModel {
        try (instructionSet == .portable ? portable : fastest).get()
    }

    struct MissingModel: Error, CustomStringConvertible {
        let path: String
        var description: String { "model not found at \(path): run scripts/fetch-model.sh first" }
    }
}
