import PodlabCore

/// Pod names are user input and end up, through the pod key, in paths (`/run/netns/podlab-<key>`) and lease files,
/// so they must be valid Kubernetes names: a DNS-1123 label (`[a-z0-9]([-a-z0-9]*[a-z0-9])?`,
/// at most 63 characters), as `validation.IsDNS1123Label` in k8s.io/apimachinery checks.
public enum PodName {
    public static let maxLength = KubeValidation.dns1123LabelMaxLength

    /// Throws `.invalidArgument` explaining why `name` is not a valid pod name.
    public static func validate(_ name: String) throws {
        guard !name.isEmpty else {
            throw PodlabError(.invalidArgument, "invalid pod name \"\": must not be empty")
        }
        if let problem = KubeValidation.isDNS1123Label(name).first {
            throw PodlabError(.invalidArgument, "invalid pod name \(KubeValidation.quoted(name)): \(problem)")
        }
    }

    /// The longest readable pod key: two DNS-1123 labels and a separator (`PodKey`, docs/FIDELITY.md #94, #173).
    public static let maxKeyLength = 2 * KubeValidation.dns1123LabelMaxLength + 1

    /// Checks a pod key (`<name>` in `default`, `<namespace>--<name>` elsewhere, `<prefix>---<FNV-1a 64>`
    /// when that does not fit, `PodKey`; the name the network and IPAM are given): the
    /// characters of a DNS-1123 label, at most ``maxKeyLength`` bytes. A 63-character pod in a
    /// namespace longer than a few characters is valid, so the key itself may pass 63; every
    /// host-side name made from it stays short enough (the veth is hashed, the netns pin and
    /// lease file names are far below NAME_MAX).
    public static func validateKey(_ key: String) throws {
        guard !key.isEmpty else {
            throw PodlabError(.invalidArgument, "invalid pod key \"\": must not be empty")
        }
        guard key.utf8.count <= maxKeyLength else {
            throw PodlabError(.invalidArgument, "invalid pod key \(KubeValidation.quoted(key)): must be no more than \(maxKeyLength) characters")
        }
        // IsDNS1123Label's character rules, without its 63-byte length.
        func alphanumeric(_ byte: UInt8) -> Bool { (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte) }
        let bytes = Array(key.utf8)
        guard let first = bytes.first, let last = bytes.last, alphanumeric(first), alphanumeric(last),
            bytes.allSatisfy({ alphanumeric($0) || $0 == 0x2D })
        else {
            throw PodlabError(.invalidArgument, "invalid pod key \(KubeValidation.quoted(key)): must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character")
        }
    }
}

/// The string checks of the Kubernetes API server, with its exact messages, so podlab rejects
/// what `kubectl apply` would be refused and says it the same way.
///
/// Each function returns the list of problems (empty when valid), like the `Is…` functions of
/// `k8s.io/apimachinery/pkg/util/validation/validation.go` and
/// `k8s.io/apimachinery/pkg/api/validate/content/{dns,kube}.go`. Lengths are in bytes, as Go's
/// `len` counts them. Written without regular expressions: these run on every manifest and
/// must not depend on Foundation's ICU.
public enum KubeValidation {
    /// `DNS1123LabelMaxLength`.
    public static let dns1123LabelMaxLength = 63
    /// `DNS1123SubdomainMaxLength`.
    public static let dns1123SubdomainMaxLength = 253

    static let dns1123LabelFmt = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
    static let dns1123SubdomainFmt = dns1123LabelFmt + "(\\." + dns1123LabelFmt + ")*"
    static let configMapKeyFmt = "[-._a-zA-Z0-9]+"
    static let labelKeyFmt = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
    static let labelValueFmt = "(" + labelKeyFmt + ")?"

    // MARK: messages (validation.go: MaxLenError, RegexError, EmptyError, InclusiveRangeError)

    /// `MaxLenError`: "must be no more than N characters".
    public static func maxLenError(_ length: Int) -> String { "must be no more than \(length) characters" }

    /// `RegexError`: the message, then the examples and the regular expression used.
    public static func regexError(_ message: String, _ format: String, _ examples: String...) -> String {
        guard !examples.isEmpty else { return message + " (regex used for validation is '\(format)')" }
        // Go's loop appends "'x', " per example with " or " between: "(e.g. 'a',  or 'b', regex …".
        return message + " (e.g. " + examples.map { "'\($0)', " }.joined(separator: " or ") + "regex used for validation is '\(format)')"
    }

    /// `EmptyError`: "must be non-empty".
    public static let emptyError = "must be non-empty"

    /// `InclusiveRangeError`: "must be between LO and HI, inclusive".
    public static func inclusiveRangeError(_ low: Int, _ high: Int) -> String { "must be between \(low) and \(high), inclusive" }

    /// A value as Go's `%q` shows it in `Invalid value: "…"`: control characters, quotes and
    /// backslashes escaped, so a newline in a hostname is visible rather than breaking the line.
    public static func quoted(_ value: String) -> String {
        TextEscaping.doubleQuoted(value) { "\\x" + TextEscaping.hexByte($0) }
    }

    // MARK: character classes

    static func isLowerAlnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
    static func isAlnum(_ b: UInt8) -> Bool { isLowerAlnum(b) || (b >= 0x41 && b <= 0x5A) }

    /// `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
    static func matchesLabel<C: BidirectionalCollection>(_ bytes: C) -> Bool where C.Element == UInt8 {
        guard let first = bytes.first, let last = bytes.last else { return false }
        return isLowerAlnum(first) && isLowerAlnum(last) && bytes.allSatisfy { isLowerAlnum($0) || $0 == 0x2D }
    }

    /// `^<label>(\.<label>)*$`
    static func matchesSubdomain(_ value: String) -> Bool {
        value.utf8.split(separator: 0x2E, omittingEmptySubsequences: false).allSatisfy { matchesLabel($0) }
    }

    /// `^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$` (a label key's name part).
    static func matchesLabelKeyName(_ value: String) -> Bool {
        let bytes = Array(value.utf8)
        guard let first = bytes.first, let last = bytes.last else { return false }
        return isAlnum(first) && isAlnum(last) && bytes.allSatisfy { isAlnum($0) || $0 == 0x2D || $0 == 0x5F || $0 == 0x2E }
    }

    // MARK: apimachinery pkg/util/validation

    /// `IsDNS1123Label`: container, volume and port-less names, `hostname`, `subdomain`, namespaces.
    public static func isDNS1123Label(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > dns1123LabelMaxLength { errors.append(maxLenError(dns1123LabelMaxLength)) }
        if !matchesLabel(value.utf8) {
            if matchesSubdomain(value) {
                // A valid subdomain but not a label: since the length was checked, it has dots.
                errors.append("must not contain dots")
            } else {
                errors.append(regexError(
                    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
                    dns1123LabelFmt, "my-name", "123-abc"))
            }
        }
        return errors
    }

    /// `IsDNS1123Subdomain`: object names such as a ConfigMap's (`NameIsDNSSubdomain`).
    public static func isDNS1123Subdomain(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > dns1123SubdomainMaxLength { errors.append(maxLenError(dns1123SubdomainMaxLength)) }
        if !matchesSubdomain(value) {
            errors.append(regexError(
                "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
                dns1123SubdomainFmt, "example.com"))
        }
        return errors
    }

    /// `IsConfigMapKey`: `[-._a-zA-Z0-9]+`, at most 253 bytes, not `.` or `..`, not starting with `..`.
    /// A ConfigMap key becomes a file name in a configMap volume, so this is what keeps
    /// `../../etc/x` out of the host's file system.
    public static func isConfigMapKey(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > dns1123SubdomainMaxLength { errors.append(maxLenError(dns1123SubdomainMaxLength)) }
        let allowed = !value.isEmpty && value.utf8.allSatisfy { isAlnum($0) || $0 == 0x2D || $0 == 0x2E || $0 == 0x5F }
        if !allowed {
            errors.append(regexError("a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                                     configMapKeyFmt, "key.name", "KEY_NAME", "key-name"))
        }
        errors += hasChDirPrefix(value)
        return errors
    }

    /// `IsRelaxedEnvVarName`: the API server's rule since Kubernetes 1.32 (feature gate
    /// `RelaxedEnvironmentVariableValidation`, beta and on by default in 1.32, GA and locked in
    /// 1.34, `pkg/features/kube_features.go`): non-empty, printable ASCII, no `=`.
    public static func isRelaxedEnvVarName(_ value: String) -> [String] {
        var errors: [String] = []
        if value.isEmpty { errors.append("environment variable name " + emptyError) }
        // Go's `unicode.IsPrint` over ASCII is 0x20 (space) through 0x7E.
        if value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value > 0x7E || $0 == "=" }) {
            errors.append("a valid environment variable name must consist only of printable ASCII characters other than '='")
        }
        return errors
    }

    /// `IsQualifiedName` / `content.IsLabelKey`: label keys and (lower-cased) annotation keys,
    /// `[prefix/]name` with a DNS-1123 subdomain prefix and a 63-byte name.
    public static func isQualifiedName(_ value: String) -> [String] {
        var errors: [String] = []
        let parts = value.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let name: String
        switch parts.count {
        case 1:
            name = parts[0]
        case 2:
            name = parts[1]
            if parts[0].isEmpty {
                errors.append("prefix part " + emptyError)
            } else {
                errors += isDNS1123Subdomain(parts[0]).map { "prefix part " + $0 }
            }
        default:
            return [
                "a valid label key " + regexError("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                                                  labelKeyFmt, "MyName", "my.name", "123-abc")
                    + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
            ]
        }
        if name.isEmpty {
            errors.append("name part " + emptyError)
        } else if name.utf8.count > 63 {
            errors.append("name part " + maxLenError(63))
        }
        if !matchesLabelKeyName(name) {
            errors.append("name part " + regexError("must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                                                    labelKeyFmt, "MyName", "my.name", "123-abc"))
        }
        return errors
    }

    /// `IsValidLabelValue` / `content.IsLabelValue`: empty, or a label-key-like name of at most 63 bytes.
    public static func isValidLabelValue(_ value: String) -> [String] {
        var errors: [String] = []
        if value.utf8.count > 63 { errors.append(maxLenError(63)) }
        if !value.isEmpty && !matchesLabelKeyName(value) {
            errors.append(regexError("a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                                     labelValueFmt, "MyValue", "my_value", "12345"))
        }
        return errors
    }

    /// `IsValidPortName`: an IANA service name, at most 15 bytes of `[-a-z0-9]` with a letter,
    /// no `--`, no leading or trailing `-`.
    public static func isValidPortName(_ value: String) -> [String] {
        var errors: [String] = []
        let bytes = Array(value.utf8)
        if bytes.count > 15 { errors.append(maxLenError(15)) }
        if bytes.isEmpty || !bytes.allSatisfy({ isLowerAlnum($0) || $0 == 0x2D }) {
            errors.append("must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)")
        }
        if !bytes.contains(where: { $0 >= 0x61 && $0 <= 0x7A }) { errors.append("must contain at least one letter (a-z)") }
        if value.contains("--") { errors.append("must not contain consecutive hyphens") }
        if bytes.first == 0x2D || bytes.last == 0x2D { errors.append("must not begin or end with a hyphen") }
        return errors
    }

    /// `hasChDirPrefix`: not `.`, not `..`, not starting with `..`.
    static func hasChDirPrefix(_ value: String) -> [String] {
        if value == "." { return ["must not be '.'"] }
        if value == ".." { return ["must not be '..'"] }
        if value.hasPrefix("..") { return ["must not start with '..'"] }
        return []
    }

    // MARK: pkg/apis/core/validation/validation.go

    /// `validateLocalDescendingPath` (a `subPath`): relative, and no `..` element.
    public static func localDescendingPathErrors(_ path: String) -> [String] {
        var errors: [String] = []
        if path.hasPrefix("/") { errors.append("must be a relative path") }
        if path.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            // Even for `../../..`, one error is sufficient to make the point.
            errors.append("must not contain '..'")
        }
        return errors
    }

    /// `validateLocalNonReservedPath` (a configMap item `path`): a descending path that also
    /// does not start with `..` (kubelet's atomic writer owns `..data` and `..<timestamp>`).
    public static func localNonReservedPathErrors(_ path: String) -> [String] {
        var errors = localDescendingPathErrors(path)
        // Don't report this error if the check for .. elements already caught it.
        if path.hasPrefix("..") && !path.hasPrefix("../") { errors.append("must not start with '..'") }
        return errors
    }
}
