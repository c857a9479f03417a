import CPodlab
import PodlabCore
import SystemPackage

extension pl_error {
    /// The stage the C shim failed at: the syscall and its argument, e.g. `setns(/run/netns/x)`.
    public var stageDescription: String {
        withUnsafeBytes(of: stage) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    /// The C shim's failure as the error users see.
    public var podlabError: PodlabError {
        PodlabError.syscall(stageDescription.isEmpty ? "podlab C shim" : stageDescription, Errno(rawValue: err))
    }
}
