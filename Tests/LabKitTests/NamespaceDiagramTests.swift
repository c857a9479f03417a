import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import LabKit
import Reports
import Testing

/// The SVG pictures: well-formed, one box per process, bands labelled with inodes, escaped text,
/// and written next to the lab's Markdown report which links them.
struct NamespaceDiagramTests {
    static let processes = [
        NamespaceDiagramSVG.Process(name: "pause", pid: 4242, id: "0123456789abcdef0123", inodes: ["net": 4026532500, "ipc": 4026532501, "uts": 4026532502, "mnt": 4026532503, "pid": 4026532504]),
        NamespaceDiagramSVG.Process(name: "nginx <main> & \"co\"", pid: 4250, id: "fedcba9876543210", inodes: ["net": 4026532500, "ipc": 4026532501, "uts": 4026532502, "mnt": 4026533001, "pid": 4026533002]),
        NamespaceDiagramSVG.Process(name: "sidecar", pid: 4260, id: nil, inodes: ["net": 4026532500, "ipc": 4026532501, "uts": 4026532502, "mnt": 4026533011, "pid": 4026533012]),
    ]

    func texts(_ document: XMLDocument) throws -> [String] {
        try document.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
    }

    @Test func diagramIsWellFormedWithABoxPerProcessAndInodeBands() throws {
        let svg = NamespaceDiagramSVG.render(pod: "web", ip: "10.88.0.5", processes: Self.processes, caption: "before the kill")
        let document = try XMLDocument(xmlString: svg)
        let root = try #require(document.rootElement())
        #expect(root.name == "svg")
        let attribute = { (name: String) in root.attributes?.first { $0.name == name }?.stringValue }
        #expect(attribute("font-family") == "sans-serif")
        let width = try #require(attribute("width"))
        let height = try #require(attribute("height"))
        #expect(attribute("viewBox") == "0 0 \(width) \(height)")
        let texts = try texts(document)
        // One box per process, each with its name, PID and short id.
        #expect(texts.contains("pause") && texts.contains("PID 4242") && texts.contains("ID 0123456789ab"))
        #expect(texts.contains("nginx <main> & \"co\""), "escaped in the file, intact when parsed")
        #expect(texts.contains("PID 4250") && texts.contains("PID 4260") && texts.contains("ID –"))
        #expect(try document.nodes(forXPath: "//*[local-name()='g']").count == 3)
        // Shared namespaces are one band with the inode (net also with the IP); private ones per box.
        #expect(texts.contains("net:[4026532500] shared by all 3 · pod IP 10.88.0.5"))
        #expect(texts.contains("ipc:[4026532501] shared by all 3"))
        #expect(texts.filter { $0.hasPrefix("mnt:[") } == ["mnt:[4026532503]", "mnt:[4026533001]", "mnt:[4026533011]"])
        #expect(texts.contains("before the kill"))
        #expect(svg.contains("nginx &lt;main&gt; &amp; &quot;co&quot;"))
        #expect(!svg.contains("<script") && !svg.contains("href"))
    }

    @Test func reportWriterWritesBeforeAndAfterPicturesLinkedFromTheMarkdown() throws {
        try withTemporaryDirectory { directory in
            let yaml = labHeader("persist") + """
              - name: before
                try:
                - namespaces: {}
              - name: kill
                try:
                - kill: {container: app, signal: KILL}
                - wait: {container: app, restartCount: 1, state: running}
              - name: after
                try:
                - namespaces: {}
            """
            let (_, lab) = try writeLab(yaml, name: "persist", in: directory)
            let labReport = LabRunner(lab: lab, namespace: "ns-svg", backend: FakeLabBackend()).run()
            #expect(!labReport.failed)
            let reports = directory + "/reports"
            let report = Report(name: "podlab-report", startTime: labReport.startTime, endTime: labReport.endTime, labs: [labReport])
            let files = try ReportWriter(directory: reports, formats: []).write(report)
            #expect(files.contains(reports + "/persist.svg") && files.contains(reports + "/persist-2.svg"))
            let markdown = try String(contentsOfFile: reports + "/persist.md", encoding: .utf8)
            #expect(markdown.contains("| before the kill: step 02 before | after the kill: step 04 after |"))
            #expect(markdown.contains("](persist.svg)") && markdown.contains("](persist-2.svg)"))
            let after = try XMLDocument(contentsOf: URL(fileURLWithPath: reports + "/persist-2.svg"))
            let texts = try texts(after)
            #expect(texts.contains("after the kill: step 04 after"))
            #expect(texts.contains("ID ctr-app-1"), "the restarted container's id")
            #expect(texts.contains("net:[4026532500] shared by all 2 · pod IP 10.88.0.5"))
        }
    }
}
