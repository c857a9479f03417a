import Foundation
import PodlabCore
import RootfsKit
import Testing

/// Inputs that once crashed `scripts/fuzz`'s archive target, kept in Fuzz/regressions/archive/.
/// Each goes through the target's calls (Fuzz/Sources/FuzzTargets/FuzzTargets.swift,
/// `archive(_:scratch:)`: unpacked into a fresh directory, then again as an OCI layer over what
/// it left) and must unpack or be refused with a PodlabError; a trap kills this test process.
struct ArchiveFuzzRegressionTests {
    @Test(arguments: FuzzRegressionInput.all("archive"))
    func unpacksOrIsRefused(_ input: FuzzRegressionInput) throws {
        let dir = try TempDir("fuzz")
        let root = try dir.sub("rootfs")
        for options in [ExtractionOptions(), ExtractionOptions(applyWhiteouts: true)] {
            do {
                try SafeExtractor(options: options).extract(archive: input.path, into: root)
            } catch {
                #expect(error is PodlabError, "\(error)")
            }
        }
    }
}

/// One file of Fuzz/regressions/<target>/ (or of `$PODLAB_FUZZ_INPUTS`, to replay a whole corpus).
struct FuzzRegressionInput: Sendable, CustomTestStringConvertible {
    var path: String
    var testDescription: String { (path as NSString).lastPathComponent }

    static func all(_ target: String, file: String = #filePath) -> [FuzzRegressionInput] {
        let checkout = ((file as NSString).deletingLastPathComponent as NSString).deletingLastPathComponent + "/.."
        let dir = ProcessInfo.processInfo.environment["PODLAB_FUZZ_INPUTS"] ?? checkout + "/Fuzz/regressions/" + target
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { !$0.hasPrefix(".") && !$0.hasSuffix(".md") }.sorted().map { FuzzRegressionInput(path: dir + "/" + $0) }
    }
}
