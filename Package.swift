// swift-tools-version:6.0
import PackageDescription

// Release builds of the server skip Swift's dynamic exclusivity checks: the hot
// paths mutate per-client buffers through class references many times per
// command, and every access would otherwise call into the runtime.
let serverSwiftSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

let package = Package(
    name: "Cinnabar",
    products: [
        .executable(name: "cinnabar-server", targets: ["cinnabar-server"]),
        .library(name: "CinnabarClient", targets: ["CinnabarClient"]),
    ],
    targets: [
        .target(name: "CSystem"),
        .target(name: "CinnabarCore", dependencies: ["CSystem"], swiftSettings: serverSwiftSettings),
        .target(name: "Cinnabar", dependencies: ["CinnabarCore"], swiftSettings: serverSwiftSettings),
        .target(name: "CinnabarClient"),
        .executableTarget(
            name: "cinnabar-server",
            dependencies: ["Cinnabar", "CinnabarCore"],
            swiftSettings: serverSwiftSettings),
        .testTarget(name: "CinnabarCoreTests", dependencies: ["Cinnabar", "CinnabarCore"]),
        .testTarget(name: "CinnabarIntegrationTests", dependencies: ["Cinnabar", "CinnabarCore", "CinnabarClient"]),
    ],
    swiftLanguageModes: [.v5]
)
