extension Array where Element == UInt8 {
    /// Lower-case hex, two digits per byte, as the golden strings are written.
    var hex: String { map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }
}
