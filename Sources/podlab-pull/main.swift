// podlab-pull: the registry client behind `podlab rootfs pull`, which execs it from the directory
// `podlab` runs from. A separate executable so that only pulls load FoundationNetworking (libcurl
// and its libraries): `podlab --version` and every other command start as fast as before.
//
//   podlab-pull REF [--name NAME[:TAG]] [--platform OS/ARCH[/VARIANT]] [--insecure-registry HOST]...
//               [--max-unpack-bytes SIZE] [--max-unpack-entries N] [--quiet]
import Foundation
import PodlabCore
import RegistryHTTP
import RootfsKit

func fail(_ message: String, code: Int32) -> Never {
    FileHandle.standardError.write(Data("podlab: \(message)\n".utf8))
    exit(code)
}

var arguments = Array(CommandLine.arguments.dropFirst())
var reference: String?
var name: String?
var platform = PlatformSelector.host
var insecure: Set<String> = []
var limits: ExtractionLimits
var quiet = false
do {
    limits = try ExtractionLimits.fromEnvironment()
    while !arguments.isEmpty {
        let argument = arguments.removeFirst()
        func value() -> String {
            guard !arguments.isEmpty else { fail("\(argument) needs a value", code: 2) }
            return arguments.removeFirst()
        }
        switch argument {
        case "--name": name = value()
        case "--platform": platform = try PlatformSelector(parsing: value())
        case "--insecure-registry": insecure.insert(value())
        case "--max-unpack-bytes": limits.maxBytes = try ExtractionLimits.parseSize(value(), what: "--max-unpack-bytes")
        case "--max-unpack-entries": limits.maxEntries = try ExtractionLimits.parseCount(value(), what: "--max-unpack-entries")
        case "--quiet", "-q": quiet = true
        case let other where other.hasPrefix("-"): fail("unknown option \(other)", code: 2)
        case let other:
            guard reference == nil else { fail("one image reference only (got \(reference ?? "") and \(other))", code: 2) }
            reference = other
        }
    }
} catch {
    fail("\(error)", code: 2)
}
guard let reference else { fail("usage: podlab rootfs pull REF [--name NAME[:TAG]] [--platform OS/ARCH] [--insecure-registry HOST]", code: 2) }

ImportInterruption.installSignalHandlers()
var puller = RegistryPuller(paths: .fromEnvironment(), transport: URLSessionTransport())
puller.platform = platform
puller.insecureRegistries = insecure
puller.limits = limits
if !quiet { puller.progress = PullProgressPrinter(tty: isatty(STDERR_FILENO) == 1).report }
do {
    let record = try puller.pull(reference, as: name)
    print("\(record.reference)  sha256:\(record.digest)  \(record.fileCount) entries  \(record.tarballPath)")
} catch {
    ImportInterruption.exitIfInterrupted(reporting: error)
    fail("\(error)", code: 1)
}
