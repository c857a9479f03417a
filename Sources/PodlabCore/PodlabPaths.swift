import Foundation

/// Where podlab keeps things on the host. Every location can be moved with an environment
/// variable so tests and parallel CI jobs never share state by accident.
public struct PodlabPaths: Sendable, Equatable {
    /// Runtime state of live pods (tmpfs-like, gone on reboot): `/run/podlab`. `PODLAB_STATE_DIR`.
    public var stateDir: String
    /// Persistent data: unpacked image cache, IPAM leases: `/var/lib/podlab`. `PODLAB_DATA_DIR`.
    public var dataDir: String
    /// The image catalog and its tarballs: `./rootfs` of the checkout. `PODLAB_ROOTFS_DIR`.
    public var rootfsDir: String
    /// Lab files: `./Labs`. `PODLAB_LABS_DIR`.
    public var labsDir: String
    /// Reports: `./reports`. `PODLAB_REPORTS_DIR`.
    public var reportsDir: String

    public init(stateDir: String, dataDir: String, rootfsDir: String, labsDir: String, reportsDir: String) {
        self.stateDir = stateDir
        self.dataDir = dataDir
        self.rootfsDir = rootfsDir
        self.labsDir = labsDir
        self.reportsDir = reportsDir
    }

    /// The paths from the environment, defaulting to the system locations and the checkout's
    /// `rootfs/`, `Labs/` and `reports/`: the current directory when it has a `Labs/` folder,
    /// else the checkout the running binary was built in (`<checkout>/.build/…/podlab`), so
    /// `podlab run pause-persistence` works from any directory.
    public static func fromEnvironment(_ env: [String: String] = ProcessInfo.processInfo.environment) -> PodlabPaths {
        let cwd = checkoutDirectory()
        return PodlabPaths(
            stateDir: env["PODLAB_STATE_DIR"] ?? "/run/podlab",
            dataDir: env["PODLAB_DATA_DIR"] ?? "/var/lib/podlab",
            rootfsDir: env["PODLAB_ROOTFS_DIR"] ?? cwd + "/rootfs",
            labsDir: env["PODLAB_LABS_DIR"] ?? cwd + "/Labs",
            reportsDir: env["PODLAB_REPORTS_DIR"] ?? cwd + "/reports")
    }

    /// The `PODLAB_*_DIR` variables that make a child podlab process use these same paths.
    public var environment: [String: String] {
        ["PODLAB_STATE_DIR": stateDir, "PODLAB_DATA_DIR": dataDir, "PODLAB_ROOTFS_DIR": rootfsDir,
         "PODLAB_LABS_DIR": labsDir, "PODLAB_REPORTS_DIR": reportsDir]
    }

    /// The directory holding `Labs/`: the current one, else the nearest ancestor of the
    /// executable that has `Labs/` and `Package.swift`, else the current one.
    static func checkoutDirectory() -> String {
        let fm = FileManager.default
        let cwd = fm.currentDirectoryPath
        if fm.fileExists(atPath: cwd + "/Labs") { return cwd }
        var dir = ((try? fm.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? "") as NSString
        while dir.length > 1 {
            dir = dir.deletingLastPathComponent as NSString
            if fm.fileExists(atPath: "\(dir)/Labs") && fm.fileExists(atPath: "\(dir)/Package.swift") { return dir as String }
        }
        return cwd
    }

    /// The content-addressed cache of unpacked images: `<dataDir>/images/<sha256>/rootfs`.
    public var imageCacheDir: String { dataDir + "/images" }
    /// IPAM leases, one file per address: `<dataDir>/ipam/<network>`.
    public var ipamDir: String { dataDir + "/ipam" }
    /// One directory per pod: `<stateDir>/pods/<name>`.
    public var podsDir: String { stateDir + "/pods" }
}
