import PodlabCore
import Testing

@testable import PodKit

@Suite("Manifest parsing")
struct ManifestParserTests {
    let parser = ManifestParser(randomSuffix: { "x2k9p" })

    @Test("the seed's alpine Deployment parses as written, with its unmodelled fields reported")
    func alpineDeployment() throws {
        let parsed = try parser.parse(yaml: SeedManifests.alpineDeployment, file: "alpine.yaml")
        #expect(parsed.pods.count == 1)
        let pod = try #require(parsed.pods.first)
        #expect(pod.name.hasPrefix("alpine-deployment-"))
        #expect(pod.name.hasSuffix("-x2k9p"))
        #expect(pod.labels["app"] == "alpine")
        #expect(pod.restartPolicy == .always)
        #expect(pod.ownerDeployment == "alpine-deployment")
        let container = try #require(pod.containers.first)
        #expect(container.name == "alpine")
        #expect(container.image == "alpine:3.2")
        #expect(container.imageLocation == SourceLocation(file: "alpine.yaml", line: 16, column: 16))
        #expect(container.command == ["/bin/sh", "-c", "sleep 60m"])
        #expect(container.resources.memoryRequest == Int64(50 * 1024 * 1024))
        #expect(container.resources.memoryLimit == Int64(100 * 1024 * 1024))
        let warnings = parsed.warnings.map(\.description)
        #expect(warnings.contains { $0.hasPrefix("alpine.yaml:21:") && $0.contains("imagePullPolicy") })
        #expect(warnings.contains { $0.hasPrefix("alpine.yaml:28:") && $0.contains("nodeSelector") })
    }

    @Test("the seed's nginx + sidecar manifest: ConfigMap resolved, Service reported as ignored")
    func nginxSidecar() throws {
        let parsed = try parser.parse(yaml: SeedManifests.nginxWithSidecar, file: "nginx.yaml")
        let pod = try #require(parsed.pods.first)
        #expect(pod.containers.map(\.name) == ["nginx", "nginx-sidecar-container"])
        #expect(pod.configMaps["nginx-index"]?["index.html"]?.contains("Kano/鹿乃") == true)
        #expect(pod.volumes.map(\.name) == ["shared-logs", "nginx-index-cm"])
        #expect(pod.volumes.first?.source == .emptyDir(memory: false, sizeLimit: nil))
        #expect(pod.containers[1].volumeMounts.first?.readOnly == true)
        #expect(pod.containers[0].ports == [80])
        // The warning points at the Service document's first line (its apiVersion).
        let lines = SeedManifests.nginxWithSidecar.split(separator: "\n", omittingEmptySubsequences: false)
        let serviceLine = try #require(lines.firstIndex(of: "kind: Service"))  // 0-based index of line 2 of the doc
        #expect(parsed.warnings.contains { $0.message.contains("Service \"nginx-deployment\"") && $0.location.line == serviceLine })
    }

    @Test("bad input names file:line:column and the field", arguments: [
        ("memory: 100Mi", "memory: 50Mx", "bad.yaml:14:17: spec.containers[0].resources.limits.memory: quantities must match"),
        ("    image: busybox\n", "", "bad.yaml:7:5: spec.containers[0]: container \"app\" has no image"),
        ("  - name: app\n", "  - name: app\n    imagee: busybox\n", "bad.yaml:8:5: spec.containers[0].imagee: unknown field \"imagee\""),
        ("restartPolicy: Always", "restartPolicy: Sometimes", "bad.yaml:15:18: spec.restartPolicy: unsupported value \"Sometimes\""),
    ])
    func badInput(original: String, replacement: String, expected: String) throws {
        let good = """
            apiVersion: v1
            kind: Pod
            metadata:
              name: web
            spec:
              containers:
              - name: app
                image: busybox
                command: ["sleep", "1"]
                resources:
                  requests:
                    memory: 50Mi
                  limits:
                    memory: 100Mi
              restartPolicy: Always

            """
        #expect(throws: Never.self) { try parser.parse(yaml: good, file: "good.yaml") }
        let bad = good.replacingOccurrences(of: original, with: replacement)
        let error = try #require(throws: PodlabError.self) { try parser.parse(yaml: bad, file: "bad.yaml") }
        #expect(error.description.hasPrefix(expected), "got: \(error.description)")
        #expect(error.code == .badInput)
    }

    @Test("duplicate container names are rejected at the second name")
    func duplicateNames() throws {
        let yaml = """
            apiVersion: v1
            kind: Pod
            metadata: {name: web}
            spec:
              containers:
              - {name: app, image: busybox}
              - {name: app, image: busybox}
            """
        let error = try #require(throws: PodlabError.self) { try parser.parse(yaml: yaml, file: "dup.yaml") }
        #expect(error.description.hasPrefix("dup.yaml:7:12: spec.containers[1].name: duplicate container name \"app\""))
    }

    @Test("a YAML syntax error carries libyaml's position")
    func syntaxError() throws {
        let error = try #require(throws: PodlabError.self) {
            try parser.parse(yaml: "kind: Pod\nmetadata: {name: [\n", file: "broken.yaml")
        }
        #expect(error.description.hasPrefix("broken.yaml:"))
        #expect(error.description.contains("YAML syntax error"))
    }

    @Test("a volumeMount naming no volume, and a hostPath volume, are errors")
    func volumeErrors() throws {
        let missing = """
            apiVersion: v1
            kind: Pod
            metadata: {name: web}
            spec:
              containers:
              - name: app
                image: busybox
                volumeMounts: [{name: data, mountPath: /data}]
            """
        let e1 = try #require(throws: PodlabError.self) { try parser.parse(yaml: missing, file: "m.yaml") }
        #expect(e1.description.contains("volume \"data\" not found"))
        let hostPath = missing + "\n  volumes: [{name: data, hostPath: {path: /etc}}]\n"
        let e2 = try #require(throws: PodlabError.self) { try parser.parse(yaml: hostPath, file: "h.yaml") }
        #expect(e2.description.contains("type \"hostPath\" is not modelled"))
    }

    @Test("hostname is the pod name cut to 63 characters without trailing dashes")
    func hostname() throws {
        var pod = try #require(try parser.parse(yaml: SeedManifests.alpineDeployment, file: "a.yaml").pods.first)
        pod.name = String(repeating: "a", count: 62) + "-b"
        #expect(pod.effectiveHostname == String(repeating: "a", count: 62))
    }

    @Test("file modes are read as kubectl reads them: 0644 is octal, 420 is decimal")
    func octalModes() throws {
        func mode(_ text: String) throws -> VolumeSource? {
            let yaml = """
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: cm}
                data: {a: "1"}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: web}
                spec:
                  containers: [{name: app, image: busybox}]
                  volumes: [{name: v, configMap: {name: cm, defaultMode: \(text)}}]
                """
            return try parser.parse(yaml: yaml, file: "m.yaml").pods.first?.volumes.first?.source
        }
        #expect(try mode("0600") == .configMap(name: "cm", items: [], defaultMode: 0o600, optional: false))
        #expect(try mode("420") == .configMap(name: "cm", items: [], defaultMode: 0o644, optional: false))
        #expect(try mode("0o755") == .configMap(name: "cm", items: [], defaultMode: 0o755, optional: false))
        #expect(throws: PodlabError.self) { try mode("0999") }
    }
}

@Suite("Manifest parsing from several sources")
struct ManifestSourcesTests {
    @Test("a ConfigMap in one source serves a pod in another; errors name the source they are in")
    func sources() throws {
        let parser = ManifestParser(randomSuffix: { "x2k9p" })
        let pod = """
            apiVersion: v1
            kind: Pod
            metadata: {name: user}
            spec:
              containers:
              - name: app
                image: busybox
                env:
                - name: WORD
                  valueFrom: {configMapKeyRef: {name: greeting, key: word}}
            """
        let configMap = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: greeting}\ndata: {word: hello}\n"
        let parsed = try parser.parse(sources: [(file: "<stdin>", yaml: pod), (file: "dir/cm.yaml", yaml: configMap)])
        #expect(parsed.pods.map(\.name) == ["user"])
        #expect(parsed.pods.first?.configMaps["greeting"]?["word"] == "hello")
        let typo = "apiVersion: v1\nkind: Pod\nmetadata: {name: typo}\nspec:\n  containers:\n  - name: app\n    image: busybox\n    comand: [sh]\n"
        do {
            _ = try parser.parse(sources: [(file: "dir/cm.yaml", yaml: configMap), (file: "<stdin>", yaml: typo)])
            Issue.record("a misspelt field parsed")
        } catch let error as PodlabError {
            #expect(error.message.hasPrefix("<stdin>:8:5"), "\(error)")
        }
    }
}
