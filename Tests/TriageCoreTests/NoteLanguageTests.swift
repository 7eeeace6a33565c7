import ComputeThreadTesting
import Foundation
import Testing
import TriageCore

/// Notes that are not in English: the language is detected, a Korean or Spanish note is read through its term
/// table as its English twin is, and a note in any other language is flagged, never silently ignored.
@Suite(.onComputeThread) struct NoteLanguageTests {
    @Test(arguments: [
        ("chest pain", "en"),
        ("Crushing substernal chest pain radiating to the left arm for 40 minutes, sweaty", "en"),
        ("흉통", "ko"),
        ("30분 전부터 쥐어짜는 듯한 흉통, 식은땀, 왼팔로 방사됨", "ko"),
        ("CP c/o, LOC (-), 흉통 (+) Lt. arm으로 radiation", "ko"),
        ("Dolor torácico", "es"),
        ("Dolor torácico opresivo con sudoración, irradiado a MSI, de 30 min de evolución", "es"),
        ("Douleur thoracique depuis deux heures avec sueurs", "fr"),
        ("Dor no peito há duas horas, nega febre", "pt"),
        ("Brustschmerzen seit zwei Stunden, kein Fieber", "de"),
        ("Боль в груди два часа", "ru"),
        ("胸痛两小时，出汗", "zh"),
        ("胸の痛みが2時間続いている", "ja"),
        ("ألم في الصدر منذ ساعتين", "ar"),
        ("Đau ngực hai giờ, vã mồ hôi", "vi"),
        ("..", "und"),
    ])
    func detectsTheLanguage(text: String, code: String) {
        #expect(NoteLanguage.detect(text).code == code)
    }

    /// No English case of any vignette set is taken for another language (which would warn the nurse for nothing).
    @Test func everyEnglishVignetteIsEnglish() throws {
        for set in LiteratureVignetteTests.allSets {
            for item in try LiteratureVignetteTests.cases(set) {
                let language = NoteLanguage.of(item.presentation)
                #expect(language.isRead, "\(item.id): \(language)")
                #expect(!TriageRules().assess(item.presentation).result.findings.contains {
                    $0.rule == "note.language_not_read"
                }, "\(item.id)")
            }
        }
    }

    static func presentation(_ complaint: String, _ note: String) -> ClinicalPresentation {
        ClinicalPresentation(age: .years(58), sex: .male, arrivalMode: .walkIn, chiefComplaint: complaint, note: note,
                             vitals: Vitals(heartRate: 84, respiratoryRate: 16, systolicBP: 138, diastolicBP: 84,
                                            spo2: 98, temperatureC: 36.7, pain: 6, gcs: 15, consciousness: .alert))
    }

    /// The 58-year-old of the issue, normal vital signs: the same ESI 2 for possible ACS in all three languages.
    @Test(arguments: [
        ("chest pain", "Squeezing chest pain for 30 minutes, cold sweat, radiating to the left arm."),
        ("흉통", "30분 전부터 쥐어짜는 듯한 흉통, 식은땀, 왼팔로 방사됨"),
        ("dolor torácico", "Dolor torácico opresivo de 30 min de evolución con sudoración, irradiado a brazo izquierdo."),
    ])
    func chestPainIsHighRiskInEveryLanguage(complaint: String, note: String) {
        let result = TriageRules().assess(Self.presentation(complaint, note)).result
        #expect(result.level == .emergent)
        #expect(result.findings.contains { $0.rule == "esi.b.acs" }, "\(result.findings.map(\.summary))")
        #expect(!result.findings.contains { $0.rule == "note.language_not_read" })
    }

    /// A denial is read per language: after the term in Korean, before it in Spanish.
    @Test(arguments: [
        ("복통", "흉통 없음, 호흡곤란 없음"),
        ("복통", "흉통은 부인함"),
        ("dolor abdominal", "Niega dolor torácico. Sin disnea."),
    ])
    func deniedChestPainIsNotHighRisk(complaint: String, note: String) {
        let findings = TriageRules().assess(Self.presentation(complaint, note)).result.findings
        #expect(!findings.contains { $0.rule == "esi.b.acs" }, "\(findings.map(\.summary))")
    }

    /// In Korean a denial reaches back only to the terms since the last cue: "no chest pain, but short of breath".
    @Test func aKoreanDenialDoesNotReachPastAnAffirmation() {
        let denied = TriageRules().assess(Self.presentation("복통", "흉통 없음, 호흡곤란 있음")).result
        let affirmed = TriageRules().assess(Self.presentation("호흡곤란", "호흡곤란 있고 흉통 있음")).result
        #expect(!denied.findings.contains { $0.rule == "esi.b.acs" })
        #expect(affirmed.findings.contains { $0.rule == "esi.b.acs" })
    }

    /// A note in a language without a term table: the first finding says it was not read, and so does the
    /// explanation; the vital signs still decide.
    @Test func aNoteInAnotherLanguageIsFlaggedFirst() {
        let result = TriageRules().assess(Self.presentation(
            "douleur thoracique", "Douleur thoracique depuis deux heures avec sueurs et nausées.")).result
        #expect(result.findings.first?.rule == "note.language_not_read")
        #expect(result.findings.first?.summary == "Triage note in French was not read by the rules: check it")
        #expect(result.explanation.contains("Triage note in French was not read by the rules: check it."))
    }
}
