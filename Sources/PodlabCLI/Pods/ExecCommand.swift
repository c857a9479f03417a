import ArgumentParser
import PodKit
import PodlabCore

/// `podlab exec POD [-c CTR] -- CMD`: run a command inside a container (crictl exec).
struct ExecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec", abstract: "Run a command in a container's namespaces and root; its exit code is passed through.")

    @OptionGroup var selection: PodSelection
    @Option(name: .shortAndLong, help: "Container name (default: the kubectl.kubernetes.io/default-container annotation, else the first app container).") var container: String?
    @Flag(name: .shortAndLong, help: "Run the command on a new pseudo-terminal (for shells and full-screen programs).") var tty = false
    @Flag(name: .shortAndLong, help: "Keep stdin open (stdin is always passed through; accepted for crictl/kubectl habits).") var interactive = false
    @Argument(parsing: .postTerminator, help: "The command and its arguments, after --.") var command: [String] = []

    func run() throws {
        let target = try selection.resolveTarget(.current, container: container)
        let pod = target.pod
        let status = try pod.container(target.container)
        let exec = PodExec(paths: .fromEnvironment())
        guard tty else {
            throw ExitCode(try exec.run(pod, container: status, command: command))
        }
        let terminal = try TerminalSession.open()
        let replica = terminal.replica
        let code = try terminal.run {
            try exec.run(pod, container: status, command: command, stdio: (replica, replica, replica), controllingTerminal: true)
        }
        throw ExitCode(code)
    }
}
