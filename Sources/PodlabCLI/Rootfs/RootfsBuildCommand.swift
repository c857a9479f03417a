import ArgumentParser
import PodlabCore
import RootfsKit

/// `podlab rootfs build busybox`: the default image, from Debian's busybox-static.
struct RootfsBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build the busybox rootfs tarball from /bin/busybox (reproducible).")

    @Argument(help: "What to build; only `busybox` is known.")
    var image: String

    @Option(help: "The static busybox binary to package.")
    var busybox: String = "/bin/busybox"

    func run() throws {
        guard image == "busybox" || image == "busybox:latest" else {
            throw ValidationError("podlab builds only `busybox`; bring other images with `podlab rootfs import PATH --name NAME[:TAG]`")
        }
        let record = try ImageCatalog(paths: .fromEnvironment()).buildBusybox(busyboxPath: busybox)
        print("\(record.reference)  sha256:\(record.digest)  \(record.fileCount) entries  \(record.tarballPath)")
    }
}
