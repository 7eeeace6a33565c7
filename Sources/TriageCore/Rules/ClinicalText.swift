/// The chief complaint and note, lower-cased and cut into clauses of words, with simple negation:
/// a word is negated when a negation cue ("no", "denies", "without", …) comes shortly before it
/// in the same clause, so "no drooling" does not count as drooling (after NegEx, Chapman et al. 2001).
struct ClinicalText: Sendable {
    struct Clause: Sendable {
        let words: [String]
        /// `negated[i]` is true when a negation cue precedes `words[i]` within `negationWindow` words.
        let negated: [Bool]

        /// True when `phrase` starts at word `start` and that word is not negated.
        func affirms(_ phrase: Phrase, at start: Int) -> Bool {
            !negated[start] && phrase.matches(words, at: start)
        }
    }

    let clauses: [Clause]
    /// Where each word occurs, as (clause, word) indices: a phrase that starts with a plain word is looked for
    /// only there, so the hundreds of concept phrases cost a lookup each rather than a pass over the note.
    private let occurrences: [String: [(clause: Int, word: Int)]]

    /// Words that negate what follows them.
    static let negationCues: Set<String> = [
        "no", "not", "denies", "denied", "denying", "without", "negative", "nor", "never", "absent", "nil",
    ]
    /// Words that end a clause as punctuation does: "no fever but chest pain" affirms chest pain.
    static let clauseBreakers: Set<String> = ["but", "however", "although", "though", "except", "yet"]
    /// How many words after a cue stay negated ("denies chest pain or shortness of breath").
    static let negationWindow = 8
    /// Words that end a negation's scope inside a clause. "Not eating and lethargic" affirms lethargy;
    /// reading "no fever and cough" as affirming cough errs towards more care, the safe side.
    static let negationTerminators: Set<String> = ["and", "with", "now", "then"]

    /// The language the complaint and note are written in; the words above are English either way (a note in a
    /// language with a term table is read through it).
    let language: NoteLanguage

    init(_ presentation: ClinicalPresentation) {
        let language = NoteLanguage.of(presentation)
        self.init(TermTranslation.english(presentation.complaintAndNote, in: language), language: language)
    }

    init(_ text: String, language: NoteLanguage = .english) {
        self.language = language
        var clauses: [Clause] = []
        var words: [String] = []
        var current = ""
        func endWord() {
            if !current.isEmpty { words += ClinicalAbbreviations.expanding(current) }
            current = ""
        }
        func endClause() {
            endWord()
            if !words.isEmpty { clauses.append(Self.clause(words)) }
            words = []
        }
        let characters = Array(ClinicalAbbreviations.expandingSymbols(text.lowercased()))
        for (index, character) in characters.enumerated() {
            if character.isLetter || character.isNumber {
                current.append(character)
            } else if character == ".", Self.isDecimalPoint(at: index, in: characters, after: current) {
                current.append(character)  // "38.4" stays one word, not a clause break
            } else if character == "'" || character == "’" {
                continue  // "patient's" → "patients"
            } else if ".,;:!?\n()".contains(character) {
                endClause()
            } else {
                endWord()
                if let last = words.last, Self.clauseBreakers.contains(last) {
                    words.removeLast()
                    endClause()
                }
            }
        }
        endClause()
        self.clauses = clauses
        var occurrences: [String: [(clause: Int, word: Int)]] = [:]
        for (clauseIndex, clause) in clauses.enumerated() {
            for (wordIndex, word) in clause.words.enumerated() {
                occurrences[word, default: []].append((clauseIndex, wordIndex))
            }
        }
        self.occurrences = occurrences
    }

    private static func isDecimalPoint(at index: Int, in characters: [Character], after word: String) -> Bool {
        guard let last = word.last, last.isNumber, index + 1 < characters.count else { return false }
        return characters[index + 1].isNumber
    }

    private static func clause(_ words: [String]) -> Clause {
        var negated: [Bool] = []
        var wordsSinceCue: Int? = nil
        for word in words {
            negated.append(wordsSinceCue.map { $0 < negationWindow } ?? false)
            if negationCues.contains(word) {
                wordsSinceCue = 0
            } else if negationTerminators.contains(word) {
                wordsSinceCue = nil
            } else if let count = wordsSinceCue {
                wordsSinceCue = count + 1
            }
        }
        return Clause(words: words, negated: negated)
    }

    /// True when any of `patterns` occurs un-negated.
    func contains(anyOf patterns: [String]) -> Bool {
        patterns.contains { contains(Phrase($0)) }
    }

    /// True when `phrase` occurs somewhere and its first word is not negated.
    func contains(_ phrase: Phrase) -> Bool {
        if case .word(let first)? = phrase.tokens.first {
            return occurrences[first, default: []].contains { clauses[$0.clause].affirms(phrase, at: $0.word) }
        }
        return clauses.contains { clause in clause.words.indices.contains { clause.affirms(phrase, at: $0) } }
    }
}

/// A short word pattern: `"chest pain"`, `"radiat* to the back"` (`word*` matches a prefix, `*` any one
/// word), `"<many> tablets"` (`<many>` matches a number ≥ 10 or a word for a large quantity).
struct Phrase: Sendable, Hashable, CustomStringConvertible {
    enum Token: Sendable, Hashable {
        case word(String)
        case prefix(String)
        case anyWord
        case manyCount
    }

    let tokens: [Token]
    let description: String

    /// Words meaning "a lot of" tablets or pills.
    static let largeQuantityWords: Set<String> = [
        "handful", "bottle", "packet", "packets", "box", "dozen", "dozens", "ten", "twelve", "fifteen",
        "twenty", "thirty", "forty", "fifty", "hundred", "whole", "entire", "all",
    ]

    init(_ pattern: String) {
        tokens = pattern.split(separator: " ").map { part in
            if part == "*" { return .anyWord }
            if part == "<many>" { return .manyCount }
            if part.hasSuffix("*") { return .prefix(String(part.dropLast())) }
            return .word(String(part))
        }
        description = pattern.replacingOccurrences(of: "*", with: "…")
    }

    func matches(_ words: [String], at start: Int) -> Bool {
        guard start + tokens.count <= words.count else { return false }
        return zip(tokens, words[start...]).allSatisfy { token, word in
            switch token {
            case .word(let expected): word == expected
            case .prefix(let stem): word.hasPrefix(stem)
            case .anyWord: true
            case .manyCount: Self.largeQuantityWords.contains(word) || (Int(word).map { $0 >= 10 } ?? false)
            }
        }
    }
}
