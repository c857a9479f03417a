import Foundation
import PodlabCore
import RootfsKit
import SystemPackage

/// `podlab apply`: manifest → images resolved and unpacked → pod record → a supervisor per pod.
public struct PodLauncher {
    public let paths: PodlabPaths
    public let store: PodStore
    /// The `podlab` executable, re-executed as `podlab supervise <key>`.
    public let executable: String

    public init(paths: PodlabPaths, executable: String = PodLauncher.currentExecutable()) {
        self.paths = paths
        self.store = PodStore(paths: paths)
        self.executable = executable
    }

    /// This process's executable (`/proc/self/exe`), so the supervisor is the same build.
    public static func currentExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// `--image alpine:3.2=busybox` mappings, parsed.
    public static func parseImageMap(_ items: [String]) throws -> [String: String] {
        var map: [String: String] = [:]
        for item in items {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
                throw PodlabError(.invalidArgument, "--image expects MANIFEST_IMAGE=CATALOG_IMAGE (e.g. alpine:3.2=busybox), got \"\(item)\"")
            }
            map[parts[0]] = parts[1]
        }
        return map
    }

    /// Resolves every container's image through the catalog (building busybox, nginx and the
    /// entrypoint demo on first use, `ImageCatalog.BuiltImage`), unpacks it into the cache, and returns lower dirs by container name.
    func resolveImages(_ pod: PodSpec, imageMap: [String: String]) throws -> (roots: [String: String], records: [String: ImageRecord]) {
        let catalog = ImageCatalog(paths: paths)
        let cache = ImageCache(paths: paths)
        var roots: [String: String] = [:]
        var records: [String: ImageRecord] = [:]
        for container in pod.initContainers + pod.containers {
            let name = imageMap[container.image] ?? container.image
            let record: ImageRecord
            do {
                record = try catalog.resolve(name)
            } catch let error as PodlabError where error.code == .notFound && ImageCatalog.BuiltImage(reference: name) != nil {
                // Images podlab makes itself (busybox, nginx, the entrypoint demo) are built on first use.
                guard let image = ImageCatalog.BuiltImage(reference: name) else { throw error }
                do { record = try catalog.build(image) } catch {
                    throw PodlabError(.notFound, "\(container.imageLocation): image \"\(container.image)\": \(error)")
                }
            } catch {
                let field = "\(container.imageLocation): image \"\(container.image)\""
                let mapped = name == container.image ? "" : " (mapped to \"\(name)\")"
                throw PodlabError(.notFound, "\(field)\(mapped): \(error)\n  or map it to an image you have: podlab apply --image \(container.image)=busybox")
            }
            roots[container.name] = try cache.rootfs(for: record)
            records[container.name] = record
        }
        return (roots, records)
    }

    /// Creates the pods of a parsed manifest and waits until each has started (or failed).
    /// - Parameters:
    ///   - namespace: overrides the manifest's namespace (labs use one per run so they never collide).
    ///   - timeout: how long to wait for the supervisor to report the pod started.
    public func apply(_ manifest: ParsedManifest, imageMap: [String: String], namespace: String? = nil, timeout: TimeInterval = 60) throws -> [PodRecord] {
        // The settings this state directory's pods run with, saved for every later podlab
        // process (supervisors, delete, clean, doctor) before the first pod exists.
        let podsDir = paths.podsDir
        try RuntimeConfiguration.fromEnvironment(paths: paths).adopt(hasPods: { !((try? FileSystem.list(podsDir)) ?? []).isEmpty })
        var created: [PodRecord] = []
        var startReports: [FileDescriptor] = []
        defer { for report in startReports { try? report.close() } }
        do {
            for var pod in manifest.pods {
                if let namespace { pod.namespace = namespace }
                let images = try resolveImages(pod, imageMap: imageMap)
                let statuses = pod.initContainers.map { status($0, isInit: true, images: images.records) }
                    + pod.containers.map { status($0, isInit: false, images: images.records) }
                let record = PodRecord(
                    key: PodRecord.key(name: pod.name, namespace: pod.namespace), id: generateID(),
                    uid: UUID().uuidString.lowercased(), spec: pod, createdAt: Date(), phase: .pending, supervisorPID: nil,
                    sandbox: SandboxStatus(ready: false, attempt: 0), containers: statuses, failure: nil, started: false,
                    terminating: false, imageRoots: images.roots,
                    imageConfigs: images.records.compactMapValues(\.config))
                // Record and supervisor are made under the launch gate, so an interrupt either
                // sees this pod (and deletes it) or stops it from being made.
                var supervisor: SupervisorProcess.Launched?
                var launched = try PodLaunchGate.shared.admit {
                    try store.create(record)
                    created.append(record)
                    supervisor = try launchSupervisor(record)
                    return record
                }
                guard let supervisor else { throw PodlabError(.invalidState, "no supervisor for pod \(record.spec.name)") }
                // Kept in memory only: the supervisor writes its own pid to the record; saving
                // it here too could overwrite a newer record the supervisor already saved.
                launched.supervisorPID = supervisor.pid
                created[created.count - 1] = launched
                startReports.append(supervisor.startReport)
            }
            return try zip(created, startReports).map { try waitStarted($0, startReport: $1, timeout: timeout) }
        } catch {
            // No partial damage: pods this apply created are removed again.
            for record in created { PodDeleter(paths: paths).delete(record, grace: 0) }
            throw error
        }
    }

    func status(_ spec: ContainerSpec, isInit: Bool, images: [String: ImageRecord]) -> ContainerStatus {
        let image = images[spec.name]
        return ContainerStatus(
            name: spec.name, id: "", image: spec.image, imageRef: image.map { "\($0.name):\($0.tag)" } ?? spec.image,
            imageDigest: image?.digest ?? "", isInit: isInit, isSidecar: isInit && spec.restartPolicy == .always,
            state: .created, restartCount: 0, logPath: "")
    }

    func launchSupervisor(_ record: PodRecord) throws -> SupervisorProcess.Launched {
        let log = store.podDirectory(for: record.key).supervisorLog
        return try SupervisorProcess.launch(executable: executable, key: record.key, logPath: log, paths: paths)
    }

    /// Waits for the supervisor's start report (its stdout pipe), then reads the record once:
    /// the pod as started, or the failure the supervisor recorded before it exited.
    func waitStarted(_ record: PodRecord, startReport: FileDescriptor, timeout: TimeInterval) throws -> PodRecord {
        let log = store.podDirectory(for: record.key).supervisorLog
        guard let reported = SupervisorProcess.awaitStart(startReport, timeout: timeout) else {
            throw PodlabError(.timeout, "pod \(record.spec.name) did not start within \(Int(timeout)) s (see \(log))")
        }
        let current = try store.load(key: record.key)
        if let failure = current.failure {
            throw PodlabError(.invalidState, "pod \(record.spec.name) could not start: \(failure)")
        }
        if reported && current.started { return current }
        let detail = (try? String(contentsOfFile: log, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        throw PodlabError(.invalidState, "the supervisor of pod \(record.spec.name) exited before the pod started\(detail.isEmpty ? "" : ": \(detail)")")
    }
}
