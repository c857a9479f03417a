import Foundation
import PodObservations
import PodlabCore
import PodlabSyscalls
import SystemPackage

#if canImport(Glibc)
import Glibc
#endif

/// What a command run in a container with `PodAPI.exec` printed, and how it ended.
public struct ExecOutput: Sendable {
    /// The exit code, 128 + signal for signal deaths.
    public var exitCode: Int32
    public var stdout: Data
    public var stderr: Data
}

/// A wait that reached its deadline: the pod as last seen, for the message.
public struct WaitTimeout: Sendable {
    public var last: PodRecord?
}

/// The one pod API: every pod command (`podlab kill`, `logs`, `exec`, `wait`, `ns`) and the lab
/// backend are thin mappings over it, so a lab observes exactly what a student sees.
///
/// Like youki's `commands/kill.rs` over `Container::kill`: the rules (readiness, the default
/// container, previous logs, what a wait means) live here once.
public struct PodAPI {
    public let store: PodStore
    public var paths: PodlabPaths { store.paths }

    public init(paths: PodlabPaths) { store = PodStore(paths: paths) }

    /// The pod's record as its supervisor last wrote it.
    public func record(_ key: String) throws -> PodRecord { try store.load(key: key) }

    // MARK: kill

    /// Sends `signal` to the process `target` names (the default container when none is named,
    /// `PodRecord.defaultContainerName`); returns which process got it.
    @discardableResult
    public func kill(_ record: PodRecord, target: PodProcessTarget, signal: Int32) throws -> (name: String, pid: Int32) {
        let process = try record.process(target)
        try checkedSyscall("kill(\(process.pid), \(signal))") { Glibc.kill(process.pid, signal) }
        return process
    }

    // MARK: logs

    /// The path of a container's log file: the current attempt's, or with `previous` the last
    /// terminated attempt's (kubectl logs --previous; the error text is kubelet's).
    public func logPath(_ record: PodRecord, container name: String?, previous: Bool) throws -> String {
        let status = try record.container(name)
        if previous {
            guard let last = status.lastTerminated else {
                throw PodlabError(.notFound, "previous terminated container \"\(status.name)\" in pod \"\(record.spec.name)\" not found")
            }
            return last.logPath
        }
        return status.logPath
    }

    /// The stored (CRI-format) log of a container, as written: `logs` decodes it.
    public func rawLogs(_ record: PodRecord, container name: String?, previous: Bool) throws -> Data {
        let status = try record.container(name)
        let path = try logPath(record, container: name, previous: previous)
        guard let data = FileManager.default.contents(atPath: path) else {
            // A container that never ran has no log: kubelet's validateContainerLogStatus
            // (kubelet_pods.go) answers "is waiting to start: <reason>" (docs/FIDELITY.md #175).
            if !previous, status.state == .created, status.lastTerminated == nil {
                throw PodlabError(.invalidState, "container \"\(status.name)\" in pod \"\(record.spec.name)\" is waiting to start: \(status.waitingReason ?? "ContainerCreating")")
            }
            throw PodlabError(.notFound, "no logs at \(path)")
        }
        return data
    }

    /// A container's output as `kubectl logs` prints it (kubelet's `ReadLogs` over the CRI log,
    /// docs/FIDELITY.md #201): the last `tail` stored lines (-1: all), with `timestamps` each
    /// line prefixed by its write time.
    public func logs(_ record: PodRecord, container name: String?, previous: Bool, timestamps: Bool = false, tail: Int = -1) throws -> Data {
        let raw = try rawLogs(record, container: name, previous: previous)
        return CRILog.decode(CRILog.tail(raw, lines: tail), timestamps: timestamps)
    }

    // MARK: exec

    /// Runs `command` in a container (the default one when `container` is nil) in this process,
    /// as `podlab exec` does, with stdin from /dev/null and the output captured; SIGKILLs it
    /// (through a pidfd) if it runs past `timeout` seconds.
    public func exec(_ record: PodRecord, container name: String?, command: [String], timeout: Double) throws -> ExecOutput {
        let status = try record.container(name)
        var request = try PodExec(paths: paths).request(record, container: status, command: command)
        let out = try makeCloseOnExecPipe("exec stdout"), err = try makeCloseOnExecPipe("exec stderr")
        let readers = [PipeDrain(out.readEnd), PipeDrain(err.readEnd)]
        let null = try checkedSyscall("open(/dev/null)") { open("/dev/null", O_RDONLY | O_CLOEXEC) }
        request.stdin = FileDescriptor(rawValue: null)
        request.stdout = out.writeEnd
        request.stderr = err.writeEnd
        request.waitForExit = true
        let started: StartedSpawn
        do {
            defer {
                // The process has its own copies once started; ours would hide the readers' EOF.
                close(null)
                try? out.writeEnd.close()
                try? err.writeEnd.close()
            }
            started = try ProcessSpawner().start(request)
        }
        let watched = try? WatchedProcess(pid: started.pid)
        let finished = DispatchSemaphore(value: 0)
        let box = ExitBox()
        let handle = SpawnHandle(started)
        let thread = Thread {
            box.result = Result { try handle.started.finish() }
            finished.signal()
        }
        thread.start()
        let deadline = DispatchTime.now() + timeout
        let what = "exec \(command.joined(separator: " ")) in \(status.name) of pod \(record.spec.name)"
        if finished.wait(timeout: deadline) == .timedOut {
            watched?.send(SIGKILL)
            finished.wait()
            throw PodlabError(.timeout, "\(what) did not finish within \(timeout) s, killed")
        }
        let exit = try box.result?.get().exit?.exitCode ?? 255
        // A background process the command left behind may hold the pipes open: the output
        // is complete at EOF, which must come by the same deadline.
        guard let stdout = readers[0].wait(until: deadline), let stderr = readers[1].wait(until: deadline) else {
            throw PodlabError(.timeout, "\(what) exited with \(exit), but a process it started kept its output open past \(timeout) s")
        }
        return ExecOutput(exitCode: exit, stdout: stdout, stderr: stderr)
    }

    // MARK: observations

    /// The pod's containers on the node as crictl lists them: pause's sandbox first (`running`
    /// while pause runs), then every container's current attempt with Kubernetes' state word
    /// (`running`, `waiting`, `exited`) and its pid while it runs.
    public func containerRows(_ record: PodRecord) -> [ContainerRow] {
        let pause = ContainerRow(id: record.sandboxID, name: "pause", image: "pause", state: record.sandbox.pausePID == nil ? "exited" : "running",
                                 pid: record.sandbox.pausePID, restartCount: 0, isSandbox: true)
        return [pause] + record.containers.map { container in
            ContainerRow(id: container.id, name: container.name, image: container.image, state: container.labState,
                         pid: container.state == .running ? container.pid : nil, restartCount: container.restartCount, isSandbox: false)
        }
    }

    /// The namespace inodes of pause and every running container.
    public func namespaces(_ record: PodRecord) -> [NamespaceRow] { NamespaceInspector.table(for: record) }

    /// The pod's shim's process tree: pause, the containers and their children. The shim is
    /// pause's parent: the supervisor on podlab's runtime, containerd-shim on containerd
    /// (docs/FIDELITY.md #160).
    public func processTree(_ record: PodRecord) throws -> ProcessNode {
        let shim = record.sandbox.pausePID.flatMap { ProcessTree.parentPID($0, procRoot: "/proc") }.flatMap { $0 > 1 ? $0 : nil }
        guard let root = shim ?? record.supervisorPID, let tree = ProcessTree.build(root: root) else {
            throw PodlabError(.invalidState, "the supervisor of \(record.spec.name) is not running")
        }
        return tree
    }

    // MARK: wait

    /// Blocks until `condition` holds for pod `key` (the one wait engine, `PodWatcher`) and
    /// returns nil, or returns the last record seen when `deadline` passes first (nil record
    /// state: never read). Throws when the pod goes away or the condition can no longer hold.
    public func wait(_ key: String, name: String, for condition: PodWaitCondition, until deadline: Date) throws -> WaitTimeout? {
        var last: PodRecord?
        // A supervisor that exits during a delete is expected: `--for delete` waits for the directory.
        let met = try PodWatcher(store: store, key: key).wait(until: deadline, watchSupervisor: condition != .deleted) { state -> Bool? in
            if case .present(let record) = state { last = record }
            return try condition.evaluate(state, name: name)
        }
        return met == nil ? WaitTimeout(last: last) : nil
    }
}

/// Reads a pipe to EOF on its own thread, so a chatty process never blocks on a full pipe.
final class PipeDrain: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var data = Data()
    private var finished = false

    init(_ fd: FileDescriptor) {
        Thread.detachNewThread { [self] in
            let handle = FileHandle(fileDescriptor: fd.rawValue, closeOnDealloc: true)
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    /// Everything read, once the writers closed the pipe; nil if that did not happen by
    /// `deadline` (the reading thread then ends when the last writer goes).
    func wait(until deadline: DispatchTime) -> Data? {
        lock.lock()
        defer { lock.unlock() }
        if !finished {
            guard done.wait(timeout: deadline) == .success else { return nil }
            finished = true
        }
        return data
    }
}

private final class ExitBox: @unchecked Sendable {
    var result: Result<SpawnResult, Error>?
}

/// Hands a started process to the thread that waits for it; after `start` only that thread
/// touches it, so the unchecked conformance holds.
private final class SpawnHandle: @unchecked Sendable {
    let started: StartedSpawn
    init(_ started: StartedSpawn) { self.started = started }
}
