import CinnabarClient
import XCTest

/// maxmemory: eviction by policy, and -OOM when nothing can be evicted.
final class EvictionTests: XCTestCase {
    private func used(_ c: RedisConnection) throws -> Int {
        let info = try c.call("INFO", "memory").string ?? ""
        let line = info.split(separator: "\r\n").first { $0.hasPrefix("used_memory:") } ?? ""
        return Int(line.dropFirst("used_memory:".count)) ?? 0
    }

    private func fill(_ c: RedisConnection, _ n: Int, prefix: String, expire: Bool = false) throws {
        var batch: [[String]] = []
        for i in 0..<n {
            batch.append(expire ? ["SET", "\(prefix)\(i)", String(repeating: "v", count: 100), "EX", "1000"]
                         : ["SET", "\(prefix)\(i)", String(repeating: "v", count: 100)])
            if batch.count == 1000 { _ = try c.pipeline(batch); batch.removeAll() }
        }
        if !batch.isEmpty { _ = try c.pipeline(batch) }
    }

    func testAllKeysPoliciesEvictUnderTheLimit() throws {
        for policy in ["allkeys-random", "allkeys-lru", "allkeys-lfu"] {
            let s = try TestServer(mode: .binary)
            let c = try s.connect()
            try fill(c, 30_000, prefix: "k")
            let before = try used(c)
            let limit = before - 1_000_000
            try c.call("CONFIG", "SET", "maxmemory-policy", policy)
            try c.call("CONFIG", "SET", "maxmemory", String(limit))
            XCTAssertEqual(try c.call("SET", "new", "value"), .simple("OK"), policy)
            // Eviction runs before a command, as in Redis, so the command's own
            // allocation (and the client's buffers) may sit a little above the limit;
            // without eviction usage would stay about 1 MB above it.
            XCTAssertLessThanOrEqual(try used(c), limit + 16_384, policy)
            let keys = try c.call("DBSIZE").int ?? 0
            XCTAssertLessThan(keys, 30_000, policy)
            XCTAssertGreaterThan(keys, 0, policy)
            let stats = try c.call("INFO", "stats").string ?? ""
            let evicted = Int(stats.split(separator: "\r\n").first { $0.hasPrefix("evicted_keys:") }?.dropFirst(13) ?? "") ?? 0
            XCTAssertGreaterThanOrEqual(evicted, 30_001 - Int(keys), policy)
        }
    }

    func testVolatilePoliciesOnlyEvictKeysWithATTL() throws {
        let s = try TestServer(mode: .binary)
        let c = try s.connect()
        try fill(c, 5000, prefix: "persistent")
        try fill(c, 20_000, prefix: "volatile", expire: true)
        try c.call("CONFIG", "SET", "maxmemory-policy", "volatile-ttl")
        try c.call("CONFIG", "SET", "maxmemory", String(try used(c) - 1_000_000))
        try c.call("SET", "new", "value")
        for i in stride(from: 0, to: 5000, by: 97) {
            XCTAssertEqual(try c.call("EXISTS", "persistent\(i)"), .integer(1), "a key without a TTL was evicted")
        }
    }

    func testNoEvictionRefusesWritesButServesReads() throws {
        let s = try TestServer(mode: .binary)
        let c = try s.connect()
        try c.call("SET", "k", "v")
        try c.call("CONFIG", "SET", "maxmemory", "1")
        XCTAssertThrowsError(try c.call("SET", "k2", "v")) { e in
            XCTAssertEqual((e as? RESPError)?.message, "OOM command not allowed when used memory > 'maxmemory'.")
        }
        XCTAssertEqual(try c.call("GET", "k"), .bulk(Array("v".utf8)))
        XCTAssertEqual(try c.call("DEL", "k"), .integer(1), "DEL is not refused: it frees memory")
        try c.call("CONFIG", "SET", "maxmemory", "0")
        XCTAssertEqual(try c.call("SET", "k2", "v"), .simple("OK"))
    }

    /// Lowering maxmemory evicts at once, with `evicted` keyspace events.
    func testConfigSetMaxmemoryEvictsAtOnce() throws {
        let s = try TestServer(mode: .binary)
        let c = try s.connect(), sub = try s.connect()
        try c.call("CONFIG", "SET", "notify-keyspace-events", "Ee")
        try c.call("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
        _ = try sub.call("PSUBSCRIBE", "*")
        try c.call("SET", "foo", "bar")
        try c.call("CONFIG", "SET", "maxmemory", "1")
        // No further command on `c`: the eviction happened during CONFIG SET.
        sub.setTimeout(5)
        XCTAssertEqual(try sub.read(), .array([.bulk(Array("pmessage".utf8)), .bulk(Array("*".utf8)),
                                              .bulk(Array("__keyevent@0__:evicted".utf8)), .bulk(Array("foo".utf8))]))
        try c.call("CONFIG", "SET", "maxmemory", "0")
        XCTAssertEqual(try c.call("DBSIZE"), .integer(0))
    }

    /// A command right after one that grew memory sees the growth, even
    /// within the same millisecond (pipelined): memory samples are not reused
    /// across writes.
    func testEvictionFollowsAGrowingWriteAtOnce() throws {
        let s = try TestServer(mode: .binary)
        let c = try s.connect()
        try c.call("CONFIG", "SET", "maxmemory-policy", "volatile-random")
        try c.call("SETEX", "volatile", "10000", "x")
        try c.call("CONFIG", "SET", "maxmemory", String(try used(c) + 100 * 1024))
        let replies = try c.pipeline([["SETBIT", "big", "1600000", "0"], ["EXISTS", "volatile"]])
        XCTAssertEqual(replies, [.integer(0), .integer(0)],
                       "the 200 KB SETBIT put memory over the limit: the next command evicts first")
        try c.call("CONFIG", "SET", "maxmemory", "0")
    }
}
