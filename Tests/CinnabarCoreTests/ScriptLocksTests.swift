import CinnabarCore
import Foundation
import XCTest

/// Scripts that start holding only their declared keys' shards: a busy shard
/// met on the way makes the run be undone and repeated holding every shard,
/// and the result is as if it ran once.
final class ScriptLocksTests: XCTestCase {
    private func shard(_ h: Harness, _ key: String) -> Int {
        h.server.keyspace.shardIndex(KeyHash.hash(Array(key.utf8)))
    }

    /// A key named `prefix:<n>` in shard `s` (or, with `notIn`, outside those shards).
    private func key(_ h: Harness, _ prefix: String, in s: Int? = nil, notIn avoid: Set<Int> = []) -> String {
        for n in 0..<100_000 {
            let k = "\(prefix):\(n)"
            let i = shard(h, k)
            if let s, i != s { continue }
            if avoid.contains(i) { continue }
            return k
        }
        fatalError("no key found")
    }

    /// Holds shard `s` from another thread until `millis` have passed; returns once it is held.
    private func holdShard(_ h: Harness, _ s: Int, millis: UInt32) -> DispatchGroup {
        let held = DispatchSemaphore(value: 0)
        let done = DispatchGroup()
        done.enter()
        Thread.detachNewThread {
            h.server.keyspace.withShardLocked(s) { _ in
                held.signal()
                usleep(millis * 1000)
            }
            done.leave()
        }
        held.wait()
        return done
    }

    private func calls(_ h: Harness, _ command: String) -> Int {
        let info = h.run("INFO", "commandstats")
        guard let line = info.split(separator: "\r\n").first(where: { $0.hasPrefix("cmdstat_\(command):") }),
              let field = line.split(separator: ",").first?.split(separator: "=").last else { return 0 }
        return Int(field) ?? 0
    }

    func testConflictUndoesEveryTypeAndRepeatsOnce() {
        let h = Harness()
        let busy = shard(h, "undeclared")
        let keys = ["s", "h", "l", "st", "z", "fresh", "gone"].map { key(h, $0, notIn: [busy]) }
        let (s, hk, l, st, z, fresh, gone) = (keys[0], keys[1], keys[2], keys[3], keys[4], keys[5], keys[6])
        h.run("SET", s, "10")
        h.run("HSET", hk, "f", "1")
        h.run("RPUSH", l, "a", "b")
        h.run("SADD", st, "x")
        h.run("ZADD", z, "1", "m")
        h.run("SET", gone, "here", "EX", "1000")
        h.run("SET", "undeclared", "u")
        let script = """
            local r = {}
            r[1] = redis.call('incr', KEYS[1])
            r[2] = redis.call('hincrby', KEYS[2], 'f', 1)
            r[3] = redis.call('rpush', KEYS[3], 'c')
            r[4] = redis.call('sadd', KEYS[4], 'y')
            r[5] = redis.call('zincrby', KEYS[5], 1, 'm')
            r[6] = redis.call('set', KEYS[6], 'v')
            r[7] = redis.call('del', KEYS[7])
            r[8] = redis.call('get', ARGV[1])
            return r
            """
        let holder = holdShard(h, busy, millis: 150)
        let reply = h.run((["EVAL", script, "7"] + keys + ["undeclared"]).map { Array($0.utf8) })
        holder.wait()
        XCTAssertEqual(reply, R.array([R.int(11), R.int(2), R.int(3), R.int(1), R.bulk("2"), R.ok, R.int(1), R.bulk("u")]))
        // Each write applied exactly once.
        XCTAssertEqual(h.run("GET", s), R.bulk("11"))
        XCTAssertEqual(h.run("HGET", hk, "f"), R.bulk("2"))
        XCTAssertEqual(h.run("LRANGE", l, "0", "-1"), R.bulks(["a", "b", "c"]))
        XCTAssertEqual(h.run("SMEMBERS", st).count, R.bulks(["x", "y"]).count)
        XCTAssertEqual(h.run("ZSCORE", z, "m"), R.bulk("2"))
        XCTAssertEqual(h.run("GET", fresh), R.bulk("v"))
        XCTAssertEqual(h.run("EXISTS", gone), R.int(0))
        // The first attempt ran and was abandoned: its INCR counted, its effect did not stay.
        XCTAssertEqual(calls(h, "incr"), 2)
    }

    func testUndoRestoresExpiryAndDeletedKeys() {
        let h = Harness()
        let busy = shard(h, "undeclared")
        let k = key(h, "ttl", notIn: [busy])
        h.run("SET", k, "old", "EX", "1000")
        let holder = holdShard(h, busy, millis: 100)
        // The first attempt deletes and recreates the key without expiry, then
        // meets the busy shard; the repeat must see the key as it was.
        let script = """
            local before = redis.call('get', KEYS[1])
            local ttl = redis.call('ttl', KEYS[1])
            redis.call('del', KEYS[1])
            redis.call('set', KEYS[1], 'new')
            redis.call('get', ARGV[1])
            return {before, ttl > 0 and 1 or 0}
            """
        let reply = h.run("EVAL", script, "1", k, "undeclared")
        holder.wait()
        XCTAssertEqual(reply, R.array([R.bulk("old"), R.int(1)]))
        XCTAssertEqual(h.run("GET", k), R.bulk("new"))
        XCTAssertEqual(h.run("TTL", k), R.int(-1))
    }

    func testPcallCannotKeepAnAbandonedRunGoing() {
        let h = Harness()
        let busy = shard(h, "undeclared")
        let k = key(h, "counter", notIn: [busy])
        h.run("SET", k, "10")
        let holder = holdShard(h, busy, millis: 100)
        let script = """
            redis.call('incr', KEYS[1])
            local ok = pcall(redis.call, 'get', ARGV[1])
            redis.call('incr', KEYS[1])
            return redis.call('get', KEYS[1])
            """
        let reply = h.run("EVAL", script, "1", k, "undeclared")
        holder.wait()
        XCTAssertEqual(reply, R.bulk("12"))
        XCTAssertEqual(h.run("GET", k), R.bulk("12"))
    }

    func testLargeValuesMakeTheRunTakeEveryShard() {
        let h = Harness()
        let busy = shard(h, "undeclared")
        let big = key(h, "big", notIn: [busy])
        h.run((["RPUSH", big] + (0..<2000).map { "e\($0)" }).map { Array($0.utf8) })
        // No contention: the run takes every shard before writing the large list and completes.
        XCTAssertEqual(h.run("EVAL", "return redis.call('rpush', KEYS[1], 'x')", "1", big), R.int(2001))
        // With a busy shard, taking every shard fails before anything is written; the run is repeated.
        let holder = holdShard(h, busy, millis: 100)
        XCTAssertEqual(h.run("EVAL", "return redis.call('rpush', KEYS[1], 'y')", "1", big), R.int(2002))
        holder.wait()
        XCTAssertEqual(h.run("LLEN", big), R.int(2002))
        XCTAssertEqual(h.run("LINDEX", big, "-1"), R.bulk("y"))
    }

    func testCommandsNeedingEveryShardAndUndeclaredWritesWork() {
        let h = Harness()
        h.run("SET", "a", "1")
        h.run("SET", "b", "2")
        // KEYS needs every shard; writing an undeclared key takes its shard on the way.
        XCTAssertEqual(h.run("EVAL", "redis.call('set', 'c', '3'); return #redis.call('keys', '*')", "0"), R.int(3))
        XCTAssertEqual(h.run("EVAL", "return redis.call('dbsize')", "1", "a"), R.int(3))
        XCTAssertEqual(h.run("EVAL", "redis.call('incr', 'a'); return redis.call('mget', 'a', 'b', 'c')", "0"), R.bulks(["2", "2", "3"]))
        // MOVE reaches another database: it runs holding every shard.
        XCTAssertEqual(h.run("EVAL", "return redis.call('move', KEYS[1], 5)", "1", "c"), R.int(1))
        XCTAssertEqual(h.run("SELECT", "5"), R.ok)
        XCTAssertEqual(h.run("GET", "c"), R.bulk("3"))
    }
}
