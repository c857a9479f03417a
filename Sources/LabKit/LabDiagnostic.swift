import PodlabCore
import PodlabSyscalls

/// One problem found in a lab file.
public struct LabDiagnostic: Hashable, Sendable, CustomStringConvertible, Codable {
    public var location: SourceLocation
    public var message: String

    public init(_ location: SourceLocation, _ message: String) {
        self.location = location
        self.message = message
    }

    /// `Labs/x.lab.yaml:12:7: error: unknown field "tyr" …` (the gcc/clang form editors parse).
    public var description: String { "\(location): error: \(message)" }
}

/// A lab file that failed to parse or lint, with every problem found.
public struct LabFileError: Error, CustomStringConvertible, Sendable {
    public var diagnostics: [LabDiagnostic]

    public init(_ diagnostics: [LabDiagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }

    /// The same problems as the user-facing error type (`badInput`, message starts with file:line:column).
    public var podlabError: PodlabError { PodlabError(.badInput, description) }
}
