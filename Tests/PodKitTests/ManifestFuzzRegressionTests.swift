import Foundation
import PodKit
import PodlabCore
import Testing

/// Inputs that once crashed `scripts/fuzz`'s manifest target, kept in Fuzz/regressions/manifest/.
/// Each goes through the target's calls (Fuzz/Sources/FuzzTargets/FuzzTargets.swift,
/// `manifest(_:)`) and must parse, or be refused with an error naming file:line:column; a trap
/// kills this test process.
struct ManifestFuzzRegressionTests {
    @Test(arguments: FuzzRegressionInput.all("manifest"))
    func parsesOrIsRefusedAtAPosition(_ input: FuzzRegressionInput) throws {
        guard let yaml = String(data: try input.data(), encoding: .utf8) else { return }  // refused as not UTF-8
        do {
            let parsed = try ManifestParser().parse(yaml: yaml, file: "fuzz.yaml")
            let json = try JSONEncoder().encode(parsed.pods)
            #expect(try JSONDecoder().decode([PodSpec].self, from: json) == parsed.pods)
        } catch let error as PodlabError {
            #expect(error.message.hasPrefix("fuzz.yaml:"), "\(error)")
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
