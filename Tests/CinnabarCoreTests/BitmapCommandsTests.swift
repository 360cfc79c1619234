import CinnabarCore
import XCTest

/// Expected replies below were taken from Redis 7.0.15 running the same commands.
final class BitmapCommandsTests: XCTestCase {
    static let wrongType = R.err("WRONGTYPE Operation against a key holding the wrong kind of value")

    func testSetbitGetbit() {
        let h = Harness()
        h.expect([
            (["set", "gb", "1234"], "+OK\r\n"),
            (["getbit", "gb", "0"], ":0\r\n"),
            (["getbit", "gb", "2"], ":1\r\n"),
            (["getbit", "gb", "3"], ":1\r\n"),
            (["getbit", "gb", "1000"], ":0\r\n"),
            (["getbit", "nokey", "0"], ":0\r\n"),
            (["getbit", "nokey", "-1"], "-ERR bit offset is not an integer or out of range\r\n"),
            (["getbit", "nokey", "x"], "-ERR bit offset is not an integer or out of range\r\n"),
            (["setbit", "gb", "0", "1"], ":0\r\n"),
            (["setbit", "sb", "7", "1"], ":0\r\n"),
            (["get", "sb"], "$1\r\n\u{01}\r\n"),
            (["setbit", "sb", "7", "1"], ":1\r\n"),
            (["setbit", "sb", "7", "0"], ":1\r\n"),
            (["setbit", "sb", "100", "1"], ":0\r\n"),
            (["strlen", "sb"], ":13\r\n"),
            (["setbit", "sb", "0", "2"], "-ERR bit is not an integer or out of range\r\n"),
            (["setbit", "sb", "0", "-1"], "-ERR bit is not an integer or out of range\r\n"),
            (["setbit", "sb", "0", "x"], "-ERR bit is not an integer or out of range\r\n"),
            (["setbit", "sb", "x", "1"], "-ERR bit offset is not an integer or out of range\r\n"),
            (["setbit", "sb", "-1", "1"], "-ERR bit offset is not an integer or out of range\r\n"),
            (["setbit", "sb", "4294967296", "1"], "-ERR bit offset is not an integer or out of range\r\n"),
        ])
        XCTAssertEqual(h.runBytes([Array("GET".utf8), Array("gb".utf8)]), Harness.bulkBytes([0xB1] + Array("234".utf8)))
        XCTAssertEqual(h.encoding("sb"), "raw")
        XCTAssertEqual(h.run("SET", "i", "123"), R.ok)
        XCTAssertEqual(h.run("SETBIT", "i", "0", "0"), R.int(0))
        XCTAssertEqual(h.encoding("i"), "raw", "SETBIT unshares the value even when no bit changes")
        h.makeList("l")
        XCTAssertEqual(h.run("SETBIT", "l", "0", "1"), Self.wrongType)
        XCTAssertEqual(h.run("SETBIT", "l", "-1", "1"), R.err("ERR bit offset is not an integer or out of range"))
        XCTAssertEqual(h.run("SETBIT", "l", "0", "2"), R.err("ERR bit is not an integer or out of range"))
        XCTAssertEqual(h.run("GETBIT", "l", "0"), Self.wrongType)
    }

    func testSetbitMatchesAModel() {
        let h = Harness()
        var model = [UInt8](repeating: 0, count: 64)
        var longest = 0
        for _ in 0..<500 {
            let offset = Int.random(in: 0..<512)
            let bit = Int.random(in: 0...1)
            let mask = UInt8(0x80) >> UInt8(offset & 7)
            let old = model[offset >> 3] & mask != 0 ? 1 : 0
            XCTAssertEqual(h.run("SETBIT", "k", "\(offset)", "\(bit)"), R.int(old))
            if bit == 1 { model[offset >> 3] |= mask } else { model[offset >> 3] &= ~mask }
            longest = max(longest, offset >> 3 + 1)
        }
        XCTAssertEqual(h.runBytes([Array("GET".utf8), Array("k".utf8)]), Harness.bulkBytes(Array(model[0..<longest])))
        let ones = model[0..<longest].reduce(0) { $0 + $1.nonzeroBitCount }
        XCTAssertEqual(h.run("BITCOUNT", "k"), R.int(ones))
    }

    func testBitcount() {
        let h = Harness()
        h.expect([
            (["set", "bc", "foobar"], "+OK\r\n"),
            (["bitcount", "bc"], ":26\r\n"),
            (["bitcount", "bc", "0", "0"], ":4\r\n"),
            (["bitcount", "bc", "1", "1"], ":6\r\n"),
            (["bitcount", "bc", "1", "1", "byte"], ":6\r\n"),
            (["bitcount", "bc", "5", "30", "bit"], ":17\r\n"),
            (["bitcount", "bc", "0", "-1", "bit"], ":26\r\n"),
            (["bitcount", "bc", "-1", "-2"], ":0\r\n"),
            (["bitcount", "bc", "-1", "-2", "foo"], ":0\r\n"),
            (["bitcount", "bc", "0", "1", "foo"], "-ERR syntax error\r\n"),
            (["bitcount", "bc", "0"], "-ERR syntax error\r\n"),
            (["bitcount", "bc", "0", "1", "2", "3"], "-ERR syntax error\r\n"),
            (["bitcount", "bc", "x", "1"], "-ERR value is not an integer or out of range\r\n"),
            (["bitcount", "bc", "1", "x"], "-ERR value is not an integer or out of range\r\n"),
            (["bitcount", "nokey"], ":0\r\n"),
            (["bitcount", "nokey", "0"], ":0\r\n"),
            (["bitcount", "nokey", "x", "y"], ":0\r\n"),
            (["bitcount", "bc", "-100", "-50"], ":4\r\n"),
            (["bitcount", "bc", "100", "200"], ":0\r\n"),
            (["bitcount", "bc", "3", "2"], ":0\r\n"),
            (["bitcount", "bc", "-5", "-1", "bit"], ":2\r\n"),
            (["bitcount", "bc", "1", "6", "bit"], ":4\r\n"),
            (["bitcount", "bc", "1", "1", "bit"], ":1\r\n"),
            (["bitcount", "bc", "0", "0", "bit"], ":0\r\n"),
            (["bitcount", "bc", "9223372036854775807", "-1"], ":0\r\n"),
            (["bitcount", "bc", "-9223372036854775808", "-1", "bit"], ":26\r\n"),
            (["set", "e", ""], "+OK\r\n"),
            (["bitcount", "e"], ":0\r\n"),
            (["bitcount", "e", "0", "-1"], ":0\r\n"),
            (["bitcount", "e", "0", "-1", "bit"], ":0\r\n"),
        ])
        h.makeList("l")
        XCTAssertEqual(h.run("BITCOUNT", "l", "0"), Self.wrongType, "the type is checked before the arguments")
        XCTAssertEqual(h.run("SET", "i", "1234"), R.ok)
        XCTAssertEqual(h.run("BITCOUNT", "i"), R.int(13))
    }

    func testBitpos() {
        let h = Harness()
        h.runBytes([Array("SET".utf8), Array("bp".utf8), [0xFF, 0xF0, 0x00]])
        h.runBytes([Array("SET".utf8), Array("ones".utf8), [0xFF, 0xFF, 0xFF]])
        h.runBytes([Array("SET".utf8), Array("zeros".utf8), [UInt8](repeating: 0, count: 17) + [1]])
        XCTAssertEqual(h.run("SET", "e", ""), R.ok)
        h.expect([
            (["bitpos", "bp", "0"], ":12\r\n"),
            (["bitpos", "bp", "1"], ":0\r\n"),
            (["bitpos", "bp", "0", "0"], ":12\r\n"),
            (["bitpos", "bp", "0", "2", "-1"], ":16\r\n"),
            (["bitpos", "bp", "1", "2"], ":-1\r\n"),
            (["bitpos", "bp", "0", "1", "1"], ":12\r\n"),
            (["bitpos", "bp", "1", "8", "15", "bit"], ":8\r\n"),
            (["bitpos", "bp", "0", "8", "15", "bit"], ":12\r\n"),
            (["bitpos", "bp", "0", "8", "11", "bit"], ":-1\r\n"),
            (["bitpos", "bp", "0", "12", "12", "bit"], ":12\r\n"),
            (["bitpos", "bp", "1", "3", "5", "bit"], ":3\r\n"),
            (["bitpos", "bp", "0", "0", "7", "bit"], ":-1\r\n"),
            (["bitpos", "bp", "0", "0", "-1", "bit"], ":12\r\n"),
            (["bitpos", "bp", "1", "-1", "-1", "bit"], ":-1\r\n"),
            (["bitpos", "bp", "0", "-3", "-1", "bit"], ":21\r\n"),
            (["bitpos", "bp", "2"], "-ERR The bit argument must be 1 or 0.\r\n"),
            (["bitpos", "bp", "x"], "-ERR value is not an integer or out of range\r\n"),
            (["bitpos", "bp", "1", "x"], "-ERR value is not an integer or out of range\r\n"),
            (["bitpos", "bp", "1", "0", "x"], "-ERR value is not an integer or out of range\r\n"),
            (["bitpos", "bp", "1", "0", "1", "foo"], "-ERR syntax error\r\n"),
            (["bitpos", "bp", "1", "0", "1", "bit", "1"], "-ERR syntax error\r\n"),
            (["bitpos", "nokey", "1"], ":-1\r\n"),
            (["bitpos", "nokey", "0"], ":0\r\n"),
            (["bitpos", "nokey", "0", "5", "6", "bit"], ":0\r\n"),
            (["bitpos", "nokey", "2"], "-ERR The bit argument must be 1 or 0.\r\n"),
            (["bitpos", "e", "0"], ":-1\r\n"),
            (["bitpos", "e", "1"], ":-1\r\n"),
            (["bitpos", "e", "0", "0", "-1"], ":-1\r\n"),
            (["bitpos", "ones", "0"], ":24\r\n"),
            (["bitpos", "ones", "0", "0"], ":24\r\n"),
            (["bitpos", "ones", "0", "0", "-1"], ":-1\r\n"),
            (["bitpos", "ones", "0", "1", "2"], ":-1\r\n"),
            (["bitpos", "ones", "0", "0", "23", "bit"], ":-1\r\n"),
            (["bitpos", "ones", "0", "3", "17", "bit"], ":-1\r\n"),
            (["bitpos", "ones", "1", "3", "17", "bit"], ":3\r\n"),
            (["bitpos", "zeros", "1"], ":143\r\n"),
            (["bitpos", "zeros", "1", "3"], ":143\r\n"),
            (["bitpos", "zeros", "1", "0", "-1", "bit"], ":143\r\n"),
            (["bitpos", "zeros", "1", "10", "142", "bit"], ":-1\r\n"),
            (["bitpos", "zeros", "1", "10", "143", "bit"], ":143\r\n"),
            (["bitpos", "zeros", "0", "1"], ":8\r\n"),
        ])
        h.makeList("l")
        XCTAssertEqual(h.run("BITPOS", "l", "1"), Self.wrongType)
        XCTAssertEqual(h.run("BITPOS", "l", "2"), R.err("ERR The bit argument must be 1 or 0."))
    }

    func testBitposAndBitcountLongRuns() {
        let h = Harness()
        // Long runs exercise the word-at-a-time scans from every alignment.
        for len in [1, 7, 8, 9, 31, 64, 100] {
            for pos in Set([0, len / 2, len * 8 - 1]) {
                var ones = [UInt8](repeating: 0xFF, count: len)
                ones[pos >> 3] &= ~(UInt8(0x80) >> UInt8(pos & 7))
                var zeros = [UInt8](repeating: 0, count: len)
                zeros[pos >> 3] |= UInt8(0x80) >> UInt8(pos & 7)
                h.runBytes([Array("SET".utf8), Array("o".utf8), ones])
                h.runBytes([Array("SET".utf8), Array("z".utf8), zeros])
                XCTAssertEqual(h.run("BITPOS", "o", "0"), R.int(pos))
                XCTAssertEqual(h.run("BITPOS", "z", "1"), R.int(pos))
                XCTAssertEqual(h.run("BITPOS", "z", "0", "0", "-1", "BIT"), R.int(pos == 0 ? 1 : 0))
                XCTAssertEqual(h.run("BITCOUNT", "o"), R.int(len * 8 - 1))
                XCTAssertEqual(h.run("BITCOUNT", "z", "1", "-1", "BIT"), R.int(pos == 0 ? 0 : 1))
            }
        }
    }

    func testBitop() {
        let h = Harness()
        h.expect([
            (["set", "bo1", "abc"], "+OK\r\n"),
            (["set", "bo2", "ab"], "+OK\r\n"),
            (["bitop", "and", "dst", "bo1", "bo2"], ":3\r\n"),
            (["bitop", "or", "dst", "bo1", "bo2"], ":3\r\n"),
            (["bitop", "xor", "dst", "bo1", "bo2"], ":3\r\n"),
            (["bitop", "not", "dst", "bo1"], ":3\r\n"),
            (["bitop", "not", "dst", "bo1", "bo2"], "-ERR BITOP NOT must be called with a single source key.\r\n"),
            (["bitop", "foo", "dst", "bo1"], "-ERR syntax error\r\n"),
            (["bitop", "and", "dst", "nokey"], ":0\r\n"),
            (["exists", "dst"], ":0\r\n"),
            (["bitop", "and", "dst", "nokey", "bo1"], ":3\r\n"),
            (["bitop", "or", "dst", "bo1", "nokey", "bo2"], ":3\r\n"),
            (["bitop", "AnD", "dst", "bo1", "bo1"], ":3\r\n"),
            (["bitop", "and", "bo1", "bo1", "bo2"], ":3\r\n"),
            (["set", "long1", "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGH"], "+OK\r\n"),
            (["set", "long2", "zyxwvutsrqponmlkjihgfedcba9876543210"], "+OK\r\n"),
            (["bitop", "xor", "dst", "long1", "long2"], ":44\r\n"),
            (["bitop", "and", "dst", "long1", "long2"], ":44\r\n"),
            (["bitop", "or", "dst", "long1", "long2", "bo2"], ":44\r\n"),
            (["bitop", "not", "dst", "long1"], ":44\r\n"),
        ])
        func value(_ k: String) -> [UInt8] { h.runBytes([Array("GET".utf8), Array(k.utf8)]) }
        XCTAssertEqual(value("bo1"), Harness.bulkBytes(Array("ab".utf8) + [0]), "a source may be the destination")
        XCTAssertEqual(h.run("BITOP", "AND", "dst", "long1", "long2"), R.int(44))
        XCTAssertEqual(value("dst"), Harness.bulkBytes(Array("0103454301`bbddbbhhbbddbb`1034543010".utf8) + [UInt8](repeating: 0, count: 8)))
        XCTAssertEqual(h.run("BITOP", "NOT", "dst", "bo2"), R.int(2))
        XCTAssertEqual(value("dst"), Harness.bulkBytes([0x9E, 0x9D]))
        XCTAssertEqual(h.run("BITOP", "XOR", "dst", "long1", "long2"), R.int(44))
        XCTAssertEqual(value("dst"), Harness.bulkBytes(Array("JHJDB@BDJH\u{11}\r\r\t\t\r\r\u{1}\u{1}\r\r\t\t\r\r\u{11}HJDB@BDJHJABCDEFGH".utf8)))
        XCTAssertEqual(h.encoding("dst"), "raw")
        XCTAssertEqual(h.run("SETEX", "dst", "100", "x"), R.ok)
        XCTAssertEqual(h.run("BITOP", "OR", "dst", "bo2"), R.int(2))
        XCTAssertEqual(h.expireAt("dst"), 0, "the destination loses its expiry")
        XCTAssertEqual(h.run("BITOP", "OR", "dst", "nokey"), R.int(0))
        XCTAssertEqual(h.run("EXISTS", "dst"), R.int(0), "an empty result deletes the destination")
        h.makeList("l")
        XCTAssertEqual(h.run("BITOP", "OR", "dst", "bo2", "l"), Self.wrongType)
        XCTAssertEqual(h.run("BITOP", "OR", "l", "bo2"), R.int(2), "the destination's old type does not matter")
        XCTAssertEqual(h.run("GET", "l"), R.bulk("ab"))
    }

    func testBitopMatchesAModel() {
        let h = Harness()
        for _ in 0..<20 {
            let inputs = (0..<Int.random(in: 1...4)).map { _ in
                (0..<Int.random(in: 0...80)).map { _ in UInt8.random(in: 0...255) }
            }
            for (i, v) in inputs.enumerated() { h.runBytes([Array("SET".utf8), Array("in\(i)".utf8), v]) }
            let keys = inputs.indices.map { Array("in\($0)".utf8) }
            let n = inputs.map(\.count).max()!
            func padded(_ v: [UInt8]) -> [UInt8] { v + [UInt8](repeating: 0, count: n - v.count) }
            let ops: [(String, (UInt8, UInt8) -> UInt8)] = [("AND", { $0 & $1 }), ("OR", { $0 | $1 }), ("XOR", { $0 ^ $1 })]
            for (name, f) in ops {
                let expected = inputs.dropFirst().reduce(padded(inputs[0])) { acc, v in zip(acc, padded(v)).map(f) }
                XCTAssertEqual(h.runBytes([Array("BITOP".utf8), Array(name.utf8), Array("out".utf8)] + keys), Array(":\(n)\r\n".utf8))
                if n > 0 { XCTAssertEqual(h.runBytes([Array("GET".utf8), Array("out".utf8)]), Harness.bulkBytes(expected), name) }
            }
        }
    }

    func testBitfield() {
        let h = Harness()
        h.expect([
            (["set", "k", "123"], "+OK\r\n"),
            (["bitfield", "k", "get", "i8", "0", "set", "u64", "0", "1"], "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
            (["bitfield", "k", "get", "i8", "0", "overflow", "foo"], "-ERR Invalid OVERFLOW type specified\r\n"),
            (["bitfield", "k", "foo"], "-ERR syntax error\r\n"),
            (["bitfield", "k", "get", "i8"], "-ERR syntax error\r\n"),
            (["bitfield", "k", "get", "i8", "#1"], "*1\r\n:50\r\n"),
            (["bitfield", "k", "get", "i8", "#x"], "-ERR bit offset is not an integer or out of range\r\n"),
            (["bitfield", "k", "set", "i8", "0", "x"], "-ERR value is not an integer or out of range\r\n"),
            (["bitfield_ro", "k", "set", "i8", "0", "1"], "-ERR BITFIELD_RO only supports the GET subcommand\r\n"),
            (["bitfield_ro", "k", "get", "i8", "0"], "*1\r\n:49\r\n"),
            (["bitfield", "k", "get", "i65", "0"], "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
            (["bitfield", "k", "get", "u63", "0"], "*1\r\n:1772475965893509120\r\n"),
            (["bitfield", "k", "get", "I8", "0"], "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
            (["bitfield", "k", "get", "i0", "0"], "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
            (["bitfield", "k", "get", "u", "0"], "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
            (["bitfield", "k", "get", "", "0"], "-ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.\r\n"),
            (["bitfield", "k", "get", "i64", "0", "get", "u1", "7", "get", "i5", "100"], "*3\r\n:3544951931787018240\r\n:1\r\n:0\r\n"),
            (["bitfield", "k"], "*0\r\n"),
            (["bitfield_ro", "k"], "*0\r\n"),
            (["bitfield_ro", "nokey", "get", "u8", "0"], "*1\r\n:0\r\n"),
            (["bitfield", "nokey", "get", "u8", "0"], "*1\r\n:0\r\n"),
            (["exists", "nokey"], ":0\r\n"),
            (["bitfield", "bf", "set", "u8", "0", "255", "get", "u8", "0"], "*2\r\n:0\r\n:255\r\n"),
            (["bitfield", "bf", "incrby", "u8", "0", "10"], "*1\r\n:9\r\n"),
            (["bitfield", "bf", "overflow", "sat", "incrby", "u8", "0", "300"], "*1\r\n:255\r\n"),
            (["bitfield", "bf", "overflow", "sat", "incrby", "u8", "0", "-1000"], "*1\r\n:0\r\n"),
            (["bitfield", "bf", "overflow", "fail", "incrby", "u8", "0", "-1000"], "*1\r\n$-1\r\n"),
            (["bitfield", "bf", "overflow", "fail", "incrby", "u8", "0", "255"], "*1\r\n:255\r\n"),
            (["bitfield", "bf", "overflow", "fail", "incrby", "u8", "0", "256"], "*1\r\n$-1\r\n"),
            (["bitfield", "bf", "overflow", "wrap", "incrby", "u8", "0", "-1000"], "*1\r\n:23\r\n"),
            (["bitfield", "bf", "set", "u8", "0", "-1"], "*1\r\n:23\r\n"),
            (["bitfield", "bf", "overflow", "sat", "set", "u8", "0", "-1"], "*1\r\n:255\r\n"),
            (["bitfield", "bf", "overflow", "fail", "set", "u8", "0", "-1"], "*1\r\n$-1\r\n"),
            (["bitfield", "bf", "overflow", "fail", "set", "u8", "0", "256"], "*1\r\n$-1\r\n"),
            (["bitfield", "bf", "set", "i8", "0", "127", "incrby", "i8", "0", "1"], "*2\r\n:-1\r\n:-128\r\n"),
            (["bitfield", "bf", "overflow", "sat", "set", "i8", "0", "127", "incrby", "i8", "0", "1", "incrby", "i8", "0", "-1000"], "*3\r\n:-128\r\n:127\r\n:-128\r\n"),
            (["bitfield", "bf", "overflow", "fail", "set", "i8", "0", "-128", "incrby", "i8", "0", "-1"], "*2\r\n:-128\r\n$-1\r\n"),
            (["bitfield", "bf", "set", "i8", "0", "200"], "*1\r\n:-128\r\n"),
            (["bitfield", "bf", "overflow", "sat", "set", "i8", "0", "200"], "*1\r\n:-56\r\n"),
            (["bitfield", "bf", "overflow", "sat", "set", "i8", "0", "-200"], "*1\r\n:127\r\n"),
            (["bitfield", "bf", "set", "i64", "0", "9223372036854775807", "incrby", "i64", "0", "1"], "*2\r\n:-9223372036854775808\r\n:-9223372036854775808\r\n"),
            (["bitfield", "bf", "overflow", "sat", "incrby", "i64", "0", "1"], "*1\r\n:-9223372036854775807\r\n"),
            (["bitfield", "bf", "overflow", "sat", "set", "i64", "0", "-9223372036854775808", "incrby", "i64", "0", "-1"], "*2\r\n:-9223372036854775807\r\n:-9223372036854775808\r\n"),
            (["bitfield", "bf", "overflow", "fail", "incrby", "i64", "0", "-1"], "*1\r\n$-1\r\n"),
            (["bitfield", "bf", "set", "u63", "0", "9223372036854775807", "incrby", "u63", "0", "1"], "*2\r\n:4611686018427387904\r\n:0\r\n"),
            (["bitfield", "bf", "overflow", "sat", "set", "u63", "0", "9223372036854775807", "incrby", "u63", "0", "1"], "*2\r\n:0\r\n:9223372036854775807\r\n"),
            (["bitfield", "bf", "set", "i3", "#2", "3", "get", "i3", "#2", "get", "u9", "0", "set", "u2", "5", "7"], "*4\r\n:-1\r\n:3\r\n:507\r\n:2\r\n"),
            (["bitfield", "bf", "set", "u8", "#100", "1"], "*1\r\n:0\r\n"),
            (["strlen", "bf"], ":101\r\n"),
            (["bitfield", "bf", "incrby", "u2", "102", "1", "incrby", "u2", "102", "1", "incrby", "u2", "102", "1", "incrby", "u2", "102", "1"], "*4\r\n:1\r\n:2\r\n:3\r\n:0\r\n"),
            (["bitfield", "bf", "overflow", "fail", "incrby", "u2", "102", "1", "overflow", "wrap", "incrby", "u2", "102", "1", "incrby", "u2", "102", "1"], "*3\r\n:1\r\n:2\r\n:3\r\n"),
            (["bitfield", "bf", "get", "u8", "1000000"], "*1\r\n:0\r\n"),
            (["bitfield", "bf3", "set", "i16", "3", "-12345", "get", "i16", "3", "get", "u16", "3", "get", "i15", "4", "get", "u3", "0"], "*5\r\n:0\r\n:-12345\r\n:53191\r\n:-12345\r\n:0\r\n"),
        ])
        XCTAssertEqual(h.run("BITFIELD", "bf", "SET", "i8", "#-1", "1"), R.err("ERR bit offset is not an integer or out of range"))
        XCTAssertEqual(h.run("BITFIELD", "bf", "SET", "i8", "#536870912", "1"), R.err("ERR bit offset is not an integer or out of range"))
        XCTAssertEqual(h.run("BITFIELD", "bf2", "OVERFLOW", "FAIL", "SET", "u8", "0", "256"), "*1\r\n$-1\r\n")
        XCTAssertEqual(h.runBytes([Array("GET".utf8), Array("bf2".utf8)]), Harness.bulkBytes([0]), "the key is created even when nothing is written")
        XCTAssertEqual(h.run("BITFIELD", "w", "SET", "u8", "4000", "1"), "*1\r\n:0\r\n")
        XCTAssertEqual(h.run("STRLEN", "w"), R.int(501))
        XCTAssertEqual(h.encoding("w"), "raw")
        h.makeList("l")
        XCTAssertEqual(h.run("BITFIELD", "l", "GET", "u8", "0"), Self.wrongType)
        XCTAssertEqual(h.run("BITFIELD", "l", "SET", "u8", "0", "1"), Self.wrongType)
        XCTAssertEqual(h.run("BITFIELD_RO", "l", "GET", "u8", "0"), Self.wrongType)
        XCTAssertEqual(h.run("BITFIELD_RO", "l", "SET", "u8", "0", "1"), R.err("ERR BITFIELD_RO only supports the GET subcommand"))
        XCTAssertEqual(h.run("HELLO", "3").prefix(1), "%")
        XCTAssertEqual(h.run("BITFIELD", "bf2", "OVERFLOW", "FAIL", "SET", "u8", "0", "256"), "*1\r\n_\r\n")
    }

    func testBitfieldMatchesGetbit() {
        let h = Harness()
        for _ in 0..<200 {
            let bits = Int.random(in: 1...63)
            let offset = Int.random(in: 0..<200)
            let value = UInt64.random(in: 0...UInt64.max) >> UInt64(64 - bits)
            XCTAssertEqual(h.run("BITFIELD", "k", "SET", "u\(bits)", "\(offset)", "\(value)").prefix(2), "*1")
            var readBack: UInt64 = 0
            for i in 0..<bits {
                readBack = readBack << 1 | (h.run("GETBIT", "k", "\(offset + i)") == R.int(1) ? 1 : 0)
            }
            XCTAssertEqual(readBack, value)
            XCTAssertEqual(h.run("BITFIELD_RO", "k", "GET", "u\(bits)", "\(offset)"), "*1\r\n:\(value)\r\n")
            let signed = bits == 1 ? -Int64(value) : (value >> UInt64(bits - 1) == 1 ? Int64(bitPattern: value | (UInt64.max << UInt64(bits))) : Int64(value))
            XCTAssertEqual(h.run("BITFIELD_RO", "k", "GET", "i\(bits)", "\(offset)"), "*1\r\n:\(signed)\r\n")
        }
    }

    func testKeyspaceEventsAndDirty() {
        let h = Harness(["notify-keyspace-events": "EAn"])
        let log = h.recordEvents()
        h.run("SETBIT", "k", "3", "1")
        h.run("SETBIT", "k", "3", "1")
        h.run("SETBIT", "k", "3", "0")
        h.run("SETBIT", "k", "100", "0")
        XCTAssertEqual(log.take(), ["new k", "setbit k", "setbit k", "setbit k"])
        h.run("BITFIELD", "k", "SET", "u8", "0", "0")
        h.run("BITFIELD", "k", "GET", "u8", "0", "INCRBY", "u4", "0", "1", "SET", "u4", "4", "3")
        h.run("BITFIELD", "b", "OVERFLOW", "FAIL", "SET", "u2", "0", "7")
        XCTAssertEqual(log.take(), ["setbit k", "new b"])
        let dirty = h.server.dirty.load(ordering: .relaxed)
        h.run("BITFIELD", "k", "INCRBY", "u4", "0", "1", "INCRBY", "u4", "0", "1")
        XCTAssertEqual(h.server.dirty.load(ordering: .relaxed) - dirty, 2, "each changed field counts")
        XCTAssertEqual(log.take(), ["setbit k"])
        h.run("BITOP", "OR", "dst", "k")
        h.run("BITOP", "OR", "dst", "k")
        h.run("BITOP", "OR", "dst", "nokey")
        h.run("BITOP", "OR", "dst", "nokey")
        XCTAssertEqual(log.take(), ["new dst", "set dst", "set dst", "del dst"])
    }

    /// Redis's "SETBIT/BITFIELD only increase dirty when the value changed".
    func testDirtyOnlyOnChange() {
        let h = Harness()
        var last = h.server.dirty.load(ordering: .relaxed)
        func changes() -> Int {
            let now = h.server.dirty.load(ordering: .relaxed)
            defer { last = now }
            return now - last
        }
        h.run("SETBIT", "foo", "0", "0")
        h.run("BITFIELD", "foo2", "SET", "i5", "0", "0")
        XCTAssertEqual(changes(), 2, "creating a key always counts")
        h.run("SETBIT", "foo", "0", "0")
        h.run("BITFIELD", "foo2", "SET", "i5", "0", "0")
        XCTAssertEqual(changes(), 0)
        for v in ["1", "1", "0", "0"] { h.run("SETBIT", "foo", "0", v) }
        for v in ["1", "1", "0", "0"] { h.run("BITFIELD", "foo2", "SET", "i5", "0", v) }
        XCTAssertEqual(changes(), 4)
        h.run("BITFIELD", "foo3", "INCRBY", "i5", "0", "1")
        h.run("BITFIELD", "foo3", "INCRBY", "i5", "0", "1")
        XCTAssertEqual(changes(), 2)
        h.run("SETBIT", "foo", "90", "0")
        h.run("BITFIELD", "foo2", "SET", "i5", "90", "0")
        XCTAssertEqual(changes(), 2, "growing the string counts")
    }

    func testCommandTableRows() {
        let table = CommandTable(CoreCommands.families)
        func row(_ name: String) -> CommandSpec { table.lookup(name)! }
        XCTAssertEqual(row("bitop").keyTriple.0, 2)
        XCTAssertEqual(row("bitop").keyTriple.1, -1)
        XCTAssertEqual(row("bitop").arity, -4)
        XCTAssertEqual(row("setbit").aclCategories, ["@write", "@bitmap", "@slow"])
        XCTAssertEqual(row("bitfield_ro").aclCategories, ["@read", "@bitmap", "@fast"])
        XCTAssertEqual(row("bitpos").since, "2.8.7")
        XCTAssertEqual(row("bitcount").complexity, "O(N)")
    }
}
