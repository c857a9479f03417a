import PodlabCore

/// Pod names are user input and end up in paths (`/run/netns/podlab-<pod>`) and lease files,
/// so they must be valid Kubernetes names: a DNS-1123 label (`[a-z0-9]([-a-z0-9]*[a-z0-9])?`,
/// at most 63 characters), as `validation.IsDNS1123Label` in k8s.io/apimachinery checks.
public enum PodName {
    public static let maxLength = 63

    /// Throws `.invalidArgument` explaining why `name` is not a valid pod name.
    public static func validate(_ name: String) throws {
        let bytes = Array(name.utf8)
        func isAlnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        guard !bytes.isEmpty else {
            throw PodlabError(.invalidArgument, "invalid pod name \"\": must not be empty")
        }
        guard bytes.count <= maxLength else {
            throw PodlabError(.invalidArgument, "invalid pod name \"\(name)\": must be no more than \(maxLength) characters (has \(bytes.count))")
        }
        guard bytes.allSatisfy({ isAlnum($0) || $0 == 0x2D }), isAlnum(bytes[0]), isAlnum(bytes[bytes.count - 1]) else {
            throw PodlabError(.invalidArgument,
                              "invalid pod name \"\(name)\": a DNS-1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name' or '123-abc')")
        }
    }
}
