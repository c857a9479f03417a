import ArgumentParser
import Foundation
import LabKit
import PodlabCore

/// `podlab docs LAB`: a lab as a Markdown handout, without running it.
struct DocsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docs",
        abstract: "Write a lab as a Markdown handout (for printing or a course site).",
        discussion: "Nothing is run. Prints to stdout unless -o is given; --all --dir DIR writes DIR/<lab>.md for every lab.")

    @Argument(help: "Lab names or lab file paths.", completion: ShellCompletions.labNames)
    var labs: [String] = []

    @Flag(help: "Every lab in the labs directory (needs --dir).")
    var all = false

    @Option(name: [.customShort("o"), .customLong("output")], help: "Write the handout to this file (one lab).")
    var output: String?

    @Option(help: "Write one <lab>.md per lab into this directory.")
    var dir: String?

    func run() throws {
        let catalog = LabCatalog(labsDirectory: PodlabPaths.fromEnvironment().labsDir)
        let parsed: [Lab]
        do {
            guard all || !labs.isEmpty else { throw PodlabError(.invalidArgument, "name a lab, or pass --all --dir DIR") }
            if all && dir == nil { throw PodlabError(.invalidArgument, "--all writes one file per lab: add --dir DIR") }
            if output != nil && (all || labs.count > 1) { throw PodlabError(.invalidArgument, "-o takes one lab; use --dir DIR for several") }
            let (result, failed) = LabFileLoading.parseAll(try LabFileLoading.files(labs, all: all, catalog: catalog))
            if failed { throw PodlabError(.badInput, "lab files have errors (listed above)") }
            parsed = result
        } catch {
            LabFileLoading.printError("podlab docs: \(error)")
            throw ExitCode(2)
        }
        if let dir {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            } catch {
                throw PodlabError(.invalidArgument, "mkdir(\(dir)): \(error.localizedDescription)")
            }
        }
        for lab in parsed {
            let text = LabHandout.render(lab)
            let target = output ?? dir.map { ($0 as NSString).appendingPathComponent("\(lab.name).md") }
            guard let target else {
                print(text, terminator: "")
                continue
            }
            do {
                try text.write(toFile: target, atomically: true, encoding: .utf8)
            } catch {
                throw PodlabError(.invalidArgument, "write(\(target)): \(error.localizedDescription)")
            }
            print(target)
        }
    }
}
