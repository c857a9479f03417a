import PodKit
import PodlabCore
import Foundation
import Yams
import PodObservations

/// Parses lab files strictly: YAML syntax, then the field tables (`LabFormat`), then the rules
/// the tables cannot express (check fields per verb, bindings defined before use, manifest files
/// that exist). Every problem carries file:line:column; all of them are reported at once.
public enum LabParser {
    /// Parses the lab file at `path`.
    /// - Throws: `LabFileError` with every problem found.
    public static func parse(file path: String) throws -> Lab {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw LabFileError([LabDiagnostic(SourceLocation(file: path, line: 1, column: 1), "cannot read the lab file: \(error.localizedDescription)")])
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses lab YAML; `file` names it in diagnostics and anchors relative manifest paths.
    public static func parse(yaml: String, file: String) throws -> Lab {
        let start = SourceLocation(file: file, line: 1, column: 1)
        var documents: [Node] = []
        do {
            // compose_all is lazy: a syntax error ends the sequence and is kept in `error`.
            var sequence = try Yams.compose_all(yaml: yaml)
            while let document = sequence.next() { documents.append(document) }
            if let error = sequence.error { throw error }
        } catch let error as YamlError {
            throw LabFileError([yamlDiagnostic(error, file: file)])
        } catch {
            throw LabFileError([LabDiagnostic(start, "not valid YAML: \(error)")])
        }
        guard let root = documents.first else { throw LabFileError([LabDiagnostic(start, "the lab file is empty")]) }
        if documents.count > 1 {
            throw LabFileError([LabDiagnostic(start, "a lab file holds one YAML document; put manifests in their own files (apply: {file: …})")])
        }
        var validator = LabSchemaValidator(file: file)
        validator.validate(root, as: .object(LabFormat.lab), field: "")
        if !validator.diagnostics.isEmpty { throw LabFileError(validator.diagnostics) }
        var builder = LabBuilder(file: file, validator: validator)
        let lab = builder.build(root)
        if !builder.diagnostics.isEmpty { throw LabFileError(builder.diagnostics) }
        return lab
    }

    private static func yamlDiagnostic(_ error: YamlError, file: String) -> LabDiagnostic {
        func at(_ mark: Mark, _ problem: String) -> LabDiagnostic {
            LabDiagnostic(SourceLocation(file: file, line: mark.line, column: mark.column), "not valid YAML: \(problem)")
        }
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return at(mark, problem)
        case let .duplicatedKeysInMapping(duplicates, context):
            return at(context.mark, "duplicate key \(duplicates.joined(separator: ", "))")
        default:
            return LabDiagnostic(SourceLocation(file: file, line: 1, column: 1), "not valid YAML: \(error)")
        }
    }
}

/// Builds the model from a node tree that already passed the field tables, and checks the
/// cross-field rules.
struct LabBuilder {
    let file: String
    let directory: String
    private let validator: LabSchemaValidator
    private(set) var diagnostics: [LabDiagnostic] = []
    /// Bindings defined so far, in document order (lab bindings, then outputs as they appear).
    private var defined: Set<String> = []

    init(file: String, validator: LabSchemaValidator) {
        self.file = file
        self.directory = (file as NSString).deletingLastPathComponent
        self.validator = validator
    }

    private func location(_ node: Node) -> SourceLocation { validator.location(node) }

    private mutating func error(_ node: Node, _ message: String) {
        diagnostics.append(LabDiagnostic(location(node), message))
    }

    private func string(_ node: Node?) -> String? { node?.scalar?.string }

    private func stringMap(_ node: Node?) -> [String: String] {
        var map: [String: String] = [:]
        for (key, value) in node?.mapping ?? Node.Mapping([]) {
            if let key = key.scalar?.string, let value = value.scalar?.string { map[key] = value }
        }
        return map
    }

    private func duration(_ node: Node?) -> Double? { string(node).flatMap(LabDuration.parse) }

    /// An integer field the validator already range-checked (never Yams' trapping `node.int`).
    private func integer(_ node: Node?) -> Int? { string(node).flatMap(YAMLCursor.parseInt) }

    /// An exit code field, 0…255 after validation.
    private func exitCode(_ node: Node?) -> Int32? { integer(node).flatMap { Int32(exactly: $0) } }

    private func timeouts(_ node: Node?) -> LabTimeouts {
        var values: [LabTimeoutKind: Double] = [:]
        for kind in LabTimeoutKind.allCases {
            if let seconds = duration(node?.mapping?[kind.rawValue]) { values[kind] = seconds }
        }
        return LabTimeouts(values)
    }

    mutating func build(_ root: Node) -> Lab {
        let metadata = root.mapping?["metadata"]
        let spec = root.mapping?["spec"]
        let name = string(metadata?.mapping?["name"]) ?? ""
        let base = (file as NSString).lastPathComponent
        if base.hasSuffix(".lab.yaml"), let nameNode = metadata?.mapping?["name"], String(base.dropLast(".lab.yaml".count)) != name {
            error(nameNode, "metadata.name \"\(name)\" does not match the file name \(base); `podlab run \(name)` would not find it")
        }
        let bindings = stringMap(spec?.mapping?["bindings"])
        for (key, value) in spec?.mapping?["bindings"]?.mapping ?? Node.Mapping([]) {
            guard let bindingName = key.scalar?.string else { continue }
            checkBindingName(bindingName, at: key)
            checkReferences(in: value)
        }
        defined.formUnion(bindings.keys)

        var steps: [LabStep] = []
        for stepNode in spec?.mapping?["steps"]?.sequence ?? Node.Sequence([]) {
            steps.append(buildStep(stepNode))
        }
        let cleanup = operations(spec?.mapping?["cleanup"])
        return Lab(
            file: file, directory: directory, name: name,
            title: string(metadata?.mapping?["title"]) ?? "",
            labels: stringMap(metadata?.mapping?["labels"]),
            source: string(metadata?.mapping?["source"]),
            description: string(spec?.mapping?["description"]) ?? "",
            timeouts: timeouts(spec?.mapping?["timeouts"]),
            images: stringMap(spec?.mapping?["images"]),
            bindings: bindings, steps: steps, cleanup: cleanup)
    }

    private mutating func buildStep(_ node: Node) -> LabStep {
        let mapping = node.mapping
        let tryOperations = operations(mapping?["try"])
        let task = buildTask(node)
        return LabStep(
            name: string(mapping?["name"]) ?? "",
            text: string(mapping?["text"]) ?? "",
            questions: (mapping?["questions"]?.sequence ?? Node.Sequence([])).compactMap { $0.scalar?.string },
            timeouts: timeouts(mapping?["timeouts"]),
            tryOperations: tryOperations,
            task: task,
            catchOperations: operations(mapping?["catch"]),
            finallyOperations: operations(mapping?["finally"]),
            location: location(node))
    }

    /// A student task. `walk` may run only `verify` (the student did the work) or `solution`
    /// then `verify`, so bindings saved by the solution are not visible to verify or to later
    /// steps: only verify's own outputs are.
    private mutating func buildTask(_ node: Node) -> LabTask? {
        guard let mapping = node.mapping, let taskNode = mapping["task"], let text = taskNode.scalar?.string else { return nil }
        let before = defined
        let verify = operations(mapping["verify"])
        let afterVerify = defined
        defined = before
        let solution = operations(mapping["solution"])
        defined = afterVerify
        return LabTask(text: text, hint: string(mapping["hint"]), verify: verify, solution: solution, location: location(taskNode))
    }

    private mutating func operations(_ node: Node?) -> [LabOperation] {
        (node?.sequence ?? Node.Sequence([])).compactMap { buildOperation($0) }
    }

    private mutating func buildOperation(_ node: Node) -> LabOperation? {
        guard let mapping = node.mapping,
              let (verb, verbNode) = mapping.lazy.compactMap({ key, value in key.scalar.flatMap { LabVerb(rawValue: $0.string) }.map { ($0, value) } }).first
        else { return nil }
        let action = buildAction(verb, verbNode)
        let checks = buildChecks(verb, mapping["check"])
        var eventually: LabEventually?
        if let eventuallyNode = mapping["eventually"] {
            if eventuallyNode.mapping != nil {
                eventually = LabEventually(timeout: duration(eventuallyNode.mapping?["timeout"]), interval: duration(eventuallyNode.mapping?["interval"]) ?? 1)
            } else if eventuallyNode.bool == true {
                eventually = LabEventually(timeout: nil, interval: 1)
            }
            if eventually != nil && verb == .wait {
                error(eventuallyNode, "wait already waits until its timeout; eventually is for checks on other verbs")
            } else if eventually != nil && checks.isEmpty && !hasExpectation(action) {
                error(eventuallyNode, "eventually retries until the checks pass, but this \(verb.rawValue) has no check")
            }
        }
        // Outputs are defined after this operation's own templates are checked: an operation
        // cannot use what it saves.
        let outputs = buildOutputs(verb, mapping["outputs"])
        return LabOperation(
            action: action,
            description: string(mapping["description"]),
            continueOnError: mapping["continueOnError"]?.bool ?? false,
            timeout: duration(mapping["timeout"]),
            checks: checks, outputs: outputs, eventually: eventually,
            location: location(node))
    }

    /// Reports a manifest `apply` would refuse at the `file:`/`manifest:` node, with the
    /// manifest parser's own message (which starts with the manifest's file:line:column).
    private mutating func checkManifest(at node: Node, _ parse: () throws -> ParsedManifest) {
        do {
            _ = try parse()
        } catch let problem as PodlabError {
            error(node, "the manifest does not apply: \(problem.message)")
        } catch {
            self.error(node, "the manifest does not apply: \(error)")
        }
    }

    private func hasExpectation(_ action: LabAction) -> Bool {
        if case let .namespaces(_, shared, privateKinds) = action { return !shared.isEmpty || !privateKinds.isEmpty }
        return false
    }

    private mutating func buildAction(_ verb: LabVerb, _ node: Node) -> LabAction {
        let fields = node.mapping
        let pod = string(fields?["pod"])
        let container = string(fields?["container"])
        switch verb {
        case .apply:
            let manifestFile = string(fields?["file"])
            if let manifestFile, let fileNode = fields?["file"] {
                let path = manifestFile.hasPrefix("/") ? manifestFile : (directory as NSString).appendingPathComponent(manifestFile)
                if !FileManager.default.fileExists(atPath: path) {
                    error(fileNode, "manifest file \(manifestFile) does not exist (looked at \(path))")
                } else {
                    // Lint what apply would refuse, with the manifest's own file:line:column.
                    checkManifest(at: fileNode) { try ManifestParser().parse(file: path) }
                }
            }
            if let inline = string(fields?["manifest"]), let manifestNode = fields?["manifest"] {
                // Positions inside an inline manifest count from its first line.
                checkManifest(at: manifestNode) { try ManifestParser().parse(yaml: inline, file: "inline manifest") }
            }
            return .apply(file: manifestFile, manifest: string(fields?["manifest"]), images: stringMap(fields?["images"]))
        case .wait:
            var condition = LabWaitCondition(pod: pod, container: container)
            condition.phase = string(fields?["phase"])
            condition.ready = fields?["ready"]?.bool
            condition.state = string(fields?["state"])
            condition.restartCount = integer(fields?["restartCount"])
            condition.exitCode = exitCode(fields?["exitCode"])
            condition.reason = string(fields?["reason"])
            condition.lastExitCode = exitCode(fields?["lastExitCode"])
            condition.lastReason = string(fields?["lastReason"])
            let containerFields = ["state", "restartCount", "exitCode", "reason", "lastExitCode", "lastReason"]
            if container == nil, let first = containerFields.first(where: { fields?[$0] != nil }), let fieldNode = fields?[first] {
                // A one-container pod could default, but the lab reads better naming it.
                error(fieldNode, "wait: \(first) is a container condition; name the container (container: NAME)")
            }
            return .wait(condition)
        case .containers:
            return .containers(pod: pod)
        case .namespaces:
            let expect = fields?["expect"]?.mapping
            let kinds = { (node: Node?) in (node?.sequence ?? Node.Sequence([])).compactMap { $0.scalar.flatMap { NamespaceKind(rawValue: $0.string) } } }
            return .namespaces(pod: pod, shared: kinds(expect?["shared"]), private: kinds(expect?["private"]))
        case .podIP:
            return .podIP(pod: pod)
        case .exec:
            let commandNodes = fields?["command"]?.sequence ?? Node.Sequence([])
            commandNodes.forEach { checkReferences(in: $0) }
            return .exec(pod: pod, container: container, command: commandNodes.compactMap { $0.scalar?.string })
        case .kill:
            let signalText = string(fields?["signal"]) ?? "TERM"
            let number = LabSignal.number(signalText) ?? SIGTERM
            return .kill(pod: pod, container: container, signal: number, signalName: LabSignal.name(number))
        case .processTree:
            return .processTree(pod: pod)
        case .http:
            if let urlNode = fields?["url"] {
                checkReferences(in: urlNode)
                if let url = urlNode.scalar?.string, !url.hasPrefix("http://") {
                    error(urlNode, "http: only http:// URLs are supported (got \"\(url)\")")
                }
            }
            return .http(pod: pod, url: string(fields?["url"]) ?? "", container: container)
        case .script:
            for (key, value) in fields?["env"]?.mapping ?? Node.Mapping([]) {
                if let name = key.scalar?.string, !BindingTemplate.isValidName(name) {
                    error(key, "script.env: \"\(name)\" is not a valid environment variable name")
                }
                checkReferences(in: value)
            }
            return .script(pod: pod, content: string(fields?["content"]) ?? "", env: stringMap(fields?["env"]))
        case .sleep:
            return .sleep(seconds: duration(fields?["duration"]) ?? 0)
        case .logs:
            return .logs(pod: pod, container: container, previous: fields?["previous"]?.bool ?? false)
        }
    }

    private mutating func buildChecks(_ verb: LabVerb, _ node: Node?) -> [LabCheck] {
        var checks: [LabCheck] = []
        for (key, value) in node?.mapping ?? Node.Mapping([]) {
            guard let field = key.scalar?.string else { continue }
            guard verb.hasResult(field) else {
                let known = verb.results.map(\.name)
                error(key, "check: \(verb.rawValue) has no result \"\(field)\"" + (known.isEmpty ? "" : "; it has: \(known.joined(separator: ", "))"))
                continue
            }
            if let scalar = value.scalar {
                checkReferences(in: value)
                checks.append(LabCheck(field: field, kind: .equals, expected: scalar.string, location: location(value)))
                continue
            }
            for (matcherKey, matcherValue) in value.mapping ?? Node.Mapping([]) {
                guard let kindName = matcherKey.scalar?.string, let kind = LabCheck.Kind(rawValue: kindName),
                      let expected = matcherValue.scalar?.string else { continue }
                if kind != .matches { checkReferences(in: matcherValue) }
                checks.append(LabCheck(field: field, kind: kind, expected: expected, location: location(matcherValue)))
            }
        }
        return checks
    }

    private mutating func buildOutputs(_ verb: LabVerb, _ node: Node?) -> [LabOutput] {
        var outputs: [LabOutput] = []
        for (key, value) in node?.mapping ?? Node.Mapping([]) {
            guard let binding = key.scalar?.string, let field = value.scalar?.string else { continue }
            checkBindingName(binding, at: key)
            if !verb.hasResult(field) {
                let known = verb.results.map(\.name)
                error(value, "outputs: \(verb.rawValue) has no result \"\(field)\"" + (known.isEmpty ? "" : "; it has: \(known.joined(separator: ", "))"))
            }
            outputs.append(LabOutput(binding: binding, field: field, location: location(key)))
        }
        for output in outputs { defined.insert(output.binding) }
        return outputs
    }

    private mutating func checkBindingName(_ name: String, at node: Node) {
        if !BindingTemplate.isValidName(name) {
            error(node, "\"\(name)\" is not a valid binding name (letters, digits and _, not starting with a digit)")
        } else if name.hasPrefix("PODLAB_") {
            error(node, "binding names starting with PODLAB_ are reserved for built-ins")
        }
    }

    /// Reports every `$NAME` in a templated scalar that no earlier operation, lab binding or
    /// built-in defines, at the column of its `$` when the scalar is on one line.
    private mutating func checkReferences(in node: Node) {
        guard let scalar = node.scalar else { return }
        for reference in BindingTemplate.references(in: scalar.string) {
            if defined.contains(reference.name) || BuiltinBindings.isBuiltin(reference.name) { continue }
            var at = location(node)
            if !scalar.string.contains("\n") {
                switch scalar.style {
                case .plain: at.column += reference.offset
                case .singleQuoted, .doubleQuoted: at.column += reference.offset + 1
                default: break
                }
            }
            let hint = reference.name.hasPrefix("PODLAB_") ? "; built-ins are \(BuiltinBindings.names.joined(separator: ", ")), PODLAB_PID_<CONTAINER>, PODLAB_CID_<CONTAINER>" : "; define it with outputs: or spec.bindings, or write $$ for a literal $"
            diagnostics.append(LabDiagnostic(at, "undefined binding $\(reference.name)\(hint)"))
        }
    }
}
