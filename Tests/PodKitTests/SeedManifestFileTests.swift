import Foundation
import Testing

@testable import PodKit

/// `Labs/manifests/nginx-sidecar.yaml` is the seed post's manifest unchanged (issue 14): the
/// `sidecar-shared-logs` lab runs it on the real nginx image without a `command:` override.
@Suite("Lab manifests copied from the seed post")
struct SeedManifestFileTests {
    static let manifests = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Labs/manifests").path

    @Test("nginx-sidecar.yaml is the post's text after its header comment, byte for byte")
    func nginxSidecarIsUnchanged() throws {
        let text = try String(contentsOfFile: Self.manifests + "/nginx-sidecar.yaml", encoding: .utf8)
        let body = text.split(separator: "\n", omittingEmptySubsequences: false).drop { $0.hasPrefix("#") }.joined(separator: "\n")
        #expect(body.trimmingCharacters(in: .whitespacesAndNewlines) == SeedManifests.nginxWithSidecar.trimmingCharacters(in: .whitespacesAndNewlines))
        let pod = try #require(try ManifestParser().parse(yaml: text, file: "nginx-sidecar.yaml").pods.first)
        #expect(pod.containers.first?.command == nil, "no command override: nginx runs its image's ENTRYPOINT + CMD")
        #expect(pod.containers.first?.image == "nginx:latest")
    }
}
