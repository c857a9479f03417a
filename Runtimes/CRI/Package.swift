// swift-tools-version: 6.1
import PackageDescription

/// podlab-cri: podlab's CRI client, a separate executable that podlab execs like a shim.
///
/// It lives in its own package so that the main `podlab` binary never links SwiftNIO or gRPC
/// (their start-up cost is paid only by processes that speak CRI). The generated code in
/// Sources/CRIProto comes from Protos/podlab-cri-api.proto through scripts/regenerate-cri-proto;
/// the protoc plugins are built once by that script, never by a normal build.
let package = Package(
    name: "podlab-cri",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "podlab-cri", targets: ["podlab-cri"]),
    ],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        // Generated messages and client stubs for the CRI subset podlab uses (runtime.v1).
        .target(
            name: "CRIProto",
            dependencies: [
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ]),
        // JSON lines on stdin -> CRI calls -> JSON lines on stdout.
        .executableTarget(
            name: "podlab-cri",
            dependencies: [
                "CRIProto",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]),
    ],
    swiftLanguageModes: [.v5]
)
