/// Agreement between proposed and expected ESI levels over a case set.
///
/// Under-triage (proposed less urgent than expected) is reported apart from over-triage because it is the
/// dangerous error; so are the sensitivity for ESI 1–2 and under-triage per age band, the figures triage
/// quality is judged by (Sax et al., JAMA Netw Open 2023: 3.3 % under-triage by nurses).
public struct TriageEvaluation: Codable, Sendable, Hashable {
    public struct Row: Codable, Sendable, Hashable {
        public var id: String
        public var expected: ESILevel
        public var proposed: ESILevel
        public var ageBand: EvaluationAgeBand
        /// The note's language (BCP 47 code) and whether the rules read it.
        public var language: String
        public var noteRead: Bool

        public init(id: String, expected: ESILevel, proposed: ESILevel, ageBand: EvaluationAgeBand,
                    language: NoteLanguage = .english) {
            self.id = id
            self.expected = expected
            self.proposed = proposed
            self.ageBand = ageBand
            self.language = language.code
            noteRead = language.isRead
        }

        /// `proposed` for `case`.
        public init(_ case: VignetteCase, proposed: ESILevel) {
            let presentation = `case`.presentation
            self.init(id: `case`.id, expected: `case`.expectedLevel, proposed: proposed,
                      ageBand: EvaluationAgeBand(presentation.age),
                      language: NoteLanguage.of(presentation))
        }

        private enum CodingKeys: String, CodingKey {
            case id, expected, proposed, language
            case ageBand = "age_band"
            case noteRead = "note_read"
        }

        /// "exact", "under" or "over".
        public var outcome: String {
            if proposed == expected { return "exact" }
            return proposed.isMoreUrgent(than: expected) ? "over" : "under"
        }
    }

    /// Under-triage within one age band.
    public struct BandRate: Codable, Sendable, Hashable {
        public var band: EvaluationAgeBand
        public var cases: Int
        public var underTriaged: Int
        public var rate: Double

        private enum CodingKeys: String, CodingKey {
            case band, cases, rate
            case underTriaged = "under_triaged"
        }
    }

    /// The headline figures of the cases whose notes are in one language.
    public struct LanguageRates: Codable, Sendable, Hashable {
        public var language: String
        public var cases: Int
        public var accuracy: Double
        public var underTriageRate: Double
        public var highAcuitySensitivity: Double?

        private enum CodingKeys: String, CodingKey {
            case language, cases, accuracy
            case underTriageRate = "under_triage_rate"
            case highAcuitySensitivity = "esi_1_2_sensitivity"
        }
    }

    public var count: Int
    public var accuracy: Double
    public var underTriageRate: Double
    public var overTriageRate: Double
    /// Of the cases expected at ESI 1–2, the share proposed at ESI 1–2; nil without such cases.
    public var highAcuitySensitivity: Double?
    /// Cases whose note is in a language the rules do not read (scored on vital signs and any English alone).
    public var notesNotRead: Int
    /// Per note language, in order of first appearance.
    public var byLanguage: [LanguageRates]
    /// Every age band, in order, including empty ones.
    public var underTriageByAgeBand: [BandRate]
    /// `confusionMatrix[expected - 1][proposed - 1]` counts cases.
    public var confusionMatrix: [[Int]]
    /// Under-triaged cases first, then the others, each in the order given.
    public var rows: [Row]

    public init(rows: [Row]) {
        self.rows = rows.filter { $0.outcome == "under" } + rows.filter { $0.outcome != "under" }
        count = rows.count
        var matrix = Array(repeating: Array(repeating: 0, count: 5), count: 5)
        for row in rows { matrix[row.expected.rawValue - 1][row.proposed.rawValue - 1] += 1 }
        confusionMatrix = matrix
        accuracy = Self.rate(of: "exact", in: rows)
        underTriageRate = Self.rate(of: "under", in: rows)
        overTriageRate = Self.rate(of: "over", in: rows)
        highAcuitySensitivity = Self.highAcuitySensitivity(rows)
        notesNotRead = rows.filter { !$0.noteRead }.count
        var languages: [String] = []
        for row in rows where !languages.contains(row.language) { languages.append(row.language) }
        byLanguage = languages.map { language in
            let inLanguage = rows.filter { $0.language == language }
            return LanguageRates(language: language, cases: inLanguage.count,
                                 accuracy: Self.rate(of: "exact", in: inLanguage),
                                 underTriageRate: Self.rate(of: "under", in: inLanguage),
                                 highAcuitySensitivity: Self.highAcuitySensitivity(inLanguage))
        }
        underTriageByAgeBand = EvaluationAgeBand.allCases.map { band in
            let inBand = rows.filter { $0.ageBand == band }
            let under = inBand.filter { $0.outcome == "under" }.count
            return BandRate(band: band, cases: inBand.count, underTriaged: under,
                            rate: inBand.isEmpty ? 0 : Double(under) / Double(inBand.count))
        }
    }

    static func rate(of outcome: String, in rows: [Row]) -> Double {
        rows.isEmpty ? 0 : Double(rows.filter { $0.outcome == outcome }.count) / Double(rows.count)
    }

    static func highAcuitySensitivity(_ rows: [Row]) -> Double? {
        let highAcuity = rows.filter { $0.expected <= .emergent }
        return highAcuity.isEmpty ? nil
            : Double(highAcuity.filter { $0.proposed <= .emergent }.count) / Double(highAcuity.count)
    }

    /// Runs the rules over `cases`.
    public init(cases: [VignetteCase], rules: TriageRules = TriageRules()) {
        self.init(rows: cases.map { Row($0, proposed: rules.assess($0.presentation).result.level) })
    }

    private enum CodingKeys: String, CodingKey {
        case count, accuracy, rows
        case underTriageRate = "under_triage_rate"
        case overTriageRate = "over_triage_rate"
        case highAcuitySensitivity = "esi_1_2_sensitivity"
        case underTriageByAgeBand = "under_triage_by_age_band"
        case confusionMatrix = "confusion_matrix"
        case notesNotRead = "notes_not_read"
        case byLanguage = "by_language"
    }

    /// The safety figures in one line: ESI 1–2 sensitivity and under-triage per age band.
    public var safetySummary: String {
        let sensitivity = highAcuitySensitivity.map(Self.percent) ?? "n/a"
        let bands = underTriageByAgeBand.map { "\($0.band.rawValue) \($0.underTriaged)/\($0.cases)" }
        return "ESI 1–2 sensitivity \(sensitivity)   under-triage by age: " + bands.joined(separator: ", ")
    }

    /// Summary, confusion matrix and per-case rows (under-triage first) as an aligned plain-text table.
    public func textReport() -> String {
        var lines = [
            "cases \(count)   accuracy \(Self.percent(accuracy))   under-triage \(Self.percent(underTriageRate))"
                + "   over-triage \(Self.percent(overTriageRate))",
            safetySummary,
            "notes not read by the rules (no term table for their language): \(notesNotRead)",
        ]
        if byLanguage.count > 1 {
            lines += ["", "language  cases  accuracy  under-triage  ESI 1–2 sensitivity"]
            for rates in byLanguage {
                lines.append(Self.pad(rates.language, 8) + Self.pad("\(rates.cases)", 7, left: true)
                             + Self.pad(Self.percent(rates.accuracy), 10, left: true)
                             + Self.pad(Self.percent(rates.underTriageRate), 14, left: true)
                             + Self.pad(rates.highAcuitySensitivity.map(Self.percent) ?? "n/a", 21, left: true))
            }
        }
        lines += ["", "expected \\ proposed   ESI 1  ESI 2  ESI 3  ESI 4  ESI 5"]
        for (index, counts) in confusionMatrix.enumerated() {
            lines.append(Self.pad("ESI \(index + 1)", 20) + counts.map { Self.pad("\($0)", 7, left: true) }.joined())
        }
        let idWidth = max(4, rows.map(\.id.count).max() ?? 0)
        lines += ["", Self.pad("case", idWidth) + "  language  expected  proposed  outcome"]
        for row in rows {
            lines.append(Self.pad(row.id, idWidth) + "  " + Self.pad(row.language + (row.noteRead ? "" : " (not read)"), 8)
                         + "  " + Self.pad("\(row.expected)", 8) + "  " + Self.pad("\(row.proposed)", 8) + "  "
                         + row.outcome)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func percent(_ rate: Double) -> String {
        let tenths = (rate * 1000).rounded() / 10
        return "\(tenths)%"
    }

    static func pad(_ text: String, _ width: Int, left: Bool = false) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return left ? padding + text : text + padding
    }
}

/// Age bands for reporting under-triage: infants, children, adults, older adults.
public enum EvaluationAgeBand: String, Codable, Sendable, CaseIterable {
    case infant = "<1 y"
    case child = "1–17 y"
    case adult = "18–64 y"
    case older = "≥65 y"

    public init(_ age: PatientAge) {
        switch age.days {
        case ..<PatientAge.years(1).days: self = .infant
        case ..<PatientAge.years(18).days: self = .child
        case ..<PatientAge.years(65).days: self = .adult
        default: self = .older
        }
    }
}
