import ArgumentParser
import PodlabCore
import RootfsKit

/// `podlab rootfs rm NAME...`.
struct RootfsRemoveCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rm",
        abstract: "Remove images from the catalog (and their tarballs). `rootfs prune` then frees their cache entries and blobs.",
        aliases: ["rmi"])

    @Argument(help: "Catalog images (NAME[:TAG]).")
    var images: [String]

    func run() throws {
        let catalog = ImageCatalog(paths: .fromEnvironment())
        for image in images {
            let record = try catalog.remove(image)
            print("removed \(record.reference)  sha256:\(record.digest)")
        }
    }
}
