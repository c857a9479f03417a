import ArgumentParser
import Foundation
import LabKit
import PodKit
import PodlabCore

/// Dynamic shell completions: swift-argument-parser's generated bash/zsh/fish scripts call
/// `podlab ---completion …` for these, so the candidates are read when TAB is pressed
/// (`podlab --generate-completion-script bash`; scripts/install installs it).
enum ShellCompletions {
    /// Lab names in `$PODLAB_LABS_DIR` (default ./Labs), as `podlab run`, `walk` and `docs` take them.
    static let labNames = CompletionKind.custom { _, _, prefix in
        let catalog = LabCatalog(labsDirectory: PodlabPaths.fromEnvironment().labsDir)
        let names = ((try? catalog.allFiles()) ?? []).map { file -> String in
            let base = (file as NSString).lastPathComponent
            return base.hasSuffix(".lab.yaml") ? String(base.dropLast(".lab.yaml".count)) : base
        }
        return names.filter { $0.hasPrefix(prefix) }.sorted()
    }

    /// Names of the pods in `$PODLAB_STATE_DIR` (what `podlab pods` lists); none when the
    /// state directory cannot be read (not root).
    static let podNames = CompletionKind.custom { _, _, prefix in
        let names = Set(PodAPI(paths: .fromEnvironment()).store.list().map(\.spec.name))
        return names.filter { $0.hasPrefix(prefix) }.sorted()
    }
}
