import Foundation
import LabKit
import PodlabCore
import Testing

/// Inputs that once crashed `scripts/fuzz`'s lab target, kept in Fuzz/regressions/lab/. Each
/// goes through the target's calls (Fuzz/Sources/FuzzTargets/FuzzTargets.swift, `lab(_:directory:)`:
/// `podlab lint`'s parser, then `podlab docs`) and must parse, or be refused with diagnostics at
/// positions in the file; a trap kills this test process.
struct LabFuzzRegressionTests {
    @Test(arguments: FuzzRegressionInput.all("lab"))
    func parsesOrIsRefusedAtPositions(_ input: FuzzRegressionInput) throws {
        guard let yaml = String(data: try input.data(), encoding: .utf8) else { return }  // refused as not UTF-8
        let file = NSTemporaryDirectory() + "fuzz.lab.yaml"
        do {
            let lab = try LabParser.parse(yaml: yaml, file: file)
            #expect(!LabHandout.render(lab).isEmpty)
        } catch let error as LabFileError {
            #expect(!error.diagnostics.isEmpty)
            for diagnostic in error.diagnostics {
                #expect(diagnostic.location.file == file && diagnostic.location.line >= 1 && diagnostic.location.column >= 1, "\(diagnostic)")
            }
        }
    }
}

/// One file of Fuzz/regressions/<target>/ (or of `$PODLAB_FUZZ_INPUTS`, to replay a whole corpus).
struct FuzzRegressionInput: Sendable, CustomTestStringConvertible {
    var path: String
    var testDescription: String { (path as NSString).lastPathComponent }
    func data() throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path)) }

    static func all(_ target: String, file: String = #filePath) -> [FuzzRegressionInput] {
        let checkout = ((file as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent + "/.."
        let dir = ProcessInfo.processInfo.environment["PODLAB_FUZZ_INPUTS"] ?? checkout + "/Fuzz/regressions/" + target
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { !$0.hasPrefix(".") && !$0.hasSuffix(".md") }.sorted().map { FuzzRegressionInput(path: dir + "/" + $0) }
    }
}
