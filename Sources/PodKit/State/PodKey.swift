import PodlabCore

/// The pod key: one short, label-shaped handle per pod (docs/FIDELITY.md #94, #173).
///
/// Kubernetes allows pod names up to 253 characters with dots (a DNS-1123 subdomain,
/// `ValidatePodName` = `NameIsDNSSubdomain` in `pkg/apis/core/validation`). Everything podlab
/// makes on the host is named from the key: the state directory `pods/<key>` (NAME_MAX 255),
/// the netns pin `podlab-<key>[.<tag>]`, the pod cgroup `pod<key>[.<tag>]`, the IP lease owner,
/// and the veth (hashed to `plv<fnv32>` by `HostVethName`). Those names rely on the key having
/// the characters of a DNS label (no `.`: it separates the instance tag in
/// `PodlabPaths.hostName(forPod:)`) and on its length (`PodName.maxKeyLength`, 127).
///
/// The key must also be one-to-one with the pod's (namespace, name), as kubelet's own
/// per-pod names are (`/var/log/pods/<namespace>_<name>_<uid>`: `_` appears in neither).
/// `_` is not a label character, so podlab separates the two with `--` and keeps `--` out of
/// every other readable key. Three shapes, which never overlap:
/// - namespace `default`: `<name>`, when the name is label-shaped, has no `--` and is at most
///   127 characters (every such pod keeps the key it always had);
/// - any other namespace: `<namespace>--<name>`, when both are label-shaped without `--` and
///   the whole is at most 127 characters (`team--web`). Both parts start and end with an
///   alphanumeric, so the key holds exactly one `--` and it is the separator;
/// - anything else: `<readable prefix>---<16 hex digits>`, FNV-1a 64 of `<name>` (default
///   namespace) or `<namespace>/<name>`; `---` never occurs in the two readable shapes.
/// So `a-b`/`c` is `a-b--c` and `a`/`b-c` is `a--b-c`.
public enum PodKey {
    /// Longest key used as written (`PodName.maxKeyLength`: two DNS labels and a `-`).
    public static let maxReadableLength = 127
    /// Characters of the readable prefix kept in a hashed key.
    static let hashedPrefixLength = 100
    /// Separates namespace and name in a readable key of a pod outside `default`.
    static let separator = "--"
    /// Separates the readable prefix from the hash in a hashed key.
    static let hashSeparator = "---"

    /// The key of pod `name` in `namespace`.
    public static func make(name: String, namespace: String) -> String {
        if namespace == "default" {
            if isReadable(name) && !name.contains(separator) { return name }
            return hashed(name)
        }
        let candidate = namespace + separator + name
        if isReadable(candidate) && isReadable(namespace) && isReadable(name)
            && !namespace.contains(separator) && !name.contains(separator) {
            return candidate
        }
        return hashed(namespace + "/" + name)
    }

    /// The key the same pair got before docs/FIDELITY.md #173: `<name>` in `default`, else
    /// `<namespace>-<name>`, used as written when label-shaped and at most 127 characters,
    /// else `<prefix>-<FNV-1a 64 of that string>` (the #94 scheme; keys of podlab before #94
    /// were always the readable form). A record keeps the key it was made with, so `apply`
    /// looks this one up to refuse a pair that already exists (`PodStore.create`).
    public static func legacy(name: String, namespace: String) -> String {
        let candidate = namespace == "default" ? name : namespace + "-" + name
        if isReadable(candidate) { return candidate }
        let prefixBytes = candidate.utf8.prefix(hashedPrefixLength).map { isAlphanumeric($0) ? $0 : UInt8(ascii: "-") }
        var prefix = String(decoding: prefixBytes, as: UTF8.self)
        while prefix.hasSuffix("-") { prefix.removeLast() }
        while prefix.hasPrefix("-") { prefix.removeFirst() }
        let hash = StableHash.fnv1a64Hex(candidate)
        return prefix.isEmpty ? "p" + hash : prefix + "-" + hash
    }

    /// Lower-case alphanumerics and '-', starting and ending alphanumeric, at most
    /// `maxReadableLength` bytes (the checks of `PodName.validateKey`).
    static func isReadable(_ key: String) -> Bool {
        let bytes = Array(key.utf8)
        guard let first = bytes.first, let last = bytes.last, bytes.count <= maxReadableLength else { return false }
        return isAlphanumeric(first) && isAlphanumeric(last) && bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    /// `<prefix>---<fnv1a64 hex>`: the prefix keeps the first characters with every byte that is
    /// not a lower-case alphanumeric turned into '-' and leading/trailing '-' trimmed, so the key
    /// stays recognisable in `ls pods/` and `ip netns`; the 64-bit hash of the whole (one-to-one)
    /// identity keeps two long names with the same start apart. 100 + 3 + 16 = 119 characters
    /// at most.
    static func hashed(_ identity: String) -> String {
        let prefixBytes = identity.utf8.prefix(hashedPrefixLength).map { isAlphanumeric($0) ? $0 : UInt8(ascii: "-") }
        var prefix = String(decoding: prefixBytes, as: UTF8.self)
        while prefix.hasSuffix("-") { prefix.removeLast() }
        while prefix.hasPrefix("-") { prefix.removeFirst() }
        return (prefix.isEmpty ? "p" : prefix) + hashSeparator + StableHash.fnv1a64Hex(identity)
    }
}
