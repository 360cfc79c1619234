import CinnabarClient
import Foundation
import Synchronization
import XCTest

/// A bare TCP connection for byte-level tests: no RESP decoding, no buffering.
final class RawSocket {
    let fd: Int32

    init(host: String = "127.0.0.1", port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, host, &addr.sin_addr)
        let r = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard r == 0 else {
            Glibc.close(fd)
            throw ConnectionError.connectFailed(errno)
        }
    }

    deinit { Glibc.close(fd) }

    /// Sends everything; false when the peer closed or reset the connection.
    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            done += n
        }
        return true
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    /// Reads whatever arrives within `timeout` seconds of silence, until EOF.
    /// `closed` is true when the peer closed (or reset) the connection.
    func readUntilQuiet(timeout: Double = 1, limit: Int = 1 << 20) -> (bytes: [UInt8], closed: Bool) {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while out.count < limit {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, Int32(timeout * 1000)) <= 0 { return (out, false) }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 { out += chunk[0..<n]; continue }
            if n < 0 && errno == EINTR { continue }
            return (out, true)
        }
        return (out, false)
    }

    /// Reads and discards up to `count` bytes; returns how many arrived and the last few.
    func drain(count: Int, timeout: Double) -> (received: Int, tail: [UInt8]) {
        var got = 0
        var tail: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while got < count {
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, Int32(timeout * 1000)) <= 0 { break }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, count - got), 0) }
            if n <= 0 { break }
            got += n
            tail = Array((tail + chunk[0..<n]).suffix(16))
        }
        return (got, tail)
    }
}

/// Resident set size of a process in bytes (from /proc).
func residentBytes(_ pid: Int32) -> Int {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
    for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
        let kb = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) } ?? 0
        return kb * 1024
    }
    return 0
}

private func resp(_ args: [String]) -> [UInt8] { RedisConnection.encode(args.map { Array($0.utf8) }) }

/// Waits until `body` succeeds (the server notices closed connections asynchronously).
private func eventually(seconds: Double = 5, _ body: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if body() { return true }
        usleep(20_000)
    }
    return false
}

final class ProtocolTests: XCTestCase {
    func testPipelineOverSocket() throws {
        let s = try TestServer()
        let c = try s.connect()
        let replies = try c.pipeline([["SET", "a", "1"], ["GET", "a"], ["NOSUCH"]])
        XCTAssertEqual(replies[0], .simple("OK"))
        XCTAssertEqual(replies[1], .bulk(Array("1".utf8)))
        XCTAssertEqual(replies[2], .error("ERR unknown command 'NOSUCH', with args beginning with: "))
    }

    func testRedisCLI() throws {
        let s = try TestServer(mode: .binary)
        XCTAssertEqual(try s.cli(["SET", "x", "y"]), "OK\n")
        XCTAssertEqual(try s.cli(["GET", "x"]), "y\n")
    }

    /// A bulk argument larger than one read arrives after the short arguments
    /// before it were parsed: growing the query buffer must keep them.
    func testBigArgumentsAfterShortOnes() throws {
        let s = try TestServer()
        let c = try s.connect()
        for size in [20_000, 70_000, 1 << 20] {
            let value = (0..<size).map { UInt8(97 + $0 % 26) }
            XCTAssertEqual(try c.call([Array("SET".utf8), Array("big".utf8), value]), .simple("OK"))
            XCTAssertEqual(try c.call("STRLEN", "big"), .integer(Int64(size)))
            XCTAssertEqual(try c.call([Array("GET".utf8), Array("big".utf8)]), .bulk(value))
        }
        // Several pipelined commands with big arguments in one write.
        let v = [UInt8](repeating: 120, count: 50_000)
        var out: [UInt8] = []
        for i in 0..<4 { out += RedisConnection.encode([Array("APPEND".utf8), Array("k\(i % 2)".utf8), v]) }
        try c.write(out)
        XCTAssertEqual(try (0..<4).map { _ in try c.read() }, [.integer(50_000), .integer(50_000), .integer(100_000), .integer(100_000)])
    }

    /// A request larger than the first socket read keeps the arguments parsed
    /// before the query buffer grew or compacted.
    func testLargeMultibulkSpanningReads() throws {
        let s = try TestServer()
        let c = try s.connect()
        var args = ["NOSUCH"]
        for i in 0..<20_000 { args.append("arg\(i)") }
        args.append(String(repeating: "x", count: 100_000))
        let reply = try c.pipeline([args])[0]
        XCTAssertEqual(reply, .error("ERR unknown command 'NOSUCH', with args beginning with: 'arg0' 'arg1' 'arg2' 'arg3' 'arg4' 'arg5' 'arg6' 'arg7' 'arg8' 'arg9' 'arg10' 'arg11' 'arg12' 'arg13' 'arg14' 'arg15' 'arg16' 'ar' "))
        XCTAssertEqual(try c.call("PING"), .simple("PONG"))
    }

    func testTenThousandCommandsInOneWriteReplyInOrder() throws {
        let s = try TestServer()
        let c = try s.connect()
        var commands: [[String]] = []
        var expected: [RESPValue] = []
        for i in 0..<10_000 {
            switch i % 5 {
            case 0:
                commands.append(["SET", "key:\(i)", "value:\(i)"]); expected.append(.simple("OK"))
            case 1:
                commands.append(["GET", "key:\(i - 1)"]); expected.append(.bulk(Array("value:\(i - 1)".utf8)))
            case 2:
                let text = String(repeating: "e", count: i % 700)
                commands.append(["ECHO", text]); expected.append(.bulk(Array(text.utf8)))
            case 3:
                commands.append(["GET", "missing:\(i)"]); expected.append(.null)
            default:
                commands.append(["PING", "\(i)"]); expected.append(.bulk(Array("\(i)".utf8)))
            }
        }
        let replies = try c.pipeline(commands)
        XCTAssertEqual(replies.count, expected.count)
        for i in 0..<expected.count where replies[i] != expected[i] {
            XCTFail("reply \(i) to \(commands[i]): \(replies[i]), expected \(expected[i])")
            return
        }
        // The same stream as inline commands, in one write.
        var inline = ""
        for i in 0..<10_000 { inline += "ECHO \"inline \(i)\"\r\n" }
        try c.write(inline)
        for i in 0..<10_000 {
            XCTAssertEqual(try c.read(), .bulk(Array("inline \(i)".utf8)))
        }
    }

    // MARK: protocol errors

    /// Malformed requests and Redis 7.0.15's replies to them (each followed by the server closing).
    static let malformed: [(wire: String, reply: String)] = [
        ("*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"),
        ("*3000000000\r\n", "-ERR Protocol error: invalid multibulk length\r\n"),
        ("*1\r\nx\r\n", "-ERR Protocol error: expected '$', got 'x'\r\n"),
        ("*1\r\n\r\n", "-ERR Protocol error: expected '$', got ' '\r\n"),
        ("*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
        ("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$-1\r\n", "-ERR Protocol error: invalid bulk length\r\n"),
        ("SET \"a\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"),
        ("SET 'a'b c\r\n", "-ERR Protocol error: unbalanced quotes in request\r\n"),
        ("PING\r\n*x\r\n", "+PONG\r\n-ERR Protocol error: invalid multibulk length\r\n"),
        (String(repeating: "a", count: 70_000), "-ERR Protocol error: too big inline request\r\n"),
        ("*" + String(repeating: "1", count: 70_000), "-ERR Protocol error: too big mbulk count string\r\n"),
        ("*1\r\n$" + String(repeating: "1", count: 70_000), "-ERR Protocol error: too big bulk count string\r\n"),
    ]

    /// A loop keeps a shard locked between pipelined single-key commands of
    /// one client (LoopContext.stickyShard). Pipelines mixing hot keys,
    /// multi-shard commands, scripts, transactions, keyless commands and
    /// pushes that serve a blocked client, sent from both loops at once, must
    /// neither deadlock nor lose an update.
    func testPipelinesMixingShardsFromEveryLoopStayAtomic() throws {
        let s = try TestServer(["io-threads": "2", "shards": "4"])
        let blocked = try s.connect()
        blocked.setTimeout(30)
        try blocked.write(RedisConnection.encode(["BLPOP", "wake", "0"].map { Array($0.utf8) }))
        usleep(100_000)
        let clients = 6, rounds = 60
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: clients) { n in
            do {
                let c = try s.connect()
                c.setTimeout(30)
                for r in 0..<rounds {
                    var batch: [[String]] = []
                    for i in 0..<10 {
                        batch.append(["INCR", "hot"])
                        batch.append(["INCR", "k\(i % 7)"])
                        batch.append(["LPUSH", "list", "x"])
                    }
                    batch.append(["MSET", "a\(n)", "1", "b\(n)", "2"])
                    batch.append(["EVAL", "return redis.call('incr', KEYS[1])", "1", "hot"])
                    batch.append(["DBSIZE"])
                    batch.append(["INCR", "hot"])
                    batch += [["MULTI"], ["INCR", "hot"], ["INCR", "k1"], ["EXEC"]]
                    batch.append(["INCR", "hot"])
                    if n == 0 && r == rounds / 2 { batch.append(["LPUSH", "wake", "now"]) }
                    batch.append(["KEYS", "nomatch*"])
                    batch.append(["INCR", "hot"])
                    let replies = try c.pipeline(batch)
                    if replies.contains(where: { if case .error = $0 { return true } else { return false } }) {
                        failures.wrappingAdd(1, ordering: .relaxed)
                    }
                }
            } catch {
                failures.wrappingAdd(1, ordering: .relaxed)
            }
        }
        XCTAssertEqual(failures.load(ordering: .relaxed), 0)
        let perRound = 10 + 1 + 1 + 1 + 1 + 1
        let c = try s.connect()
        XCTAssertEqual(try c.call("GET", "hot"), .bulk(Array(String(clients * rounds * perRound).utf8)))
        XCTAssertEqual(try c.call("LLEN", "list"), .integer(Int64(clients * rounds * 10)))
        let k1 = clients * rounds * (2 + 1)
        XCTAssertEqual(try c.call("GET", "k1"), .bulk(Array(String(k1).utf8)))
        XCTAssertEqual(try blocked.read(), .array([.bulk(Array("wake".utf8)), .bulk(Array("now".utf8))]))
    }

    func testProtocolErrorsReplyThenCloseOnlyThatConnection() throws {
        let s = try TestServer()
        let bystander = try s.connect()
        try bystander.call("SET", "x", "1")
        for (wire, reply) in Self.malformed {
            let raw = try RawSocket(port: s.port)
            raw.send(wire)
            let (bytes, closed) = raw.readUntilQuiet(timeout: 5)
            XCTAssertEqual(String(decoding: bytes, as: UTF8.self), reply, "for \(wire.prefix(40).debugDescription)")
            XCTAssertTrue(closed, "connection closed after \(wire.prefix(40).debugDescription)")
            XCTAssertEqual(try bystander.call("GET", "x"), .bulk(Array("1".utf8)))
        }
    }

    func testBulkAboveProtoMaxBulkLen() throws {
        let s = try TestServer(["proto-max-bulk-len": "1mb"])
        let raw = try RawSocket(port: s.port)
        raw.send("*1\r\n$1048577\r\n")
        let (bytes, closed) = raw.readUntilQuiet(timeout: 5)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "-ERR Protocol error: invalid bulk length\r\n")
        XCTAssertTrue(closed)
        let c = try s.connect()
        let value = [UInt8](repeating: 98, count: 1 << 20)
        XCTAssertEqual(try c.call([Array("SET".utf8), Array("k".utf8), value]), .simple("OK"))
        XCTAssertEqual(try c.call("GET", "k"), .bulk(value))
    }

    // MARK: output and input limits

    func testClientThatNeverReadsCannotGrowServerMemory() throws {
        let s = try TestServer(mode: .binary)
        let c = try s.connect()
        let value = [UInt8](repeating: 0x61, count: 100_000)
        try c.call([Array("SET".utf8), Array("big".utf8), value])
        let baseline = residentBytes(s.pid)
        XCTAssertGreaterThan(baseline, 0)
        // 3,000 GETs of a 100 KB value ask for 300 MB of replies that are never read.
        let count = 3_000
        let one = resp(["GET", "big"])
        let stalled = try RawSocket(port: s.port)
        XCTAssertTrue(stalled.send(Array([[UInt8]](repeating: one, count: count).joined())))
        // An unbounded server would buffer all of it within this time.
        var peak = baseline
        for _ in 0..<25 {
            usleep(100_000)
            peak = max(peak, residentBytes(s.pid))
        }
        XCTAssertLessThan(peak - baseline, 48 << 20, "server memory grew by \((peak - baseline) >> 20) MB for a client that does not read")
        // Other clients are served meanwhile.
        XCTAssertEqual(try c.call("PING"), .simple("PONG"))
        // Once the client reads, every reply arrives, complete and in order.
        let perReply = "$100000\r\n".utf8.count + value.count + 2
        let started = Date()
        let (received, tail) = stalled.drain(count: count * perReply, timeout: 30)
        XCTAssertEqual(received, count * perReply)
        // Output resumed after a pause must not wait for a timer tick per
        // megabyte (that took about 30 s here).
        XCTAssertLessThan(Date().timeIntervalSince(started), 10)
        XCTAssertEqual(tail, Array(repeating: 0x61, count: 14) + [13, 10])
    }

    func testQueryBufferLimitClosesTheClient() throws {
        let s = try TestServer(["client-query-buffer-limit": "1mb"])
        let raw = try RawSocket(port: s.port)
        raw.send("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n")
        let chunk = [UInt8](repeating: 120, count: 64 * 1024)
        var sent = 0
        while sent < 2_000_000 && raw.send(chunk) { sent += chunk.count }
        let (bytes, closed) = raw.readUntilQuiet(timeout: 5)
        XCTAssertTrue(closed, "the server closes a client over client-query-buffer-limit")
        XCTAssertEqual(bytes, [], "without a reply")
        let c = try s.connect()
        XCTAssertEqual(try c.call("GET", "k"), .null)
        // Requests under the limit are fine.
        let value = [UInt8](repeating: 1, count: 900_000)
        XCTAssertEqual(try c.call([Array("SET".utf8), Array("k".utf8), value]), .simple("OK"))
    }

    func testMaxClients() throws {
        let s = try TestServer(["maxclients": "3"])
        let held = try (0..<3).map { _ in try s.connect() }
        for c in held { XCTAssertEqual(try c.call("PING"), .simple("PONG")) }
        let extra = try RawSocket(port: s.port)
        let (bytes, closed) = extra.readUntilQuiet(timeout: 5)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "-ERR max number of clients reached\r\n")
        XCTAssertTrue(closed)
        held[0].close()
        XCTAssertTrue(eventually {
            guard let c = try? s.connect() else { return false }
            return (try? c.call("PING")) == .simple("PONG")
        }, "a slot frees when a client leaves")
        for c in held.dropFirst() { XCTAssertEqual(try c.call("PING"), .simple("PONG")) }
    }

    // MARK: authentication

    func testRequirepass() throws {
        let s = try TestServer(["requirepass": "secret"])
        let c = try s.connect()
        try c.send(["GET", "x"])
        XCTAssertEqual(try c.read(), .error("NOAUTH Authentication required."))
        try c.send(["AUTH", "wrong"])
        XCTAssertEqual(try c.read(), .error("WRONGPASS invalid username-password pair or user is disabled."))
        // Under the unauthenticated limits a request is parsed normally (and refused).
        try c.send(["DEL"] + (0..<9).map { "k\($0)" })
        XCTAssertEqual(try c.read(), .error("NOAUTH Authentication required."))
        try c.send(["AUTH", String(repeating: "p", count: 16_384)])
        XCTAssertEqual(try c.read(), .error("WRONGPASS invalid username-password pair or user is disabled."))
        XCTAssertEqual(try c.call("AUTH", "secret"), .simple("OK"))
        // Authenticated clients have no such limits.
        let big = String(repeating: "v", count: 50_000)
        XCTAssertEqual(try c.call(["DEL"] + (0..<20).map { "k\($0)" }), .integer(0))
        XCTAssertEqual(try c.call("SET", "x", big), .simple("OK"))
        XCTAssertEqual(try c.call("GET", "x"), .bulk(Array(big.utf8)))
    }

    func testUnauthenticatedRequestLimits() throws {
        let s = try TestServer(["requirepass": "secret"])
        let tooMany = try RawSocket(port: s.port)
        tooMany.send("*11\r\n")
        var (bytes, closed) = tooMany.readUntilQuiet(timeout: 5)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "-ERR Protocol error: unauthenticated multibulk length\r\n")
        XCTAssertTrue(closed)
        let tooLong = try RawSocket(port: s.port)
        tooLong.send("*2\r\n$4\r\nAUTH\r\n$16385\r\n")
        (bytes, closed) = tooLong.readUntilQuiet(timeout: 5)
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self), "-ERR Protocol error: unauthenticated bulk length\r\n")
        XCTAssertTrue(closed)
        // After AUTH on the same kind of connection both are accepted.
        let c = try s.connect()
        XCTAssertEqual(try c.call("AUTH", "secret"), .simple("OK"))
        XCTAssertEqual(try c.call(["DEL"] + (0..<10).map { "k\($0)" }), .integer(0))
        XCTAssertEqual(try c.call(["SET", "k", String(repeating: "v", count: 16_385)]), .simple("OK"))
    }

    // MARK: protected mode

    /// An IPv4 address of this machine other than loopback, if it has one.
    private func nonLoopbackIPv4() -> String? {
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return nil }
        defer { freeifaddrs(list) }
        var p = list
        while let cur = p {
            defer { p = cur.pointee.ifa_next }
            guard let sa = cur.pointee.ifa_addr, sa.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            var addr = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr }
            var buf = [CChar](repeating: 0, count: Int(INET_ADDRSTRLEN))
            inet_ntop(AF_INET, &addr, &buf, socklen_t(buf.count))
            let ip = String(cString: buf)
            if !ip.hasPrefix("127.") { return ip }
        }
        return nil
    }

    func testProtectedModeAllowsLoopbackOnly() throws {
        let s = try TestServer(["bind": "*", "protected-mode": "yes"])
        let local = try s.connect()
        XCTAssertEqual(try local.call("PING"), .simple("PONG"), "protected mode is off for loopback clients")
        guard let ip = nonLoopbackIPv4() else { throw XCTSkip("no non-loopback IPv4 address to connect from") }
        let remote = try RawSocket(host: ip, port: s.port)
        let (bytes, closed) = remote.readUntilQuiet(timeout: 5)
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user."), text)
        XCTAssertTrue(text.hasSuffix("\r\n"))
        XCTAssertTrue(closed)
        // A password lifts protected mode for remote clients.
        let p = try TestServer(["bind": "*", "protected-mode": "yes", "requirepass": "pw"])
        let remote2 = try RedisConnection(host: ip, port: p.port)
        try remote2.send(["PING"])
        XCTAssertEqual(try remote2.read(), .error("NOAUTH Authentication required."))
    }
}
