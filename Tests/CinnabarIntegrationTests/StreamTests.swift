import CinnabarClient
import Foundation
import XCTest

/// Streams over real sockets: blocking reads woken from another event loop,
/// timeouts, CLIENT UNBLOCK, FIFO serving, readers told when their key or
/// group goes away, what a served read logs, and interchange of DUMP payloads
/// and RDB files with redis-server 7.0.
final class StreamTests: XCTestCase {
    private var dirs: [String] = []

    override func tearDown() {
        for d in dirs { try? FileManager.default.removeItem(atPath: d) }
        dirs.removeAll()
    }

    private func raw(_ c: RedisConnection) throws -> String {
        String(decoding: try c.readRaw(), as: UTF8.self)
    }

    private func waitBlocked(_ c: RedisConnection, _ n: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if try c.rawText("INFO", "clients").contains("blocked_clients:\(n)\r\n") { return }
            usleep(5_000)
        }
        XCTFail("expected \(n) blocked clients", file: file, line: line)
    }

    /// `[[key, [[id, [field, value]]...]]]` as RESP2 text.
    private func readReply(_ key: String, _ entries: [(String, [String])]) -> String {
        func bulk(_ s: String) -> String { "$\(s.utf8.count)\r\n\(s)\r\n" }
        var s = "*1\r\n*2\r\n" + bulk(key) + "*\(entries.count)\r\n"
        for (id, fields) in entries { s += "*2\r\n" + bulk(id) + "*\(fields.count)\r\n" + fields.map(bulk).joined() }
        return s
    }

    // MARK: blocking

    func testXaddFromAnotherLoopWakesBlockedReaders() throws {
        let s = try TestServer(["io-threads": "2"])
        let reader = try s.connect(), writer = try s.connect(), admin = try s.connect()
        try writer.call("XADD", "s2", "1-0", "old", "x")
        try reader.send(["XREAD", "BLOCK", "0", "STREAMS", "s1", "s2", "s3", "$", "$", "$"])
        try waitBlocked(admin, 1)
        XCTAssertTrue(try admin.rawText("CLIENT", "LIST").contains(" flags=b "))
        XCTAssertEqual(try writer.rawText("XADD", "s2", "2-0", "new", "y"), "$3\r\n2-0\r\n")
        XCTAssertEqual(try raw(reader), readReply("s2", [("2-0", ["new", "y"])]))
        try waitBlocked(admin, 0)
        XCTAssertEqual(try reader.rawText("PING"), "+PONG\r\n")
        // A key named twice waits once.
        try reader.send(["XREAD", "BLOCK", "0", "STREAMS", "s2", "s2", "$", "$"])
        try waitBlocked(admin, 1)
        try writer.call("XADD", "s2", "3-0", "f", "v")
        XCTAssertEqual(try raw(reader), readReply("s2", [("3-0", ["f", "v"])]))
    }

    func testReadersAreServedInArrivalOrder() throws {
        let s = try TestServer(["io-threads": "2"])
        let admin = try s.connect()
        try admin.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        var consumers: [RedisConnection] = []
        for i in 0..<3 {
            let c = try s.connect()
            try c.send(["XREADGROUP", "GROUP", "g", "c\(i)", "COUNT", "1", "BLOCK", "0", "STREAMS", "s", ">"])
            try waitBlocked(admin, i + 1)
            consumers.append(c)
        }
        let reader = try s.connect()
        try reader.send(["XREAD", "BLOCK", "0", "STREAMS", "s", "$"])
        try waitBlocked(admin, 4)
        _ = try admin.pipeline([["MULTI"], ["XADD", "s", "1-0", "f", "1"], ["XADD", "s", "2-0", "f", "2"], ["EXEC"]])
        // Group readers take one entry each in the order they blocked; a plain reader sees everything new.
        XCTAssertEqual(try raw(consumers[0]), readReply("s", [("1-0", ["f", "1"])]))
        XCTAssertEqual(try raw(consumers[1]), readReply("s", [("2-0", ["f", "2"])]))
        XCTAssertEqual(try raw(reader), readReply("s", [("1-0", ["f", "1"]), ("2-0", ["f", "2"])]))
        try waitBlocked(admin, 1)
        try admin.call("XADD", "s", "3-0", "f", "3")
        XCTAssertEqual(try raw(consumers[2]), readReply("s", [("3-0", ["f", "3"])]))
        XCTAssertEqual(try admin.rawText("XPENDING", "s", "g"),
                       "*4\r\n:3\r\n$3\r\n1-0\r\n$3\r\n3-0\r\n*3\r\n*2\r\n$2\r\nc0\r\n$1\r\n1\r\n*2\r\n$2\r\nc1\r\n$1\r\n1\r\n*2\r\n$2\r\nc2\r\n$1\r\n1\r\n")
    }

    func testTimeoutsAndClientUnblock() throws {
        let s = try TestServer(["io-threads": "2"])
        let c = try s.connect(), admin = try s.connect()
        try admin.call("XADD", "s", "1-0", "f", "v")
        let start = Date()
        XCTAssertEqual(try c.rawText("XREAD", "BLOCK", "150", "STREAMS", "s", "$"), "*-1\r\n")
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertTrue(elapsed >= 0.14 && elapsed < 3, "\(elapsed)")
        // An entry added and deleted leaves nothing newer to serve: still a timeout.
        try admin.call("XADD", "s", "2-0", "f", "v")
        try admin.call("XDEL", "s", "2-0")
        XCTAssertEqual(try c.rawText("XREAD", "BLOCK", "20", "STREAMS", "s", "1-0"), "*-1\r\n")
        guard case .integer(let id) = try c.call("CLIENT", "ID") else { return XCTFail("no id") }
        try c.send(["XREAD", "BLOCK", "0", "STREAMS", "s", "$"])
        try waitBlocked(admin, 1)
        XCTAssertEqual(try admin.rawText("CLIENT", "UNBLOCK", String(id)), ":1\r\n")
        XCTAssertEqual(try raw(c), "*-1\r\n")
        try c.send(["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"])
        XCTAssertEqual(try raw(c), "-NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option\r\n")
        try admin.call("XGROUP", "CREATE", "s", "g", "$")
        try c.send(["XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">"])
        try waitBlocked(admin, 1)
        XCTAssertEqual(try admin.rawText("CLIENT", "UNBLOCK", String(id), "ERROR"), ":1\r\n")
        XCTAssertEqual(try raw(c), "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")
        try waitBlocked(admin, 0)
    }

    func testGroupReadersLearnTheirKeyOrGroupIsGone() throws {
        let s = try TestServer(["io-threads": "2"])
        let admin = try s.connect()
        let gone = "-UNBLOCKED the stream key no longer exists\r\n"
        let cases: [(String, [[String]], String)] = [
            ("DEL", [["DEL", "s"]], gone),
            ("SET", [["SET", "s", "v"]], gone),
            ("transaction", [["MULTI"], ["DEL", "s"], ["SADD", "s", "e"], ["EXEC"]], gone),
            ("FLUSHALL", [["FLUSHALL"]], gone),
            ("SWAPDB", [["SWAPDB", "0", "5"]], gone),
            ("EXPIRE", [["PEXPIRE", "s", "1"]], gone),
            ("XGROUP DESTROY", [["XGROUP", "DESTROY", "s", "g"]], "-NOGROUP the consumer group this client was blocked on no longer exists\r\n"),
        ]
        for (name, actions, expected) in cases {
            _ = try admin.pipeline([["SELECT", "0"], ["FLUSHALL"], ["XADD", "s", "666", "f", "v"], ["XGROUP", "CREATE", "s", "g", "$"]])
            let c = try s.connect()
            try c.send(["XREADGROUP", "GROUP", "g", "Alice", "BLOCK", "0", "STREAMS", "s", ">"])
            try waitBlocked(admin, 1)
            _ = try admin.pipeline(actions)
            if name == "EXPIRE" {
                usleep(20_000)
                _ = try admin.call("EXISTS", "s")
            }
            XCTAssertEqual(try raw(c), expected, name)
            try waitBlocked(admin, 0)
        }
        // Plain readers keep waiting when their key goes, and are served when it returns.
        _ = try admin.pipeline([["FLUSHALL"], ["XADD", "s", "666", "f", "v"]])
        let reader = try s.connect()
        try reader.send(["XREAD", "BLOCK", "0", "STREAMS", "s", "$"])
        try waitBlocked(admin, 1)
        _ = try admin.pipeline([["SET", "s", "v"], ["DEL", "s"]])
        try waitBlocked(admin, 1)
        try admin.call("XADD", "s", "667", "f", "v")
        XCTAssertEqual(try raw(reader), readReply("s", [("667-0", ["f", "v"])]))
        // RENAME over the key brings the source's group along (or not).
        _ = try admin.pipeline([["FLUSHALL"], ["XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"]])
        let c = try s.connect()
        try c.send(["XREADGROUP", "GROUP", "g", "Alice", "BLOCK", "0", "STREAMS", "s", ">"])
        try waitBlocked(admin, 1)
        _ = try admin.pipeline([["XGROUP", "CREATE", "s2", "g", "$", "MKSTREAM"], ["XADD", "s2", "100", "f1", "v1"], ["RENAME", "s2", "s"]])
        XCTAssertEqual(try raw(c), readReply("s", [("100-0", ["f1", "v1"])]))
    }

    /// A served XREADGROUP is logged as Redis logs it: XCLAIMs for the new
    /// pending entries; under NOACK the consumer's creation and the group's new last ID.
    func testServedGroupReadsAreLogged() throws {
        let s = try TestServer(["io-threads": "2", "appendonly": "yes", "appendfsync": "always"])
        let admin = try s.connect()
        try admin.call("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM")
        for (consumer, noack) in [("Alice", false), ("Bob", true)] {
            let c = try s.connect()
            try c.send(["XREADGROUP", "GROUP", "g", consumer, "BLOCK", "0"] + (noack ? ["NOACK"] : []) + ["STREAMS", "s", ">"])
            try waitBlocked(admin, 1)
            try admin.call("XADD", "s", noack ? "2-0" : "1-0", "f", "v")
            _ = try raw(c)
        }
        try waitBlocked(admin, 0)
        let dir = s.dir + "/appendonlydir"
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".incr.aof") }
        let log = try files.map { try String(contentsOfFile: dir + "/" + $0, encoding: .utf8) }.joined()
        let commands = log.components(separatedBy: "\r\n").filter { !$0.hasPrefix("*") && !$0.hasPrefix("$") }.joined(separator: " ")
        XCTAssertTrue(commands.contains("XADD s 1-0 f v XCLAIM s g Alice 0 1-0 TIME "), commands)
        XCTAssertTrue(commands.contains(" RETRYCOUNT 1 FORCE JUSTID LASTID 1-0 XADD s 2-0 f v XGROUP CREATECONSUMER s g Bob XGROUP SETID s g 2-0 ENTRIESREAD 2"), commands)
    }

    // MARK: interchange with Redis 7.0

    private func startRedis(dir: String) throws -> (Process, Int) {
        let port = TestServer.freePort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        p.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--daemonize", "no",
                       "--logfile", dir + "/redis.log", "--stream-node-max-entries", "3"]
        try p.run()
        try TestServer.waitForPing(port: port)
        return (p, port)
    }

    /// The same streams built on both servers: entries with every listpack
    /// encoding, deletions and trims over small nodes, groups, consumers and
    /// pending entries, an empty stream with a group.
    private func populate(_ c: RedisConnection) throws {
        let long = String(repeating: "compressible ", count: 40)
        let huge = String(repeating: "y", count: 5000)
        var commands: [[String]] = [["FLUSHALL"]]
        for i in 1...20 {
            commands.append(["XADD", "s", "\(i)-\(i % 3)", "name", "n\(i)", "int", "\(i * 1_000_003)", "neg", "-\(i)", "text", i % 4 == 0 ? long : "007"])
        }
        commands += [["XADD", "s", "21-0", "other", huge], ["XADD", "s", "22-0", "128", "-4096", "4095", "-32768"],
                     ["XDEL", "s", "2-2", "7-1"], ["XTRIM", "s", "MAXLEN", "=", "18"],
                     ["XGROUP", "CREATE", "s", "g1", "0"], ["XGROUP", "CREATE", "s", "g2", "10"],
                     ["XREADGROUP", "GROUP", "g1", "alice", "COUNT", "3", "STREAMS", "s", ">"],
                     ["XREADGROUP", "GROUP", "g1", "bob", "COUNT", "2", "STREAMS", "s", ">"],
                     ["XREADGROUP", "GROUP", "g1", "bob", "NOACK", "COUNT", "2", "STREAMS", "s", ">"],
                     ["XACK", "s", "g1", "5-2"], ["XGROUP", "CREATECONSUMER", "s", "g2", "idle"],
                     ["XGROUP", "CREATE", "empty", "g", "$", "MKSTREAM"],
                     ["XADD", "gone", "1-0", "f", "v"], ["XDEL", "gone", "1-0"], ["XSETID", "gone", "5-0", "ENTRIESADDED", "9", "MAXDELETEDID", "3-0"]]
        for reply in try c.pipeline(commands) {
            if case .error(let e) = reply { XCTFail(e) }
        }
    }

    private func bulk(_ v: RESPValue) -> [UInt8]? {
        if case .bulk(let b) = v { return b }
        return nil
    }

    func testDumpRestoreInterchangesWithRedis() throws {
        let dir = try TestServer.makeDirectory()
        dirs.append(dir)
        let (redis, port) = try startRedis(dir: dir)
        defer { if redis.isRunning { redis.terminate(); redis.waitUntilExit() } }
        let r = try RedisConnection(port: port)
        let s = try TestServer(["stream-node-max-entries": "3"])
        let c = try s.connect()
        try populate(r)
        try populate(c)
        for key in ["s", "empty", "gone"] {
            let theirs = try XCTUnwrap(bulk(try r.call("DUMP", key))), ours = try XCTUnwrap(bulk(try c.call("DUMP", key)))
            if key != "s" {
                // No consumers here, so no clocks inside: the payloads are the same bytes.
                XCTAssertEqual(ours, theirs, "DUMP \(key)")
            }
            // Each side restores the other's payload to the same value.
            XCTAssertEqual(try c.call([Array("RESTORE".utf8), Array("from-redis".utf8), Array("0".utf8), theirs]), .simple("OK"))
            XCTAssertEqual(try r.call([Array("RESTORE".utf8), Array("from-cinnabar".utf8), Array("0".utf8), ours]), .simple("OK"))
            XCTAssertEqual(try c.rawText("XINFO", "STREAM", "from-redis", "FULL"), try r.rawText("XINFO", "STREAM", key, "FULL"), key)
            XCTAssertEqual(try r.rawText("XINFO", "STREAM", "from-cinnabar", "FULL"), try c.rawText("XINFO", "STREAM", key, "FULL"), key)
            XCTAssertEqual(bulk(try c.call("DUMP", "from-redis")), theirs, "re-dumped \(key)")
            _ = try c.call("DEL", "from-redis")
            _ = try r.call("DEL", "from-cinnabar")
        }
        // Besides consumers' clocks, the payloads agree: compare after giving both the same times via RESTORE.
        let theirs = try XCTUnwrap(bulk(try r.call("DUMP", "s")))
        _ = try c.call([Array("RESTORE".utf8), Array("s".utf8), Array("0".utf8), theirs, Array("REPLACE".utf8)])
        XCTAssertEqual(try c.rawText("XRANGE", "s", "-", "+"), try r.rawText("XRANGE", "s", "-", "+"))
        XCTAssertEqual(try c.rawText("XPENDING", "s", "g1"), try r.rawText("XPENDING", "s", "g1"))
    }

    func testRdbFilesWithStreamsInterchangeWithRedis() throws {
        let dir = try TestServer.makeDirectory()
        dirs.append(dir)
        var expected: [String: String] = [:]
        do {
            let (redis, port) = try startRedis(dir: dir)
            let r = try RedisConnection(port: port)
            try populate(r)
            for key in ["s", "empty", "gone"] { expected[key] = try r.rawText("XINFO", "STREAM", key, "FULL") }
            try r.call("SAVE")
            try? r.call("SHUTDOWN", "NOSAVE")
            redis.waitUntilExit()
        }
        do {
            let s = try TestServer(["stream-node-max-entries": "3"], mode: .binary, dir: dir)
            let c = try s.connect()
            for key in ["s", "empty", "gone"] {
                XCTAssertEqual(try c.rawText("XINFO", "STREAM", key, "FULL"), expected[key], "loaded \(key)")
            }
            // Change something so Redis reads our own writing back.
            try c.call("XADD", "s", "100-0", "from", "cinnabar")
            expected["s"] = try c.rawText("XINFO", "STREAM", "s", "FULL")
            try c.call("SAVE")
            s.stop()
        }
        let (redis, port) = try startRedis(dir: dir)
        defer { if redis.isRunning { redis.terminate(); redis.waitUntilExit() } }
        let r = try RedisConnection(port: port)
        for key in ["s", "empty", "gone"] {
            XCTAssertEqual(try r.rawText("XINFO", "STREAM", key, "FULL"), expected[key], "Redis loaded \(key)")
        }
    }
}
