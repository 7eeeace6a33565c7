import Foundation
import TriageCore
import TriageStore
import TriageStoreTestSupport

/// Arrivals and scorings built from the real rules, for store tests.
enum Fixtures {
    static func submission(_ externalID: String, source: String = "test-adt", complaint: String = "sprained ankle",
                           vitals: Vitals = Vitals(heartRate: 80, respiratoryRate: 16, systolicBP: 125, spo2: 98,
                                                   temperatureC: 36.8, pain: 4),
                           receivedAt: Date? = nil, images: [ImageSubmission] = []) -> ArrivalSubmission {
        ArrivalSubmission(source: source, externalID: externalID, patientRef: "MRN-\(externalID)",
                          receivedAt: receivedAt,
                          presentation: ClinicalPresentation(age: .years(40), sex: .female, arrivalMode: .walkIn,
                                                             chiefComplaint: complaint, vitals: vitals),
                          images: images)
    }

    /// The rules' draft for a claimed arrival, as the worker would compute it.
    static func draft(for claim: ClaimedArrival) throws -> (ClinicalPresentation, AssessmentDraft) {
        let presentation = try claim.submission().presentation
        let rules = TriageRules().assess(presentation)
        return (presentation, TriagePolicy.rulesPhase(rules, model: nil, inputSHA256: try presentation.canonicalSHA256()))
    }

    static let nurse = AuditContext(actor: "nurse.jones", role: "nurse", requestID: "req-1")

    /// Claims everything ready and completes it with the rules' draft; returns the claims.
    @discardableResult
    static func scoreAll(_ store: PostgresTriageStore) async throws -> [ClaimedArrival] {
        let claims = try await store.claim(limit: 100, lease: .seconds(30), maxAttempts: 3)
        for claim in claims {
            let (presentation, draft) = try draft(for: claim)
            _ = try await store.complete(claim, presentation: presentation, draft: draft)
        }
        return claims
    }

}
