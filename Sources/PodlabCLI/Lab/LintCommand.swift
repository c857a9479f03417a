import ArgumentParser
import Foundation
import LabKit
import PodlabCore

/// `podlab lint [FILE|NAME…]`: strict checks of lab files, like `chainsaw lint test -f`.
struct LintCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lint",
        abstract: "Check lab files: unknown fields, wrong types, verbs, durations, regexes, bindings.",
        discussion: "Every problem is printed as FILE:LINE:COLUMN: error: MESSAGE. Exit status 2 when any file has a problem. Without arguments, lints every lab in the labs directory.")

    @Argument(help: "Lab names or lab file paths.", completion: ShellCompletions.labNames)
    var labs: [String] = []

    func run() throws {
        let catalog = LabCatalog(labsDirectory: PodlabPaths.fromEnvironment().labsDir)
        let files: [String]
        do {
            files = try LabFileLoading.files(labs, all: false, catalog: catalog)
        } catch {
            LabFileLoading.printError("podlab lint: \(error)")
            throw ExitCode(2)
        }
        let (parsed, failed) = LabFileLoading.parseAll(files)
        for lab in parsed { print("\(lab.file): ok (\(lab.steps.count) steps)") }
        if failed { throw ExitCode(2) }
    }
}
