import ArgumentParser
import LabKit

/// `podlab schema`: the lab file JSON Schema, generated from the parser's own field tables.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "Print the JSON Schema of lab files (for editors).",
        discussion: "Use it with the YAML language server: save it and start lab files with `# yaml-language-server: $schema=PATH`.")

    func run() throws {
        print(try LabJSONSchema.render(), terminator: "")
    }
}
