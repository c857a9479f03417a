import Foundation
import RootfsKit

/// Progress of a pull on stderr: on a terminal, one bar per layer redrawn in place (at most
/// ten times a second); otherwise one line per finished blob, so logs stay readable.
final class PullProgressPrinter: @unchecked Sendable {
    let tty: Bool
    private var lastDraw: UInt64 = 0
    private let lock = NSLock()

    init(tty: Bool) {
        self.tty = tty
    }

    func report(_ event: RegistryPuller.PullEvent) {
        lock.lock()
        defer { lock.unlock() }
        switch event {
        case let .resolved(digest, platform, layers):
            write("resolved \(digest) (\(platform), \(layers) layer\(layers == 1 ? "" : "s"))\n")
        case let .blob(digest, received, total):
            guard tty else { return }
            let now = DispatchTime.now().uptimeNanoseconds
            guard now - lastDraw > 100_000_000 || received == total else { return }
            lastDraw = now
            write("\r\(Self.short(digest))  \(Self.bar(received, total))  \(Self.size(received)) / \(Self.size(total))\u{1B}[K")
        case let .blobDone(digest, size, cached, resumedFrom):
            let how = cached ? "already present" : resumedFrom > 0 ? "resumed at \(Self.size(resumedFrom))" : "downloaded"
            write((tty ? "\r" : "") + "\(Self.short(digest))  \(Self.size(size))  \(how)\(tty ? "\u{1B}[K" : "")\n")
        case .flattening:
            write("flattening layers\n")
        }
    }

    private func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static func short(_ digest: String) -> String { String(digest.dropFirst("sha256:".count).prefix(12)) }

    static func bar(_ received: Int64, _ total: Int64) -> String {
        let width = 30
        let filled = total > 0 ? Int(min(Int64(width), received * Int64(width) / total)) : width
        return "[" + String(repeating: "=", count: filled) + String(repeating: " ", count: width - filled) + "]"
    }

    static func size(_ bytes: Int64) -> String {
        bytes < 1000 ? "\(bytes) B" : bytes < 1_000_000 ? String(format: "%.1f kB", Double(bytes) / 1e3) : String(format: "%.1f MB", Double(bytes) / 1e6)
    }
}
