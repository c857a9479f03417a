#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Foundation
import PodlabCore
import PodlabSyscalls
import SystemPackage

/// Copies a container's stdout and stderr from two pipes into its log file in the CRI log
/// format (docs/FIDELITY.md #200), as containerd's shim does (`pkg/cri/io/logger.go`,
/// `redirectLogs`: one copier per stream, a line per entry, lines longer than
/// `CRILog.maxLineSize` split into `P` pieces, the write time of each entry).
///
/// One small thread per container, inside the supervisor (the pod's shim): it polls both read
/// ends and ends when both reach EOF, that is when the container and every process that
/// inherited its stdout/stderr are gone. The supervisor's main thread blocks its signals
/// before any copier starts, so a copier never takes a SIGCHLD or SIGTERM meant for the loop.
///
/// When the supervisor dies, the read ends close with it; the container's next write gets
/// EPIPE, and SIGPIPE kills any process but the container's PID 1 (the kernel spares a
/// namespace init a default-action signal), as with a killed containerd-shim (docs/FIDELITY.md #203).
public final class ContainerLogCopier: @unchecked Sendable {
    /// The write ends, for the container's fd 1 and 2; the caller closes them after the spawn.
    public struct Outputs {
        public var stdout: FileDescriptor
        public var stderr: FileDescriptor
    }

    struct Source {
        var fd: Int32
        var stream: CRILogStream
        var buffer: [UInt8] = []
        var open = true
    }

    let path: String
    let log: Int32
    var sources: [Source]
    /// Guards `polling`: set while the thread sleeps in poll with nothing left to write.
    let lock = NSLock()
    var polling = false

    static let registryLock = NSLock()
    nonisolated(unsafe) static var running: [String: ContainerLogCopier] = [:]

    init(path: String, log: Int32, stdout: Int32, stderr: Int32) {
        self.path = path
        self.log = log
        self.sources = [Source(fd: stdout, stream: .stdout), Source(fd: stderr, stream: .stderr)]
    }

    /// Opens (appending) the log at `path`, makes the two pipes and starts the copier.
    public static func start(path: String) throws -> Outputs {
        try FileSystem.makeDirectories((path as NSString).deletingLastPathComponent)
        let log = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw PodlabError.syscall("open(\(path))", Errno(rawValue: errno)) }
        let out: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
        let err: (readEnd: FileDescriptor, writeEnd: FileDescriptor)
        do {
            out = try makeCloseOnExecPipe("stdout of \(path)")
        } catch {
            close(log)
            throw error
        }
        do {
            err = try makeCloseOnExecPipe("stderr of \(path)")
        } catch {
            close(log)
            try? out.readEnd.close()
            try? out.writeEnd.close()
            throw error
        }
        let copier = ContainerLogCopier(path: path, log: log, stdout: out.readEnd.rawValue, stderr: err.readEnd.rawValue)
        registryLock.withLock { running[path] = copier }
        do {
            // The loop needs little: its read buffer is on the heap, no recursion. 64 KiB of
            // stack is what the copier touches with room to spare (glibc's default is 8 MiB of
            // address space; only touched pages cost memory, but a small mapping keeps it so).
            try SupervisorThread.start("log copier for \(path)", stackSize: 64 * 1024) { copier.run() }
        } catch {
            registryLock.withLock { running[path] = nil }
            for fd in [log, out.readEnd.rawValue, err.readEnd.rawValue] { close(fd) }
            try? out.writeEnd.close()
            try? err.writeEnd.close()
            throw error
        }
        return Outputs(stdout: out.writeEnd, stderr: err.writeEnd)
    }

    /// Waits (at most `timeout` seconds) until the copier of `path` has written everything the
    /// container wrote: its pipes are at EOF, or empty with the copier back in poll. The
    /// supervisor calls it after reaping the container, before it reads the log (the
    /// termination message's `FallbackToLogsOnError`), as containerd's shim waits for its
    /// copiers before it reports the exit (`process.io.Wait`).
    public static func settle(path: String, timeout: Double = 1) {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let copier = registryLock.withLock({ running[path] }) else { return }
            if copier.isIdle() { return }
            usleep(2000)
        }
    }

    func isIdle() -> Bool {
        lock.withLock {
            guard polling else { return false }
            return sources.allSatisfy { source in
                guard source.open else { return true }
                var pending: Int32 = 0
                return ioctl(source.fd, UInt(FIONREAD), &pending) == 0 && pending == 0
            }
        }
    }

    func run() {
        // 16 KiB per read: the buffer lives as long as the container, in every pod's supervisor.
        // containerd's CRI logger reads through a bufio.Reader of about one pipe page
        // (`bufSize` in pkg/cri/io/logger.go); a larger burst just takes several reads.
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while sources.contains(where: \.open) {
            var fds = sources.map { pollfd(fd: $0.open ? $0.fd : -1, events: Int16(POLLIN), revents: 0) }
            lock.withLock { polling = true }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            lock.withLock { polling = false }
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for i in sources.indices where sources[i].open && fds[i].revents != 0 {
                let count = chunk.withUnsafeMutableBytes { read(sources[i].fd, $0.baseAddress, $0.count) }
                if count < 0 && (errno == EINTR || errno == EAGAIN) { continue }
                if count <= 0 {
                    // EOF: containerd writes what is left of an unterminated line as partial.
                    flush(&sources[i], atEOF: true)
                    close(sources[i].fd)
                    sources[i].open = false
                    continue
                }
                sources[i].buffer += chunk[0..<count]
                flush(&sources[i], atEOF: false)
            }
        }
        for source in sources where source.open { close(source.fd) }
        close(log)
        Self.registryLock.withLock { Self.running[path] = nil }
    }

    /// Writes the complete lines of `source`'s buffer (and pieces of an over-long one).
    func flush(_ source: inout Source, atEOF: Bool) {
        var entries: [UInt8] = []
        let timestamp = CRILog.timestamp()
        var start = 0
        let buffer = source.buffer
        while start < buffer.count {
            if let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                var pieceStart = start
                while newline - pieceStart > CRILog.maxLineSize {
                    entries += CRILogEntry(timestamp: timestamp, stream: source.stream, partial: true,
                                           content: Array(buffer[pieceStart..<pieceStart + CRILog.maxLineSize])).encoded
                    pieceStart += CRILog.maxLineSize
                }
                entries += CRILogEntry(timestamp: timestamp, stream: source.stream, partial: false,
                                       content: Array(buffer[pieceStart..<newline])).encoded
                start = newline + 1
            } else if buffer.count - start > CRILog.maxLineSize {
                entries += CRILogEntry(timestamp: timestamp, stream: source.stream, partial: true,
                                       content: Array(buffer[start..<start + CRILog.maxLineSize])).encoded
                start += CRILog.maxLineSize
            } else if atEOF {
                entries += CRILogEntry(timestamp: timestamp, stream: source.stream, partial: true,
                                       content: Array(buffer[start...])).encoded
                start = buffer.count
            } else {
                break
            }
        }
        source.buffer.removeFirst(start)
        guard !entries.isEmpty else { return }
        // One write per batch, O_APPEND: a reader sees whole entries (a pipe read rarely
        // exceeds 64 KiB, far below what a regular-file write splits).
        var offset = 0
        while offset < entries.count {
            let written = entries.withUnsafeBytes { write(log, $0.baseAddress.map { $0 + offset }, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                // A full disk: the entries are dropped, as containerd drops them on a write error.
                return
            }
            offset += written
        }
    }
}
