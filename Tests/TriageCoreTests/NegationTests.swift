import ComputeThreadTesting
import Testing
import TriageCore

/// Negated mentions must not fire a rule; affirmed ones must (NegEx-style scope, ends at a clause).
@Suite(.onComputeThread) struct NegationTests {
    static let cases: [(String, String, String, Bool)] = [
        ("sore throat", "No drooling or voice change.", "esi.b.stridor", false),
        ("sore throat", "Drooling and muffled voice.", "esi.b.stridor", true),
        ("cough", "Denies chest pain or shortness of breath.", "esi.b.acs", false),
        ("cough", "Has chest pain on coughing.", "esi.b.acs", true),
        ("back pain", "Without numbness, normal bladder function, no incontinence.", "esi.b.cauda_equina", false),
        ("back pain", "New urinary incontinence since this morning.", "esi.b.cauda_equina", true),
        ("rash", "No swelling of face or lips, no breathing trouble.", "esi.a.text.anaphylaxis_airway", false),
        ("headache", "Not the worst headache, similar to usual.", "esi.b.subarachnoid", false),
        ("fever", "No fever but chest pain since lunch.", "esi.b.acs", true),
        ("collapse", "Not breathing on arrival.", "esi.a.text.apnoea", true),
        ("low mood", "Denies suicidal thoughts.", "esi.b.danger_to_self_or_others", false),
        ("poor feeding", "Not eating and lethargic.", "esi.b.text.altered_mentation", true),
        ("fall", "No head injury, now confused.", "esi.b.text.altered_mentation", true),
        ("fever", "Denies temperature above 38.5 or chest pain.", "esi.b.acs", false),
        // Shorthand is read as the words it stands for, negated as they would be.
        ("cough", "c/o CP since this am.", "esi.b.acs", true),
        ("cough", "Nil CP, nil SOB.", "esi.b.acs", false),
        ("back pain", "Numb around the back passage, h/o disc prolapse.", "esi.b.cauda_equina", true),
    ]

    /// Everyday uses of alarming words must not fire the rule the word suggests.
    static let everydayWords: [(String, String, String)] = [
        ("red eye", "Left eye tearing and itchy.", "esi.b.aortic"),
        ("vomiting", "Violent vomiting since lunch.", "esi.b.danger_to_self_or_others"),
        ("asthma", "Allergies: penicillin. Wheezy since a cold.", "esi.a.text.anaphylaxis_airway"),
        ("finger injury", "Crushed finger in a car door.", "esi.b.trauma_mechanism"),
        ("headache", "Headache for a week, pain behind the eyes.", "esi.b.subarachnoid"),
    ]

    @Test(arguments: everydayWords)
    func everydayWordsDoNotMisfire(complaint: String, note: String, rule: String) {
        #expect(!assess(patient(.years(45), complaint: complaint, note: note)).ruleIDs.contains(rule), "\(note)")
    }

    @Test(arguments: cases)
    func negatedMentionsDoNotFire(complaint: String, note: String, rule: String, fires: Bool) {
        let presentation = patient(.years(45), complaint: complaint, note: note,
                                   vitals: vitals { $0.consciousness = nil; $0.gcs = nil })
        #expect(assess(presentation).ruleIDs.contains(rule) == fires, "\(note)")
    }
}
