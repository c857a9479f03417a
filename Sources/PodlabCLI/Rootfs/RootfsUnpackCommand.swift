import ArgumentParser
import Foundation
import PodlabCore
import RootfsKit

/// `podlab rootfs unpack (NAME|FILE) [--dest DIR]`: unpack through the cache, or into a directory.
struct RootfsUnpackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unpack",
        abstract: "Unpack an image (by catalog name) or a tarball into the image cache, or into --dest.",
        discussion: "Prints the unpacked rootfs directory. Without --dest the content-addressed cache is used: a second unpack of the same image is a single stat.")

    @Argument(help: "A catalog name (busybox, alpine:3.20) or a path to a tarball.")
    var image: String

    @Option(help: "Unpack into this directory (created if missing) instead of the cache.")
    var dest: String?

    func run() throws {
        let paths = PodlabPaths.fromEnvironment()
        let isFile = image.contains("/") || FileManager.default.fileExists(atPath: image)
        let tarball: String
        var digest: String?
        if isFile {
            tarball = image
        } else {
            let record = try ImageCatalog(paths: paths).resolve(image)
            tarball = record.tarballPath
            digest = record.digest
        }
        if let dest {
            if mkdir(dest, 0o755) != 0 && errno != EEXIST { throw PodlabError.syscall("mkdir(\(dest))", .init(rawValue: errno)) }
            let report = try SafeExtractor().extract(archive: tarball, into: dest)
            Self.printWarnings(report)
            print(dest)
            return
        }
        let cache = ImageCache(paths: paths)
        let (path, report) = try cache.rootfs(tarball: tarball, digest: try digest ?? ImageCache.digest(ofTarball: tarball))
        if let report { Self.printWarnings(report) }
        print(path)
    }

    private static func printWarnings(_ report: ExtractionReport) {
        for warning in report.warnings { StandardStreams.error("warning: \(warning)\n") }
    }
}
