import Cinnabar
import CinnabarClient
import CinnabarCore
import Foundation
import Synchronization
import XCTest

/// A server for black-box tests on an ephemeral loopback port: either
/// in-process (fast) or the real `cinnabar-server` binary as a child process.
final class TestServer {
    enum Mode { case inProcess, binary }

    let port: Int
    let dir: String
    /// False when the caller supplied `dir` (it outlives this server: restarts).
    private let ownsDir: Bool
    private var server: Server?

    /// The in-process server's keyspace (nil for the binary).
    var keyspace: Keyspace? { server?.keyspace }
    private var process: Process?

    /// `dir` keeps data across servers (restart tests); by default a fresh temporary directory is used and removed.
    init(_ config: [String: String] = [:], mode: Mode = .inProcess, dir existing: String? = nil) throws {
        ownsDir = existing == nil
        dir = existing ?? NSTemporaryDirectory() + "cinnabar-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var settings = ["bind": "127.0.0.1", "save": "", "dir": dir, "io-threads": "2", "loglevel": "warning"]
        for (k, v) in config { settings[k] = v }
        switch mode {
        case .inProcess:
            var cfg = ServerConfig()
            var text = "port 0\n"
            for (k, v) in settings { text += "\(k) \(ConfigParser.quote(v))\n" }
            try ConfigParser.apply(text: text, file: "(test)", to: &cfg)
            let s = Cinnabar.makeServer(config: cfg)
            try Cinnabar.boot(s)
            s.runInBackground()
            while s.persistence?.loading.load(ordering: .acquiring) == true { usleep(2_000) }
            server = s
            port = s.port
        case .binary:
            port = TestServer.freePort()
            let p = Process()
            p.executableURL = URL(fileURLWithPath: TestServer.binaryPath)
            var args = ["--port", String(port)]
            for (k, v) in settings { args += ["--\(k)", v] }
            p.arguments = args
            p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
            try p.run()
            process = p
            try TestServer.waitForPing(port: port)
        }
    }

    deinit { stop() }

    /// Stops the server (and removes its directory).
    func stop() {
        if let s = server {
            s.stop()
            s.waitUntilStopped()
            server = nil
        }
        if let p = process {
            if p.isRunning { p.terminate(); p.waitUntilExit() }
            process = nil
        }
        if ownsDir {
            try? FileManager.default.removeItem(atPath: dir)
        }
    }

    /// Kills the binary server with SIGKILL (a crash: nothing is flushed).
    func crash() {
        if let p = process, p.isRunning {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        process = nil
    }

    /// Makes a temporary directory the caller removes.
    static func makeDirectory() throws -> String {
        let d = NSTemporaryDirectory() + "cinnabar-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Runs a program to completion; returns its exit status and combined output.
    static func run(_ path: String, _ args: [String], timeout: Double = 30) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let deadline = Date().addingTimeInterval(timeout)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning { p.terminate() }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// The server's process id (the test process itself when in-process).
    var pid: Int32 { process?.processIdentifier ?? getpid() }

    func connect() throws -> RedisConnection {
        try RedisConnection(port: port)
    }

    /// Runs the real `redis-cli` against this server; returns stdout.
    func cli(_ args: [String], stdin: String? = nil) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/redis-cli")
        p.arguments = ["-h", "127.0.0.1", "-p", String(port)] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        if let stdin {
            let inPipe = Pipe()
            p.standardInput = inPipe
            try p.run()
            inPipe.fileHandleForWriting.write(Data(stdin.utf8))
            try inPipe.fileHandleForWriting.close()
        } else {
            try p.run()
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    /// Path of the built server binary: $CINNABAR_SERVER_BIN, else the debug or release build.
    static var binaryPath: String {
        if let p = ProcessInfo.processInfo.environment["CINNABAR_SERVER_BIN"] { return p }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        for config in ["debug", "release"] {
            let p = root.appendingPathComponent(".build/\(config)/cinnabar-server").path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return root.appendingPathComponent(".build/debug/cinnabar-server").path
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    static func waitForPing(port: Int, seconds: Double = 20) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if let c = try? RedisConnection(port: port, timeout: 1), (try? c.call("PING")) != nil { return }
            usleep(50_000)
        }
        throw ConnectionError.timeout
    }
}
