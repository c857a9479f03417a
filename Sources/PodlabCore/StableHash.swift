/// A hash that is the same in every process and on every run (Swift's `Hasher` is seeded per
/// process), for names on the host that several podlab processes must derive alike.
public enum StableHash {
    /// 32-bit FNV-1a of the UTF-8 bytes, as 8 lower-case hex digits.
    public static func fnv1a32Hex(_ text: String) -> String {
        fnv1aHex(text, offsetBasis: UInt32(0x811C_9DC5), prime: 0x0100_0193)
    }

    /// 64-bit FNV-1a of the UTF-8 bytes, as 16 lower-case hex digits.
    public static func fnv1a64Hex(_ text: String) -> String {
        fnv1aHex(text, offsetBasis: UInt64(0xcbf2_9ce4_8422_2325), prime: 0x0000_0100_0000_01b3)
    }

    /// FNV-1a (http://www.isthe.com/chongo/tech/comp/fnv/) at the width of `Hash`, zero-padded to
    /// two hex digits per byte.
    private static func fnv1aHex<Hash: FixedWidthInteger & UnsignedInteger>(_ text: String, offsetBasis: Hash, prime: Hash) -> String {
        var hash = offsetBasis
        for byte in text.utf8 {
            hash ^= Hash(byte)
            hash = hash &* prime
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: Hash.bitWidth / 4 - hex.count) + hex
    }
}
