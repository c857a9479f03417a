import Foundation

/// A one-line spinner with elapsed time (`⠹ wait for pod web phase=Running  3.2 s`), redrawn
/// in place with `\r` while an operation runs. Only for terminals: on a pipe it draws nothing.
final class ProgressLine: @unchecked Sendable {
    private static let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]
    private let lock = NSLock()
    private let write: (String) -> Void
    private let width: Int
    private var text = ""
    private var started = Date()
    private var generation = 0
    private var active = false

    init(width: Int, write: @escaping (String) -> Void) {
        self.width = width
        self.write = write
    }

    /// Starts (or restarts) the spinner with `text`.
    func start(_ text: String) {
        lock.lock()
        self.text = text
        started = Date()
        generation += 1
        active = true
        let mine = generation
        lock.unlock()
        let thread = Thread { [weak self] in
            var frame = 0
            while let self, self.draw(frame: frame, generation: mine) {
                frame += 1
                Thread.sleep(forTimeInterval: 0.1)
            }
        }
        thread.start()
    }

    /// Changes the text, keeping the clock (an `eventually` retry).
    func update(_ text: String) {
        lock.lock()
        self.text = text
        lock.unlock()
    }

    /// Erases the line; the caller prints the final result.
    func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard active else { return }
        active = false
        generation += 1
        write("\r\u{1B}[K")
    }

    private func draw(frame: Int, generation mine: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard active, generation == mine else { return false }
        let elapsed = String(format: "%.1f s", Date().timeIntervalSince(started))
        let room = max(10, width - elapsed.count - 5)
        let shown = text.count > room ? String(text.prefix(room - 1)) + "…" : text
        write("\r\u{1B}[K\(Self.frames[frame % Self.frames.count]) \(shown)  \(elapsed)")
        return true
    }
}
