import ArgumentParser
import PodKit
import PodlabCore

/// `podlab clean`: remove everything podlab left on this machine.
struct CleanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clean",
        abstract: "Remove every podlab pod, process, mount, netns, veth, cgroup and IP lease (also after a crash).")

    func run() throws {
        try Preflight.requireRoot("clean")
        let report = PodCleaner(paths: .fromEnvironment()).cleanAll()
        report.forEach { print($0) }
        if report.isEmpty { print("nothing to clean") }
        if report.contains(where: { $0.hasPrefix("failed:") }) { throw ExitCode(1) }
    }
}
