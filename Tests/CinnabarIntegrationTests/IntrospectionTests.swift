import CinnabarClient
import Foundation
import XCTest

/// CLIENT, MONITOR, CONFIG and INFO over real sockets, across event loops,
/// and through the real redis-cli.
final class IntrospectionTests: XCTestCase {
    private func text(_ v: RESPValue) -> String {
        if case .bulk(let b) = v { return String(decoding: b, as: UTF8.self) }
        if case .verbatim(_, let t) = v { return t }
        if case .simple(let s) = v { return s }
        return "\(v)"
    }

    private func int(_ v: RESPValue) -> Int {
        if case .integer(let n) = v { return Int(n) }
        return -1
    }

    /// Waits until `body` holds (cross-loop effects are asynchronous).
    private func eventually(_ what: String, timeout: Double = 5, _ body: () throws -> Bool) rethrows {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try body() { return }
            usleep(20_000)
        }
        XCTFail("timed out waiting for \(what)")
    }

    func testClientListAcrossLoops() throws {
        let s = try TestServer(["io-threads": "2"])
        let a = try s.connect(), b = try s.connect()
        try a.call("CLIENT", "SETNAME", "alpha")
        try b.call("CLIENT", "SETNAME", "beta")
        try b.call("SELECT", "3")
        let idA = int(try a.call("CLIENT", "ID")), idB = int(try b.call("CLIENT", "ID"))
        let list = text(try a.call("CLIENT", "LIST"))
        let lines = list.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.count, 2, list)
        let mine = try XCTUnwrap(lines.first { $0.hasPrefix("id=\(idA) ") })
        let pattern = #"^id=\d+ addr=127\.0\.0\.1:\d+ laddr=127\.0\.0\.1:\d+ fd=\d+ name=alpha age=\d+ idle=\d+ flags=N db=0 sub=0 psub=0 ssub=0 multi=-1 qbuf=26 qbuf-free=\d+ argv-mem=10 multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=\d+ events=r cmd=client\|list user=default redir=-1 resp=2$"#
        XCTAssertNotNil(mine.range(of: pattern, options: .regularExpression), mine)
        let other = try XCTUnwrap(lines.first { $0.hasPrefix("id=\(idB) ") })
        XCTAssertTrue(other.contains(" name=beta ") && other.contains(" db=3 ") && other.contains(" cmd=client|id "), other)
        XCTAssertEqual(text(try a.call("CLIENT", "LIST", "ID", String(idB))).split(separator: "\n").count, 1)
        XCTAssertEqual(text(try a.call("CLIENT", "LIST", "TYPE", "normal")).split(separator: "\n").count, 2)
        XCTAssertEqual(text(try a.call("CLIENT", "LIST", "TYPE", "pubsub")), "")
        XCTAssertTrue(text(try b.call("CLIENT", "INFO")).hasPrefix("id=\(idB) "))
        let info = text(try a.call("INFO", "clients"))
        XCTAssertTrue(info.contains("connected_clients:2\r\n"), info)
    }

    func testClientKillAcrossLoops() throws {
        let s = try TestServer(["io-threads": "2"])
        let a = try s.connect(), b = try s.connect(), c = try s.connect()
        let idB = int(try b.call("CLIENT", "ID"))
        XCTAssertEqual(int(try a.call("CLIENT", "KILL", "ID", String(idB))), 1)
        XCTAssertThrowsError(try b.call("PING"))
        // The old form names an address and replies OK.
        let cAddr = text(try c.call("CLIENT", "INFO")).split(separator: " ").first { $0.hasPrefix("addr=") }!.dropFirst(5)
        XCTAssertEqual(try a.call("CLIENT", "KILL", String(cAddr)), .simple("OK"))
        XCTAssertThrowsError(try c.call("PING"))
        XCTAssertThrowsError(try a.call("CLIENT", "KILL", "127.0.0.1:1")) { XCTAssertEqual("\($0)", "ERR No such client") }
        try eventually("killed clients to leave") { text(try a.call("INFO", "clients")).contains("connected_clients:1\r\n") }

        // SKIPME no: the caller is killed too, after its reply.
        let d = try s.connect(), e = try s.connect()
        try eventually("new clients") { text(try d.call("INFO", "clients")).contains("connected_clients:3\r\n") }
        XCTAssertEqual(int(try d.call("CLIENT", "KILL", "SKIPME", "yes")), 2)
        XCTAssertThrowsError(try a.call("PING"))
        XCTAssertThrowsError(try e.call("PING"))
        XCTAssertEqual(int(try d.call("CLIENT", "KILL", "SKIPME", "no")), 1)
        XCTAssertThrowsError(try d.call("PING"))
    }

    func testMonitorSeesOtherConnectionsWithRedaction() throws {
        let s = try TestServer(["io-threads": "2"])
        let m = try s.connect(), c = try s.connect()
        XCTAssertEqual(try m.call("MONITOR"), .simple("OK"))
        try c.call("SET", "foo", "bar")
        XCTAssertThrowsError(try c.call("AUTH", "not-real"))
        XCTAssertThrowsError(try c.call("HELLO", "2", "AUTH", "someone", "secret"))
        try c.call("CONFIG", "SET", "masterauth", "pw")
        try c.call("GET", "foo")
        let lines = try (0..<4).map { _ in try m.readLine() }
        let prefix = #"^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "#
        XCTAssertNotNil(lines[0].range(of: prefix + #""SET" "foo" "bar"$"#, options: .regularExpression), lines[0])
        XCTAssertNotNil(lines[1].range(of: prefix + #""AUTH" "\(redacted\)"$"#, options: .regularExpression), lines[1])
        XCTAssertNotNil(lines[2].range(of: prefix + #""HELLO" "2" "AUTH" "\(redacted\)" "\(redacted\)"$"#, options: .regularExpression), lines[2])
        // CONFIG is an admin command: MONITOR never shows it.
        XCTAssertNotNil(lines[3].range(of: prefix + #""GET" "foo"$"#, options: .regularExpression), lines[3])
        let list = text(try c.call("CLIENT", "LIST"))
        XCTAssertTrue(list.contains(" flags=O "), list)
    }

    func testClientReplyOffOverSocket() throws {
        let s = try TestServer()
        let c = try s.connect()
        try c.send([Array("CLIENT".utf8), Array("REPLY".utf8), Array("OFF".utf8)])
        try c.send([Array("PING".utf8), Array("silenced".utf8)])
        try c.send([Array("CLIENT".utf8), Array("REPLY".utf8), Array("ON".utf8)])
        XCTAssertEqual(try c.read(), .simple("OK"))
        try c.send([Array("CLIENT".utf8), Array("REPLY".utf8), Array("SKIP".utf8)])
        try c.send([Array("PING".utf8), Array("skipped".utf8)])
        XCTAssertEqual(try c.call("PING", "shown"), .bulk(Array("shown".utf8)))
    }

    func testClientPauseHoldsWritesUntilItEnds() throws {
        let s = try TestServer(["io-threads": "2"])
        let a = try s.connect(), b = try s.connect()
        try a.call("SET", "k", "before")
        XCTAssertEqual(try a.call("CLIENT", "PAUSE", "400", "WRITE"), .simple("OK"))
        let start = Date()
        XCTAssertEqual(try b.call("GET", "k"), .bulk(Array("before".utf8)))
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.3)
        XCTAssertEqual(try b.call("SET", "k", "after"), .simple("OK"))
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 0.35)
        XCTAssertEqual(try a.call("GET", "k"), .bulk(Array("after".utf8)))

        XCTAssertEqual(try a.call("CLIENT", "PAUSE", "100000", "WRITE"), .simple("OK"))
        try b.send([Array("SET".utf8), Array("k".utf8), Array("held".utf8)])
        try eventually("the write to be held") { text(try a.call("INFO", "clients")).contains("blocked_clients:1\r\n") }
        XCTAssertTrue(text(try a.call("CLIENT", "LIST")).contains(" flags=b "))
        XCTAssertEqual(try a.call("CLIENT", "UNPAUSE"), .simple("OK"))
        XCTAssertEqual(try b.read(), .simple("OK"))
        XCTAssertEqual(try a.call("GET", "k"), .bulk(Array("held".utf8)))
    }

    func testConfigSetPortRebinds() throws {
        let s = try TestServer()
        let c = try s.connect()
        // A port someone else holds is refused and nothing changes.
        let holder = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(holder) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(holder, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(holder, 1)
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(holder, $0, &len) } }
        let used = Int(UInt16(bigEndian: addr.sin_port))
        XCTAssertThrowsError(try c.call("CONFIG", "SET", "maxmemory", "10000001", "port", String(used))) {
            XCTAssertEqual("\($0)", "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.")
        }
        XCTAssertEqual(try c.call("CONFIG", "GET", "maxmemory"), .array([.bulk(Array("maxmemory".utf8)), .bulk(Array("0".utf8))]))
        XCTAssertNoThrow(try s.connect().call("PING"))

        let fresh = TestServer.freePort()
        XCTAssertEqual(try c.call("CONFIG", "SET", "port", String(fresh)), .simple("OK"))
        try eventually("the new port to accept") { (try? RedisConnection(port: fresh, timeout: 1).call("PING")) == .simple("PONG") }
        XCTAssertThrowsError(try RedisConnection(port: s.port, timeout: 1))
        XCTAssertEqual(try c.call("PING"), .simple("PONG"))
        XCTAssertTrue(text(try RedisConnection(port: fresh).call("INFO", "server")).contains("tcp_port:\(fresh)\r\n"))
    }

    func testShutdownStopsTheBinary() throws {
        let s = try TestServer(mode: .binary)
        let c = try s.connect()
        XCTAssertThrowsError(try c.call("SHUTDOWN", "ABORT")) { XCTAssertEqual("\($0)", "ERR No shutdown in progress.") }
        try c.send([Array("SHUTDOWN".utf8), Array("NOSAVE".utf8)])
        XCTAssertThrowsError(try c.read())
        try eventually("the process to exit") { (try? RedisConnection(port: s.port, timeout: 1)) == nil }
    }

    // MARK: redis-cli

    func testRedisCliInfoParsing() throws {
        let s = try TestServer(mode: .binary)
        _ = try s.cli(["SET", "k", "v"])
        let out = try s.cli(["--no-raw", "INFO"])
        var sections: [String] = []
        var fields: [String: String] = [:]
        // Split on bytes: Swift treats "\r\n" as one Character.
        for raw in Array(out.utf8).split(separator: 10) {
            var line = raw
            if line.last == 13 { line = line.dropLast() }
            let l = String(decoding: line, as: UTF8.self)
            if l.isEmpty { continue }
            if l.hasPrefix("# ") { sections.append(String(l.dropFirst(2))); continue }
            let parts = l.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            XCTAssertEqual(parts.count, 2, "unparseable INFO line: \(l)")
            if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
        }
        XCTAssertEqual(sections, ["Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules",
                                  "Errorstats", "Cluster", "Keyspace"])
        XCTAssertEqual(fields["redis_version"], "7.0.15")
        XCTAssertEqual(fields["tcp_port"], String(s.port))
        XCTAssertEqual(fields["db0"], "keys=1,expires=0,avg_ttl=0")
        XCTAssertTrue(fields["executable"]?.hasSuffix("cinnabar-server") ?? false)
        XCTAssertGreaterThan(Int(fields["total_commands_processed"] ?? "0") ?? 0, 0)
        XCTAssertEqual(try s.cli(["CONFIG", "GET", "maxmemory-policy"]), "maxmemory-policy\nnoeviction\n")
        XCTAssertEqual(try s.cli(["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]), "OK\n")
        XCTAssertTrue(try s.cli(["INFO", "memory"]).contains("maxmemory_policy:allkeys-lru"))
        let slow = try s.cli(["SLOWLOG", "LEN"])
        XCTAssertNotNil(Int(slow.trimmingCharacters(in: .whitespacesAndNewlines)), slow)
    }

    /// Interactive redis-cli fetches COMMAND DOCS at start to build its help;
    /// run it on a pseudo-terminal (TERM=dumb keeps line editing simple).
    func testRedisCliInteractiveHelp() throws {
        let s = try TestServer(mode: .binary)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        p.arguments = ["-qec", "redis-cli -h 127.0.0.1 -p \(s.port)", "/dev/null"]
        var env = ProcessInfo.processInfo.environment
        env["TERM"] = "dumb"
        p.environment = env
        let input = Pipe(), output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        p.standardError = output
        try p.run()
        input.fileHandleForWriting.write(Data("help client list\nhelp @server\nping\nquit\n".utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let out = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\u{1b}", with: "^")
        XCTAssertTrue(out.contains("CLIENT LIST"), out)
        XCTAssertTrue(out.contains("summary:^[0m Describes the connections, one line each."), out)
        XCTAssertTrue(out.contains("group:^[0m connection"), out)
        XCTAssertTrue(out.contains("CONFIG SET"), out)
        XCTAssertTrue(out.contains("PONG"), out)
    }
}
