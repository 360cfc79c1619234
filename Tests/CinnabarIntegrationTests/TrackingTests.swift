import CinnabarClient
import Foundation
import XCTest

/// Client-side caching (CLIENT TRACKING) over real sockets. Expected bytes
/// are those Redis 7.0.15 sends for the same exchanges. The server runs two
/// event loops and hands connections out in turn, so consecutive connections
/// live on different loops: writers and tracking clients are paired that way
/// to exercise cross-loop delivery.
final class TrackingTests: XCTestCase {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// The RESP3 push announcing that `keys` changed.
    private func push(_ keys: String...) -> String {
        ">2\r\n$10\r\ninvalidate\r\n*\(keys.count)\r\n" + keys.map { "$\($0.utf8.count)\r\n\($0)\r\n" }.joined()
    }

    /// The RESP2 `__redis__:invalidate` message carrying `payload`.
    private func message(_ payload: String) -> String {
        "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n" + payload
    }

    private func nextRaw(_ c: RedisConnection) throws -> String { text(try c.readRaw()) }

    /// Sends a command; returns the pushes that arrived before its reply, then the reply, as raw text.
    private func exchange(_ c: RedisConnection, _ args: String...) throws -> String {
        try c.send(args)
        var out = ""
        while true {
            let raw = try c.readRaw()
            out += text(raw)
            if raw.first != UInt8(ascii: ">") { return out }
        }
    }

    private func clientID(_ c: RedisConnection) throws -> Int64 {
        guard case .integer(let id) = try c.call("CLIENT", "ID") else { throw RESPError("no id") }
        return id
    }

    private func resp3(_ c: RedisConnection) throws {
        _ = try c.call("HELLO", "3")
    }

    private func info(_ c: RedisConnection, _ field: String) throws -> String {
        let all: String
        switch try c.call("INFO", "everything") {
        case .bulk(let b): all = text(b)
        case .verbatim(_, let t): all = t
        default: return ""
        }
        for line in all.split(separator: "\r\n") where line.hasPrefix(field + ":") {
            return String(line.dropFirst(field.count + 1))
        }
        return ""
    }

    private func clientInfo(_ c: RedisConnection) throws -> String {
        switch try c.call("CLIENT", "INFO") {
        case .bulk(let b): return text(b)
        case .verbatim(_, let t): return t
        default: return ""
        }
    }

    // MARK: default mode

    func testRESP3InvalidationFollowsTheReplyOfTheWriter() throws {
        let s = try TestServer()
        let t = try s.connect()
        try resp3(t)
        XCTAssertEqual(try t.rawText("CLIENT", "TRACKING", "on"), "+OK\r\n")
        XCTAssertEqual(try t.rawText("SET", "a", "1"), "+OK\r\n")
        XCTAssertEqual(try t.rawText("GET", "a"), "$1\r\n1\r\n")
        // Its own write: the reply first, then the push.
        XCTAssertEqual(try t.rawText("SET", "a", "2"), "+OK\r\n")
        XCTAssertEqual(try nextRaw(t), push("a"))
        // Writes inside a transaction are announced after EXEC's reply.
        try t.call("GET", "a")
        try t.call("MULTI")
        try t.call("INCR", "a")
        try t.call("GET", "b")
        XCTAssertEqual(try t.rawText("EXEC"), "*2\r\n:3\r\n_\r\n")
        XCTAssertEqual(try nextRaw(t), push("a"))
        // A flush inside a transaction: a null, after the reply too.
        try t.call("GET", "a")
        try t.call("MULTI")
        try t.call("FLUSHDB")
        XCTAssertEqual(try t.rawText("EXEC"), "*1\r\n+OK\r\n")
        XCTAssertEqual(try nextRaw(t), ">2\r\n$10\r\ninvalidate\r\n_\r\n")
        // A key read once is announced once.
        try t.call("HSET", "h", "f", "1")
        try t.call("HGET", "h", "f")
        XCTAssertEqual(try t.rawText("HDEL", "h", "f"), ":1\r\n")
        XCTAssertEqual(try nextRaw(t), push("h"))
        XCTAssertEqual(try exchange(t, "SET", "h", "x"), "+OK\r\n")
        XCTAssertEqual(try info(t, "tracking_clients"), "1")
    }

    func testWriterOnAnotherLoopInvalidatesInOrder() throws {
        let s = try TestServer(["io-threads": "2"])
        let t = try s.connect(), w = try s.connect()
        try resp3(t)
        try t.call("CLIENT", "TRACKING", "on")
        let keys = (0..<40).map { "key:\($0)" }
        try t.call(["MGET"] + keys)
        try t.call("GET", "missing")
        XCTAssertEqual(try info(w, "tracking_total_keys"), "41")
        XCTAssertEqual(try info(w, "tracking_total_items"), "41")
        // Keys not read are not announced; the others once each, in write order.
        try w.call("SET", "unread", "1")
        try w.call(["MSET"] + keys.reversed().flatMap { [$0, "v"] })
        for k in keys.reversed() { XCTAssertEqual(try nextRaw(t), push(k)) }
        try w.call(["MSET"] + keys.flatMap { [$0, "again"] })
        try w.call("DEL", "missing")
        try w.call("SET", "missing", "now")
        XCTAssertEqual(try nextRaw(t), push("missing"))
        XCTAssertEqual(try info(w, "tracking_total_keys"), "0")
        // The RESP2 tracker without redirection is tracked but told nothing.
        let t2 = try s.connect()
        try t2.call("CLIENT", "TRACKING", "on")
        try t2.call("GET", "quiet")
        try w.call("SET", "quiet", "1")
        XCTAssertEqual(try exchange(t2, "PING"), "+PONG\r\n")
    }

    /// A RESP3 tracking client keeps a local cache while a client on the
    /// other loop writes the same keys: once everything has settled, every
    /// value still cached must be the server's.
    func testLocalCacheStaysCoherentUnderConcurrentWrites() throws {
        let s = try TestServer(["io-threads": "2"])
        let t = try s.connect(), w = try s.connect(), check = try s.connect()
        try resp3(t)
        try t.call("CLIENT", "TRACKING", "on")
        let keys = (0..<20).map { "c:\($0)" }
        for k in keys { try w.call("SET", k, "0") }
        var cache: [String: String] = [:]
        var invalidations = 0
        func apply(_ v: RESPValue) {
            guard case .push(let parts) = v, parts.count == 2 else { return }
            invalidations += 1
            if case .array(let names) = parts[1] {
                for case .bulk(let n) in names { cache[text(n)] = nil }
            } else {
                cache.removeAll()
            }
        }
        /// The next reply that is not a push, applying the pushes before it.
        func reply() throws -> RESPValue {
            while true {
                let v = try t.read()
                if case .push = v { apply(v) } else { return v }
            }
        }
        let writer = Thread {
            for round in 1...2000 {
                _ = try? w.call("SET", keys[round % keys.count], String(round))
                if round % 50 == 0 { _ = try? w.call("DEL", keys[round % 7]) }
            }
        }
        writer.start()
        var round = 0
        while !writer.isFinished || round < 1000 {
            round += 1
            let k = keys[round % keys.count]
            if cache[k] != nil {
                // A cache hit; a round trip lets the invalidations in.
                try t.send(["PING"])
                _ = try reply()
                continue
            }
            try t.send(["GET", k])
            switch try reply() {
            case .bulk(let b): cache[k] = text(b)
            case .null: cache[k] = ""
            default: XCTFail("unexpected reply")
            }
        }
        usleep(100_000)
        try t.send(["PING"])
        XCTAssertEqual(try reply(), .simple("PONG"))
        for (k, v) in cache {
            let actual: String
            switch try check.call("GET", k) {
            case .bulk(let b): actual = text(b)
            default: actual = ""
            }
            XCTAssertEqual(v, actual, "stale cached value of \(k)")
        }
        XCTAssertGreaterThan(invalidations, 100)
    }

    // MARK: redirection

    func testRESP2RedirectionUsesTheInvalidateChannel() throws {
        let s = try TestServer(["io-threads": "2"])
        let r = try s.connect(), t = try s.connect(), w = try s.connect()
        let rid = try clientID(r)
        XCTAssertEqual(try r.rawText("SUBSCRIBE", "__redis__:invalidate"),
                       "*3\r\n$9\r\nsubscribe\r\n$20\r\n__redis__:invalidate\r\n:1\r\n")
        XCTAssertEqual(try t.rawText("CLIENT", "TRACKING", "on", "REDIRECT", String(rid)), "+OK\r\n")
        XCTAssertEqual(try t.call("CLIENT", "GETREDIR"), .integer(rid))
        XCTAssertTrue(try clientInfo(t).contains(" flags=t "))
        XCTAssertTrue(try clientInfo(t).contains(" redir=\(rid) resp=2"))
        XCTAssertEqual(try t.rawText("GET", "k"), "$-1\r\n")
        try w.call("SET", "k", "1")
        XCTAssertEqual(try nextRaw(r), message("*1\r\n$1\r\nk\r\n"))
        // The tracking client's own writes are redirected too, after its reply.
        try t.call("GET", "k")
        XCTAssertEqual(try t.rawText("INCR", "k"), ":2\r\n")
        XCTAssertEqual(try nextRaw(r), message("*1\r\n$1\r\nk\r\n"))
        // Flushing: a null, in the tracking client's protocol.
        try t.call("GET", "k")
        try w.call("FLUSHALL")
        XCTAssertEqual(try nextRaw(r), message("$-1\r\n"))
        try resp3(t)
        try w.call("FLUSHDB")
        XCTAssertEqual(try nextRaw(r), message("_\r\n"))
    }

    func testRedirectionToARESP3ClientAndBrokenRedirection() throws {
        let s = try TestServer(["io-threads": "2"])
        let r = try s.connect(), t = try s.connect(), w = try s.connect()
        try resp3(r)
        let rid = try clientID(r)
        try resp3(t)
        try t.call("CLIENT", "TRACKING", "on", "REDIRECT", String(rid), "NOLOOP")
        try t.call("MGET", "x", "y")
        try t.call("SET", "y", "mine")
        try w.call("SET", "x", "theirs")
        XCTAssertEqual(try nextRaw(r), push("x"))
        // Once the target is gone, the tracking client is told at each invalidation.
        try t.call("GET", "x")
        r.close()
        for _ in 0..<200 {
            guard case .verbatim(_, let list) = try w.call("CLIENT", "LIST"), list.contains("id=\(rid) ") else { break }
            usleep(5000)
        }
        try w.call("SET", "x", "again")
        XCTAssertEqual(try nextRaw(t), ">2\r\n$21\r\ntracking-redir-broken\r\n:\(rid)\r\n")
        XCTAssertEqual(try t.rawText("CLIENT", "TRACKINGINFO"),
                       "%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$6\r\nnoloop\r\n$15\r\nbroken_redirect\r\n"
                       + "$8\r\nredirect\r\n:\(rid)\r\n$8\r\nprefixes\r\n*0\r\n")
        XCTAssertTrue(try clientInfo(t).contains(" flags=tR "))
        // Turning tracking on again clears the broken state.
        try t.call("CLIENT", "TRACKING", "on")
        XCTAssertTrue(try clientInfo(t).contains(" flags=t "))
        XCTAssertTrue(try clientInfo(t).contains(" redir=0 "))
    }

    // MARK: broadcasting

    func testBroadcastGroupsKeysByPrefixAndHonoursNoloop() throws {
        let s = try TestServer(["io-threads": "2"])
        let t = try s.connect(), w = try s.connect()
        try resp3(t)
        XCTAssertEqual(try t.rawText("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "b:", "PREFIX", "a:", "NOLOOP"), "+OK\r\n")
        XCTAssertEqual(try t.rawText("CLIENT", "TRACKINGINFO"),
                       "%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$5\r\nbcast\r\n$6\r\nnoloop\r\n"
                       + "$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*2\r\n$2\r\na:\r\n$2\r\nb:\r\n")
        XCTAssertTrue(try clientInfo(t).contains(" flags=tB "))
        XCTAssertEqual(try info(w, "tracking_total_prefixes"), "2")
        // One transaction: one array per prefix, keys in byte order.
        try w.call("MULTI")
        for k in ["a:2", "b:1", "c:1", "a:1"] { try w.call("INCR", k) }
        try w.call("EXEC")
        XCTAssertEqual(try nextRaw(t), push("a:1", "a:2"))
        XCTAssertEqual(try nextRaw(t), push("b:1"))
        // NOLOOP: its own changes are left out.
        try t.call("SET", "a:mine", "1")
        try w.call("SET", "a:theirs", "1")
        XCTAssertEqual(try nextRaw(t), push("a:theirs"))
        // Expiry counts as a change by nobody.
        try t.call("SET", "b:short", "1", "PX", "20")
        var expired = ""
        for _ in 0..<100 where expired.isEmpty {
            usleep(20_000)
            try t.send(["PING"])
            let v = try nextRaw(t)
            if v != "+PONG\r\n" {
                expired = v
                XCTAssertEqual(try nextRaw(t), "+PONG\r\n")
            }
        }
        XCTAssertEqual(expired, push("b:short"))
        // Prefixes accumulate; the switch to the default mode is refused.
        try t.call("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "z")
        XCTAssertEqual(try info(w, "tracking_total_prefixes"), "3")
        XCTAssertEqual(try t.rawText("CLIENT", "TRACKING", "on"),
                       "-ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.\r\n")
        try t.call("CLIENT", "TRACKING", "off")
        XCTAssertEqual(try info(w, "tracking_total_prefixes"), "0")
        XCTAssertEqual(try info(w, "tracking_clients"), "0")
    }

    // MARK: modes and errors

    func testOptinAndOptout() throws {
        let s = try TestServer(["io-threads": "2"])
        let t = try s.connect(), w = try s.connect()
        try resp3(t)
        try t.call("CLIENT", "TRACKING", "on", "OPTIN")
        try t.call("GET", "a")
        XCTAssertEqual(try t.rawText("CLIENT", "CACHING", "yes"), "+OK\r\n")
        // The promise survives other CLIENT subcommands, then lasts one command.
        try t.call("CLIENT", "ID")
        try t.call("GET", "b")
        try t.call("GET", "c")
        try w.call("MSET", "a", "1", "b", "1", "c", "1")
        XCTAssertEqual(try nextRaw(t), push("b"))
        XCTAssertEqual(try exchange(t, "PING"), "+PONG\r\n")
        // Inside MULTI it covers the whole transaction.
        try t.call("CLIENT", "CACHING", "yes")
        try t.call("MULTI")
        try t.call("GET", "d")
        try t.call("GET", "e")
        try t.call("EXEC")
        try t.call("GET", "f")
        try w.call("MSET", "d", "1", "e", "1", "f", "1")
        XCTAssertEqual(try nextRaw(t), push("d"))
        XCTAssertEqual(try nextRaw(t), push("e"))
        XCTAssertEqual(try t.rawText("CLIENT", "CACHING", "no"),
                       "-ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.\r\n")
        XCTAssertEqual(try t.rawText("CLIENT", "TRACKING", "on", "OPTOUT"),
                       "-ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.\r\n")
        try t.call("CLIENT", "TRACKING", "off")
        try t.call("CLIENT", "TRACKING", "on", "OPTOUT")
        try t.call("CLIENT", "CACHING", "no")
        try t.call("GET", "g")
        try t.call("GET", "h")
        try w.call("MSET", "g", "1", "h", "1")
        XCTAssertEqual(try nextRaw(t), push("h"))
        XCTAssertEqual(try exchange(t, "PING"), "+PONG\r\n")
        XCTAssertEqual(try t.rawText("CLIENT", "CACHING", "no"), "+OK\r\n")
        XCTAssertEqual(try t.rawText("CLIENT", "TRACKINGINFO"),
                       "%3\r\n$5\r\nflags\r\n~3\r\n$2\r\non\r\n$6\r\noptout\r\n$10\r\ncaching-no\r\n"
                       + "$8\r\nredirect\r\n:0\r\n$8\r\nprefixes\r\n*0\r\n")
    }

    func testArgumentErrorsAsRedis() throws {
        let s = try TestServer()
        let c = try s.connect()
        let me = String(try clientID(c))
        let cases: [([String], String)] = [
            (["CLIENT", "TRACKING", "off", "REDIRECT", "abc"], "-ERR value is not an integer or out of range\r\n"),
            (["CLIENT", "TRACKING", "off", "REDIRECT", "0"], "-ERR The client ID you want redirect to does not exist\r\n"),
            (["CLIENT", "TRACKING", "on", "REDIRECT", me, "REDIRECT", me], "-ERR A client can only redirect to a single other client\r\n"),
            (["CLIENT", "TRACKING", "maybe"], "-ERR syntax error\r\n"),
            (["CLIENT", "TRACKING", "on", "PREFIX"], "-ERR syntax error\r\n"),
            (["CLIENT", "TRACKING", "on", "foo"], "-ERR syntax error\r\n"),
            (["CLIENT", "TRACKING", "on", "PREFIX", "x"], "-ERR PREFIX option requires BCAST mode to be enabled\r\n"),
            (["CLIENT", "TRACKING", "on", "BCAST", "OPTOUT"], "-ERR OPTIN and OPTOUT are not compatible with BCAST\r\n"),
            (["CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT"], "-ERR You can't specify both OPTIN mode and OPTOUT mode\r\n"),
            (["CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "X", "PREFIX", "X"],
             "-ERR Prefix 'X' overlaps with another provided prefix 'X'. Prefixes for a single client must not overlap.\r\n"),
            (["CLIENT", "TRACKING"], "-ERR wrong number of arguments for 'client|tracking' command\r\n"),
            (["CLIENT", "CACHING", "yes"],
             "-ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled\r\n"),
            (["CLIENT", "CACHING", "yes", "no"], "-ERR wrong number of arguments for 'client|caching' command\r\n"),
            (["CLIENT", "GETREDIR", "x"], "-ERR wrong number of arguments for 'client|getredir' command\r\n"),
            (["CLIENT", "GETREDIR"], ":-1\r\n"),
            (["CLIENT", "TRACKINGINFO"], "*6\r\n$5\r\nflags\r\n*1\r\n$3\r\noff\r\n$8\r\nredirect\r\n:-1\r\n$8\r\nprefixes\r\n*0\r\n"),
        ]
        for (args, expected) in cases {
            XCTAssertEqual(text(try c.rawCall(args)), expected, args.joined(separator: " "))
        }
        // Redis 7.0 reports a clash between two later prefixes, then enables tracking anyway.
        XCTAssertEqual(try c.rawText("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "A", "PREFIX", "B", "PREFIX", "BC"),
                       "-ERR Prefix 'B' overlaps with another provided prefix 'BC'. Prefixes for a single client must not overlap.\r\n")
        XCTAssertEqual(try nextRaw(c), "+OK\r\n")
        XCTAssertEqual(try c.rawText("CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "Ax"),
                       "-ERR Prefix 'Ax' overlaps with an existing prefix 'A'. Prefixes for a single client must not overlap.\r\n")
        XCTAssertEqual(try c.rawText("CLIENT", "CACHING", "yes"),
                       "-ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.\r\n")
        XCTAssertEqual(try c.rawText("CLIENT", "CACHING", "maybe"), "-ERR syntax error\r\n")
        // RESET leaves tracking, as it does in Redis.
        XCTAssertEqual(try c.rawText("RESET"), "+RESET\r\n")
        XCTAssertTrue(try clientInfo(c).contains(" flags=N "))
        XCTAssertTrue(try clientInfo(c).contains(" redir=-1 "))
        XCTAssertEqual(try info(c, "tracking_clients"), "0")
        XCTAssertEqual(try info(c, "tracking_total_prefixes"), "0")
    }

    // MARK: table, flushes, scripts, blocking

    func testTableLimitEvictsTrackedKeysAndFlushesEmptyTheTable() throws {
        let s = try TestServer(["io-threads": "2"])
        let r = try s.connect(), t = try s.connect(), w = try s.connect()
        try resp3(r)
        try t.call("CLIENT", "TRACKING", "on", "REDIRECT", String(try clientID(r)))
        let keys = (0..<10).map { "lim:\($0)" }
        try t.call(["MGET"] + keys)
        XCTAssertEqual(try info(w, "tracking_total_keys"), "10")
        try w.call("CONFIG", "SET", "tracking-table-max-keys", "4")
        XCTAssertEqual(try w.call("CONFIG", "GET", "tracking-table-max-keys"),
                       .array([.bulk(Array("tracking-table-max-keys".utf8)), .bulk(Array("4".utf8))]))
        var evicted = Set<String>()
        for _ in 0..<6 {
            guard case .push(let parts) = try r.read(), case .array(let names) = parts[1], case .bulk(let n) = names[0] else {
                return XCTFail("not an invalidation")
            }
            evicted.insert(text(n))
        }
        XCTAssertEqual(evicted.count, 6)
        XCTAssertTrue(evicted.isSubset(of: Set(keys)))
        XCTAssertEqual(try info(w, "tracking_total_keys"), "4")
        try w.call("CONFIG", "SET", "tracking-table-max-keys", "0")
        try w.call("FLUSHALL", "ASYNC")
        XCTAssertEqual(try nextRaw(r), ">2\r\n$10\r\ninvalidate\r\n$-1\r\n")
        XCTAssertEqual(try info(w, "tracking_total_keys"), "0")
        XCTAssertEqual(try info(w, "tracking_total_items"), "0")
    }

    func testSwapdbKeepsTrackedNamesAsRedis70() throws {
        let s = try TestServer(["io-threads": "2"])
        let t = try s.connect(), w = try s.connect()
        try resp3(t)
        try t.call("CLIENT", "TRACKING", "on")
        try t.call("GET", "s")
        try w.call("SWAPDB", "0", "1")
        // Names are tracked whatever the database: a write in db 1 is announced.
        try w.call("SELECT", "1")
        try w.call("SET", "s", "1")
        XCTAssertEqual(try nextRaw(t), push("s"))
    }

    func testScriptsTrackTheirDeclaredKeysOnlyWhenTheyRead() throws {
        let s = try TestServer(["io-threads": "2"])
        let t = try s.connect(), w = try s.connect()
        try resp3(t)
        try t.call("CLIENT", "TRACKING", "on")
        try t.call("EVAL", "redis.call('set', 'k3{t}', 'bar')", "2", "k1{t}", "k2{t}")
        try w.call("MSET", "k2{t}", "1", "k1{t}", "1")
        try t.call("EVAL", "redis.call('get', 'k3{t}')", "2", "k1{t}", "k2{t}")
        try w.call("MSET", "k2{t}", "2", "k1{t}", "2", "k3{t}", "2")
        XCTAssertEqual(try nextRaw(t), push("k2{t}"))
        XCTAssertEqual(try nextRaw(t), push("k1{t}"))
        try t.call("EVAL_RO", "redis.call('ping')", "1", "k1{t}")
        try t.call("EVAL_RO", "return redis.call('get', 'k2{t}')", "1", "k2{t}")
        try w.call("MSET", "k1{t}", "3", "k2{t}", "3")
        XCTAssertEqual(try nextRaw(t), push("k2{t}"))
        XCTAssertEqual(try exchange(t, "PING"), "+PONG\r\n")
        // NOLOOP: the caller's script writes are its own.
        try t.call("CLIENT", "TRACKING", "on", "NOLOOP")
        try t.call("GET", "k1{t}")
        XCTAssertEqual(try exchange(t, "EVAL", "return redis.call('set', KEYS[1], '4')", "1", "k1{t}"), "+OK\r\n")
        XCTAssertEqual(try exchange(t, "GET", "k1{t}"), "$1\r\n4\r\n")
    }

    func testServedBlockedClientHearsAfterItsReply() throws {
        let s = try TestServer(["io-threads": "2"])
        let b = try s.connect(), w = try s.connect()
        try resp3(b)
        try w.call("RPUSH", "dst{t}", "a")
        try b.call("CLIENT", "TRACKING", "on")
        try b.call("LRANGE", "dst{t}", "0", "-1")
        try b.send(["BLMOVE", "src{t}", "dst{t}", "LEFT", "LEFT", "0"])
        for _ in 0..<200 {
            if try info(w, "blocked_clients") == "1" { break }
            usleep(5000)
        }
        try w.call("RPUSH", "src{t}", "foo")
        XCTAssertEqual(try nextRaw(b), "$3\r\nfoo\r\n")
        XCTAssertEqual(try nextRaw(b), push("dst{t}"))
    }

    func testPushesArriveWithRepliesOff() throws {
        let s = try TestServer(["io-threads": "2"])
        let t = try s.connect(), w = try s.connect()
        try resp3(t)
        try t.call("CLIENT", "TRACKING", "on")
        try t.call("GET", "foo")
        try t.send(["CLIENT", "REPLY", "OFF"])
        try w.call("SET", "foo", "bar")
        XCTAssertEqual(try nextRaw(t), push("foo"))
        XCTAssertEqual(try exchange(t, "CLIENT", "REPLY", "ON"), "+OK\r\n")
        XCTAssertEqual(try exchange(t, "PING"), "+PONG\r\n")
    }
}
