import Foundation
import Glibc

/// Runs a host tool (iproute2, busybox) to *check* what podlab did. podlab itself never execs
/// these; tests use them as an independent witness.
struct HostCommand {
    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String]) throws -> Output {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        // The child inherits this thread's signal mask (Foundation's posix_spawn does not reset
        // it) and test threads block most signals: busybox ping's -W timeout (SIGALRM) then
        // never fires and a lost reply hangs the suite. Spawn with nothing blocked.
        var none = sigset_t()
        var saved = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }

    static func ip(_ arguments: String...) throws -> Output { try run("/usr/sbin/ip", arguments) }

    /// `ip -j …` parsed as a JSON array of objects.
    static func ipJSON(_ arguments: String...) throws -> [[String: Any]] {
        let output = try run("/usr/sbin/ip", ["-j"] + arguments)
        guard output.status == 0, let data = output.stdout.data(using: .utf8), !output.stdout.isEmpty else { return [] }
        return (try JSONSerialization.jsonObject(with: data) as? [[String: Any]]) ?? []
    }
}
