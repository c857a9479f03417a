/// A position in a YAML file (lab file or manifest), printed as `file:line:column`, the form
/// editors and CI annotations jump to. Lines and columns start at 1 (libyaml's marks, as Yams
/// reports them).
public struct SourceLocation: Hashable, Sendable, CustomStringConvertible, Codable {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}
