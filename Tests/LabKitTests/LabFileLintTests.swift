import Foundation
import LabKit
import Testing
import PodObservations

/// The lab files shipped in `Labs/` must always lint clean.
struct LabFileLintTests {
    static let labsDirectory: String = {
        let testFile = URL(fileURLWithPath: #filePath)
        return testFile.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Labs").path
    }()

    @Test func everyShippedLabParses() throws {
        let files = try LabCatalog(labsDirectory: Self.labsDirectory).allFiles()
        let names = files.map { ($0 as NSString).lastPathComponent }
        #expect(Set(names).isSuperset(of: ["pause-namespaces.lab.yaml", "pause-process-tree.lab.yaml", "pause-persistence.lab.yaml",
                                           "sidecar-shared-logs.lab.yaml", "memory-limits.lab.yaml",
                                           "sidecar-busybox.lab.yaml", "command-and-args.lab.yaml"]))
        for file in files {
            do {
                let lab = try LabParser.parse(file: file)
                #expect(!lab.steps.isEmpty, "\(file) has no steps")
                #expect(!lab.description.isEmpty, "\(file) has no description")
                // A step runs operations, or hands the student a task (which `run` covers by its solution).
                #expect(lab.steps.allSatisfy { !$0.tryOperations.isEmpty || !($0.task?.solution.isEmpty ?? true) })
            } catch {
                Issue.record("\(error)")
            }
        }
    }

    @Test func pauseNamespacesMapsTheImageAndExpectsTheSeedPostsSharing() throws {
        let lab = try LabParser.parse(file: Self.labsDirectory + "/pause-namespaces.lab.yaml")
        #expect(lab.images["alpine:3.2"] == "busybox")
        let expectations = lab.steps.flatMap(\.tryOperations).compactMap { operation -> ([NamespaceKind], [NamespaceKind])? in
            if case let .namespaces(_, shared, privateKinds) = operation.action { return (shared, privateKinds) }
            return nil
        }
        #expect(expectations.first?.0 == [.net, .ipc, .uts])
        #expect(expectations.first?.1 == [.mnt, .pid])
    }

    @Test func schemaIsValidJSONAndClosed() throws {
        let text = try LabJSONSchema.render()
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        let definitions = object?["$defs"] as? [String: Any]
        let step = definitions?["Step"] as? [String: Any]
        #expect(step?["additionalProperties"] as? Bool == false)
        // try, or a student task instead (see StudentTaskTests.schemaDescribesTasks).
        #expect((step?["oneOf"] as? [[String: Any]])?.compactMap { ($0["required"] as? [String])?.first }.contains("try") == true)
        let operation = definitions?["Operation"] as? [String: Any]
        let verbs = (operation?["oneOf"] as? [[String: Any]])?.compactMap { ($0["required"] as? [String])?.first }
        #expect(verbs == LabVerb.allCases.map(\.rawValue))
    }
}
