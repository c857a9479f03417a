import Foundation
import LabKit
import Reports
import Testing

/// The lab's cleanup deletes all its pods in one `deleteTogether` call, so their grace periods
/// overlap (docs/FIDELITY.md #192), and still reports one delete per pod.
struct CleanupOverlapTests {
    @Test func cleanupDeletesEveryPodOfTheLabInOneBatchNewestFirst() throws {
        let backend = FakeLabBackend()
        backend.nextPodNames = ["first", "second", "third"]
        let yaml = labHeader() + """
          - name: more
            try:
            - apply: {file: pod.yaml}
            - apply: {file: pod.yaml}
        """
        let report = try withTemporaryDirectory { directory in
            let (_, lab) = try writeLab(yaml, in: directory)
            return LabRunner(lab: lab, namespace: "ns-batch", backend: backend).run()
        }
        #expect(!report.failed, "\(report.firstFailure?.operation.error ?? "")")
        #expect(backend.deleteBatches == [["third", "second", "first"]])
        // A force delete: any positive grace costs kubelet's 2 s minimum for an app that ignores
        // SIGTERM (docs/FIDELITY.md #54), on every lab.
        #expect(backend.deleteBatchGracePeriods == [0])
        #expect(backend.deleted.map(\.name) == ["third", "second", "first"])
        let cleanup = try #require(report.steps.last)
        #expect(cleanup.name == "@cleanup")
        #expect(cleanup.operations.map(\.summary) == ["delete pod third", "delete pod second", "delete pod first",
                                                      "delete everything left in namespace ns-batch"])
        #expect(backend.deletedNamespaces == ["ns-batch"])
    }
}
