import ArgumentParser
import Logging
import TriageService

/// Walks the audit hash chain and compares it with the latest signed checkpoint (when configured); exits
/// non-zero at the first broken link, or when rows were deleted or the chain rewritten since a checkpoint.
struct VerifyAuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-audit", abstract: "Verify the audit log's hash chain and its signed checkpoints.")

    @OptionGroup var options: ConfigurationOptions
    @Option(help: "A copy of the checkpoint file to check with --public-key instead of the configured one.")
    var checkpointFile: String?
    @Option(help: "File with the checkpoints' Ed25519 public key (base64): verify without the signing key.")
    var publicKey: String?
    @Flag(help: "Print the public key of audit.checkpoint_key_file, for auditors, and exit.")
    var printPublicKey = false

    func validate() throws {
        guard (checkpointFile == nil) == (publicKey == nil) else {
            throw ValidationError("--checkpoint-file and --public-key go together")
        }
    }

    func run() async throws {
        let configuration = try await options.load()
        if printPublicKey {
            print(try checkpointPublicKey(configuration: configuration))
            return
        }
        let source: CheckpointSource = if let checkpointFile, let publicKey {
            .publicKey(checkpointFile: checkpointFile, publicKeyFile: publicKey)
        } else {
            .configured
        }
        let result = try await withStore(configuration, logger: Logger(label: "edtriage.audit")) { store in
            try await verifyAudit(configuration: configuration, trail: store, checkpoints: source)
        }
        if let broken = result.firstBroken {
            print("audit chain BROKEN at seq \(broken.seq): \(broken.reason) (\(result.checked) rows checked)")
        } else {
            print("audit chain links intact: \(result.checked) rows")
        }
        switch result.checkpoint {
        case nil: print("no signed checkpoints configured (audit.checkpoint_file)")
        case let match? where match.problem != nil: print("audit checkpoint MISMATCH: \(match.problem ?? "")")
        case let match? where match.seq == nil: print("no signed checkpoint written yet")
        case let match?: print("matches the checkpoint of seq \(match.seq ?? 0) signed at \(match.signedAt ?? "")")
        }
        if !result.isIntact { throw ExitCode.failure }
    }
}
