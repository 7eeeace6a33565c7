import Foundation

/// Rewrites a note written in a language with a term table into the English words the concept phrases match, so one
/// set of rules reads every language it has a table for. Each table's terms are replaced where they occur, longest
/// first; text no table knows is dropped (Korean) or kept as written (Spanish), where it matches nothing; English
/// shorthand mixed into the note ("CP", "LOC") passes through for the English rules. Clause punctuation is kept, so
/// negation stays inside its clause as in English.
enum TermTranslation {
    /// The text the rules read for `text` in `language`; `text` itself for English and languages without a table.
    static func english(_ text: String, in language: NoteLanguage) -> String {
        switch language {
        case .korean: korean.translate(text)
        case .spanish: spanish.translate(text)
        default: text
        }
    }

    static let korean = HangulReader(terms: KoreanTerms.terms.map { ($0.korean, $0.english) },
                                     negationCues: KoreanTerms.negationCues,
                                     affirmationCues: KoreanTerms.affirmationCues)
    static let spanish = WordReader(terms: SpanishTerms.terms.map { ($0.spanish, $0.english) })

    /// Clause punctuation, as `ClinicalText` cuts clauses.
    static let clauseBreaks: Set<Character> = [".", ",", ";", ":", "!", "?", "\n"]
}

/// Korean: terms are found inside words (particles and endings attach to them: "흉통이", "흉통으로"), and a denial
/// follows what it denies ("흉통 없음", "LOC (-)"). Within a clause, the terms since the last cue are written out
/// as English with "no" before and "then" after each when a negation cue closes them (so the denial reaches no
/// further in English), as they are when an affirmation cue, another clause or the end does.
struct HangulReader: Sendable {
    enum Meaning: Sendable { case english(String), negation, affirmation }

    /// Every term and cue by its first character, longest first.
    private let entries: [Character: [(text: [Character], meaning: Meaning)]]

    init(terms: [(String, String)], negationCues: [String], affirmationCues: [String]) {
        var entries: [Character: [(text: [Character], meaning: Meaning)]] = [:]
        let all = terms.map { ($0.0, Meaning.english($0.1)) } + negationCues.map { ($0, .negation) }
            + affirmationCues.map { ($0, .affirmation) }
        for (text, meaning) in all {
            let characters = Array(text.lowercased())
            guard let first = characters.first else { continue }
            entries[first, default: []].append((characters, meaning))
        }
        self.entries = entries.mapValues { $0.sorted { $0.text.count > $1.text.count } }
    }

    func translate(_ text: String) -> String {
        let characters = Array(text.lowercased())
        var output: [String] = []
        var pending: [String] = []
        var asciiWord = ""
        func endWord() {
            if !asciiWord.isEmpty { pending.append(asciiWord) }
            asciiWord = ""
        }
        func close(negated: Bool) {
            endWord()
            output += pending.map { negated ? "no \($0) then" : $0 }
            pending = []
        }
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if let (length, meaning) = longestEntry(at: index, in: characters) {
                switch meaning {
                case .english(let words):
                    endWord()
                    pending.append(words)
                case .negation: close(negated: true)
                case .affirmation: close(negated: false)
                }
                index += length
                continue
            }
            let decimalPoint = character == "." && asciiWord.last?.isNumber == true
                && characters.indices.contains(index + 1) && characters[index + 1].isNumber
            if TermTranslation.clauseBreaks.contains(character) && !decimalPoint {
                close(negated: false)
                output.append(String(character))
            } else if decimalPoint || character.isASCII && (character.isLetter || character.isNumber || character == "/") {
                asciiWord.append(character)
            } else {
                endWord()
            }
            index += 1
        }
        close(negated: false)
        return output.joined(separator: " ")
    }

    private func longestEntry(at index: Int, in characters: [Character]) -> (Int, Meaning)? {
        guard let candidates = entries[characters[index]] else { return nil }
        for candidate in candidates where index + candidate.text.count <= characters.count {
            if characters[index..<(index + candidate.text.count)].elementsEqual(candidate.text) {
                return (candidate.text.count, candidate.meaning)
            }
        }
        return nil
    }
}

/// Languages written in words the rules can cut as English (Spanish): lower-cased and without accents, each term
/// (one or more words; `word*` matches a prefix) is replaced by its English words, longest first; other words stay.
struct WordReader: Sendable {
    private struct Term: Sendable {
        let words: [String]
        let english: String

        func matches(_ candidate: ArraySlice<String>) -> Bool {
            candidate.count >= words.count && zip(words, candidate).allSatisfy { pattern, word in
                pattern.hasSuffix("*") ? word.hasPrefix(pattern.dropLast()) : word == pattern
            }
        }
    }

    /// Terms by their first word's first character, longest first.
    private let terms: [Character: [Term]]

    init(terms: [(String, String)]) {
        var byFirst: [Character: [Term]] = [:]
        for (text, english) in terms {
            let words = FoldedText.folding(text).split(separator: " ").map(String.init)
            guard let first = words.first?.first else { continue }
            byFirst[first, default: []].append(Term(words: words, english: english))
        }
        self.terms = byFirst.mapValues { $0.sorted { $0.words.count > $1.words.count } }
    }

    func translate(_ text: String) -> String {
        var output: [String] = []
        for clause in FoldedText.clauses(text) {
            let words = clause.words
            var index = 0
            while index < words.count {
                if let term = terms[words[index].first ?? " "]?.first(where: { $0.matches(words[index...]) }) {
                    output.append(term.english)
                    index += term.words.count
                } else {
                    output.append(words[index])
                    index += 1
                }
            }
            output.append(clause.end)
        }
        return output.joined(separator: " ")
    }
}

/// Text lower-cased and without diacritics ("Torácico" → "toracico", "ñ" → "n"), cut into clauses of words.
enum FoldedText {
    static func folding(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).lowercased()
    }

    /// Words (letters, digits, "/" and a decimal point between digits) up to each clause break.
    static func clauses(_ text: String) -> [(words: [String], end: String)] {
        var clauses: [(words: [String], end: String)] = []
        var words: [String] = []
        var word = ""
        let characters = Array(folding(text))
        for (index, character) in characters.enumerated() {
            let between = index > 0 && index + 1 < characters.count
            if character.isLetter || character.isNumber || character == "/"
                || (character == "." && between && characters[index - 1].isNumber && characters[index + 1].isNumber) {
                word.append(character)
                continue
            }
            if !word.isEmpty { words.append(word) }
            word = ""
            if TermTranslation.clauseBreaks.contains(character) {
                clauses.append((words, String(character)))
                words = []
            }
        }
        if !word.isEmpty { words.append(word) }
        clauses.append((words, ""))
        return clauses
    }
}
