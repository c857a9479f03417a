import Foundation
import PodlabCore

/// Where and how podlab runs a containerd of its own: every path it writes, the pod network it
/// gives the CRI plugin, and the files (config.toml, CNI conflist) that say so.
///
/// Nothing here points at a system containerd: root, state, socket, CNI config and IPAM data
/// are all under podlab's own state and data directories (docs/FIDELITY.md #110), so
/// `runtime down` can remove everything and never touches /run/containerd's socket or
/// /var/lib/containerd.
public struct ContainerdSetup: Equatable, Sendable {
    /// Everything runtime (tmpfs-like) lives here: socket, state, config, CNI conf, IPAM, log.
    public var stateDir: String
    /// containerd's `root` (content store, snapshots): persistent data, under podlab's data dir.
    public var rootDir: String
    /// The bridge the CNI `bridge` plugin creates and the host reaches pods through.
    public var bridge: String
    /// The pod subnet (host-local IPAM range), CIDR.
    public var subnet: String
    /// cgroupfs path (v1/v2 alike) under which containerd puts sandbox and container cgroups.
    public var cgroupParent: String
    /// Where the CNI plugin binaries are (Debian: /usr/lib/cni).
    public var cniBinDir: String
    /// The sandbox (pause) image reference the CRI plugin uses: podlab's own, imported, never pulled.
    public var sandboxImage: String
    /// The containerd and runc binaries.
    public var containerdBinary: String
    public var runcBinary: String
    public var ctrBinary: String

    /// The reference podlab's pause image is imported under (docs/FIDELITY.md #112).
    public static let pauseImage = "podlab.local/pause:3.10-podlab"

    /// The defaults for a podlab state/data directory pair: bridge and subnet from
    /// `CRINetworkDefaults` (`plcri0`, 10.228.0.0/16 for the default state directory, names of
    /// the instance's own for any other; the running instance's recorded ones win, so they never
    /// move under it; `PODLAB_CRI_BRIDGE`, `PODLAB_CRI_SUBNET` override), cgroup parent
    /// `<PODLAB_CGROUP_PARENT or podlab>/cri-containerd[.<instance tag>]`.
    public static func forPaths(_ paths: PodlabPaths, environment: [String: String] = ProcessInfo.processInfo.environment) -> ContainerdSetup {
        let parent = environment["PODLAB_CGROUP_PARENT"] ?? "podlab"
        let suffix = paths.instanceTag.map { ".\($0)" } ?? ""
        let stateDir = paths.stateDir + "/containerd"
        let recorded = recordedNetwork(stateDir: stateDir)
        let bridge = environment["PODLAB_CRI_BRIDGE"] ?? recorded?.bridge ?? CRINetworkDefaults.bridge(instanceTag: paths.instanceTag)
        let subnet = environment["PODLAB_CRI_SUBNET"] ?? recorded?.subnet
            ?? (paths.instanceTag == nil ? CRINetworkDefaults.defaultSubnet
                : CRINetworkDefaults.subnet(instanceTag: paths.instanceTag, routes: HostIPv4Routes.current(), ownBridge: bridge))
        return ContainerdSetup(
            stateDir: stateDir,
            rootDir: paths.dataDir + "/containerd",
            bridge: bridge,
            subnet: subnet,
            cgroupParent: "/" + parent.trimmingCharacters(in: CharacterSet(charactersIn: "/")) + "/cri-containerd" + suffix,
            cniBinDir: environment["PODLAB_CNI_BIN_DIR"] ?? firstDirectory(["/usr/lib/cni", "/opt/cni/bin"]) ?? "/usr/lib/cni",
            sandboxImage: pauseImage,
            containerdBinary: environment["PODLAB_CONTAINERD"] ?? findExecutable("containerd") ?? "/usr/bin/containerd",
            runcBinary: findExecutable("runc") ?? "/usr/sbin/runc",
            ctrBinary: findExecutable("ctr") ?? "/usr/bin/ctr")
    }

    /// Bridge and subnet of the instance `up` recorded in `<stateDir>/instance.json`, if any.
    static func recordedNetwork(stateDir: String) -> (bridge: String, subnet: String)? {
        struct Network: Decodable { var bridge: String; var subnet: String }
        guard let data = FileManager.default.contents(atPath: stateDir + "/instance.json"),
              let network = try? JSONDecoder().decode(Network.self, from: data) else { return nil }
        return (network.bridge, network.subnet)
    }

    public init(stateDir: String, rootDir: String, bridge: String, subnet: String, cgroupParent: String, cniBinDir: String,
                sandboxImage: String, containerdBinary: String, runcBinary: String, ctrBinary: String) {
        self.stateDir = stateDir; self.rootDir = rootDir; self.bridge = bridge; self.subnet = subnet
        self.cgroupParent = cgroupParent; self.cniBinDir = cniBinDir; self.sandboxImage = sandboxImage
        self.containerdBinary = containerdBinary; self.runcBinary = runcBinary; self.ctrBinary = ctrBinary
    }

    /// Another containerd's socket, for image imports into a containerd podlab did not start
    /// (`--cri-endpoint`); nil: this setup's own.
    public var addressOverride: String? = nil

    /// The socket `ctr` and the CRI client use.
    public var socket: String { addressOverride ?? stateDir + "/containerd.sock" }
    public var configPath: String { stateDir + "/config.toml" }
    public var containerdStateDir: String { stateDir + "/state" }
    public var cniConfDir: String { stateDir + "/net.d" }
    public var ipamDir: String { stateDir + "/ipam" }
    public var logPath: String { stateDir + "/containerd.log" }
    public var recordPath: String { stateDir + "/instance.json" }
    /// The CNI network name (also host-local's subdirectory under `ipamDir`).
    public static let networkName = "podlab-cri"

    /// The CNI plugins the conflist and containerd's loopback network need.
    public static let cniPlugins = ["bridge", "host-local", "loopback"]

    /// Checks names and ranges before they reach a config file or the kernel.
    public func validate() throws {
        guard bridge.count >= 1, bridge.count <= 15, bridge.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw PodlabError(.invalidArgument, "containerd bridge \(bridge): want 1-15 letters, digits, - or _ (an interface name)")
        }
        let parts = subnet.split(separator: "/")
        guard parts.count == 2, let prefix = Int(parts[1]), (8...30).contains(prefix),
              parts[0].split(separator: ".").count == 4,
              parts[0].split(separator: ".").allSatisfy({ UInt8($0) != nil }) else {
            throw PodlabError(.invalidArgument, "containerd subnet \(subnet): want an IPv4 CIDR with a prefix of 8 to 30")
        }
        for (name, path) in [("state dir", stateDir), ("root dir", rootDir), ("cgroup parent", cgroupParent)] {
            guard path.hasPrefix("/"), !path.split(separator: "/").contains(".."), !path.contains("\""), !path.contains("\n") else {
                throw PodlabError(.invalidArgument, "containerd \(name) \(path): want an absolute path without .., quotes or newlines")
            }
        }
        // sun_path holds 107 bytes and a NUL.
        guard socket.utf8.count <= 107 else {
            throw PodlabError(.invalidArgument, "containerd socket \(socket): \(socket.utf8.count) bytes, unix sockets allow 107; use a shorter PODLAB_STATE_DIR")
        }
    }

    /// containerd 1.6's config (version 2): own root, state, socket; the CRI plugin with
    /// podlab's pause image, our CNI dirs, the cgroupfs driver (runc `SystemdCgroup = false`)
    /// and overlayfs. Key names are containerd's docs/cri/config.md (release/1.6).
    public func configTOML() -> String {
        """
        # Written by `podlab runtime up containerd`; removed by `podlab runtime down`.
        version = 2
        root = "\(rootDir)/root"
        state = "\(containerdStateDir)"
        # Fail at start, not at the first pod, when the CRI plugin cannot load.
        required_plugins = ["io.containerd.grpc.v1.cri"]
        disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

        [grpc]
          address = "\(socket)"

        [ttrpc]
          address = "\(socket).ttrpc"

        [debug]
          address = ""
          level = "info"

        [metrics]
          address = ""

        [plugins."io.containerd.internal.v1.opt"]
          # Default /opt/containerd: keep it inside our own root.
          path = "\(rootDir)/opt"

        [plugins."io.containerd.grpc.v1.cri"]
          sandbox_image = "\(sandboxImage)"
          # Port 0: a free port, so two containerds never fight over the default 10010.
          stream_server_address = "127.0.0.1"
          stream_server_port = "0"
          enable_selinux = false
          # The sandbox asks for oom_score_adj -998 (kubelet's PodInfraOOMAdj); without
          # CAP_SYS_RESOURCE (this VM, NOTES.md) runc init dies on it. true: never below
          # containerd's own value, as podlab's runtime keeps the inherited one.
          restrict_oom_score_adj = true

          [plugins."io.containerd.grpc.v1.cri".containerd]
            snapshotter = "overlayfs"
            default_runtime_name = "runc"

            [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
              runtime_type = "io.containerd.runc.v2"

              [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
                BinaryName = "\(runcBinary)"
                SystemdCgroup = false

          [plugins."io.containerd.grpc.v1.cri".cni]
            bin_dir = "\(cniBinDir)"
            conf_dir = "\(cniConfDir)"
            max_conf_num = 1

        """
    }

    /// The CNI network: `bridge` (gateway on the bridge so the host reaches pod IPs, no
    /// masquerade, so no iptables rules to clean) with `host-local` IPAM keeping its leases in
    /// our state dir. Loopback is not listed: containerd's CRI adds its own `lo` network
    /// (go-cni `WithLoNetwork`), which runs the `loopback` plugin from bin_dir.
    public func cniConflist() -> String {
        let object: [String: Any] = [
            "cniVersion": "0.4.0",
            "name": Self.networkName,
            "plugins": [[
                "type": "bridge",
                "bridge": bridge,
                "isGateway": true,
                "ipMasq": false,
                "hairpinMode": false,
                "ipam": [
                    "type": "host-local",
                    "ranges": [[["subnet": subnet]]],
                    "routes": [["dst": "0.0.0.0/0"]],
                    "dataDir": ipamDir,
                ] as [String: Any],
            ] as [String: Any]],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func firstDirectory(_ candidates: [String]) -> String? {
        candidates.first { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
        }
    }

    /// `name` on PATH, then in the sbin directories (root's PATH may lack them under sudo).
    static func findExecutable(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let dirs = path.split(separator: ":").map(String.init) + ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]
        return dirs.map { $0 + "/" + name }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
