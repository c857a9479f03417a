import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

extension PodTests {
    /// `apply -f` as kubectl users type it: `-` (a shell pipe), `/dev/fd/N`, a directory, repeated
    /// `-f`; errors keep the position in the source they came from (issue 15 section 3).
    @Suite("podlab apply -f sources")
    struct ApplyInputTests {
        static func pod(_ name: String, extra: String = "") -> String {
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: \(name)}
            spec:
              containers:
              - name: app
                image: busybox
                command: ["sleep", "3600"]\(extra)
            """
        }

        @Test("cat <<EOF | podlab apply -f - creates the pod; /dev/fd/0 reads the same pipe")
        func standardInput() throws {
            let cli = try PodlabCLI("apply-stdin")
            defer { cli.tearDown() }
            let piped = try cli.run(["apply", "-f", "-", "-n", cli.namespace], input: Self.pod("piped"))
            cli.adopt(piped)
            try #require(piped.status == 0, "\(piped.description)")
            #expect(piped.stdout.contains("pod/piped created"), "\(piped.description)")
            let fd = try cli.run(["apply", "-f", "/dev/fd/0", "-n", cli.namespace], input: Self.pod("fd"))
            cli.adopt(fd)
            try #require(fd.status == 0, "\(fd.description)")
            #expect(fd.stdout.contains("pod/fd created"), "\(fd.description)")
            let pods = try cli.succeed(["pods", "--namespace", cli.namespace]).stdout
            #expect(pods.contains("piped") && pods.contains("fd"), "\(pods)")
        }

        @Test("a directory gives its .yaml/.yml/.json files in order; a ConfigMap in one file serves a pod in another -f")
        func directoryAndRepeated() throws {
            let cli = try PodlabCLI("apply-dir")
            defer { cli.tearDown() }
            let dir = "\(cli.directory)/manifests"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Self.pod("b-yaml").write(toFile: "\(dir)/b.yaml", atomically: true, encoding: .utf8)
            try Self.pod("a-yml").write(toFile: "\(dir)/a.yml", atomically: true, encoding: .utf8)
            let json = #"{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "c-json"}, "spec": {"containers": [{"name": "app", "image": "busybox", "command": ["sleep", "3600"]}]}}"#
            try json.write(toFile: "\(dir)/c.json", atomically: true, encoding: .utf8)
            // Not a manifest extension: skipped, as kubectl skips it (it would not parse).
            try "not: [yaml".write(toFile: "\(dir)/README.txt", atomically: true, encoding: .utf8)
            let configMap = """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: greeting}
                data: {word: hello}
                """
            try configMap.write(toFile: "\(cli.directory)/cm.yaml", atomically: true, encoding: .utf8)
            let user = Self.pod("uses-cm", extra: """

                    env:
                    - name: WORD
                      valueFrom: {configMapKeyRef: {name: greeting, key: word}}
                """)
            try user.write(toFile: "\(cli.directory)/user.yaml", atomically: true, encoding: .utf8)
            let result = try cli.run(["apply", "-f", "\(dir)/", "-f", "\(cli.directory)/user.yaml", "-f", "\(cli.directory)/cm.yaml", "-n", cli.namespace])
            cli.adopt(result)
            try #require(result.status == 0, "\(result.description)")
            let created = result.stdout.split(separator: "\n").filter { $0.hasPrefix("pod/") }.map { $0.split(separator: " ")[0] }
            #expect(created == ["pod/a-yml", "pod/b-yaml", "pod/c-json", "pod/uses-cm"], "\(result.description)")
            let word = try cli.succeed(["exec", "uses-cm", "-n", cli.namespace, "--", "sh", "-c", "echo $WORD"]).output
            #expect(word == "hello")
        }

        @Test("errors name the source: <stdin>:line:column, dir/file:line:column; an empty directory is an error")
        func errorLocations() throws {
            let cli = try PodlabCLI("apply-errors")
            defer { cli.tearDown() }
            let typo = "apiVersion: v1\nkind: Pod\nmetadata: {name: typo}\nspec:\n  containers:\n  - name: app\n    image: busybox\n    comand: [sh]\n"
            let piped = try cli.run(["apply", "-f", "-", "-n", cli.namespace], input: typo)
            #expect(piped.status != 0, "\(piped.description)")
            #expect(piped.stderr.contains("<stdin>:8:5"), "\(piped.description)")
            let dir = "\(cli.directory)/bad"
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Self.pod("fine").write(toFile: "\(dir)/a.yaml", atomically: true, encoding: .utf8)
            try "apiVersion: v1\nkind: Pod\nmetadata: {name: [x\n".write(toFile: "\(dir)/b.yaml", atomically: true, encoding: .utf8)
            let broken = try cli.run(["apply", "-f", dir, "-n", cli.namespace])
            #expect(broken.status != 0, "\(broken.description)")
            #expect(broken.stderr.contains("\(dir)/b.yaml:"), "\(broken.description)")
            // Nothing of a failed apply runs: a.yaml's pod was parsed but never started.
            #expect(!(try cli.succeed(["pods", "--namespace", cli.namespace]).stdout.contains("fine")))
            let empty = "\(cli.directory)/empty"
            try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
            let none = try cli.run(["apply", "-f", empty, "-n", cli.namespace])
            #expect(none.status != 0 && none.stderr.contains("no .yaml, .yml or .json files"), "\(none.description)")
            let twice = try cli.run(["apply", "-f", "-", "-f", "-", "-n", cli.namespace], input: Self.pod("twice"))
            #expect(twice.status != 0 && twice.stderr.contains("only once"), "\(twice.description)")
        }
    }
}
