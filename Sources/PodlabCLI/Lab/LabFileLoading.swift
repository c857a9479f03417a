import Foundation
import LabKit
import PodlabCore

/// Shared by `run`, `lint` and `list`: turn names/paths into parsed labs, printing every
/// diagnostic to stderr.
enum LabFileLoading {
    /// The files for the given names or paths, or every lab when `all` (or no names) is set.
    static func files(_ names: [String], all: Bool, catalog: LabCatalog) throws -> [String] {
        if all || names.isEmpty { return try catalog.allFiles() }
        return try names.map(catalog.resolve)
    }

    /// Parses every file; returns the labs and whether any had errors (already printed).
    static func parseAll(_ files: [String]) -> (labs: [Lab], failed: Bool) {
        var labs: [Lab] = []
        var failed = false
        for file in files {
            do {
                labs.append(try LabParser.parse(file: file))
            } catch let error as LabFileError {
                failed = true
                printError(error.description)
            } catch {
                failed = true
                printError("\(file): error: \(error)")
            }
        }
        return (labs, failed)
    }

    static func printError(_ text: String) {
        StandardStreams.error((text + "\n"))
    }
}
