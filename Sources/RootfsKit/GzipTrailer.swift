import CArchiveLoader
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import PodlabCore

/// Verifies the CRC-32 and size in every gzip member's trailer, which libarchive 3.6 does not
/// (archive_read_support_filter_gzip.c, `consume_trailer`: "XXX TODO: Verify the length and
/// CRC"): a tarball damaged inside an incompressible (stored) deflate block unpacked without
/// complaint. `pl_gzip_check_*` (CArchiveLoader) runs zlib's own check; this reads the file.
///
/// It costs one more decompression pass, so it runs where an archive enters podlab (`rootfs
/// import`, and each gzip layer of an image archive), *after* the capped extraction succeeded:
/// a gzip bomb is refused by the caps before this pass could spend minutes inflating it, and
/// `maxOutput` (what that extraction read, plus slack for tar headers) stops a bomb hidden after
/// the tar end marker, which libarchive never reads. The cache later checks the imported
/// tarball's sha256, which covers any damage after import.
enum GzipTrailer {
    /// True when `fd` starts with a gzip header (1f 8b, deflate), as libarchive's bidder checks.
    static func isGzip(fd: Int32, path: String) throws -> Bool {
        var magic = [UInt8](repeating: 0, count: 3)
        let n = try checkedSyscall("pread(\(path))") { pread(fd, &magic, 3, 0) }
        return n == 3 && magic == [0x1f, 0x8b, 0x08]
    }

    /// Checks every member of the gzip file `path` (no-op for other files).
    ///
    /// - Parameters:
    ///   - name: names the file in errors, e.g. the user's path for a scratch copy.
    /// - Throws: `.archive` "read(NAME): gzip member 1 is damaged: incorrect data check (…)".
    ///   - maxOutput: decompressed bytes allowed before the check gives up with an error.
    static func verify(_ path: String, name: String, maxOutput: Int64, cancellation: Cancellation = .signals) throws {
        let fd = try RegularFile.open(path, what: "open(\(name))")
        defer { close(fd) }
        guard try isGzip(fd: fd, path: name) else { return }
        var message = [CChar](repeating: 0, count: 512)
        func text() -> String { String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        try LibArchive.load()
        guard let check = pl_gzip_check_new(&message, message.count) else {
            throw PodlabError(.archive, "read(\(name)): \(text())")
        }
        defer { pl_gzip_check_free(check) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            try cancellation.check("read(\(name))")
            let n = try checkedSyscall("read(\(name))") { read(fd, buffer.baseAddress, buffer.count) }
            if n == 0 { break }
            let result = pl_gzip_check_update(check, buffer.baseAddress, n, &message, message.count)
            if result < 0 { throw PodlabError(.archive, "read(\(name)): \(text())") }
            if result == 1 { return }
            let produced = pl_gzip_check_produced(check)
            guard produced <= UInt64(max(maxOutput, 0)) else {
                throw PodlabError(.archive, "read(\(name)): the gzip data goes on past the tar archive (\(produced) bytes decompressed, "
                    + "the archive's entries account for at most \(maxOutput)); refused as a gzip bomb")
            }
        }
        if pl_gzip_check_finish(check, &message, message.count) != 0 {
            throw PodlabError(.archive, "read(\(name)): \(text())")
        }
    }
}

extension GzipTrailer {
    /// The most a tar stream holding `report`'s entries decompresses to: the file data, a header
    /// and padding per entry with room for pax records (8 KiB), and 16 MiB for end blocks and
    /// record padding.
    static func maxOutput(for report: ExtractionReport) -> Int64 {
        let (perEntry, overflow1) = Int64(report.entries).multipliedReportingOverflow(by: 8 << 10)
        let (total, overflow2) = report.bytes.addingReportingOverflow(perEntry)
        return overflow1 || overflow2 ? .max : total &+ (16 << 20)
    }
}
