import Foundation
import PodKit
import PodlabCore
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// pl_spawn without namespaces: exit status forwarding and error stages. These need no root.
@Suite("spawn: exit status and errors")
struct SpawnBasicsTests {
    @Test func waitForExitPassesTheExitCodeThrough() throws {
        var request = SpawnRequest(arguments: ["sh", "-c", "exit 7"])
        request.environment = ["PATH=/bin:/usr/bin"]
        request.waitForExit = true
        #expect(try ProcessSpawner().spawn(request).exit == .exited(7))
    }

    @Test func aSignalDeathIsForwardedAsASignalLikeNsenter() throws {
        var request = SpawnRequest(arguments: ["/bin/sh", "-c", "kill -TERM $$"])
        request.waitForExit = true
        let exit = try ProcessSpawner().spawn(request).exit
        #expect(exit == .signaled(SIGTERM))
        #expect(exit?.exitCode == 143)
    }

    @Test func failedExecNamesExecveAndTheProgramWithENOENT() throws {
        var request = SpawnRequest(arguments: ["/bin/nope"])
        request.waitForExit = true
        let error = try #require(throws: PodlabError.self) { try ProcessSpawner().spawn(request) }
        #expect(error.code == .syscall)
        #expect(error.message == "execve(/bin/nope)")
        #expect(error.cause as? Errno == .noSuchFileOrDirectory)
    }

    @Test func programIsSearchedInTheRequestsPATHNotOurs() throws {
        let dir = try SpawnFixtures.makeTempDir("path")
        defer { SpawnFixtures.removeTree(dir) }
        // O_CLOEXEC: a child forked meanwhile by a parallel test must not hold it open for
        // writing, or execve fails with ETXTBSY.
        let probe = try FileDescriptor.open(
            FilePath(dir + "/podlab-probe"), .writeOnly, options: [.create, .closeOnExec], permissions: [.ownerReadWriteExecute])
        try probe.closeAfter { _ = try probe.writeAll("#!/bin/sh\nexit 42\n".utf8) }

        var request = SpawnRequest(arguments: ["podlab-probe"])
        request.environment = ["PATH=/nonexistent:\(dir)"]
        request.waitForExit = true
        #expect(try ProcessSpawner().spawn(request).exit == .exited(42))

        request.environment = ["PATH=/bin"]
        let error = try #require(throws: PodlabError.self) { try ProcessSpawner().spawn(request) }
        #expect(error.message == "execve(podlab-probe)")
        #expect(error.cause as? Errno == .noSuchFileOrDirectory)
    }

    @Test func joiningAMissingNamespaceNamesThePath() throws {
        var request = SpawnRequest(arguments: ["/bin/true"])
        request.join = .pod(sandboxPid: 999_999_999)
        let error = try #require(throws: PodlabError.self) { try ProcessSpawner().spawn(request) }
        #expect(error.message.contains("/proc/999999999/ns/"))
        #expect(error.cause as? Errno == .noSuchFileOrDirectory)
    }

    @Test func mountsWithoutAMountNamespaceAreRefused() throws {
        var request = SpawnRequest(arguments: ["/bin/true"])
        request.mountProc = true
        let error = try #require(throws: PodlabError.self) { try ProcessSpawner().spawn(request) }
        #expect(error.message.hasPrefix("mount("))
        #expect(error.cause as? Errno == .invalidArgument)
    }
}
