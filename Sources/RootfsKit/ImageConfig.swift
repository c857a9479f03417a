/// The runtime part of an OCI image configuration: what a container runs and with which defaults
/// when the pod spec does not say. Field names and JSON keys are the OCI image spec's `config`
/// object (opencontainers/image-spec `config.md`), which docker-save archives, OCI layouts and
/// registries all carry, so one decoder reads every source.
///
/// How the pod spec combines with it (`command` replaces Entrypoint and drops Cmd, `args`
/// replaces Cmd) is decided in PodKit, not here: this type only carries the image's values.
public struct ImageConfig: Codable, Sendable, Equatable {
    /// `Entrypoint`: the executable and its leading arguments; nil when the image sets none.
    public var entrypoint: [String]?
    /// `Cmd`: the default arguments (or command, when there is no Entrypoint).
    public var cmd: [String]?
    /// `Env`: `NAME=value` entries, in the image's order.
    public var env: [String]?
    /// `WorkingDir`: the default working directory; nil or empty means `/`.
    public var workingDir: String?
    /// `User`: `user`, `uid`, `user:group` or `uid:gid`; nil or empty means root.
    public var user: String?
    /// `ExposedPorts`: keys like `80/tcp`; documentation only, as in Kubernetes.
    public var exposedPorts: [String: EmptyObject]?
    /// `StopSignal`, e.g. `SIGQUIT` for nginx; containerd uses it when stopping a container.
    public var stopSignal: String?
    /// `Labels`.
    public var labels: [String: String]?

    /// The `{}` value of an `ExposedPorts` entry.
    public struct EmptyObject: Codable, Sendable, Equatable {
        public init() {}
    }

    enum CodingKeys: String, CodingKey {
        case entrypoint = "Entrypoint", cmd = "Cmd", env = "Env", workingDir = "WorkingDir"
        case user = "User", exposedPorts = "ExposedPorts", stopSignal = "StopSignal", labels = "Labels"
    }

    public init(entrypoint: [String]? = nil, cmd: [String]? = nil, env: [String]? = nil,
                workingDir: String? = nil, user: String? = nil,
                exposedPorts: [String: EmptyObject]? = nil, stopSignal: String? = nil,
                labels: [String: String]? = nil) {
        self.entrypoint = entrypoint
        self.cmd = cmd
        self.env = env
        self.workingDir = workingDir
        self.user = user
        self.exposedPorts = exposedPorts
        self.stopSignal = stopSignal
        self.labels = labels
    }
}
