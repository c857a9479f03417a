import PodlabCore

/// The pod key: one short, label-shaped handle per pod (docs/FIDELITY.md #94).
///
/// Kubernetes allows pod names up to 253 characters with dots (a DNS-1123 subdomain,
/// `ValidatePodName` = `NameIsDNSSubdomain` in `pkg/apis/core/validation`). Everything podlab
/// makes on the host is named from the key: the state directory `pods/<key>` (NAME_MAX 255),
/// the netns pin `podlab-<key>[.<tag>]`, the pod cgroup `pod<key>[.<tag>]`, the IP lease owner,
/// and the veth (hashed to `plv<fnv32>` by `HostVethName`). Those names rely on the key having
/// the characters of a DNS label (no `.`: it separates the instance tag in
/// `PodlabPaths.hostName(forPod:)`) and on its length (`PodName.maxKeyLength`, 127). So a
/// `<namespace>-<name>` that is already such a string is the key unchanged (every pod podlab
/// accepted before keeps its key); any other becomes a readable prefix plus a hash:
/// `<first 100 characters, dots as '-'>-<16 hex digits>`, 117 characters at most.
public enum PodKey {
    /// Longest key used as written (`PodName.maxKeyLength`: two DNS labels and a `-`).
    public static let maxReadableLength = 127
    /// Characters of the readable prefix kept in a hashed key.
    static let hashedPrefixLength = 100

    /// `candidate` if it is label-shaped and short enough, otherwise its hashed form.
    public static func make(_ candidate: String) -> String {
        isReadable(candidate) ? candidate : hashed(candidate)
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

    /// `<prefix>-<fnv1a64 hex>`: the prefix keeps the first characters with every byte that is
    /// not a lower-case alphanumeric turned into '-' and trailing '-' trimmed, so the key stays
    /// recognisable in `ls pods/` and `ip netns`; the 64-bit hash of the whole candidate keeps
    /// two long names with the same start apart.
    static func hashed(_ candidate: String) -> String {
        let prefixBytes = candidate.utf8.prefix(hashedPrefixLength).map { isAlphanumeric($0) ? $0 : UInt8(ascii: "-") }
        var prefix = String(decoding: prefixBytes, as: UTF8.self)
        while prefix.hasSuffix("-") { prefix.removeLast() }
        while prefix.hasPrefix("-") { prefix.removeFirst() }
        let hash = fnv1a64Hex(candidate)
        return prefix.isEmpty ? "p" + hash : prefix + "-" + hash
    }

    /// 64-bit FNV-1a as 16 hex digits (`StableHash`: the same in every process).
    static func fnv1a64Hex(_ text: String) -> String { StableHash.fnv1a64Hex(text) }
}
