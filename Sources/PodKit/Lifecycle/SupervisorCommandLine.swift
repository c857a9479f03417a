import Foundation
import PodlabCore

/// The hidden `podlab supervise <key>` command line that `apply` starts per pod, spelled once:
/// the launcher builds it, the CLI recognises it, `clean`/`delete`/liveness checks find
/// supervisors by it in `/proc/<pid>/cmdline`.
public enum SupervisorCommandLine {
    /// The hidden subcommand's name.
    public static let subcommand = "supervise"

    /// `[executable, "supervise", key]`.
    public static func arguments(executable: String, key: String) -> [String] { [executable, subcommand, key] }

    /// The pod key if `arguments` (argv, argv[0] included) is a supervisor's command line.
    /// - Parameter executableName: also require argv[0]'s last component to be this (`podlab`).
    public static func key(in arguments: [String], executableName: String? = nil) -> String? {
        guard arguments.count == 3, arguments[1] == subcommand, !arguments[2].hasPrefix("-") else { return nil }
        if let executableName, (arguments[0] as NSString).lastPathComponent != executableName { return nil }
        return arguments[2]
    }

    /// The pod key if process `pid` is a supervisor (nil if it is gone or something else).
    public static func key(ofProcess pid: Int32, executableName: String? = nil) -> String? {
        guard let data = try? FileSystem.readFile("/proc/\(pid)/cmdline") else { return nil }
        return key(in: data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }, executableName: executableName)
    }
}
