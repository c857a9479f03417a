import Foundation
import PodlabCore
import Testing

@testable import PodKit

/// `valueFrom`, `envFrom` and `securityContext`: what the parser accepts, what kubelet then
/// computes from it, and what podlab refuses (an error at the field, never a warning).
@Suite("Container environment and securityContext (parse and resolve)")
struct SecurityContextParsingTests {
    let parser = ManifestParser(randomSuffix: { "x2k9p" })

    static let manifest = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: env
          labels: {app: web}
        spec:
          securityContext:
            runAsUser: 1000
            runAsGroup: 3000
            supplementalGroups: [4000]
            fsGroup: 2000
            seccompProfile: {type: RuntimeDefault}
          containers:
          - name: app
            image: busybox
            resources:
              requests: {cpu: 250m, memory: 64Mi}
              limits: {cpu: 500m, memory: 128Mi}
            envFrom:
            - configMapRef: {name: settings}
              prefix: CFG_
            env:
            - name: POD
              valueFrom: {fieldRef: {fieldPath: metadata.name}}
            - name: APP
              valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}
            - name: IP
              valueFrom: {fieldRef: {fieldPath: status.podIP}}
            - name: MEM_MI
              valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}
            - name: CPU_M
              valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}
            - name: CPU
              valueFrom: {resourceFieldRef: {resource: limits.cpu}}
            - name: OTHER_MEM
              valueFrom: {resourceFieldRef: {containerName: side, resource: limits.memory}}
            - name: COLOR
              valueFrom: {configMapKeyRef: {name: settings, key: color}}
            - name: MISSING
              valueFrom: {configMapKeyRef: {name: settings, key: nope, optional: true}}
            - name: GREETING
              value: "$(COLOR) $(POD) $(CFG_color) $(MISSING)"
            securityContext:
              runAsUser: 1001
              allowPrivilegeEscalation: false
              readOnlyRootFilesystem: true
              capabilities: {drop: [ALL], add: [net_bind_service, CHOWN]}
          - name: side
            image: busybox
            securityContext:
              seccompProfile: {type: Unconfined}
              capabilities: {add: [SYS_TIME], drop: [KILL, SYS_TIME]}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: settings}
        data:
          color: blue
          "1bad": skipped
        """

    @Test("valueFrom, envFrom and expansion give kubelet's variables")
    func environment() throws {
        let pod = try #require(try parser.parse(yaml: Self.manifest, file: "env.yaml").pods.first)
        var skipped: [String] = []
        let variables = try ContainerEnvironment.variables(for: pod.containers[0], in: pod, downward: EnvironmentFixtures.downward,
                                                           node: EnvironmentFixtures.node, skippedKeys: &skipped)
        let env = Dictionary(uniqueKeysWithValues: variables.map { ($0.name, $0.value) })
        #expect(variables.first?.name == "CFG_1bad" || variables.first?.name == "CFG_color")
        #expect(env["CFG_color"] == "blue")
        #expect(env["POD"] == "p")
        #expect(env["APP"] == "web")
        #expect(env["IP"] == "10.224.0.5")
        #expect(env["MEM_MI"] == "128")
        #expect(env["CPU_M"] == "250")
        #expect(env["CPU"] == "1")  // ceil(500m / 1)
        #expect(env["OTHER_MEM"] == "\(4 << 30)")  // no limit: the node's allocatable
        #expect(env["COLOR"] == "blue")
        #expect(env["MISSING"] == nil)
        #expect(env["GREETING"] == "blue p blue $(MISSING)")
    }

    @Test("pod and container securityContext merge as DetermineEffectiveSecurityContext does")
    func security() throws {
        let pod = try #require(try parser.parse(yaml: Self.manifest, file: "env.yaml").pods.first)
        let app = try ContainerSecurity.resolve(container: pod.containers[0], pod: pod, podUID: "u", imageUser: nil, imageRoot: nil)
        #expect(app.uid == 1001)  // the container's runAsUser wins
        #expect(app.gid == 3000)  // the pod's runAsGroup
        #expect(app.groups == [3000, 4000, 2000])  // gid, supplementalGroups, fsGroup
        #expect(app.capabilities == LinuxCapabilitySet([.netBindService, .chown]))
        #expect(app.noNewPrivileges)
        #expect(app.readOnlyRootFilesystem)
        #expect(app.seccomp == .runtimeDefault)  // from the pod
        let side = try ContainerSecurity.resolve(container: pod.containers[1], pod: pod, podUID: "u", imageUser: nil, imageRoot: nil)
        #expect(side.seccomp == .unconfined)
        #expect(!side.noNewPrivileges)  // allowPrivilegeEscalation unset: no no_new_privs
        // drops win over adds; KILL gone from the 14 defaults.
        var expected = ContainerDefaults.capabilities
        expected.remove(LinuxCapabilitySet([.kill]))
        #expect(side.capabilities == expected)
    }

    @Test("runAsNonRoot is refused with kubelet's messages")
    func runAsNonRoot() throws {
        let yaml = """
            apiVersion: v1
            kind: Pod
            metadata: {name: nr}
            spec:
              securityContext: {runAsNonRoot: true}
              containers:
              - {name: root, image: busybox}
              - {name: zero, image: busybox, securityContext: {runAsUser: 0}}
              - {name: ok, image: busybox, securityContext: {runAsUser: 5}}
            """
        let pod = try #require(try parser.parse(yaml: yaml, file: "nr.yaml").pods.first)
        #expect {
            try ContainerSecurity.resolve(container: pod.containers[0], pod: pod, podUID: "u1", imageUser: nil, imageRoot: nil)
        } throws: { "\($0)".contains("container has runAsNonRoot and image will run as root (pod: \"nr_default(u1)\", container: root)") }
        #expect {
            try ContainerSecurity.resolve(container: pod.containers[1], pod: pod, podUID: "u1", imageUser: nil, imageRoot: nil)
        } throws: { "\($0)".contains("container's runAsUser breaks non-root policy (pod: \"nr_default(u1)\", container: zero)") }
        #expect {
            try ContainerSecurity.resolve(container: pod.containers[0], pod: pod, podUID: "u1", imageUser: "nginx", imageRoot: nil)
        } throws: { "\($0)".contains("image has non-numeric user (nginx), cannot verify user is non-root") }
        #expect(try ContainerSecurity.resolve(container: pod.containers[2], pod: pod, podUID: "u1", imageUser: nil, imageRoot: nil).uid == 5)
        #expect(try ContainerSecurity.resolve(container: pod.containers[0], pod: pod, podUID: "u1", imageUser: "7:8", imageRoot: nil).gid == 8)
    }

    @Test("what podlab does not model is an error at its position", arguments: [
        ("spec:\n  hostNetwork: true\n  containers: [{name: c, image: busybox}]", "5", "node's network namespace"),
        ("spec:\n  hostPID: true\n  containers: [{name: c, image: busybox}]", "5", "node's pid namespace"),
        ("spec:\n  hostIPC: true\n  containers: [{name: c, image: busybox}]", "5", "node's ipc namespace"),
        ("spec:\n  containers: [{name: c, image: busybox, securityContext: {privileged: true}}]", "5", "privileged container"),
        ("spec:\n  containers: [{name: c, image: busybox, securityContext: {seccompProfile: {type: Localhost, localhostProfile: x.json}}}]", "5", "Localhost profiles"),
        ("spec:\n  containers: [{name: c, image: busybox, securityContext: {capabilities: {add: [CAP_NET_RAW]}}}]", "5", "write NET_RAW"),
        ("spec:\n  containers: [{name: c, image: busybox, securityContext: {capabilities: {add: [FLY]}}}]", "5", "unknown capability \"CAP_FLY\""),
        ("spec:\n  containers: [{name: c, image: busybox, securityContext: {allowPrivilegeEscalation: false, capabilities: {add: [SYS_ADMIN]}}}]", "5", "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN"),
        ("spec:\n  securityContext: {runAsUser: -1}\n  containers: [{name: c, image: busybox}]", "5", "between 0 and 2147483647"),
        ("spec:\n  securityContext: {runAsGroup: 3000}\n  containers: [{name: c, image: busybox}]", "5", "pod-level runAsGroup without runAsUser"),
        ("spec:\n  containers: [{name: c, image: busybox, env: [{name: A, valueFrom: {secretKeyRef: {name: s, key: k}}}]}]", "5", "there are no Secrets"),
        ("spec:\n  containers: [{name: c, image: busybox, env: [{name: A, valueFrom: {fieldRef: {fieldPath: spec.nope}}}]}]", "5", "Unsupported value: \"spec.nope\""),
        ("spec:\n  containers: [{name: c, image: busybox, env: [{name: A, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 2}}}]}]", "5", "only divisor's values 1m and 1 are supported with the cpu resource"),
        ("spec:\n  containers: [{name: c, image: busybox, env: [{name: A, valueFrom: {resourceFieldRef: {resource: limits.memory, containerName: x}}}]}]", "5", "container \"x\" not found"),
        ("spec:\n  containers: [{name: c, image: busybox, env: [{name: A, valueFrom: {configMapKeyRef: {name: none, key: k}}}]}]", "5", "configmap \"none\" not found"),
        ("spec:\n  containers: [{name: c, image: busybox, envFrom: [{configMapRef: {name: none}}]}]", "5", "envFrom: configmap \"none\" not found"),
    ])
    func refused(spec: String, line: String, message: String) throws {
        let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\n" + spec
        #expect {
            try parser.parse(yaml: yaml, file: "bad.yaml")
        } throws: { error in
            let text = "\(error)"
            // file:line:column of the offending field.
            return text.range(of: "bad.yaml:\(line):[0-9]+:", options: .regularExpression) != nil && text.contains(message)
        }
    }
}
