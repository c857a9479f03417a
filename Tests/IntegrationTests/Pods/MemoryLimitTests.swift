import Foundation
import Testing

extension PodTests {
    /// Issue 3 / docs/FIDELITY.md #21, #32: a memory limit is the container cgroup's limit, and
    /// exceeding it is an OOM kill reported as 137 OOMKilled.
    @Suite("resources: memory limit and OOM kill")
    struct MemoryLimitTests {
        @Test("limits.memory 100Mi is the cgroup's limit while it runs; allocating 300 MiB is OOMKilled with 137 and the pod fails")
        func oomKill() throws {
            let cli = try PodlabCLI("oomKill")
            defer { cli.tearDown() }
            // The container waits for /tmp/go so the test can read its cgroup while it runs;
            // `exec dd` makes the allocating process the container's main process (on cgroup v1
            // the kernel kills one process, #21).
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: hog}
                spec:
                  restartPolicy: Never
                  terminationGracePeriodSeconds: 0
                  containers:
                  - name: hog
                    image: busybox
                    command: ["sh", "-c", "while [ ! -e /tmp/go ]; do sleep 0.05; done; exec dd if=/dev/zero of=/dev/null bs=300M count=1"]
                    resources:
                      limits: {memory: 100Mi}
                """)
            let pid = try cli.pid("hog", pod: "hog")
            let limit = try #require(memoryLimit(ofProcess: pid), "no memory cgroup limit found for pid \(pid)")
            #expect(limit == 100 * 1024 * 1024)

            #expect(try cli.exec("hog", "hog", "touch", "/tmp/go").status == 0)
            try waitUntil("the container has terminated") { try cli.inspect("hog", pod: "hog")["status"]["kubeState"].string == "terminated" }
            let status = try cli.inspect("hog", pod: "hog")["status"]
            #expect(status["exitCode"].int == 137)
            #expect(status["reason"].string == "OOMKilled")
            #expect(status["restartCount"].int == 0, "restartPolicy Never")
            try waitUntil("the pod is Failed") { try cli.inspectPod("hog")["info"]["podlab"]["phase"].string == "Failed" }
        }
    }
}

/// The memory limit of a process's cgroup, read the way a user would: the cgroup path from
/// `/proc/<pid>/cgroup`, then v1 `memory.limit_in_bytes` or v2 `memory.max`.
func memoryLimit(ofProcess pid: Int32) -> Int64? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/cgroup", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") {
        let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 3 else { continue }
        if fields[1].split(separator: ",").contains("memory") {
            return readInteger("/sys/fs/cgroup/memory\(fields[2])/memory.limit_in_bytes")
        }
        if fields[0] == "0" && fields[1].isEmpty, let value = readInteger("/sys/fs/cgroup\(fields[2])/memory.max") {
            return value
        }
    }
    return nil
}

func readInteger(_ path: String) -> Int64? {
    (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
}
