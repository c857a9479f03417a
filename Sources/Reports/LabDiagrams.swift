import Foundation

/// The SVG pictures of one lab report: one per namespace table it observed. The first is
/// `<lab>.svg`, later ones `<lab>-2.svg`, `<lab>-3.svg`…; `ReportWriter` writes them next to
/// `<lab>.md`, which links them relatively. When the lab killed something, each picture says
/// whether it was taken before or after the kill, so pause-persistence gets a before/after pair.
public enum LabDiagrams {
    public struct Diagram: Sendable {
        public var fileName: String
        public var caption: String
        public var table: NamespaceTable

        /// The SVG text.
        public var svg: String { NamespaceDiagramSVG.render(table, caption: caption) }
    }

    public static func diagrams(for lab: LabReport) -> [Diagram] {
        let labKills = lab.steps.contains { $0.operations.contains { $0.verb == "kill" && !$0.failed } }
        var killed = false
        var result: [Diagram] = []
        for step in lab.steps {
            for operation in step.operations {
                if operation.verb == "kill" && !operation.failed { killed = true }
                for case let .namespaces(table) in operation.observations {
                    let stepName = step.kind == .step ? "step \(step.displayName)" : step.name
                    let when = labKills ? (killed ? "after the kill: " : "before the kill: ") : ""
                    let fileName = result.isEmpty ? "\(lab.name).svg" : "\(lab.name)-\(result.count + 1).svg"
                    result.append(Diagram(fileName: fileName, caption: when + stepName, table: table))
                }
            }
        }
        return result
    }
}
