import Foundation
import PodlabCore
import RootfsKit

/// Puts podlab's images into containerd's `k8s.io` namespace (the CRI plugin's), so the CRI
/// never pulls: podlab's pause as the sandbox image, and catalog images (busybox) under
/// `podlab.local/NAME:TAG` (docs/FIDELITY.md #112, #113).
public struct ContainerdImages {
    public let setup: ContainerdSetup

    public init(setup: ContainerdSetup) { self.setup = setup }

    /// The reference a catalog image has inside containerd.
    public static func reference(for record: ImageRecord) -> String {
        let name = record.name.contains("/") ? String(record.name.split(separator: "/").last ?? "") : record.name
        return "podlab.local/\(name):\(record.tag)"
    }

    /// Builds and imports the pause image from `pause` (podlab's own binary).
    @discardableResult
    public func importPause(pause: String) throws -> OCIImageArchive.Written {
        try withScratch { scratch in
            let layer = scratch + "/layer.tar"
            try ImageLayers.writePauseLayer(pause: pause, to: layer)
            // Upstream's image runs pause as 65535:65535 (build/pause/Dockerfile USER).
            let config = OCIImageArchive.RuntimeConfig(entrypoint: ["/pause"], env: [], user: "65535:65535")
            return try importLayer(layer, config: config, reference: setup.sandboxImage, scratch: scratch)
        }
    }

    /// Imports a catalog image (its rootfs tarball becomes the one layer).
    @discardableResult
    public func importCatalogImage(_ record: ImageRecord) throws -> OCIImageArchive.Written {
        try withScratch { scratch in
            let layer = scratch + "/layer.tar"
            try ImageLayers.writeUncompressedLayer(from: record.tarballPath, to: layer)
            var config = OCIImageArchive.RuntimeConfig(cmd: ["sh"])
            if let imageConfig = record.config {
                config = Self.runtimeConfig(from: imageConfig, fallback: config)
            }
            return try importLayer(layer, config: config, reference: Self.reference(for: record), scratch: scratch)
        }
    }

    /// The image's own runtime config (from `rootfs import` of a docker/OCI archive) where set.
    static func runtimeConfig(from image: ImageConfig, fallback: OCIImageArchive.RuntimeConfig) -> OCIImageArchive.RuntimeConfig {
        var config = fallback
        if let value = image.entrypoint { config.entrypoint = value }
        if let value = image.cmd { config.cmd = value }
        if let value = image.env { config.env = value }
        if let value = image.user { config.user = value }
        if let value = image.workingDir, !value.isEmpty { config.workingDir = value }
        return config
    }

    func importLayer(_ layer: String, config: OCIImageArchive.RuntimeConfig, reference: String, scratch: String) throws -> OCIImageArchive.Written {
        let archive = scratch + "/image.tar"
        let written = try OCIImageArchive.write(layer: layer, config: config, reference: reference, to: archive)
        try ctr(["images", "import", "--snapshotter", "overlayfs", archive])
        return written
    }

    /// Runs `ctr --address SOCKET -n k8s.io ARGS…`, failing with its output.
    public func ctr(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: setup.ctrBinary)
        process.arguments = ["--address", setup.socket, "-n", "k8s.io"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        do { try process.run() } catch {
            throw PodlabError(.notFound, "exec(\(setup.ctrBinary)): \(error); apt-get install containerd")
        }
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw PodlabError(.invalidState, "ctr -n k8s.io \(arguments.joined(separator: " ")): exit \(process.terminationStatus): \(output.suffix(2000))")
        }
    }

    func withScratch<T>(_ body: (String) throws -> T) throws -> T {
        let scratch = setup.stateDir + "/import-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do { try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true) } catch {
            throw PodlabError(.invalidState, "mkdir \(scratch): \(error)")
        }
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        return try body(scratch)
    }
}
