import ComputeThreadTesting
import Foundation
import Testing
import TriageCore

/// The Korean and Spanish versions of literature development cases (`Tests/Fixtures/vignettes/development-ko.jsonl`,
/// `development-es.jsonl`: the same patients, notes written as a triage nurse in Seoul or Madrid would, same expected
/// levels) against their English originals.
@Suite(.onComputeThread) struct MultilingualVignetteTests {
    static let languages = ["ko", "es"]

    /// How much less urgent than its English twin a translated case may be proposed: never for an English ESI 1–2
    /// (the patients triage must not miss); one level at ESI 3–5, where a resource phrase a table lacks can move
    /// a level.
    static func tolerance(english: ESILevel) -> Int { english <= .emergent ? 0 : 1 }

    static func translatedSet(_ language: String) -> URL {
        LiteratureVignetteTests.fixturesURL.appendingPathComponent("development-\(language).jsonl")
    }

    @Test(arguments: languages)
    func neverLessUrgentThanTheEnglishTwin(language: String) throws {
        let english = Dictionary(uniqueKeysWithValues: try LiteratureVignetteTests.cases(
            LiteratureVignetteTests.fixturesURL.appendingPathComponent("development.jsonl")).map { ($0.id, $0) })
        let translated = try LiteratureVignetteTests.cases(Self.translatedSet(language))
        #expect(translated.count >= 60)
        let rules = TriageRules()
        for item in translated {
            let twin = try #require(english[item.id], "\(item.id) has no English original")
            #expect(item.expectedLevel == twin.expectedLevel && item.presentation.vitals == twin.presentation.vitals)
            #expect(NoteLanguage.of(item.presentation).code == language,
                    "\(item.id)")
            let level = rules.assess(item.presentation).result.level
            let englishLevel = rules.assess(twin.presentation).result.level
            #expect(level.rawValue - englishLevel.rawValue <= Self.tolerance(english: englishLevel),
                    "\(item.id) (\(language)): \(level), English \(englishLevel)")
        }
    }

    /// The three languages side by side, as `edtriage eval` reports them (README, "Notes in other languages").
    @Test func reportsEachLanguage() throws {
        let ids = Set(try LiteratureVignetteTests.cases(Self.translatedSet("ko")).map(\.id))
        let english = try LiteratureVignetteTests.cases(
            LiteratureVignetteTests.fixturesURL.appendingPathComponent("development.jsonl")).filter { ids.contains($0.id) }
        let cases = try english + Self.languages.flatMap { try LiteratureVignetteTests.cases(Self.translatedSet($0)) }
        let evaluation = TriageEvaluation(cases: cases)
        print(evaluation.textReport())
        #expect(evaluation.byLanguage.map(\.language) == ["en"] + Self.languages)
        #expect(evaluation.notesNotRead == 0)
    }
}
