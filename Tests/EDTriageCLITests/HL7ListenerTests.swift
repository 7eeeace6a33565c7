import Foundation
import Testing
import TriageStoreTestSupport

/// The HL7 v2 listener of `edtriage serve`, driven by python-hl7's MLLP client (a client nobody here wrote),
/// which also parses our acknowledgements: a registration, its re-send, new vitals, a monitor's vitals and a
/// discharge of one visit, and messages that must be refused without writing anything.
struct HL7ListenerTests {
    /// One acknowledgement as python-hl7 read it: MSA-1, MSA-2, MSA-3, ERR-2.
    struct Ack: Equatable {
        var code: String
        var controlID: String
        var text: String
        var location: String
    }

    /// `files` over one connection; with `tlsAuthority`, inside TLS trusting only that CA. `expectSent: false`
    /// expects the client to fail (e.g. no ACK ever comes), and then no acknowledgement is returned.
    static func send(_ files: [String], port: Int, tlsAuthority: URL? = nil, expectSent: Bool = true) async throws -> [Ack] {
        let python = try #require(ProcessInfo.processInfo.environment["EDTRIAGE_TEST_PYTHON"],
                                  "scripts/test.sh installs python-hl7 and sets EDTRIAGE_TEST_PYTHON")
        let tls = tlsAuthority.map { ["--tls", $0.path] } ?? []
        let run = try await ExternalProgram.run(python, ["Tests/Conformance/hl7_send.py"] + tls + ["127.0.0.1", String(port)] + files)
        #expect((run.status == 0) == expectSent, "\(run.stderr)")
        return run.stdout.split(separator: "\n").map { line in
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return Ack(code: parts[0], controlID: parts[1], text: parts.count > 2 ? parts[2] : "",
                       location: parts.count > 3 ? parts[3] : "")
        }
    }

    @Test func registrationVitalsAndDischargeOverMLLP() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hl7-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let a04 = try String(contentsOf: CommandRunner.packageRoot.appendingPathComponent("samples/hl7/a04-chest-pain.hl7"),
                             encoding: .utf8)
        let badUnit = folder.appendingPathComponent("bad-unit.hl7")
        try a04.replacingOccurrences(of: "EPIC-000101", with: "EPIC-000201")
            .replacingOccurrences(of: "V20261203-0001", with: "V20261203-0002")
            .replacingOccurrences(of: "36.9|Cel", with: "36.9|K").write(to: badUnit, atomically: true, encoding: .utf8)
        let notHL7 = folder.appendingPathComponent("not-hl7.hl7")
        try #"{"chief_complaint": "cough"}"#.write(to: notHL7, atomically: true, encoding: .utf8)

        try await TestDatabase.with { database in
            let hl7Port = TestPorts.random()
            var cli = CommandRunner(database: database, port: TestPorts.random())
            cli.environment["EDTRIAGE_HL7_PORT"] = String(hl7Port)
            let service = try cli.start(["serve"] + cli.configArguments)
            defer { service.end() }
            try await CommandRunner.waitForListener(port: hl7Port)

            let registered = try await Self.send(["samples/hl7/a04-chest-pain.hl7", "samples/hl7/a04-chest-pain.hl7",
                                                  badUnit.path, notHL7.path], port: hl7Port)
            try #require(registered.map(\.code) == ["AA", "AA", "AE", "AR"], "\(registered)")
            #expect(registered[0].controlID == "EPIC-000101" && registered[1].text == "already received")
            #expect(registered[2].location == "OBX^6^6" && registered[2].text.contains("unit"), "\(registered[2])")
            #expect(try await database.count("arrivals") == 1, "one arrival; the refused messages wrote nothing")
            #expect(try await database.count("arrivals", where: "source = 'hl7:EPIC@ED' AND external_id = 'V20261203-0001'") == 1)
            for _ in 0..<300 where try await database.count("worklist") < 1 { try await Task.sleep(for: .milliseconds(100)) }
            #expect(try await database.count("worklist", where: "effective_level <= 2") == 1, "chest pain at 118/min")

            let updates = try await Self.send(["samples/hl7/a08-new-vitals.hl7", "samples/hl7/oru-r01-monitor.hl7",
                                               "samples/hl7/oru-r01-monitor.hl7"], port: hl7Port)
            #expect(updates.map(\.code) == ["AA", "AA", "AA"], "\(updates)")
            #expect(try await database.count("vitals_observations") == 2, "the re-sent ORU changed nothing")
            #expect(try await database.count("arrivals", where: """
                payload->'vitals'->>'hr' = '132' AND payload->'vitals'->>'spo2' = '89' AND payload->'vitals'->>'sbp' = '86'
                """) == 1, "the monitor's saturation joins the A08's pressure and rate")

            let discharged = try await Self.send(["samples/hl7/a03-discharge.hl7", "samples/hl7/a03-discharge.hl7"],
                                                 port: hl7Port)
            try #require(discharged.map(\.code) == ["AA", "AA"], "\(discharged)")
            #expect(discharged[1].text == "not on the board")
            #expect(try await database.count("worklist", where: "status = 'discharged'") == 1)
            #expect(try await database.count("decisions", where: "kind = 'discharge' AND actor = 'hl7:EPIC@ED'") == 1)
        }
    }

    /// With `hl7.tls` the listener speaks MLLP inside TLS with the HTTPS certificate: python-hl7's client through
    /// Python's TLS, trusting the site's CA, is acknowledged; a plain-TCP sender gets no ACK and writes nothing;
    /// `hl7.tls` without a certificate is refused at start.
    @Test func mllpOverTLSWithTheHTTPSCertificate() async throws {
        let authority = try TestCertificateAuthority.make()
        defer { authority.remove() }
        let certificateFile = authority.folder.appendingPathComponent("server.crt")
        let keyFile = authority.folder.appendingPathComponent("server.key")
        try authority.issue(commonName: "edtriage-hl7", certificateFile: certificateFile, keyFile: keyFile)
        try await TestDatabase.with { database in
            let hl7Port = TestPorts.random()
            var cli = CommandRunner(database: database, port: TestPorts.random())
            cli.environment["EDTRIAGE_HL7_PORT"] = String(hl7Port)
            cli.environment["EDTRIAGE_HL7_TLS"] = "true"
            let refused = try await cli.run(["serve"] + cli.configArguments)
            #expect(refused.status != 0 && refused.stderr.contains("hl7.tls"), "\(refused.stderr)")

            cli.environment["EDTRIAGE_HTTP_TLS_CERTIFICATE_FILE"] = certificateFile.path
            cli.environment["EDTRIAGE_HTTP_TLS_KEY_FILE"] = keyFile.path
            let service = try cli.start(["serve"] + cli.configArguments)
            defer { service.end() }
            try await CommandRunner.waitForListener(port: hl7Port)
            let plain = try await Self.send(["samples/hl7/a04-chest-pain.hl7"], port: hl7Port, expectSent: false)
            #expect(plain.isEmpty)
            #expect(try await database.count("arrivals") == 0)
            let secure = try await Self.send(["samples/hl7/a04-chest-pain.hl7"], port: hl7Port,
                                             tlsAuthority: authority.certificate)
            #expect(secure.map(\.code) == ["AA"])
            #expect(try await database.count("arrivals") == 1)
        }
    }
}
