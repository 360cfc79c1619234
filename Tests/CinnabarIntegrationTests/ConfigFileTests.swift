import CinnabarClient
@testable import CinnabarCore
import Foundation
import XCTest

/// Start-up configuration: files, command-line directives, fatal errors,
/// and the documented example file.
final class ConfigFileTests: XCTestCase {
    private var scratch = ""

    override func setUpWithError() throws {
        scratch = NSTemporaryDirectory() + "cinnabar-config-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: scratch)
    }

    private func write(_ name: String, _ text: String) throws -> String {
        let path = scratch + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs the server binary expecting it to exit on its own; returns its
    /// status and standard error. Fails (and kills it) if it keeps running.
    private func runExpectingExit(_ args: [String], file: StaticString = #filePath, line: UInt = #line) throws -> (status: Int32, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestServer.binaryPath)
        p.arguments = args
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        let deadline = Date().addingTimeInterval(10)
        while p.isRunning && Date() < deadline { usleep(20_000) }
        if p.isRunning {
            p.terminate()
            p.waitUntilExit()
            XCTFail("cinnabar-server \(args) kept running", file: file, line: line)
        }
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return (p.terminationStatus, text)
    }

    /// Starts the binary with `args` and waits until it answers on `port`.
    private func start(_ args: [String], port: Int) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestServer.binaryPath)
        p.arguments = args
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        // Any reply to PING (NOAUTH included) means it is up.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let c = try? RedisConnection(port: port, timeout: 1), (try? c.send(["PING"])) != nil, (try? c.read()) != nil {
                return p
            }
            usleep(50_000)
        }
        p.terminate()
        p.waitUntilExit()
        throw ConnectionError.timeout
    }

    // MARK: fatal errors

    func testBadDirectiveIsFatal() throws {
        let path = try write("bad.conf", "port 1234\n\n  nosuchdirective yes  \n")
        let (status, stderr) = try runExpectingExit([path])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(stderr.contains("*** FATAL CONFIG FILE ERROR"), stderr)
        XCTAssertTrue(stderr.contains("Reading the configuration file \(path), at line 3\n"), stderr)
        XCTAssertTrue(stderr.contains(">>> 'nosuchdirective yes'\nBad directive or wrong number of arguments\n"), stderr)
    }

    /// Bad values and Redis 7.0.15's message for each.
    func testBadValuesAreFatalWithRedisMessages() throws {
        let cases: [(String, String)] = [
            ("port abc", "argument couldn't be parsed into an integer"),
            ("port 70000", "argument must be between 0 and 65535 inclusive"),
            ("port 1 2", "wrong number of arguments"),
            ("requirepass", "wrong number of arguments"),
            ("maxclients 0", "argument must be between 1 and 4294967295 inclusive"),
            ("appendonly maybe", "argument must be 'yes' or 'no'"),
            ("loglevel loud", "argument(s) must be one of the following: debug, verbose, notice, warning"),
            ("maxmemory lots", "argument must be a memory value"),
            ("save 10", "Invalid save parameters"),
            ("save 10 x", "Invalid save parameters"),
            ("dir \"/tmp", "Unbalanced quotes in configuration line"),
            ("client-output-buffer-limit normal 0 0", "Wrong number of arguments in buffer limit configuration."),
            ("notify-keyspace-events Q", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."),
        ]
        for (i, (text, message)) in cases.enumerated() {
            let path = try write("bad\(i).conf", "# comment\n\(text)\n")
            let (status, stderr) = try runExpectingExit([path])
            XCTAssertNotEqual(status, 0, text)
            XCTAssertTrue(stderr.contains("at line 2\n>>> '\(text)'\n\(message)\n"), "\(text): \(stderr)")
        }
    }

    func testBadCommandLineDirectiveIsFatal() throws {
        let (status, stderr) = try runExpectingExit(["--port", "abc"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(stderr.contains("*** FATAL CONFIG FILE ERROR"), stderr)
        XCTAssertTrue(stderr.contains(">>> 'port \"abc\"'\nargument couldn't be parsed into an integer\n"), stderr)
    }

    func testMissingFileIsFatal() throws {
        let (status, stderr) = try runExpectingExit([scratch + "/missing.conf"])
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(stderr.contains("Fatal error, can't open config file '\(scratch)/missing.conf'"), stderr)
    }

    // MARK: merging

    func testFileAndArgumentsMerge() throws {
        let port = TestServer.freePort()
        // The file's port is overridden; its password and database count stay.
        let path = try write("merge.conf", "port 1\nrequirepass secret\ndatabases 4\nsave \"\"\n")
        let p = try start([path, "--port", String(port), "--bind", "127.0.0.1", "--dir", scratch], port: port)
        defer { p.terminate(); p.waitUntilExit() }
        let c = try RedisConnection(port: port)
        try c.send(["PING"])
        XCTAssertEqual(try c.read(), .error("NOAUTH Authentication required."))
        XCTAssertEqual(try c.call("AUTH", "secret"), .simple("OK"))
        XCTAssertEqual(try c.call("SELECT", "3"), .simple("OK"))
        try c.send(["SELECT", "4"])
        XCTAssertEqual(try c.read(), .error("ERR DB index is out of range"))
    }

    func testLaterArgumentsWin() throws {
        let port = TestServer.freePort()
        let path = try write("args.conf", "databases 2\n")
        let p = try start([path, "--databases", "8", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--dir", scratch],
                          port: port)
        defer { p.terminate(); p.waitUntilExit() }
        let c = try RedisConnection(port: port)
        XCTAssertEqual(try c.call("SELECT", "7"), .simple("OK"))
    }

    // MARK: redis.conf.example

    private static var examplePath: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("redis.conf.example").path
    }

    func testExampleDocumentsEveryDirective() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        let lines = text.split(separator: "\n").map { String($0) }
        for p in ConfigTable.parameters {
            let documented = lines.contains { line in
                var l = Substring(line)
                if l.hasPrefix("# ") { l = l.dropFirst(2) }
                return l == p.name || l.hasPrefix(p.name + " ")
            }
            XCTAssertTrue(documented, "redis.conf.example does not document '\(p.name)'")
        }
    }

    func testExampleParsesToTheDefaults() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        var parsed = ServerConfig()
        try ConfigParser.apply(text: text, file: Self.examplePath, to: &parsed)
        let defaults = ServerConfig()
        for p in ConfigTable.parameters {
            XCTAssertEqual(p.get(parsed), p.get(defaults), "'\(p.name)' in redis.conf.example differs from the default")
        }
    }

    func testServerStartsWithExample() throws {
        let port = TestServer.freePort()
        let p = try start([Self.examplePath, "--port", String(port), "--bind", "127.0.0.1", "--dir", scratch], port: port)
        defer { p.terminate(); p.waitUntilExit() }
        let c = try RedisConnection(port: port)
        XCTAssertEqual(try c.call("SET", "k", "v"), .simple("OK"))
        XCTAssertEqual(try c.call("GET", "k"), .bulk(Array("v".utf8)))
    }
}
