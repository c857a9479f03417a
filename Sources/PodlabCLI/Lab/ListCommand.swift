import ArgumentParser
import Foundation
import LabKit
import PodlabCore
import Reports

/// `podlab list`: the labs with title and labels.
struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "List the labs with their titles and labels.")

    @Option(name: [.customShort("l"), .customLong("selector")], help: "Only labs with this label (key=value, repeatable).")
    var selectors: [String] = []

    func run() throws {
        let catalog = LabCatalog(labsDirectory: PodlabPaths.fromEnvironment().labsDir)
        let selection = try LabCatalog.parseSelectors(selectors)
        var rows: [[String]] = []
        var invalid = false
        for file in try catalog.allFiles() {
            do {
                let lab = try LabParser.parse(file: file)
                guard lab.matches(selectors: selection) else { continue }
                let labels = lab.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
                rows.append([lab.name, "\(lab.steps.count)", labels, lab.title])
            } catch {
                invalid = true
                rows.append([(file as NSString).lastPathComponent, "-", "", "(invalid: run podlab lint \(file))"])
            }
        }
        print(TextTable.render(header: ["NAME", "STEPS", "LABELS", "TITLE"], rows: rows))
        if invalid { throw ExitCode(2) }
    }
}
