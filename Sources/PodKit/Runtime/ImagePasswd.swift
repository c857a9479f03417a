import CPodlab
import Foundation
import PodlabCore
import PodlabSyscalls

/// The image's `/etc/passwd`, read the way runc's `user.GetExecUserPath` reads the container's
/// (libcontainer/user/user.go), for the one thing the runtime needs from it before the process
/// starts: `HOME`. docs/FIDELITY.md #84.
public enum ImagePasswd {
    /// runc's default home when the user has no passwd entry (`ExecUser{Home: "/"}`).
    public static let defaultHome = "/"
    /// A passwd file larger than this is not read (the default home is used); it comes from an
    /// untrusted image.
    static let maxBytes = 1 << 20

    /// The home directory of `uid` in `passwd` text: the sixth field of the first line whose third
    /// field is `uid`, as runc's `ParsePasswdFilter` reads it. Malformed lines are skipped.
    public static func home(forUID uid: UInt32, passwd: String) -> String? {
        for line in passwd.split(separator: "\n", omittingEmptySubsequences: true) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let fields = trimmed.split(separator: ":", omittingEmptySubsequences: false)
            guard fields.count >= 6, UInt32(fields[2]) == uid else { continue }
            let home = String(fields[5])
            return home.isEmpty ? nil : home
        }
        return nil
    }

    /// The home directory of `uid` in the image at `imageRoot` (its `/etc/passwd`, resolved with
    /// `RESOLVE_IN_ROOT`, so a symlinked passwd in the image cannot make podlab read a host file),
    /// or ``defaultHome`` when the image has no such file or entry.
    public static func home(forUID uid: UInt32, imageRoot: String) -> String {
        guard let root = try? ConfinedDirectory(path: imageRoot, confinement: .inRoot),
            let fd = try? root.open("etc/passwd", flags: O_RDONLY)
        else { return defaultHome }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        guard let data = try? handle.read(upToCount: maxBytes + 1), data.count <= maxBytes else { return defaultHome }
        return home(forUID: uid, passwd: String(decoding: data, as: UTF8.self)) ?? defaultHome
    }

    /// `environment` with `HOME=<home of uid>` appended when it sets no HOME (runc
    /// `setupUser`/`finalizeNamespace`: HOME only when unset).
    public static func addingHome(to environment: [String], uid: UInt32, imageRoot: String) -> [String] {
        if environment.contains(where: { $0.hasPrefix("HOME=") }) { return environment }
        return environment + ["HOME=" + home(forUID: uid, imageRoot: imageRoot)]
    }
}
