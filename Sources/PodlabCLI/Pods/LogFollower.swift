#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import PodKit
import PodlabCore
import SystemPackage

/// `logs -f`, after kubectl: it streams the current attempt's log until that attempt ends or the pod is deleted, as
/// kubelet's log follower stops at the container's exit (`pkg/kubelet/kuberuntime/logs`,
/// `ReadLogs` with `Follow` watches the file with fsnotify and ends once the container is
/// not running). Like `PodWatcher`, it sleeps on inotify: the log file (IN_MODIFY) and the pod
/// directory (the record's rename is IN_MOVED_TO), never on a polling interval.
enum LogFollower {
    /// Prints the CRI log at `status.logPath` from `offset` on, decoded by `decoder`, then follows it until the attempt
    /// `status.id` of `record` is no longer running.
    static func follow(record: PodRecord, container status: ContainerStatus, from offset: Int, decoder: CRILogDecoder, store: PodStore) throws {
        var decoder = decoder
        let path = status.logPath
        let inotify = try checkedSyscall("inotify_init1(IN_NONBLOCK|IN_CLOEXEC)") { inotify_init1(Int32(IN_NONBLOCK) | Int32(IN_CLOEXEC)) }
        defer { close(inotify) }
        guard inotify_add_watch(inotify, path, UInt32(IN_MODIFY) | UInt32(IN_CLOSE_WRITE)) >= 0 else {
            throw PodlabError.syscall("inotify_add_watch(\(path))", Errno(rawValue: errno))
        }
        let directory = store.directory(for: record.key)
        _ = inotify_add_watch(inotify, directory, UInt32(IN_MOVED_TO) | UInt32(IN_DELETE_SELF) | UInt32(IN_ONLYDIR))
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw PodlabError.syscall("open(\(path))", Errno(rawValue: errno)) }
        defer { close(fd) }
        guard lseek(fd, off_t(offset), SEEK_SET) >= 0 else { throw PodlabError.syscall("lseek(\(path))", Errno(rawValue: errno)) }
        var buffer = [UInt8](repeating: 0, count: 65536)
        func drain() throws {
            while true {
                let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw PodlabError.syscall("read(\(path))", Errno(rawValue: errno))
                }
                if count == 0 { return }
                StandardStreams.output(decoder.feed(Data(buffer[0..<count])))
            }
        }
        var events = [UInt8](repeating: 0, count: 4096)
        while true {
            try drain()
            let current = try? store.load(key: record.key)
            let attempt = current?.containers.first { $0.name == status.name }
            if attempt?.id != status.id || attempt?.state != .running {
                try drain()
                StandardStreams.output(decoder.finish())
                return
            }
            var pfd = pollfd(fd: inotify, events: Int16(POLLIN), revents: 0)
            // The timeout only covers a supervisor that dies without a last write.
            let ready = poll(&pfd, 1, 2000)
            if ready < 0 && errno != EINTR { throw PodlabError.syscall("poll(inotify)", Errno(rawValue: errno)) }
            while events.withUnsafeMutableBytes({ read(inotify, $0.baseAddress, $0.count) }) > 0 {}
        }
    }
}
