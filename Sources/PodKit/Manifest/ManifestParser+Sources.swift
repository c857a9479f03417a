import PodlabCore

extension ManifestParser {
    /// Parses several manifests as one apply, as `kubectl apply -f a.yaml -f dir/ -f -` does:
    /// every document keeps its own `file:line:column` (`file` is the name the source was given,
    /// `<stdin>` for standard input), and a ConfigMap in one source may be used by a pod in
    /// another (kubectl sends them all to one API server).
    public func parse(sources: [(file: String, yaml: String)]) throws -> ParsedManifest {
        var documents: [YAMLCursor] = []
        for source in sources {
            documents += try YAMLCursor.documents(yaml: source.yaml, file: source.file)
        }
        return try parse(documents: documents)
    }
}
