@testable import ContainerdKit
import Foundation
import PodlabCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Each bad setup of issue 13 gets a message that names what is wrong and the fix ("Bad setups
/// get clear errors"): no containerd, CNI plugins missing, a socket nobody listens on, a socket
/// that answers garbage, a runtime serving another CRI version. (A missing sandbox image needs
/// a real containerd: ContainerdCompareTests checks that message.)
@Suite struct BadSetupMessageTests {
    static func scratch() throws -> String {
        let path = "/tmp/plbad-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func setup(root: String, containerd: String = "/usr/bin/containerd", cniBinDir: String = "/usr/lib/cni") -> ContainerdSetup {
        ContainerdSetup(stateDir: root + "/state", rootDir: root + "/data", bridge: "plbad0", subnet: "10.241.0.0/24",
                        cgroupParent: "/podlab-bad", cniBinDir: cniBinDir, sandboxImage: ContainerdSetup.pauseImage,
                        containerdBinary: containerd, runcBinary: "/usr/sbin/runc", ctrBinary: "/usr/bin/ctr")
    }

    /// podlab-cri is needed to speak to a socket at all (PODLAB_CRI, or built in Runtimes/CRI).
    static var hasShim: Bool { (try? CRIShim.locate()) != nil }

    @Test func noContainerdInstalledNamesThePackage() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let error = #expect(throws: PodlabError.self) {
            try ContainerdInstance(setup: Self.setup(root: root, containerd: root + "/no/containerd")).up(timeout: 1)
        }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text == "no containerd binary at \(root)/no/containerd; fix: apt-get install containerd (or set PODLAB_CONTAINERD)")
        // Refused before anything was started or written.
        #expect(!FileManager.default.fileExists(atPath: root + "/state/config.toml"))
    }

    @Test func cniPluginsMissingNamesEachPlugin() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/cni", withIntermediateDirectories: true)
        let problems = RuntimeDoctor.containerdProblems(Self.setup(root: root, cniBinDir: root + "/cni"))
        let cni = try #require(problems.first { $0.detail.hasPrefix("CNI plugins missing") })
        #expect(cni.detail == "CNI plugins missing in \(root)/cni: \(ContainerdSetup.cniPlugins.joined(separator: ", "))")
        #expect(cni.fix == "apt-get install containernetworking-plugins (or set PODLAB_CNI_BIN_DIR)")
    }

    @Test(.enabled(if: hasShim)) func socketWithNobodyListening() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let socket = root + "/nobody.sock"
        // A socket file whose listener is gone (a crashed containerd): connect gets ECONNREFUSED.
        let fd = try Self.listen(at: socket)
        close(fd)
        guard case .failure(let error) = RuntimeDoctor.checkEndpoint("unix://" + socket, sandboxImage: nil) else {
            Issue.record("a dead socket answered")
            return
        }
        #expect(error.problem.detail.hasPrefix("CRI socket unix://\(socket) not answering:"), "\(error.problem.detail)")
        #expect(error.problem.fix == "podlab runtime up containerd (or point --cri-endpoint at a running containerd)")
    }

    @Test(.enabled(if: hasShim)) func socketAnsweringGarbage() throws {
        let root = try Self.scratch()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let socket = root + "/garbage.sock"
        let listener = try Self.listen(at: socket)
        defer { close(listener) }
        // Not HTTP/2, not gRPC: whatever connects gets text and a close.
        let thread = Thread {
            for _ in 0..<8 {
                let client = accept(listener, nil, nil)
                guard client >= 0 else { return }
                let junk = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\nthis is not a CRI runtime\n"
                _ = junk.withCString { write(client, $0, strlen($0)) }
                close(client)
            }
        }
        thread.start()
        let started = Date()
        guard case .failure(let error) = RuntimeDoctor.checkEndpoint("unix://" + socket, sandboxImage: nil) else {
            Issue.record("a garbage socket answered Version")
            return
        }
        #expect(Date().timeIntervalSince(started) < 30, "the check must end at its deadline")
        #expect(error.problem.detail.hasPrefix("CRI socket unix://\(socket) not answering:"), "\(error.problem.detail)")
        #expect(error.problem.fix.contains("podlab runtime up containerd"))
        shutdown(listener, Int32(SHUT_RDWR))
    }

    @Test func anotherCRIVersionIsRefusedWithTheFix() {
        let old = CRIVersion(version: "0.1.0", runtimeName: "containerd", runtimeVersion: "1.5.9", runtimeApiVersion: "v1alpha2")
        let problem = RuntimeDoctor.versionProblem(old, endpoint: "unix:///run/containerd/containerd.sock")
        #expect(problem?.detail == "containerd 1.5.9 (CRI v1alpha2) at unix:///run/containerd/containerd.sock serves CRI v1alpha2, podlab needs v1")
        #expect(problem?.fix == "use containerd 1.6 or newer (runtime.v1)")
        let current = CRIVersion(version: "0.1.0", runtimeName: "containerd", runtimeVersion: "1.6.20", runtimeApiVersion: "v1")
        #expect(RuntimeDoctor.versionProblem(current, endpoint: "x") == nil)
    }

    /// A listening unix socket at `path`.
    static func listen(at path: String) throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw PodlabError.syscall("socket(AF_UNIX)", errnoValue: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw PodlabError(.invalidArgument, "socket path \(path) too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in bytes.enumerated() { buffer[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, Glibc.listen(fd, 8) == 0 else {
            let saved = errno
            close(fd)
            throw PodlabError.syscall("bind/listen(\(path))", errnoValue: saved)
        }
        return fd
    }
}
