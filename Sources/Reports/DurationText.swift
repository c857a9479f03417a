import Foundation

/// Durations as people read them in reports and logs: `0.23 s`, `3.2 s`, `1 min 05 s`.
public enum DurationText {
    public static func format(_ seconds: TimeInterval) -> String {
        let value = max(0, seconds)
        if value < 10 { return String(format: "%.2f s", value) }
        if value < 60 { return String(format: "%.1f s", value) }
        let minutes = Int(value) / 60
        return String(format: "%d min %02d s", minutes, Int(value) % 60)
    }

    /// Seconds with millisecond precision, as JUnit and JSON want them (`"3.214"`).
    public static func seconds(_ seconds: TimeInterval) -> String {
        String(format: "%.3f", max(0, seconds))
    }
}
