import PodlabCore

/// Kubernetes resource quantities (`"500m"`, `"100Mi"`, `"1.5"`, `"129e6"`) as kubelet reads them
/// (`k8s.io/apimachinery/pkg/api/resource/quantity.go`): `Value()` for memory bytes and
/// `MilliValue()` for cpu, both rounding a fractional result **up**.
public enum KubernetesQuantity {
    /// Bytes of a memory quantity: `"100Mi"` → 104857600, `"1G"` → 1000000000, `"1.5Ki"` → 1536.
    ///
    /// - Throws: `PodlabError.badInput` naming the text for malformed, negative or too large values.
    public static func memoryBytes(_ text: String) throws -> Int64 {
        try scaled(text, extraDecimalExponent: 0)
    }

    /// Millicores of a cpu quantity: `"500m"` → 500, `"1"` → 1000, `"0.25"` → 250, `"1.0001"` → 1001.
    ///
    /// - Throws: `PodlabError.badInput` naming the text for malformed, negative or too large values.
    public static func milliCPU(_ text: String) throws -> Int64 {
        try scaled(text, extraDecimalExponent: 3)
    }

    /// Binary suffixes: power of two.
    private static let binarySuffixes: [String: UInt64] = [
        "Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60,
    ]
    /// Decimal SI suffixes: power of ten.
    private static let decimalSuffixes: [String: Int] = [
        "n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18,
    ]

    /// `text` × 10^`extraDecimalExponent`, rounded up to an integer.
    private static func scaled(_ text: String, extraDecimalExponent: Int) throws -> Int64 {
        func bad(_ why: String) -> PodlabError {
            PodlabError(.badInput, "invalid quantity \"\(text)\": \(why)")
        }
        var rest = Substring(text)
        if rest.hasPrefix("+") { rest = rest.dropFirst() }
        if rest.hasPrefix("-") { throw bad("resources cannot be negative") }
        let integerDigits = rest.prefix { $0.isASCII && $0.isNumber }
        rest = rest.dropFirst(integerDigits.count)
        var fractionDigits = Substring("")
        if rest.hasPrefix(".") {
            rest = rest.dropFirst()
            fractionDigits = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(fractionDigits.count)
        }
        if integerDigits.isEmpty && fractionDigits.isEmpty { throw bad("expected a number") }

        var binaryExponent: UInt64 = 0
        var decimalExponent: Int
        let suffix = String(rest)
        if let power = binarySuffixes[suffix] {
            binaryExponent = power
            decimalExponent = 0
        } else if let power = decimalSuffixes[suffix] {
            decimalExponent = power
        } else if let first = suffix.first, first == "e" || first == "E", let power = Int(suffix.dropFirst()),
                  power.magnitude <= 100 {  // not abs(): `e-9223372036854775808` is Int.min, whose abs traps
            decimalExponent = power
        } else {
            throw bad("unknown suffix \"\(suffix)\" (use Ki, Mi, Gi, Ti, Pi, Ei, n, u, m, k, M, G, T, P, E or e<N>)")
        }

        // mantissa × 10^-fraction: trailing fraction zeros and leading zeros carry no value.
        var fraction = fractionDigits
        while fraction.last == "0" { fraction = fraction.dropLast() }
        var digits = Substring(String(integerDigits) + String(fraction))
        while digits.first == "0" { digits = digits.dropFirst() }
        if digits.isEmpty { return 0 }
        guard digits.count <= 18, let mantissa = UInt64(digits) else { throw bad("too many digits") }
        decimalExponent += extraDecimalExponent - fraction.count

        let tooLarge = bad("too large")
        let shifted = mantissa.multipliedFullWidth(by: UInt64(1) << binaryExponent)
        if decimalExponent >= 0 {
            guard shifted.high == 0 else { throw tooLarge }
            var value = shifted.low
            for _ in 0..<decimalExponent {
                let next = value.multipliedReportingOverflow(by: 10)
                guard !next.overflow else { throw tooLarge }
                value = next.partialValue
            }
            guard value <= UInt64(Int64.max) else { throw tooLarge }
            return Int64(value)
        }
        // Negative exponent: divide, rounding up. Below 10^-19 any positive value rounds up to 1.
        guard -decimalExponent <= 19 else { return 1 }
        var divisor: UInt64 = 1
        for _ in 0..<(-decimalExponent) { divisor *= 10 }
        guard shifted.high < divisor else { throw tooLarge }
        let (quotient, remainder) = divisor.dividingFullWidth(shifted)
        let rounded = remainder == 0 ? quotient : quotient + 1
        guard rounded <= UInt64(Int64.max) else { throw tooLarge }
        return Int64(rounded)
    }
}

/// The node's memory capacity, as kubelet's cadvisor reports it (`MemTotal` of `/proc/meminfo`).
public enum MemoryCapacity {
    /// Bytes of `MemTotal` in the text of a meminfo file (`MemTotal: 16384000 kB`).
    ///
    /// - Throws: `PodlabError.badInput` if the line is missing or malformed.
    public static func bytes(fromMeminfo text: String) throws -> Int64 {
        for line in text.split(separator: "\n") where line.hasPrefix("MemTotal:") {
            let fields = line.dropFirst("MemTotal:".count).split(separator: " ")
            guard let number = fields.first.flatMap({ Int64($0) }) else { break }
            let unit = fields.count > 1 ? fields[1] : ""
            switch unit {
            case "kB": return number * 1024
            case "": return number
            default: break
            }
        }
        throw PodlabError(.badInput, "meminfo has no \"MemTotal: <n> kB\" line")
    }

    /// The host's memory capacity in bytes.
    ///
    /// - Parameter meminfoPath: normally `/proc/meminfo`; injectable for tests.
    public static func host(meminfoPath: String = "/proc/meminfo") throws -> Int64 {
        try bytes(fromMeminfo: HostCgroupFileSystem().read(meminfoPath))
    }
}
