/// Kubernetes' `$(VAR)` expansion of env values, `command` and `args`: a port of
/// `third_party/forked/golang/expansion/expand.go` (kubernetes/kubernetes), used by kubelet's
/// `makeEnvironmentVariables` and `ExpandContainerCommandAndArgs` (docs/FIDELITY.md #63).
///
/// The rules, as upstream: `$(NAME)` is replaced by the mapping's value; `$$` is an escaped `$`;
/// a reference to an undefined name is left as written (`$(NAME)`); `$` followed by anything
/// else, an unterminated `$(`, and shell syntax (`$NAME`, `${NAME}`) are copied unchanged.
/// Names are not validated: whatever lies between `$(` and the first `)` is looked up.
public enum EnvExpansion {
    private static let dollar = UInt8(ascii: "$")
    private static let opener = UInt8(ascii: "(")
    private static let closer = UInt8(ascii: ")")

    /// `MappingFuncFor`: looks `name` up in each context in turn; an unknown name maps to itself,
    /// written as `$(name)`, so it survives expansion unchanged.
    public static func mapping(_ contexts: [String: String]...) -> (String) -> String {
        { name in
            for context in contexts {
                if let value = context[name] { return value }
            }
            return "$(" + name + ")"
        }
    }

    /// `Expand`: one left-to-right pass over the bytes of `input`; values substituted are never
    /// expanded again.
    ///
    /// One deliberate difference: where Go writes `string(input[0])` for the byte after a lone
    /// `$`, a non-ASCII byte becomes a different rune (U+0080–U+00FF) and the result is not the
    /// input's text. Here the byte is copied as is, so `$é` stays `$é`.
    public static func expand(_ input: String, mapping: (String) -> String) -> String {
        let bytes = Array(input.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var checkpoint = 0
        var cursor = 0
        while cursor < bytes.count {
            if bytes[cursor] == dollar && cursor + 1 < bytes.count {
                out.append(contentsOf: bytes[checkpoint..<cursor])
                let (read, isVariable, advance) = readVariableName(bytes[(cursor + 1)...])
                if isVariable {
                    out.append(contentsOf: Array(mapping(String(decoding: read, as: UTF8.self)).utf8))
                } else {
                    out.append(contentsOf: read)
                }
                cursor += advance
                checkpoint = cursor + 1
            }
            cursor += 1
        }
        out.append(contentsOf: bytes[min(checkpoint, bytes.count)...])
        return String(decoding: out, as: UTF8.self)
    }

    /// `tryReadVariableName`: what follows a `$`. Returns the bytes to write (or the name),
    /// whether they are a name, and how many bytes after the `$` were consumed.
    private static func readVariableName(_ input: ArraySlice<UInt8>) -> (ArraySlice<UInt8>, Bool, Int) {
        let start = input.startIndex
        switch input[start] {
        case dollar:
            // Escaped operator.
            return (input[start...start], false, 1)
        case opener:
            var index = start + 1
            while index < input.endIndex {
                if input[index] == closer { return (input[(start + 1)..<index], true, index - start + 1) }
                index += 1
            }
            // Incomplete reference: write "$(" and go on after the "(".
            return (ArraySlice([dollar, opener]), false, 1)
        default:
            return (ArraySlice([dollar, input[start]]), false, 1)
        }
    }
}
