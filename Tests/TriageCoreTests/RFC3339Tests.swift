import ComputeThreadTesting
import Foundation
import Testing
import TriageCore

@Suite("RFC 3339 date-times", .onComputeThread)
struct RFC3339Tests {
    @Test("reads what RFC 3339 allows: fractions, any offset to ±23:59, lower-case t and z, a leap second")
    func valid() throws {
        let base = try #require(RFC3339.date(from: "2026-12-03T07:15:00Z")).timeIntervalSince1970
        #expect(base == 1_796_282_100)
        #expect(RFC3339.date(from: "2026-12-03t07:15:00z")?.timeIntervalSince1970 == base)
        #expect(RFC3339.date(from: "2026-12-03T07:15:00.250Z")?.timeIntervalSince1970 == base + 0.25)
        #expect(RFC3339.date(from: "2026-12-03T09:15:00+02:00")?.timeIntervalSince1970 == base)
        #expect(RFC3339.date(from: "2026-12-02T09:58:00-21:17")?.timeIntervalSince1970 == base)
        #expect(RFC3339.date(from: "2016-12-31T23:59:60Z")?.timeIntervalSince1970 == 1_483_228_800)
        #expect(RFC3339.date(from: "2024-02-29T00:00:00Z")?.timeIntervalSince1970 == 1_709_164_800)
        #expect(RFC3339.date(from: "1970-01-01T00:00:00Z")?.timeIntervalSince1970 == 0)
        #expect(RFC3339.date(from: "0001-01-01T00:00:00Z")?.timeIntervalSince1970 == -62_135_596_800)
    }

    @Test("refuses what it does not allow, without reading past the end")
    func invalid() {
        for text in ["", "2026-12-03", "2026-12-03T07:15:00", "2026-12-03 07:15:00Z", "2026-13-03T07:15:00Z",
                     "2026-02-29T07:15:00Z", "2026-12-03T24:00:00Z", "2026-12-03T07:60:00Z", "2026-12-03T07:15:61Z",
                     "2026-12-03T07:15:00.Z", "2026-12-03T07:15:00+24:00", "2026-12-03T07:15:00+0200",
                     "2026-12-03T07:15:00Z ", "2026-12-03T07:15:00+02:00:00", "२०२६-12-03T07:15:00Z",
                     "2026-12-03T07:15:00+02"] {
            #expect(RFC3339.date(from: text) == nil, "\(text)")
        }
    }
}
