import Foundation
import Testing

/// The `Key:\tvalue` lines of /proc/<pid>/status, read from the host.
func procStatus(_ pid: Int32) throws -> [String: String] {
    let text = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
    var fields: [String: String] = [:]
    for line in text.split(separator: "\n") {
        guard let colon = line.firstIndex(of: ":") else { continue }
        fields[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return fields
}

extension PodTests {
    /// Issue 12 items 5–7, docs/FIDELITY.md #63–#79: the container environment, securityContext
    /// and the capability sets, on real pods.
    @Suite("container environment and securityContext")
    struct SecurityContextTests {
        @Test("runAsUser/Group, supplementalGroups, fsGroup, dropped caps, read-only root, no_new_privs only with allowPrivilegeEscalation false, RuntimeDefault seccomp")
        func securityContext() throws {
            let cli = try PodlabCLI("secctx")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings}
                data: {color: blue}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: sec}
                spec:
                  terminationGracePeriodSeconds: 0
                  securityContext:
                    runAsUser: 1000
                    runAsGroup: 3000
                    supplementalGroups: [4000]
                    fsGroup: 2000
                  volumes:
                  - {name: data, emptyDir: {}}
                  - {name: cfg, configMap: {name: settings}}
                  containers:
                  - name: app
                    image: busybox
                    command: ["sleep", "3600"]
                    volumeMounts:
                    - {name: data, mountPath: /data}
                    - {name: cfg, mountPath: /cfg}
                    securityContext:
                      allowPrivilegeEscalation: false
                      readOnlyRootFilesystem: true
                      capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
                  - name: root
                    image: busybox
                    command: ["sleep", "3600"]
                    securityContext:
                      runAsUser: 0
                      runAsGroup: 0
                      allowPrivilegeEscalation: true
                      seccompProfile: {type: RuntimeDefault}
                  - name: plain
                    image: busybox
                    command: ["sleep", "3600"]
                    securityContext: {runAsUser: 0, runAsGroup: 0}
                  - name: admin
                    image: busybox
                    command: ["sleep", "3600"]
                    securityContext:
                      runAsUser: 0
                      capabilities: {add: [SYS_ADMIN]}
                      seccompProfile: {type: RuntimeDefault}
                """)
            try waitUntil("all three containers run", timeout: 20) {
                try ["app", "root", "plain", "admin"].allSatisfy { try cli.inspect($0, pod: "sec")["status"]["kubeState"].string == "running" }
            }
            // The first process of `app`, from the host: ids, groups, empty capability sets.
            let app = try procStatus(try cli.pid("app", pod: "sec"))
            #expect(app["Uid"] == "1000\t1000\t1000\t1000")
            #expect(app["Gid"] == "3000\t3000\t3000\t3000")
            #expect(app["Groups"] == "2000 3000 4000", "setgroups(gid, supplementalGroups, fsGroup); the kernel sorts them")
            #expect(app["CapBnd"] == "0000000000000400", "bounding: only CAP_NET_BIND_SERVICE")
            for set in ["CapInh", "CapPrm", "CapEff", "CapAmb"] {
                #expect(app[set] == "0000000000000000", "\(set): a non-root process keeps no capability across exec")
            }
            #expect(app["NoNewPrivs"] == "1", "allowPrivilegeEscalation: false")
            #expect(app["Seccomp"] == "0", "no seccompProfile: Unconfined")
            // #222: no pod-level profile, so pause runs unconfined (containers' own don't count).
            #expect(try procStatus(try cli.pausePID("sec"))["Seccomp"] == "0", "pause of a pod without a pod-level profile")
            // exec runs with the same user.
            #expect(try cli.exec("sec", "app", "id").output == "uid=1000 gid=3000 groups=2000,3000,4000")
            let roWrite = try cli.exec("sec", "app", "touch", "/new-file")
            #expect(roWrite.status != 0)
            #expect(roWrite.stderr.contains("Read-only file system"), "\(roWrite.stderr)")
            // #210: under readOnlyRootFilesystem containerd binds /etc/hostname and
            // /etc/resolv.conf read-only (containerMounts) while kubelet's /etc/hosts and the
            // termination log stay read-write; without it all are read-write.
            let appPID = try cli.pid("app", pod: "sec"), plainPID = try cli.pid("plain", pod: "sec")
            for (path, appMode) in [("/", "ro"), ("/etc/hostname", "ro"), ("/etc/resolv.conf", "ro"), ("/etc/hosts", "rw"),
                                    ("/dev/termination-log", "rw"), ("/dev/shm", "rw")] {
                let app = ContainerdSecurityTests.mountOptions(appPID, at: path)
                #expect(app?.first == appMode, "app \(path): \(String(describing: app))")
                let plain = ContainerdSecurityTests.mountOptions(plainPID, at: path)
                #expect(plain?.first == "rw", "plain \(path): \(String(describing: plain))")
            }
            // fsGroup: group-owned volumes, setgid directories, new files inherit the group.
            #expect(try cli.exec("sec", "app", "stat", "-c", "%a %g", "/data").output == "2777 2000")
            #expect(try cli.exec("sec", "app", "sh", "-c", "echo hi > /data/f && stat -c %g /data/f").output == "2000")
            #expect(try cli.exec("sec", "app", "stat", "-L", "-c", "%a %g", "/cfg/color").output == "644 2000")

            // Root with the default capabilities: bounding = permitted = effective = the 14,
            // inheritable and ambient empty; no no_new_privs with allowPrivilegeEscalation true.
            let root = try procStatus(try cli.pid("root", pod: "sec"))
            #expect(root["Uid"] == "0\t0\t0\t0")
            #expect(root["Groups"] == "0 2000 4000")
            for set in ["CapBnd", "CapPrm", "CapEff"] { #expect(root[set] == "00000000a80425fb", "\(set)") }
            #expect(root["CapInh"] == "0000000000000000")
            #expect(root["CapAmb"] == "0000000000000000")
            #expect(root["NoNewPrivs"] == "0", "allowPrivilegeEscalation: true")
            #expect(root["Seccomp"] == "2", "RuntimeDefault installs a filter")
            let plain = try procStatus(try cli.pid("plain", pod: "sec"))
            #expect(plain["NoNewPrivs"] == "0", "allowPrivilegeEscalation unset: containerd does not set no_new_privs")
            #expect(plain["Seccomp"] == "0")
            // The filter: unshare(CLONE_NEWUSER) needs no capability but the profile refuses it.
            let confined = try cli.exec("sec", "root", "unshare", "-U", "true")
            #expect(confined.status != 0)
            #expect(confined.stderr.contains("Operation not permitted"), "\(confined.stderr)")
            #expect(try cli.exec("sec", "plain", "unshare", "-U", "true").status == 0, "the same call succeeds unconfined")
            // The profile's CAP_SYS_ADMIN group: allowed when the bounding set has the capability.
            #expect(try procStatus(try cli.pid("admin", pod: "sec"))["Seccomp"] == "2")
            #expect(try cli.exec("sec", "admin", "unshare", "-U", "true").status == 0, "unshare is allowed with CAP_SYS_ADMIN, as in containerd's profile")
        }

        @Test("pause takes the pod-level seccomp profile: RuntimeDefault filters it, a container may still say Unconfined")
        func sandboxSeccomp() throws {
            let cli = try PodlabCLI("sandboxseccomp")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: confined}
                spec:
                  terminationGracePeriodSeconds: 0
                  securityContext:
                    seccompProfile: {type: RuntimeDefault}
                  containers:
                  - {name: inherits, image: busybox, command: ["sleep", "3600"]}
                  - name: open
                    image: busybox
                    command: ["sleep", "3600"]
                    securityContext:
                      seccompProfile: {type: Unconfined}
                """)
            try waitUntil("both containers run", timeout: 20) {
                try ["inherits", "open"].allSatisfy { try cli.inspect($0, pod: "confined")["status"]["kubeState"].string == "running" }
            }
            // #222: kubelet sends the pod's profile to RunPodSandbox; containerd applies it to
            // pause (sandbox_run_linux.go), as ContainerdSecurityTests sees through CRI.
            let pause = try procStatus(try cli.pausePID("confined"))
            #expect(pause["Seccomp"] == "2", "pause: \(pause["Seccomp"] ?? "?")")
            #expect(pause["Uid"] == "65535\t65535\t65535\t65535", "the filter went in before the switch to the pause user")
            #expect(try procStatus(try cli.pid("inherits", pod: "confined"))["Seccomp"] == "2")
            #expect(try procStatus(try cli.pid("open", pod: "confined"))["Seccomp"] == "0")
            // pause got through its set-up under the filter and sleeps in pause(2).
            #expect(pause["State"]?.hasPrefix("S") == true, "pause: \(pause["State"] ?? "?")")
        }

        @Test("runAsNonRoot with a root image user: CreateContainerConfigError with kubelet's message")
        func runAsNonRoot() throws {
            let cli = try PodlabCLI("nonroot")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: Pod
                metadata: {name: nr}
                spec:
                  terminationGracePeriodSeconds: 0
                  securityContext: {runAsNonRoot: true}
                  containers:
                  - {name: root, image: busybox, command: ["sleep", "3600"]}
                  - {name: user, image: busybox, command: ["sleep", "3600"], securityContext: {runAsUser: 1000}}
                """)
            try waitUntil("the root container waits with CreateContainerConfigError", timeout: 15) {
                try cli.inspect("root", pod: "nr")["status"]["reason"].string == "CreateContainerConfigError"
            }
            let status = try cli.inspect("root", pod: "nr")["status"]
            #expect(status["kubeState"].string == "waiting")
            let message = status["message"].string ?? ""
            #expect(message.contains("container has runAsNonRoot and image will run as root (pod: \"nr_\(cli.namespace)("), "\(message)")
            #expect(message.hasSuffix("container: root)") || message.contains("container: root)"), "\(message)")
            try waitUntil("the container with runAsUser 1000 runs", timeout: 15) {
                try cli.inspect("user", pod: "nr")["status"]["kubeState"].string == "running"
            }
        }

        @Test("$(VAR) expansion, fieldRef, resourceFieldRef, configMapKeyRef and envFrom reach the process")
        func environment() throws {
            let cli = try PodlabCLI("envvars")
            defer { cli.tearDown() }
            try cli.apply("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: settings}
                data: {color: blue, size: XL}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: env, labels: {app: shop}}
                spec:
                  terminationGracePeriodSeconds: 0
                  containers:
                  - name: app
                    image: busybox
                    command: ["sh", "-c", "echo '$(GREETING)|$$(GREETING)|$(UNDEFINED)' > /tmp/cmd; echo $0 > /tmp/arg0; exec sleep 3600"]
                    args: ["$(POD_NAME)"]
                    resources:
                      limits: {memory: 64Mi, cpu: 250m}
                    envFrom:
                    - configMapRef: {name: settings}
                      prefix: CM_
                    env:
                    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
                    - {name: POD_NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
                    - {name: POD_UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}
                    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
                    - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
                    - {name: MEM_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
                    - {name: CPU_M, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}}
                    - {name: COLOR, valueFrom: {configMapKeyRef: {name: settings, key: color}}}
                    - {name: GREETING, value: "$(COLOR)-$(CM_size)-$(POD_NAME)"}
                """)
            try waitUntil("the container runs", timeout: 20) { try cli.inspect("app", pod: "env")["status"]["kubeState"].string == "running" }
            let pod = try cli.inspectPod("env")
            // The first process's environment, from the host (/proc/PID/environ), and exec's.
            let environ = try String(contentsOfFile: "/proc/\(try cli.pid("app", pod: "env"))/environ", encoding: .utf8)
                .split(separator: "\0").map(String.init)
            func env(_ name: String) throws -> String {
                environ.first { $0.hasPrefix(name + "=") }.map { String($0.dropFirst(name.count + 1)) } ?? "(unset)"
            }
            #expect(try cli.exec("env", "app", "sh", "-c", "echo \"$GREETING\"").output == "blue-XL-env", "exec gets the container's environment")
            #expect(try env("POD_NAME") == "env")
            #expect(try env("POD_NS") == cli.namespace)
            #expect(try env("POD_UID") == (pod["status"]["metadata"]["uid"].string ?? "?"))
            #expect(try env("POD_IP") == (pod["status"]["network"]["ip"].string ?? "?"))
            #expect(try env("APP") == "shop")
            #expect(try env("MEM_MI") == "64")
            #expect(try env("CPU_M") == "250")
            #expect(try env("COLOR") == "blue")
            #expect(try env("CM_color") == "blue")
            #expect(try env("GREETING") == "blue-XL-env")
            // command and args: expanded, `$$` escaped, undefined names left as written.
            #expect(try cli.exec("env", "app", "cat", "/tmp/cmd").output == "blue-XL-env|$(GREETING)|$(UNDEFINED)")
            #expect(try cli.exec("env", "app", "cat", "/tmp/arg0").output == "env", "args: $(POD_NAME) expanded")
        }
    }
}
