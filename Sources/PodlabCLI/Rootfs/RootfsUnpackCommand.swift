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

    @Argument(help: "A catalog name (busybox, alpine:3.20, podlab/entrypoint-demo) or a path to a tarball (an existing file, or one starting with /, ./ or ../).")
    var image: String

    @Option(help: "Unpack into this directory (created if missing) instead of the cache.")
    var dest: String?

    @Option(name: .long, help: UnpackLimitOptions.bytesHelp)
    var maxUnpackBytes: String?

    @Option(name: .long, help: UnpackLimitOptions.entriesHelp)
    var maxUnpackEntries: String?

    func run() throws {
        let limits = try UnpackLimitOptions.limits(maxBytes: maxUnpackBytes, maxEntries: maxUnpackEntries)
        try ImportInterruption.run { try unpack(limits: limits) }
    }

    private func unpack(limits: ExtractionLimits) throws {
        let paths = PodlabPaths.fromEnvironment()
        // A name like `podlab/entrypoint-demo` or `library/nginx` has a slash too: only an
        // existing file or an explicit path is a tarball, anything else goes to the catalog.
        let isFile = FileManager.default.fileExists(atPath: image) || ["/", "./", "../"].contains(where: image.hasPrefix)
        let record = isFile ? nil : try ImageCatalog(paths: paths).resolve(image)
        if let dest {
            if mkdir(dest, 0o755) != 0 && errno != EEXIST { throw PodlabError.syscall("mkdir(\(dest))", .init(rawValue: errno)) }
            let allowed = limits.allowing(bytes: record?.unpackedBytes, entries: record?.fileCount)
            let report = try SafeExtractor(options: ExtractionOptions(limits: allowed)).extract(archive: record?.tarballPath ?? image, into: dest)
            Self.printWarnings(report)
            print(dest)
            return
        }
        let cache = ImageCache(paths: paths, limits: limits)
        let (path, report) = try record.map { try cache.unpack($0) } ?? cache.rootfs(tarball: image, digest: try ImageCache.digest(ofTarball: image))
        if let report { Self.printWarnings(report) }
        print(path)
    }

    private static func printWarnings(_ report: ExtractionReport) {
        for warning in report.warnings { StandardStreams.error("warning: \(warning)\n") }
    }
}
