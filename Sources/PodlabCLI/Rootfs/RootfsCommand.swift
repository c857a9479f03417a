import ArgumentParser

/// `podlab rootfs …`: the image catalog (build, import, ls) and unpacking.
struct RootfsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rootfs",
        abstract: "Build, import, pull, list, inspect, export, remove and unpack rootfs images.",
        discussion: """
            Images live in the rootfs dir (PODLAB_ROOTFS_DIR, default ./rootfs) with a catalog.json; \
            manifests name them in `image:` (busybox == busybox:latest). Unpacked images are cached \
            by sha256 under PODLAB_DATA_DIR/images.
            """,
        subcommands: [
            RootfsBuildCommand.self, RootfsImportCommand.self, RootfsPullCommand.self, RootfsListCommand.self, RootfsInspectCommand.self,
            RootfsExportCommand.self, RootfsRemoveCommand.self, RootfsPruneCommand.self, RootfsUnpackCommand.self,
        ])
}
