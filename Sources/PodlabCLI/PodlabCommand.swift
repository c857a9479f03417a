import ArgumentParser

/// The `podlab` root command. Each subcommand lives in its own file in this folder.
public struct PodlabCommand: ParsableCommand {
    /// podlab's version, printed by `podlab --version`.
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "podlab",
        abstract: "Kubernetes pod internals, reproducible on one Linux machine.",
        discussion: "podlab builds real pod sandboxes (a pause process holding the pod's namespaces, containers joining them, veth networking, cgroups) and runs declarative labs against them.",
        version: version,
        subcommands: [SuperviseCommand.self],
        groupedSubcommands: [
            CommandGroup(name: "Labs", subcommands: [RunCommand.self, WalkCommand.self, CompareCommand.self, ListCommand.self, DocsCommand.self, LintCommand.self, SchemaCommand.self]),
            CommandGroup(name: "Pods", subcommands: [
                ApplyCommand.self, PodsCommand.self, PsCommand.self, InspectPodCommand.self, InspectContainerCommand.self,
                NamespacesCommand.self, DescribeCommand.self, ExecCommand.self, LogsCommand.self, KillCommand.self, WaitCommand.self, DeleteCommand.self,
            ]),
            CommandGroup(name: "Machine", subcommands: [RootfsCommand.self, RuntimeCommand.self, CleanCommand.self, DoctorCommand.self]),
        ])

    public init() {}
}
