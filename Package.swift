// swift-tools-version:6.0
import PackageDescription

// Release builds of the server skip Swift's dynamic exclusivity checks: the hot
// paths mutate per-client buffers through class references many times per
// command, and every access would otherwise call into the runtime.
let serverSwiftSettings: [SwiftSetting] = [
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

// Scripts/luajit builds LuaJIT (Debian's source package, with hook checks in
// compiled code) into .deps/luajit; Scripts/deps runs it before any build.
let luajitDir = Context.packageDirectory + "/.deps/luajit"
let cjsonLib = "/usr/lib/x86_64-linux-gnu/liblua5.1-cjson.a"

let package = Package(
    name: "Cinnabar",
    products: [
        .executable(name: "cinnabar-server", targets: ["cinnabar-server"]),
        .library(name: "CinnabarClient", targets: ["CinnabarClient"]),
    ],
    targets: [
        .target(name: "CSystem", linkerSettings: [.linkedLibrary("lzf")]),
        .target(
            name: "CinnabarLua",
            linkerSettings: [
                .unsafeFlags([cjsonLib, luajitDir + "/lib/libluajit-5.1.a"]),
                .linkedLibrary("m"),
                .linkedLibrary("dl"),
            ]),
        .target(name: "CinnabarCore", dependencies: ["CSystem"], swiftSettings: serverSwiftSettings),
        .target(name: "CinnabarScripting", dependencies: ["CinnabarCore", "CinnabarLua"], swiftSettings: serverSwiftSettings),
        .target(name: "Cinnabar", dependencies: ["CinnabarCore", "CinnabarScripting"], swiftSettings: serverSwiftSettings),
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
