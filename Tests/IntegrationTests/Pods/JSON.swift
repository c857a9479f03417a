import Foundation
import PodlabCore

/// Read-only access to `podlab inspect`/`inspectp`/`ns -o json` output by path:
/// `json["status"]["restartCount"].int`. A missing key gives `.missing`, never a crash.
struct JSON: CustomStringConvertible {
    let value: Any?

    init(parsing text: String) throws {
        do {
            value = try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
        } catch {
            throw PodlabError(.badInput, "not JSON: \(error): \(text.prefix(200))")
        }
    }

    init(value: Any?) { self.value = value }

    subscript(key: String) -> JSON { JSON(value: (value as? [String: Any])?[key]) }
    subscript(index: Int) -> JSON {
        guard let array = value as? [Any], array.indices.contains(index) else { return JSON(value: nil) }
        return JSON(value: array[index])
    }

    var string: String? { value as? String }
    var int: Int? { (value as? NSNumber)?.intValue }
    var bool: Bool? { (value as? NSNumber)?.boolValue }
    var array: [JSON] { (value as? [Any])?.map { JSON(value: $0) } ?? [] }
    var exists: Bool { value != nil && !(value is NSNull) }

    var description: String {
        guard let value, JSONSerialization.isValidJSONObject(value),
              let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else { return String(describing: value) }
        return String(decoding: data, as: UTF8.self)
    }
}
