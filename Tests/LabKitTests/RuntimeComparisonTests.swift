import Foundation
import Reports
import Testing

/// The comparison section of `podlab run --runtime podlab,containerd` and `podlab compare`:
/// rows line up by observation, differences carry their documented reason, the Markdown is
/// valid CommonMark (parsed with markdown-it-py, as GitHub renders it), and the suite JSON
/// gets a `comparison` object beside the labs.
@Suite struct RuntimeComparisonTests {
    static let podlab = RuntimeObservations(runtime: "podlab", values: [
        ObservedValue("pod web: IP kept across container restarts", "kept"),
        ObservedValue("pod web: process tree root", "podlab"),
        ObservedValue("container app: NoNewPrivs", "0"),
        ObservedValue("container app: mounts", "/ overlay rw,relatime\n/proc proc rw,nosuid\n/dev tmpfs rw|x"),
        ObservedValue("container app: only here", "`x`"),
    ])
    static let containerd = RuntimeObservations(runtime: "containerd", values: [
        ObservedValue("pod web: IP kept across container restarts", "kept"),
        ObservedValue("pod web: process tree root", "containerd-shim-runc-v2"),
        ObservedValue("container app: NoNewPrivs", "0"),
        ObservedValue("container app: mounts", "/ overlay rw,relatime\n/proc proc rw,nosuid,nodev\n/dev tmpfs rw|x"),
    ])

    static var comparison: RuntimeComparison {
        RuntimeComparison(subject: "web.yaml", observations: [podlab, containerd],
                          reasons: [(fragment: "process tree root", reason: "the shim differs (docs/FIDELITY.md #205)")])
    }

    @Test func rowsLineUpAndDifferencesAreNamed() throws {
        let comparison = Self.comparison
        #expect(comparison.runtimes == ["podlab", "containerd"])
        #expect(comparison.rows.map(\.observation) == Self.podlab.values.map(\.observation))
        #expect(comparison.rows[0].agree && comparison.rows[2].agree)
        #expect(!comparison.rows[1].agree && comparison.rows[1].reason?.contains("#205") == true)
        #expect(!comparison.rows[3].agree && comparison.rows[3].reason == nil)
        // Seen on one runtime only: a difference, with nil for the other.
        #expect(comparison.rows[4].values == ["`x`", nil] && !comparison.rows[4].agree)
        #expect(comparison.disagreements.count == 3)
        #expect(comparison.unexplained.map(\.observation) == ["container app: mounts", "container app: only here"])
        let diff = RuntimeComparisonReport.diff(comparison.rows[3].values, runtimes: comparison.runtimes)
        #expect(diff == "--- podlab\n+++ containerd\n-/proc proc rw,nosuid\n+/proc proc rw,nosuid,nodev")
    }

    @Test func markdownIsOneValidTableWithDiffs() throws {
        let markdown = RuntimeComparisonReport.markdown([Self.comparison])
        #expect(markdown.contains("1 compared, 3 disagreements, 2 without a documented reason"))
        #expect(markdown.contains("| Observation | podlab | containerd | |"))
        #expect(markdown.contains("| pod web: IP kept across container restarts | `kept` | `kept` | ✅ agree |"))
        #expect(markdown.contains("| pod web: process tree root | `podlab` | `containerd-shim-runc-v2` | ⚠️ differs: the shim differs (docs/FIDELITY.md #205) |"))
        #expect(markdown.contains("| container app: mounts | 3 lines | 3 lines | ❌ differs |"))
        #expect(markdown.contains("| container app: only here | `'x'` | — | ❌ differs |"))
        let structure = try MarkdownStructure.parse(markdown)
        #expect(structure.problems == [])
        #expect(structure.details.count == 1)
        #expect(structure.fences.map(\.info) == ["diff"])
        #expect(structure.fences.first?.content.contains("+/proc proc rw,nosuid,nodev") == true)
    }

    @Test func suiteFilesCarryTheComparison() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("podlab-cmp-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let now = Date()
        let lab = LabReport(name: "pause-persistence.podlab", title: "t (podlab)", file: "x.lab.yaml", namespace: "pp-1", startTime: now, endTime: now, steps: [])
        let report = Report(name: "podlab-report", startTime: now, endTime: now, labs: [lab])
        let writer = ComparisonReportWriter(writer: ReportWriter(directory: directory, formats: [.json, .junit]))
        let files = try writer.write(report, comparisons: [Self.comparison])
        #expect(files.first == directory + "/podlab-report.md")
        let markdown = try String(contentsOfFile: directory + "/podlab-report.md", encoding: .utf8)
        #expect(markdown.contains("## Runtime comparison\n"))
        let json = try #require(FileManager.default.contents(atPath: directory + "/podlab-report.json"))
        let object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
        #expect((object["labs"] as? [[String: Any]])?.first?["name"] as? String == "pause-persistence.podlab")
        let comparison = try #require(object["comparison"] as? [String: Any])
        #expect(comparison["disagreements"] as? Int == 3)
        #expect(comparison["unexplained"] as? Int == 2)
        #expect(FileManager.default.fileExists(atPath: directory + "/podlab-report.xml"))
    }
}
