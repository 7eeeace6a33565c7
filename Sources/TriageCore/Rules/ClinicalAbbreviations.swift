/// The shorthand of triage notes, spelled out before the rules read them, so that one concept table serves
/// "SOB", "short of breath" and "nil SOB" alike. The abbreviations are the common ones of UK and US
/// emergency nursing; ambiguous ones ("PE": pulmonary embolism or physical education, "OD": overdose or
/// once daily) are left as written rather than guessed.
enum ClinicalAbbreviations {
    /// Shorthand with symbols, replaced in the lower-cased text before it is cut into words.
    static let symbols: [(shorthand: String, meaning: String)] = [
        ("n/v", " nausea and vomiting "), ("n&v", " nausea and vomiting "), ("d&v", " diarrhoea and vomiting "),
        ("d/v", " diarrhoea and vomiting "), ("c/o", " complains of "), ("h/o", " history of "),
        ("h/a", " headache "), ("?#", " possible fracture "), ("+ve", " positive "),
        ("w/o", " without "), ("w/", " with "), ("&", " and "),
    ]

    /// Single-word shorthand and frequent misspellings, each replaced by the words it stands for.
    static let words: [String: [String]] = [
        "sob": ["short", "of", "breath"], "cp": ["chest", "pain"], "loc": ["loss", "of", "consciousness"],
        "foosh": ["fall", "on", "outstretched", "hand"], "lac": ["laceration"], "lacs": ["lacerations"],
        "abdo": ["abdominal"], "rlq": ["right", "lower", "quadrant"], "ruq": ["right", "upper", "quadrant"],
        "llq": ["left", "lower", "quadrant"], "luq": ["left", "upper", "quadrant"],
        "rif": ["right", "iliac", "fossa"], "lif": ["left", "iliac", "fossa"],
        "rtc": ["road", "traffic", "collision"], "rta": ["road", "traffic", "collision"],
        "mvc": ["motor", "vehicle", "collision"], "mva": ["motor", "vehicle", "collision"],
        "dm": ["diabetes"], "dm1": ["type", "1", "diabetes"], "dm2": ["type", "2", "diabetes"],
        "t1dm": ["type", "1", "diabetes"], "t2dm": ["type", "2", "diabetes"], "iddm": ["diabetes"],
        "niddm": ["diabetes"], "htn": ["hypertension"], "af": ["atrial", "fibrillation"],
        "mi": ["myocardial", "infarction"], "cva": ["stroke"], "ams": ["altered", "mental", "status"],
        "pv": ["vaginal"], "pr": ["rectal"], "lscs": ["caesarean", "section"], "sats": ["saturation"],
        "abd": ["abdominal"], "doe": ["dyspnoea", "on", "exertion"],
        "soboe": ["short", "of", "breath", "on", "exertion"],
        // Suicidal and homicidal ideation, as in "denies SI/HI" (Columbia scale wording, Posner et al. 2011).
        "si": ["suicidal", "ideation"], "hi": ["homicidal", "ideation"],
        "vomitting": ["vomiting"], "vomitted": ["vomited"], "diarhoea": ["diarrhoea"],
        "diarrea": ["diarrhoea"], "diarhea": ["diarrhoea"], "recesion": ["recession"], "breathles": ["breathless"],
    ]

    /// `text` with the symbol shorthand spelled out. "#" is a fracture ("# wrist", "#NOF") unless a number
    /// follows it ("bay #4").
    static func expandingSymbols(_ text: String) -> String {
        symbols.reduce(text) { $0.replacingOccurrences(of: $1.shorthand, with: $1.meaning) }
            .replacing(/#(?!\s*\d)/, with: " fracture ")
    }

    /// The words `word` stands for (itself when it is no shorthand).
    static func expanding(_ word: String) -> [String] {
        words[word] ?? [word]
    }
}
