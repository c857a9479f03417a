import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// crictl habits: a container ID, or a unique prefix of one, works where a pod name does
    /// (issue 15 section 3); an ambiguous prefix is an error listing what it matched.
    @Suite("container IDs for exec, logs, kill, inspect")
    struct ContainerIDTests {
        @Test("exec, logs, kill and inspect take a container ID prefix; a prefix matching a pod and a container is refused with both listed")
        func idPrefixes() throws {
            let cli = try PodlabCLI("container-ids")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: two}
                spec:
                  containers:
                  - {name: app, image: busybox, command: ["sh", "-c", "echo from-app; sleep 3600"], env: [{name: WHO, value: app}]}
                  - {name: side, image: busybox, command: ["sh", "-c", "echo from-side; sleep 3600"], env: [{name: WHO, value: side}]}
                """)
            let sideID = try #require(try cli.inspect("side", pod: "two")["status"]["id"].string)
            let prefix = String(sideID.prefix(12))
            // exec ID: the side container, no pod name and no -c.
            let who = try cli.succeed(["exec", prefix, "--", "sh", "-c", "echo $WHO"]).output
            #expect(who == "side")
            try waitUntil("side has logged") { try cli.succeed(["logs", prefix]).output == "from-side" }
            let inspected = try JSON(parsing: try cli.succeed(["inspect", prefix]).stdout)
            #expect(inspected["status"]["metadata"]["name"].string == "side")
            // -c that contradicts the ID is an error, not a silent choice.
            let contradicted = try cli.run(["exec", prefix, "-c", "app", "--", "true"])
            #expect(contradicted.status != 0 && contradicted.stderr.contains("container side"), "\(contradicted.description)")
            let killed = try cli.succeed(["kill", prefix, "-s", "TERM"]).output
            #expect(killed.contains("SIGTERM to side"), "\(killed)")

            // A pod whose name starts like the app container's ID: that prefix is ambiguous.
            let appID = try #require(try cli.inspect("app", pod: "two")["status"]["id"].string)
            let short = String(appID.prefix(6))
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: \(short)-pod}
                spec:
                  containers:
                  - {name: c, image: busybox, command: ["sleep", "3600"]}
                """, file: "clash.yaml")
            let ambiguous = try cli.run(["exec", short, "--", "true"])
            #expect(ambiguous.status != 0, "\(ambiguous.description)")
            #expect(ambiguous.stderr.contains("ambiguous") && ambiguous.stderr.contains("pod \(short)-pod")
                    && ambiguous.stderr.contains("container app in pod two"), "\(ambiguous.description)")
            // The full pod name still works, and so does a longer ID prefix.
            #expect(try cli.succeed(["exec", "\(short)-pod", "--", "true"]).status == 0)
            #expect(try cli.succeed(["exec", String(appID.prefix(16)), "--", "sh", "-c", "echo $WHO"]).output == "app")
        }
    }
}
