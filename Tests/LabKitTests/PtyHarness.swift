import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A pseudo-terminal for driving `podlab walk` like a student at a keyboard: the walk reads
/// keys from and writes to the slave side (a real TTY, so raw mode is exercised); the test
/// types on the master side and reads the screen text. Closed on `close()` / deinit.
final class PtyHarness: @unchecked Sendable {
    let master: Int32
    let slave: Int32
    private let lock = NSLock()
    private var screen = Data()
    private var closed = false

    init() throws {
        // posix_openpt/unlockpt/ptsname are hidden by the Glibc module; these are the ioctls
        // they wrap (TIOCSPTLCK, TIOCGPTN from <asm-generic/ioctls.h>).
        let master = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        var unlock: Int32 = 0
        var number: UInt32 = 0
        guard master >= 0, ioctl(master, UInt(0x4004_5431), &unlock) == 0, ioctl(master, UInt(0x8004_5430), &number) == 0 else {
            if master >= 0 { Glibc.close(master) }
            throw POSIXError(.ENOTTY)
        }
        let slave = open("/dev/pts/\(number)", O_RDWR | O_NOCTTY)
        guard slave >= 0 else {
            Glibc.close(master)
            throw POSIXError(.ENOENT)
        }
        self.master = master
        self.slave = slave
        let thread = Thread { [weak self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while let self {
                var descriptor = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
                if self.isClosed { return }
                guard poll(&descriptor, 1, 50) > 0 else { continue }
                let count = read(master, &buffer, buffer.count)
                if count <= 0 { return }
                self.lock.lock()
                self.screen.append(contentsOf: buffer[0..<count])
                self.lock.unlock()
            }
        }
        thread.start()
    }

    private var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    /// Everything written to the terminal so far.
    var text: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: screen, as: UTF8.self)
    }

    /// Writes to the slave, as the walk's output.
    func writeScreen(_ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let count = bytes[offset...].withUnsafeBytes { Glibc.write(slave, $0.baseAddress, $0.count) }
            if count <= 0 { return }
            offset += count
        }
    }

    /// Sets the terminal's size (TIOCSWINSZ on the master, as a terminal emulator does when its
    /// window is resized; the kernel then sends SIGWINCH to the foreground process group).
    func setSize(columns: UInt16, rows: UInt16 = 40) {
        var size = winsize(ws_row: rows, ws_col: columns, ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(master, UInt(TIOCSWINSZ), &size)
    }

    /// The screen as lines, without the `\r` the terminal adds and without ANSI escapes.
    var lines: [String] {
        text.replacingOccurrences(of: "\r", with: "").split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// Types keys.
    func type(_ keys: String) {
        _ = keys.utf8CString.withUnsafeBufferPointer { Glibc.write(master, $0.baseAddress, keys.utf8.count) }
    }

    /// Waits until the screen shows `needle` `count` times; false on timeout.
    func waitFor(_ needle: String, count: Int = 1, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if text.components(separatedBy: needle).count - 1 >= count { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    func close() {
        lock.lock()
        let wasClosed = closed
        closed = true
        lock.unlock()
        guard !wasClosed else { return }
        Thread.sleep(forTimeInterval: 0.1)  // let the reader thread leave poll()
        Glibc.close(slave)
        Glibc.close(master)
    }

    deinit { close() }
}
