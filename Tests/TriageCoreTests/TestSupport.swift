import TriageCore

/// Unremarkable adult vital signs: every rule stays quiet on these.
let calmAdultVitals = Vitals(heartRate: 76, respiratoryRate: 16, systolicBP: 124, diastolicBP: 78, spo2: 98,
                             temperatureC: 36.8, pain: 2, gcs: 15, consciousness: .alert, onOxygen: false)

func patient(_ age: PatientAge = .years(40), complaint: String = "medication refill", note: String = "",
             vitals: Vitals = calmAdultVitals) -> ClinicalPresentation {
    ClinicalPresentation(age: age, sex: .unknown, arrivalMode: .walkIn, chiefComplaint: complaint, note: note,
                         vitals: vitals)
}

func vitals(_ change: (inout Vitals) -> Void, from base: Vitals = calmAdultVitals) -> Vitals {
    var copy = base
    change(&copy)
    return copy
}

func assess(_ presentation: ClinicalPresentation) -> RulesAssessment {
    TriageRules().assess(presentation)
}

extension RulesAssessment {
    var level: ESILevel { result.level }
    var ruleIDs: [String] { result.findings.map(\.rule) }
}
