import Foundation

/// Renders rows as aligned columns separated by three spaces, like crictl's tabwriter output.
struct Table {
    var headers: [String]
    var rows: [[String]] = []

    init(_ headers: String...) { self.headers = headers }
    init(headers: [String]) { self.headers = headers }

    mutating func add(_ row: [String]) { rows.append(row) }

    /// Each column's width: its widest cell or header.
    var widths: [Int] {
        var widths = headers.map(\.count)
        for row in rows {
            for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) }
        }
        return widths
    }

    func render() -> String {
        let widths = widths
        return ([headers] + rows).map { Table.line($0, widths: widths) }.joined(separator: "\n") + "\n"
    }

    /// One row padded to `widths` (a watch's later lines keep the first table's columns).
    static func line(_ row: [String], widths: [Int]) -> String {
        row.enumerated().map { i, cell in
            i == row.count - 1 || i >= widths.count ? cell : cell.padding(toLength: max(widths[i], cell.count), withPad: " ", startingAt: 0)
        }.joined(separator: "   ")
    }
}

/// "17 seconds ago", "About a minute ago", "3 hours ago": docker/go-units HumanDuration + " ago".
func humanAgo(_ date: Date?, now: Date = Date()) -> String {
    guard let date else { return "-" }
    let seconds = Int(now.timeIntervalSince(date))
    switch seconds {
    case ..<1: return "Less than a second ago"
    case 1: return "1 second ago"
    case ..<60: return "\(seconds) seconds ago"
    case ..<120: return "About a minute ago"
    case ..<3600: return "\(seconds / 60) minutes ago"
    case ..<7200: return "About an hour ago"
    case ..<(48 * 3600): return "\(seconds / 3600) hours ago"
    default: return "\(seconds / 86400) days ago"
    }
}

/// IDs are shown as their first 13 characters unless `--no-trunc` (crictl).
func shortID(_ id: String, noTrunc: Bool = false) -> String { noTrunc ? id : String(id.prefix(13)) }

/// Pretty JSON with sorted keys, as `-o json` prints.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    let data = try encoder.encode(value)
    print(String(decoding: data, as: UTF8.self))
}

/// Output format flag shared by the listing commands.
enum OutputFormat: String, CaseIterable {
    case table, json
}
