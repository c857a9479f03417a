import PodNetwork
import PodlabCore
import Testing

@testable import PodKit

/// Manifests the API server would refuse, and values that used to reach a host file, a C string
/// or a Swift trap: each is refused at parse time with `file:line:column: field: message`, the
/// message being the API server's where it has one.
@Suite("Manifest validation")
struct ManifestValidationTests {
    let parser = ManifestParser(randomSuffix: { "x2k9p" })

    /// A manifest using every validated field, valid as written.
    static let good = """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: cm
        data:
          index.html: hello
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          namespace: lab
          labels: {app: web}
          annotations:
            podlab.dev/backoff-scale: "0.05"
        spec:
          hostname: web
          terminationGracePeriodSeconds: 5
          containers:
          - name: app
            image: busybox
            command: ["sleep", "1"]
            workingDir: /tmp
            env:
            - name: GREETING
              value: hi
            ports:
            - containerPort: 80
              name: http
            volumeMounts:
            - name: cfg
              mountPath: /etc/cfg
              subPath: html
          volumes:
          - name: cfg
            configMap:
              name: cm
              defaultMode: 0644
              items:
              - key: index.html
                path: html/index.html
                mode: 0600

        """

    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var original: String
        var replacement: String
        /// 1-based line of the error, and the text on that line where its column is.
        var line: Int
        var at: String
        /// Everything after `file:line:column: `.
        var message: String
        var testDescription: String { name }
    }

    static let label = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
    static let configKey = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
    static let fileMode = "must be a number between 0 and 0777 (octal), both inclusive"

    static let cases: [Case] = [
        // Item 2: ConfigMap keys and item paths that would leave the volume directory.
        Case(name: "ConfigMap data key with ../", original: "  index.html: hello", replacement: "  x/../../../../tmp/v/pwned: hello",
             line: 6, at: "x/../",
             message: "data[x/../../../../tmp/v/pwned]: Invalid value: \"x/../../../../tmp/v/pwned\": \(configKey)"),
        Case(name: "ConfigMap data key ..", original: "  index.html: hello", replacement: "  \"..\": hello",
             line: 6, at: "\"..\"", message: "data[..]: Invalid value: \"..\": must not be '..'"),
        Case(name: "ConfigMap data key ..data", original: "  index.html: hello", replacement: "  ..data: hello",
             line: 6, at: "..data", message: "data[..data]: Invalid value: \"..data\": must not start with '..'"),
        Case(name: "ConfigMap data key too long", original: "  index.html: hello", replacement: "  \(String(repeating: "k", count: 254)): hello",
             line: 6, at: "kkk", message: "data[\(String(repeating: "k", count: 254))]: Invalid value: \"\(String(repeating: "k", count: 254))\": must be no more than 253 characters"),
        Case(name: "item path with ..", original: "path: html/index.html", replacement: "path: html/../../../../etc/cron.d/x",
             line: 41, at: "html/", message: "spec.volumes[0].configMap.items[0].path: Invalid value: \"html/../../../../etc/cron.d/x\": must not contain '..'"),
        Case(name: "absolute item path", original: "path: html/index.html", replacement: "path: /etc/passwd",
             line: 41, at: "/etc", message: "spec.volumes[0].configMap.items[0].path: Invalid value: \"/etc/passwd\": must be a relative path"),
        Case(name: "item path starting with ..", original: "path: html/index.html", replacement: "path: ..data/x",
             line: 41, at: "..data", message: "spec.volumes[0].configMap.items[0].path: Invalid value: \"..data/x\": must not start with '..'"),
        Case(name: "item path naming the data directory", original: "path: html/index.html", replacement: "path: ./html/",
             line: 41, at: "./", message: "spec.volumes[0].configMap.items[0].path: Invalid value: \"./html/\": must not contain empty or '.' path elements"),
        Case(name: "item path with a 256-byte file name", original: "path: html/index.html", replacement: "path: \(String(repeating: "f", count: 256))",
             line: 41, at: "fff", message: "spec.volumes[0].configMap.items[0].path: Invalid value: \"\(String(repeating: "f", count: 256))\": filenames must be less than or equal to 255 characters"),
        Case(name: "item path below another item's file", original: "        mode: 0600\n", replacement: "        mode: 0600\n      - {key: index.html, path: html/index.html/x}\n",
             line: 43, at: "html/index.html/x", message: "spec.volumes[0].configMap.items[1].path: Invalid value: \"html/index.html/x\": conflicts with the item path \"html/index.html\""),
        Case(name: "item file where another item needs a directory", original: "        mode: 0600\n", replacement: "        mode: 0600\n      - {key: index.html, path: html}\n",
             line: 43, at: "html}", message: "spec.volumes[0].configMap.items[1].path: Invalid value: \"html\": conflicts with the item path \"html/index.html\""),
        Case(name: "item key not in the ConfigMap", original: "- key: index.html", replacement: "- key: missing",
             line: 40, at: "missing", message: "spec.volumes[0].configMap.items[0].key: pod \"web\": volume \"cfg\": configmap references non-existent config key: missing"),
        // Item 5: modes that trapped in the volume writer.
        Case(name: "item mode -1", original: "mode: 0600", replacement: "mode: -1",
             line: 42, at: "-1", message: "spec.volumes[0].configMap.items[0].mode: Invalid value: -1: \(fileMode)"),
        Case(name: "item mode 99999999999", original: "mode: 0600", replacement: "mode: 99999999999",
             line: 42, at: "999", message: "spec.volumes[0].configMap.items[0].mode: Invalid value: 99999999999: \(fileMode)"),
        Case(name: "item mode beyond Int64", original: "mode: 0600", replacement: "mode: 99999999999999999999",
             line: 42, at: "999", message: "spec.volumes[0].configMap.items[0].mode: expected an integer, found \"99999999999999999999\""),
        Case(name: "item mode with two signs (negated Int.min)", original: "mode: 0600", replacement: "mode: --9223372036854775808",
             line: 42, at: "--", message: "spec.volumes[0].configMap.items[0].mode: expected an integer, found \"--9223372036854775808\""),
        Case(name: "defaultMode 01000", original: "defaultMode: 0644", replacement: "defaultMode: 01000",
             line: 38, at: "01000", message: "spec.volumes[0].configMap.defaultMode: Invalid value: 512: \(fileMode)"),
        // Item 8: names, hostname, env, NUL bytes, paths, numbers.
        Case(name: "hostname with a newline (an /etc/hosts line)", original: "hostname: web", replacement: "hostname: \"web\\n6.6.6.6 evil\"",
             line: 17, at: "\"web", message: "spec.hostname: Invalid value: \"web\\n6.6.6.6 evil\": \(label)"),
        Case(name: "subdomain not a label", original: "hostname: web", replacement: "subdomain: Web",
             line: 17, at: "Web", message: "spec.subdomain: Invalid value: \"Web\": \(label)"),
        // A pod name is a DNS subdomain (docs/FIDELITY.md #94): dots are fine, 254 characters are not.
        Case(name: "pod name of 254 characters", original: "  name: web\n  namespace", replacement: "  name: \(String(repeating: "w", count: 254))\n  namespace",
             line: 11, at: "www", message: "metadata.name: Invalid value: \"\(String(repeating: "w", count: 254))\": must be no more than 253 characters"),
        Case(name: "namespace with a path", original: "namespace: lab", replacement: "namespace: ../../etc",
             line: 12, at: "../", message: "metadata.namespace: Invalid value: \"../../etc\": \(label)"),
        Case(name: "container name upper case", original: "- name: app", replacement: "- name: App",
             line: 20, at: "App", message: "spec.containers[0].name: Invalid value: \"App\": \(label)"),
        Case(name: "env name with =", original: "- name: GREETING", replacement: "- name: A=B",
             line: 25, at: "A=B", message: "spec.containers[0].env[0].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='"),
        Case(name: "empty env name", original: "- name: GREETING", replacement: "- name: \"\"",
             line: 25, at: "\"\"", message: "spec.containers[0].env[0].name: Required value"),
        Case(name: "NUL in an env value", original: "value: hi", replacement: "value: \"hi\\0LD_PRELOAD=/x\"",
             line: 26, at: "\"hi", message: "spec.containers[0].env[0].value: Invalid value: \"hi\\x00LD_PRELOAD=/x\": must not contain a NUL byte"),
        Case(name: "NUL in a command argument", original: "command: [\"sleep\", \"1\"]", replacement: "command: [\"sleep\", \"1\\0; rm -rf /\"]",
             line: 22, at: "\"1", message: "spec.containers[0].command[1]: Invalid value: \"1\\x00; rm -rf /\": must not contain a NUL byte"),
        Case(name: "NUL in workingDir", original: "workingDir: /tmp", replacement: "workingDir: \"/tmp\\0/../etc\"",
             line: 23, at: "\"/tmp", message: "spec.containers[0].workingDir: Invalid value: \"/tmp\\x00/../etc\": must not contain a NUL byte"),
        Case(name: "mountPath with ..", original: "mountPath: /etc/cfg", replacement: "mountPath: /etc/../../host",
             line: 32, at: "/etc", message: "spec.containers[0].volumeMounts[0].mountPath: Invalid value: \"/etc/../../host\": must not contain '..'"),
        Case(name: "relative mountPath", original: "mountPath: /etc/cfg", replacement: "mountPath: etc/cfg",
             line: 32, at: "etc", message: "spec.containers[0].volumeMounts[0].mountPath: Invalid value: \"etc/cfg\": must be an absolute path"),
        Case(name: "subPath with ..", original: "subPath: html", replacement: "subPath: ../../..",
             line: 33, at: "../", message: "spec.containers[0].volumeMounts[0].subPath: Invalid value: \"../../..\": must not contain '..'"),
        Case(name: "containerPort 70000", original: "containerPort: 80", replacement: "containerPort: 70000",
             line: 28, at: "70000", message: "spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive"),
        Case(name: "port name not an IANA name", original: "name: http", replacement: "name: HTTP",
             line: 29, at: "HTTP", message: "spec.containers[0].ports[0].name: Invalid value: \"HTTP\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-), must contain at least one letter (a-z)"),
        Case(name: "negative grace period", original: "terminationGracePeriodSeconds: 5", replacement: "terminationGracePeriodSeconds: -5",
             line: 18, at: "-5", message: "spec.terminationGracePeriodSeconds: Invalid value: -5: must be greater than or equal to 0"),
        Case(name: "backoff-scale inf", original: "\"0.05\"", replacement: "\"inf\"",
             line: 15, at: "\"inf\"", message: "metadata.annotations[podlab.dev/backoff-scale]: Invalid value: \"inf\": must be a decimal number greater than 0 and at most 1 (1 is kubelet's back-off timing)"),
        Case(name: "backoff-scale nan", original: "\"0.05\"", replacement: "nan",
             line: 15, at: "nan", message: "metadata.annotations[podlab.dev/backoff-scale]: Invalid value: \"nan\": must be a decimal number greater than 0"),
        Case(name: "backoff-scale 0", original: "\"0.05\"", replacement: "\"0\"",
             line: 15, at: "\"0\"", message: "metadata.annotations[podlab.dev/backoff-scale]: Invalid value: \"0\": must be a decimal number greater than 0"),
        Case(name: "backoff-scale 1e300", original: "\"0.05\"", replacement: "\"1e300\"",
             line: 15, at: "\"1e300\"", message: "metadata.annotations[podlab.dev/backoff-scale]: Invalid value: \"1e300\": must be a decimal number greater than 0"),
        Case(name: "label key with a space", original: "labels: {app: web}", replacement: "labels: {my app: web}",
             line: 13, at: "my app", message: "metadata.labels[my app]: Invalid value: \"my app\": name part must consist of alphanumeric characters"),
        Case(name: "ConfigMap name not a subdomain", original: "  name: cm\ndata", replacement: "  name: CM\ndata",
             line: 4, at: "CM", message: "metadata.name: Invalid value: \"CM\": a lowercase RFC 1123 subdomain must consist of"),
        Case(name: "a memory quantity with an Int.min exponent", original: "command: [\"sleep\", \"1\"]", replacement: "resources: {limits: {memory: 1e-9223372036854775808}}",
             line: 22, at: "1e-", message: "spec.containers[0].resources.limits.memory: quantities must match the regular expression"),
    ]

    @Test(arguments: cases)
    func refusedWithItsPosition(_ testCase: Case) throws {
        #expect(throws: Never.self) { try parser.parse(yaml: Self.good, file: "good.yaml") }
        #expect(Self.good.contains(testCase.original), "fixture error: \(testCase.original) not in the manifest")
        let bad = Self.good.replacingOccurrences(of: testCase.original, with: testCase.replacement)
        let lines = bad.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let line = lines[testCase.line - 1]
        let range = try #require(line.range(of: testCase.at), "fixture error: \(testCase.at) not on line \(testCase.line): \(line)")
        let column = line.distance(from: line.startIndex, to: range.lowerBound) + 1
        let error = try #require(throws: PodlabError.self) { try parser.parse(yaml: bad, file: "bad.yaml") }
        #expect(error.code == .badInput)
        #expect(error.message.hasPrefix("bad.yaml:\(testCase.line):\(column): \(testCase.message)"), "got: \(error.message)")
    }

    @Test("ConfigMap mode -1 and 99999999999 fail at parse time, before anything is written")
    func modesThatTrappedTheVolumeWriter() throws {
        for mode in ["-1", "99999999999"] {
            let yaml = Self.good.replacingOccurrences(of: "mode: 0600", with: "mode: \(mode)")
            let error = try #require(throws: PodlabError.self) { try parser.parse(yaml: yaml, file: "m.yaml") }
            #expect(error.message.hasPrefix("m.yaml:42:15: spec.volumes[0].configMap.items[0].mode: Invalid value: \(mode): "))
        }
        // The same at defaultMode.
        let yaml = Self.good.replacingOccurrences(of: "defaultMode: 0644", with: "defaultMode: -1")
        let error = try #require(throws: PodlabError.self) { try parser.parse(yaml: yaml, file: "m.yaml") }
        #expect(error.message.hasPrefix("m.yaml:38:20: spec.volumes[0].configMap.defaultMode: Invalid value: -1: must be a number between 0 and 0777"))
    }

    @Test("the valid manifest keeps every value, and an optional ConfigMap may lack the item's key")
    func validValuesSurvive() throws {
        let pod = try #require(try parser.parse(yaml: Self.good, file: "good.yaml").pods.first)
        #expect(pod.namespace == "lab")
        #expect(pod.hostname == "web")
        #expect(pod.backoffScale == 0.05)
        #expect(pod.terminationGracePeriodSeconds == 5)
        #expect(pod.containers[0].volumeMounts[0].subPath == "html")
        #expect(pod.volumes[0].source == .configMap(name: "cm", items: [KeyToPath(key: "index.html", path: "html/index.html", mode: 0o600)],
                                                    defaultMode: 0o644, optional: false))
        let optional = Self.good.replacingOccurrences(of: "- key: index.html", with: "- key: missing")
            .replacingOccurrences(of: "defaultMode: 0644", with: "defaultMode: 0644\n      optional: true")
        #expect(throws: Never.self) { try parser.parse(yaml: optional, file: "o.yaml") }
        // Relaxed env names (Kubernetes ≥ 1.32): dots, dashes, a leading digit are fine.
        let relaxed = Self.good.replacingOccurrences(of: "- name: GREETING", with: "- name: 1.my-var")
        #expect(try parser.parse(yaml: relaxed, file: "r.yaml").pods.first?.containers[0].env.first?.name == "1.my-var")
        #expect(ManifestValidation.backoffScale("1") == 1)
        #expect(ManifestValidation.backoffScale("0x1p-3") == nil)
    }

    @Test("a ConfigMap larger than 1 MiB is refused, as the API server refuses it")
    func configMapSize() throws {
        let big = String(repeating: "a", count: 1024 * 1024 + 1)
        let yaml = Self.good.replacingOccurrences(of: "  index.html: hello", with: "  index.html: hello\n  big: \(big)")
        let error = try #require(throws: PodlabError.self) { try parser.parse(yaml: yaml, file: "big.yaml") }
        #expect(error.message == "big.yaml:6:3: data: Too long: may not be more than 1048576 bytes")
    }

    @Test("a long Deployment name gives a 63-character pod name, as SimpleNameGenerator cuts it")
    func longDeploymentName() throws {
        let name = String(repeating: "d", count: 63)
        let yaml = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: \(name)}
            spec:
              replicas: 1
              selector: {matchLabels: {app: a}}
              template:
                metadata: {labels: {app: a}}
                spec:
                  containers: [{name: app, image: busybox}]
            """
        let pod = try #require(try parser.parse(yaml: yaml, file: "d.yaml").pods.first)
        #expect(pod.name.utf8.count == 63)
        #expect(pod.name == String(repeating: "d", count: 58) + "x2k9p")
        try PodName.validate(pod.name)
        let negative = yaml.replacingOccurrences(of: "replicas: 1", with: "replicas: -1")
        let error = try #require(throws: PodlabError.self) { try parser.parse(yaml: negative, file: "d.yaml") }
        #expect(error.message == "d.yaml:5:13: spec.replicas: Invalid value: -1: must be between 0 and 2147483647, inclusive")
    }

    @Test("integers: octal, hex, signs and overflow are parsed without trapping", arguments: [
        ("0644", Optional(0o644)), ("420", 420), ("0x1ff", 511), ("0o17", 15), ("-1", -1), ("+7", 7),
        ("-9223372036854775808", Int.min), ("9223372036854775807", Int.max), ("9223372036854775808", nil),
        ("--1", nil), ("-+1", nil), ("0x-1", nil), ("1_000", nil), ("1:30", nil), ("٣", nil), ("", nil), ("-", nil), ("0x", nil), ("08", nil),
    ])
    func integerParsing(_ text: String, _ expected: Int?) {
        #expect(YAMLCursor.parseInt(text) == expected)
    }

    @Test("the apimachinery string checks", arguments: [
        ("my-name", true), ("123-abc", true), ("a", true), ("-a", false), ("a-", false), ("A", false), ("a.b", false), ("", false),
        (String(repeating: "a", count: 63), true), (String(repeating: "a", count: 64), false), ("a\nb", false), ("a\u{0}", false),
    ])
    func dns1123Label(_ value: String, _ valid: Bool) {
        #expect(KubeValidation.isDNS1123Label(value).isEmpty == valid)
    }

    @Test func apimachineryMessages() {
        #expect(KubeValidation.isDNS1123Label("a.b") == ["must not contain dots"])
        #expect(KubeValidation.isDNS1123Subdomain("a.b-c.d").isEmpty)
        #expect(KubeValidation.isDNS1123Subdomain("a..b").count == 1)
        #expect(KubeValidation.isConfigMapKey(".") == ["must not be '.'"])
        #expect(KubeValidation.isConfigMapKey("a/b").count == 1)
        #expect(KubeValidation.isConfigMapKey("KEY_name-1.txt").isEmpty)
        #expect(KubeValidation.isRelaxedEnvVarName("") == ["environment variable name must be non-empty"])
        #expect(KubeValidation.isRelaxedEnvVarName("A B.c-1").isEmpty)
        #expect(KubeValidation.isRelaxedEnvVarName("é").count == 1)
        #expect(KubeValidation.isQualifiedName("example.com/My_name").isEmpty)
        #expect(KubeValidation.isQualifiedName("/x") == ["prefix part must be non-empty"])
        #expect(KubeValidation.isQualifiedName("a/b/c").count == 1)
        #expect(KubeValidation.isValidLabelValue("").isEmpty)
        #expect(KubeValidation.isValidPortName("a--b") == ["must not contain consecutive hyphens"])
        #expect(KubeValidation.localNonReservedPathErrors("..a") == ["must not start with '..'"])
        #expect(KubeValidation.localNonReservedPathErrors("../a") == ["must not contain '..'"])
        #expect(KubeValidation.quoted("a\"\\\n\u{1}") == "\"a\\\"\\\\\\n\\x01\"")
    }
}
