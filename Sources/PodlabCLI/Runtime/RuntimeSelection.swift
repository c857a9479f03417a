import ArgumentParser
import ContainerdKit
import Foundation
import PodKit
import PodlabCore

/// `--runtime podlab|containerd` and `--cri-endpoint` of `apply` and `run` (issue 13 item 2).
///
/// The choice travels to the pod's supervisor in `PODLAB_RUNTIME` / `PODLAB_CRI_ENDPOINT` (it
/// inherits every `PODLAB_` variable), and the supervisor of a containerd pod saves it in
/// `<pod dir>/cri.json`: later commands (`ps`, `exec`, `delete`, …) need no flag.
struct RuntimeOptions: ParsableArguments {
    @Option(help: "The container runtime: podlab (its own sandbox) or containerd (through CRI); run and compare take both, podlab,containerd. Default $PODLAB_RUNTIME or podlab.")
    var runtime: String?

    @Option(name: .customLong("cri-endpoint"), help: "containerd's CRI socket (unix:///…); default the one `podlab runtime up` starts.")
    var criEndpoint: String?

    /// The runtimes chosen: one, or a comma list for a side-by-side run (`podlab,containerd`).
    func kinds(default fallback: String = "podlab") throws -> [RuntimeKind] {
        let chosen = runtime ?? ProcessInfo.processInfo.environment["PODLAB_RUNTIME"] ?? fallback
        var kinds: [RuntimeKind] = []
        for name in chosen.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let kind = RuntimeKind(rawValue: trimmed) else {
                throw PodlabError(.invalidArgument, "--runtime \(chosen): want podlab or containerd, or both as podlab,containerd")
            }
            guard !kinds.contains(kind) else { throw PodlabError(.invalidArgument, "--runtime \(chosen): \(trimmed) is named twice") }
            kinds.append(kind)
        }
        return kinds
    }

    /// Checks the choice (one runtime), and that a containerd endpoint answers, then exports it.
    func export(paths: PodlabPaths) throws {
        let kinds = try kinds()
        guard kinds.count == 1, let kind = kinds.first else {
            throw PodlabError(.invalidArgument, "--runtime \(kinds.map(\.rawValue).joined(separator: ",")): this command runs on one runtime "
                + "(podlab run and podlab compare take a list)")
        }
        try export(paths: paths, kind: kind)
    }

    /// Exports `kind` (and its endpoint) for the supervisors started next; a containerd
    /// endpoint must answer first.
    func export(paths: PodlabPaths, kind: RuntimeKind) throws {
        let environment = ProcessInfo.processInfo.environment
        setenv("PODLAB_RUNTIME", kind.rawValue, 1)
        guard kind == .containerd else { return }
        let endpoint = criEndpoint ?? environment["PODLAB_CRI_ENDPOINT"] ?? ContainerdPodRuntime.defaultEndpoint(paths: paths)
        setenv("PODLAB_CRI_ENDPOINT", endpoint, 1)
        try RuntimeKind.checkAnswers(endpoint: endpoint)
    }
}

/// The runtimes podlab can run a pod on.
enum RuntimeKind: String {
    case podlab
    case containerd

    /// A containerd endpoint must answer CRI `Version` before any pod is made.
    static func checkAnswers(endpoint: String) throws {
        let path = endpoint.hasPrefix("unix://") ? String(endpoint.dropFirst("unix://".count)) : endpoint
        guard FileManager.default.fileExists(atPath: path) else {
            throw PodlabError(.invalidState, "containerd's CRI at \(endpoint) does not answer (no socket): run `podlab runtime up`")
        }
        let client = try CRIClient(endpoint: endpoint, timeout: 5)
        defer { client.close() }
        let version: CRIVersion
        do {
            version = try client.version()
        } catch {
            throw PodlabError(.invalidState, "containerd's CRI at \(endpoint) does not answer: run `podlab runtime up`", cause: error as? PodlabError)
        }
        if let problem = RuntimeDoctor.versionProblem(version, endpoint: endpoint) {
            throw PodlabError(.unsupported, "\(problem.detail); fix: \(problem.fix)")
        }
    }

    /// The runtime pod `key` runs on (`pods`' RUNTIME column): containerd when its supervisor
    /// saved CRI ids (`cri.json`).
    static func name(ofPod key: String, paths: PodlabPaths = .fromEnvironment()) -> RuntimeKind {
        ContainerdPodRuntime.state(paths: paths, key: key) != nil ? .containerd : .podlab
    }

    /// The runtime of pod `key`'s supervisor: the one its `cri.json` names, else the environment's.
    static func runtime(forPod key: String, paths: PodlabPaths, environment: [String: String] = ProcessInfo.processInfo.environment) -> any PodRuntime {
        if ContainerdPodRuntime.state(paths: paths, key: key) != nil || environment["PODLAB_RUNTIME"] == RuntimeKind.containerd.rawValue {
            return ContainerdPodRuntime(paths: paths, key: key, endpoint: environment["PODLAB_CRI_ENDPOINT"])
        }
        return LinuxPodRuntime(paths: paths)
    }
}
