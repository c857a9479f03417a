import Foundation
import PodlabCore

/// Which runtimes this machine can use, and why not: each problem with its fix (issue 13,
/// "Bad setups get clear errors"). `podlab doctor` prints these; `runtime up` refuses with them.
public enum RuntimeDoctor {
    /// One failed precondition.
    public struct Problem: Sendable, Equatable {
        public var detail: String
        public var fix: String
    }

    /// The CRI API version podlab speaks.
    public static let criAPIVersion = "v1"

    /// What `runtime up containerd` needs on disk: containerd, runc, ctr, the CNI plugins.
    public static func containerdProblems(_ setup: ContainerdSetup) -> [Problem] {
        var problems: [Problem] = []
        let manager = FileManager.default
        if !manager.isExecutableFile(atPath: setup.containerdBinary) {
            problems.append(Problem(detail: "no containerd binary at \(setup.containerdBinary)",
                                    fix: "apt-get install containerd (or set PODLAB_CONTAINERD)"))
        }
        if !manager.isExecutableFile(atPath: setup.runcBinary) {
            problems.append(Problem(detail: "no runc binary at \(setup.runcBinary)", fix: "apt-get install runc"))
        }
        if !manager.isExecutableFile(atPath: setup.ctrBinary) {
            problems.append(Problem(detail: "no ctr binary at \(setup.ctrBinary) (podlab imports its images with it)", fix: "apt-get install containerd"))
        }
        let missing = ContainerdSetup.cniPlugins.filter { !manager.isExecutableFile(atPath: setup.cniBinDir + "/" + $0) }
        if !missing.isEmpty {
            problems.append(Problem(detail: "CNI plugins missing in \(setup.cniBinDir): \(missing.joined(separator: ", "))",
                                    fix: "apt-get install containernetworking-plugins (or set PODLAB_CNI_BIN_DIR)"))
        }
        return problems
    }

    /// Checks a CRI endpoint: answers Version with API v1, and has the sandbox image.
    ///
    /// - Returns: a description ("containerd 1.6.20 (CRI v1)") or the problem.
    public static func checkEndpoint(_ endpoint: String, sandboxImage: String?) -> Result<String, ProblemError> {
        let client: CRIClient
        do { client = try CRIClient(endpoint: endpoint, timeout: 3) } catch {
            return .failure(ProblemError(Problem(detail: "\(error)", fix: "build podlab-cri: swift build --package-path Runtimes/CRI")))
        }
        defer { client.close() }
        let version: CRIVersion
        do { version = try client.version() } catch {
            return .failure(ProblemError(Problem(detail: "CRI socket \(endpoint) not answering: \(error)",
                                                 fix: "podlab runtime up containerd (or point --cri-endpoint at a running containerd)")))
        }
        let description = describe(version)
        if let problem = versionProblem(version, endpoint: endpoint) { return .failure(ProblemError(problem)) }
        if let sandboxImage {
            switch Result(catching: { try client.imageStatus(sandboxImage) }) {
            case .success(.some):
                break
            case .success(.none):
                return .failure(ProblemError(Problem(detail: "\(description): sandbox image \(sandboxImage) missing",
                                                     fix: "podlab runtime up containerd imports it (podlab runtime images)")))
            case .failure(let error):
                return .failure(ProblemError(Problem(detail: "\(description): ImageStatus(\(sandboxImage)): \(error)", fix: "check the containerd log")))
            }
        }
        return .success(description)
    }

    /// `containerd 1.6.20 (CRI v1)`.
    public static func describe(_ version: CRIVersion) -> String {
        "\(version.runtimeName ?? "?") \(version.runtimeVersion ?? "?") (CRI \(version.runtimeApiVersion ?? "?"))"
    }

    /// A runtime that answers Version with another CRI API than `runtime.v1` (containerd 1.5
    /// and older serve only v1alpha2): podlab's requests would fail one by one, so it is
    /// refused up front.
    public static func versionProblem(_ version: CRIVersion, endpoint: String) -> Problem? {
        guard version.runtimeApiVersion != criAPIVersion else { return nil }
        return Problem(detail: "\(describe(version)) at \(endpoint) serves CRI \(version.runtimeApiVersion ?? "?"), podlab needs \(criAPIVersion)",
                       fix: "use containerd 1.6 or newer (runtime.v1)")
    }

    /// A `Problem` as an Error, for `Result`.
    public struct ProblemError: Error, Sendable {
        public var problem: Problem
        public init(_ problem: Problem) { self.problem = problem }
    }
}
