import ContainerdKit
import PodKit

extension PodlabCommand {
    /// Registers the teardown hooks of the runtimes this binary links, so a forced `delete` or
    /// `clean` of a pod whose supervisor is gone removes a containerd pod's CRI sandbox too
    /// (`SandboxTeardownHooks`; PodKit cannot import ContainerdKit). Called once by `main`.
    public static func registerRuntimeHooks() {
        SandboxTeardownHooks.register(ContainerdSandboxTeardown())
    }
}
