import Foundation
import Testing
import TriageCore
import TriageService

/// The bundled model, loaded once for the whole test process (loading hashes 250 MB and prefills the
/// prompt prefix). Fails with a clear message when the file is missing.
enum BundledModel {
    static var path: String {
        if let path = ProcessInfo.processInfo.environment["EDTRIAGE_MODEL_PATH"], !path.isEmpty { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return root.appendingPathComponent(".local/models/gemma-3-270m-q4_k_m.gguf").path
    }

    private static let loading = Task { () throws -> ModelScorer in
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelUnavailable("bundled model \(path) is missing: run scripts/fetch-model.sh or set EDTRIAGE_MODEL_PATH")
        }
        return try await ModelScorer(backend: try EmbeddedTriageModel(path: path, threads: 2))
    }

    static func scorer() async throws -> ModelScorer { try await loading.value }
}

/// Holds every model-phase call until `open()`, so a test can look at the board before the model writes.
final class GatedModelPhase: ModelPhase, @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen = false
    private var started = 0
    let inner: any ModelPhase

    init(_ inner: any ModelPhase) { self.inner = inner }

    func open() { lock.withLock { isOpen = true } }
    var startedCount: Int { lock.withLock { started } }

    func score(_ presentation: ClinicalPresentation) async throws -> AssessmentDraft {
        lock.withLock { started += 1 }
        while !lock.withLock({ isOpen }) { try await Task.sleep(for: .milliseconds(20)) }
        return try await inner.score(presentation)
    }
}
