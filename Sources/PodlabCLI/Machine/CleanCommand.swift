import Foundation
import ArgumentParser
import ContainerdKit
import LabKit
import PodKit
import PodlabCore
import RootfsKit

/// `podlab clean`: remove everything podlab left on this machine.
///
/// Without options it removes the pods of `PODLAB_STATE_DIR` (default `/run/podlab`) and sweeps
/// pieces no pod names any more, sparing pods of other state dirs (a parallel CI job's labs).
/// `--state-dir` and `--all` remove other state dirs' pods too, each with the settings saved in
/// that state dir (`runtime.json`: its bridge, subnet, netns dir, cgroup parent and data dir),
/// so its bridge and cgroup parent go too, whatever this shell's environment says.
struct CleanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
        abstract: "Remove every podlab pod, process, mount, netns, veth, cgroup and IP lease (also after a crash).")

    @Flag(help: "Also remove the pods of every other state directory that live supervisors serve (an interrupted test run, another job's labs).")
    var all = false

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Also remove the pods of this state directory, with the settings saved there (repeatable).", valueName: "dir"))
    var stateDirs: [String] = []

    func run() throws {
        try Preflight.requireRoot("clean")
        let paths = PodlabPaths.fromEnvironment()
        let cleaner = PodCleaner(paths: paths)
        var report: [String] = []
        var others = stateDirs
        if all { others += cleaner.otherStateDirectories() }
        var seen: Set<String> = [PodlabPaths.canonicalPath(paths.stateDir)]
        others = others.filter { seen.insert(PodlabPaths.canonicalPath($0)).inserted }
        for stateDir in others {
            let other = PodCleaner(stateDirectory: stateDir, fallback: paths)
            report += other.cleanAll().map { $0.hasPrefix("failed: ") ? "failed: \(stateDir): \($0.dropFirst(8))" : "\(stateDir): \($0)" }
        }
        // podlab's own containerd (`runtime up`), before the cgroup sweep meets its cgroups.
        report += Self.stopContainerd(paths: cleaner.paths)
        // Last, so that the machine-wide sweep no longer spares what was just removed.
        report += cleaner.cleanAll()
        // Scratch of interrupted imports and unpacks (only podlab's own names, each under the
        // lock its owner holds: a running import keeps its scratch).
        let scratch = ScratchLeftovers.remove(paths: cleaner.paths)
        report += scratch.removed.map { "removed scratch \($0)" }
        report += scratch.busy.map { "kept scratch \($0) (an import or unpack is running)" }
        report += scratch.failed.map { "failed: scratch \($0)" }
        report.forEach { print($0) }
        if report.isEmpty { print("nothing to clean") }
        if report.contains(where: { $0.hasPrefix("failed:") }) { throw ExitCode(1) }
    }
}

extension CleanCommand {
    /// `runtime down` for this state dir's containerd, when one was started or left behind.
    static func stopContainerd(paths: PodlabPaths) -> [String] {
        let setup = ContainerdSetup.forPaths(paths)
        guard FileManager.default.fileExists(atPath: setup.stateDir) else { return [] }
        do {
            return [RuntimeDownCommand.describe(try ContainerdInstance(setup: setup).down())]
        } catch {
            return ["failed: containerd: \(error)"]
        }
    }
}
