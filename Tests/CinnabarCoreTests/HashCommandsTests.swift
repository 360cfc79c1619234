@testable import CinnabarCore
import Glibc
import XCTest

private extension Harness {
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

/// The content of a bulk reply given as raw bytes.
private func bulkContent(_ reply: [UInt8]) -> [UInt8] {
    let start = reply.firstIndex(of: 10)! + 1
    return Array(reply[start..<(reply.count - 2)])
}

final class HashCommandsTests: XCTestCase {
    func testSetGetAndReadReplies() {
        let h = Harness()
        XCTAssertEqual(h.run("HSET", "h", "a", "1", "b", "2"), R.int(2))
        XCTAssertEqual(h.run("HSET", "h", "b", "20", "c", "3"), R.int(1))
        XCTAssertEqual(h.run("HMSET", "h", "d", "4"), R.ok)
        XCTAssertEqual(h.run("HGET", "h", "b"), R.bulk("20"))
        XCTAssertEqual(h.run("HGET", "h", "zz"), R.null)
        XCTAssertEqual(h.run("HGET", "nokey", "a"), R.null)
        XCTAssertEqual(h.run("HMGET", "h", "a", "zz", "d"), "*3\r\n" + R.bulk("1") + R.null + R.bulk("4"))
        XCTAssertEqual(h.run("HMGET", "nokey", "a", "b"), "*2\r\n" + R.null + R.null)
        XCTAssertEqual(h.run("HLEN", "h"), R.int(4))
        XCTAssertEqual(h.run("HLEN", "nokey"), R.int(0))
        XCTAssertEqual(h.run("HEXISTS", "h", "a"), R.int(1))
        XCTAssertEqual(h.run("HEXISTS", "h", "q"), R.int(0))
        XCTAssertEqual(h.run("HSTRLEN", "h", "b"), R.int(2))
        XCTAssertEqual(h.run("HSTRLEN", "h", "q"), R.int(0))
        // A packed hash keeps insertion order, updates in place.
        XCTAssertEqual(h.run("HKEYS", "h"), R.bulks(["a", "b", "c", "d"]))
        XCTAssertEqual(h.run("HVALS", "h"), R.bulks(["1", "20", "3", "4"]))
        XCTAssertEqual(h.run("HGETALL", "h"), R.bulks(["a", "1", "b", "20", "c", "3", "d", "4"]))
        XCTAssertEqual(h.run("HGETALL", "nokey"), "*0\r\n")
        XCTAssertEqual(h.run("HKEYS", "nokey"), "*0\r\n")
        XCTAssertEqual(h.run("HSETNX", "h", "a", "x"), R.int(0))
        XCTAssertEqual(h.run("HSETNX", "h", "e", "5"), R.int(1))
        XCTAssertEqual(h.run("HGET", "h", "e"), R.bulk("5"))
        XCTAssertEqual(h.run("HSETNX", "new", "f", "v"), R.int(1))
        XCTAssertEqual(h.run("TYPE", "new"), R.status("hash"))
        // Empty fields and values are fine.
        XCTAssertEqual(h.run("HSET", "h", "", ""), R.int(1))
        XCTAssertEqual(h.run("HGET", "h", ""), R.bulk(""))
    }

    func testResp3Shapes() {
        let h = Harness()
        h.run("HELLO", "3")
        h.run("HSET", "h", "a", "1", "b", "2")
        XCTAssertEqual(h.run("HGETALL", "h"), "%2\r\n" + R.bulk("a") + R.bulk("1") + R.bulk("b") + R.bulk("2"))
        XCTAssertEqual(h.run("HGETALL", "nokey"), "%0\r\n")
        XCTAssertEqual(h.run("HGET", "h", "zz"), "_\r\n")
        XCTAssertEqual(h.run("HRANDFIELD", "nokey"), "_\r\n")
        XCTAssertEqual(h.run("HRANDFIELD", "h", "5", "WITHVALUES"),
                       "*2\r\n*2\r\n" + R.bulk("a") + R.bulk("1") + "*2\r\n" + R.bulk("b") + R.bulk("2"))
        let one = h.run("HRANDFIELD", "h", "-3", "WITHVALUES")
        XCTAssertTrue(one.hasPrefix("*3\r\n*2\r\n"), one)
        XCTAssertEqual(one.components(separatedBy: "*2\r\n").count, 4)
    }

    func testErrors() {
        let h = Harness()
        let wrongType = R.err("WRONGTYPE Operation against a key holding the wrong kind of value")
        XCTAssertEqual(h.run("HSET", "h", "a", "1", "b"), R.err("ERR wrong number of arguments for 'hset' command"))
        XCTAssertEqual(h.run("HMSET", "h", "a", "1", "b"), R.err("ERR wrong number of arguments for 'hmset' command"))
        XCTAssertEqual(h.run("HSET", "h", "a"), R.err("ERR wrong number of arguments for 'hset' command"))
        XCTAssertEqual(h.run("EXISTS", "h"), R.int(0))
        h.run("SET", "s", "x")
        for args in [["HSET", "s", "a", "b"], ["HSETNX", "s", "a", "b"], ["HGET", "s", "a"], ["HMGET", "s", "a"],
                     ["HGETALL", "s"], ["HKEYS", "s"], ["HVALS", "s"], ["HDEL", "s", "a"], ["HLEN", "s"],
                     ["HEXISTS", "s", "a"], ["HSTRLEN", "s", "a"], ["HINCRBY", "s", "a", "1"],
                     ["HINCRBYFLOAT", "s", "a", "1"], ["HRANDFIELD", "s"], ["HRANDFIELD", "s", "2"], ["HSCAN", "s", "0"]] {
            XCTAssertEqual(h.run(args.map { Array($0.utf8) }), wrongType, "\(args)")
        }
    }

    func testIncrements() {
        let h = Harness()
        let props = h.recordPropagation()
        XCTAssertEqual(h.run("HINCRBY", "h", "n", "5"), R.int(5))
        XCTAssertEqual(h.run("HINCRBY", "h", "n", "-7"), R.int(-2))
        XCTAssertEqual(h.run("HINCRBY", "h", "n", "x"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("HINCRBY", "h", "n", "9223372036854775808"), R.err("ERR value is not an integer or out of range"))
        h.run("HSET", "h", "s", "foo", "sp", " 1", "max", "9223372036854775807", "min", "-9223372036854775808")
        XCTAssertEqual(h.run("HINCRBY", "h", "s", "1"), R.err("ERR hash value is not an integer"))
        XCTAssertEqual(h.run("HINCRBY", "h", "sp", "1"), R.err("ERR hash value is not an integer"))
        XCTAssertEqual(h.run("HINCRBY", "h", "max", "1"), R.err("ERR increment or decrement would overflow"))
        XCTAssertEqual(h.run("HINCRBY", "h", "min", "-1"), R.err("ERR increment or decrement would overflow"))
        XCTAssertEqual(h.run("HINCRBY", "h", "max", "-1"), R.int(9223372036854775806))

        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "f", "1.5"), R.bulk("1.5"))
        XCTAssertEqual(props(), ["HSET h f 1.5"])
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "f", "0.1"), R.bulk("1.6"))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "n", "1e2"), R.bulk("98"))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "f", "abc"), R.err("ERR value is not a valid float"))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "f", "+inf"), R.err("ERR value is NaN or Infinity"))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "nothere", "f", "inf"), R.err("ERR value is NaN or Infinity"))
        XCTAssertEqual(h.run("EXISTS", "nothere"), R.int(0))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "s", "1"), R.err("ERR hash value is not a float"))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "sp", "1"), R.err("ERR hash value is not a float"))
        h.run(["HSET", "h", "nul", "1\u{0}2"].map { Array($0.utf8) })
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "nul", "1"), R.err("ERR hash value is not a float"))
        h.run("HSET", "h", "huge", "1.7e308")
        // Long double arithmetic and Redis's %.17Lf-style formatting.
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "huge", "1.7e308"), R.bulk(
            "340000000000000000006273556050395193590540427779388267466087171526404912102411641988123739177800600673957047683771263425322806997836001586961457274820033393094901317200013624802610872515245814124760542925564488876540887382670905522638137419003805178364056052028734561012664811529831035124023358619554802565120"))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "big", "1.2e4932"), R.err("ERR value is not a valid float"))
        XCTAssertTrue(h.run("HINCRBYFLOAT", "h", "big", "1.1e4932").hasPrefix("$4933\r\n10999999999999999999743731"))
        XCTAssertEqual(h.run("HINCRBYFLOAT", "h", "big", "1.1e4932"), R.err("ERR increment would produce NaN or Infinity"))
    }

    func testPackedToTableConversion() {
        let h = Harness(["hash-max-listpack-entries": "4", "hash-max-listpack-value": "8"])
        h.run("HSET", "h", "a", "1", "b", "2", "c", "3", "d", "4")
        XCTAssertEqual(h.encoding("h"), "listpack")
        h.run("HSET", "h", "e", "5")
        XCTAssertEqual(h.encoding("h"), "hashtable")
        // One way: deleting back under the limit keeps the table.
        h.run("HDEL", "h", "a", "b", "c", "d")
        XCTAssertEqual(h.encoding("h"), "hashtable")
        XCTAssertEqual(h.run("HGETALL", "h"), R.bulks(["e", "5"]))

        // A long field or value converts before it is stored, even if the write is an update.
        h.run("HSET", "v", "f", "12345678")
        XCTAssertEqual(h.encoding("v"), "listpack")
        h.run("HSET", "v", "f", "123456789")
        XCTAssertEqual(h.encoding("v"), "hashtable")
        XCTAssertEqual(h.run("HGET", "v", "f"), R.bulk("123456789"))
        h.run("HSET", "w", "123456789", "x")
        XCTAssertEqual(h.encoding("w"), "hashtable")
        // HINCRBYFLOAT producing a long value converts too.
        h.run("HSET", "x", "f", "1")
        XCTAssertEqual(h.run("HINCRBYFLOAT", "x", "f", "0.1234567"), R.bulk("1.1234567"))
        XCTAssertEqual(h.encoding("x"), "hashtable")
        // HSETNX checks only its own arguments.
        h.run("HSETNX", "y", "f", "short")
        XCTAssertEqual(h.encoding("y"), "listpack")
        h.run("HSETNX", "y", "g", "longer-than-8")
        XCTAssertEqual(h.encoding("y"), "hashtable")

        let z = Harness(["hash-max-listpack-entries": "0"])
        z.run("HSET", "h", "a", "1")
        XCTAssertEqual(z.encoding("h"), "hashtable")
    }

    func testDeleteAndEventsAndDirty() {
        let h = Harness(["notify-keyspace-events": "KEAn"])
        let events = h.recordKeyEvents()
        var d = h.dirty
        h.run("HSET", "h", "a", "1", "b", "2", "a", "3")
        XCTAssertEqual(events(), ["new h", "hset h"])
        XCTAssertEqual(h.dirty - d, 3)
        d = h.dirty
        h.run("HSET", "h", "a", "3")
        XCTAssertEqual(events(), ["hset h"])
        XCTAssertEqual(h.dirty - d, 1)
        h.run("HSETNX", "h", "a", "3")
        XCTAssertEqual(events(), [])
        h.run("HINCRBY", "h", "n", "1")
        h.run("HINCRBYFLOAT", "h", "n", "1.5")
        XCTAssertEqual(events(), ["hincrby h", "hincrbyfloat h"])
        d = h.dirty
        XCTAssertEqual(h.run("HDEL", "h", "zz"), R.int(0))
        XCTAssertEqual(events(), [])
        XCTAssertEqual(h.run("HDEL", "h", "a", "zz", "b"), R.int(2))
        XCTAssertEqual(events(), ["hdel h"])
        XCTAssertEqual(h.dirty - d, 2)
        // Deleting the last field deletes the key; extra fields are not counted.
        XCTAssertEqual(h.run("HDEL", "h", "n", "n", "other"), R.int(1))
        XCTAssertEqual(events(), ["hdel h", "del h"])
        XCTAssertEqual(h.run("EXISTS", "h"), R.int(0))
        XCTAssertEqual(h.run("HDEL", "h", "x"), R.int(0))
    }

    func testRandomFieldCounts() {
        let h = Harness()
        XCTAssertEqual(h.run("HRANDFIELD", "nokey"), R.null)
        XCTAssertEqual(h.run("HRANDFIELD", "nokey", "3"), "*0\r\n")
        XCTAssertEqual(h.run("HRANDFIELD", "nokey", "-3", "WITHVALUES"), "*0\r\n")
        h.run("HSET", "h", "a", "1", "b", "2", "c", "3")
        XCTAssertEqual(h.run("HRANDFIELD", "h", "0"), "*0\r\n")
        XCTAssertEqual(h.run("HRANDFIELD", "h", "x"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("HRANDFIELD", "h", "1", "foo"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("HRANDFIELD", "h", "1", "WITHVALUES", "x"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("HRANDFIELD", "h", "-9223372036854775808"),
                       R.err("ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"))
        XCTAssertEqual(h.run("HRANDFIELD", "h", "-9223372036854770000", "WITHVALUES"), R.err("ERR value is out of range"))
        XCTAssertEqual(h.run("HRANDFIELD", "h", "9223372036854770000", "withvalues"), R.err("ERR value is out of range"))
        // At least the whole hash: everything, in order.
        XCTAssertEqual(h.run("HRANDFIELD", "h", "10"), R.bulks(["a", "b", "c"]))
        XCTAssertEqual(h.run("HRANDFIELD", "h", "3", "WITHVALUES"), R.bulks(["a", "1", "b", "2", "c", "3"]))
        // Negative counts repeat; pairs stay together.
        let repeated = bulkStrings(h.run("HRANDFIELD", "h", "-20", "WITHVALUES"))
        XCTAssertEqual(repeated.count, 40)
        for i in stride(from: 0, to: 40, by: 2) {
            XCTAssertEqual(["a": "1", "b": "2", "c": "3"][repeated[i]], repeated[i + 1])
        }
        XCTAssertTrue(Set(bulkStrings(h.run("HRANDFIELD", "h"))).isSubset(of: ["a", "b", "c"]))

        for config in [["hash-max-listpack-entries": "512"], ["hash-max-listpack-entries": "0"]] {
            let r = Harness(config)
            var args = ["HSET", "big"]
            for i in 0..<100 { args += ["f\(i)", "v\(i)"] }
            r.run(args.map { Array($0.utf8) })
            // Positive counts are distinct, whichever strategy serves them.
            for count in [2, 10, 40, 90, 99] {
                let fields = bulkStrings(r.run("HRANDFIELD", "big", String(count)))
                XCTAssertEqual(fields.count, count)
                XCTAssertEqual(Set(fields).count, count, "count \(count) in \(config)")
                let pairs = bulkStrings(r.run("HRANDFIELD", "big", String(count), "WITHVALUES"))
                for i in stride(from: 0, to: pairs.count, by: 2) {
                    XCTAssertEqual("v" + pairs[i].dropFirst(), pairs[i + 1])
                }
            }
        }
    }

    func testRandomFieldDistribution() {
        // Each field of a 10-field hash should come up about a tenth of the
        // time; a chi-square above 40 (9 degrees of freedom) has probability
        // under 0.00001.
        for config in [["hash-max-listpack-entries": "512"], ["hash-max-listpack-entries": "0"]] {
            let h = Harness(config)
            var args = ["HSET", "h"]
            for i in 0..<10 { args += ["f\(i)", "v"] }
            h.run(args.map { Array($0.utf8) })
            for count in ["-1000", "2", "8"] {
                var seen: [String: Int] = [:]
                var total = 0
                while total < 1000 {
                    for f in bulkStrings(h.run("HRANDFIELD", "h", count)) {
                        seen[f, default: 0] += 1
                        total += 1
                    }
                }
                let expected = Double(total) / 10
                let chi = (0..<10).reduce(0.0) { acc, i in
                    let o = Double(seen["f\(i)", default: 0])
                    return acc + (o - expected) * (o - expected) / expected
                }
                XCTAssertLessThan(chi, 40, "count \(count) \(config): \(seen)")
            }
        }
    }

    func testScan() {
        let h = Harness(["hash-max-listpack-entries": "8"])
        XCTAssertEqual(h.run("HSCAN", "nokey", "0"), "*2\r\n" + R.bulk("0") + "*0\r\n")
        XCTAssertEqual(h.run("HSCAN", "nokey", "0", "BADOPT"), "*2\r\n" + R.bulk("0") + "*0\r\n")
        XCTAssertEqual(h.run("HSCAN", "nokey", "x"), R.err("ERR invalid cursor"))
        h.run("HSET", "h", "a", "1", "b", "2", "ab", "3")
        // A packed hash comes back whole, whatever the cursor and count.
        XCTAssertEqual(h.run("HSCAN", "h", "0"), "*2\r\n" + R.bulk("0") + R.bulks(["a", "1", "b", "2", "ab", "3"]))
        XCTAssertEqual(h.run("HSCAN", "h", "7", "COUNT", "1"), "*2\r\n" + R.bulk("0") + R.bulks(["a", "1", "b", "2", "ab", "3"]))
        XCTAssertEqual(h.run("HSCAN", "h", "0", "MATCH", "a*"), "*2\r\n" + R.bulk("0") + R.bulks(["a", "1", "ab", "3"]))
        XCTAssertEqual(h.run("HSCAN", "h", "0", "COUNT", "0"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("HSCAN", "h", "0", "COUNT", "x"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("HSCAN", "h", "0", "TYPE", "hash"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("HSCAN", "h", "0", "COUNT"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("HSCAN", "h", "18446744073709551616"), R.err("ERR invalid cursor"))

        // A table scan returns every field present for the whole scan while
        // the hash grows and shrinks between calls.
        var args = ["HSET", "t"]
        for i in 0..<200 { args += ["k\(i)", "v\(i)"] }
        h.run(args.map { Array($0.utf8) })
        XCTAssertEqual(h.encoding("t"), "hashtable")
        var cursor = "0"
        var seen = Set<String>()
        var step = 0
        repeat {
            let all = bulkStrings(h.run("HSCAN", "t", cursor, "COUNT", "5"))
            cursor = all[0]
            for i in stride(from: 1, to: all.count, by: 2) {
                XCTAssertEqual(all[i].hasPrefix("k") ? "v" + all[i].dropFirst() : "x", all[i + 1])
                seen.insert(all[i])
            }
            step += 1
            // Grow the table eightfold, then shrink it back.
            if step % 6 == 0 {
                var grow = ["HSET", "t"]
                for i in 0..<2000 { grow += ["extra\(i)", "x"] }
                h.run(grow.map { Array($0.utf8) })
            } else if step % 6 == 3 {
                h.run((["HDEL", "t"] + (0..<2000).map { "extra\($0)" }).map { Array($0.utf8) })
            }
        } while cursor != "0" && step < 10_000
        XCTAssertEqual(cursor, "0")
        for i in 0..<200 { XCTAssertTrue(seen.contains("k\(i)"), "k\(i) missed") }
        let matched = bulkStrings(h.run("HSCAN", "t", "0", "MATCH", "k1*", "COUNT", "1000"))
        XCTAssertEqual(matched[0], "0")
        XCTAssertEqual(Set(stride(from: 1, to: matched.count, by: 2).map { matched[$0] }),
                       Set((0..<200).map { "k\($0)" }.filter { $0.hasPrefix("k1") }))
    }

    func testCopyKeepsEncodingAndContents() {
        let h = Harness(["hash-max-listpack-entries": "2"])
        h.run("HSET", "small", "a", "1")
        h.run("HSET", "big", "a", "1", "b", "2", "c", "3")
        XCTAssertEqual(h.run("COPY", "small", "small2"), R.int(1))
        XCTAssertEqual(h.run("COPY", "big", "big2"), R.int(1))
        h.run("HSET", "small", "a", "changed")
        h.run("HDEL", "big", "a")
        XCTAssertEqual(h.run("HGETALL", "small2"), R.bulks(["a", "1"]))
        XCTAssertEqual(h.encoding("small2"), "listpack")
        XCTAssertEqual(h.encoding("big2"), "hashtable")
        XCTAssertEqual(Set(bulkStrings(h.run("HKEYS", "big2"))), ["a", "b", "c"])
    }

    func testPackedValueEditsKeepNeighbours() {
        // Replacing values with longer and shorter ones (across the one-byte
        // length boundary) and deleting must leave the other pairs intact.
        let h = Harness(["hash-max-listpack-value": "1000"])
        h.run("HSET", "h", "a", "1", "b", "2", "c", "3")
        let long = String(repeating: "x", count: 300)
        h.run("HSET", "h", "b", long)
        XCTAssertEqual(h.run("HGETALL", "h"), R.bulks(["a", "1", "b", long, "c", "3"]))
        h.run("HSET", "h", "b", "")
        XCTAssertEqual(h.run("HGETALL", "h"), R.bulks(["a", "1", "b", "", "c", "3"]))
        h.run("HSET", "h", long, long)
        h.run("HDEL", "h", "a")
        XCTAssertEqual(h.run("HGETALL", "h"), R.bulks(["b", "", "c", "3", long, long]))
        XCTAssertEqual(h.encoding("h"), "listpack")
    }

    func testDumpAndRestore() {
        // Payloads as Redis 7.0.15 dumps `HSET h a 1 b hello` (listpack) and
        // `HSET ht a 1` with hash-max-listpack-entries 0 (hashtable).
        let packed = hex("101616000000040081610201018162028568656c6c6f06ff0a00e8c5fe99ee07955d")
        let table = hex("04010161c0010a0040911a90cb078b45")
        let h = Harness()
        h.run("HSET", "h", "a", "1", "b", "hello")
        XCTAssertEqual(h.runBytes([Array("DUMP".utf8), Array("h".utf8)]), Harness.bulkBytes(packed))
        XCTAssertEqual(h.run([Array("RESTORE".utf8), Array("r".utf8), Array("0".utf8), packed]), R.ok)
        XCTAssertEqual(h.run("HGETALL", "r"), R.bulks(["a", "1", "b", "hello"]))
        XCTAssertEqual(h.encoding("r"), "listpack")
        XCTAssertEqual(h.run([Array("RESTORE".utf8), Array("t".utf8), Array("0".utf8), table]), R.ok)
        XCTAssertEqual(h.run("HGETALL", "t"), R.bulks(["a", "1"]))
        XCTAssertEqual(h.encoding("t"), "listpack", "a small plain hash loads packed")

        let z = Harness(["hash-max-listpack-entries": "0"])
        z.run("HSET", "ht", "a", "1")
        XCTAssertEqual(z.runBytes([Array("DUMP".utf8), Array("ht".utf8)]), Harness.bulkBytes(table))

        // Round trips of both encodings, long values included.
        let big = Harness()
        var args = ["HSET", "big"]
        for i in 0..<600 { args += ["f\(i)", String(repeating: "v", count: i % 100)] }
        big.run(args.map { Array($0.utf8) })
        XCTAssertEqual(big.encoding("big"), "hashtable")
        let payload = bulkContent(big.runBytes([Array("DUMP".utf8), Array("big".utf8)]))
        XCTAssertEqual(big.run([Array("RESTORE".utf8), Array("copy".utf8), Array("0".utf8), payload]), R.ok)
        XCTAssertEqual(big.encoding("copy"), "hashtable")
        for i in stride(from: 0, to: 600, by: 37) {
            XCTAssertEqual(big.run("HGET", "copy", "f\(i)"), R.bulk(String(repeating: "v", count: i % 100)))
        }
        XCTAssertEqual(big.run("HLEN", "copy"), R.int(600))
    }

    func testLoaderRejectsDuplicatesAndEmpties() {
        func load(_ body: [UInt8], _ type: UInt8) -> String {
            let w = RDBWriter(compress: false)
            w.byte(type)
            w.raw(body)
            var r = RDBReader(Bytes(start: nil, count: 0))
            return w.bytes.withBytes { b -> String in
                r = RDBReader(b)
                do throws(RDBError) {
                    let t = try r.byte()
                    _ = try RDBValues.read(t, &r)
                    return "ok"
                } catch {
                    return error.message
                }
            }
        }
        _ = HashCommands.all
        // Plain hash with a repeated field, then an empty one.
        XCTAssertEqual(load([2, 1, 97, 1, 49, 1, 97, 1, 50], RDB.TypeCode.hash), "Duplicate hash fields detected")
        XCTAssertEqual(load([0], RDB.TypeCode.hash), "Empty keys are not allowed")
        var lp = ListpackEncoder()
        for s in ["a", "1", "a", "2"] { Array(s.utf8).withBytes { lp.append($0) } }
        let blob = lp.finish()
        XCTAssertEqual(load([UInt8(blob.count)] + blob, RDB.TypeCode.hashListpack), "Duplicate hash fields detected")
        var odd = ListpackEncoder()
        for s in ["a", "1", "b"] { Array(s.utf8).withBytes { odd.append($0) } }
        let oddBlob = odd.finish()
        XCTAssertEqual(load([UInt8(oddBlob.count)] + oddBlob, RDB.TypeCode.hashListpack), "Hash listpack integrity check failed.")
        // A zipmap (pre-2.6 RDB) of two pairs: a=1, bb=xyz (with one free byte).
        let zipmap: [UInt8] = [2, 1, 97, 1, 0, 49, 2, 98, 98, 3, 1, 120, 121, 122, 0, 255]
        XCTAssertEqual(load([UInt8(zipmap.count)] + zipmap, RDB.TypeCode.hashZipmap), "ok")
    }

    /// RESTORE converts a packed hash longer than the current hash-max-listpack-entries,
    /// as Redis 7.0.15 does (the payload below is Redis's DUMP of a 3-field listpack hash).
    func testRestoreAppliesConfiguredEntryLimit() {
        let h = Harness()
        let payload: [UInt8] = [0x10, 0x16, 0x16, 0x00, 0x00, 0x00, 0x06, 0x00, 0x81, 0x61, 0x02, 0x01, 0x01, 0x81, 0x62, 0x02, 0x02, 0x01,
                                0x81, 0x63, 0x02, 0x03, 0x01, 0xff, 0x0a, 0x00, 0xb8, 0x9b, 0x87, 0xb6, 0x0d, 0x5e, 0xbe, 0x5e]
        XCTAssertEqual(h.run([Array("RESTORE".utf8), Array("a".utf8), Array("0".utf8), payload]), R.ok)
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "a"), R.bulk("listpack"))
        XCTAssertEqual(h.run("CONFIG", "SET", "hash-max-listpack-entries", "2"), R.ok)
        XCTAssertEqual(h.run([Array("RESTORE".utf8), Array("b".utf8), Array("0".utf8), payload]), R.ok)
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "b"), R.bulk("hashtable"))
        XCTAssertEqual(h.run("HGET", "b", "c"), R.bulk("3"))
    }
}
