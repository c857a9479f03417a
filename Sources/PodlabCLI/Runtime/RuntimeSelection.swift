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
    @Option(help: "The container runtime: podlab (its own sandbox) or containerd (through CRI). Default $PODLAB_RUNTIME or podlab.")
    var runtime: String?

    @Option(name: .customLong("cri-endpoint"), help: "containerd's CRI socket (unix:///…); default the one `podlab runtime up` starts.")
    var criEndpoint: String?

    /// Checks the choice, and that a containerd endpoint answers, then exports it.
    func export(paths: PodlabPaths) throws {
        let environment = ProcessInfo.processInfo.environment
        let chosen = runtime ?? environment["PODLAB_RUNTIME"] ?? "podlab"
        guard let kind = RuntimeKind(rawValue: chosen) else {
            throw PodlabError(.invalidArgument, "--runtime \(chosen): want podlab or containerd")
        }
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
        do {
            _ = try client.version()
        } catch {
            throw PodlabError(.invalidState, "containerd's CRI at \(endpoint) does not answer: run `podlab runtime up`", cause: error as? PodlabError)
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
