import PodlabCore

/// Applies image layers in order onto one directory, with whiteouts (OCI image-spec `layer.md`),
/// each layer through `SafeExtractor` under one shared budget and with its gzip trailer checked,
/// then packs the result into one gzip'ed rootfs tarball: the catalog's form of a layered image.
/// (`ImageArchiveImporter` does the same for docker-save and OCI archives.)
struct LayerFlattener {
    var limits: ExtractionLimits
    var cancellation: Cancellation = .signals

    /// A layer file and how errors name it.
    struct Layer {
        var name: String
        var path: String
    }

    /// Unpacks `layers` into `rootfs` (an empty directory) and writes `output`.
    ///
    /// - Returns: entries in `output` and the regular-file bytes the layers unpacked to.
    /// - Throws: the extractor's error naming the layer and entry (`..`, writes through symlinks,
    ///   links out of the image, caps exceeded), or a gzip CRC/size error.
    func flatten(_ layers: [Layer], rootfs: String, output: String) throws -> (entries: Int, unpackedBytes: Int64) {
        var options = ExtractionOptions(applyWhiteouts: true, limits: limits)
        options.cancellation = cancellation
        let extractor = SafeExtractor(options: options)
        let budget = ExtractionBudget(limits)
        for layer in layers {
            let report = try extractor.extract(archive: layer.path, into: rootfs, name: layer.name, budget: budget)
            try GzipTrailer.verify(layer.path, name: layer.name, maxOutput: GzipTrailer.maxOutput(for: report), cancellation: cancellation)
        }
        let writer = try ArchiveWriter(path: output, compression: .gzip)
        let count = try DirectoryTarWriter.write(root: rootfs, to: writer, cancellation: cancellation)
        try writer.finish()
        return (count, budget.bytes)
    }
}
