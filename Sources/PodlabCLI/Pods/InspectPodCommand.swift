import ArgumentParser
import Cgroups
import Foundation
import PodKit
import PodlabCore

/// `podlab inspectp`: one pod as containerd's `{status, info}` JSON.
struct InspectPodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspectp", abstract: "Show a pod as JSON: status.network.ip, info.pid (pause), namespaces.")

    @OptionGroup var selection: PodSelection
    @Option(help: "Print one value by dotted path, e.g. --template .info.pid (like crictl's go-template use).")
    var template: String?
    @Option(name: .shortAndLong, help: "Output format: json, yaml or jsonpath=TEMPLATE (kubectl's JSONPath, e.g. jsonpath='{.status.network.ip}').")
    var output: String = "json"

    func validate() throws { _ = try documentFormat(output) }

    func run() throws {
        // An old, NotReady sandbox of a recreated pod, by its id or an id prefix of at least 6
        // hex digits (docs/FIDELITY.md #89). The first sandbox's id is also the record's id, so
        // this is asked before the pod lookup, which would answer with the current sandbox.
        let pods: [PodRecord]
        if let query = selection.pod, query.count >= 6, query.allSatisfy(\.isHexDigit),
           let old = PodStore.current.previousSandbox(matching: query) {
            pods = [old]
        } else {
            pods = try selection.resolve(.current, requireOne: selection.isEmpty)
        }
        let documents = pods.map { PodInspection.document($0, qosClass: qosClass(of: $0.spec)) }
        try printDocuments(documents, template: template, format: try documentFormat(output))
    }
}

/// `podlab inspect`: one container as containerd's `{status, info}` JSON.
struct InspectContainerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect", abstract: "Show a container as JSON: state, pid, attempt, lastState, namespaces.")

    @Argument(help: "Container ID prefix, or a container name with -p POD.") var container: String
    @Option(name: .shortAndLong, help: "The pod, when CONTAINER is a name.") var pod: String?
    @Option(help: "Print one value by dotted path, e.g. --template .info.pid.") var template: String?
    @Option(name: .shortAndLong, help: "Output format: json, yaml or jsonpath=TEMPLATE (kubectl's JSONPath, e.g. jsonpath='{.info.pid}').")
    var output: String = "json"

    func validate() throws { _ = try documentFormat(output) }

    func run() throws {
        let store = PodStore.current
        let pods = try pod.map { try store.find($0) } ?? store.list()
        var found: [ContainerInspection.Document] = []
        var names: [String] = []
        for record in pods {
            for status in record.containers where status.id.hasPrefix(container) || status.name == container {
                found.append(ContainerInspection.document(status, pod: record))
                names.append("container \(status.name) in pod \(record.spec.name) (\(status.id.prefix(13)))")
            }
        }
        guard !found.isEmpty else { throw ValidationError("no container matches \"\(container)\"") }
        guard found.count == 1 || pod != nil else {
            // crictl/containerd: an ambiguous prefix is an error; list what it matched.
            throw PodlabError(.invalidArgument, "\"\(container)\" is ambiguous: it matches \(names.joined(separator: "; ")); give more of the ID or -p POD")
        }
        try printDocuments(found, template: template, format: try documentFormat(output))
    }
}

/// `-o` of the inspect commands: one document has no table, so `table`/`wide` are refused
/// (crictl inspect's table is not modelled).
func documentFormat(_ text: String) throws -> ObjectFormat {
    let format = try ObjectFormat(parsing: text)
    guard format.isStructured else { throw ValidationError("-o \(text): inspect prints a document; use json, yaml or jsonpath=TEMPLATE") }
    return format
}

/// One document as an object, several as an array (crictl), in `format`; `--template`
/// selects a value.
func printDocuments<T: Encodable>(_ documents: [T], template: String?, format: ObjectFormat = .json) throws {
    if let template {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        for document in documents {
            let object = try JSONSerialization.jsonObject(with: try encoder.encode(document))
            var value: Any? = object
            for key in template.trimmingCharacters(in: CharacterSet(charactersIn: "{} ")).split(separator: ".") {
                value = (value as? [String: Any])?[String(key)]
            }
            guard let value else { throw ValidationError("no value at \(template)") }
            if let string = value as? String { print(string) } else if JSONSerialization.isValidJSONObject(value) {
                print(String(decoding: try JSONSerialization.data(withJSONObject: value, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self))
            } else { print(value) }
        }
        return
    }
    if documents.count == 1, let only = documents.first { try format.print(only) } else { try format.print(documents) }
}

/// The pod's QoS class name (docs/FIDELITY.md #37).
func qosClass(of spec: PodSpec) -> String { spec.qosClass.rawValue }
