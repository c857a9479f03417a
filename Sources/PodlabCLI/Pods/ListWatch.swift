import Foundation
import PodKit
import PodlabCore

#if canImport(Glibc)
import Glibc
#endif

/// `pods -w` / `ps -w`: after the table, one line per row that changed, as `kubectl get -w`
/// prints a modified object's row (`kubectl/pkg/cmd/get/get.go` `watch`), until Ctrl-C.
///
/// Driven by `PodWatcher` (inotify on each pod's directory and a pidfd of its supervisor), one
/// thread per watched pod, so a change is printed when the supervisor writes it, not at the next
/// tick of a polling loop. An inotify watch on the pods directory picks up pods created after the
/// watch started: their rows are printed once their record is written, if the filters admit them
/// (kubectl's watch prints an ADDED object's row). A pod's last lines are printed when it is
/// deleted or its supervisor exits; the watch itself runs until Ctrl-C, as kubectl's does.
enum ListWatch {
    /// One row of the table: `id` names it across changes; a line is printed when its
    /// `signature` (the cells without the ever-changing age column) differs from the last one.
    struct Line {
        var id: String
        var cells: [String]
        var signature: [String]
    }

    /// Prints changed rows of `pods` (the records the table with `widths` was printed from), and
    /// the rows of pods created later that `admits` accepts, until SIGINT, which exits 0 as
    /// kubectl's watch does.
    static func run(pods: [PodRecord], widths: [Int], admits: @escaping (PodRecord) -> Bool,
                    lines: @escaping (PodRecord) -> [Line]) throws {
        // Ctrl-C is the normal end of a watch: exit 0 at once (every line is already flushed).
        signal(SIGINT) { _ in _exit(0) }
        // A parent may have started us with SIGINT blocked (the mask is inherited across exec,
        // and the watch threads inherit it from here): unblock it, or Ctrl-C would never land.
        var interrupt = sigset_t()
        sigemptyset(&interrupt)
        sigaddset(&interrupt, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &interrupt, nil)
        // The table was printed into stdio's buffer (a pipe or file is block-buffered): show it now.
        fflush(stdout)
        let store = PodStore.current
        let watch = Watch(store: store, widths: widths, admits: admits, lines: lines)
        // The pods directory first, so a pod created while the per-pod threads start is not missed.
        let directory = try PodsDirectoryWatch(store.paths.podsDir)
        for pod in pods { watch.follow(key: pod.key, shown: pod) }
        // Pods already listed when the directory watch was set are skipped by `follow`.
        for record in store.list() { watch.follow(key: record.key, shown: nil) }
        while true {
            for key in try directory.nextCreated() { watch.follow(key: key, shown: nil) }
        }
    }

    /// The watched pods: one thread each, started once per pod key.
    private final class Watch: @unchecked Sendable {
        let store: PodStore
        let widths: [Int]
        let admits: (PodRecord) -> Bool
        let lines: (PodRecord) -> [Line]
        private let lock = NSLock()
        private var followed: Set<String> = []

        init(store: PodStore, widths: [Int], admits: @escaping (PodRecord) -> Bool, lines: @escaping (PodRecord) -> [Line]) {
            self.store = store
            self.widths = widths
            self.admits = admits
            self.lines = lines
        }

        /// Starts a thread printing the pod's changed rows, unless one runs for `key` already.
        /// `shown` is the record the table was printed from (its rows are not printed again);
        /// nil for a pod found later, whose rows are printed once if `admits` accepts it.
        func follow(key: String, shown: PodRecord?) {
            lock.lock()
            let isNew = followed.insert(key).inserted
            lock.unlock()
            guard isNew else { return }
            Thread { self.watch(key: key, shown: shown) }.start()
        }

        private func watch(key: String, shown: PodRecord?) {
            // Seeded with the record the table was printed from, so a change between that read
            // and the watch's first read is printed, not lost.
            var seen = Dictionary((shown.map(lines) ?? []).map { ($0.id, $0.signature) }) { _, last in last }
            var admitted = shown != nil
            func show(_ record: PodRecord) -> Bool? {
                if !admitted {
                    guard admits(record) else { return true }  // not ours: stop following it
                    admitted = true
                }
                for line in lines(record) where seen[line.id] != line.signature {
                    seen[line.id] = line.signature
                    lock.lock()
                    print(Table.line(line.cells, widths: widths))
                    fflush(stdout)
                    lock.unlock()
                }
                return nil
            }
            do {
                _ = try PodWatcher(store: store, key: key).wait(until: .distantFuture) { state -> Bool? in
                    switch state {
                    case .present(let record):
                        return show(record)
                    case .supervisorGone(let record):
                        _ = show(record)
                        return true
                    case .deleted:
                        return true
                    }
                }
            } catch {
                // The other pods' rows keep coming, as a kubectl watch goes on past one bad object.
                lock.lock()
                StandardStreams.error("podlab: watch of pod \(key) stopped: \(error)\n")
                lock.unlock()
            }
        }
    }

    /// inotify on the pods directory (`<state>/pods`): the names of pod directories created in it.
    private final class PodsDirectoryWatch {
        private let fd: Int32
        private let path: String

        init(_ path: String) throws {
            self.path = path
            try FileSystem.makeDirectories(path)  // as PodStore.create makes it
            fd = try checkedSyscall("inotify_init1(IN_CLOEXEC)") { inotify_init1(Int32(IN_CLOEXEC)) }
            let mask = UInt32(IN_CREATE) | UInt32(IN_MOVED_TO) | UInt32(IN_ONLYDIR)
            if inotify_add_watch(fd, path, mask) < 0 {
                let code = errno
                close(fd)
                throw PodlabError.syscall("inotify_add_watch(\(path))", .init(rawValue: code))
            }
        }

        deinit { close(fd) }

        /// Blocks until entries are created in the directory; returns their names.
        func nextCreated() throws -> [String] {
            var buffer = [UInt8](repeating: 0, count: 16 * 1024)
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { return [] }
                throw PodlabError.syscall("read(inotify on \(path))", .init(rawValue: errno))
            }
            var names: [String] = []
            var offset = 0
            let header = MemoryLayout<inotify_event>.size
            while offset + header <= count {
                let length = buffer.withUnsafeBytes { Int($0.load(fromByteOffset: offset + 12, as: UInt32.self)) }
                let nameStart = offset + header
                guard nameStart + length <= count else { break }
                let nameBytes = buffer[nameStart..<nameStart + length].prefix { $0 != 0 }
                if !nameBytes.isEmpty { names.append(String(decoding: nameBytes, as: UTF8.self)) }
                offset = nameStart + length
            }
            return names
        }
    }
}
