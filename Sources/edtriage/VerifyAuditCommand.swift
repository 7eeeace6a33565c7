import ArgumentParser
import Logging

/// Walks the audit hash chain; exits non-zero at the first broken link.
struct VerifyAuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-audit", abstract: "Verify the audit log's hash chain.")

    @OptionGroup var options: ConfigurationOptions

    func run() async throws {
        let configuration = try await options.load()
        let result = try await withStore(configuration, logger: Logger(label: "edtriage.audit")) { try await $0.verifyAudit() }
        if let broken = result.firstBroken {
            print("audit chain BROKEN at seq \(broken.seq): \(broken.reason) (\(result.checked) rows checked)")
            throw ExitCode.failure
        }
        print("audit chain intact: \(result.checked) rows")
    }
}
