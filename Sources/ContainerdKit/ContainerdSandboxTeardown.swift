import Foundation
import PodKit
import PodlabCore
#if canImport(Glibc)
import Glibc
#endif

/// The forced teardown of a containerd pod whose supervisor is gone (`podlab delete` after a
/// `kill -9` of the supervisor, `podlab clean`): StopPodSandbox and RemovePodSandbox of the
/// sandbox named in `<pod dir>/cri.json` (they stop and remove its containers, the shim and
/// the CNI netns, as kubelet's `killPodWithSyncResult` + sandbox GC do), then the pod cgroup
/// runc made. A pod without `cri.json` is not containerd's: nothing is done.
public struct ContainerdSandboxTeardown: SandboxTeardown {
    public init() {}

    public func forceTearDown(key: String, podDirectory: String, supervisorPID: Int32?, paths: PodlabPaths) -> [String] {
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
        if let supervisorPID { Self.endClients(session: supervisorPID, endpoint: state.endpoint) }
        if let parent = state.cgroupParent {
            ContainerdPodRuntime.removeCgroupEverywhere(parent).forEach { problems.record($0) }
        }
        return problems.failures
    }

    /// Ends the `podlab-cri` clients a SIGKILLed supervisor left: they are in its session (the
    /// supervisor is a session leader) and talk to this pod's endpoint. Seen in
    /// ContainerdCompareTests: one kept running after its supervisor was killed.
    static func endClients(session: Int32, endpoint: String, procRoot: String = "/proc") {
        guard session > 1, kill(session, 0) != 0 else { return }  // only a dead supervisor's session
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: procRoot)) ?? [] {
            guard let pid = Int32(entry), pid > 1,
                  let stat = FileSystem.readWholeText("\(procRoot)/\(entry)/stat"),
                  let close = stat.lastIndex(of: ")") else { continue }
            // Fields after the command: state ppid pgrp session …
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 3, Int32(fields[3]) == session,
                  let cmdline = try? FileSystem.readFile("\(procRoot)/\(entry)/cmdline") else { continue }
            let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard arguments.first.map({ ($0 as NSString).lastPathComponent == CRIShim.name }) == true,
                  arguments.contains(endpoint) else { continue }
            kill(pid, SIGKILL)
        }
    }
}
