import PodlabCore

/// The host-side veth name for a pod: "plv" + 8 hex digits of a stable hash of the pod name.
///
/// Interface names are limited to 15 characters (IFNAMSIZ 16 with NUL), too short for pod names,
/// so like CNI's bridge plugin ("veth" + random) podlab uses a short generated name; it is derived
/// from the pod name (FNV-1a, stable across processes, unlike Swift's seeded `Hasher`) so that
/// `podlab clean` and a retried set-up find the same name.
public enum HostVethName {
    public static let prefix = "plv"

    public static func forPod(_ podName: String) -> String {
        prefix + StableHash.fnv1a32Hex(podName)
    }

    /// Whether `name` has the shape of a podlab host veth name.
    public static func matches(_ name: String) -> Bool {
        name.count == prefix.count + 8 && name.hasPrefix(prefix)
            && name.dropFirst(prefix.count).allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}
