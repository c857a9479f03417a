import CArchiveLoader
import PodlabCore

/// libarchive is loaded on first use (see `archive_loader.h`): most podlab processes never
/// read an archive and should not pay for mapping it and its dependencies at start.
enum LibArchive {
    /// Loads libarchive or throws why not (the library and dlerror()), before the first
    /// archive_* call of a reader or writer.
    static func load() throws {
        var message = [CChar](repeating: 0, count: 512)
        guard pl_archive_load(&message, message.count) == 0 else {
            throw PodlabError(.archive, String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
    }
}
