import Foundation
import Testing

/// The deployment files judged by validators nobody here wrote, from PyPI (scripts/test.sh installs them, pinned,
/// into .local/deploy-tools): kubernetes-validate checks every manifest in deploy/kubernetes against Kubernetes
/// 1.33's schemas, refusing unknown fields; checkov runs its Kubernetes policies (security contexts, probes,
/// requests and limits, image digests, network policies) on them and its Dockerfile policies on
/// deploy/Containerfile, which hadolint lints too. Each validator is also shown a copy of our file with one fault
/// put in, so a validator that passes everything fails here. The checks skipped in the files are listed, with
/// their reasons, in deploy/README.md.
struct DeploymentManifestTests {
    static let kubernetesVersion = "1.33.0"

    /// Runs one of the validators from the deployment tools' virtualenv, in the package root. (checkov would
    /// otherwise ask PyPI for a newer version of itself on every run.)
    static func run(_ tool: String, _ arguments: [String]) async throws -> CommandRunner.Output {
        var environment = ProcessInfo.processInfo.environment
        let tools = try #require(environment["EDTRIAGE_DEPLOY_TOOLS"],
                                 "scripts/test.sh installs kubernetes-validate, checkov and hadolint and sets EDTRIAGE_DEPLOY_TOOLS")
        environment["CKV_SKIP_PACKAGE_UPDATE_CHECK"] = "true"
        return try await ExternalProgram.run("\(tools)/\(tool)", arguments, environment: environment)
    }

    /// deploy/kubernetes's manifests, kustomization.yaml aside (kustomize's file, not a Kubernetes object).
    static func manifests() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: root("deploy/kubernetes").path)
            .filter { $0.hasSuffix(".yaml") && $0 != "kustomization.yaml" }
            .sorted().map { "deploy/kubernetes/\($0)" }
    }

    static func root(_ path: String) -> URL { CommandRunner.packageRoot.appendingPathComponent(path) }

    /// A fresh folder for broken copies, removed after `body`.
    static func withScratchFolder(_ body: (URL) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("deploy-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try await body(folder)
    }

    /// Writes `file` with `original` replaced by `fault` to `destination`; the original must be there, so the
    /// negative control cannot quietly become a copy of a passing file.
    static func copy(_ file: String, replacing original: String, with fault: String, to destination: URL) throws {
        let text = try String(contentsOf: root(file), encoding: .utf8)
        try #require(text.contains(original), "\(file) no longer contains \(original)")
        try text.replacingOccurrences(of: original, with: fault).write(to: destination, atomically: true, encoding: .utf8)
    }

    // MARK: kubernetes-validate

    @Test func kubernetesValidatePassesEveryManifest() async throws {
        let manifests = try Self.manifests()
        try #require(!manifests.isEmpty)
        let run = try await Self.run("kubernetes-validate", ["--strict", "-k", Self.kubernetesVersion] + manifests)
        // An unknown kind is only a warning to it; here it fails too (a misspelt kind would validate nothing).
        #expect(run.status == 0 && !run.stdout.contains("WARN") && !run.stderr.contains("WARN"),
                "kubernetes-validate:\n\(run.stdout)\(run.stderr)")
    }

    @Test func kubernetesValidateRejectsAWrongTypeAndAnUnknownField() async throws {
        try await Self.withScratchFolder { folder in
            let faults = ["replicas: 2": #"replicas: "two""#, "maxSurge: 1": "maxSurge: 1\n      maxSurgeCount: 1"]
            for (original, fault) in faults {
                let broken = folder.appendingPathComponent("deployment-api.yaml")
                try Self.copy("deploy/kubernetes/deployment-api.yaml", replacing: original, with: fault, to: broken)
                let run = try await Self.run("kubernetes-validate", ["--strict", "-k", Self.kubernetesVersion, broken.path])
                #expect(run.status != 0, "kubernetes-validate passed \(fault):\n\(run.stdout)\(run.stderr)")
            }
        }
    }

    // MARK: checkov

    /// checkov on `target` (`--directory D` or `--file F`) with the flags every run here uses.
    static func checkov(_ target: [String], framework: String) async throws -> CommandRunner.Output {
        try await run("checkov", target + ["--framework", framework, "--quiet", "--compact", "--skip-download"])
    }

    @Test func checkovPassesTheManifests() async throws {
        let run = try await Self.checkov(["--directory", "deploy/kubernetes"], framework: "kubernetes")
        #expect(run.status == 0 && run.stdout.contains("Failed checks: 0,"), "checkov:\n\(run.stdout)\(run.stderr)")
    }

    @Test func checkovPassesTheContainerfile() async throws {
        // checkov's Dockerfile runner picks files by name (*Dockerfile*), so it reads a copy.
        try await Self.withScratchFolder { folder in
            let copy = folder.appendingPathComponent("Dockerfile")
            try FileManager.default.copyItem(at: Self.root("deploy/Containerfile"), to: copy)
            let run = try await Self.checkov(["--file", copy.path], framework: "dockerfile")
            #expect(run.status == 0 && run.stdout.contains("Failed checks: 0,"), "checkov:\n\(run.stdout)\(run.stderr)")
        }
    }

    @Test func checkovRejectsAWritableRootAndAnImageWithoutUser() async throws {
        try await Self.withScratchFolder { folder in
            let manifests = folder.appendingPathComponent("kubernetes")
            try FileManager.default.copyItem(at: Self.root("deploy/kubernetes"), to: manifests)
            try FileManager.default.removeItem(at: manifests.appendingPathComponent("deployment-api.yaml"))
            try Self.copy("deploy/kubernetes/deployment-api.yaml", replacing: "readOnlyRootFilesystem: true",
                          with: "readOnlyRootFilesystem: false", to: manifests.appendingPathComponent("deployment-api.yaml"))
            let kubernetes = try await Self.checkov(["--directory", manifests.path], framework: "kubernetes")
            #expect(kubernetes.status != 0 && kubernetes.stdout.contains("CKV_K8S_22"),
                    "checkov passed a writable root filesystem:\n\(kubernetes.stdout)\(kubernetes.stderr)")

            let dockerfile = folder.appendingPathComponent("Dockerfile")
            try Self.copy("deploy/Containerfile", replacing: "USER 10001:10001\n", with: "", to: dockerfile)
            let image = try await Self.checkov(["--file", dockerfile.path], framework: "dockerfile")
            #expect(image.status != 0 && image.stdout.contains("CKV_DOCKER_3"),
                    "checkov passed an image that runs as root:\n\(image.stdout)\(image.stderr)")
        }
    }

    // MARK: hadolint

    @Test func hadolintPassesTheContainerfile() async throws {
        let run = try await Self.run("hadolint", ["--no-color", "--failure-threshold", "info", "deploy/Containerfile"])
        #expect(run.status == 0, "hadolint:\n\(run.stdout)\(run.stderr)")
    }

    @Test func hadolintRejectsAnInstallWithRecommendedPackages() async throws {
        try await Self.withScratchFolder { folder in
            let broken = folder.appendingPathComponent("Containerfile")
            try Self.copy("deploy/Containerfile", replacing: "--no-install-recommends ", with: "", to: broken)
            let run = try await Self.run("hadolint", ["--no-color", "--failure-threshold", "info", broken.path])
            #expect(run.status != 0 && run.stdout.contains("DL3015"), "hadolint passed it:\n\(run.stdout)\(run.stderr)")
        }
    }

    // MARK: What the manifests hold

    @Test func configMapHoldsTheConfigurationFileVerbatim() async throws {
        // PyYAML comes with checkov.
        let run = try await Self.run("python", ["-c", """
            import sys, yaml
            sys.stdout.write(yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["data"]["edtriage.yaml"])
            """, "deploy/kubernetes/configmap-config.yaml"])
        try #require(run.status == 0, "\(run.stderr)")
        let file = try String(contentsOf: Self.root("config/edtriage.yaml"), encoding: .utf8)
        #expect(run.stdout == file, "deploy/kubernetes/configmap-config.yaml differs from config/edtriage.yaml: copy it again")
    }

    @Test func kustomizationListsEveryManifest() async throws {
        let run = try await Self.run("python", ["-c", """
            import sys, yaml
            print("\\n".join(yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["resources"]))
            """, "deploy/kubernetes/kustomization.yaml"])
        try #require(run.status == 0, "\(run.stderr)")
        let listed = run.stdout.split(separator: "\n").map { "deploy/kubernetes/\($0)" }.sorted()
        #expect(listed == (try Self.manifests()))
    }

    /// A variable the service does not know is silently ignored, so a typo in a manifest would drop a setting.
    @Test func everyVariableTheFilesSetIsOneTheReadmeLists() throws {
        let readme = try String(contentsOf: Self.root("README.md"), encoding: .utf8)
        var variables: Set<String> = []
        for file in try Self.manifests() + ["deploy/Containerfile"] {
            let text = try String(contentsOf: Self.root(file), encoding: .utf8)
            let words = text.split { !($0.isUppercase || $0.isNumber || $0 == "_") }
            // (config/edtriage.yaml, in the ConfigMap, explains the naming with a bare "EDTRIAGE_".)
            variables.formUnion(words.map(String.init).filter { $0.hasPrefix("EDTRIAGE_") && $0 != "EDTRIAGE_" })
        }
        try #require(!variables.isEmpty)
        let unknown = variables.filter { !readme.contains("`\($0)`") }.sorted()
        #expect(unknown.isEmpty, "not in the README's configuration table: \(unknown.joined(separator: ", "))")
    }
}
