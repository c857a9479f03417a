import Foundation
import PodlabCore
import RootfsKit
import Testing

@testable import PodKit

/// The cases of containerd's `TestContainerSpecCommand` (pkg/cri `container_create_linux_test.go`)
/// and the table in the Kubernetes task "Define a Command and Arguments for a Container"
/// (docs/FIDELITY.md #95–#98).
@Suite("Image config: command/args, env, workingDir, user")
struct ImageProcessDefaultsTests {
    static let image = ImageConfig(entrypoint: ["c", "d"], cmd: ["e", "f"])

    static func argv(_ command: [String]?, _ args: [String]?, image: ImageConfig? = image) throws -> [String] {
        try ImageProcessDefaults.resolve(command: command, args: args, workingDir: nil, image: image).arguments
    }

    @Test func commandReplacesEntrypointAndDropsCmd() throws {
        #expect(try Self.argv(["a", "b"], nil) == ["a", "b"])
    }

    @Test func commandAndArgsReplaceBoth() throws {
        #expect(try Self.argv(["a", "b"], ["x"]) == ["a", "b", "x"])
    }

    @Test func argsAloneKeepTheEntrypoint() throws {
        #expect(try Self.argv(nil, ["a", "b"]) == ["c", "d", "a", "b"])
    }

    @Test func neitherGivesEntrypointThenCmd() throws {
        #expect(try Self.argv(nil, nil) == ["c", "d", "e", "f"])
    }

    @Test func emptyListsCountAsUnsetAsAfterTheCRIsProtobuf() throws {
        #expect(try Self.argv([], []) == ["c", "d", "e", "f"])
        #expect(try Self.argv([], ["a"]) == ["c", "d", "a"])
    }

    @Test func cmdOnlyImageRunsCmdOrArgs() throws {
        let busybox = BusyboxRootfsBuilder.imageConfig
        #expect(try Self.argv(nil, nil, image: busybox) == ["sh"])
        // args replace Cmd; with no Entrypoint they are the whole argv.
        #expect(try Self.argv(nil, ["echo", "hi"], image: busybox) == ["echo", "hi"])
    }

    @Test func emptyStringEntrypointMeansNone() throws {
        let image = ImageConfig(entrypoint: [""], cmd: ["sh"])
        #expect(try Self.argv(nil, nil, image: image) == ["sh"])
    }

    @Test func noCommandAnywhereIsContainerdsError() {
        #expect(throws: PodlabError.self) { try ImageProcessDefaults.resolve(command: nil, args: nil, workingDir: nil, image: nil, container: "web") }
        do {
            _ = try ImageProcessDefaults.resolve(command: nil, args: nil, workingDir: nil, image: ImageConfig(env: ["A=1"]), container: "web")
            Issue.record("expected an error")
        } catch let error as PodlabError {
            #expect(error.code == .invalidArgument)
            #expect("\(error)".contains("no command specified"))
            #expect("\(error)".contains("\"web\""))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func nginxImageWithoutOverridesRunsTheEntrypointScript() throws {
        #expect(try Self.argv(nil, nil, image: DebianImageRecipe.nginxConfig) == ["/docker-entrypoint.sh", "nginx", "-g", "daemon off;"])
    }

    @Test func podWorkingDirBeatsTheImages() throws {
        let image = ImageConfig(cmd: ["sh"], workingDir: "/srv")
        #expect(try ImageProcessDefaults.resolve(command: nil, args: nil, workingDir: "/tmp", image: image).workingDirectory == "/tmp")
        #expect(try ImageProcessDefaults.resolve(command: nil, args: nil, workingDir: nil, image: image).workingDirectory == "/srv")
        #expect(try ImageProcessDefaults.resolve(command: nil, args: nil, workingDir: "", image: image).workingDirectory == "/srv")
        #expect(try ImageProcessDefaults.resolve(command: ["sh"], args: nil, workingDir: nil, image: nil).workingDirectory == nil)
    }

    @Test func imageUserIsExposedAndEmptyMeansNone() throws {
        #expect(try ImageProcessDefaults.resolve(command: nil, args: nil, workingDir: nil, image: ImageConfig(cmd: ["sh"], user: "101:101")).imageUser == "101:101")
        #expect(try ImageProcessDefaults.resolve(command: nil, args: nil, workingDir: nil, image: ImageConfig(cmd: ["sh"], user: "")).imageUser == nil)
    }

    @Test func imageEnvIsMergedUnderThePodsAndOverTheDefaults() {
        let env = ImageProcessDefaults.environment(
            defaults: [ContainerDefaults.pathEnvironment, "HOSTNAME=web"],
            image: ["PATH=/opt/bin:/usr/bin", "NGINX_VERSION=1.22.1", "MODE=image"],
            pod: ["MODE=pod", "EXTRA=1"])
        // Replaced in place: order is defaults, then new image names, then new pod names.
        #expect(env == ["PATH=/opt/bin:/usr/bin", "HOSTNAME=web", "NGINX_VERSION=1.22.1", "MODE=pod", "EXTRA=1"])
    }

    @Test func stopSignalComesFromTheImage() {
        #expect(ImageProcessDefaults.stopSignal(nil) == SIGTERM)
        #expect(ImageProcessDefaults.stopSignal("SIGQUIT") == SIGQUIT)
        #expect(ImageProcessDefaults.stopSignal("quit") == SIGQUIT)
        #expect(ImageProcessDefaults.stopSignal("3") == 3)
        #expect(ImageProcessDefaults.stopSignal("SIGRTMAX+99") == SIGTERM)
        #expect(ImageProcessDefaults.stopSignal("999999999999") == SIGTERM)
        #expect(ImageProcessDefaults.stopSignal(DebianImageRecipe.nginxConfig.stopSignal) == SIGQUIT)
    }

    @Test func runtimeEnvironmentUsesTheImageEnv() throws {
        var record = try makeRecord("""
            apiVersion: v1
            kind: Pod
            metadata: {name: p}
            spec:
              containers:
              - name: c
                image: busybox
                env: [{name: A, value: pod}]
            """)
        let pod = record.spec
        record.imageConfigs = ["c": ImageConfig(cmd: ["sh"], env: ["A=image", "B=image"])]
        let process = try ContainerProcess.make(for: pod.containers[0], record: record)
        #expect(process.environment == [ContainerDefaults.pathEnvironment, "HOSTNAME=p", "A=pod", "B=image"])
        #expect(process.arguments == ["sh"])
    }
}
