import Foundation
import PodlabCore
import Testing

@testable import PodKit

@Suite("HOME from passwd, exec failure messages, pause's root")
struct SandboxDefaultsUnitTests {
    @Test func homeComesFromTheFirstMatchingPasswdLine() {
        let passwd = "# comment\nroot:x:0:0:root:/root:/bin/sh\nbroken line\nweb:x:33:33::/var/www:/bin/false\nweb2:x:33:33::/other:/bin/false\nnohome:x:7:7::::\n"
        #expect(ImagePasswd.home(forUID: 0, passwd: passwd) == "/root")
        #expect(ImagePasswd.home(forUID: 33, passwd: passwd) == "/var/www")
        #expect(ImagePasswd.home(forUID: 7, passwd: passwd) == nil)
        #expect(ImagePasswd.home(forUID: 1000, passwd: passwd) == nil)
    }

    @Test func homeIsAddedOnlyWhenUnsetAndDefaultsToRoot() throws {
        let dir = NSTemporaryDirectory() + "passwd-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/etc", withIntermediateDirectories: true)
        try "root:x:0:0:root:/root:/bin/sh\n".write(toFile: dir + "/etc/passwd", atomically: true, encoding: .utf8)
        #expect(ImagePasswd.addingHome(to: ["PATH=/bin"], uid: 0, imageRoot: dir) == ["PATH=/bin", "HOME=/root"])
        #expect(ImagePasswd.addingHome(to: ["HOME=/x"], uid: 0, imageRoot: dir) == ["HOME=/x"])
        #expect(ImagePasswd.addingHome(to: [], uid: 5, imageRoot: dir) == ["HOME=/"])
        // A passwd that is a symlink out of the image is resolved inside it (RESOLVE_IN_ROOT).
        try FileManager.default.removeItem(atPath: dir + "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: dir + "/etc/passwd", withDestinationPath: "/etc/passwd")
        #expect(ImagePasswd.addingHome(to: [], uid: 0, imageRoot: dir) == ["HOME=/"])
    }

    @Test func execFailuresUseRuncsWords() {
        let notFound = PodlabError.syscall("execve(nope)", errnoValue: ENOENT)
        #expect(ExecFailure.runcMessage(for: notFound, program: "nope") == "exec: \"nope\": executable file not found in $PATH")
        #expect(ExecFailure.runcMessage(for: PodlabError.syscall("execve(/x)", errnoValue: ENOENT), program: "/x")
            == "exec: \"/x\": stat /x: no such file or directory")
        #expect(ExecFailure.runcMessage(for: PodlabError.syscall("mount(a, b)", errnoValue: ENOENT), program: "x") == nil)
    }

    @Test func loaderListParsing() {
        let text = "\tlinux-vdso.so.1 (0x00007ffd)\n\tlibswiftCore.so => /opt/swift/usr/lib/swift/linux/libswiftCore.so (0x1)\n\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x2)\n\t/lib64/ld-linux-x86-64.so.2 (0x3)\n\tlibmissing.so => not found\n"
        #expect(SandboxRootfs.parseLoaderList(text) == [
            "/opt/swift/usr/lib/swift/linux/libswiftCore.so", "/lib/x86_64-linux-gnu/libc.so.6", "/lib64/ld-linux-x86-64.so.2",
        ])
    }

    @Test func interpreterOfARealBinary() throws {
        let interpreter = try #require(try ELFInterpreter.read("/bin/sh"))
        #expect(interpreter.hasPrefix("/") && interpreter.contains("ld-linux"))
        #expect(throws: PodlabError.self) { try ELFInterpreter.read("/etc/passwd") }
    }
}
