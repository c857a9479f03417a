import Foundation
import PodlabCore

/// Images podlab can make itself, by name, and the Debian build with its input cache.
extension ImageCatalog {
    /// The images podlab builds on demand when a manifest names them and the catalog lacks them.
    public enum BuiltImage: String, CaseIterable, Sendable {
        /// `busybox:latest` from the host's busybox-static (`CMD ["sh"]`).
        case busybox = "busybox:latest"
        /// `nginx:latest`: Debian's nginx-light, configured like the official image (mmdebstrap).
        case nginx = "nginx:latest"
        /// `podlab/entrypoint-demo:latest`: the busybox rootfs with `ENTRYPOINT ["echo", "entry"]`
        /// and `CMD ["default-cmd"]`, for the command-and-args lab (#95).
        case entrypointDemo = "podlab/entrypoint-demo:latest"

        /// The built image a manifest reference names (`nginx` == `nginx:latest`), if any.
        public init?(reference: String) {
            guard let parsed = try? ImageReference(parsing: reference), parsed.digest == nil,
                  let image = BuiltImage(rawValue: "\(parsed.name):\(parsed.tag)") else { return nil }
            self = image
        }
    }

    /// The config of `podlab/entrypoint-demo`.
    public static let entrypointDemoConfig = ImageConfig(
        entrypoint: ["echo", "entry"], cmd: ["default-cmd"], env: BusyboxRootfsBuilder.imageConfig.env)

    /// Builds `image` and records it. nginx prints one line on stderr first: it takes minutes
    /// the first time (then the input cache makes it instant).
    @discardableResult
    public func build(_ image: BuiltImage) throws -> ImageRecord {
        switch image {
        case .busybox:
            return try buildBusybox()
        case .entrypointDemo:
            return try buildBusybox(reference: ImageReference(name: "podlab/entrypoint-demo"), config: Self.entrypointDemoConfig)
        case .nginx:
            return try buildDebian(.nginx(mirror: ProcessInfo.processInfo.environment["PODLAB_DEBIAN_MIRROR"]),
                                   reference: ImageReference(name: "nginx"), announce: true)
        }
    }

    /// The label that records a Debian image's cache key in its config.
    public static let buildInputsLabel = "dev.podlab.build.inputs"

    /// Where built tarballs are kept by input digest: `PODLAB_BUILD_CACHE_DIR`, else
    /// `<rootfsDir>/.build-cache`. The integration tests point it under `.build`, so the slow
    /// mmdebstrap build runs once per checkout.
    public var buildCacheDir: String {
        ProcessInfo.processInfo.environment["PODLAB_BUILD_CACHE_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? paths.rootfsDir + "/.build-cache"
    }

    /// Builds `recipe` with mmdebstrap and records it as `reference`, unless the same inputs were
    /// built before (docs/FIDELITY.md #103): the catalog's record when its inputs label matches,
    /// else the tarball in `buildCacheDir`, else a real build. Builds of the same inputs are
    /// serialized by a lock in the cache dir, so a second one waits and then reuses the first.
    @discardableResult
    public func buildDebian(_ recipe: DebianImageRecipe, reference: ImageReference, builder: DebianRootfsBuilder = DebianRootfsBuilder(),
                            announce: Bool = false) throws -> ImageRecord {
        let key = recipe.inputsDigest(sourceDateEpoch: builder.sourceDateEpoch)
        if let record = try cachedRecord(reference, key: key) { return record }
        try FileSystem.makeDirectories(paths.rootfsDir)
        try FileSystem.makeDirectories(buildCacheDir)
        let cached = buildCacheDir + "/\(key).tar.gz"
        let metadata = buildCacheDir + "/\(key).json"
        return try FileLock.withExclusiveLock(buildCacheDir + "/.\(key.prefix(16)).lock") {
            if let record = try cachedRecord(reference, key: key) { return record }
            var built: CachedBuild
            if let data = FileManager.default.contents(atPath: metadata), let previous = try? JSONDecoder().decode(CachedBuild.self, from: data),
               FileManager.default.fileExists(atPath: cached) {
                built = previous
            } else {
                _ = try builder.locate()  // a missing mmdebstrap is reported before anything is made
                if announce {
                    StandardStreams.error("podlab: building \(reference) with mmdebstrap (Debian \(recipe.suite), \(recipe.packages.joined(separator: " "))); the first build downloads packages and takes minutes, later ones reuse \(buildCacheDir)\n")
                }
                let scratch = paths.rootfsDir + "/.build-\(getpid())-\(key.prefix(12))"
                DebianRootfsBuilder.unmountLeftovers(below: scratch)
                try? removeTree(scratch)
                try checkedSyscall("mkdir(\(scratch))") { mkdir(scratch, 0o700) }
                defer {
                    DebianRootfsBuilder.unmountLeftovers(below: scratch)
                    try? removeTree(scratch)
                }
                let log = buildCacheDir + "/\(key).log"
                let result = try builder.build(recipe, scratch: scratch, log: log, to: cached)
                var config = recipe.config
                config.labels = (config.labels ?? [:]).merging([Self.buildInputsLabel: key]) { $1 }
                if recipe.packages.contains("nginx-light"), let version = result.packageVersions["nginx-light"] {
                    config.env = (config.env ?? []) + ["NGINX_VERSION=\(version)"]
                }
                let versions = result.packageVersions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
                built = CachedBuild(config: config, entryCount: result.entryCount,
                                    source: "built with mmdebstrap (Debian \(recipe.suite) \(recipe.variant) + \(versions))")
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                let temporary = metadata + ".tmp-\(getpid())"
                guard FileManager.default.createFile(atPath: temporary, contents: try encoder.encode(built)) else {
                    throw PodlabError(.invalidState, "write(\(temporary)): cannot create the build cache entry")
                }
                try checkedSyscall("rename(\(temporary), \(metadata))") { rename(temporary, metadata) }
            }
            return try FileLock.withExclusiveLock(paths.rootfsDir + "/.catalog.lock") {
                let destination = paths.rootfsDir + "/" + reference.fileStem + ".tar.gz"
                try Self.placeCopy(of: cached, at: destination)
                let (digest, size) = try FileDigest.sha256(ofFile: destination)
                var record = ImageRecord(name: reference.name, tag: reference.tag, digest: digest, tarballPath: destination, size: size,
                                         fileCount: built.entryCount, source: built.source)
                record.config = built.config
                try save(replacing: record, in: try load())
                return record
            }
        }
    }

    /// What the build cache keeps next to a tarball.
    private struct CachedBuild: Codable {
        var config: ImageConfig
        var entryCount: Int
        var source: String
    }

    /// The catalog's record of `reference` if it was built from inputs `key` and its tarball exists.
    private func cachedRecord(_ reference: ImageReference, key: String) throws -> ImageRecord? {
        guard let record = try load().first(where: { $0.name == reference.name && $0.tag == reference.tag }),
              record.config?.labels?[Self.buildInputsLabel] == key,
              FileManager.default.fileExists(atPath: record.tarballPath) else { return nil }
        return record
    }

    /// A hard link of `source` at `destination` (same filesystem), else a copy; replaces atomically.
    private static func placeCopy(of source: String, at destination: String) throws {
        let temporary = destination + ".tmp-\(getpid())"
        unlink(temporary)
        if link(source, temporary) != 0 {
            do { try FileManager.default.copyItem(atPath: source, toPath: temporary) } catch {
                throw PodlabError(.invalidState, "copy(\(source), \(temporary)): \(error)")
            }
        }
        do { try checkedSyscall("rename(\(temporary), \(destination))") { rename(temporary, destination) } } catch {
            unlink(temporary)
            throw error
        }
    }
}
