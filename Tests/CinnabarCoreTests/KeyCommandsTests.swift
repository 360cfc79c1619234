@testable import CinnabarCore
import Glibc
import XCTest

/// An aggregate value for exercising the generic commands on non-string types
/// (the real list/set/hash types live in their own families).
private final class FakeList: StoredObject {
    var items: [String]
    init(_ items: [String]) { self.items = items }
    override var valueType: ValueType { .list }
    override func duplicate() -> StoredObject { FakeList(items) }
    override var encodingName: String { "quicklist" }
    override var elementCount: Int { items.count }
}

/// A SCAN reply split into its cursor and keys.
private func scanReply(_ reply: String) -> (cursor: String, keys: [String]) {
    let all = bulkStrings(reply)
    return (all[0], Array(all.dropFirst()))
}

private extension Harness {
    /// The live entry for `key` in database `db`, looked up without side effects.
    func entry(_ key: String, db: Int = 0) -> Entry? {
        Array(key.utf8).withBytes { server.keyspace.database(db, now: Sys.unixMillis(), observer: nil).peek(Key($0)) }
    }

    func storeList(_ key: String, _ items: [String], db: Int = 0) {
        Array(key.utf8).withBytes {
            _ = server.keyspace.database(db, now: Sys.unixMillis(), observer: nil).setObject(Key($0), FakeList(items))
        }
    }

    /// Records keyspace notifications as "channel message" strings.
    func recordNotifications() -> () -> [String] {
        final class Box { var events: [String] = [] }
        let box = Box()
        server.keyspaceEventSink = { channel, message in
            box.events.append(String(decoding: channel, as: UTF8.self) + " " + String(decoding: message, as: UTF8.self))
        }
        return {
            defer { box.events.removeAll() }
            return box.events
        }
    }

    /// Records WATCH invalidations as "db:key" strings.
    func recordSignals() -> () -> [String] {
        final class Box { var signals: [String] = [] }
        let box = Box()
        server.watchedKeys.store(1, ordering: .relaxed)
        server.watchInvalidator = { db, key in box.signals.append("\(db):\(key.bytes.string)") }
        return {
            defer { box.signals.removeAll() }
            return box.signals
        }
    }

    func run(_ args: [String]) -> String {
        run(args.map { Array($0.utf8) })
    }
}

/// The value of an integer reply.
private func integer(_ reply: String) -> Int {
    Int(String(decoding: reply.utf8.dropFirst().dropLast(2), as: UTF8.self))!
}

final class KeyCommandsTests: XCTestCase {
    func testDelUnlinkExists() {
        let h = Harness()
        h.run("SET", "a", "1")
        h.run("SET", "b", "2")
        h.storeList("big", (0..<100).map(String.init))
        XCTAssertEqual(h.run("EXISTS", "a", "a", "b", "nokey"), R.int(3))
        XCTAssertEqual(h.run("DEL", "a", "nokey", "a"), R.int(1))
        XCTAssertEqual(h.run("UNLINK", "b", "big", "nokey"), R.int(2))
        XCTAssertEqual(h.run("EXISTS", "a", "b", "big"), R.int(0))
        XCTAssertEqual(h.run("DEL"), R.err("ERR wrong number of arguments for 'del' command"))
        XCTAssertEqual(h.run("UNLINK"), R.err("ERR wrong number of arguments for 'unlink' command"))
        XCTAssertEqual(h.run("EXISTS"), R.err("ERR wrong number of arguments for 'exists' command"))
    }

    func testDelEventsAndSignals() {
        let h = Harness(["notify-keyspace-events": "KEA"])
        let events = h.recordNotifications()
        let signals = h.recordSignals()
        h.run("SET", "a", "1")
        _ = events()
        _ = signals()
        let dirty = h.server.dirty.load(ordering: .relaxed)
        h.run("DEL", "a", "nokey")
        XCTAssertEqual(events(), ["__keyspace@0__:a del", "__keyevent@0__:del a"])
        XCTAssertEqual(signals(), ["0:a"])
        XCTAssertEqual(h.server.dirty.load(ordering: .relaxed), dirty + 1)
    }

    func testExpiredKeysAreGoneForDel() {
        let h = Harness(["notify-keyspace-events": "KEA"])
        let events = h.recordNotifications()
        h.run("SET", "k", "v", "PX", "1")
        usleep(5000)
        _ = events()
        let expired = h.server.expiredKeys.load(ordering: .relaxed)
        XCTAssertEqual(h.run("DEL", "k"), R.int(0))
        XCTAssertEqual(events(), ["__keyspace@0__:k expired", "__keyevent@0__:expired k"])
        XCTAssertEqual(h.server.expiredKeys.load(ordering: .relaxed), expired + 1)
    }

    func testType() {
        let h = Harness()
        h.run("SET", "s", "v")
        h.storeList("l", ["x"])
        XCTAssertEqual(h.run("TYPE", "s"), R.status("string"))
        XCTAssertEqual(h.run("TYPE", "l"), R.status("list"))
        XCTAssertEqual(h.run("TYPE", "nokey"), R.status("none"))
        XCTAssertEqual(h.run("TYPE"), R.err("ERR wrong number of arguments for 'type' command"))
        XCTAssertEqual(h.run("TYPE", "a", "b"), R.err("ERR wrong number of arguments for 'type' command"))
    }

    func testReadLookupsCountHitsAndMissesAndKeymiss() {
        let h = Harness(["notify-keyspace-events": "Em"])
        let events = h.recordNotifications()
        let stats = h.server.contexts[0].stats
        h.run("SET", "a", "1")
        let hits = stats.keyspaceHits, misses = stats.keyspaceMisses
        h.run("EXISTS", "a", "nokey")
        h.run("TYPE", "a")
        h.run("TTL", "nokey")
        XCTAssertEqual(stats.keyspaceHits, hits + 2)
        XCTAssertEqual(stats.keyspaceMisses, misses + 2)
        XCTAssertEqual(events(), ["__keyevent@0__:keymiss nokey", "__keyevent@0__:keymiss nokey"])
        h.run("OBJECT", "ENCODING", "nokey")
        XCTAssertEqual(stats.keyspaceMisses, misses + 3)
        XCTAssertEqual(events(), [], "OBJECT emits no keymiss")
    }

    func testTouch() {
        let h = Harness()
        h.run("SET", "a", "1")
        let e = h.entry("a")!
        e.accessClock = Clock.seconds &- 100
        XCTAssertEqual(h.run("OBJECT", "IDLETIME", "a"), R.int(100))
        XCTAssertEqual(h.run("TOUCH", "a", "b", "a"), R.int(2))
        XCTAssertEqual(h.run("OBJECT", "IDLETIME", "a"), R.int(0))
        XCTAssertEqual(h.run("TOUCH"), R.err("ERR wrong number of arguments for 'touch' command"))
    }

    func testKeys() {
        let h = Harness()
        for k in ["key_x", "key_y", "foo_a", "foo_b", "f?o"] { h.run("SET", k, "v") }
        h.run("SET", "gone", "v", "PX", "1")
        usleep(5000)
        XCTAssertEqual(bulkStrings(h.run("KEYS", "foo*")).sorted(), ["foo_a", "foo_b"])
        XCTAssertEqual(bulkStrings(h.run("KEYS", "*")).sorted(), ["f?o", "foo_a", "foo_b", "key_x", "key_y"])
        XCTAssertEqual(bulkStrings(h.run("KEYS", "f\\?o")), ["f?o"])
        XCTAssertEqual(h.run("KEYS", "nomatch*"), "*0\r\n")
        XCTAssertEqual(h.run("DBSIZE"), R.int(6), "KEYS does not delete expired keys")
        XCTAssertEqual(h.run("KEYS"), R.err("ERR wrong number of arguments for 'keys' command"))
        XCTAssertEqual(h.run("KEYS", "a", "b"), R.err("ERR wrong number of arguments for 'keys' command"))
    }

    func testScanArguments() {
        let h = Harness()
        XCTAssertEqual(h.run("SCAN", "0", "COUNT", "1"), R.array([R.bulk("0"), "*0\r\n"]), "an empty database completes at once")
        h.run("SET", "k", "v")
        let single = R.array([R.bulk("0"), R.bulks(["k"])])
        XCTAssertEqual(h.run("SCAN", "0"), single)
        XCTAssertEqual(h.run("SCAN", ""), single)
        XCTAssertEqual(h.run("SCAN", "+0"), single)
        for bad in [" 0", "0 ", "-", "+", "x", "18446744073709551616", "0x10"] {
            XCTAssertEqual(h.run("SCAN", bad), R.err("ERR invalid cursor"), bad)
        }
        XCTAssertEqual(h.run("SCAN", "0", "COUNT", "0"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("SCAN", "0", "COUNT", "-1"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("SCAN", "0", "COUNT", "x"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("SCAN", "0", "COUNT", "9223372036854775808"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("SCAN", "0", "COUNT", "9223372036854775807"), single)
        XCTAssertEqual(h.run("SCAN", "0", "MATCH"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("SCAN", "0", "TYPE"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("SCAN", "0", "FOO", "bar"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("SCAN", "x", "FOO", "bar"), R.err("ERR invalid cursor"), "the cursor is checked first")
        XCTAssertEqual(h.run("SCAN", "0", "count", "10", "COUNT", "5", "match", "k*"), single)
        XCTAssertEqual(h.run("SCAN", "0", "MATCH", "z*"), R.array([R.bulk("0"), "*0\r\n"]))
        XCTAssertEqual(h.run("SCAN", "0", "TYPE", "STRING"), single)
        XCTAssertEqual(h.run("SCAN", "0", "TYPE", "foo"), R.array([R.bulk("0"), "*0\r\n"]))
        XCTAssertEqual(h.run("SCAN"), R.err("ERR wrong number of arguments for 'scan' command"))
    }

    func testScanFiltersTypesPatternsAndExpiredKeys() {
        let h = Harness()
        for i in 0..<50 { h.run("SET", "s\(i)", "v") }
        for i in 0..<20 { h.storeList("l\(i)", ["x"]) }
        for i in 0..<10 { h.run("SET", "e\(i)", "v", "PX", "1") }
        usleep(5000)
        func fullScan(_ options: String...) -> [String] {
            var cursor = "0"
            var keys: [String] = []
            repeat {
                let r = scanReply(h.run(["SCAN", cursor] + options))
                cursor = r.cursor
                keys += r.keys
            } while cursor != "0"
            return keys.sorted()
        }
        XCTAssertEqual(fullScan(), ((0..<50).map { "s\($0)" } + (0..<20).map { "l\($0)" }).sorted())
        XCTAssertEqual(h.run("DBSIZE"), R.int(70), "SCAN deletes the expired keys it meets")
        XCTAssertEqual(fullScan("TYPE", "list"), (0..<20).map { "l\($0)" }.sorted())
        XCTAssertEqual(fullScan("MATCH", "s1*", "COUNT", "3"), ["s1"] + (10..<20).map { "s\($0)" }.sorted())
        XCTAssertEqual(fullScan("TYPE", "string", "MATCH", "l*"), [])
    }

    func testScanCountBoundsWork() {
        let h = Harness()
        for i in 0..<1000 { h.run("SET", "k\(i)", "v") }
        let r = scanReply(h.run("SCAN", "0", "COUNT", "100"))
        XCTAssertNotEqual(r.cursor, "0")
        XCTAssertGreaterThanOrEqual(r.keys.count, 100)
        XCTAssertLessThan(r.keys.count, 200)
        let all = scanReply(h.run("SCAN", "0", "COUNT", "5000"))
        XCTAssertEqual(all.cursor, "0")
        XCTAssertEqual(all.keys.count, 1000)
    }

    /// Every key present for the whole iteration is returned, while other keys
    /// come and go and the tables grow and shrink between calls.
    func testScanCompletenessUnderWrites() {
        let h = Harness()
        for i in 0..<2000 { h.run("SET", "stable:\(i)", "v") }
        for i in 0..<500 { h.run("SET", "churn:\(i)", "v") }
        var seen = Set<String>()
        var cursor = "0"
        var step = 0
        var added = 0
        repeat {
            let r = scanReply(h.run("SCAN", cursor, "COUNT", "7"))
            cursor = r.cursor
            seen.formUnion(r.keys)
            // Remove churn keys and add many new ones, forcing resizes.
            if step < 250 {
                h.run("DEL", "churn:\(step * 2)", "churn:\(step * 2 + 1)")
                for _ in 0..<20 {
                    h.run("SET", "new:\(added)", "v")
                    added += 1
                }
            }
            step += 1
        } while cursor != "0"
        let missing = (0..<2000).map { "stable:\($0)" }.filter { !seen.contains($0) }
        XCTAssertEqual(missing, [])
        XCTAssertGreaterThan(step, 10)
    }

    func testScanCompletenessWhileShrinking() {
        let h = Harness()
        for i in 0..<300 { h.run("SET", "stable:\(i)", "v") }
        for i in 0..<5000 { h.run("SET", "drop:\(i)", "v") }
        var seen = Set<String>()
        var cursor = "0"
        var next = 0
        repeat {
            let r = scanReply(h.run("SCAN", cursor, "COUNT", "20"))
            cursor = r.cursor
            seen.formUnion(r.keys)
            for _ in 0..<400 where next < 5000 {
                h.run("DEL", "drop:\(next)")
                next += 1
            }
            h.server.keyspace.withAllLocked {
                for s in h.server.keyspace.shards {
                    s.dbs[0].shrinkIfNeeded()
                    s.dbs[0].rehash(buckets: 1000)
                }
            }
        } while cursor != "0"
        XCTAssertEqual((0..<300).map { "stable:\($0)" }.filter { !seen.contains($0) }, [])
    }

    func testRandomKey() {
        let h = Harness()
        XCTAssertEqual(h.run("RANDOMKEY"), R.null)
        h.run("SET", "foo", "x")
        h.run("SET", "bar", "y")
        var seen = Set<String>()
        for _ in 0..<200 { seen.formUnion(bulkStrings(h.run("RANDOMKEY"))) }
        XCTAssertEqual(seen, ["foo", "bar"])
        h.run("FLUSHALL")
        for i in 0..<300 { h.run("SET", "e\(i)", "v", "PX", "1") }
        usleep(5000)
        XCTAssertEqual(h.run("RANDOMKEY"), R.null, "expired keys are deleted until none is left")
        XCTAssertEqual(h.run("DBSIZE"), R.int(0))
        h.run("HELLO", "3")
        XCTAssertEqual(h.run("RANDOMKEY"), "_\r\n")
        XCTAssertEqual(h.run("RANDOMKEY", "x"), R.err("ERR wrong number of arguments for 'randomkey' command"))
    }

    func testRename() {
        let h = Harness(["notify-keyspace-events": "KEAn"])
        XCTAssertEqual(h.run("RENAME", "nokey", "x"), R.err("ERR no such key"))
        XCTAssertEqual(h.run("RENAMENX", "nokey", "x"), R.err("ERR no such key"))
        XCTAssertEqual(h.run("RENAME", "nokey", "nokey"), R.err("ERR no such key"))
        h.run("SET", "a", "hello")
        XCTAssertEqual(h.run("RENAME", "a", "a"), R.ok)
        XCTAssertEqual(h.run("RENAMENX", "a", "a"), R.int(0))
        let events = h.recordNotifications()
        let signals = h.recordSignals()
        let dirty = h.server.dirty.load(ordering: .relaxed)
        XCTAssertEqual(h.run("RENAME", "a", "b"), R.ok)
        XCTAssertEqual(events(), [
            "__keyspace@0__:b new", "__keyevent@0__:new b",
            "__keyspace@0__:a rename_from", "__keyevent@0__:rename_from a",
            "__keyspace@0__:b rename_to", "__keyevent@0__:rename_to b",
        ])
        XCTAssertEqual(signals(), ["0:a", "0:b"])
        XCTAssertEqual(h.server.dirty.load(ordering: .relaxed), dirty + 1)
        XCTAssertEqual(h.run("GET", "b"), R.bulk("hello"))
        XCTAssertEqual(h.run("EXISTS", "a"), R.int(0))

        // The TTL moves with the value; the target's own TTL does not survive.
        h.run("SET", "src", "1", "EX", "100")
        h.run("RENAME", "src", "dst")
        XCTAssertEqual(h.run("TTL", "dst"), R.int(100))
        h.run("SET", "p", "plain")
        h.run("SET", "v", "old", "EX", "100")
        h.run("RENAME", "p", "v")
        XCTAssertEqual(h.run("TTL", "v"), R.int(-1))
        XCTAssertEqual(h.run("GET", "v"), R.bulk("plain"))

        h.run("SET", "x", "1")
        h.run("SET", "y", "2")
        XCTAssertEqual(h.run("RENAMENX", "x", "y"), R.int(0))
        XCTAssertEqual(h.run("RENAMENX", "x", "z"), R.int(1))
        XCTAssertEqual(h.run("GET", "z"), R.bulk("1"))
        h.storeList("list", ["q"])
        h.run("RENAME", "list", "list2")
        XCTAssertEqual(h.run("TYPE", "list2"), R.status("list"))
        XCTAssertEqual(h.run("RENAME", "a"), R.err("ERR wrong number of arguments for 'rename' command"))
    }

    func testRenameOntoExpiredKey() {
        let h = Harness()
        h.run("SET", "dst", "old", "PX", "1")
        h.run("SET", "src", "new")
        usleep(5000)
        XCTAssertEqual(h.run("RENAMENX", "src", "dst"), R.int(1))
        XCTAssertEqual(h.run("GET", "dst"), R.bulk("new"))
    }

    func testMove() {
        let h = Harness(["notify-keyspace-events": "KEAn"])
        h.run("SET", "a", "1")
        XCTAssertEqual(h.run("MOVE", "a", "x"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("MOVE", "a", " 1"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("MOVE", "a", "99999999999999999999"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("MOVE", "a", "2147483648"), R.err("ERR value is out of range, value must between -2147483648 and 2147483647"))
        XCTAssertEqual(h.run("MOVE", "a", "16"), R.err("ERR DB index is out of range"))
        XCTAssertEqual(h.run("MOVE", "a", "-1"), R.err("ERR DB index is out of range"))
        XCTAssertEqual(h.run("MOVE", "a", "0"), R.err("ERR source and destination objects are the same"))
        XCTAssertEqual(h.run("MOVE", "nokey", "1"), R.int(0))
        h.run("SET", "a", "v", "EX", "100")
        let events = h.recordNotifications()
        let signals = h.recordSignals()
        XCTAssertEqual(h.run("MOVE", "a", "3"), R.int(1))
        XCTAssertEqual(events(), [
            "__keyspace@3__:a new", "__keyevent@3__:new a",
            "__keyspace@0__:a move_from", "__keyevent@0__:move_from a",
            "__keyspace@3__:a move_to", "__keyevent@3__:move_to a",
        ])
        XCTAssertEqual(signals(), ["0:a", "3:a"])
        XCTAssertEqual(h.run("EXISTS", "a"), R.int(0))
        h.run("SELECT", "3")
        XCTAssertEqual(h.run("GET", "a"), R.bulk("v"))
        XCTAssertEqual(h.run("TTL", "a"), R.int(100))
        h.run("SET", "b", "in3")
        h.run("SELECT", "0")
        h.run("SET", "b", "in0")
        XCTAssertEqual(h.run("MOVE", "b", "3"), R.int(0), "the target already has the key")
        XCTAssertEqual(h.run("GET", "b"), R.bulk("in0"))
    }

    func testCopy() {
        let h = Harness(["notify-keyspace-events": "KEAn"])
        h.run("SET", "a", "1")
        XCTAssertEqual(h.run("COPY", "a", "b", "DB"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("COPY", "a", "b", "DB", "x"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("COPY", "a", "b", "DB", "99"), R.err("ERR DB index is out of range"))
        XCTAssertEqual(h.run("COPY", "a", "b", "DB", "2147483648"), R.err("ERR value is out of range, value must between -2147483648 and 2147483647"))
        XCTAssertEqual(h.run("COPY", "a", "a"), R.err("ERR source and destination objects are the same"))
        XCTAssertEqual(h.run("COPY", "a", "a", "DB", "0"), R.err("ERR source and destination objects are the same"))
        XCTAssertEqual(h.run("COPY", "a", "a", "REPLACE", "x"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("COPY", "a"), R.err("ERR wrong number of arguments for 'copy' command"))
        XCTAssertEqual(h.run("COPY", "nokey", "b"), R.int(0))

        let events = h.recordNotifications()
        let signals = h.recordSignals()
        XCTAssertEqual(h.run("COPY", "a", "a", "DB", "1"), R.int(1))
        XCTAssertEqual(events(), ["__keyspace@1__:a new", "__keyevent@1__:new a", "__keyspace@1__:a copy_to", "__keyevent@1__:copy_to a"])
        XCTAssertEqual(signals(), ["1:a"])
        XCTAssertEqual(h.run("OBJECT", "REFCOUNT", "a"), R.int(2147483647))
        h.run("SELECT", "1")
        XCTAssertEqual(h.run("GET", "a"), R.bulk("1"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "a"), R.bulk("int"))
        XCTAssertEqual(h.run("OBJECT", "REFCOUNT", "a"), R.int(1), "a copied integer is not shared")
        h.run("SELECT", "0")

        h.run("SET", "b", "other")
        XCTAssertEqual(h.run("COPY", "a", "b"), R.int(0))
        XCTAssertEqual(h.run("COPY", "a", "b", "REPLACE", "REPLACE"), R.int(1))
        XCTAssertEqual(h.run("GET", "b"), R.bulk("1"))
        h.run("SET", "b", "2")
        XCTAssertEqual(h.run("GET", "a"), R.bulk("1"), "the copy is independent")

        h.run("SET", "t", "v", "EX", "100")
        h.run("COPY", "t", "t2")
        XCTAssertEqual(h.run("TTL", "t2"), R.int(100))
        h.run("COPY", "b", "t2", "REPLACE")
        XCTAssertEqual(h.run("TTL", "t2"), R.int(-1))

        h.storeList("l", ["x", "y"])
        XCTAssertEqual(h.run("COPY", "l", "l2", "DB", "2"), R.int(1))
        let original = h.entry("l")!.object(as: FakeList.self)
        let copy = h.entry("l2", db: 2)!.object(as: FakeList.self)
        XCTAssertFalse(original === copy)
        copy.items.append("z")
        XCTAssertEqual(original.items, ["x", "y"])
    }

    func testSwapDB() {
        let h = Harness()
        XCTAssertEqual(h.run("SWAPDB", "0", "x"), R.err("ERR invalid second DB index"))
        XCTAssertEqual(h.run("SWAPDB", "x", "0"), R.err("ERR invalid first DB index"))
        XCTAssertEqual(h.run("SWAPDB", "2147483648", "0"), R.err("ERR invalid first DB index"))
        XCTAssertEqual(h.run("SWAPDB", "0", "16"), R.err("ERR DB index is out of range"))
        XCTAssertEqual(h.run("SWAPDB", "-1", "0"), R.err("ERR DB index is out of range"))
        XCTAssertEqual(h.run("SWAPDB", "0"), R.err("ERR wrong number of arguments for 'swapdb' command"))
        var swaps: [[Int]] = []
        h.server.swapDatabaseHooks.append { a, b in swaps.append([a, b]) }
        XCTAssertEqual(h.run("SWAPDB", "0", "0"), R.ok)
        XCTAssertEqual(swaps, [])
        for i in 0..<100 { h.run("SET", "k\(i)", "zero") }
        h.run("SELECT", "5")
        h.run("SET", "only5", "five")
        XCTAssertEqual(h.run("SWAPDB", "0", "5"), R.ok)
        XCTAssertEqual(swaps, [[0, 5]])
        XCTAssertEqual(h.run("DBSIZE"), R.int(100))
        XCTAssertEqual(h.run("GET", "k7"), R.bulk("zero"))
        h.run("SELECT", "0")
        XCTAssertEqual(bulkStrings(h.run("KEYS", "*")), ["only5"])
    }

    func testExpireOptionErrors() {
        let h = Harness()
        h.run("SET", "foo", "bar")
        let nxConflict = R.err("ERR NX and XX, GT or LT options at the same time are not compatible")
        XCTAssertEqual(h.run("EXPIRE", "foo", "10", "NX", "XX"), nxConflict)
        XCTAssertEqual(h.run("EXPIRE", "foo", "10", "nx", "gt"), nxConflict)
        XCTAssertEqual(h.run("EXPIRE", "foo", "10", "LT", "NX"), nxConflict)
        XCTAssertEqual(h.run("EXPIRE", "foo", "10", "lt", "gt", "nx"), nxConflict)
        XCTAssertEqual(h.run("EXPIRE", "foo", "10", "GT", "LT"), R.err("ERR GT and LT options at the same time are not compatible"))
        XCTAssertEqual(h.run("EXPIRE", "foo", "10", "ab"), R.err("ERR Unsupported option ab"))
        XCTAssertEqual(h.run("EXPIRE", "foo", "10", "XX", "AB"), R.err("ERR Unsupported option AB"))
        XCTAssertEqual(h.run("EXPIRE", "foo", "x", "ab"), R.err("ERR Unsupported option ab"), "options are checked before the time")
        XCTAssertEqual(h.run("PEXPIREAT", "foo", "100", "a\0z"), R.err("ERR Unsupported option a"), "quoted as a C string, like Redis")
        XCTAssertEqual(h.run("EXPIREAT", "foo", "1", "x\r\ny\n"), R.err("ERR Unsupported option x  y"), "trailing CR/LF dropped, inner ones spaces")
        XCTAssertEqual(h.run("EXPIREAT", "foo", "1", "\r\n"), R.err("ERR Unsupported option "))
        XCTAssertEqual(h.run("EXPIRE", "foo", "x", "nx"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("EXPIRE", "nokey", "x"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("EXPIRE", "foo", ""), R.err("ERR value is not an integer or out of range"))
        for t in ["9223370399119966", "9223372036854776", "10000000000000000", "18446744073709561", "-9223372036854776", "9223372036854775807"] {
            XCTAssertEqual(h.run("EXPIRE", "foo", t), R.err("ERR invalid expire time in 'expire' command"), t)
        }
        XCTAssertEqual(h.run("PEXPIRE", "foo", "9223372036854770000"), R.err("ERR invalid expire time in 'pexpire' command"))
        XCTAssertEqual(h.run("EXPIREAT", "foo", "9223372036854776"), R.err("ERR invalid expire time in 'expireat' command"))
        XCTAssertEqual(h.run("TTL", "foo"), R.int(-1))
        XCTAssertEqual(h.run("EXPIRE", "foo"), R.err("ERR wrong number of arguments for 'expire' command"))
        XCTAssertEqual(h.run("PEXPIREAT", "foo"), R.err("ERR wrong number of arguments for 'pexpireat' command"))
    }

    func testExpireConditions() {
        let h = Harness()
        XCTAssertEqual(h.run("EXPIRE", "none", "100", "NX"), R.int(0))
        XCTAssertEqual(h.run("EXPIRE", "none", "100", "LT"), R.int(0))
        h.run("SET", "foo", "bar")
        XCTAssertEqual(h.run("EXPIRE", "foo", "200", "XX"), R.int(0))
        XCTAssertEqual(h.run("EXPIRE", "foo", "200", "GT"), R.int(0), "no TTL counts as infinite for GT")
        XCTAssertEqual(h.run("EXPIRE", "foo", "200", "LT", "XX"), R.int(0))
        XCTAssertEqual(h.run("EXPIRE", "foo", "100", "LT"), R.int(1))
        XCTAssertEqual(h.run("TTL", "foo"), R.int(100))
        XCTAssertEqual(h.run("EXPIRE", "foo", "200", "NX"), R.int(0))
        XCTAssertEqual(h.run("EXPIRE", "foo", "200", "LT"), R.int(0))
        XCTAssertEqual(h.run("EXPIRE", "foo", "50", "GT"), R.int(0))
        XCTAssertEqual(h.run("EXPIRE", "foo", "200", "gt", "xx"), R.int(1))
        XCTAssertEqual(h.run("TTL", "foo"), R.int(200))
        XCTAssertEqual(h.run("PEXPIRE", "foo", "50000", "LT"), R.int(1))
        XCTAssertEqual(h.run("TTL", "foo"), R.int(50))
        XCTAssertEqual(h.run("EXPIRE", "foo", "-10", "LT"), R.int(1))
        XCTAssertEqual(h.run("TTL", "foo"), R.int(-2))
        h.run("SET", "foo", "bar")
        XCTAssertEqual(h.run("EXPIRE", "foo", "-10", "LT"), R.int(1))
        XCTAssertEqual(h.run("EXISTS", "foo"), R.int(0))
    }

    func testExpireSetsTimesAndPropagatesAbsolute() {
        let h = Harness(["notify-keyspace-events": "KEA"])
        let propagated = h.recordPropagation()
        let events = h.recordNotifications()
        h.run("SET", "k", "v")
        _ = propagated()
        _ = events()
        let before = Sys.unixMillis()
        XCTAssertEqual(h.run("EXPIRE", "k", "100", "NX"), R.int(1))
        let after = Sys.unixMillis()
        let at = h.entry("k")!.expireAt
        XCTAssertTrue(at >= before + 100_000 && at <= after + 100_000)
        XCTAssertEqual(propagated(), ["PEXPIREAT k \(at) NX"])
        XCTAssertEqual(events(), ["__keyspace@0__:k expire", "__keyevent@0__:expire k"])

        h.run("PEXPIRE", "k", "5000")
        XCTAssertEqual(propagated(), ["PEXPIREAT k \(h.entry("k")!.expireAt)"])
        let seconds = (Sys.unixMillis() / 1000) + 300
        h.run("EXPIREAT", "k", String(seconds))
        XCTAssertEqual(h.entry("k")!.expireAt, seconds * 1000)
        XCTAssertEqual(propagated(), ["PEXPIREAT k \(seconds * 1000)"])
        XCTAssertEqual(h.run("PEXPIREAT", "k", "9223372036854775807"), R.int(1))
        XCTAssertNil(propagated(), "PEXPIREAT is propagated as called")
        XCTAssertEqual(h.run("PEXPIRETIME", "k"), R.int(9223372036854775807))
        XCTAssertEqual(h.run("EXPIRETIME", "k"), R.int(9223372036854776))
        _ = events()

        let dirty = h.server.dirty.load(ordering: .relaxed)
        XCTAssertEqual(h.run("EXPIREAT", "k", "-1"), R.int(1))
        XCTAssertEqual(propagated(), ["DEL k"])
        XCTAssertEqual(events(), ["__keyspace@0__:k del", "__keyevent@0__:del k"])
        XCTAssertEqual(h.server.dirty.load(ordering: .relaxed), dirty + 1)
        XCTAssertEqual(h.run("EXISTS", "k"), R.int(0))
        h.run("SET", "k", "v")
        XCTAssertEqual(h.run("PEXPIREAT", "k", "-9223372036854770000"), R.int(1))
        XCTAssertEqual(h.run("TTL", "k"), R.int(-2))
    }

    func testExpireInThePastWithLazyExpireUnlinks() {
        let h = Harness(["lazyfree-lazy-expire": "yes"])
        let propagated = h.recordPropagation()
        h.run("SET", "k", "v")
        XCTAssertEqual(h.run("EXPIRE", "k", "0"), R.int(1))
        XCTAssertEqual(propagated(), ["UNLINK k"])
    }

    func testTTLFamily() {
        let h = Harness()
        for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] {
            XCTAssertEqual(h.run(cmd, "nokey"), R.int(-2), cmd)
            XCTAssertEqual(h.run(cmd), R.err("ERR wrong number of arguments for '\(cmd.lowercased())' command"))
        }
        h.run("SET", "k", "v")
        for cmd in ["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"] { XCTAssertEqual(h.run(cmd, "k"), R.int(-1), cmd) }
        let at = (Sys.unixMillis() / 1000 + 100) * 1000
        h.run("PEXPIREAT", "k", String(at + 499))
        XCTAssertEqual(h.run("PEXPIRETIME", "k"), R.int(Int(at + 499)))
        XCTAssertEqual(h.run("EXPIRETIME", "k"), R.int(Int(at / 1000)), "rounded to the nearest second")
        h.run("PEXPIREAT", "k", String(at + 500))
        XCTAssertEqual(h.run("EXPIRETIME", "k"), R.int(Int(at / 1000 + 1)))
        h.run("PEXPIRE", "k", "1499")
        XCTAssertEqual(h.run("TTL", "k"), R.int(1))
        h.run("PEXPIRE", "k", "100000")
        let pttl = integer(h.run("PTTL", "k"))
        XCTAssertTrue(pttl > 99_000 && pttl <= 100_000)
    }

    func testPersist() {
        let h = Harness(["notify-keyspace-events": "KEA"])
        let events = h.recordNotifications()
        h.run("SET", "k", "v", "EX", "50")
        _ = events()
        XCTAssertEqual(h.run("PERSIST", "k"), R.int(1))
        XCTAssertEqual(events(), ["__keyspace@0__:k persist", "__keyevent@0__:persist k"])
        XCTAssertEqual(h.run("TTL", "k"), R.int(-1))
        XCTAssertEqual(h.run("PERSIST", "k"), R.int(0))
        XCTAssertEqual(h.run("PERSIST", "nokey"), R.int(0))
        XCTAssertEqual(events(), [])
        XCTAssertEqual(h.run("GET", "k"), R.bulk("v"))
        XCTAssertEqual(h.run("PERSIST"), R.err("ERR wrong number of arguments for 'persist' command"))
    }

    func testDBSizeAndFlush() {
        let h = Harness()
        var order: [String] = []
        h.server.beforeFlushHooks.append { db in order.append("before \(db) \(h.server.keyspace.count(db: max(db, 0)))") }
        h.server.flushHooks.append { db in order.append("after \(db) \(h.server.keyspace.count(db: max(db, 0)))") }
        for i in 0..<10 { h.run("SET", "k\(i)", "v") }
        h.run("SELECT", "1")
        for i in 0..<5 { h.run("SET", "k\(i)", "v") }
        XCTAssertEqual(h.run("DBSIZE"), R.int(5))
        XCTAssertEqual(h.run("DBSIZE", "x"), R.err("ERR wrong number of arguments for 'dbsize' command"))
        XCTAssertEqual(h.run("FLUSHDB", "x"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("FLUSHDB", "SYNC", "x"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("FLUSHALL", "x"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("FLUSHDB"), R.ok)
        XCTAssertEqual(order, ["before 1 5", "after 1 0"])
        XCTAssertEqual(h.run("DBSIZE"), R.int(0))
        h.run("SELECT", "0")
        XCTAssertEqual(h.run("DBSIZE"), R.int(10))
        h.run("SELECT", "1")
        for i in 0..<5 { h.run("SET", "k\(i)", "v") }
        order.removeAll()
        XCTAssertEqual(h.run("FLUSHALL", "async"), R.ok)
        XCTAssertEqual(order, ["before -1 10", "after -1 0"])
        XCTAssertEqual(h.run("DBSIZE"), R.int(0))
        h.run("SELECT", "0")
        XCTAssertEqual(h.run("DBSIZE"), R.int(0))
        h.storeList("l", (0..<1000).map(String.init))
        h.run("SET", "k", "v", "EX", "100")
        XCTAssertEqual(h.run("FLUSHDB", "ASYNC"), R.ok)
        XCTAssertEqual(h.run("DBSIZE"), R.int(0))
        XCTAssertEqual(h.server.keyspace.volatileCount(db: 0), 0)
        h.run("SET", "k", "v", "EX", "100")
        XCTAssertEqual(h.run("TTL", "k"), R.int(100), "the emptied database works as before")
        XCTAssertEqual(h.run("FLUSHALL", "SYNC"), R.ok)
        XCTAssertEqual(h.run("DBSIZE"), R.int(0))
    }

    func testLazyFreeWorkerFreesHandedOverData() {
        let h = Harness()
        let freed = LazyFree.shared.freedObjects.load(ordering: .relaxed)
        h.storeList("l", (0..<1000).map(String.init))
        h.run("SET", "k", "v", "EX", "100")
        XCTAssertEqual(h.run("FLUSHDB", "ASYNC"), R.ok)
        h.storeList("big", (0..<100).map(String.init))
        h.storeList("small", ["a"])
        XCTAssertEqual(h.run("UNLINK", "big", "small"), R.int(2))
        for _ in 0..<400 where LazyFree.shared.pendingObjects.load(ordering: .relaxed) > 0 { usleep(5000) }
        XCTAssertEqual(LazyFree.shared.pendingObjects.load(ordering: .relaxed), 0)
        // Two keys of the flush and the large UNLINKed value (earlier tests may add theirs).
        XCTAssertGreaterThanOrEqual(LazyFree.shared.freedObjects.load(ordering: .relaxed), freed + 3)
    }

    func testObjectSubcommands() {
        let h = Harness()
        let help = h.run("OBJECT", "HELP")
        XCTAssertTrue(help.hasPrefix("*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n+ENCODING <key>\r\n"))
        XCTAssertTrue(help.hasSuffix("+REFCOUNT <key>\r\n+    Return the number of references of the value associated with the specified\r\n+    <key>.\r\n+HELP\r\n+    Prints this help.\r\n"))
        XCTAssertEqual(h.run("OBJECT"), R.err("ERR wrong number of arguments for 'object' command"))
        XCTAssertEqual(h.run("OBJECT", "foo"), R.err("ERR unknown subcommand 'foo'. Try OBJECT HELP."))
        XCTAssertEqual(h.run("OBJECT", "ENCODING"), R.err("ERR wrong number of arguments for 'object|encoding' command"))
        XCTAssertEqual(h.run("OBJECT", "encoding", "k", "x"), R.err("ERR wrong number of arguments for 'object|encoding' command"))
        XCTAssertEqual(h.run("OBJECT", "HELP", "x"), R.err("ERR wrong number of arguments for 'object|help' command"))
        for sub in ["ENCODING", "FREQ", "IDLETIME", "REFCOUNT"] { XCTAssertEqual(h.run("OBJECT", sub, "nokey"), R.null, sub) }

        h.run("SET", "int", "5")
        h.run("SET", "big", "10000")
        h.run("SET", "str", "hello")
        h.run("SET", "long", String(repeating: "x", count: 45))
        h.storeList("l", ["a"])
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "int"), R.bulk("int"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "str"), R.bulk("embstr"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "long"), R.bulk("raw"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "l"), R.bulk("quicklist"))
        XCTAssertEqual(h.run("OBJECT", "REFCOUNT", "int"), R.int(2147483647))
        XCTAssertEqual(h.run("OBJECT", "REFCOUNT", "big"), R.int(1))
        XCTAssertEqual(h.run("OBJECT", "REFCOUNT", "str"), R.int(1))
        XCTAssertEqual(h.run("OBJECT", "REFCOUNT", "l"), R.int(1))
        XCTAssertEqual(h.run("OBJECT", "FREQ", "int"), R.err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."))
        XCTAssertEqual(h.run("OBJECT", "IDLETIME", "int"), R.int(0))
        h.run("HELLO", "3")
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "nokey"), "_\r\n")
    }

    func testObjectUnderLFUAndLRUPolicies() {
        let lfu = Harness(["maxmemory-policy": "allkeys-lfu", "maxmemory": "1gb"])
        lfu.run("SET", "k", "1")
        XCTAssertEqual(lfu.run("OBJECT", "FREQ", "k"), R.int(5), "new keys start at the LFU initial value")
        XCTAssertEqual(lfu.run("OBJECT", "IDLETIME", "k"), R.err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."))
        for _ in 0..<200 { lfu.run("GET", "k") }
        let freq = integer(lfu.run("OBJECT", "FREQ", "k"))
        XCTAssertTrue(freq > 5 && freq < 20, "logarithmic growth, got \(freq)")
        lfu.entry("k")!.accessClock = Clock.seconds &- 180
        XCTAssertEqual(lfu.run("OBJECT", "FREQ", "k"), R.int(freq - 3), "one point of decay per idle minute")
        XCTAssertEqual(lfu.run("OBJECT", "REFCOUNT", "k"), R.int(1), "no shared integers under LFU with maxmemory")

        let lru = Harness(["maxmemory-policy": "volatile-lru"])
        lru.run("SET", "k", "1")
        XCTAssertEqual(lru.run("OBJECT", "REFCOUNT", "k"), R.int(2147483647), "sharing stays on without maxmemory")
    }

    func testActiveExpireRemovesExpiredKeys() {
        let h = Harness(["notify-keyspace-events": "Ex"])
        let events = h.recordNotifications()
        for i in 0..<200 { h.run("SET", "e\(i)", "v", "PX", "1") }
        for i in 0..<50 { h.run("SET", "live\(i)", "v", "EX", "100") }
        usleep(5000)
        // Sampling stops once few stale keys are met, so it may take several cycles.
        var removed = 0
        for _ in 0..<100 where removed < 200 {
            for i in 0..<h.server.keyspace.shards.count {
                removed += h.server.keyspace.activeExpire(shard: i, now: Sys.unixMillis(), budgetNanos: 1_000_000_000, observer: h.server)
            }
        }
        XCTAssertEqual(removed, 200)
        XCTAssertEqual(h.run("DBSIZE"), R.int(50))
        XCTAssertEqual(events().count, 200)
    }

    func testKeyIsAliveDuringItsExpiryMillisecond() {
        let h = Harness()
        h.run("SET", "k", "v")
        let at = Sys.unixMillis() + 60_000
        h.run("PEXPIREAT", "k", String(at))
        Array("k".utf8).withBytes { k in
            XCTAssertNotNil(h.server.keyspace.database(0, now: at, observer: nil).peek(Key(k)))
            XCTAssertNil(h.server.keyspace.database(0, now: at + 1, observer: nil).peek(Key(k)))
        }
    }
}
