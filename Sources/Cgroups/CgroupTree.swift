import PodlabCore
import SystemPackage
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Operations on a cgroup directory and its descendants that both drivers share.
struct CgroupTree: Sendable {
    let fileSystem: any CgroupFileSystem

    /// Every directory of the subtree rooted at `root`, children before their parent.
    func directoriesDeepestFirst(_ root: String) throws -> [String] {
        guard fileSystem.exists(root) else { return [] }
        var result: [String] = []
        for child in try fileSystem.subdirectories(of: root) {
            result += try directoriesDeepestFirst(root + "/" + child)
        }
        result.append(root)
        return result
    }

    /// Pids listed in `cgroup.procs` anywhere in the subtrees, without duplicates.
    func processes(inTrees roots: [String]) throws -> [Int32] {
        var seen: Set<Int32> = []
        var ordered: [Int32] = []
        for root in roots {
            for dir in try directoriesDeepestFirst(root) {
                let procs = dir + "/cgroup.procs"
                guard fileSystem.exists(procs) else { continue }
                let text: String
                do {
                    text = try fileSystem.read(procs)
                } catch let error as PodlabError where (error.cause as? Errno).map({ $0 == .noSuchFileOrDirectory || $0 == Errno(rawValue: ENODEV) }) == true {
                    // Removed between the check and the read (a supervisor tearing its pod down
                    // while `podlab clean` kills it, seen in the test VM): kernfs answers ENOENT
                    // on open and ENODEV on read of a removed cgroup. No process lives there.
                    continue
                }
                for line in text.split(separator: "\n") {
                    if let pid = Int32(line.trimmingWhitespace()), pid > 0, seen.insert(pid).inserted {
                        ordered.append(pid)
                    }
                }
            }
        }
        return ordered
    }

    /// SIGKILLs the given pids. Only positive pids read from podlab's own cgroups reach here:
    /// `kill(0)` or `kill(-1)` would hit our process group or every process.
    func sigkill(_ pids: [Int32]) {
        for pid in pids where pid > 0 {
            _ = kill(pid, SIGKILL)  // ESRCH: it already exited, which is the goal.
        }
    }

    /// Repeats SIGKILL over the subtrees until no process is left, or throws after `timeout`.
    func killUntilEmpty(_ roots: [String], timeout: Double, signal: Bool = true) throws {
        let deadline = monotonicSeconds() + timeout
        // A SIGKILLed process leaves its cgroup within microseconds: poll fast, then back off.
        var pause: UInt32 = 200
        while true {
            let pids = try processes(inTrees: roots)
            if pids.isEmpty { return }
            if monotonicSeconds() > deadline {
                throw PodlabError(
                    .timeout,
                    "processes \(pids.map(String.init).joined(separator: ", ")) still in \(roots.joined(separator: ", ")) "
                        + "\(timeout)s after SIGKILL")
            }
            if signal { sigkill(pids) }
            usleep(pause)
            pause = min(pause * 2, 10_000)
        }
    }

    /// Removes the subtrees deepest first, retrying EBUSY until `timeout`; ENOENT is success.
    func removeTrees(_ roots: [String], timeout: Double) throws {
        for root in roots {
            for dir in try directoriesDeepestFirst(root) {
                try removeRetryingBusy(dir, timeout: timeout)
            }
        }
    }

    private func removeRetryingBusy(_ dir: String, timeout: Double) throws {
        let deadline = monotonicSeconds() + timeout
        var pause: UInt32 = 500
        while true {
            do {
                try fileSystem.removeDirectory(dir)
                return
            } catch let error as PodlabError {
                let errno = error.cause as? Errno
                if errno == .noSuchFileOrDirectory { return }
                if errno == .resourceBusy, monotonicSeconds() < deadline {
                    usleep(pause)
                    pause = min(pause * 2, 20_000)
                    continue
                }
                throw error
            }
        }
    }

    /// Reads a flat keyed file (`memory.events`, `memory.oom_control`, `cgroup.events`) into a
    /// dictionary: one `key value` pair per line.
    func readKeyed(_ path: String) throws -> [String: String] {
        var values: [String: String] = [:]
        for line in try fileSystem.read(path).split(separator: "\n") {
            let fields = line.split(separator: " ", maxSplits: 1)
            if fields.count == 2 { values[String(fields[0])] = String(fields[1]).trimmingWhitespace() }
        }
        return values
    }

    /// The `oom_kill` counter of a keyed file.
    func oomKillCounter(in path: String) throws -> UInt64 {
        guard let text = try readKeyed(path)["oom_kill"], let count = UInt64(text) else {
            throw PodlabError(.unsupported, "\(path) has no oom_kill counter (kernel older than 4.13?)")
        }
        return count
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }),
              let last = lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(self[first...last])
    }
}
