import PodObservations

/// The crictl-style container list (`crictl ps -a` columns), pause included, as plain text.
public enum ContainerTableText {
    public static func render(pod: String, rows: [ContainerRow]) -> String {
        let header = ["CONTAINER", "IMAGE", "STATE", "NAME", "ATTEMPT", "PID", "POD"]
        let body = rows.map { row in
            [String(row.id.prefix(13)), row.image, row.state, row.isSandbox ? "\(row.name) (sandbox)" : row.name,
             String(row.restartCount), row.pid.map(String.init) ?? "-", pod]
        }
        return TextTable.render(header: header, rows: body)
    }
}

/// Left-aligned columns separated by three spaces, like Go's tabwriter in crictl.
public enum TextTable {
    public static func render(header: [String], rows: [[String]]) -> String {
        let all = [header] + rows
        var widths = Array(repeating: 0, count: header.count)
        for row in all {
            for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) }
        }
        return all.map { row in
            row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[index] - cell.count + 3)
            }.joined()
        }.joined(separator: "\n")
    }
}
