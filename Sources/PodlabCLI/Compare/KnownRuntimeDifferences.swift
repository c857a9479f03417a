/// Differences between podlab's runtime and containerd that are understood and documented
/// (docs/FIDELITY.md section Y): an observation whose name contains the fragment is shown as
/// "differs" with this reason instead of as an unexplained fidelity bug.
enum KnownRuntimeDifferences {
    static let reasons: [(fragment: String, reason: String)] = [
        ("process tree root", "the shim is podlab's supervisor vs containerd-shim-runc-v2 (docs/FIDELITY.md #205)"),
    ]
}
