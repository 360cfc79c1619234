import CinnabarClient
import Foundation
import Synchronization
import XCTest

/// Snapshots, the append-only file, crash safety and interchange with Redis 7.0.
final class PersistenceTests: XCTestCase {
    private var dirs: [String] = []

    override func tearDown() {
        for d in dirs { try? FileManager.default.removeItem(atPath: d) }
        dirs.removeAll()
    }

    private func directory() throws -> String {
        let d = try TestServer.makeDirectory()
        dirs.append(d)
        return d
    }

    private static let inventory: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("Scripts/functions/inventory.lua"), encoding: .utf8)) ?? ""
    }()

    func testSnapshotAndLibrariesSurviveRestart() throws {
        let dir = try directory()
        do {
            let s = try TestServer(mode: .binary, dir: dir)
            let c = try s.connect()
            try c.call("SET", "plain", "value")
            try c.call("SET", "counter", "41")
            try c.call("SET", "ttl", "x", "EX", "1000")
            try c.call("SET", "big", String(repeating: "abc", count: 1000))
            try c.call("SELECT", "5")
            try c.call("SET", "in5", "five")
            XCTAssertEqual(try c.call("FUNCTION", "LOAD", Self.inventory), .bulk(Array("inventory".utf8)))
            XCTAssertEqual(try c.call("SAVE"), .simple("OK"))
            s.stop()
        }
        let s = try TestServer(mode: .binary, dir: dir)
        let c = try s.connect()
        XCTAssertEqual(try c.call("GET", "plain"), .bulk(Array("value".utf8)))
        XCTAssertEqual(try c.call("INCR", "counter"), .integer(42))
        XCTAssertEqual(try c.call("GET", "big").string, String(repeating: "abc", count: 1000))
        let ttl = try c.call("TTL", "ttl").int ?? -1
        XCTAssertTrue(ttl > 990 && ttl <= 1000, "TTL \(ttl)")
        try c.call("SELECT", "5")
        XCTAssertEqual(try c.call("GET", "in5"), .bulk(Array("five".utf8)))
        let libs = try c.call("FUNCTION", "LIST").array ?? []
        XCTAssertEqual(libs.count, 1)
    }

    func testShutdownSavesWhenSavePointsAreConfigured() throws {
        let dir = try directory()
        do {
            let s = try TestServer(["save": "3600 1"], mode: .binary, dir: dir)
            try s.connect().call("SET", "k", "v")
            s.stop()  // SIGTERM: the configured save points make shutdown save
        }
        let s = try TestServer(mode: .binary, dir: dir)
        XCTAssertEqual(try s.connect().call("GET", "k"), .bulk(Array("v".utf8)))
    }

    /// BGSAVE forks before replying: writes made after its reply are not in the snapshot.
    func testBackgroundSaveIsPointInTime() throws {
        let dir = try directory()
        do {
            let s = try TestServer(mode: .binary, dir: dir)
            let c = try s.connect()
            var batch: [[String]] = []
            for i in 0..<5000 { batch.append(["SET", "key:\(i)", "value:\(i)"]) }
            _ = try c.pipeline(batch)
            XCTAssertEqual(try c.call("BGSAVE"), .simple("Background saving started"))
            try c.call("SET", "after", "bgsave")
            try c.call("DEL", "key:0")
            try waitUntil { (try c.call("INFO", "persistence").string ?? "").contains("rdb_bgsave_in_progress:0") }
            XCTAssertTrue((try c.call("INFO", "persistence").string ?? "").contains("rdb_last_bgsave_status:ok"))
            let stats = try c.call("INFO", "stats").string ?? ""
            XCTAssertTrue(stats.contains("total_forks:1\r\n"), stats)
            XCTAssertFalse(stats.contains("latest_fork_usec:0\r\n"), "the fork was timed")
            s.crash()
        }
        let s = try TestServer(mode: .binary, dir: dir)
        let c = try s.connect()
        XCTAssertEqual(try c.call("DBSIZE"), .integer(5000))
        XCTAssertEqual(try c.call("GET", "key:0"), .bulk(Array("value:0".utf8)))
        XCTAssertEqual(try c.call("EXISTS", "after"), .integer(0))
    }

    private final class Progress: @unchecked Sendable {
        let acked = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let lock = NSLock()
        var highest: [Int]
        init(_ n: Int) { highest = Array(repeating: -1, count: n) }
    }

    /// Every write acknowledged under appendfsync always is there after kill -9.
    func testKillNineLosesNoAcknowledgedWrite() throws {
        let dir = try directory()
        let settings = ["appendonly": "yes", "appendfsync": "always"]
        let writers = 4
        let progress = Progress(writers)
        do {
            let s = try TestServer(settings, mode: .binary, dir: dir)
            let port = s.port
            let group = DispatchGroup()
            for w in 0..<writers {
                group.enter()
                Thread.detachNewThread {
                    defer { group.leave() }
                    guard let c = try? RedisConnection(port: port, timeout: 5) else { return }
                    var i = 0
                    while !progress.stop.load(ordering: .relaxed) {
                        guard (try? c.call("SET", "w\(w):\(i)", "\(i)")) != nil else { return }
                        progress.lock.lock()
                        progress.highest[w] = i
                        progress.lock.unlock()
                        progress.acked.wrappingAdd(1, ordering: .relaxed)
                        i += 1
                    }
                }
            }
            usleep(400_000)
            s.crash()
            progress.stop.store(true, ordering: .relaxed)
            group.wait()
            let s2 = try TestServer(settings, mode: .binary, dir: dir)
            let c = try s2.connect()
            for w in 0..<writers {
                let top = progress.highest[w]
                guard top >= 0 else { continue }
                for i in stride(from: 0, through: top, by: max(1, top / 50)) {
                    XCTAssertEqual(try c.call("GET", "w\(w):\(i)"), .bulk(Array("\(i)".utf8)), "acknowledged w\(w):\(i) lost")
                }
                XCTAssertEqual(try c.call("GET", "w\(w):\(top)"), .bulk(Array("\(top)".utf8)), "last acknowledged write of writer \(w) lost")
            }
        }
        XCTAssertGreaterThan(progress.acked.load(ordering: .relaxed), 0)
    }

    func testTruncatedAppendOnlyTail() throws {
        let dir = try directory()
        let settings = ["appendonly": "yes", "appendfsync": "always"]
        do {
            let s = try TestServer(settings, mode: .binary, dir: dir)
            try s.connect().call("SET", "kept", "1")
            s.crash()
        }
        let incr = try XCTUnwrap(try FileManager.default.contentsOfDirectory(atPath: dir + "/appendonlydir").first { $0.hasSuffix(".incr.aof") })
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: dir + "/appendonlydir/" + incr))
        handle.seekToEndOfFile()
        handle.write(Data("*3\r\n$3\r\nSET\r\n$4\r\nlost".utf8))
        handle.closeFile()

        let refused = try TestServer.run(TestServer.binaryPath, ["--port", String(TestServer.freePort()), "--bind", "127.0.0.1",
                                                                 "--dir", dir, "--appendonly", "yes", "--aof-load-truncated", "no"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.output.contains("Unexpected end of file"), refused.output)

        let s = try TestServer(settings, mode: .binary, dir: dir)
        let c = try s.connect()
        XCTAssertEqual(try c.call("GET", "kept"), .bulk(Array("1".utf8)))
        XCTAssertEqual(try c.call("EXISTS", "lost"), .integer(0))
        try c.call("SET", "more", "2")
        s.stop()
        let again = try TestServer(settings, mode: .binary, dir: dir)
        XCTAssertEqual(try again.connect().call("GET", "more"), .bulk(Array("2".utf8)), "writes after the truncation point land in a clean file")
    }

    func testCorruptAndTruncatedSnapshotsStopStartup() throws {
        let dir = try directory()
        do {
            let s = try TestServer(mode: .binary, dir: dir)
            let c = try s.connect()
            for i in 0..<200 { try c.call("SET", "k\(i)", String(repeating: "v", count: 50)) }
            try c.call("SAVE")
            s.stop()
        }
        let path = dir + "/dump.rdb"
        let good = try Data(contentsOf: URL(fileURLWithPath: path))
        let start = { () throws -> (Int32, String) in
            try TestServer.run(TestServer.binaryPath, ["--port", String(TestServer.freePort()), "--bind", "127.0.0.1", "--dir", dir])
        }
        try good.prefix(good.count / 2).write(to: URL(fileURLWithPath: path))
        let truncated = try start()
        XCTAssertNotEqual(truncated.0, 0)
        XCTAssertTrue(truncated.1.contains("Unexpected EOF"), truncated.1)

        var flipped = good
        flipped[good.count / 2] ^= 0x5a
        try flipped.write(to: URL(fileURLWithPath: path))
        let corrupt = try start()
        XCTAssertNotEqual(corrupt.0, 0, corrupt.1)
        XCTAssertTrue(corrupt.1.contains("Error loading"), "status \(corrupt.0): \(corrupt.1)")

        try Data("NOTREDIS0010".utf8).write(to: URL(fileURLWithPath: path))
        let wrong = try start()
        XCTAssertNotEqual(wrong.0, 0)
        XCTAssertTrue(wrong.1.contains("Wrong signature"), wrong.1)
    }

    // MARK: interchange with Redis 7.0

    private func startRedis(dir: String) throws -> (Process, Int) {
        let port = TestServer.freePort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        p.arguments = ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--daemonize", "no",
                       "--logfile", dir + "/redis.log"]
        try p.run()
        try TestServer.waitForPing(port: port)
        return (p, port)
    }

    func testRedisLoadsOurSnapshotAndWeLoadRedis() throws {
        let dir = try directory()
        do {
            let s = try TestServer(mode: .binary, dir: dir)
            let c = try s.connect()
            try c.call("SET", "from", "cinnabar")
            try c.call("SET", "n", "12345")
            try c.call("SET", "long", String(repeating: "xyz", count: 500))
            try c.call("SET", "ttl", "t", "EX", "500")
            try c.call("FUNCTION", "LOAD", Self.inventory)
            try c.call("SAVE")
            s.stop()
        }
        let (redis, port) = try startRedis(dir: dir)
        defer { if redis.isRunning { redis.terminate(); redis.waitUntilExit() } }
        let r = try RedisConnection(port: port)
        XCTAssertEqual(try r.call("GET", "from"), .bulk(Array("cinnabar".utf8)))
        XCTAssertEqual(try r.call("GET", "long").string, String(repeating: "xyz", count: 500))
        XCTAssertGreaterThan(try r.call("TTL", "ttl").int ?? -1, 400)
        XCTAssertEqual((try r.call("FUNCTION", "LIST").array ?? []).count, 1)
        try r.call("SET", "from", "redis")
        try r.call("SAVE")
        try? r.call("SHUTDOWN", "NOSAVE")
        redis.waitUntilExit()

        let s = try TestServer(mode: .binary, dir: dir)
        let c = try s.connect()
        XCTAssertEqual(try c.call("GET", "from"), .bulk(Array("redis".utf8)))
        XCTAssertEqual(try c.call("GET", "n"), .bulk(Array("12345".utf8)))
        XCTAssertEqual((try c.call("FUNCTION", "LIST").array ?? []).count, 1)
    }

    func testFunctionDumpInterchangesWithRedis() throws {
        let dir = try directory()
        let (redis, port) = try startRedis(dir: dir)
        defer { if redis.isRunning { redis.terminate(); redis.waitUntilExit() } }
        let r = try RedisConnection(port: port)
        let s = try TestServer()
        let c = try s.connect()

        try r.call("FUNCTION", "LOAD", Self.inventory)
        let fromRedis = try XCTUnwrap({ if case .bulk(let b) = try r.call("FUNCTION", "DUMP") { return b } else { return nil } }())
        XCTAssertEqual(try c.call([Array("FUNCTION".utf8), Array("RESTORE".utf8), fromRedis]), .simple("OK"))
        // Libraries and their code match (function order within a library is unspecified in both servers).
        let ours = try c.call("FUNCTION", "LIST", "WITHCODE").array ?? [], theirs = try r.call("FUNCTION", "LIST", "WITHCODE").array ?? []
        XCTAssertEqual(ours.count, 1)
        XCTAssertEqual(ours.first?.array?[1], theirs.first?.array?[1])
        XCTAssertEqual(ours.first?.array?[7], theirs.first?.array?[7])
        XCTAssertEqual(Set((ours.first?.array?[5].array ?? []).map { $0.array?[1].string ?? "" }),
                       Set((theirs.first?.array?[5].array ?? []).map { $0.array?[1].string ?? "" }))

        try c.call("FUNCTION", "FLUSH")
        try r.call("FUNCTION", "FLUSH")
        try c.call("FUNCTION", "LOAD", Self.inventory)
        let fromUs = try XCTUnwrap({ if case .bulk(let b) = try c.call("FUNCTION", "DUMP") { return b } else { return nil } }())
        XCTAssertEqual(fromUs, fromRedis, "FUNCTION DUMP payloads are byte-identical")
        XCTAssertEqual(try r.call([Array("FUNCTION".utf8), Array("RESTORE".utf8), fromUs]), .simple("OK"))
        XCTAssertEqual((try r.call("FUNCTION", "LIST").array ?? []).count, 1)
    }

    func testDumpRestoreInterchangesWithRedis() throws {
        let dir = try directory()
        let (redis, port) = try startRedis(dir: dir)
        defer { if redis.isRunning { redis.terminate(); redis.waitUntilExit() } }
        let r = try RedisConnection(port: port)
        let server = try TestServer()
        let c = try server.connect()
        for value in ["small", "123", "-7", String(repeating: "compressible ", count: 40)] {
            try r.call("SET", "k", value)
            try c.call("SET", "k", value)
            let a = try r.call("DUMP", "k"), b = try c.call("DUMP", "k")
            XCTAssertEqual(a, b, "DUMP of \(value.prefix(20))")
            guard case .bulk(let payload) = a else { return XCTFail("no payload") }
            XCTAssertEqual(try c.call([Array("RESTORE".utf8), Array("copy".utf8), Array("0".utf8), payload]), .simple("OK"))
            XCTAssertEqual(try c.call("GET", "copy").string, value)
            try c.call("DEL", "copy")
        }
        XCTAssertThrowsError(try c.call([Array("RESTORE".utf8), Array("bad".utf8), Array("0".utf8), Array("garbage-payload".utf8)])) { e in
            XCTAssertEqual((e as? RESPError)?.message, "ERR DUMP payload version or checksum are wrong")
        }
    }

    private func waitUntil(_ timeout: Double = 20, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            usleep(20_000)
        }
        XCTFail("condition not met in \(timeout)s")
    }
}
