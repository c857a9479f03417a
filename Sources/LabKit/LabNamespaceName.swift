import Foundation
import PodlabCore

/// The namespace a lab's pods get in one run: short, so the names built from it
/// (`podlab-<namespace>--<pod>` netns pins, `ip netns exec …` commands shown to students) fit on
/// a line, yet unique per run and per lab.
///
/// `<abbrev>-<4 hex>`: the lab name itself when it has at most ``maxAbbreviationLength``
/// characters, else the initials of its dash-separated words (`pause-persistence` → `pp`,
/// `sidecar-shared-logs` → `ssl`); the hex is a stable hash of the run id and the full lab
/// name, so two labs with the same initials in one run still differ (and `LabSuite` widens the
/// hash if they do not). The result is a DNS-1123 label, as a namespace must be; the pod key
/// (`<namespace>--<pod>`, as a lab namespace is never `default`; `<prefix>---<FNV-1a 64>` when that would
/// pass 127 characters, `PodKey`) and the instance tag added by `PodlabPaths.hostName(forPod:)` are formed
/// from it unchanged.
public enum LabNamespaceName {
    public static let maxAbbreviationLength = 10

    /// `pp-3fa9` for lab `pause-persistence` in run `runID`; `hexDigits` from 4 to 8.
    public static func make(lab: String, runID: String, hexDigits: Int = 4) -> String {
        let hash = String(StableHash.fnv1a32Hex(runID + "/" + lab).prefix(max(4, min(8, hexDigits))))
        return abbreviation(of: lab) + "-" + hash
    }

    /// The lab name when short, else its words' initials (at most ``maxAbbreviationLength``).
    static func abbreviation(of lab: String) -> String {
        let allowed = lab.lowercased().unicodeScalars.filter { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        let clean = String(String.UnicodeScalarView(allowed))
        let words = clean.split(separator: "-")
        guard !words.isEmpty else { return "lab" }
        if clean.count <= maxAbbreviationLength, let first = clean.first, first != "-", clean.last != "-" {
            return clean
        }
        return String(words.compactMap(\.first).prefix(maxAbbreviationLength))
    }
}
