import ComputeThreadTesting
import Foundation
import Testing

@testable import GemmaEngine

/// Agreement with llama.cpp on the same GGUF (reference data in ../shared/reference/gemma-3-270m).
@Suite("llama.cpp reference", .serialized, .onComputeThread)
struct ReferenceTests {
    struct TokenizerRecord: Decodable {
        let text: String
        let add_bos: Bool
        let parse_special: Bool
        let ids: [TokenID]
    }

    struct LogitsRecord: Decodable {
        let prompt: String
        let add_bos: Bool
        let parse_special: Bool
        let ids: [TokenID]
        let top40: [[Double]]
        let full_logits_file: String?
    }

    struct GreedyRecord: Decodable {
        let prompt: String
        let add_bos: Bool
        let parse_special: Bool
        let ids: [TokenID]
        let greedy32: [TokenID]
        let greedy32_text: String
    }

    /// Largest |ours − llama.cpp| accepted for any logit, after removing the mean difference
    /// (adding one constant to every logit changes no probability), and the largest standard
    /// deviation of those differences.
    ///
    /// Why these: this model's activations are large (norm weights up to 300), so rounding alone
    /// moves its logits far. Measured on logits-1.f32: switching only our 8-bit activation
    /// rounding off (f32 products instead) changes logits by up to 1.25 and by 0.17 on average
    /// (standard deviation); our differences from llama.cpp are of that size, and vary with the
    /// kernel path's summation order (AVX-512, AVX2, portable). Real defects are far larger: a
    /// wrong RoPE base on the local layers gives std 0.7 and differences of several units.
    static let logitTolerance: Float = 1.25
    static let logitSpreadTolerance = 0.45

    @Test func tokenIDsMatchEveryReferenceString() throws {
        let model = try SharedModel.get()
        for record in try TestResources.jsonLines("tokenizer.jsonl", as: TokenizerRecord.self) {
            let ids = model.encode(record.text, addBOS: record.add_bos, parseSpecial: record.parse_special)
            #expect(ids == record.ids, "\(record.text.debugDescription)")
        }
    }

    /// On the fastest kernels of this CPU and on the portable C ones (issue 5: the portable
    /// path must stay correct on any CPU).
    @Test(arguments: [InstructionSet.best, .portable])
    func logitsMatchEveryReferencePrompt(instructionSet: InstructionSet) throws {
        let model = try SharedModel.get(instructionSet)
        for record in try TestResources.jsonLines("logits.jsonl", as: LogitsRecord.self) {
            let label = "\(record.ids.count)-token prompt \(record.prompt.prefix(40).debugDescription) (\(model.kernelPath))"
            #expect(model.encode(record.prompt, addBOS: record.add_bos, parseSpecial: record.parse_special) == record.ids, "\(label)")
            let session = model.makeSession()
            try session.append(record.ids)
            let logits = try session.logits()
            let reference = record.top40.map { (id: Int($0[0]), logit: Float($0[1])) }
            let ours = logits.indices.sorted { logits[$0] > logits[$1] }
            #expect(ours[0] == reference[0].id, "argmax of \(label)")
            let sharedTop10 = Set(ours.prefix(10)).intersection(reference.prefix(10).map(\.id)).count
            #expect(sharedTop10 >= 9, "top-10 overlap \(sharedTop10) for \(label)")
            var pairs = reference.map { (ours: logits[$0.id], theirs: $0.logit) }
            if let name = record.full_logits_file {
                let full = try Self.floats(TestResources.referenceDirectory.appendingPathComponent(name))
                #expect(full.count == logits.count)
                pairs = zip(logits, full).map { (ours: $0, theirs: $1) }
            }
            let shift = pairs.reduce(0) { $0 + Double($1.ours - $1.theirs) } / Double(pairs.count)
            let worst = pairs.map { abs($0.ours - $0.theirs - Float(shift)) }.max()!
            let spread = (pairs.reduce(0) { $0 + pow(Double($1.ours - $1.theirs) - shift, 2) } / Double(pairs.count)).squareRoot()
            #expect(worst <= Self.logitTolerance, "largest logit difference \(worst) for \(label)")
            #expect(spread <= Self.logitSpreadTolerance, "standard deviation of the logit differences \(spread) for \(label)")
            print("reference \(label): max |Δlogit − mean Δ| = \(worst), std \(spread) (mean Δ \(shift)), top-10 shared \(sharedTop10)")
        }
    }

    /// Greedy continuations. The first tokens must agree; the full 32 do for some prompts but not
    /// for all: where two candidates are within rounding distance (see `logitTolerance`) the
    /// argmax flips and the texts part. Recorded as a known issue, visible in every run.
    ///
    /// Why it stays a known issue: this model turns last-bit differences into logit differences
    /// as large as ours from llama.cpp. Measured on logits-0/1.f32: only reordering the float
    /// accumulation of the Q5_0/Q8_0 block products (llama.cpp's tinyBLAS order: eight lanes,
    /// fused multiply-add, horizontal sum) moves our own logits by up to 0.90 (std 0.16–0.18);
    /// summing RMSNorm squares in Float instead of Double moves them by up to 0.95. Each such
    /// change reshuffles which continuations match (2, 3 or 4 of 6) without bringing the logits
    /// closer, so full equality needs llama.cpp's exact kernels for the reference machine's CPU
    /// (kernel choice depends on AVX2/AVX-512/VNNI and weight repacking), which the reference
    /// does not record. llama.cpp itself, built here (bench/llama_cpp_reference.py), matches
    /// the reference's continuations for only 3 of 6 generations.
    /// `referenceTokensAreNearTiesWhereverArgmaxDiffers` checks what can be.
    @Test func greedyContinuationsMatchEveryReferenceGeneration() throws {
        let model = try SharedModel.get()
        for record in try TestResources.jsonLines("greedy.jsonl", as: GreedyRecord.self) {
            let label = record.prompt.prefix(30).debugDescription
            #expect(model.encode(record.prompt, addBOS: record.add_bos, parseSpecial: record.parse_special) == record.ids)
            let session = model.makeSession()
            try session.append(record.ids)
            var generator = Generator(session: session, stopTokens: [])
            let generated = try generator.generate(maximumTokens: record.greedy32.count)
            let agreed = zip(generated, record.greedy32).prefix { $0 == $1 }.count
            print("greedy \(label): \(agreed) of \(record.greedy32.count) tokens agree")
            #expect(agreed >= Self.minimumAgreedTokens, "\(label)")
            withKnownIssue("greedy continuations part from llama.cpp's at near-ties", isIntermittent: true) {
                #expect(generated == record.greedy32, "\(label)")
                #expect(model.decode(generated) == record.greedy32_text)
            }
        }
    }

    /// Every continuation agrees at least this far (measured minimum: 9 tokens).
    static let minimumAgreedTokens = 8

    /// Teacher forcing: the reference's own greedy tokens are fed one by one and our argmax is
    /// compared at every step (6 × 32 steps), so one early flip does not hide the rest. Wherever
    /// our argmax differs, llama.cpp's token must be a near-tie for us: within `nearTieGap`.
    @Test func referenceTokensAreNearTiesWhereverArgmaxDiffers() throws {
        let model = try SharedModel.get()
        var steps = 0, differing = 0
        for record in try TestResources.jsonLines("greedy.jsonl", as: GreedyRecord.self) {
            let session = model.makeSession()
            try session.append(record.ids)
            for (step, expected) in record.greedy32.enumerated() {
                let logits = try session.logits()
                let ours = logits.indices.max { logits[$0] < logits[$1] }!
                steps += 1
                if ours != Int(expected) {
                    differing += 1
                    let gap = logits[ours] - logits[Int(expected)]
                    print("teacher-forced \(record.prompt.prefix(30).debugDescription) step \(step): gap \(gap)")
                    #expect(gap <= Self.nearTieGap, "step \(step) of \(record.prompt.prefix(30).debugDescription)")
                }
                try session.append([expected])
            }
        }
        print("teacher-forced argmax agrees at \(steps - differing) of \(steps) steps")
        #expect(differing * 20 <= steps, "argmax differs at \(differing) of \(steps) steps")
    }

    /// Largest gap accepted between our top logit and llama.cpp's chosen token where the two
    /// differ. Measured: at most 0.18 (8 of 192 steps differ, gaps 0.006–0.18), below the
    /// spread that reordering a float sum alone causes (std 0.17, see the greedy test); a real
    /// defect puts the reference token whole units below ours.
    static let nearTieGap: Float = 0.25

    static func floats(_ url: URL) throws -> [Float] {
        let data = try Data(contentsOf: url)
        return data.withUnsafeBytes { raw in
            (0..<data.count / 4).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}
