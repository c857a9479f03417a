import ArgumentParser
import PodKit
import PodlabCore
import RootfsKit

/// `podlab rootfs prune`.
struct RootfsPruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove unpacked cache entries and registry blobs that no catalog image uses.",
        discussion: "Cache entries of images that pods in the state dir still run on are kept.")

    func run() throws {
        let paths = PodlabPaths.fromEnvironment()
        let inUse = Set(PodStore(paths: paths).list().flatMap { $0.containers.map(\.imageDigest) })
        let report = try ImageCatalog(paths: paths).prune(inUse: inUse)
        for digest in report.cacheEntries { print("removed cache entry \(digest)") }
        for blob in report.blobs { print("removed blob \(blob)") }
        for digest in report.inUse { print("kept cache entry \(digest) (a pod uses it)") }
        print("\(report.cacheEntries.count) cache entr\(report.cacheEntries.count == 1 ? "y" : "ies"), \(report.blobs.count) blob\(report.blobs.count == 1 ? "" : "s") (\(RootfsListCommand.humanSize(report.blobBytes))) removed")
    }
}
