@testable import CinnabarCore
import Glibc
import XCTest

private extension Harness {

    func members(_ key: String) -> Set<String> { Set(bulkStrings(run("SMEMBERS", key))) }

    @discardableResult
    func sadd(_ key: String, _ members: [String]) -> String {
        run((["SADD", key] + members).map { Array($0.utf8) })
    }
}

/// Bytes from a hex string.
private func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = s.startIndex
    while i < s.endIndex {
        let j = s.index(i, offsetBy: 2)
        out.append(UInt8(s[i..<j], radix: 16)!)
        i = j
    }
    return out
}

final class SetCommandsTests: XCTestCase {
    func testBasics() {
        let h = Harness()
        XCTAssertEqual(h.run("SADD", "s", "3", "1", "2", "1"), R.int(3))
        XCTAssertEqual(h.run("SADD", "s", "2", "5"), R.int(1))
        // Intsets list their members in ascending order, as Redis does.
        XCTAssertEqual(h.run("SMEMBERS", "s"), R.bulks(["1", "2", "3", "5"]))
        XCTAssertEqual(h.run("SCARD", "s"), R.int(4))
        XCTAssertEqual(h.run("SCARD", "nokey"), R.int(0))
        XCTAssertEqual(h.run("SISMEMBER", "s", "2"), R.int(1))
        XCTAssertEqual(h.run("SISMEMBER", "s", "a"), R.int(0))
        XCTAssertEqual(h.run("SISMEMBER", "nokey", "a"), R.int(0))
        XCTAssertEqual(h.run("SMISMEMBER", "s", "2", "a", "5"), "*3\r\n:1\r\n:0\r\n:1\r\n")
        XCTAssertEqual(h.run("SMISMEMBER", "nokey", "a", "b"), "*2\r\n:0\r\n:0\r\n")
        XCTAssertEqual(h.run("SMEMBERS", "nokey"), "*0\r\n")
        XCTAssertEqual(h.run("SREM", "s", "1", "9", "x"), R.int(1))
        XCTAssertEqual(h.run("SREM", "nokey", "1"), R.int(0))
        XCTAssertEqual(h.run("SREM", "s", "2", "3", "5", "7"), R.int(3))
        XCTAssertEqual(h.run("EXISTS", "s"), R.int(0))
        XCTAssertEqual(h.run("SADD", "s"), R.err("ERR wrong number of arguments for 'sadd' command"))
        XCTAssertEqual(h.run("SMISMEMBER", "s"), R.err("ERR wrong number of arguments for 'smismember' command"))

        h.run("HELLO", "3")
        h.run("SADD", "r", "1", "2")
        XCTAssertEqual(h.run("SMEMBERS", "r"), "~2\r\n" + R.bulk("1") + R.bulk("2"))
        XCTAssertEqual(h.run("SMEMBERS", "nokey"), "~0\r\n")
        XCTAssertEqual(h.run("SINTER", "r", "nokey"), "~0\r\n")
        XCTAssertEqual(h.run("SUNION", "r", "nokey"), "~2\r\n" + R.bulk("1") + R.bulk("2"))
        XCTAssertEqual(h.run("SPOP", "nokey"), "_\r\n")
        XCTAssertEqual(h.run("SPOP", "nokey", "2"), "~0\r\n")
        XCTAssertEqual(h.run("SRANDMEMBER", "nokey", "2"), "*0\r\n")
    }

    func testWrongType() {
        let h = Harness()
        h.run("SET", "str", "x")
        h.run("SADD", "s", "a")
        let wrongType = R.err("WRONGTYPE Operation against a key holding the wrong kind of value")
        for args in [["SADD", "str", "a"], ["SREM", "str", "a"], ["SMEMBERS", "str"], ["SISMEMBER", "str", "a"],
                     ["SMISMEMBER", "str", "a"], ["SCARD", "str"], ["SPOP", "str"], ["SPOP", "str", "2"],
                     ["SRANDMEMBER", "str"], ["SRANDMEMBER", "str", "2"], ["SMOVE", "str", "s", "a"],
                     ["SMOVE", "s", "str", "a"], ["SINTER", "s", "str"], ["SINTER", "nokey", "str"],
                     ["SINTERCARD", "2", "s", "str"], ["SINTERSTORE", "d", "s", "str"], ["SUNION", "s", "str"],
                     ["SDIFF", "nokey", "str"], ["SDIFFSTORE", "d", "s", "str"], ["SSCAN", "str", "0"]] {
            XCTAssertEqual(h.run(args.map { Array($0.utf8) }), wrongType, "\(args)")
        }
        // A missing source answers 0 before the destination's type is checked.
        XCTAssertEqual(h.run("SMOVE", "nokey", "str", "a"), R.int(0))
        XCTAssertEqual(h.run("EXISTS", "d"), R.int(0))
    }

    func testEncodings() {
        let h = Harness(["set-max-intset-entries": "4"])
        h.run("SADD", "s", "1", "2", "3", "4")
        XCTAssertEqual(h.encoding("s"), "intset")
        h.run("SADD", "s", "5")
        XCTAssertEqual(h.encoding("s"), "hashtable")
        h.run("SREM", "s", "1", "2", "3", "4")
        XCTAssertEqual(h.encoding("s"), "hashtable")
        XCTAssertEqual(h.run("SMEMBERS", "s"), R.bulks(["5"]))

        h.run("SADD", "t", "1", "a")
        XCTAssertEqual(h.encoding("t"), "hashtable")
        h.run("SADD", "u", "a")
        XCTAssertEqual(h.encoding("u"), "hashtable")
        // Only canonical 64-bit integers qualify.
        for (m, expected) in [("-9223372036854775808", "intset"), ("9223372036854775808", "hashtable"),
                              ("01", "hashtable"), ("+1", "hashtable"), (" 1", "hashtable"), ("-0", "hashtable")] {
            h.run("DEL", "v")
            h.run("SADD", "v", m)
            XCTAssertEqual(h.encoding("v"), expected, m)
            XCTAssertEqual(h.run("SISMEMBER", "v", m), R.int(1))
        }
        // Widening keeps order and membership.
        let values = ["5", "-3", "40000", "-40000", "3000000000", "-3000000000", "9223372036854775807", "0"]
        let w = Harness()
        for v in values { w.run("SADD", "w", v) }
        XCTAssertEqual(w.encoding("w"), "intset")
        XCTAssertEqual(w.run("SMEMBERS", "w"), R.bulks(values.map { Int64($0)! }.sorted().map(String.init)))
        for v in values { XCTAssertEqual(w.run("SISMEMBER", "w", v), R.int(1)) }
        XCTAssertEqual(w.run("SISMEMBER", "w", "4"), R.int(0))
        w.run("SREM", "w", "40000", "-3000000000")
        XCTAssertEqual(w.run("SMEMBERS", "w"), R.bulks(["-40000", "-3", "0", "5", "3000000000", "9223372036854775807"]))

        let z = Harness(["set-max-intset-entries": "0"])
        z.run("SADD", "s", "1")
        XCTAssertEqual(z.encoding("s"), "hashtable")
    }

    func testEventsAndDirty() {
        let h = Harness(["notify-keyspace-events": "KEAn"])
        let events = h.recordKeyEvents()
        var d = h.dirty
        h.run("SADD", "s", "1", "2", "2")
        XCTAssertEqual(events(), ["new s", "sadd s"])
        XCTAssertEqual(h.dirty - d, 2)
        d = h.dirty
        h.run("SADD", "s", "1")
        XCTAssertEqual(events(), [])
        XCTAssertEqual(h.dirty - d, 0)
        h.run("SREM", "s", "9")
        XCTAssertEqual(events(), [])
        h.run("SREM", "s", "1", "2", "3")
        XCTAssertEqual(events(), ["srem s", "del s"])
    }

    func testSmove() {
        let h = Harness(["notify-keyspace-events": "KEAn"])
        let events = h.recordKeyEvents()
        h.run("SADD", "a", "1", "x")
        h.run("SADD", "b", "2")
        _ = events()
        XCTAssertEqual(h.run("SMOVE", "a", "b", "x"), R.int(1))
        XCTAssertEqual(events(), ["srem a", "sadd b"])
        XCTAssertEqual(h.members("b"), ["2", "x"])
        XCTAssertEqual(h.encoding("b"), "hashtable")
        XCTAssertEqual(h.run("SMOVE", "a", "b", "nope"), R.int(0))
        XCTAssertEqual(h.run("SMOVE", "a", "a", "1"), R.int(1))
        XCTAssertEqual(h.run("SMOVE", "a", "a", "9"), R.int(0))
        XCTAssertEqual(events(), [])
        // Already in the destination: only the source changes.
        h.run("SADD", "b", "1")
        _ = events()
        XCTAssertEqual(h.run("SMOVE", "a", "b", "1"), R.int(1))
        XCTAssertEqual(events(), ["srem a", "del a"])
        XCTAssertEqual(h.run("EXISTS", "a"), R.int(0))
        // A missing destination is created in the member's encoding.
        XCTAssertEqual(h.run("SMOVE", "b", "c", "2"), R.int(1))
        XCTAssertEqual(events(), ["srem b", "new c", "sadd c"])
        XCTAssertEqual(h.encoding("c"), "intset")
        XCTAssertEqual(h.run("SMOVE", "nokey", "c", "2"), R.int(0))
    }

    func testSpop() {
        let h = Harness(["notify-keyspace-events": "KEA"])
        let events = h.recordKeyEvents()
        let props = h.recordPropagation()
        XCTAssertEqual(h.run("SPOP", "nokey"), R.null)
        XCTAssertEqual(h.run("SPOP", "nokey", "3"), "*0\r\n")
        XCTAssertEqual(h.run("SPOP", "nokey", "x"), R.err("ERR value is out of range, must be positive"))
        XCTAssertEqual(h.run("SPOP", "nokey", "-1"), R.err("ERR value is out of range, must be positive"))
        XCTAssertEqual(h.run("SPOP", "nokey", "1", "2"), R.err("ERR syntax error"))
        h.run("SADD", "s", "1", "2", "3")
        _ = events()
        XCTAssertEqual(h.run("SPOP", "s", "0"), "*0\r\n")
        XCTAssertEqual(events(), [])
        let one = bulkStrings(h.run("SPOP", "s"))
        XCTAssertEqual(one.count, 1)
        XCTAssertEqual(props(), ["SREM s \(one[0])"])
        XCTAssertEqual(events(), ["spop s"])
        let rest = bulkStrings(h.run("SPOP", "s", "5"))
        XCTAssertEqual(Set(rest + one), ["1", "2", "3"])
        XCTAssertEqual(props(), ["DEL s"])
        XCTAssertEqual(events(), ["spop s", "del s"])
        XCTAssertEqual(h.run("EXISTS", "s"), R.int(0))
        h.run("SADD", "s", "a")
        XCTAssertEqual(h.run("SPOP", "s"), R.bulk("a"))
        XCTAssertEqual(events(), ["sadd s", "spop s", "del s"])

        // Both strategies for a count below the size, on both encodings.
        for (count, members) in [(3, 100), (80, 100), (98, 100)] {
            for prefix in ["", "m"] {
                let all = (0..<members).map { prefix + String($0) }
                h.sadd("p", all)
                h.run("EXPIRE", "p", "1000")
                let d = h.dirty
                let popped = bulkStrings(h.run("SPOP", "p", String(count)))
                XCTAssertEqual(popped.count, count)
                XCTAssertEqual(Set(popped).count, count)
                XCTAssertEqual(h.dirty - d, count)
                XCTAssertEqual(Set(props() ?? []), Set(popped.map { "SREM p \($0)" }))
                XCTAssertEqual(h.members("p"), Set(all).subtracting(popped))
                XCTAssertNotEqual(h.run("TTL", "p"), R.int(-1), "the TTL survives")
                h.run("DEL", "p")
            }
        }
        // Survivors of the move strategy form a new set in the encoding their members call for.
        h.sadd("q", (0..<20).map(String.init) + ["x"])
        h.run("SREM", "q", "x")
        XCTAssertEqual(h.encoding("q"), "hashtable")
        h.run("SPOP", "q", "19")
        XCTAssertEqual(h.encoding("q"), "intset")
        _ = events()
    }

    func testSrandmember() {
        let h = Harness()
        XCTAssertEqual(h.run("SRANDMEMBER", "nokey"), R.null)
        XCTAssertEqual(h.run("SRANDMEMBER", "nokey", "5"), "*0\r\n")
        XCTAssertEqual(h.run("SRANDMEMBER", "nokey", "x"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("SRANDMEMBER", "nokey", "-9223372036854775808"),
                       R.err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"))
        XCTAssertEqual(h.run("SRANDMEMBER", "nokey", "1", "2"), R.err("ERR syntax error"))
        h.run("SADD", "s", "3", "1", "2")
        XCTAssertEqual(h.run("SRANDMEMBER", "s", "0"), "*0\r\n")
        XCTAssertEqual(h.run("SRANDMEMBER", "s", "10"), R.bulks(["1", "2", "3"]))
        XCTAssertEqual(bulkStrings(h.run("SRANDMEMBER", "s", "-10")).count, 10)
        XCTAssertTrue(["1", "2", "3"].contains(bulkStrings(h.run("SRANDMEMBER", "s"))[0]))
        for config in [["set-max-intset-entries": "512"], ["set-max-intset-entries": "0"]] {
            let r = Harness(config)
            r.sadd("big", (0..<100).map(String.init))
            for count in [2, 10, 40, 90, 99] {
                let got = bulkStrings(r.run("SRANDMEMBER", "big", String(count)))
                XCTAssertEqual(got.count, count)
                XCTAssertEqual(Set(got).count, count, "count \(count) \(config)")
            }
        }
    }

    func testRandomDistribution() {
        // Each of 10 members should come up about a tenth of the time; a
        // chi-square above 40 (9 degrees of freedom) has probability under 0.00001.
        for members in [(0..<10).map(String.init), (0..<10).map { "m\($0)" }] {
            let h = Harness()
            h.sadd("s", members)
            for count in ["-1000", "2", "8"] {
                var seen: [String: Int] = [:]
                var total = 0
                while total < 1000 {
                    for m in bulkStrings(h.run("SRANDMEMBER", "s", count)) {
                        seen[m, default: 0] += 1
                        total += 1
                    }
                }
                let expected = Double(total) / 10
                let chi = members.reduce(0.0) { acc, m in
                    let o = Double(seen[m, default: 0])
                    return acc + (o - expected) * (o - expected) / expected
                }
                XCTAssertLessThan(chi, 40, "count \(count): \(seen)")
            }
        }
    }

    func testAlgebra() {
        let h = Harness()
        h.run("SADD", "a", "5", "1", "3", "9")
        h.run("SADD", "b", "3", "9", "100")
        h.run("SADD", "c", "9", "3", "x")
        XCTAssertEqual(h.run("SINTER", "a", "b"), R.bulks(["3", "9"]))
        XCTAssertEqual(h.members("a").intersection(h.members("c")), Set(bulkStrings(h.run("SINTER", "a", "c"))))
        XCTAssertEqual(h.run("SINTER", "a", "b", "nokey"), "*0\r\n")
        XCTAssertEqual(h.run("SINTER", "a"), R.bulks(["1", "3", "5", "9"]))
        XCTAssertEqual(h.run("SUNION", "a", "b", "nokey"), R.bulks(["1", "3", "5", "9", "100"]))
        XCTAssertEqual(h.run("SDIFF", "a", "b"), R.bulks(["1", "5"]))
        XCTAssertEqual(h.run("SDIFF", "a", "c", "nokey"), R.bulks(["1", "5"]))
        XCTAssertEqual(h.run("SDIFF", "a", "a"), "*0\r\n")
        XCTAssertEqual(h.run("SDIFF", "nokey", "a"), "*0\r\n")
        // Both difference strategies agree.
        h.sadd("wide", (0..<300).map(String.init))
        h.sadd("narrow", ["1", "2"])
        XCTAssertEqual(h.run("SDIFF", "narrow", "wide"), "*0\r\n")
        XCTAssertEqual(Set(bulkStrings(h.run("SDIFF", "wide", "narrow", "a"))),
                       Set((0..<300).map(String.init)).subtracting(["1", "2", "3", "5", "9"]))

        XCTAssertEqual(h.run("SINTERCARD", "2", "a", "b"), R.int(2))
        XCTAssertEqual(h.run("SINTERCARD", "2", "a", "b", "LIMIT", "1"), R.int(1))
        XCTAssertEqual(h.run("SINTERCARD", "2", "a", "b", "limit", "0"), R.int(2))
        XCTAssertEqual(h.run("SINTERCARD", "2", "a", "nokey"), R.int(0))
        XCTAssertEqual(h.run("SINTERCARD", "1", "a"), R.int(4))
        XCTAssertEqual(h.run("SINTERCARD", "0", "a"), R.err("ERR numkeys should be greater than 0"))
        XCTAssertEqual(h.run("SINTERCARD", "x", "a"), R.err("ERR numkeys should be greater than 0"))
        XCTAssertEqual(h.run("SINTERCARD", "3", "a", "b"), R.err("ERR Number of keys can't be greater than number of args"))
        XCTAssertEqual(h.run("SINTERCARD", "2", "a", "b", "LIMIT", "-1"), R.err("ERR LIMIT can't be negative"))
        XCTAssertEqual(h.run("SINTERCARD", "2", "a", "b", "LIMIT", "x"), R.err("ERR LIMIT can't be negative"))
        XCTAssertEqual(h.run("SINTERCARD", "2", "a", "b", "LIMIT"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("SINTERCARD", "1", "a", "b"), R.err("ERR syntax error"))
    }

    func testStoreForms() {
        let h = Harness(["notify-keyspace-events": "KEAn"])
        let events = h.recordKeyEvents()
        h.run("SADD", "a", "1", "2", "3")
        h.run("SADD", "b", "2", "3", "x")
        h.run("SET", "d", "old")
        h.run("EXPIRE", "d", "100")
        _ = events()
        XCTAssertEqual(h.run("SINTERSTORE", "d", "a", "b"), R.int(2))
        XCTAssertEqual(events(), ["sinterstore d"])
        XCTAssertEqual(h.run("TTL", "d"), R.int(-1))
        XCTAssertEqual(h.run("SMEMBERS", "d"), R.bulks(["2", "3"]))
        XCTAssertEqual(h.encoding("d"), "intset")
        XCTAssertEqual(h.run("SUNIONSTORE", "u", "a", "b"), R.int(4))
        XCTAssertEqual(events(), ["new u", "sunionstore u"])
        XCTAssertEqual(h.encoding("u"), "hashtable")
        XCTAssertEqual(h.run("SDIFFSTORE", "df", "a", "b"), R.int(1))
        XCTAssertEqual(events(), ["new df", "sdiffstore df"])
        // Empty results delete the destination.
        XCTAssertEqual(h.run("SINTERSTORE", "d", "a", "nokey"), R.int(0))
        XCTAssertEqual(events(), ["del d"])
        XCTAssertEqual(h.run("SDIFFSTORE", "u", "a", "a"), R.int(0))
        XCTAssertEqual(events(), ["del u"])
        XCTAssertEqual(h.run("SUNIONSTORE", "df", "nokey"), R.int(0))
        XCTAssertEqual(events(), ["del df"])
        XCTAssertEqual(h.run("SINTERSTORE", "d", "nokey"), R.int(0))
        XCTAssertEqual(events(), [])
        // A destination that is also a source.
        XCTAssertEqual(h.run("SUNIONSTORE", "a", "a", "b"), R.int(4))
        XCTAssertEqual(h.members("a"), ["1", "2", "3", "x"])
        // Store forms replace any type.
        h.run("SET", "str", "v")
        XCTAssertEqual(h.run("SINTERSTORE", "str", "b"), R.int(3))
        XCTAssertEqual(h.run("TYPE", "str"), R.status("set"))
    }

    func testSintercardKeys() {
        let h = Harness()
        XCTAssertEqual(h.run("COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1"), R.bulks(["a", "b"]))
        let spec = h.server.commands.lookup("sintercard")!
        let c = h.newClient()
        for (args, expected) in [(["SINTERCARD", "2", "a", "b"], [2, 3]), (["SINTERCARD", "3", "a", "b"], []),
                                 (["SINTERCARD", "0", "a"], []), (["SINTERCARD", "x", "a"], [])] {
            c.load(OwnedCommand(args))
            guard case .positions(let p) = spec.keyPositions(c) else { return XCTFail("\(args)") }
            XCTAssertEqual(p, expected, "\(args)")
        }
    }

    func testScan() {
        let h = Harness()
        XCTAssertEqual(h.run("SSCAN", "nokey", "0"), "*2\r\n" + R.bulk("0") + "*0\r\n")
        XCTAssertEqual(h.run("SSCAN", "nokey", "abc"), R.err("ERR invalid cursor"))
        h.run("SADD", "i", "30", "10", "20", "11")
        XCTAssertEqual(h.run("SSCAN", "i", "5", "COUNT", "1"), "*2\r\n" + R.bulk("0") + R.bulks(["10", "11", "20", "30"]))
        XCTAssertEqual(h.run("SSCAN", "i", "0", "MATCH", "1*"), "*2\r\n" + R.bulk("0") + R.bulks(["10", "11"]))
        XCTAssertEqual(h.run("SSCAN", "i", "0", "COUNT", "0"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("SSCAN", "i", "0", "TYPE", "set"), R.err("ERR syntax error"))

        // Every member present for the whole scan is returned while the set
        // grows and shrinks between calls.
        h.sadd("t", (0..<300).map { "m\($0)" })
        var cursor = "0"
        var seen = Set<String>()
        var step = 0
        repeat {
            let all = bulkStrings(h.run("SSCAN", "t", cursor, "COUNT", "7"))
            cursor = all[0]
            seen.formUnion(all.dropFirst())
            step += 1
            // Grow the table eightfold, then shrink it back.
            if step % 10 == 0 {
                h.sadd("t", (0..<3700).map { "tmp\($0)" })
            } else if step % 10 == 5 {
                h.run((["SREM", "t"] + (0..<3700).map { "tmp\($0)" }).map { Array($0.utf8) })
            }
        } while cursor != "0" && step < 10_000
        XCTAssertEqual(cursor, "0")
        XCTAssertTrue(Set((0..<300).map { "m\($0)" }).isSubset(of: seen))
    }

    func testElementTableScanGuarantee() {
        // Direct check of the reverse-binary cursor across many resizes.
        let t = ElementTable()
        func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }
        for i in 0..<300 { bytes("k\(i)").withBytes { _ = t.insert($0) } }
        var cursor: UInt64 = 0
        var seen = Set<String>()
        var round = 0
        repeat {
            cursor = t.scan(cursor: cursor) { seen.insert(t.key(at: $0).string) }
            round += 1
            // Alternate bursts that double the table and empty it back out.
            // Bursts that grow the table eightfold, then shrink it back.
            if round % 100 == 0 {
                for i in 0..<3700 { bytes("x\(i)").withBytes { _ = t.insert($0) } }
            } else if round % 100 == 50 {
                for i in 0..<3700 { bytes("x\(i)").withBytes { _ = t.remove($0) } }
            }
        } while cursor != 0
        for i in 0..<300 { XCTAssertTrue(seen.contains("k\(i)"), "k\(i)") }
        // Removal keeps every other element findable.
        for i in stride(from: 0, to: 300, by: 2) { bytes("k\(i)").withBytes { XCTAssertTrue(t.remove($0)) } }
        for i in 0..<300 {
            let found = bytes("k\(i)").withBytes { t.find($0) != nil }
            XCTAssertEqual(found, i % 2 == 1, "k\(i)")
        }
    }

    func testDumpAndRestore() {
        // As Redis 7.0.15 dumps `SADD s 1 2 70000` (a 4-byte intset) and `SADD t a`.
        let intset = hex("0b1404000000030000000100000002000000701101000a0085d5c1065b1dd055")
        let table = hex("020101610a006296e97e44d21a6d")
        let h = Harness()
        h.run("SADD", "s", "1", "2", "70000")
        h.run("SADD", "t", "a")
        XCTAssertEqual(h.runBytes([Array("DUMP".utf8), Array("s".utf8)]), Harness.bulkBytes(intset))
        XCTAssertEqual(h.runBytes([Array("DUMP".utf8), Array("t".utf8)]), Harness.bulkBytes(table))
        XCTAssertEqual(h.run([Array("RESTORE".utf8), Array("s2".utf8), Array("0".utf8), intset]), R.ok)
        XCTAssertEqual(h.run("SMEMBERS", "s2"), R.bulks(["1", "2", "70000"]))
        XCTAssertEqual(h.encoding("s2"), "intset")
        // The width survives removals, so the value dumps back identically.
        h.run("SREM", "s2", "70000")
        h.run("SADD", "s2", "70000")
        XCTAssertEqual(h.runBytes([Array("DUMP".utf8), Array("s2".utf8)]), Harness.bulkBytes(intset))
        XCTAssertEqual(h.run([Array("RESTORE".utf8), Array("t2".utf8), Array("0".utf8), table]), R.ok)
        XCTAssertEqual(h.encoding("t2"), "hashtable")
        // A plain set of integers loads as an intset; a large one as a table.
        h.sadd("nums", (0..<600).map(String.init))
        XCTAssertEqual(h.encoding("nums"), "hashtable")
        let reply = h.runBytes([Array("DUMP".utf8), Array("nums".utf8)])
        let payload = Array(reply[(reply.firstIndex(of: 10)! + 1)..<(reply.count - 2)])
        XCTAssertEqual(h.run([Array("RESTORE".utf8), Array("nums2".utf8), Array("0".utf8), payload]), R.ok)
        XCTAssertEqual(h.encoding("nums2"), "hashtable")
        XCTAssertEqual(h.members("nums2"), Set((0..<600).map(String.init)))
        let w = RDBWriter(compress: false)
        w.byte(RDB.TypeCode.set)
        w.length(3)
        for m in ["3", "1", "2"] { w.string(m) }
        var r = RDBReader(Bytes(start: nil, count: 0))
        let loaded: SetValue? = w.bytes.withBytes { b in
            r = RDBReader(b)
            _ = SetCommands.all
            guard let t = try? r.byte(), case .object(let o)? = try? RDBValues.read(t, &r) else { return nil }
            return o as? SetValue
        }
        XCTAssertEqual(loaded?.encodingName, "intset")
        XCTAssertEqual(loaded?.count, 3)
    }
}
