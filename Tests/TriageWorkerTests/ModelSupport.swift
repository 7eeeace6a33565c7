import ComputeThreadTesting
import Foundation
import Testing
import TriageCore
import TriageService
import TriageStoreTestSupport

/// The bundled model, loaded once for the whole test process (loading hashes 250 MB and prefills the
/// prompt prefix, on the compute thread). Fails with a clear message when the file is missing.
enum BundledModel {
    static var path: String { TestModel.path }

    private static let loading = Task(executorPreference: ComputeThread.executor) { () throws -> ModelScorer in
        guard FileManager.default.fileExists(atPath: path) else {
            throw ModelUnavailable("bundled model \(path) is missing: run scripts/fetch-model.sh or set EDTRIAGE_MODEL_PATH")
        }
        return try await ModelScorer(backend: try EmbeddedTriageModel(path: path, threads: 2))
    }

    static func scorer() async throws -> ModelScorer { try await loading.value }
}

/// A backend that answers with `inner` and records the language each rationale is asked in.
final class RationaleLanguageRecorder: TriageModelBackend, @unchecked Sendable {
    private let lock = NSLock()
    private var asked: [NoteLanguage] = []
    let inner: any TriageModelBackend

    init(_ inner: any TriageModelBackend) { self.inner = inner }

    var languages: [NoteLanguage] { lock.withLock { asked } }
    var identity: ModelIdentity { inner.identity }
    var imagesUnreadableReason: String? { inner.imagesUnreadableReason }

    func fit(_ presentation: ClinicalPresentation, rules: RulesAssessment, images: [String]) async throws
        -> [TriagePrompt.Segment]
    {
        try await inner.fit(presentation, rules: rules, images: images)
    }

    func readImages(_ images: [ImageSubmission]) async throws -> [ImageAnalysis] {
        try await inner.readImages(images)
    }

    func levelDistribution(patient: [TriagePrompt.Segment]) async throws -> LevelDistribution {
        try await inner.levelDistribution(patient: patient)
    }

    func rationale(patient: [TriagePrompt.Segment], level: ESILevel, language: NoteLanguage, budget: RationaleBudget)
        async throws -> ModelRationale
    {
        lock.withLock { asked.append(language) }
        return try await inner.rationale(patient: patient, level: level, language: language, budget: budget)
    }
}

/// Wraps a model phase: holds every call until `open()` (so a test can look at the board before the
/// model writes), fails the first `failures` calls, and counts the calls per presentation. Its `images`
/// behaviour can claim to read images and then fail, or hold until `openImages()`, every call that reads them.
final class InstrumentedModelPhase: ModelPhase, @unchecked Sendable {
    private let lock = NSLock()
    private var isOpen: Bool
    private var remainingFailures: Int
    private var calls: [String: Int] = [:]
    let inner: any ModelPhase
    struct Timeout: Error {}

    /// What the calls that read images do; any but `asInner` claims the phase reads images.
    enum Images { case asInner, failing, held }
    let images: Images
    private var imagesOpen = false
    private(set) var imageReadsStarted = 0

    init(_ inner: any ModelPhase, open: Bool = false, failures: Int = 0, images: Images = .asInner) {
        self.inner = inner
        isOpen = open
        remainingFailures = failures
        self.images = images
    }

    func openImages() { lock.withLock { imagesOpen = true } }

    func open() { lock.withLock { isOpen = true } }
    var startedCount: Int { lock.withLock { calls.values.reduce(0, +) } }
    /// How many times each distinct presentation was scored.
    var callsPerPresentation: [Int] { lock.withLock { Array(calls.values) } }

    var modelName: String { inner.modelName }
    var imagesUnreadableReason: String? { images == .asInner ? inner.imagesUnreadableReason : nil }
    func prepare() async throws { try await inner.prepare() }

    func score(_ presentation: ClinicalPresentation, images submitted: [ImageSubmission], reading: ImageReading)
        async throws -> AssessmentDraft
    {
        let fail = lock.withLock {
            calls[(try? presentation.canonicalSHA256()) ?? "", default: 0] += 1
            defer { remainingFailures -= 1 }
            return remainingFailures > 0
        }
        while !lock.withLock({ isOpen }) { try await Task.sleep(for: .milliseconds(20)) }
        if reading == .now, images != .asInner {
            lock.withLock { imageReadsStarted += 1 }
            if images == .failing { throw Timeout() }
            while !lock.withLock({ imagesOpen }) { try await Task.sleep(for: .milliseconds(20)) }
        }
        if fail { throw Timeout() }
        if images != .asInner, case .abandoned(let reason) = reading {
            // The inner phase reads no images: list them as the abandoned stage would.
            var draft = try await inner.score(presentation, images: [], reading: .later)
            draft.model?.images = ImageAnalysis.list(submitted, status: .notAnalysed, reason: reason)
            return draft
        }
        return try await inner.score(presentation, images: submitted, reading: reading)
    }
}
