import ContainerdKit
import Foundation
import PodlabCore

/// A containerd of one test's own, as `podlab runtime up containerd` starts it: its root under
/// the test's directory, its own CNI bridge (`<bridgePrefix><3 hex>`) and a random /24 of
/// `subnetBlock`, podlab's pause image imported. `stop()` deletes the test's pods and brings it
/// down; a failed start brings down what it started.
struct TestContainerd {
    let paths: PodlabPaths
    let setup: ContainerdSetup
    let instance: ContainerdInstance
    /// The containerd daemon's pid, for the leak checks after `down()`.
    let daemon: Int32
    private let cli: PodlabCLI

    init(_ cli: PodlabCLI, bridgePrefix: String, subnetBlock: String) throws {
        self.cli = cli
        paths = PodlabPaths(stateDir: cli.stateDir, dataDir: cli.environment.dataDir, rootfsDir: cli.environment.rootfsDir,
                                labsDir: "", reportsDir: "")
        var setup = ContainerdSetup.forPaths(paths, environment: cli.variables)
        setup.rootDir = cli.directory + "/containerd-root"
        setup.bridge = bridgePrefix + String(format: "%03x", Int.random(in: 0...0xfff))
        setup.subnet = "\(subnetBlock).\(Int.random(in: 1...254)).0/24"
        self.setup = setup
        instance = ContainerdInstance(setup: setup)
        do {
            daemon = try instance.up(timeout: 90).pid
            try ContainerdImages(setup: setup).importPause(pause: ContainerdCRITests.pauseBinary)
        } catch {
            _ = try? instance.down()
            throw error
        }
    }

    /// `--cri-endpoint unix://<socket>`.
    var endpoint: [String] { ["--cri-endpoint", "unix://" + setup.socket] }

    /// Deletes every pod of the test's state dir, then stops containerd (idempotent: a test that
    /// already called `instance.down()` to check it loses nothing).
    func stop() {
        _ = try? cli.run(["delete", "--all", "--grace-period", "0"], timeout: 120)
        _ = try? instance.down()
    }
}
