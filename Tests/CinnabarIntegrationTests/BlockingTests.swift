import CinnabarClient
import Foundation
import XCTest

/// Blocking list commands over real sockets, with clients spread over two
/// event loops (connections alternate between loops), as Redis 7.0.15 behaves.
final class BlockingTests: XCTestCase {
    private func raw(_ c: RedisConnection) throws -> String {
        String(decoding: try c.readRaw(), as: UTF8.self)
    }

    private func bulks(_ items: [String]) -> String {
        "*\(items.count)\r\n" + items.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }

    private func blockedClients(_ c: RedisConnection) throws -> Int {
        guard case .bulk(let b) = try c.call("INFO", "clients") else { return -1 }
        let text = String(decoding: b, as: UTF8.self)
        guard let line = text.split(separator: "\r\n").first(where: { $0.hasPrefix("blocked_clients:") }) else { return -1 }
        return Int(line.dropFirst("blocked_clients:".count)) ?? -1
    }

    /// Waits until `n` clients are blocked (a waiter's command may still be on its way).
    private func waitBlocked(_ c: RedisConnection, _ n: Int, file: StaticString = #filePath, line: UInt = #line) throws {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if try blockedClients(c) == n { return }
            usleep(5_000)
        }
        XCTFail("expected \(n) blocked clients, have \(try blockedClients(c))", file: file, line: line)
    }

    /// WAIT without replicas: 0 acknowledgements, at once when 0 suffices or
    /// inside MULTI, else after the timeout; CLIENT UNBLOCK ends a wait for
    /// ever as a timeout (:0) or with -UNBLOCKED (replies as Redis 7.0.15's).
    func testWaitWithoutReplicas() throws {
        let s = try TestServer(["io-threads": "2"])
        let c = try s.connect(), admin = try s.connect()
        XCTAssertEqual(try c.call("WAIT", "0", "0"), .integer(0))
        let start = Date()
        XCTAssertEqual(try c.call("WAIT", "1", "150"), .integer(0))
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(start), 0.14)
        XCTAssertEqual(try c.pipeline([["MULTI"], ["WAIT", "3", "0"], ["EXEC"]]),
                       [.simple("OK"), .simple("QUEUED"), .array([.integer(0)])])
        guard case .integer(let id) = try c.call("CLIENT", "ID") else { return XCTFail("no client id") }
        try c.write(RedisConnection.encode(["WAIT", "1", "0"].map { Array($0.utf8) }))
        try waitBlocked(admin, 1)
        XCTAssertEqual(try admin.call("CLIENT", "UNBLOCK", String(id)), .integer(1))
        XCTAssertEqual(try c.read(), .integer(0))
        try c.write(RedisConnection.encode(["WAIT", "1", "0"].map { Array($0.utf8) }))
        try waitBlocked(admin, 1)
        XCTAssertEqual(try admin.call("CLIENT", "UNBLOCK", String(id), "ERROR"), .integer(1))
        XCTAssertEqual(try c.read(), .error("UNBLOCKED client unblocked via CLIENT UNBLOCK"))
        XCTAssertThrowsError(try c.call("WAIT", "1", "-1")) { e in
            XCTAssertEqual((e as? RESPError)?.message, "ERR timeout is negative")
        }
        XCTAssertThrowsError(try c.call("WAIT", "x", "1")) { e in
            XCTAssertEqual((e as? RESPError)?.message, "ERR value is not an integer or out of range")
        }
        XCTAssertThrowsError(try c.call("EVAL", "return redis.call('wait', 0, 0)", "0")) { e in
            XCTAssertTrue((e as? RESPError)?.message.hasPrefix("ERR This Redis command is not allowed from script") ?? false)
        }
    }

    func testPushFromAnotherLoopWakesTheWaiter() throws {
        let s = try TestServer(["io-threads": "2"])
        let waiter = try s.connect(), pusher = try s.connect(), admin = try s.connect()
        try waiter.send(["BLPOP", "k", "0"])
        try waitBlocked(admin, 1)
        let list = try admin.rawText("CLIENT", "LIST")
        XCTAssertTrue(list.contains(" flags=b ") && list.contains(" cmd=blpop "), list)
        XCTAssertEqual(try pusher.rawText("RPUSH", "k", "a", "b"), ":2\r\n")
        XCTAssertEqual(try raw(waiter), bulks(["k", "a"]))
        XCTAssertEqual(try pusher.rawText("LRANGE", "k", "0", "-1"), bulks(["b"]))
        try waitBlocked(admin, 0)
        // The waiter goes on with its next command.
        XCTAssertEqual(try waiter.rawText("PING"), "+PONG\r\n")
    }

    func testWaitersAreServedFirstComeFirstServed() throws {
        let s = try TestServer(["io-threads": "2"])
        let admin = try s.connect()
        var waiters: [RedisConnection] = []
        for i in 0..<4 {
            let w = try s.connect()
            // Waiters on overlapping keys: FIFO holds per key.
            try w.send(i % 2 == 0 ? ["BRPOP", "k", "0"] : ["BRPOP", "other", "k", "0"])
            try waitBlocked(admin, i + 1)
            waiters.append(w)
        }
        XCTAssertEqual(try admin.rawText("RPUSH", "k", "1", "2", "3"), ":3\r\n")
        XCTAssertEqual(try raw(waiters[0]), bulks(["k", "3"]))
        XCTAssertEqual(try raw(waiters[1]), bulks(["k", "2"]))
        XCTAssertEqual(try raw(waiters[2]), bulks(["k", "1"]))
        try waitBlocked(admin, 1)
        XCTAssertEqual(try admin.rawText("LPUSH", "other", "x"), ":1\r\n")
        XCTAssertEqual(try raw(waiters[3]), bulks(["other", "x"]))
        XCTAssertEqual(try admin.rawText("EXISTS", "k", "other"), ":0\r\n")
    }

    func testFractionalTimeouts() throws {
        let s = try TestServer(["io-threads": "2"])
        let c = try s.connect(), admin = try s.connect()
        var start = Date()
        XCTAssertEqual(try c.rawText("BLPOP", "k", "0.25"), "*-1\r\n")
        var elapsed = Date().timeIntervalSince(start)
        XCTAssertTrue(elapsed >= 0.24 && elapsed < 2, "\(elapsed)")
        start = Date()
        XCTAssertEqual(try c.rawText("BLMPOP", "0.01", "2", "a", "b", "LEFT"), "*-1\r\n")
        XCTAssertEqual(try c.rawText("BLPOP", "k", "0.001"), "*-1\r\n")
        // Redis replies a null array to every timed-out list wait, BRPOPLPUSH included.
        XCTAssertEqual(try c.rawText("BRPOPLPUSH", "a", "b", "0.05"), "*-1\r\n")
        XCTAssertEqual(try c.rawText("BLMOVE", "a", "b", "LEFT", "RIGHT", "0.05"), "*-1\r\n")
        elapsed = Date().timeIntervalSince(start)
        XCTAssertTrue(elapsed >= 0.1 && elapsed < 2, "\(elapsed)")
        try c.call("HELLO", "3")
        XCTAssertEqual(try c.rawText("BLPOP", "k", "0.01"), "_\r\n")
        try waitBlocked(admin, 0)
        let stats = try admin.rawText("INFO", "commandstats")
        XCTAssertTrue(stats.contains("cmdstat_blpop:calls=3,"), stats)
    }

    func testMoveChainsCirclesAndSelfReference() throws {
        let s = try TestServer(["io-threads": "2"])
        let admin = try s.connect(), a = try s.connect(), b = try s.connect(), c = try s.connect()
        try a.send(["BLMOVE", "l1", "l2", "RIGHT", "LEFT", "0"])
        try waitBlocked(admin, 1)
        try b.send(["BLMOVE", "l2", "l3", "LEFT", "RIGHT", "0"])
        try waitBlocked(admin, 2)
        try c.send(["BLPOP", "l3", "0"])
        try waitBlocked(admin, 3)
        XCTAssertEqual(try admin.rawText("RPUSH", "l1", "foo"), ":1\r\n")
        XCTAssertEqual(try raw(a), "$3\r\nfoo\r\n")
        XCTAssertEqual(try raw(b), "$3\r\nfoo\r\n")
        XCTAssertEqual(try raw(c), bulks(["l3", "foo"]))
        XCTAssertEqual(try admin.rawText("EXISTS", "l1", "l2", "l3"), ":0\r\n")

        try a.send(["BRPOPLPUSH", "c1", "c2", "0"])
        try waitBlocked(admin, 1)
        try b.send(["BRPOPLPUSH", "c2", "c1", "0"])
        try waitBlocked(admin, 2)
        XCTAssertEqual(try admin.rawText("RPUSH", "c1", "x"), ":1\r\n")
        XCTAssertEqual(try raw(a), "$1\r\nx\r\n")
        XCTAssertEqual(try raw(b), "$1\r\nx\r\n")
        XCTAssertEqual(try admin.rawText("LRANGE", "c1", "0", "-1"), bulks(["x"]))
        XCTAssertEqual(try admin.rawText("EXISTS", "c2"), ":0\r\n")

        try a.send(["BRPOPLPUSH", "self", "self", "0"])
        try waitBlocked(admin, 1)
        XCTAssertEqual(try admin.rawText("RPUSH", "self", "y"), ":1\r\n")
        XCTAssertEqual(try raw(a), "$1\r\ny\r\n")
        XCTAssertEqual(try admin.rawText("LRANGE", "self", "0", "-1"), bulks(["y"]))
    }

    func testDisconnectedWaiterLeavesTheQueue() throws {
        let s = try TestServer(["io-threads": "2"])
        let admin = try s.connect()
        let gone = try s.connect()
        try gone.send(["BLPOP", "k", "0"])
        try waitBlocked(admin, 1)
        let next = try s.connect()
        try next.send(["BLPOP", "k", "0"])
        try waitBlocked(admin, 2)
        gone.close()
        try waitBlocked(admin, 1)
        XCTAssertEqual(try admin.rawText("RPUSH", "k", "v", "w"), ":2\r\n")
        XCTAssertEqual(try raw(next), bulks(["k", "v"]))
        XCTAssertEqual(try admin.rawText("LRANGE", "k", "0", "-1"), bulks(["w"]))
    }

    func testClientUnblock() throws {
        let s = try TestServer(["io-threads": "2"])
        let admin = try s.connect(), c = try s.connect()
        guard case .integer(let id) = try c.call("CLIENT", "ID") else { return XCTFail("no id") }
        try admin.call("CONFIG", "RESETSTAT")
        try c.send(["BLPOP", "k", "0"])
        try waitBlocked(admin, 1)
        XCTAssertEqual(try admin.rawText("CLIENT", "UNBLOCK", String(id)), ":1\r\n")
        XCTAssertEqual(try raw(c), "*-1\r\n")
        try c.send(["BLMPOP", "0", "1", "k", "RIGHT", "COUNT", "1"])
        try waitBlocked(admin, 1)
        XCTAssertEqual(try admin.rawText("CLIENT", "UNBLOCK", String(id), "TIMEOUT"), ":1\r\n")
        XCTAssertEqual(try raw(c), "*-1\r\n")
        try c.send(["BLPOP", "k", "0"])
        try waitBlocked(admin, 1)
        XCTAssertEqual(try admin.rawText("CLIENT", "UNBLOCK", String(id), "ERROR"), ":1\r\n")
        XCTAssertEqual(try raw(c), "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")
        XCTAssertEqual(try admin.rawText("CLIENT", "UNBLOCK", String(id)), ":0\r\n", "not blocked")
        XCTAssertTrue(try admin.rawText("INFO", "errorstats").contains("errorstat_UNBLOCKED:count=1\r\n"))
        let stats = try admin.rawText("INFO", "commandstats")
        XCTAssertTrue(stats.contains("cmdstat_blpop:calls=2,"), stats)
        XCTAssertTrue(stats.contains("rejected_calls=0,failed_calls=2\r\n"), stats)
        // Still usable afterwards.
        try c.send(["BLPOP", "k", "0"])
        try waitBlocked(admin, 1)
        try admin.call("LPUSH", "k", "foo")
        XCTAssertEqual(try raw(c), bulks(["k", "foo"]))
    }

    func testPipelinedCommandsRunAfterTheWaitEnds() throws {
        let s = try TestServer(["io-threads": "2"])
        let admin = try s.connect(), c = try s.connect()
        var out: [UInt8] = []
        for cmd in [["BLPOP", "k", "0"], ["RPUSH", "mine", "1"], ["PING"]] { out += RedisConnection.encode(cmd.map { Array($0.utf8) }) }
        try c.write(out)
        try waitBlocked(admin, 1)
        XCTAssertEqual(try admin.rawText("EXISTS", "mine"), ":0\r\n", "commands behind a blocked one wait")
        try admin.call("RPUSH", "k", "v")
        XCTAssertEqual(try raw(c), bulks(["k", "v"]))
        XCTAssertEqual(try raw(c), ":1\r\n")
        XCTAssertEqual(try raw(c), "+PONG\r\n")
    }

    func testMultiExecNeverBlocksAndServesAfterExec() throws {
        let s = try TestServer(["io-threads": "2"])
        let c = try s.connect(), waiter = try s.connect()
        try c.call("RPUSH", "x", "foo", "bar")
        let replies = try c.pipeline([["MULTI"], ["BRPOPLPUSH", "x", "t", "0"], ["BRPOPLPUSH", "x", "t", "0"], ["BRPOPLPUSH", "x", "t", "0"],
                                      ["BLPOP", "nokey", "0"], ["EXEC"]])
        XCTAssertEqual(replies.last, .array([.bulk(Array("bar".utf8)), .bulk(Array("foo".utf8)), .null, .null]))
        // A waiter sees the transaction's end state, not its steps.
        try waiter.send(["BLPOP", "iso", "0"])
        try waitBlocked(c, 1)
        let exec = try c.pipeline([["MULTI"], ["LPUSH", "iso", "a"], ["LPUSH", "iso", "b"], ["LPUSH", "iso", "c"], ["EXEC"]])
        XCTAssertEqual(exec.last, .array([.integer(1), .integer(2), .integer(3)]))
        XCTAssertEqual(try raw(waiter), bulks(["iso", "c"]))
        try waiter.send(["BLPOP", "gone", "0"])
        try waitBlocked(c, 1)
        _ = try c.pipeline([["MULTI"], ["LPUSH", "gone", "a"], ["DEL", "gone"], ["EXEC"]])
        XCTAssertEqual(try blockedClients(c), 1, "a key pushed and deleted in one transaction serves nobody")
        try c.call("LPUSH", "gone", "b")
        XCTAssertEqual(try raw(waiter), bulks(["gone", "b"]))
    }

    /// Many waiters and pushers on both loops: every element is delivered exactly once.
    func testConcurrentPushersAndWaiters() throws {
        let s = try TestServer(["io-threads": "2"])
        let admin = try s.connect()
        let keys = ["q0", "q1", "q2", "q3"]
        var waiters: [RedisConnection] = []
        for i in 0..<16 {
            let w = try s.connect()
            try w.send(["BLPOP", keys[i % 4], keys[(i + 1) % 4], "0"])
            waiters.append(w)
        }
        try waitBlocked(admin, 16)
        let group = DispatchGroup()
        for p in 0..<4 {
            group.enter()
            let port = s.port
            Thread.detachNewThread {
                defer { group.leave() }
                guard let c = try? RedisConnection(port: port) else { return }
                for j in 0..<5 { _ = try? c.call("RPUSH", keys[(p + j) % 4], "p\(p)-\(j)") }
            }
        }
        group.wait()
        var got: [String] = []
        for w in waiters {
            guard case .array(let pair) = try w.read(), pair.count == 2, case .bulk(let v) = pair[1] else {
                XCTFail("bad reply")
                continue
            }
            got.append(String(decoding: v, as: UTF8.self))
        }
        XCTAssertEqual(Set(got).count, 16)
        var left = 0
        for k in keys {
            if case .integer(let n) = try admin.call("LLEN", k) { left += Int(n) }
        }
        XCTAssertEqual(left, 4, "20 pushed, 16 taken")
        try waitBlocked(admin, 0)
    }
}
