import Foundation
import PodKit
import PodlabCore

/// The forced teardown of a containerd pod whose supervisor is gone (`podlab delete` after a
/// `kill -9` of the supervisor, `podlab clean`): StopPodSandbox and RemovePodSandbox of the
/// sandbox named in `<pod dir>/cri.json` (they stop and remove its containers, the shim and
/// the CNI netns, as kubelet's `killPodWithSyncResult` + sandbox GC do), then the pod cgroup
/// runc made. A pod without `cri.json` is not containerd's: nothing is done.
public struct ContainerdSandboxTeardown: SandboxTeardown {
    public init() {}

    public func forceTearDown(key: String, podDirectory: String, paths: PodlabPaths) -> [String] {
        let file = podDirectory + "/" + ContainerdPodRuntime.stateFileName
        guard let data = FileManager.default.contents(atPath: file) else { return [] }
        guard let state = try? JSONDecoder().decode(ContainerdPodRuntime.State.self, from: data) else {
            return ["read(\(file)): not the CRI state podlab writes; the sandbox (if any) stays until `podlab runtime down`"]
        }
        var problems = TeardownLog()
        if let sandbox = state.sandboxID {
            do {
                let client = try CRIClient(endpoint: state.endpoint, timeout: 30)
                defer { client.close() }
                problems.attempt("CRI StopPodSandbox(\(sandbox.prefix(13))) on \(state.endpoint)") { try client.stopPodSandbox(sandbox) }
                problems.attempt("CRI RemovePodSandbox(\(sandbox.prefix(13))) on \(state.endpoint)") {
                    do { try client.removePodSandbox(sandbox) } catch let error as PodlabError where error.code == .notFound {}
                }
            } catch {
                problems.record("CRI at \(state.endpoint) (sandbox \(sandbox.prefix(13))): \(error); `podlab runtime down` removes it")
            }
        }
        if let parent = state.cgroupParent {
            ContainerdPodRuntime.removeCgroupEverywhere(parent).forEach { problems.record($0) }
        }
        return problems.failures
    }
}
