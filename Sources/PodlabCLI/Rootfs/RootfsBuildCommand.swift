import ArgumentParser
import Foundation
import PodlabCore
import RootfsKit

/// `podlab rootfs build busybox|nginx|debian|podlab/entrypoint-demo`: images podlab makes itself.
struct RootfsBuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build an image: busybox (from /bin/busybox), nginx or debian (with mmdebstrap), podlab/entrypoint-demo.",
        discussion: """
            busybox: the static busybox as a rootfs, with the official image's CMD ["sh"]. \
            nginx: Debian's nginx-light built with mmdebstrap (needs `apt-get install mmdebstrap` and \
            apt access), configured like the official nginx image (ENTRYPOINT /docker-entrypoint.sh, \
            CMD nginx -g "daemon off;"). debian: any packages, `--include PKG... --name NAME[:TAG]`. \
            Builds are reproducible with SOURCE_DATE_EPOCH and cached by their inputs \
            (PODLAB_BUILD_CACHE_DIR, default <rootfs dir>/.build-cache), so a second build is instant. \
            --entrypoint/--cmd take a JSON array (["echo","hi"]) or one word.
            """)

    @Argument(help: "busybox, nginx, debian or podlab/entrypoint-demo.")
    var image: String

    @Option(help: "The static busybox binary to package (busybox).")
    var busybox: String = "/bin/busybox"

    @Option(help: "The image name to record, NAME[:TAG] (default: the image's own name).")
    var name: String?

    @Option(parsing: .upToNextOption, help: "Debian packages to install (debian).")
    var include: [String] = []

    @Option(help: "Debian suite (debian).")
    var suite: String = "bookworm"

    @Option(help: "mmdebstrap variant: essential or minbase (debian).")
    var variant: String = "essential"

    @Option(help: "Debian mirror URL (nginx, debian; default PODLAB_DEBIAN_MIRROR or deb.debian.org).")
    var mirror: String?

    @Option(help: "Image config Entrypoint: a JSON array or one word.")
    var entrypoint: String?

    @Option(help: "Image config Cmd: a JSON array or one word.")
    var cmd: String?

    @Option(help: "Image config Env entry NAME=value (repeatable).")
    var env: [String] = []

    @Option(help: "Image config WorkingDir.")
    var workdir: String?

    @Option(help: "Image config User (user, uid, user:group, uid:gid).")
    var user: String?

    func run() throws {
        let catalog = ImageCatalog(paths: .fromEnvironment())
        let record: ImageRecord
        switch image {
        case "busybox", "busybox:latest":
            var config = BusyboxRootfsBuilder.imageConfig
            try apply(to: &config)
            let reference = try name.map { try ImageReference(parsing: $0) } ?? ImageReference(name: "busybox")
            record = try catalog.buildBusybox(busyboxPath: busybox, reference: reference, config: config)
        case "nginx", "nginx:latest":
            var recipe = DebianImageRecipe.nginx(mirror: mirror ?? ProcessInfo.processInfo.environment["PODLAB_DEBIAN_MIRROR"])
            try apply(to: &recipe.config)
            let reference = try name.map { try ImageReference(parsing: $0) } ?? ImageReference(name: "nginx")
            record = try catalog.buildDebian(recipe, reference: reference, announce: true)
        case "debian":
            guard let name else { throw ValidationError("podlab rootfs build debian needs --name NAME[:TAG]") }
            guard !include.isEmpty else { throw ValidationError("podlab rootfs build debian needs --include PKG...") }
            guard ["essential", "minbase", "required", "important", "standard"].contains(variant) else {
                throw ValidationError("--variant \(variant): expected essential, minbase, required, important or standard")
            }
            var recipe = DebianImageRecipe(suite: suite, variant: variant, packages: include,
                                           mirror: mirror ?? ProcessInfo.processInfo.environment["PODLAB_DEBIAN_MIRROR"],
                                           config: ImageConfig(cmd: ["bash"], env: BusyboxRootfsBuilder.imageConfig.env))
            try apply(to: &recipe.config)
            record = try catalog.buildDebian(recipe, reference: try ImageReference(parsing: name), announce: true)
        default:
            guard let built = ImageCatalog.BuiltImage(reference: image) else {
                throw ValidationError("podlab builds busybox, nginx, debian and podlab/entrypoint-demo; bring other images with `podlab rootfs import PATH --name NAME[:TAG]`")
            }
            record = try catalog.build(built)
        }
        print("\(record.reference)  sha256:\(record.digest)  \(record.fileCount) entries  \(record.tarballPath)")
        if let config = record.config {
            let entry = (config.entrypoint ?? []).map(\.debugDescription).joined(separator: ", ")
            let cmd = (config.cmd ?? []).map(\.debugDescription).joined(separator: ", ")
            print("  Entrypoint [\(entry)]  Cmd [\(cmd)]")
        }
    }

    /// The --entrypoint/--cmd/--env/--workdir/--user overrides.
    private func apply(to config: inout ImageConfig) throws {
        if let entrypoint { config.entrypoint = try Self.argv(entrypoint, option: "--entrypoint") }
        if let cmd { config.cmd = try Self.argv(cmd, option: "--cmd") }
        for entry in env {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex else {
                throw ValidationError("--env \(entry.debugDescription): expected NAME=value")
            }
            let name = entry[..<equals]
            config.env = (config.env ?? []).filter { !$0.hasPrefix(name + "=") } + [entry]
        }
        if let workdir {
            guard workdir.hasPrefix("/") else { throw ValidationError("--workdir \(workdir.debugDescription): must be an absolute path") }
            config.workingDir = workdir
        }
        if let user { config.user = user }
    }

    /// A JSON array of strings, or one word as a one-element array; `[]` clears the field.
    static func argv(_ text: String, option: String) throws -> [String]? {
        guard text.hasPrefix("[") else { return [text] }
        guard let value = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
            throw ValidationError("\(option) \(text.debugDescription): not a JSON array of strings")
        }
        return value.isEmpty ? nil : value
    }
}
