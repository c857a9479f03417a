import ContainerdKit
import Foundation
import PodKit
import PodlabCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// podlab beside containerd (issue 13 items 4 and 5): a forced delete of a containerd pod
    /// whose supervisor was SIGKILLed removes the CRI sandbox, `podlab compare` lines up one
    /// manifest on both runtimes, and `podlab run LAB --runtime podlab,containerd` writes one
    /// report with the comparison. One containerd of the test's own (10.231.0.0/16 block) for all.
    @Suite("podlab beside containerd", .serialized)
    struct ContainerdCompareTests {
        @Test("forced delete, compare and the side-by-side run on a containerd the test starts",
              .enabled(if: PodlabTestEnvironment.canRun))
        func sideBySide() throws {
            let cli = try PodlabCLI("containerd compare")
            defer { cli.tearDown() }
            let containerd = try TestContainerd(cli, bridgePrefix: "plcm", subnetBlock: "10.231")
            defer { containerd.stop() }
            let paths = containerd.paths, setup = containerd.setup, instance = containerd.instance, daemon = containerd.daemon
            let endpoint = ["--cri-endpoint", "unix://" + setup.socket]
            // Item 6: a sandbox image the runtime does not have is named, with the fix.
            if case .failure(let missing) = RuntimeDoctor.checkEndpoint(setup.socket, sandboxImage: "podlab.local/not-there:1") {
                #expect(missing.problem.detail.hasSuffix(": sandbox image podlab.local/not-there:1 missing"), "\(missing.problem.detail)")
                #expect(missing.problem.fix == "podlab runtime up containerd imports it (podlab runtime images)")
            } else {
                Issue.record("a missing sandbox image passed the check")
            }
            let shim = ContainerdLabTests.shimEnvironment
            let manifest = LabClaimTests.labsDirectory + "/manifests/alpine-deployment.yaml"

            // Item 4: kill -9 the supervisor of a containerd pod, then delete: the CRI sandbox,
            // its shim and its netns pin must go too (before: they stayed until `runtime down`).
            let applied = try cli.run(["apply", "-f", manifest, "-n", cli.namespace, "--image", "alpine:3.2=busybox", "--runtime", "containerd"] + endpoint,
                                      environment: shim)
            cli.adopt(applied)
            try #require(applied.status == 0, "\(applied.description)")
            let store = PodStore(paths: paths)
            let record = try #require(store.list().first, "no pod after \(applied.description)")
            let sandboxID = try #require(ContainerdPodRuntime.state(paths: paths, key: record.key)?.sandboxID)
            let netnsPin = try #require(record.sandbox.netnsPath)
            let supervisor = try #require(record.supervisorPID)
            #expect(kill(supervisor, SIGKILL) == 0)
            for _ in 0..<100 where kill(supervisor, 0) == 0 { usleep(50_000) }
            let deleted = try cli.run(["delete", record.spec.name, "-n", cli.namespace, "--grace-period", "0"], environment: shim, timeout: 120)
            #expect(deleted.status == 0, "\(deleted.description)")
            let client = try CRIClient(endpoint: "unix://" + setup.socket)
            let sandboxes = try client.listPodSandbox()
            client.close()  // its podlab-cri would count as a leftover at the end
            #expect(!sandboxes.contains { $0.id == sandboxID }, "sandbox \(sandboxID) still listed: \(sandboxes.map(\.id))")
            #expect(instance.shimPids().isEmpty, "shims left: \(instance.shimPids())")
            #expect(!FileManager.default.fileExists(atPath: netnsPin), "netns pin \(netnsPin) left")

            // Item 5: podlab compare, the same collector on both runtimes.
            let compared = try cli.run(["compare", "-f", manifest, "--image", "alpine:3.2=busybox", "-o", "json"] + endpoint,
                                       environment: shim, timeout: 300)
            #expect(compared.status == 0 || compared.status == 1, "\(compared.description)")
            let document = try #require(try JSONSerialization.jsonObject(with: Data(compared.stdout.utf8)) as? [String: Any], "\(compared.description)")
            let comparison = try #require((document["comparisons"] as? [[String: Any]])?.first)
            #expect(comparison["runtimes"] as? [String] == ["podlab", "containerd"])
            let rows = try #require(comparison["rows"] as? [[String: Any]])
            func row(_ fragment: String) -> [String: Any]? { rows.first { ($0["observation"] as? String)?.contains(fragment) == true } }
            // The post's claims hold on both: IP kept across the kill, net/ipc/uts shared with pause.
            #expect(row("IP kept")?["values"] as? [String] == ["kept", "kept"], "\(String(describing: row("IP kept")))")
            let namespaces = try #require(row("container alpine: namespaces")?["values"] as? [String])
            #expect(namespaces.allSatisfy { $0.contains("net=shared") && $0.contains("ipc=shared") && $0.contains("uts=shared") }, "\(namespaces)")
            let restarts = try #require(row("container alpine: restarts")?["values"] as? [String])
            #expect(restarts.allSatisfy { $0.hasPrefix("restartCount=1 lastExitCode=137 lastReason=Error") }, "\(restarts)")
            for name in ["CapEff", "NoNewPrivs", "oom_score_adj", "/etc/resolv.conf", "hostname", "mounts", "environment"] {
                #expect(row("container alpine: \(name)") != nil, "no \(name) row in \(rows.map { $0["observation"] ?? "" })")
            }
            // #210, #225–#228: the container's mount table is runc's (mknod'd devices, the ptmx
            // link, the rw v1 cgroup tmpfs); before, six devtmpfs binds, a devpts bind at
            // /dev/ptmx and a ro tmpfs differed, explained by a known reason now removed.
            let mountsRow = try #require(row("container alpine: mounts"))
            #expect(mountsRow["agree"] as? Bool == true, "\(mountsRow)")
            let mountValues = mountsRow["values"] as? [String] ?? []
            #expect(mountValues.count == 2 && mountValues[0] == mountValues[1], "\(mountValues)")
            #expect(!mountValues.contains { $0.contains("devtmpfs") }, "\(mountValues)")
            // #211: the pod cgroup's values agree now that podlab writes them before
            // RunPodSandbox on containerd too (before: unlimited and 1024 shares there).
            let podCgroupRows = rows.filter { ($0["observation"] as? String)?.contains(": pod cgroup ") == true }
            #expect(!podCgroupRows.isEmpty, "no pod cgroup rows in \(rows.map { $0["observation"] ?? "" })")
            for row in podCgroupRows {
                let values = row["values"] as? [String] ?? []
                #expect(values.count == 2 && values[0] == values[1], "\(row)")
            }
            #expect(try cli.run(["pods", "-q"]).output.isEmpty, "compare left pods")

            // Item 5: one lab on both runtimes, one report with the comparison section.
            let reports = cli.directory + "/reports"
            let result = try cli.run(["run", "pause-persistence", "--runtime", "podlab,containerd", "--report-dir", reports, "--report-format", "json"] + endpoint,
                                     environment: shim.merging(["PODLAB_LABS_DIR": LabClaimTests.labsDirectory]) { $1 }, timeout: 600)
            #expect(result.status == 0, "\(result.description)")
            #expect(result.stdout.contains("disagreements in 1 labs"), "\(result.stdout)")
            let markdown = (try? String(contentsOfFile: reports + "/podlab-report.md", encoding: .utf8)) ?? ""
            #expect(markdown.contains("## Runtime comparison"), "\(markdown.suffix(2000))")
            #expect(markdown.contains("| Observation | podlab | containerd | |"), "\(markdown.suffix(2000))")
            for runtime in ["podlab", "containerd"] {
                let lab = (try? String(contentsOfFile: "\(reports)/pause-persistence.\(runtime).md", encoding: .utf8)) ?? ""
                #expect(lab.hasPrefix("# ✅ pause-persistence.\(runtime)"), "\(lab.prefix(1000))")
            }
            let json = try #require(FileManager.default.contents(atPath: reports + "/podlab-report.json"))
            let suite = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
            #expect((suite["comparison"] as? [String: Any])?["comparisons"] != nil, "no comparison in the suite JSON")
            if let keep = ProcessInfo.processInfo.environment["PODLAB_TEST_KEEP_REPORTS"] {
                try? FileManager.default.removeItem(atPath: keep)
                try? FileManager.default.copyItem(atPath: reports, toPath: keep)
            }
            #expect(try cli.run(["pods", "-q"]).output.isEmpty, "the side-by-side run left pods")

            let removal = try instance.down()
            #expect(removal.containerdStopped)
            #expect(ContainerdCRITests.leftovers(setup: setup, root: cli.directory, pids: [daemon], netnsPins: [netnsPin]) == [])
        }
    }
}
