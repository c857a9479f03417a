import ArgumentParser
import ContainerdKit
import Foundation
import PodKit
import PodlabCore
import RootfsKit

/// `podlab runtime`: start and stop a containerd of podlab's own, the second runtime labs can
/// run on (issue 13). Everything it makes lives under the state and data dirs; see `ContainerdSetup`.
struct RuntimeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runtime",
        abstract: "Start, stop and check a containerd of podlab's own (CRI runtime for labs).",
        subcommands: [RuntimeUpCommand.self, RuntimeDownCommand.self, RuntimeStatusCommand.self, RuntimeImagesCommand.self])
}

/// `podlab runtime up containerd`.
struct RuntimeUpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "up",
        abstract: "Start containerd with its own root, state, socket, CNI network (bridge plcri0, 10.228.0.0/16), and import podlab's pause and busybox images.")

    @Argument(help: "The runtime to start (only `containerd`).")
    var runtime: String = "containerd"

    @Option(help: "Seconds to wait for the CRI to answer Version.")
    var timeout: Double = 30

    func run() throws {
        guard runtime == "containerd" else {
            throw PodlabError(.invalidArgument, "runtime up \(runtime): podlab can start `containerd` only")
        }
        try Preflight.requireRoot("runtime up")
        let paths = PodlabPaths.fromEnvironment()
        let setup = ContainerdSetup.forPaths(paths)
        let instance = ContainerdInstance(setup: setup)
        let record = try instance.up(timeout: timeout)
        print("containerd \(record.runtimeVersion ?? "") pid \(record.pid)")
        print("  endpoint  unix://\(record.socket)")
        print("  network   bridge \(record.bridge), \(record.subnet)")
        print("  cgroups   \(record.cgroupParent)")
        try RuntimeImagesCommand.importImages(setup: setup, paths: paths, references: ["busybox"])
    }
}

/// `podlab runtime down`.
struct RuntimeDownCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "down",
        abstract: "Stop podlab's containerd, its shims and containers, and remove its netns, veths, bridge, mounts, cgroups and directories.")

    func run() throws {
        try Preflight.requireRoot("runtime down")
        let setup = ContainerdSetup.forPaths(.fromEnvironment())
        let removal = try ContainerdInstance(setup: setup).down()
        print(RuntimeDownCommand.describe(removal))
    }

    static func describe(_ removal: ContainerdInstance.Removal) -> String {
        var parts: [String] = []
        if removal.containerdStopped { parts.append("stopped containerd") }
        if removal.sandboxes > 0 { parts.append("removed \(removal.sandboxes) sandbox(es)") }
        if removal.processes > 0 { parts.append("killed \(removal.processes) leftover process(es)") }
        if removal.mounts > 0 { parts.append("unmounted \(removal.mounts)") }
        if removal.cgroups > 0 { parts.append("removed \(removal.cgroups) cgroup(s)") }
        if removal.bridge { parts.append("removed the bridge") }
        if !removal.bridgeKeptFor.isEmpty { parts.append("kept the bridge: \(removal.bridgeKeptFor.joined(separator: ", ")) still on it") }
        return parts.isEmpty ? "containerd: nothing to stop" : "containerd: " + parts.joined(separator: ", ")
    }
}

/// `podlab runtime status`.
struct RuntimeStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status", abstract: "Say whether podlab's containerd runs, and whether its CRI answers.")

    func run() throws {
        let setup = ContainerdSetup.forPaths(.fromEnvironment())
        guard let record = ContainerdInstance(setup: setup).running() else {
            print("containerd: not running (start it with `podlab runtime up containerd`)")
            throw ExitCode(1)
        }
        switch RuntimeDoctor.checkEndpoint(record.socket, sandboxImage: setup.sandboxImage) {
        case .success(let description):
            print("containerd: \(description), pid \(record.pid), unix://\(record.socket)")
        case .failure(let error):
            print("containerd: pid \(record.pid): \(error.problem.detail)\n  fix: \(error.problem.fix)")
            throw ExitCode(1)
        }
    }
}

/// `podlab runtime images [IMAGE…]`: (re)import podlab's pause and catalog images into the
/// running containerd's `k8s.io` namespace (after `podlab rootfs import`, say).
struct RuntimeImagesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "images", abstract: "Import podlab's pause image and catalog images (default: busybox) into podlab's containerd.")

    @Argument(help: "Catalog images to import (NAME[:TAG]).")
    var images: [String] = ["busybox"]

    func run() throws {
        try Preflight.requireRoot("runtime images")
        let paths = PodlabPaths.fromEnvironment()
        let setup = ContainerdSetup.forPaths(paths)
        guard ContainerdInstance(setup: setup).running() != nil else {
            throw PodlabError(.invalidState, "podlab's containerd is not running; start it with `podlab runtime up containerd`")
        }
        try Self.importImages(setup: setup, paths: paths, references: images)
    }

    static func importImages(setup: ContainerdSetup, paths: PodlabPaths, references: [String]) throws {
        let images = ContainerdImages(setup: setup)
        let pause = try images.importPause(pause: PodRuntimeFiles.pauseBinary())
        print("  image     \(pause.reference) (\(pause.manifestDigest.prefix(19)))")
        let catalog = ImageCatalog(paths: paths)
        for reference in references {
            let record = reference == "busybox" || reference == "busybox:latest" ? try catalog.ensureDefaultImage() : try catalog.resolve(reference)
            let imported = try images.importCatalogImage(record)
            print("  image     \(imported.reference) (\(imported.manifestDigest.prefix(19)))")
        }
    }
}
