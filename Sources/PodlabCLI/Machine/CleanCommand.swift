import Foundation
import ArgumentParser
import ContainerdKit
import LabKit
import PodKit
import PodlabCore
import RootfsKit

/// `podlab clean`: remove everything podlab left on this machine.
///
/// Without options it removes the pods of `PODLAB_STATE_DIR` (default `/run/podlab`) and, with
/// the default state dir, sweeps pieces no pod names any more, sparing pods that supervisors of
/// other state dirs still run (a parallel CI job's labs). `--state-dir` and `--all` remove those
/// too: each other state dir is cleaned by a `podlab clean` child running with the `PODLAB_*`
/// settings its supervisors run with, so its bridge, subnet and cgroup parent are the right ones.
struct CleanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
        abstract: "Remove every podlab pod, process, mount, netns, veth, cgroup and IP lease (also after a crash).")

    @Flag(help: "Also remove the pods of every other state directory that live supervisors serve (an interrupted test run, another job's labs).")
    var all = false

    @Option(name: .customLong("state-dir"), help: ArgumentHelp("Also remove the pods of this state directory, with the settings its supervisors run with (repeatable).", valueName: "dir"))
    var stateDirs: [String] = []

    /// Set by `--all` on its second pass over other state dirs: sweep with their settings.
    @Flag(help: .hidden) var sweep = false

    func run() throws {
        try Preflight.requireRoot("clean")
        let cleaner = PodCleaner(paths: .fromEnvironment(), sweepMachine: sweep ? true : nil)
        var report: [String] = []
        let environment = ProcessInfo.processInfo.environment
        var others = stateDirs.map { ($0, cleaner.settings(forStateDirectory: $0, fallback: environment)) }
        if all { others += cleaner.otherStateDirectories().sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
        var seen: Set<String> = [cleaner.paths.stateDir]
        others = others.filter { seen.insert($0.0).inserted }
        for (stateDir, settings) in others {
            report += try cleanElsewhere(stateDir: stateDir, settings: settings)
        }
        // With every supervisor gone, each other run's shared pieces (its bridge, its parent
        // cgroups, pins and leases no pod names) can go too: a sweep with its settings.
        if all, PodCleaner.liveSupervisorCount == 0 {
            for (stateDir, settings) in others {
                report += try cleanElsewhere(stateDir: stateDir, settings: settings, sweep: true)
            }
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

    /// Runs `podlab clean` for another state directory with its settings; its lines, prefixed.
    func cleanElsewhere(stateDir: String, settings: [String: String], sweep: Bool = false) throws -> [String] {
        var childEnvironment = settings
        childEnvironment["PATH"] = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/sbin:/usr/bin:/sbin:/bin"
        let arguments = [PodLauncher.currentExecutable(), "clean"] + (sweep ? ["--sweep"] : [])
        let result = try HostCommand.run(arguments, environment: childEnvironment, timeout: 120)
        let lines = (result.stdout + result.stderr).split(separator: "\n").map(String.init).filter { $0 != "nothing to clean" }
        var report = lines.map { $0.hasPrefix("failed:") ? "failed: \(stateDir): \($0.dropFirst(8))" : "\(stateDir): \($0)" }
        if result.exitCode != 0 && !report.contains(where: { $0.hasPrefix("failed:") }) {
            report.append("failed: \(stateDir): podlab clean exited with \(result.exitCode)")
        }
        return report
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
