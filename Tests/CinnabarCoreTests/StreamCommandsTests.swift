@testable import CinnabarCore
import Foundation
import Glibc
import XCTest

/// A run of commands whose replies Redis 7.0.15 gave (StreamRedisReplies.swift).
struct StreamReplyScript {
    let title: String
    let resp: Int
    let steps: [StreamReplyStep]

    init(_ title: String, resp: Int, steps: [StreamReplyStep]) {
        self.title = title
        self.resp = resp
        self.steps = steps
    }
}

struct StreamReplyStep {
    let args: [[UInt8]]
    let reply: [UInt8]
}

/// The bytes a generated literal stands for: each scalar (all below U+0100) is one byte.
func latin1(_ s: String) -> [UInt8] {
    s.unicodeScalars.map { UInt8(truncatingIfNeeded: $0.value) }
}

func streamStep(_ args: [String], _ reply: String) -> StreamReplyStep {
    StreamReplyStep(args: args.map(latin1), reply: latin1(reply))
}

private extension Harness {
    func raw(_ args: [[UInt8]]) -> [UInt8] {
        let before = client.reply.count
        server.execute(client, args)
        let out = Array(client.reply.bytes(from: before))
        client.reply.reset()
        return out
    }

    /// Records what each command that changed data asks to log instead of
    /// itself: nil when logged as called, [] when nothing is logged.
    func recordLoggedCommands() -> () -> [String]?? {
        final class Box { var last: [String]?? = .none }
        let box = Box()
        server.afterExecuteHooks.append { c, _, _ in
            box.last = .some(c.propagateAs?.map { $0.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ") })
            c.propagateAs = nil
        }
        return {
            defer { box.last = .none }
            return box.last
        }
    }
}

/// Replaces the TIME argument of logged XCLAIMs, which carries the delivery clock.
private func maskTime(_ commands: [String]?) -> [String]? {
    commands?.map { cmd in
        var words = cmd.split(separator: " ").map(String.init)
        if words.first == "XCLAIM", let t = words.firstIndex(of: "TIME"), t + 1 < words.count { words[t + 1] = "T" }
        return words.joined(separator: " ")
    }
}

final class StreamCommandsTests: XCTestCase {
    /// Every scripted command answers exactly as Redis 7.0.15 did.
    func testRepliesMatchRedisByteForByte() {
        let h = Harness()
        for script in StreamRedisReplies.scripts {
            _ = h.raw([latin1("HELLO"), latin1(String(script.resp))])
            _ = h.raw([latin1("FLUSHALL")])
            _ = h.raw(["CONFIG", "SET", "stream-node-max-entries", "100"].map(latin1))
            _ = h.raw(["CONFIG", "SET", "stream-node-max-bytes", "4096"].map(latin1))
            for step in script.steps {
                let got = h.raw(step.args)
                if got != step.reply {
                    XCTFail("""
                        [\(script.title)] \(step.args.map { "\"\(String(decoding: $0, as: UTF8.self))\"" }.joined(separator: " "))
                          expected: \(String(decoding: step.reply, as: UTF8.self).debugDescription)
                          got:      \(String(decoding: got, as: UTF8.self).debugDescription)
                        """)
                }
            }
        }
    }

    /// Keyspace events and change counts per command, as Redis 7.0.15 emits
    /// and counts them (recorded against redis-server with notify-keyspace-events KEAn).
    func testKeyspaceEventsAndChangeCounts() {
        let h = Harness()
        _ = h.run("CONFIG", "SET", "notify-keyspace-events", "KEAn")
        let events = h.recordKeyEvents()
        let expected: [(String, Int, [String])] = [
            ("XADD s 1-0 a 1", 1, ["new s", "xadd s"]),
            ("XADD s 2-0 a 2", 1, ["xadd s"]),
            ("XADD s MAXLEN 1 3-0 a 3", 1, ["xadd s", "xtrim s"]),
            ("XADD s NOMKSTREAM 4-0 a 4", 1, ["xadd s"]),
            ("XADD missing NOMKSTREAM 4-0 a 4", 0, []),
            ("XADD s 2-0 a 2", 0, []),
            ("XTRIM s MAXLEN 0", 2, ["xtrim s"]),
            ("XTRIM s MAXLEN 0", 0, []),
            ("XADD s 5-0 a 5", 1, ["xadd s"]),
            ("XADD s 6-0 a 6", 1, ["xadd s"]),
            ("XDEL s 5-0 99-0", 1, ["xdel s"]),
            ("XDEL s 99-0", 0, []),
            ("XGROUP CREATE s g 0", 1, ["xgroup-create s"]),
            ("XGROUP CREATE s g 0", 0, []),
            ("XGROUP CREATE m g $ MKSTREAM", 1, ["new m", "xgroup-create m"]),
            ("XGROUP SETID s g 0", 1, ["xgroup-setid s"]),
            ("XGROUP CREATECONSUMER s g c1", 1, ["xgroup-createconsumer s"]),
            ("XGROUP CREATECONSUMER s g c1", 0, []),
            ("XREADGROUP GROUP g c2 STREAMS s >", 2, ["xgroup-createconsumer s"]),
            ("XREADGROUP GROUP g c2 STREAMS s 0", 1, []),
            ("XREADGROUP GROUP g c3 STREAMS s >", 0, []),
            ("XREADGROUP GROUP g c3 NOACK STREAMS s >", 0, []),
            ("XACK s g 6-0", 1, []),
            ("XACK s g 6-0", 0, []),
            ("XGROUP DELCONSUMER s g c2", 1, ["xgroup-delconsumer s"]),
            ("XGROUP DELCONSUMER s g c2", 0, []),
            ("XGROUP DESTROY s g", 1, ["xgroup-destroy s"]),
            ("XGROUP DESTROY s g", 0, []),
            ("XSETID s 10-0", 1, ["xsetid s"]),
            ("XGROUP CREATE s g 0", 1, ["xgroup-create s"]),
            ("XADD s 11-0 a 1", 1, ["xadd s"]),
            ("XADD s 12-0 a 1", 1, ["xadd s"]),
            ("XREADGROUP GROUP g c1 STREAMS s >", 2, ["xgroup-createconsumer s"]),
            ("XCLAIM s g c4 0 11-0 JUSTID", 2, ["xgroup-createconsumer s"]),
            ("XCLAIM s g c4 0 99-0 FORCE", 0, []),
            ("XDEL s 12-0", 1, ["xdel s"]),
            ("XAUTOCLAIM s g c5 0 0-0 JUSTID", 4, ["xgroup-createconsumer s"]),
            ("XCLAIM s g c1 0 11-0 LASTID 50-0 JUSTID", 1, []),
            ("XCLAIM s g c1 0 77-0 LASTID 60-0 JUSTID", 1, []),
            ("XREAD STREAMS s 0", 0, []),
            ("XRANGE s - +", 0, []),
            ("XINFO STREAM s", 0, []),
            ("XLEN s", 0, []),
        ]
        for (line, changes, evs) in expected {
            let before = h.dirty
            h.run(line.split(separator: " ").map { Array($0.utf8) })
            XCTAssertEqual(h.dirty - before, changes, line)
            XCTAssertEqual(events(), evs, line)
        }
    }

    /// What each write logs, as Redis 7.0.15 wrote it to its AOF for the same
    /// commands (XCLAIM delivery times masked).
    func testPropagationAsRedis() {
        let h = Harness()
        let logged = h.recordLoggedCommands()
        let expected: [(String, [String]??)] = [
            ("XADD s 1-0 a 1", .some(nil)),
            ("XADD s 2-* a 2", .some(["XADD s 2-0 a 2"])),
            ("XADD s MAXLEN ~ 1 3-0 a 3", .some(["XADD s MAXLEN = 3 3-0 a 3"])),
            ("XADD s MAXLEN = 1 4-0 a 4", .some(nil)),
            ("XADD s MINID ~ 2 5-* a 5", .some(["XADD s MINID = 1-0 5-0 a 5"])),
            ("XADD missing NOMKSTREAM 1-0 a 1", .none),
            ("XTRIM s MAXLEN ~ 0", .some(["XTRIM s MAXLEN = 0"])),
            ("XTRIM s MAXLEN 1", .none),
            ("XTRIM s MINID ~ 0", .none),
            ("XADD s 6-0 a 6", .some(nil)),
            ("XADD s 7-0 a 7", .some(nil)),
            ("XADD s 8-0 a 8", .some(nil)),
            ("XDEL s 6-0 99-0", .some(nil)),
            ("XGROUP CREATE s g 0", .some(nil)),
            ("XGROUP CREATE m g $ MKSTREAM", .some(nil)),
            ("XGROUP SETID s g 0 ENTRIESREAD 0", .some(nil)),
            ("XGROUP CREATECONSUMER s g c1", .some(nil)),
            ("XREADGROUP GROUP g c2 COUNT 1 STREAMS s >", .some(["XCLAIM s g c2 0 7-0 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 7-0"])),
            ("XREADGROUP GROUP g c2 STREAMS s 0", .some([])),
            ("XREADGROUP GROUP g c3 NOACK STREAMS s >", .some(["XGROUP CREATECONSUMER s g c3", "XGROUP SETID s g 8-0 ENTRIESREAD 2"])),
            ("XACK s g 7-0", .some(nil)),
            ("XADD s 9-0 a 9", .some(nil)),
            ("XADD s 10-0 a 10", .some(nil)),
            ("XREADGROUP GROUP g c1 STREAMS s >", .some(["XCLAIM s g c1 0 9-0 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 9-0",
                                                          "XCLAIM s g c1 0 10-0 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 10-0"])),
            ("XCLAIM s g c4 0 9 JUSTID", .some(["XCLAIM s g c4 0 9 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 10-0"])),
            ("XCLAIM s g c4 0 99-0 FORCE", .none),
            ("XDEL s 10-0", .some(nil)),
            ("XAUTOCLAIM s g c5 0 0-0 JUSTID", .some(["XCLAIM s g c5 0 9-0 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 10-0",
                                                      "XCLAIM s g c1 0 10-0 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 10-0"])),
            ("XCLAIM s g c1 0 9-0 LASTID 50-0 JUSTID", .some(["XCLAIM s g c1 0 9-0 TIME T RETRYCOUNT 1 FORCE JUSTID LASTID 50-0"])),
            ("XCLAIM s g c1 0 77-0 LASTID 60-0 JUSTID", .some(["XGROUP SETID s g 60-0 ENTRIESREAD 4"])),
            ("XCLAIM s g c6 0 9-0 RETRYCOUNT 5 IDLE 10", .some(["XCLAIM s g c6 0 9-0 TIME T RETRYCOUNT 5 FORCE JUSTID LASTID 60-0"])),
            ("XGROUP DELCONSUMER s g c2", .some(nil)),
            ("XGROUP DESTROY s g", .some(nil)),
            ("XSETID s 100-0 ENTRIESADDED 50 MAXDELETEDID 20-0", .some(nil)),
            ("XREAD STREAMS s 0", .none),
        ]
        for (line, want) in expected {
            h.run(line.split(separator: " ").map { Array($0.utf8) })
            let got = logged()
            switch (want, got) {
            case (.none, .none): break
            case (.some(let w), .some(let g)): XCTAssertEqual(maskTime(g), w, line)
            default: XCTFail("\(line): expected \(String(describing: want)), logged \(String(describing: got))")
            }
        }
    }

    /// Blocking reads answer at once where they may not block: inside MULTI
    /// and scripts (which refuse BLOCK outright).
    func testBlockingReadsInsideTransactionsAndScripts() {
        let h = Harness()
        h.run("XADD", "s", "1-0", "a", "1")
        h.run("XGROUP", "CREATE", "s", "g", "$")
        h.run("MULTI")
        h.run("XREAD", "BLOCK", "0", "STREAMS", "s", "$")
        h.run("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
        XCTAssertEqual(h.run("EXEC"), "*2\r\n*-1\r\n*-1\r\n")
        XCTAssertEqual(h.run("EVAL", "return redis.pcall('xread','BLOCK','0','STREAMS','s','$')", "1", "s"),
                       R.err("ERR xread command is not allowed with BLOCK option from scripts"))
        XCTAssertEqual(h.run("CLIENT", "UNBLOCK", String(h.client.id)), R.int(0))
    }

    /// COPY, DUMP/RESTORE and RENAME keep everything: entries, counters,
    /// groups, consumers and pending entries; a copy is independent.
    func testCopiesAndDumpsAreDeepAndComplete() {
        let h = Harness(["stream-node-max-entries": "2"])
        for i in 1...7 { h.run("XADD", "s", "\(i)-0", "f", "v\(i)", "n", "\(i * 1000)") }
        h.run("XDEL", "s", "3-0")
        h.run("XGROUP", "CREATE", "s", "g", "0")
        h.run("XGROUP", "CREATE", "s", "empty", "$")
        h.run("XREADGROUP", "GROUP", "g", "alice", "COUNT", "2", "STREAMS", "s", ">")
        h.run("XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "s", ">")
        h.run("XGROUP", "CREATECONSUMER", "s", "g", "carol")
        let full = h.run("XINFO", "STREAM", "s", "FULL")
        XCTAssertEqual(h.run("COPY", "s", "c"), R.int(1))
        XCTAssertEqual(h.run("XINFO", "STREAM", "c", "FULL"), full)
        let payload = h.raw([Array("DUMP".utf8), Array("s".utf8)])
        let body = Array(payload[(payload.firstIndex(of: 10)! + 1)..<(payload.count - 2)])
        XCTAssertEqual(h.run([Array("RESTORE".utf8), Array("r".utf8), Array("0".utf8), body]), R.ok)
        XCTAssertEqual(h.run("XINFO", "STREAM", "r", "FULL"), full)
        // Changing the original leaves the copies alone.
        h.run("XACK", "s", "g", "1-0", "2-0")
        h.run("XGROUP", "DELCONSUMER", "s", "g", "bob")
        h.run("XADD", "s", "MAXLEN", "0", "9-0", "x", "y")
        XCTAssertEqual(h.run("XINFO", "STREAM", "c", "FULL"), full)
        XCTAssertEqual(h.run("XINFO", "STREAM", "r", "FULL"), full)
        XCTAssertEqual(h.run("RENAME", "c", "moved"), R.ok)
        XCTAssertEqual(h.run("XINFO", "STREAM", "moved", "FULL"), full)
        XCTAssertEqual(h.run("TYPE", "moved"), R.status("stream"))
        XCTAssertEqual(h.run("OBJECT", "ENCODING", "moved"), R.bulk("stream"))
    }

    /// MEMORY USAGE grows with the entries and their groups (Redis reports
    /// about 4.7 KB and 130 KB for these two streams).
    func testMemoryUsageIsReasonable() {
        let h = Harness()
        func usage() -> Int { Int(h.run("MEMORY", "USAGE", "s").dropFirst().trimmingCharacters(in: .whitespacesAndNewlines))! }
        h.run("XADD", "s", "1-0", "f", "v")
        let small = usage()
        let value = String(repeating: "x", count: 100)
        for i in 2...1000 { h.run("XADD", "s", "\(i)-0", "f", value) }
        let big = usage()
        XCTAssertGreaterThan(big, 100 * 1000)
        XCTAssertLessThan(big, 4 * 100 * 1000)
        XCTAssertLessThan(small, 8192)
        h.run("XGROUP", "CREATE", "s", "g", "0")
        h.run("XREADGROUP", "GROUP", "g", "c", "STREAMS", "s", ">")
        XCTAssertGreaterThan(usage(), big)
    }

    /// The stream value against a plain model: random appends with varying
    /// fields, deletions, exact and approximate trims over small nodes; ranges
    /// both ways, counters, and an RDB round trip agree at every step.
    func testStreamValueAgainstModel() throws {
        var rng = SystemRandomNumberGenerator()
        for round in 0..<30 {
            let s = StreamValue()
            var model: [(StreamID, [[UInt8]])] = []
            var ms: UInt64 = 1
            let maxEntries = [0, 1, 2, 5, 100][round % 5]
            let maxBytes = [0, 60, 4096][round % 3]
            var deletedMax = StreamID.zero
            for _ in 0..<Int.random(in: 0...300, using: &rng) {
                let op = Int.random(in: 0..<10, using: &rng)
                if op < 6 {
                    ms += UInt64.random(in: 0...2, using: &rng)
                    let id = StreamID(ms: ms, seq: (model.last.map { $0.0.ms == ms ? $0.0.seq + 1 : 0 }) ?? 0)
                    let lastID = s.lastID
                    let useID = id > lastID ? id : lastID.successor!
                    let names = [["a"], ["a", "b"], ["x"], ["a", "b", "c"]][Int.random(in: 0..<4, using: &rng)]
                    var fields: [[UInt8]] = []
                    for n in names {
                        fields.append(Array(n.utf8))
                        fields.append(Array(["1", "-7", "007", "v", String(repeating: "z", count: 70), "123456789012"][Int.random(in: 0..<6, using: &rng)].utf8))
                    }
                    try s.append(id: useID, pairs: names.count, maxBytes: maxBytes, maxEntries: maxEntries) { i in
                        fields[i].withUnsafeBufferPointer { $0 }
                    }
                    ms = useID.ms
                    model.append((useID, fields))
                } else if op < 8, !model.isEmpty {
                    let victim = model[Int.random(in: 0..<model.count, using: &rng)].0
                    XCTAssertTrue(s.delete(victim))
                    XCTAssertFalse(s.delete(victim))
                    model.removeAll { $0.0 == victim }
                    if victim > deletedMax { deletedMax = victim }
                } else if op == 8 {
                    let keep = Int.random(in: 0...max(model.count, 1), using: &rng)
                    var t = StreamValue.Trim()
                    t.strategy = .maxlen(UInt64(keep))
                    t.approximate = Bool.random(using: &rng)
                    let removed = s.trim(t)
                    XCTAssertEqual(Int(removed), model.count - Int(s.length))
                    model.removeFirst(Int(removed))
                    if !t.approximate { XCTAssertEqual(model.count, min(keep, model.count)) }
                } else if let mid = model.randomElement(using: &rng) {
                    var t = StreamValue.Trim()
                    t.strategy = .minid(mid.0)
                    let removed = s.trim(t)
                    model.removeAll { $0.0 < mid.0 }
                    XCTAssertEqual(Int(s.length), model.count, "removed \(removed)")
                }
                XCTAssertEqual(Int(s.length), model.count)
            }
            func entries(_ v: StreamValue, reverse: Bool) -> [(StreamID, [[UInt8]])] {
                var out: [(StreamID, [[UInt8]])] = []
                var it = StreamValue.Iterator(v, reverse: reverse)
                while let e = it.next() {
                    var f: [[UInt8]] = []
                    v.forEachField(e) { a, b in f.append(a.array); f.append(b.array) }
                    out.append((e.id, f))
                }
                return out
            }
            let forward = entries(s, reverse: false)
            XCTAssertEqual(forward.map { $0.0 }, model.map { $0.0 })
            XCTAssertEqual(forward.map { $0.1 }, model.map { $0.1 })
            XCTAssertEqual(entries(s, reverse: true).map { $0.0 }, model.reversed().map { $0.0 })
            XCTAssertEqual(s.lastLiveID, model.last?.0 ?? .zero)
            // Ranges from every model ID.
            if let probe = model.randomElement(using: &rng) {
                var it = StreamValue.Iterator(s, start: probe.0, end: .max)
                XCTAssertEqual(it.next()?.id, probe.0)
                var back = StreamValue.Iterator(s, start: .zero, end: probe.0, reverse: true)
                XCTAssertEqual(back.next()?.id, probe.0)
            }
            // An RDB round trip reproduces the value.
            let w = RDBWriter(compress: true)
            s.rdbWrite(w)
            var r = w.bytes.withBytes { RDBReader($0) }
            let copy = try w.bytes.withBytes { b -> StreamValue in
                r = RDBReader(b)
                return try StreamValue.rdbLoad(RDB.TypeCode.streamListpacks2, &r) as! StreamValue
            }
            XCTAssertEqual(entries(copy, reverse: false).map { $0.0 }, forward.map { $0.0 })
            XCTAssertEqual(copy.length, s.length)
            XCTAssertEqual(copy.lastID, s.lastID)
            XCTAssertEqual(copy.treeNodeCount, s.treeNodeCount)
        }
    }

    /// Radix tree node counts for known key sets, as Redis reports them.
    func testRadixTreeNodeCounts() {
        let h = Harness(["stream-node-max-entries": "1"])
        XCTAssertEqual(h.run("XGROUP", "CREATE", "s", "g", "$", "MKSTREAM"), R.ok)
        func nodes() -> String {
            let r = h.run("XINFO", "STREAM", "s")
            let lines = r.components(separatedBy: "\r\n")
            return lines[lines.firstIndex(of: "radix-tree-nodes")! + 1]
        }
        XCTAssertEqual(nodes(), ":1")
        h.run("XADD", "s", "1-0", "f", "v")
        XCTAssertEqual(nodes(), ":2")
        h.run("XADD", "s", "2-0", "f", "v")
        XCTAssertEqual(nodes(), ":6")
        h.run("XADD", "s", "300-0", "f", "v")
        XCTAssertEqual(nodes(), ":9")
        h.run("XDEL", "s", "2-0")
        XCTAssertEqual(nodes(), ":6")
    }

    /// Stream errors quote key and group names as C strings (cut at a NUL byte), as Redis 7.0.15 does.
    func testErrorsQuoteNamesAsCStrings() {
        let h = Harness()
        XCTAssertEqual(h.run("XADD", "s", "1-1", "f", "v"), R.bulk("1-1"))
        XCTAssertEqual(h.run("XREADGROUP", "GROUP", "g\0x", "c", "STREAMS", "s", ">"),
                       R.err("NOGROUP No such key 's' or consumer group 'g' in XREADGROUP with GROUP option"))
        XCTAssertEqual(h.run("XGROUP", "SETID", "s", "g\0x", "0"), R.err("NOGROUP No such consumer group 'g' for key name 's'"))
        XCTAssertEqual(h.run("XPENDING", "k\0x", "g\0y"), R.err("NOGROUP No such key 'k' or consumer group 'g'"))
        XCTAssertEqual(h.run("XGROUP", "CREATE", "s", "g", "0"), R.ok)
        XCTAssertEqual(h.run("XCLAIM", "s", "g", "c", "0", "1-1", "o\0pt"), R.err("ERR Unrecognized XCLAIM option 'o'"))
    }
}
