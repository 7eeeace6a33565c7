import Foundation
import Testing
import TriageStore
@testable import TriageService

/// The ED board page in a real browser (headless Chromium) against the running service over loopback.
///
/// Each step loads `/board#token=…` in a fresh browser profile, lets the page poll, and reads its DOM:
/// an arrival posted to the API shows up as a row, a confirm shows on the row and in the history, and a
/// dashboard token gets the board without any action buttons. Screenshots go to `.local/screenshots/`.
@Suite(.serialized) struct BoardBrowserTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let screenshots = repository.appendingPathComponent(".local/screenshots")

    @Test func rowsAppearDecisionsShowAndDashboardIsReadOnly() async throws {
        let chromium = try HeadlessChromium.find()
        try await LiveService.run { service in
            let nurse = try await service.token(.nurse, actor: "rn-board")
            let dashboard = try await service.token(.dashboard, actor: "wall-screen")
            func page(_ token: String, _ extra: String = "") -> URL {
                URL(string: "\(service.base)/board#wait=0&token=\(token)\(extra)")!
            }

            let empty = try await chromium.dom(of: page(nurse))
            #expect(empty.contains("rn-board · nurse"), "the page signed in with the token from the fragment")
            #expect(!empty.contains("data-arrival-id"))
            #expect(empty.contains(#"<p id="empty">No patients on the board.</p>"#))

            let posted = try await service.send("POST", "v1/arrivals", token: nurse, json: Arrivals.chestPain())
            #expect(posted.status == 202)
            let row = try await boardRow(service, token: nurse)

            let arrived = try await chromium.dom(of: page(nurse, "&patient=\(row.arrivalID)"))
            #expect(arrived.contains(#"data-arrival-id="\#(row.arrivalID)" data-state="awaiting_confirmation""#))
            #expect(arrived.contains("chest pain"))
            #expect(arrived.contains(#"class="badge esi-\#(row.effectiveLevel.rawValue)""#))
            #expect(arrived.contains("Awaiting confirmation"))
            #expect(arrived.contains(#"data-action="confirm""#), "a nurse gets the decision buttons")
            #expect(arrived.contains("No decisions yet."), "the detail panel loaded the assessment")

            let confirmed = try await service.send("POST", "v1/assessments/\(row.assessmentID)/confirm", token: nurse,
                                                   headers: ["If-Match": "\"\(row.version)\""])
            #expect(confirmed.status == 200)
            let afterConfirm = try await chromium.dom(of: page(nurse, "&patient=\(row.arrivalID)"))
            #expect(afterConfirm.contains(#"data-arrival-id="\#(row.arrivalID)" data-state="confirmed""#))
            #expect(afterConfirm.contains("by rn-board (nurse)"))
            #expect(afterConfirm.contains("· confirm"), "the decision history lists the confirm")
            try await chromium.screenshot(of: page(nurse, "&patient=\(row.arrivalID)"),
                                          to: Self.screenshots.appendingPathComponent("board-desk-1280.png"),
                                          width: 1280, height: 800)

            // The sample arrivals: the wall screen shows them in the API's order, read-only.
            let samples = try String(contentsOf: Self.repository.appendingPathComponent("samples/arrivals.ndjson"),
                                     encoding: .utf8).split(separator: "\n").filter { !$0.isEmpty }
            for sample in samples {
                #expect(try await service.send("POST", "v1/arrivals", token: nurse, json: String(sample)).status == 202)
            }
            let rows = try await boardRows(service, token: nurse, count: samples.count + 1)
            let readOnly = try await chromium.dom(of: page(dashboard, "&patient=\(row.arrivalID)"))
            #expect(renderedArrivalIDs(readOnly) == rows.map(\.arrivalID), "rows keep the API's order")
            #expect(readOnly.contains("(read-only)"))
            #expect(!readOnly.contains("data-action="), "a dashboard token shows no action buttons")
            #expect(readOnly.contains("class=\"wall-view\""), "a wall screen hides the findings column its rows leave empty")
            // ESI 1 is reassessed continuously (interval 0), so the sample's ESI 1 patient is overdue at once.
            let overdue = rows.filter { $0.reassessmentDue <= Date() }
            #expect(!overdue.isEmpty && overdue.count < rows.count)
            #expect(readOnly.components(separatedBy: "Reassess overdue").count - 1 == overdue.count)
            try await chromium.screenshot(of: page(dashboard), to: Self.screenshots.appendingPathComponent("board-wall-1920.png"),
                                          width: 1920, height: 1080)
        }
    }

    @Test func aMoreUrgentReTriageOfAConfirmedRowShowsAdviceAndAReviewAlert() async throws {
        let chromium = try HeadlessChromium.find()
        try await LiveService.run { service in
            let nurse = try await service.token(.nurse, actor: "rn-review")
            #expect(try await service.send("POST", "v1/arrivals", token: nurse, json: Arrivals.chestPain()).status == 202)
            let row = try await boardRow(service, token: nurse)
            #expect(try await service.send("POST", "v1/assessments/\(row.assessmentID)/override", token: nurse,
                                           headers: ["If-Match": "\"\(row.version)\""],
                                           json: #"{"level": 3, "reason": "pain settled, ECG normal"}"#).status == 200)
            #expect(try await service.send("POST", "v1/arrivals/\(row.arrivalID)/vitals", token: nurse,
                                           json: #"{"vitals": {"hr": 134, "rr": 30, "sbp": 84, "spo2": 88}}"#).status == 202)
            var alerted: WorklistRow?
            try await eventually(timeout: .seconds(30)) {
                alerted = try await boardRows(service, token: nurse, count: 1).first
                return alerted?.reviewLevel != nil
            }
            let reviewed = try #require(alerted)
            #expect(reviewed.state == .overridden && reviewed.effectiveLevel == .urgent)
            let dom = try await chromium.dom(of: URL(string: "\(service.base)/board#wait=0&token=\(nurse)")!)
            #expect(dom.contains("⚠ Review: ESI \(reviewed.proposedLevel.rawValue) suggested since the decision"))
            #expect(dom.contains("Re-triage now suggests ESI \(reviewed.proposedLevel.rawValue) — review"))
            #expect(dom.contains(#"data-state="overridden""#))
        }
    }

    @Test func pageIsServedWithASelfOnlyPolicy() async throws {
        try await ServiceHarness.run { harness in
            let page = try await harness.send(.get, "/board", as: nil)
            #expect(page.status == .ok)
            #expect(page.headers[.contentType] == "text/html; charset=utf-8")
            #expect(page.headers[.contentSecurityPolicy] == BoardController.contentSecurityPolicy)
            #expect(BoardController.contentSecurityPolicy.hasPrefix("default-src 'none'"))
            #expect(try await harness.send(.get, "/board/board.js", as: nil).headers[.contentType]
                    == "text/javascript; charset=utf-8")
            #expect(try await harness.send(.get, "/board/board.css", as: nil).status == .ok)
            #expect(try await harness.send(.get, "/board/index.html", as: nil).status == .notFound)
            #expect(try await harness.send(.get, "/board/..%2Fopenapi.yaml", as: nil).status == .notFound)
        }
    }

    /// The first worklist row once the worker scored the arrival.
    private func boardRow(_ service: LiveService, token: String) async throws -> WorklistRow {
        try #require(try await boardRows(service, token: token, count: 1).first)
    }

    /// The worklist's rows, in the API's order, once `count` arrivals are scored.
    private func boardRows(_ service: LiveService, token: String, count: Int) async throws -> [WorklistRow] {
        var rows: [WorklistRow] = []
        try await eventually(timeout: .seconds(30)) {
            let board = try await service.send("GET", "v1/worklist", token: token)
            rows = try JSONDecoder.iso8601.decode(WorklistSnapshot.self, from: board.body).rows
            return rows.count == count
        }
        return rows
    }

    /// The arrival ids of the board's rows, in document order.
    private func renderedArrivalIDs(_ dom: String) -> [Int] {
        dom.matches(of: /<tr[^>]* data-arrival-id="(\d+)"/).compactMap { Int($0.output.1) }
    }
}
