import Foundation

/// Go-style durations as used by chainsaw and kubectl: `500ms`, `5s`, `1m30s`, `2h`.
public enum LabDuration {
    /// Seconds for a duration string, or nil when it is not a valid, non-negative duration.
    public static func parse(_ text: String) -> Double? {
        let units: [(String, Double)] = [("ms", 0.001), ("h", 3600), ("m", 60), ("s", 1)]
        var rest = Substring(text.trimmingCharacters(in: .whitespaces))
        guard !rest.isEmpty else { return nil }
        if rest == "0" { return 0 }
        var total = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            guard let (unit, factor) = units.first(where: { rest.hasPrefix($0.0) }) else { return nil }
            rest = rest.dropFirst(unit.count)
            total += value * factor
        }
        return total
    }

    /// `1.5` → `1.5s`, `90` → `1m30s` (for messages).
    public static func format(_ seconds: Double) -> String {
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds < 60 || seconds.truncatingRemainder(dividingBy: 1) != 0 {
            return seconds.truncatingRemainder(dividingBy: 1) == 0 ? "\(Int(seconds))s" : String(format: "%.1fs", seconds)
        }
        let whole = Int(seconds)
        return whole % 60 == 0 ? "\(whole / 60)m" : "\(whole / 60)m\(whole % 60)s"
    }
}
