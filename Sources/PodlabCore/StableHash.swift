/// A hash that is the same in every process and on every run (Swift's `Hasher` is seeded per
/// process), for names on the host that several podlab processes must derive alike.
public enum StableHash {
    /// 32-bit FNV-1a of the UTF-8 bytes, as 8 lower-case hex digits.
    public static func fnv1a32Hex(_ text: String) -> String {
        var hash: UInt32 = 0x811C_9DC5
        for byte in text.utf8 {
            hash ^= UInt32(byte)
            hash = hash &* 0x0100_0193
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }

    /// 64-bit FNV-1a of the UTF-8 bytes, as 16 lower-case hex digits.
    public static func fnv1a64Hex(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
