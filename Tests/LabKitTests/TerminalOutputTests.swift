import Foundation
import LabKit
import Testing

/// The terminal Markdown renderer and the commands shown to students.
struct TerminalOutputTests {
    static let text = """
        # The pause container

        Pause **holds** the pod's namespaces; the app *joins* them with `setns(2)` and a long tail of words that has to wrap somewhere before the eightieth column of the terminal.

        - first item, long enough to wrap onto a second line so that the hanging indent can be seen clearly
        - second with [a link](https://example.com)

        ```
        readlink /proc/$PID/ns/net
        ```
        """

    @Test func plainRenderingWrapsAt80WithoutEscapeCodes() {
        let output = TerminalMarkdown(width: 80, style: TerminalStyle(color: false)).render(Self.text)
        let lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(!output.contains("\u{1B}"))
        #expect(lines.allSatisfy { $0.count <= 80 }, "\(lines.map(\.count))")
        #expect(lines.prefix(2) == ["The pause container", "==================="])
        #expect(output.contains("Pause holds the pod's namespaces; the app joins them with `setns(2)` and a long"))
        #expect(lines.contains("• first item, long enough to wrap onto a second line so that the hanging indent"))
        #expect(lines.contains("  can be seen clearly"))
        #expect(lines.contains("• second with a link (https://example.com)"))
        #expect(lines.contains("    readlink /proc/$PID/ns/net"))
    }

    @Test func colourRenderingKeepsTheVisibleWidthWithinTheLimit() {
        let output = TerminalMarkdown(width: 60, style: TerminalStyle(color: true)).render(Self.text)
        #expect(output.contains("\u{1B}[1mholds\u{1B}[0m"))
        #expect(output.contains("\u{1B}[36msetns(2)\u{1B}[0m"))
        #expect(output.split(separator: "\n").allSatisfy { TerminalStyle.visibleWidth(String($0)) <= 60 })
    }

    @Test func commandsCarryTheRealValuesOrPlaceholders() throws {
        try withTemporaryDirectory { directory in
            let yaml = labHeader() + """
              - name: look
                try:
                - namespaces: {}
                - exec: {container: app, command: [cat, /proc/$PODLAB_PAUSE_PID/status]}
                - kill: {container: app, signal: KILL}
            """
            let (_, lab) = try writeLab(yaml, in: directory)
            let operations = lab.steps[1].tryOperations
            let values = ["PODLAB_POD_NAME": "web", "PODLAB_PAUSE_PID": "4242", "PODLAB_PID_APP": "4250", "PODLAB_NETNS": "/run/netns/podlab-web"]
            let known = operations.flatMap { EquivalentCommands.commands(for: $0, lab: lab, values: values) }
            #expect(known.contains("readlink /proc/4242/ns/net"))
            #expect(known.contains("ip netns identify 4242"))
            #expect(known.contains("podlab ns web"))
            #expect(known.contains("podlab exec web -c app -- cat /proc/4242/status"))
            #expect(known.contains { $0.hasPrefix("kill -9 4250") })
            let unknown = operations.flatMap { EquivalentCommands.commands(for: $0, lab: lab, values: [:]) }
            #expect(unknown.contains("readlink /proc/<pause-pid>/ns/net"))
            #expect(unknown.contains { $0.hasPrefix("kill -9 <app-pid>") })
        }
    }
}
