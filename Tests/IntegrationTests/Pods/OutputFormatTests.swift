import Foundation
import Testing
import Yams

@preconcurrency @testable import PodlabCLI

#if canImport(Glibc)
import Glibc
#endif

/// The formatter behind `-o` (no pods needed): kubectl's JSONPath over a document, YAML that
/// reads back as the same JSON, and errors that name the column of what is not supported.
@Suite("output formats: JSONPath, YAML")
struct OutputFormatUnitTests {
    static let document = """
        {"items": [
          {"metadata": {"name": "web", "labels": {"app.kubernetes.io/name": "shop"}}, "status": {"podIP": "10.1.0.2", "restarts": 0, "ready": true}},
          {"metadata": {"name": "db", "labels": {}}, "status": {"podIP": "10.1.0.3", "restarts": 2, "ready": false}}
        ], "kind": "List"}
        """

    static func value() throws -> OutputValue { try JSONDecoder().decode(OutputValue.self, from: Data(document.utf8)) }

    static func render(_ template: String) throws -> String {
        try JSONPathTemplate(parsing: template).render(try value())
    }

    @Test("kubectl's examples: fields, [*], range/end with a newline literal, filters, indexes, quoted keys")
    func templates() throws {
        #expect(try Self.render("{.items[*].metadata.name}") == "web db")
        #expect(try Self.render(#"{range .items[*]}{.metadata.name}{"\n"}{end}"#) == "web\ndb\n")
        #expect(try Self.render(#"{range .items[*]}{.metadata.name}{"\t"}{.status.podIP}{"\n"}{end}"#) == "web\t10.1.0.2\ndb\t10.1.0.3\n")
        #expect(try Self.render("{.items[0].status.podIP}") == "10.1.0.2")
        #expect(try Self.render("{.items[-1].metadata.name}") == "db")
        #expect(try Self.render("{.items[0:1].metadata.name}") == "web")
        #expect(try Self.render("{.items[?(@.status.restarts>1)].metadata.name}") == "db")
        #expect(try Self.render(#"{.items[?(@.metadata.name=="web")].status.ready}"#) == "true")
        #expect(try Self.render("{.items[0].metadata.labels['app.kubernetes.io/name']}") == "shop")
        #expect(try Self.render("{..podIP}") == "10.1.0.2 10.1.0.3")
        #expect(try Self.render("kind={.kind} n={.items[1].status.restarts}") == "kind=List n=2")
        #expect(try Self.render("{.items[1].metadata.labels}") == "{}")
        #expect(try Self.render("{$.kind}") == "List")
        #expect(try Self.render("{range .items[*]}{$.kind}/{.metadata.name} {end}") == "List/web List/db ")
        // kubectl get's --allow-missing-template-keys=true: a missing key prints nothing.
        #expect(try Self.render("{.nothing.here}") == "")
    }

    @Test("an unsupported expression is an error naming its column, never an empty result")
    func unsupported() throws {
        let cases: [(String, String)] = [
            ("{.items[0,1]}", "unsupported union [a,b] at column 10"),
            ("{.items[*].metadata.name", "unclosed { at column 1"),
            ("{range .items[*]}{.metadata.name}", "{range} without its {end} at column 1"),
            ("{end}", "{end} without a {range} at column 1"),
            ("{.items[?(@.a=~\"x\")]}", "unsupported filter operator \"=~\" at column 14"),
            ("{.items | length}", "unsupported \"|\""),
            ("{.items[::2]}", "unsupported slice step"),
        ]
        for (template, message) in cases {
            do {
                let rendered = try Self.render(template)
                Issue.record("\(template) rendered \"\(rendered)\" instead of failing")
            } catch {
                #expect("\(error)".contains(message), "\(template): \(error)")
                #expect("\(error)".contains("-o jsonpath=\(template)"), "\(template): \(error)")
            }
        }
        #expect(throws: (any Error).self) { try ObjectFormat(parsing: "jsonpath=") }
        #expect(throws: (any Error).self) { try ObjectFormat(parsing: "go-template={{.x}}") }
        #expect(try ObjectFormat(parsing: "wide") == .wide)
    }

    @Test("-o yaml reads back (with Yams) as the same JSON value, awkward strings included")
    func yamlRoundTrip() throws {
        let tricky: [String: OutputValue] = [
            "empty": .string(""), "yes": .string("yes"), "number": .string("0123"), "colon": .string("a: b"),
            "hash": .string("x #y"), "dash": .string("- item"), "newline": .string("one\ntwo"), "quote": .string("\"q\""),
            "unicode": .string("größe ✓"), "null": .null, "int": .int(1), "zero": .int(0), "bool": .bool(false),
            "double": .double(0.5), "list": .array([.string("a"), .object(["k": .string("v"), "n": .array([.int(3)])]), .array([])]),
            "nested": .object(["deeper": .object(["x": .string("true")])]), "emptyObject": .object([:]),
            "stamp": .string("2026-12-02T03:14:26Z"), "clock": .string("1:20"), "ip": .string("10.1.0.2"),
        ]
        let original = OutputValue.object(tricky.merging(["document": try Self.value()]) { a, _ in a })
        let yaml = original.yaml()
        let parsed = try #require(try Yams.load(yaml: yaml), "Yams could not read:\n\(yaml)")
        let json = try JSONSerialization.data(withJSONObject: parsed, options: [.fragmentsAllowed])
        let back = try JSONDecoder().decode(OutputValue.self, from: json)
        #expect(back == original, "YAML:\n\(yaml)")
        #expect(yaml.contains("\n\"yes\": \"yes\"\n") && yaml.contains("\nstamp: \"2026-12-02T03:14:26Z\"\n") && yaml.contains("ip: 10.1.0.2\n") && yaml.contains("\nnumber: \"0123\"\n"), "\(yaml)")
    }

    @Test("JSON numbers 0 and 1 stay numbers, true and false stay booleans")
    func numbersAndBooleans() throws {
        let value = try JSONDecoder().decode(OutputValue.self, from: Data(#"{"a": 0, "b": 1, "c": true, "d": false, "e": 1.5}"#.utf8))
        #expect(value == .object(["a": .int(0), "b": .int(1), "c": .bool(true), "d": .bool(false), "e": .double(1.5)]))
    }
}

extension PodTests {
    /// `-o yaml|wide|json|jsonpath=` on real pods, and `pods -w` / `ps -w` seeing a restart
    /// (issue 15 section 3).
    @Suite("output formats and watch on real pods")
    struct OutputFormatCLITests {
        static let manifest = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
              labels: {app: shop}
              annotations: {podlab.dev/backoff-scale: "0.05"}
            spec:
              restartPolicy: Always
              terminationGracePeriodSeconds: 0
              containers:
              - {name: app, image: busybox, command: ["sleep", "3600"]}
            """

        @Test("pods/ps/inspect/inspectp: -o yaml is -o json's object, jsonpath picks from it, wide adds IP/READY/RESTARTS and PID")
        func formats() throws {
            let cli = try PodlabCLI("output-formats")
            defer { cli.tearDown() }
            try cli.apply(Self.manifest)
            let ns = ["--namespace", cli.namespace]
            let pod = try cli.inspectPod("web")
            let ip = try #require(pod["status"]["network"]["ip"].string)
            let podID = try #require(pod["status"]["id"].string)
            let pid = try cli.pid("app", pod: "web")

            #expect(try cli.succeed(["pods"] + ns + ["-o", "jsonpath={.items[*].metadata.name}"]).stdout == "web")
            let range = try cli.succeed(["pods"] + ns + ["-o", #"jsonpath={range .items[*]}{.metadata.name}{"\t"}{.network.ip}{"\n"}{end}"#]).stdout
            #expect(range == "web\t\(ip)\n")
            #expect(try cli.succeed(["inspectp", "web", "-n", cli.namespace, "-o", "jsonpath={.status.network.ip}"]).stdout == ip)
            #expect(try cli.succeed(["inspect", "app", "-p", "web", "-o", "jsonpath={.info.pid}"]).stdout == "\(pid)")
            #expect(try cli.succeed(["ps"] + ns + ["-o", "jsonpath={.containers[0].metadata.name}"]).stdout == "app")

            // YAML is the same object as JSON: both read back to equal values.
            for arguments in [["pods"] + ns, ["ps"] + ns, ["inspectp", "web", "-n", cli.namespace], ["inspect", "app", "-p", "web"]] {
                let json = try cli.succeed(arguments + ["-o", "json"]).stdout
                let yaml = try cli.succeed(arguments + ["-o", "yaml"]).stdout
                let fromJSON = try JSONDecoder().decode(OutputValue.self, from: Data(json.utf8))
                let loaded = try #require(try Yams.load(yaml: yaml))
                let fromYAML = try JSONDecoder().decode(OutputValue.self, from: try JSONSerialization.data(withJSONObject: loaded))
                #expect(fromJSON == fromYAML, "\(arguments): YAML\n\(yaml)\nJSON\n\(json)")
            }

            let pods = try cli.succeed(["pods"] + ns + ["-o", "wide"]).stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            #expect(pods.first?.suffix(3) == ["IP", "READY", "RESTARTS"], "\(pods)")
            #expect(pods.count == 2 && pods[1].first == String(podID.prefix(13)) && pods[1].suffix(3) == [ip, "1/1", "0"], "\(pods)")
            let ps = try cli.succeed(["ps"] + ns + ["-o", "wide"]).stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            #expect(ps.first?.suffix(2) == ["PID", "IP"], "\(ps)")
            #expect(ps.count == 2 && ps[1].suffix(2) == ["\(pid)", ip], "\(ps)")

            let bad = try cli.run(["pods"] + ns + ["-o", "jsonpath={.items[0,1]}"])
            #expect(bad.status != 0 && bad.stderr.contains("unsupported union [a,b] at column 10") && bad.stdout.isEmpty, "\(bad.description)")
            let unknown = try cli.run(["ps"] + ns + ["-o", "go-template"])
            #expect(unknown.status != 0 && unknown.stderr.contains("use one of table, wide, json, yaml, jsonpath=TEMPLATE"), "\(unknown.description)")
            let tableInspect = try cli.run(["inspect", "app", "-p", "web", "-o", "wide"])
            #expect(tableInspect.status != 0 && tableInspect.stderr.contains("inspect prints a document"), "\(tableInspect.description)")
        }

        @Test("pods -w and ps -w print the table, then a line per change when the container is killed and restarts; SIGINT exits 0")
        func watchSeesRestart() throws {
            let cli = try PodlabCLI("watch")
            defer { cli.tearDown() }
            try cli.apply(Self.manifest)
            let oldID = try #require(try cli.inspect("app", pod: "web")["status"]["id"].string)
            let ps = try cli.start(["ps", "--namespace", cli.namespace, "-w"])
            let pods = try cli.start(["pods", "--namespace", cli.namespace, "-w", "-o", "wide"])
            try waitUntil("both tables are printed") { ps.outputSoFar.contains("CONTAINER") && pods.outputSoFar.contains("RESTARTS") }
            // The supervisor's inotify watch is set before the first read; give the threads a moment to start.
            usleep(300_000)
            try cli.succeed(["kill", "web", "-c", "app", "-s", "KILL"])
            try waitUntil("app runs again with restartCount 1", timeout: 10) {
                try cli.inspect("app", pod: "web")["status"]["restartCount"].int == 1
            }
            let newID = try #require(try cli.inspect("app", pod: "web")["status"]["id"].string)
            func rows(_ text: String) -> [[String]] {
                text.split(separator: "\n").dropFirst().map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
            }
            let psSaw = eventually(timeout: 5) { () -> Bool? in
                let lines = rows(ps.outputSoFar)
                return lines.contains { $0.first == String(oldID.prefix(13)) && $0.contains("Exited") }
                    && lines.contains { $0.first == String(newID.prefix(13)) && $0.contains("Running") && $0.contains("1") } ? true : nil
            }
            #expect(psSaw == true, "ps -w prints the old container Exited and the new one Running with attempt 1:\n\(ps.outputSoFar)")
            let podsSaw = eventually(timeout: 5) { rows(pods.outputSoFar).contains { $0.last == "1" && $0.contains("1/1") } ? true : nil }
            #expect(podsSaw == true, "pods -w prints RESTARTS 1:\n\(pods.outputSoFar)")
            let unchanged = rows(ps.outputSoFar).count
            #expect(unchanged <= 4, "one initial row plus a line per change, not a repeated table: \(ps.outputSoFar)")
            // A pod created after the watch started gets its rows too (kubectl's ADDED); one in
            // another namespace does not.
            try cli.apply(Self.manifest.replacingOccurrences(of: "name: web", with: "name: late"))
            let otherNamespace = cli.namespace + "-other"
            let elsewhere = "\(cli.directory)/elsewhere.yaml"
            try Self.manifest.replacingOccurrences(of: "name: web", with: "name: elsewhere").write(toFile: elsewhere, atomically: true, encoding: .utf8)
            try cli.succeed(["apply", "-f", elsewhere, "-n", otherNamespace])
            defer { _ = try? cli.run(["delete", "elsewhere", "-n", otherNamespace]) }
            let psAdded = eventually(timeout: 10) { rows(ps.outputSoFar).contains { $0.contains("late") && $0.contains("Running") } ? true : nil }
            #expect(psAdded == true, "ps -w prints the new pod's container:\n\(ps.outputSoFar)")
            let podsAdded = eventually(timeout: 10) { rows(pods.outputSoFar).contains { $0.contains("late") && $0.contains("Ready") } ? true : nil }
            #expect(podsAdded == true, "pods -w prints the new pod:\n\(pods.outputSoFar)")
            #expect(!ps.outputSoFar.contains("elsewhere") && !pods.outputSoFar.contains("elsewhere"), "another namespace's pod is not watched:\n\(pods.outputSoFar)")
            for watch in [ps, pods] {
                kill(watch.pid, SIGINT)
                let result = try watch.wait(timeout: 10)
                #expect(result.status == 0, "\(result.description)")
            }
        }
    }
}
