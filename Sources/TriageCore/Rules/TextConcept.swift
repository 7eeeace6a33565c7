/// One clinical idea recognised in the chief complaint and note, e.g. "possible aortic dissection".
///
/// `allOf` is a conjunction of alternatives: every group needs at least one un-negated phrase.
/// `["pregnan*"], ["bleed*", "pelvic pain"]` reads "pregnant AND (bleeding OR pelvic pain)".
struct TextConcept: Sendable {
    let id: String
    let summary: String
    let source: String
    let allOf: [[Phrase]]
    /// Ages in whole years the concept applies to (e.g. chest pain as possible ACS in adults).
    let ages: ClosedRange<Int>

    init(_ id: String, _ summary: String, source: String, ages: ClosedRange<Int> = 0...Int.max, allOf: [[String]]) {
        self.id = id
        self.summary = summary
        self.source = source
        self.ages = ages
        self.allOf = allOf.map { $0.map(Phrase.init) }
    }

    init(_ id: String, _ summary: String, source: String, ages: ClosedRange<Int> = 0...Int.max, anyOf: [String]) {
        self.init(id, summary, source: source, ages: ages, allOf: [anyOf])
    }

    /// The phrases that matched, one per group, or nil when the concept is absent.
    func match(_ text: ClinicalText, age: PatientAge) -> [Phrase]? {
        guard ages.contains(age.years) else { return nil }
        var matched: [Phrase] = []
        for group in allOf {
            guard let phrase = group.first(where: text.contains) else { return nil }
            matched.append(phrase)
        }
        return matched
    }

    /// "“chest pain” + “radiat…”", the evidence shown in a finding (our pattern words, not the note's).
    static func evidence(_ phrases: [Phrase]) -> String {
        phrases.map { "“\($0.description)”" }.joined(separator: " + ")
    }
}
