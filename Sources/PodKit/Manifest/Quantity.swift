import Foundation

/// A Kubernetes resource quantity (`50Mi`, `0.5`, `500m`, `1e3`, `1G`), as
/// `k8s.io/apimachinery/pkg/api/resource/quantity.go` defines it.
public struct Quantity: Sendable, Equatable, CustomStringConvertible, Codable {
    /// The text as written in the manifest.
    public let text: String
    /// The value as an exact decimal.
    public let value: Decimal

    /// Parses a quantity; returns nil for anything quantity.go would reject (`50Mx`, `1.2.3`, ``).
    public init?(_ text: String) {
        self.text = text
        let scalars = Array(text.unicodeScalars)
        var index = 0
        var number = ""
        if index < scalars.count, scalars[index] == "+" || scalars[index] == "-" {
            number.unicodeScalars.append(scalars[index])
            index += 1
        }
        var sawDigit = false, sawDot = false
        while index < scalars.count {
            let c = scalars[index]
            if CharacterSet.decimalDigits.contains(c) { sawDigit = true } else if c == "." && !sawDot { sawDot = true } else { break }
            number.unicodeScalars.append(c)
            index += 1
        }
        guard sawDigit, let mantissa = Decimal(string: number, locale: Locale(identifier: "en_US_POSIX")) else { return nil }
        let suffix = String(String.UnicodeScalarView(scalars[index...]))
        guard let multiplier = Quantity.multiplier(for: suffix) else { return nil }
        value = mantissa * multiplier
    }

    /// Binary (Ki…Ei), decimal SI (n…E) and exponent (`e3`, `E-2`) suffixes.
    static func multiplier(for suffix: String) -> Decimal? {
        let binary: [String: Int] = ["Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60]
        let decimal: [String: Int] = ["n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18]
        if let shift = binary[suffix] { return pow(Decimal(2), shift) }
        if let exponent = decimal[suffix] { return exponent >= 0 ? pow(Decimal(10), exponent) : 1 / pow(Decimal(10), -exponent) }
        if let first = suffix.first, first == "e" || first == "E", let exponent = Int(suffix.dropFirst()), abs(exponent) <= 18 {
            return exponent >= 0 ? pow(Decimal(10), exponent) : 1 / pow(Decimal(10), -exponent)
        }
        return nil
    }

    /// The value in whole units, rounded up (quantity.go `Value()`): bytes for memory.
    public var wholeUnits: Int64 { Quantity.roundUp(value) }

    /// The value in thousandths, rounded up (quantity.go `MilliValue()`): millicores for cpu.
    public var milliUnits: Int64 { Quantity.roundUp(value * 1000) }

    static func roundUp(_ value: Decimal) -> Int64 {
        var input = value, rounded = Decimal()
        NSDecimalRound(&rounded, &input, 0, .up)
        return NSDecimalNumber(decimal: rounded).int64Value
    }

    public var description: String { text }

    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let quantity = Quantity(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad quantity \(text)"))
        }
        self = quantity
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
