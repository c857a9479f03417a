import ArgumentParser
import Foundation
import PodlabCLI

// Exit codes (README.md, "The labs"): 0 success, 1 a lab or command failed, 2 usage or lab-file errors.
// swift-argument-parser uses 64 (EX_USAGE) for usage errors; podlab maps it to 2.
// A closed pipe (`podlab run … | head`) must not kill podlab mid-lab before it deletes its pods:
// writes then fail with EPIPE instead. Every child podlab starts resets its signal dispositions.
signal(SIGPIPE, SIG_IGN)
PodlabCommand.registerRuntimeHooks()
if let code = PodlabCommand.superviseIfRequested() {
    exit(code)
}
do {
    var command = try PodlabCommand.parseAsRoot()
    try command.run()
} catch {
    let code = PodlabCommand.exitCode(for: error)
    if code == .validationFailure {
        let message = PodlabCommand.fullMessage(for: error)
        if !message.isEmpty { print(message, to: &StandardError.stream) }
        if let hint = PodlabCommand.suggestion(for: Array(CommandLine.arguments.dropFirst())) { print(hint, to: &StandardError.stream) }
        PodlabCommand.exit(withError: ExitCode(2))
    }
    PodlabCommand.exit(withError: error)
}
