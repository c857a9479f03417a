/// `$NAME` and `${NAME}` references in lab strings; `$$` is a literal `$` (the kuttl and
/// chainsaw convention). A `$` not followed by a name or `{` stays as it is.
public enum BindingTemplate {
    /// A reference and its offset (in characters) in the string.
    public struct Reference: Equatable, Sendable {
        public var name: String
        public var offset: Int
    }

    /// The references in `text`, in order.
    public static func references(in text: String) -> [Reference] {
        var references: [Reference] = []
        walk(text) { name, offset in references.append(Reference(name: name, offset: offset)); return "" }
        return references
    }

    /// `text` with every reference replaced by `lookup(name)`; throws what `lookup` throws.
    public static func expand(_ text: String, _ lookup: (String) throws -> String) rethrows -> String {
        try walk(text) { name, _ in try lookup(name) }
    }

    /// Whether a binding name is well formed (`IP_BEFORE`, `podIP`).
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, first == "_" || first.isLetter, first.isASCII else { return false }
        return name.allSatisfy { ($0.isLetter || $0.isNumber || $0 == "_") && $0.isASCII }
    }

    @discardableResult
    private static func walk(_ text: String, _ replace: (String, Int) throws -> String) rethrows -> String {
        let characters = Array(text)
        var out = ""
        var index = 0
        while index < characters.count {
            let character = characters[index]
            guard character == "$", index + 1 < characters.count else {
                out.append(character)
                index += 1
                continue
            }
            let next = characters[index + 1]
            if next == "$" {
                out.append("$")
                index += 2
            } else if next == "{", let close = characters[(index + 2)...].firstIndex(of: "}") {
                let name = String(characters[(index + 2)..<close])
                out += try replace(name, index)
                index = close + 1
            } else if next == "_" || (next.isLetter && next.isASCII) {
                var end = index + 1
                while end < characters.count, characters[end].isASCII, characters[end].isLetter || characters[end].isNumber || characters[end] == "_" {
                    end += 1
                }
                out += try replace(String(characters[(index + 1)..<end]), index)
                index = end
            } else {
                out.append(character)
                index += 1
            }
        }
        return out
    }
}

/// The built-in bindings the runner provides (as env to scripts and inside check values).
public enum BuiltinBindings {
    /// Fixed names.
    public static let names = [
        "PODLAB_LAB", "PODLAB_LAB_DIR", "PODLAB_NAMESPACE", "PODLAB_POD_NAME", "PODLAB_POD_ID", "PODLAB_POD_IP",
        "PODLAB_PAUSE_PID", "PODLAB_NETNS",
    ]
    /// Per-container prefixes: `PODLAB_PID_<CONTAINER>` (main PID), `PODLAB_CID_<CONTAINER>` (container id).
    public static let containerPrefixes = ["PODLAB_PID_", "PODLAB_CID_"]

    /// Whether `name` is a built-in.
    public static func isBuiltin(_ name: String) -> Bool {
        names.contains(name) || containerPrefixes.contains { name.hasPrefix($0) && name.count > $0.count }
    }

    /// `nginx-sidecar-container` → `NGINX_SIDECAR_CONTAINER`.
    public static func envSuffix(forContainer name: String) -> String {
        String(name.uppercased().map { ($0.isLetter || $0.isNumber) && $0.isASCII ? $0 : "_" })
    }
}
