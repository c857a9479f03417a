import CPodlab
import PodlabCore
import SystemPackage

/// A pipe whose two ends are close-on-exec (`pipe2(O_CLOEXEC)`): a child gets an end only
/// through an explicit dup2, never by accident. `name` says what it is for, in errors.
public func makeCloseOnExecPipe(_ name: String) throws -> (readEnd: FileDescriptor, writeEnd: FileDescriptor) {
    var fds: [Int32] = [-1, -1]
    _ = try checkedSyscall("pipe2(\(name), O_CLOEXEC)") { pl_pipe_cloexec(&fds) }
    return (FileDescriptor(rawValue: fds[0]), FileDescriptor(rawValue: fds[1]))
}
