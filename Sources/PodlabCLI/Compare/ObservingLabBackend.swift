import Foundation
import LabKit
import PodKit
import PodObservations
import PodlabCore
import Reports

/// A lab backend that records what `PodObservationCollector` sees of every pod just before the
/// lab deletes it (its last state: restarts, IP, process tree, mounts, …), for the comparison
/// of a side-by-side run (issue 13 item 5). Every call goes to the real backend unchanged, so
/// the lab runs exactly as without it.
final class ObservingLabBackend: LabBackend {
    let inner: PodKitLabBackend
    private let collector: PodObservationCollector
    /// Pod id → the first IP seen (for "IP kept").
    private var firstIPs: [String: String] = [:]
    private var observed = Set<String>()
    /// What was collected, in deletion order.
    private(set) var values: [ObservedValue] = []

    init(_ inner: PodKitLabBackend) {
        self.inner = inner
        self.collector = PodObservationCollector(api: inner.api)
    }

    private func note(_ status: LabPodStatus) -> LabPodStatus {
        if let ip = status.ip, firstIPs[status.ref.id] == nil { firstIPs[status.ref.id] = ip }
        return status
    }

    /// Collects a pod once, before it goes away.
    private func observe(_ record: PodRecord) {
        guard observed.insert(record.key).inserted else { return }
        if let ip = record.sandbox.ip, firstIPs[record.key] == nil { firstIPs[record.key] = ip }
        values += collector.collect(record, firstIP: firstIPs[record.key])
    }

    func apply(manifestPath: String, imageMap: [String: String], namespace: String) throws -> [LabPodRef] {
        let pods = try inner.apply(manifestPath: manifestPath, imageMap: imageMap, namespace: namespace)
        for pod in pods { _ = try? note(inner.podStatus(pod)) }
        return pods
    }

    func podStatus(_ pod: LabPodRef) throws -> LabPodStatus { note(try inner.podStatus(pod)) }
    func containers(_ pod: LabPodRef) throws -> [ContainerRow] { try inner.containers(pod) }
    func waitForStatus(_ pod: LabPodRef, until deadline: Date, _ check: (LabPodStatus) throws -> Bool) throws -> LabPodStatus {
        note(try inner.waitForStatus(pod, until: deadline, check))
    }
    func namespaces(_ pod: LabPodRef) throws -> [NamespaceRow] { try inner.namespaces(pod) }
    func exec(_ pod: LabPodRef, container: String?, command: [String], timeout: Double) throws -> LabExecResult {
        try inner.exec(pod, container: container, command: command, timeout: timeout)
    }
    @discardableResult
    func kill(_ pod: LabPodRef, container: String?, signal: Int32) throws -> LabSignalledProcess {
        try inner.kill(pod, container: container, signal: signal)
    }
    func processTree(_ pod: LabPodRef) throws -> ProcessNode { try inner.processTree(pod) }
    func logs(_ pod: LabPodRef, container: String?, previous: Bool) throws -> String {
        try inner.logs(pod, container: container, previous: previous)
    }
    func delete(_ pod: LabPodRef, gracePeriod: Double) throws {
        if let record = try? inner.record(pod) { observe(record) }
        try inner.delete(pod, gracePeriod: gracePeriod)
    }
    func deleteAll(namespace: String) throws {
        for record in inner.store.list() where record.spec.namespace == namespace { observe(record) }
        try inner.deleteAll(namespace: namespace)
    }
}
