import CPodlab
import PodlabCore
import Testing

@testable import PodKit

@Suite("Spawn request → C config, capabilities, exit status")
struct RuntimeSpawnRequestTests {
    @Test func containerdDefaultCapabilitiesAreDockersFamiliarMask() {
        // The CapEff every docker/containerd container shows; 14 capabilities.
        #expect(ContainerDefaults.capabilities.hexMask == "00000000a80425fb")
        #expect(ContainerDefaults.capabilities.capabilities.count == 14)
        #expect(!ContainerDefaults.capabilities.contains(.sysAdmin))
        #expect(ContainerDefaults.capabilities.contains(.netRaw))
    }

    @Test func capabilityNamesRoundTrip() {
        for cap in LinuxCapability.allCases {
            #expect(LinuxCapability(name: cap.description) == cap)
        }
        #expect(LinuxCapability(name: "net_bind_service") == .netBindService)
        #expect(LinuxCapability(name: "CAP_NOPE") == nil)
    }

    @Test func waitStatusDecodesToKubernetesExitCodes() {
        #expect(SpawnResult.Exit(waitStatus: 7 << 8) == .exited(7))
        #expect(SpawnResult.Exit(waitStatus: 9) == .signaled(9))
        #expect(SpawnResult.Exit(waitStatus: 9).exitCode == 137)
        #expect(SpawnResult.Exit(waitStatus: 15).exitCode == 143)
    }

    @Test func requestBecomesTheCConfigFieldForField() throws {
        var request = SpawnRequest(arguments: ["sh", "-c", "echo hi"])
        request.join = .pod(sandboxPid: 4242)
        request.newNamespaces = .container
        request.rootfs = "/r"
        request.mounts = [MountEntry.bind("/src", at: "/r/dst", readOnly: true, create: .file)]
        request.devices = [DeviceEntry(hostPath: "/dev/null", target: "/r/dev/null", node: DeviceNode(name: "null", major: 1, minor: 3))]
        request.maskedPaths = ContainerDefaults.maskedPaths
        request.readonlyPaths = ContainerDefaults.readonlyPaths
        request.cgroupProcsFiles = ["/sys/fs/cgroup/x/cgroup.procs"]
        request.capabilities = ContainerDefaults.capabilities
        request.environment = ["PATH=/bin"]
        request.waitForExit = true

        try request.withCConfig { cfg in
            let c = cfg.pointee
            #expect(c.join_net.map { String(cString: $0) } == "/proc/4242/ns/net")
            #expect(c.join_uts.map { String(cString: $0) } == "/proc/4242/ns/uts")
            #expect(c.join_pid == nil && c.join_mnt == nil)
            #expect(c.new_namespaces == SpawnRequest.Namespaces.container.rawValue)
            #expect(c.n_mounts == 1)
            let mount = try #require(c.mounts).pointee
            #expect(String(cString: try #require(mount.source)) == "/src")
            #expect(mount.flags == MountEntry.Flags([.bind, .recursive, .readOnly]).rawValue && mount.create == 2)
            #expect(c.n_devices == 1 && c.n_masked_paths == ContainerDefaults.maskedPaths.count)
            let device = try #require(c.devices).pointee
            #expect(device.major == 1 && device.minor == 3 && device.mode == 0o666 && device.uid == 0 && device.gid == 0)
            let readonly = try #require(c.readonly_paths)
            #expect(String(cString: try #require(readonly[4])) == "/proc/sysrq-trigger")
            #expect(c.n_cgroup_procs == 1)
            #expect(c.oom_score_adj == PL_OOM_SCORE_ADJ_UNSET)
            #expect(c.drop_capabilities == 1 && c.capabilities == 0xa804_25fb)
            #expect(c.stdin_fd == -1 && c.stdout_fd == -1)
            let argv = try #require(c.argv)
            #expect(String(cString: try #require(argv[2])) == "echo hi" && argv[3] == nil)
            #expect(c.path == nil && c.wait_for_exit == 1)
        }
    }

    @Test func stringsWithNulBytesAreRefusedNotTruncated() {
        var request = SpawnRequest(arguments: ["/bin/true"])
        request.rootfs = "/tmp/a\0/etc"
        #expect(throws: PodlabError.self) { try request.withCConfig { _ in } }
    }
}
