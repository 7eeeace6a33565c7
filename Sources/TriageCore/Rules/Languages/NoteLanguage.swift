/// The language a triage note is written in, as far as the rules need to know it: which one, and whether the
/// rules have a term table to read it with.
///
/// Detection is by script first (Unicode script of the letters: Hangul, kana, Han, Cyrillic, Arabic, …), then, for
/// Latin-script text, by counting each language's commonest short words and its own letters — the short-word method
/// of Grefenstette ("Comparing two language identification schemes", JADT 1995), which is reliable on a sentence or
/// two. No maintained Swift package does this on Linux (Apple's NaturalLanguage framework is not on Linux), and
/// triage needs only a handful of languages told apart, so it is a small table here.
public struct NoteLanguage: Sendable, Hashable, Codable, CustomStringConvertible {
    /// BCP 47 code, e.g. `ko`; `und` when the text has too few letters to tell.
    public let code: String
    /// English name shown to the nurse, e.g. "Korean".
    public let name: String

    public var description: String { name }

    public static let english = NoteLanguage(code: "en", name: "English")
    public static let korean = NoteLanguage(code: "ko", name: "Korean")
    public static let spanish = NoteLanguage(code: "es", name: "Spanish")
    public static let undetermined = NoteLanguage(code: "und", name: "an undetermined language")

    /// The languages the rules read: English natively, the others through their term tables.
    public static let read: Set<NoteLanguage> = [.english, .korean, .spanish, .undetermined]

    /// Whether the rules read notes in this language.
    public var isRead: Bool { Self.read.contains(self) }

    /// The language of the presentation's complaint and note, taken together as the rules read them.
    public static func of(_ presentation: ClinicalPresentation) -> NoteLanguage {
        detect(presentation.complaintAndNote)
    }

    /// The language of `text`.
    public static func detect(_ text: String) -> NoteLanguage {
        // Letters weighted by what they carry: a Hangul syllable, a Han character or a kana about three Latin letters.
        var letters = 0
        var byScript: [Script: Int] = [:]
        for scalar in text.unicodeScalars where scalar.properties.isAlphabetic {
            let script = Script(scalar)
            let weight = script?.isSyllabic == true ? 3 : 1
            letters += weight
            if let script { byScript[script, default: 0] += weight }
        }
        guard letters >= 3 else { return .undetermined }
        // A Korean chart mixes in English shorthand ("CP", "LOC (-)"): a fifth of the letters in Hangul is Korean.
        if let (script, count) = byScript.max(by: { $0.value < $1.value }), count * 5 >= letters {
            return script == .han && (byScript[.kana] ?? 0) > 0 ? Script.kana.language : script.language
        }
        return latinLanguage(text)
    }

    /// Scripts that name their language (or the one triage most likely meets in it).
    enum Script: Hashable {
        case hangul, kana, han, cyrillic, arabic, hebrew, greek, devanagari, thai

        init?(_ scalar: Unicode.Scalar) {
            switch scalar.value {
            case 0x1100...0x11FF, 0x3130...0x318F, 0xAC00...0xD7AF: self = .hangul
            case 0x3040...0x30FF: self = .kana
            case 0x4E00...0x9FFF, 0x3400...0x4DBF: self = .han
            case 0x0400...0x04FF: self = .cyrillic
            case 0x0600...0x06FF, 0x0750...0x077F: self = .arabic
            case 0x0590...0x05FF: self = .hebrew
            case 0x0370...0x03FF: self = .greek
            case 0x0900...0x097F: self = .devanagari
            case 0x0E00...0x0E7F: self = .thai
            default: return nil
            }
        }

        var isSyllabic: Bool { self == .hangul || self == .kana || self == .han }

        var language: NoteLanguage {
            switch self {
            case .hangul: .korean
            case .kana: NoteLanguage(code: "ja", name: "Japanese")
            case .han: NoteLanguage(code: "zh", name: "Chinese")
            case .cyrillic: NoteLanguage(code: "ru", name: "Russian (Cyrillic script)")
            case .arabic: NoteLanguage(code: "ar", name: "Arabic (Arabic script)")
            case .hebrew: NoteLanguage(code: "he", name: "Hebrew")
            case .greek: NoteLanguage(code: "el", name: "Greek")
            case .devanagari: NoteLanguage(code: "hi", name: "Hindi (Devanagari script)")
            case .thai: NoteLanguage(code: "th", name: "Thai")
            }
        }
    }

    /// A Latin-script language's evidence: its commonest short words (function words and the words of a triage
    /// note) and the letters only it uses among these. Lists from each language's most frequent words.
    struct LatinProfile: Sendable {
        let language: NoteLanguage
        let words: Set<String>
        /// Letters only this language uses among these.
        let letters: Set<Character>
        /// Accented letters it shares with some of the others but not with English: half the weight.
        var accents: Set<Character> = []
    }

    static let latinProfiles: [LatinProfile] = [
        LatinProfile(language: .english, words: [
            "the", "and", "of", "with", "for", "to", "in", "on", "at", "from", "was", "is", "has", "had", "no", "not",
            "denies", "pain", "since", "ago", "hours", "days", "left", "right", "after", "but", "he", "she", "his",
            "her", "patient", "states", "reports", "history", "fall", "fell", "today", "this", "morning", "yesterday",
        ], letters: []),
        LatinProfile(language: .spanish, words: [
            "el", "la", "los", "las", "de", "del", "que", "en", "con", "sin", "por", "para", "una", "un", "al",
            "desde", "hace", "tras", "refiere", "niega", "dolor", "horas", "dias", "evolucion", "paciente", "izquierdo",
            "izquierda", "derecho", "derecha", "presenta", "acude", "cuadro", "episodio", "fiebre", "caida", "ayer",
            "hoy", "esta", "se", "le", "lo", "su", "muy", "hora",
        ], letters: ["ñ", "¿", "¡"], accents: ["á", "é", "í", "ó", "ú"]),
        LatinProfile(language: NoteLanguage(code: "pt", name: "Portuguese"), words: [
            "os", "da", "do", "das", "dos", "em", "com", "sem", "para", "uma", "um", "nao", "dor", "desde",
            "paciente", "refere", "nega", "horas", "dias", "esquerdo", "esquerda", "direito", "direita", "queda",
            "febre", "ontem", "hoje",
        ], letters: ["ã", "õ", "ç"]),
        LatinProfile(language: NoteLanguage(code: "fr", name: "French"), words: [
            "le", "la", "les", "des", "du", "de", "et", "avec", "sans", "pour", "une", "un", "au", "aux", "depuis",
            "douleur", "heures", "jours", "patient", "patiente", "gauche", "droite", "chute", "fievre", "hier",
            "aujourdhui", "nie", "pas", "est", "il", "elle",
        ], letters: ["è", "ê", "à", "ç", "œ"]),
        LatinProfile(language: NoteLanguage(code: "de", name: "German"), words: [
            "der", "die", "das", "und", "mit", "ohne", "seit", "nach", "ein", "eine", "ist", "nicht", "kein", "keine",
            "schmerz", "schmerzen", "stunden", "tagen", "links", "rechts", "sturz", "fieber", "gestern", "heute",
            "patient", "patientin", "verneint",
        ], letters: ["ä", "ö", "ü", "ß"]),
        LatinProfile(language: NoteLanguage(code: "it", name: "Italian"), words: [
            "il", "lo", "gli", "della", "dello", "degli", "con", "senza", "per", "una", "uno", "da", "dolore",
            "ore", "giorni", "paziente", "sinistro", "sinistra", "destro", "destra", "caduta", "febbre", "ieri",
            "oggi", "nega", "riferisce", "non",
        ], letters: ["ò", "ì", "ù"]),
        LatinProfile(language: NoteLanguage(code: "vi", name: "Vietnamese"), words: [
            "va", "cua", "khong", "benh", "nhan", "dau", "ngay", "gio", "sot",
        ], letters: ["đ", "ơ", "ư", "ạ", "ả", "ấ", "ầ", "ậ", "ắ", "ặ", "ẹ", "ẻ", "ế", "ề", "ệ", "ị", "ọ", "ỏ", "ố",
                     "ồ", "ộ", "ớ", "ờ", "ợ", "ụ", "ủ", "ứ", "ừ", "ự"]),
    ]

    /// The profile with the most evidence, if it has at least two pieces; else English (what the rules read
    /// natively, and the language of most shorthand). Words of one letter are no evidence: in shorthand they are
    /// halves of "c/o", "y/o", "w/o".
    static func latinLanguage(_ text: String) -> NoteLanguage {
        let lowered = text.lowercased()
        let words = lowered.split { !$0.isLetter }.filter { $0.count > 1 }.map { FoldedText.folding(String($0)) }
        var best = (language: NoteLanguage.english, score: 0)
        for profile in latinProfiles {
            let score = words.filter(profile.words.contains).count
                + 2 * lowered.filter(profile.letters.contains).count
                + lowered.filter(profile.accents.contains).count
            if score > best.score { best = (profile.language, score) }
        }
        return best.score >= 2 ? best.language : .english
    }
}

extension ClinicalPresentation {
    /// The chief complaint and the note as one text: what the rules read and what its language is detected from.
    var complaintAndNote: String { chiefComplaint + ". " + note }
}
