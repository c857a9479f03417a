import Foundation
import PodNetwork
import PodlabCore

/// The rules a manifest value must pass that are not the API server's string checks
/// (`KubeValidation` has those): what kubelet and the runtime refuse later, and where podlab
/// is deliberately stricter because it runs as root on this host. Every rule runs at parse
/// time, so a bad value is a `file:line:column` error and never reaches a syscall or a trap.
enum ManifestValidation {
    /// `fileModeErrorMsg` (pkg/apis/core/validation/validation.go) for `defaultMode` and `mode`.
    static let fileModeErrorMessage = "must be a number between 0 and 0777 (octal), both inclusive"
    /// `isNegativeErrorMsg` (apimachinery pkg/api/validation/generic.go).
    static let negativeErrorMessage = "must be greater than or equal to 0"
    /// `MaxSecretSize` (pkg/apis/core/types.go), which `ValidateConfigMap` applies to the sum of
    /// a ConfigMap's data values.
    static let maxConfigMapBytes = 1024 * 1024
    /// `TotalAnnotationSizeLimitB` (apimachinery pkg/api/validation/objectmeta.go).
    static let maxAnnotationBytes = 256 * 1024
    /// kubelet's atomic writer limits on a projected file (`maxPathLength`, `maxFileNameLength`,
    /// pkg/volume/util/atomic_writer.go).
    static let maxVolumeFilePathBytes = 4096
    static let maxVolumeFileNameBytes = 255

    /// NUL ends a C string: in argv, the environment or a path it would silently cut the value
    /// short (`/tmp\0/../etc` becomes `/tmp`). The API server leaves this to the runtime, whose
    /// execve/mount then fail; podlab refuses it where it is written.
    static func nulErrors(_ value: String) -> [String] {
        value.utf8.contains(0) ? ["must not contain a NUL byte"] : []
    }

    /// A configMap item `path` as kubelet's atomic writer accepts it (`validatePath`), plus
    /// podlab's own rule: no empty or `.` elements, so every path names a file below the
    /// volume's data directory and never the directory itself (`.`, `a/`, `a//b`).
    static func volumeFilePathErrors(_ path: String) -> [String] {
        var errors: [String] = []
        if path.utf8.count > maxVolumeFilePathBytes {
            errors.append("must be less than or equal to \(maxVolumeFilePathBytes) characters")
        }
        let elements = path.split(separator: "/", omittingEmptySubsequences: false)
        if elements.contains(where: { $0.utf8.count > maxVolumeFileNameBytes }) {
            errors.append("filenames must be less than or equal to \(maxVolumeFileNameBytes) characters")
        }
        if !path.hasPrefix("/") && elements.contains(where: { $0.isEmpty || $0 == "." }) {
            errors.append("must not contain empty or '.' path elements")
        }
        return errors + nulErrors(path)
    }

    /// A `mountPath`: absolute (the runtime refuses relative mount destinations: runc's
    /// `mount destination … not absolute`) and without `..` elements. The API server does not
    /// check `..` and relies on the runtime resolving the path inside the rootfs (podlab's
    /// `openat2(RESOLVE_IN_ROOT)` does too); podlab refuses it up front.
    static func mountPathErrors(_ path: String) -> [String] {
        var errors: [String] = []
        if !path.hasPrefix("/") { errors.append("must be an absolute path") }
        if path.split(separator: "/", omittingEmptySubsequences: false).contains("..") { errors.append("must not contain '..'") }
        return errors + nulErrors(path)
    }

    /// Deployment pods are `<replicaset>-<random>` with the ReplicaSet named
    /// `<deployment>-<pod-template-hash>`: the ReplicaSet controller sets `generateName` to
    /// `"<replicaset>-"` (`getPodsPrefix`, pkg/controller/controller_utils.go) and the API
    /// server's `SimpleNameGenerator` cuts that base to 58 characters before adding 5 random
    /// ones (k8s.io/apiserver/pkg/storage/names/generate.go), so the name always fits 63.
    static func generatedPodName(deployment: String, hash: String, random: String) -> String {
        let maxGeneratedNameLength = KubeValidation.dns1123LabelMaxLength - 5
        var base = "\(deployment)-\(hash)-"
        if base.utf8.count > maxGeneratedNameLength { base = String(base.prefix(maxGeneratedNameLength)) }
        return base + random
    }

    /// The `podlab.dev/backoff-scale` annotation: a decimal number with 0 < scale ≤ 1 (1 is
    /// kubelet's timing; the annotation only speeds back-off up for labs), or nil when the text
    /// is anything else (`inf`, `nan`, hex floats, 0, negative, larger than 1).
    static func backoffScale(_ text: String) -> Double? {
        let allowed = Set("0123456789.eE+-")
        guard !text.isEmpty, text.allSatisfy({ allowed.contains($0) }), let value = Double(text),
              value.isFinite, value > 0, value <= 1 else { return nil }
        return value
    }
    static let backoffScaleErrorMessage = "must be a decimal number greater than 0 and at most 1 (1 is kubelet's back-off timing)"
}

/// The file paths of a configMap volume's items, to find one that would need another's file
/// as a directory (`a` and `a/b`). The same path twice is allowed: kubelet's `MakePayload`
/// keeps the last item, and so does podlab.
struct ItemPathSet {
    private var files: Set<String> = []
    private var directories: [String: String] = [:]  // directory → the first path below it

    /// Adds `path` (already validated: relative, no empty, `.` or `..` elements) and returns the
    /// earlier path it conflicts with, if any.
    mutating func insert(_ path: String) -> String? {
        if let below = directories[path] { return below }
        let elements = path.split(separator: "/")
        var prefix = ""
        for element in elements.dropLast() {
            prefix += prefix.isEmpty ? String(element) : "/" + element
            if files.contains(prefix) { return prefix }
        }
        prefix = ""
        for element in elements.dropLast() {
            prefix += prefix.isEmpty ? String(element) : "/" + element
            if directories[prefix] == nil { directories[prefix] = path }
        }
        files.insert(path)
        return nil
    }
}

extension PodSpec {
    /// The CrashLoopBackOff scale from the `podlab.dev/backoff-scale` annotation, validated at
    /// parse time (``ManifestValidation/backoffScale(_:)``); 1 when absent or invalid (a record
    /// written by an older podlab).
    public var backoffScale: Double {
        annotations[CrashLoopBackOff.scaleAnnotation].flatMap(ManifestValidation.backoffScale) ?? 1
    }
}
