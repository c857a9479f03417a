#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Extended-attribute calls on an open fd.
///
/// Why `dlsym`: `<sys/xattr.h>` is not part of Swift's Glibc module and RootfsKit has no C target
/// of its own; the functions are plain libc symbols, so we look them up once.
enum Xattr {
    private typealias SetFn = @convention(c) (Int32, UnsafePointer<CChar>, UnsafeRawPointer?, Int, Int32) -> Int32
    private typealias GetFn = @convention(c) (Int32, UnsafePointer<CChar>, UnsafeMutableRawPointer?, Int) -> Int
    private typealias ListFn = @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int

    private static let setFn: SetFn? = lookup("fsetxattr")
    private static let getFn: GetFn? = lookup("fgetxattr")
    private static let listFn: ListFn? = lookup("flistxattr")

    private static func lookup<F>(_ name: String) -> F? {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { return nil }
        return unsafeBitCast(symbol, to: F.self)
    }

    /// `fsetxattr(fd, name, value)`; returns 0 or -1 with errno set (ENOTSUP if unavailable).
    static func set(fd: Int32, name: String, value: [UInt8]) -> Int32 {
        guard let setFn else { errno = ENOTSUP; return -1 }
        return value.withUnsafeBytes { setFn(fd, name, $0.baseAddress, $0.count, 0) }
    }

    /// All extended attributes of `fd` (empty when the filesystem has none or refuses).
    static func all(fd: Int32) -> [(name: String, value: [UInt8])] {
        guard let listFn, let getFn else { return [] }
        let size = listFn(fd, nil, 0)
        guard size > 0 else { return [] }
        var names = [CChar](repeating: 0, count: size)
        let got = names.withUnsafeMutableBufferPointer { listFn(fd, $0.baseAddress, size) }
        guard got > 0 else { return [] }
        var result: [(String, [UInt8])] = []
        for rawName in names[0..<got].split(separator: 0) {
            let name = String(decoding: rawName.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let valueSize = getFn(fd, name, nil, 0)
            guard valueSize >= 0 else { continue }
            var value = [UInt8](repeating: 0, count: valueSize)
            let read = value.withUnsafeMutableBytes { getFn(fd, name, $0.baseAddress, valueSize) }
            guard read >= 0 else { continue }
            result.append((name, Array(value[0..<read])))
        }
        return result.sorted { $0.0 < $1.0 }
    }
}
