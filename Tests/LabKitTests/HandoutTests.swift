import Foundation
import LabKit
import Testing

/// `podlab docs`: handouts written from the lab file alone.
struct HandoutTests {
    @Test func persistenceHandoutHasStepsCommandsTaskAndExpectations() throws {
        let lab = try LabParser.parse(file: LabFileLintTests.labsDirectory + "/pause-persistence.lab.yaml")
        let handout = LabHandout.render(lab)
        #expect(handout.hasPrefix("# Lab: pause-persistence\n"))
        #expect(handout.contains("**\(lab.title)**"))
        #expect(handout.contains("## Before you start"))
        #expect(handout.contains("The manifests' `alpine:3.2` is played by podlab's `busybox` image."))
        #expect(handout.contains("| 3 | `kill-app` | kill -KILL alpine |"))
        for (index, step) in lab.steps.enumerated() { #expect(handout.contains("## Step \(index + 1): \(step.name)")) }
        // Commands to type, with placeholders since nothing ran.
        #expect(handout.contains("$ kill -9 <alpine-pid>"))
        #expect(handout.contains("$ nsenter -t <pause-pid> -n ip -4 addr show"))
        // Expected observations from the checks and wait conditions.
        #expect(handout.contains("- `ip` is `$IP_BEFORE`"))
        #expect(handout.contains("- podlab waits until container alpine state=running restartCount≥1 lastExitCode=137 lastReason=Error"))
        // The task, its hint and solution folded away, and the question.
        #expect(handout.contains("### Your task"))
        #expect(handout.contains("<details><summary>Hint</summary>"))
        #expect(handout.contains("<details><summary>Solution</summary>"))
        #expect(handout.contains("$ readlink /proc/$PODLAB_PID_ALPINE/ns/net > /tmp/podlab-answer-netns-inode"))
        #expect(handout.contains("Why is the inode the same as before the kill"))
        // Every fence is closed.
        #expect(handout.components(separatedBy: "```").count % 2 == 1)
    }

    @Test func everyShippedLabHasAHandout() throws {
        for file in try LabCatalog(labsDirectory: LabFileLintTests.labsDirectory).allFiles() {
            let lab = try LabParser.parse(file: file)
            let handout = LabHandout.render(lab)
            #expect(handout.contains("## Step \(lab.steps.count): "), "\(file)")
            #expect(handout.contains(lab.description.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
    }

    /// `Labs/handouts/` holds the printed handouts for a course site; they must match what
    /// `podlab docs --all --dir Labs/handouts` writes from the current lab files.
    @Test func committedHandoutsAreCurrent() throws {
        for file in try LabCatalog(labsDirectory: LabFileLintTests.labsDirectory).allFiles() {
            let lab = try LabParser.parse(file: file)
            let path = LabFileLintTests.labsDirectory + "/handouts/\(lab.name).md"
            let committed = try String(contentsOfFile: path, encoding: .utf8)
            #expect(committed == LabHandout.render(lab), "\(path) is stale: run podlab docs --all --dir Labs/handouts")
        }
    }
}
