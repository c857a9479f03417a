import Foundation

/// Go-style durations as used by chainsaw and kubectl: `500ms`, `5s`, `1m30s`, `2h`.
public enum LabDuration {
    /// The longest duration a lab may give (a sleep, a timeout, an `eventually` interval):
    /// 24 hours. A lab runs in a classroom or CI; a longer value is a typo, and the bound keeps
    /// every duration far inside what `Int`, `timespec` and `Date` arithmetic can hold.
    public static let maximum: Double = 24 * 3600

    /// Seconds for a duration string, or nil when it is not a valid, finite, non-negative
    /// duration. The range a lab may use is checked by ``problem(_:)``.
    public static func parse(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("h", 3600), ("m", 60), ("s", 1)]
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        if rest == "0" { return 0 }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { ($0.isASCII && $0.isNumber) || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let (unit, factor) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * factor
        }
        // Hundreds of digits make `Double` infinite; such a value is no duration.
        return total.isFinite ? total : nil
    }

    /// Why `text` is not a duration a lab may use, or nil when it is one: valid, greater than
    /// 0 and at most ``maximum``.
    public static func problem(_ text: String) -> String? {
        guard let seconds = parse(text) else {
            return "invalid duration \"\(text)\": use a number with a unit, e.g. 500ms, 5s, 1m30s, 2h"
        }
        if seconds <= 0 { return "duration \"\(text)\" must be greater than 0" }
        if seconds > maximum { return "duration \"\(text)\" is longer than the maximum of 24h" }
        return nil
    }

    /// `1.5` → `1.5s`, `90` → `1m30s` (for messages). Never traps: values beyond what `Int`
    /// holds (or not finite) are printed as they are.
    public static func format(_ seconds: Double) -> String {
        guard seconds.isFinite, abs(seconds) < 1e15 else { return "\(seconds)s" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds < 60 || seconds.truncatingRemainder(dividingBy: 1) != 0 {
            return seconds.truncatingRemainder(dividingBy: 1) == 0 ? "\(Int(seconds))s" : String(format: "%.1fs", seconds)
        }
        let whole = Int(seconds)
        return whole % 60 == 0 ? "\(whole / 60)m" : "\(whole / 60)m\(whole % 60)s"
    }
}
