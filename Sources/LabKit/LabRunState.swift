import Foundation
import PodlabCore

/// What one lab run knows: its pods and its bindings. Owned by one `LabRunner`.
final class LabRunState {
    let lab: Lab
    let namespace: String
    let backend: any LabBackend
    /// Pods created by `apply`, in order.
    private(set) var pods: [LabPodRef] = []
    /// Lab bindings plus the outputs saved so far.
    private(set) var bindings: [String: String]

    init(lab: Lab, namespace: String, backend: any LabBackend) {
        self.lab = lab
        self.namespace = namespace
        self.backend = backend
        self.bindings = lab.bindings
    }

    func addPods(_ refs: [LabPodRef]) {
        for ref in refs where !pods.contains(ref) { pods.append(ref) }
    }

    func save(_ name: String, _ value: String) { bindings[name] = value }

    /// The pod an operation means: the one it names, else the lab's only pod.
    func pod(_ name: String?) throws -> LabPodRef {
        if let name {
            guard let pod = pods.first(where: { $0.name == name }) else {
                throw PodlabError(.notFound, "pod \"\(name)\" was not applied in this lab (applied: \(pods.isEmpty ? "none" : pods.map(\.name).joined(separator: ", ")))")
            }
            return pod
        }
        guard let pod = pods.first else { throw PodlabError(.invalidState, "no pod has been applied yet; add an apply operation first") }
        if pods.count > 1 {
            throw PodlabError(.invalidArgument, "the lab has \(pods.count) pods (\(pods.map(\.name).joined(separator: ", "))); name one with pod:")
        }
        return pod
    }

    /// The pod built-ins describe: the named one, else the first applied (nil before any apply).
    func builtinPod(_ name: String?) -> LabPodRef? {
        if let name { return pods.first { $0.name == name } }
        return pods.first
    }

    /// `PODLAB_*` values for a pod (empty pod part before the first apply).
    func builtins(pod name: String?) -> [String: String] {
        var values = ["PODLAB_LAB": lab.name, "PODLAB_LAB_DIR": lab.directory, "PODLAB_NAMESPACE": namespace]
        guard let ref = builtinPod(name) else { return values }
        values["PODLAB_POD_NAME"] = ref.name
        values["PODLAB_POD_ID"] = ref.id
        guard let status = try? backend.podStatus(ref) else { return values }
        // crictl's POD ID when the backend has one (podlab commands accept it, or the name).
        if let sandboxID = status.sandboxID { values["PODLAB_POD_ID"] = sandboxID }
        values["PODLAB_POD_IP"] = status.ip
        values["PODLAB_PAUSE_PID"] = status.pausePID.map(String.init)
        values["PODLAB_NETNS"] = status.netnsPath
        for container in status.containers {
            let suffix = BuiltinBindings.envSuffix(forContainer: container.name)
            values["PODLAB_CID_" + suffix] = container.id
            if let pid = container.pid { values["PODLAB_PID_" + suffix] = String(pid) }
        }
        return values
    }

    /// Expands `$NAME` references; a missing value is an error naming the binding.
    func expand(_ text: String, pod: String?) throws -> String {
        var builtinValues: [String: String]?
        return try BindingTemplate.expand(text) { name in
            if let value = bindings[name] { return value }
            if BuiltinBindings.isBuiltin(name) {
                if builtinValues == nil { builtinValues = builtins(pod: pod) }
                if let value = builtinValues?[name] { return value }
                throw PodlabError(.invalidState, "binding $\(name) has no value now (no pod applied, the pod has no such container, or the container is not running)")
            }
            throw PodlabError(.invalidState, "binding $\(name) is not set: the operation that saves it did not run or failed")
        }
    }

    /// The environment of host scripts: podlab's own environment, built-ins, then bindings.
    func environment(pod: String?) -> [String: String] {
        ProcessInfo.processInfo.environment
            .merging(builtins(pod: pod)) { _, new in new }
            .merging(bindings) { _, new in new }
    }
}
