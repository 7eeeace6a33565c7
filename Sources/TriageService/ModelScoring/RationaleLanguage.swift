import TriageCore

/// The language the model writes its rationale in (`triage.rationale_language`). The prompt's
/// instruction stays in English, the language MedGemma was tuned on; only the rationale's language
/// changes, after the level has been read, so the level never depends on this setting.
public enum RationaleLanguage: String, Sendable, CaseIterable {
    /// English, the language of the rules' explanation.
    case english = "en"
    /// The triage note's language where it is detected, English where it is not.
    case note

    /// The language to ask for with `presentation`.
    public func language(for presentation: ClinicalPresentation) -> NoteLanguage {
        switch self {
        case .english: return .english
        case .note:
            let detected = NoteLanguage.of(presentation)
            return detected == .undetermined ? .english : detected
        }
    }
}
