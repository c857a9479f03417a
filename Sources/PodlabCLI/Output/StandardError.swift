import PodlabCore
import Foundation

/// `print(…, to: &StandardError.stream)`.
public struct StandardError: TextOutputStream {
    public nonisolated(unsafe) static var stream = StandardError()
    public mutating func write(_ string: String) {
        StandardStreams.error(string)
    }
}
