#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Small facts about the running process that RootfsKit decisions depend on.
public enum RootfsPlatform {
    /// True when running with euid 0: owners can be restored and device policy matters.
    public static var isRoot: Bool { geteuid() == 0 }
}
