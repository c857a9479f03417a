import Foundation
import PodlabCore
import PodlabSyscalls

#if canImport(Glibc)
import Glibc
#endif

/// What the wait engine saw of one pod.
public enum PodWatchState: Sendable {
    /// The record as the supervisor last wrote it.
    case present(PodRecord)
    /// The pod directory is gone: the pod was deleted.
    case deleted
    /// The supervisor, the only writer of the record, has exited while the pod directory
    /// remains: the record will not change any more (the last version is given).
    case supervisorGone(PodRecord)
}

/// podlab's one wait engine (docs/FIDELITY.md #141), used by `podlab wait` and by a lab's `wait`.
///
/// Event-driven, no fixed-interval polling: it sleeps in `poll(2)` on an inotify watch of the
/// pod directory (the supervisor replaces `pod.json` with `rename(2)`, which is `IN_MOVED_TO`;
/// removing the directory is `IN_DELETE_SELF`) and on a pidfd of the supervisor (readable once
/// it exits, so a dead supervisor is noticed at once instead of by a periodic `kill(pid, 0)`).
/// The record is re-read only after an event, so a step's time is the pod's real latency.
/// Like kubectl's watch-based `wait` (`kubectl/pkg/cmd/wait/wait.go`), but the watch is the
/// kernel's rather than the API server's.
public struct PodWatcher {
    public let store: PodStore
    public let key: String

    public init(store: PodStore, key: String) {
        self.store = store
        self.key = key
    }

    /// Calls `evaluate` with the pod's current state, then again after every change, until it
    /// returns a value (returned) or `deadline` passes (returns nil). `evaluate` may throw to
    /// stop early. After `.deleted` or `.supervisorGone` nothing more can change, so a nil
    /// answer to those ends the wait with an error naming the pod. With
    /// `watchSupervisor: false` a dead supervisor is not reported (`--for delete`: `podlab
    /// delete` may still be removing the pod itself).
    public func wait<T>(until deadline: Date, watchSupervisor: Bool = true, _ evaluate: (PodWatchState) throws -> T?) throws -> T? {
        let directory = store.directory(for: key)
        let inotify = try checkedSyscall("inotify_init1(IN_NONBLOCK|IN_CLOEXEC)") {
            inotify_init1(Int32(IN_NONBLOCK) | Int32(IN_CLOEXEC))
        }
        defer { close(inotify) }
        // The watch is in place before the first read, so no change between read and sleep is lost.
        let mask = UInt32(IN_MOVED_TO) | UInt32(IN_CLOSE_WRITE) | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF) | UInt32(IN_ONLYDIR)
        if inotify_add_watch(inotify, directory, mask) < 0 {
            let code = errno
            guard code == ENOENT else {
                throw PodlabError(.syscall, "inotify_add_watch(\(directory)): \(String(cString: strerror(code)))")
            }
            return try finalAnswer(evaluate(.deleted), "pod \(key) is deleted")
        }
        var supervisor: WatchedProcess?
        while true {
            let record: PodRecord
            do {
                record = try store.load(key: key)
            } catch let error as PodlabError where error.code == .notFound {
                if access(directory, F_OK) != 0 { return try finalAnswer(evaluate(.deleted), "pod \(key) was deleted") }
                // Created but not yet written (apply writes it once): wait for the first write.
                guard try sleep(inotify: inotify, supervisor: nil, until: deadline) != .timeout else { return nil }
                continue
            }
            if !watchSupervisor {
                supervisor = nil
            } else if supervisor?.pid != record.supervisorPID {
                supervisor = record.supervisorPID.flatMap { WatchedProcess.supervisor(pid: $0, key: key) }
            }
            if watchSupervisor, record.supervisorPID != nil, supervisor == nil || supervisor?.exited == true {
                // Re-read: the supervisor's last write may have landed just before it exited.
                let last = (try? store.load(key: key)) ?? record
                if access(directory, F_OK) != 0 { return try finalAnswer(evaluate(.deleted), "pod \(key) was deleted") }
                return try finalAnswer(evaluate(.supervisorGone(last)),
                                       "the supervisor of pod \(key) (pid \(record.supervisorPID.map(String.init) ?? "?")) is gone, so the pod will not change any more; see \(directory)/supervisor.log, or run podlab clean")
            }
            if let answer = try evaluate(.present(record)) { return answer }
            switch try sleep(inotify: inotify, supervisor: supervisor, until: deadline) {
            case .timeout: return nil
            case .changed: continue
            case .deleted: return try finalAnswer(evaluate(.deleted), "pod \(key) was deleted")
            }
        }
    }

    private func finalAnswer<T>(_ answer: T?, _ message: String) throws -> T? {
        guard let answer else { throw PodlabError(message.contains("supervisor") ? .invalidState : .notFound, message) }
        return answer
    }

    private enum Wakeup { case timeout, changed, deleted }

    /// Sleeps until an inotify event, the supervisor's exit, or the deadline; drains the events.
    private func sleep(inotify: Int32, supervisor: WatchedProcess?, until deadline: Date) throws -> Wakeup {
        var fds = [pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)]
        if let supervisor { fds.append(pollfd(fd: supervisor.descriptor, events: Int16(POLLIN), revents: 0)) }
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return .timeout }
            // Round up: waking a little after the deadline is better than spinning before it.
            let milliseconds = Int32(min(remaining * 1000, Double(Int32.max - 1)).rounded(.up))
            let ready = poll(&fds, nfds_t(fds.count), milliseconds)
            if ready < 0 {
                if errno == EINTR { continue }
                throw PodlabError(.syscall, "poll(inotify of \(store.directory(for: key))): \(String(cString: strerror(errno)))")
            }
            if ready == 0 { continue }  // the loop head decides whether the deadline passed
            let events = fds[0].revents != 0 ? drain(inotify) : (record: false, deleted: false)
            if events.deleted { return .deleted }
            // A readable pidfd (the supervisor exited) or a new pod.json: re-read. Events for
            // other files (the writer's temporary file, logs) only wake us up.
            if events.record || (fds.count > 1 && fds[1].revents != 0) { return .changed }
        }
    }

    /// Reads every queued event: whether `pod.json` was replaced or written, and whether the
    /// watched directory itself went away.
    private func drain(_ inotify: Int32) -> (record: Bool, deleted: Bool) {
        let recordName = (store.recordPath(for: key) as NSString).lastPathComponent
        var record = false, deleted = false
        let size = 4096
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: MemoryLayout<inotify_event>.alignment)
        defer { buffer.deallocate() }
        let header = MemoryLayout<inotify_event>.size
        while true {
            let count = read(inotify, buffer, size)
            if count <= 0 { break }
            var offset = 0
            while offset + header <= count {
                let event = buffer.load(fromByteOffset: offset, as: inotify_event.self)
                let length = Int(event.len)
                if event.mask & (UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF) | UInt32(IN_IGNORED)) != 0 { deleted = true }
                if length > 0, offset + header + length <= count {
                    // The name is NUL-padded to `len` bytes.
                    let bytes = UnsafeRawBufferPointer(start: buffer + offset + header, count: length).prefix { $0 != 0 }
                    if String(decoding: bytes, as: UTF8.self) == recordName { record = true }
                }
                offset += header + length
            }
        }
        return (record, deleted)
    }
}

extension WatchedProcess {
    /// The supervisor of pod `key` held by a pidfd; nil if `pid` is gone or is not
    /// `podlab supervise <key>` (checked after opening, so a reused pid cannot slip in later).
    static func supervisor(pid: Int32, key: String) -> WatchedProcess? {
        guard let process = try? WatchedProcess(pid: pid), PodRecord.isSupervisor(pid, key: key) else { return nil }
        return process
    }

    /// Whether the process has exited (its pidfd is readable), without sleeping.
    var exited: Bool { waitUntilReady(descriptor, events: Int16(POLLIN), deadline: 0) }
}
