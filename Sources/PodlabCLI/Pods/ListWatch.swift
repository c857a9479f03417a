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
/// tick of a polling loop. Pods created after the watch started are not picked up (kubectl's
/// watch would list them); a pod's last lines are printed when it is deleted or its supervisor
/// exits, and the watch ends once no watched pod can change any more.
enum ListWatch {
    /// One row of the table: `id` names it across changes; a line is printed when its
    /// `signature` (the cells without the ever-changing age column) differs from the last one.
    struct Line {
        var id: String
        var cells: [String]
        var signature: [String]
    }

    /// Prints changed rows of `pods` (the records the table with `widths` was printed from) until
    /// SIGINT, which exits 0 as kubectl's watch does.
    static func run(pods: [PodRecord], widths: [Int], lines: @escaping (PodRecord) -> [Line]) throws {
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
        let output = NSLock()
        let done = DispatchGroup()
        let failures = Failures()
        for pod in pods {
            done.enter()
            let thread = Thread {
                defer { done.leave() }
                // Seeded with the record the table was printed from, so a change between that
                // read and the watch's first read is printed, not lost.
                var seen = Dictionary(lines(pod).map { ($0.id, $0.signature) }) { _, last in last }
                func show(_ record: PodRecord) {
                    for line in lines(record) where seen[line.id] != line.signature {
                        seen[line.id] = line.signature
                        output.lock()
                        print(Table.line(line.cells, widths: widths))
                        fflush(stdout)
                        output.unlock()
                    }
                }
                do {
                    _ = try PodWatcher(store: store, key: pod.key).wait(until: .distantFuture) { state -> Bool? in
                        switch state {
                        case .present(let record):
                            show(record)
                            return nil
                        case .supervisorGone(let record):
                            show(record)
                            return true
                        case .deleted:
                            return true
                        }
                    }
                } catch {
                    failures.add("pod \(pod.spec.name): \(error)")
                }
            }
            thread.start()
        }
        done.wait()
        let failed = failures.all
        if !failed.isEmpty { throw PodlabError(.invalidState, "watch: \(failed.joined(separator: "; "))") }
    }

    /// The watch threads' errors, behind a lock.
    private final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var messages: [String] = []

        func add(_ message: String) {
            lock.lock()
            messages.append(message)
            lock.unlock()
        }

        var all: [String] {
            lock.lock()
            defer { lock.unlock() }
            return messages
        }
    }
}
