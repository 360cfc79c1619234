import CinnabarCore
import XCTest

/// Expected replies below were taken from Redis 7.0.15 running the same commands.
final class StringCommandsTests: XCTestCase {
    static let wrongType = R.err("WRONGTYPE Operation against a key holding the wrong kind of value")
    static let notInteger = R.err("ERR value is not an integer or out of range")
    static let notFloat = R.err("ERR value is not a valid float")
    static let syntax = R.err("ERR syntax error")
    static let tooLong = R.err("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
    static let empty = "$0\r\n\r\n"

    func testGetSet() {
        let h = Harness()
        XCTAssertEqual(h.run("GET", "k"), R.null)
        XCTAssertEqual(h.run("SET", "k", "v"), R.ok)
        XCTAssertEqual(h.run("GET", "k"), R.bulk("v"))
        XCTAssertEqual(h.run("SET", "e", ""), R.ok)
        XCTAssertEqual(h.run("GET", "e"), Self.empty)
        XCTAssertEqual(h.run("GET"), R.err("ERR wrong number of arguments for 'get' command"))
        h.makeList("l")
        XCTAssertEqual(h.run("GET", "l"), Self.wrongType)
        XCTAssertEqual(h.run("SET", "l", "x"), R.ok, "SET ignores the old type")
        XCTAssertEqual(h.run("GET", "l"), R.bulk("x"))
    }

    func testSetOptions() {
        let h = Harness()
        XCTAssertEqual(h.run("SET", "k", "v", "NX"), R.ok)
        XCTAssertEqual(h.run("SET", "k", "w", "NX"), R.null)
        XCTAssertEqual(h.run("SET", "k", "w", "XX", "GET"), R.bulk("v"))
        XCTAssertEqual(h.run("SET", "nokey", "w", "XX"), R.null)
        XCTAssertEqual(h.run("SET", "nokey", "w", "XX", "GET"), R.null)
        XCTAssertEqual(h.run("SET", "k", "z", "NX", "GET"), R.bulk("w"))
        XCTAssertEqual(h.run("GET", "k"), R.bulk("w"))
        XCTAssertEqual(h.run("SET", "k", "v", "NX", "XX"), Self.syntax)
        XCTAssertEqual(h.run("SET", "k", "v", "nx", "nx"), R.null)
        XCTAssertEqual(h.run("SET", "k", "v", "GET", "GET"), R.bulk("w"))
        XCTAssertEqual(h.run("SET", "k", "v", "EX", "0"), R.err("ERR invalid expire time in 'set' command"))
        XCTAssertEqual(h.run("SET", "k", "v", "EX", "x"), Self.notInteger)
        XCTAssertEqual(h.run("SET", "k", "v", "EX", "10", "KEEPTTL"), Self.syntax)
        XCTAssertEqual(h.run("SET", "k", "v", "KEEPTTL", "KEEPTTL"), R.ok)
        XCTAssertEqual(h.run("SET", "k", "v", "EX", "10", "PX", "20"), Self.syntax)
        XCTAssertEqual(h.run("SET", "k", "v", "EX"), Self.syntax)
        XCTAssertEqual(h.run("SET", "k", "v", "PERSIST"), Self.syntax)
        // The same expiry option twice is accepted; the last one wins.
        XCTAssertEqual(h.run("SET", "k", "v", "EX", "10", "EX", "20"), R.ok)
        let ttl = h.expireAt("k")! - Sys.unixMillis()
        XCTAssertTrue(ttl > 19_000 && ttl <= 20_000)
        XCTAssertEqual(h.run("SET", "k", "v", "EXAT", "10", "EXAT", "20"), R.ok)
        XCTAssertEqual(h.run("GET", "k"), R.null, "an absolute time in the past expires at once")
        XCTAssertEqual(h.run("SET", "k", "v", "EX", "9223372036854775807"), R.err("ERR invalid expire time in 'set' command"))
        h.makeList("l")
        XCTAssertEqual(h.run("SET", "l", "v", "GET"), Self.wrongType)
        XCTAssertEqual(h.encoding("l"), "listpack")
    }

    func testSetKeepTTLAndExpiry() {
        let h = Harness()
        let at = Sys.unixMillis() + 100_000
        XCTAssertEqual(h.run("SET", "k", "v", "PXAT", "\(at)"), R.ok)
        XCTAssertEqual(h.expireAt("k"), at)
        XCTAssertEqual(h.run("SET", "k", "w", "KEEPTTL"), R.ok)
        XCTAssertEqual(h.expireAt("k"), at)
        XCTAssertEqual(h.run("SET", "k", "w"), R.ok)
        XCTAssertEqual(h.expireAt("k"), 0)
    }

    func testSetPropagation() {
        let h = Harness()
        XCTAssertNil(h.propagated("SET", "k", "v"))
        XCTAssertEqual(h.propagated("SET", "k", "v", "get", "XX", "GET"), [["SET", "k", "v", "XX"]])
        let p = h.propagated("SET", "k", "v", "EX", "100", "GET")
        XCTAssertEqual(p?.first?.prefix(4), ["SET", "k", "v", "PXAT"])
        XCTAssertEqual(p?.first?.last, String(h.expireAt("k")!))
    }

    func testSetnxSetexPsetex() {
        let h = Harness()
        XCTAssertEqual(h.run("SETNX", "k", "1"), R.int(1))
        XCTAssertEqual(h.run("SETNX", "k", "2"), R.int(0))
        XCTAssertEqual(h.run("GET", "k"), R.bulk("1"))
        XCTAssertEqual(h.run("SETEX", "s", "0", "v"), R.err("ERR invalid expire time in 'setex' command"))
        XCTAssertEqual(h.run("SETEX", "s", "-1", "v"), R.err("ERR invalid expire time in 'setex' command"))
        XCTAssertEqual(h.run("SETEX", "s", "x", "v"), Self.notInteger)
        XCTAssertEqual(h.run("SETEX", "s", "9223372036854775807", "v"), R.err("ERR invalid expire time in 'setex' command"))
        XCTAssertEqual(h.run("SETEX", "s", "100", "v"), R.ok)
        XCTAssertEqual(h.run("GET", "s"), R.bulk("v"))
        let ttl = h.expireAt("s")! - Sys.unixMillis()
        XCTAssertTrue(ttl > 99_000 && ttl <= 100_000)
        XCTAssertEqual(h.run("PSETEX", "p", "0", "v"), R.err("ERR invalid expire time in 'psetex' command"))
        XCTAssertEqual(h.run("PSETEX", "p", "9223372036854775807", "v"), R.err("ERR invalid expire time in 'psetex' command"))
        XCTAssertEqual(h.run("PSETEX", "p", "100000", "v"), R.ok)
        let pttl = h.expireAt("p")! - Sys.unixMillis()
        XCTAssertTrue(pttl > 99_000 && pttl <= 100_000)
        XCTAssertEqual(h.run("SETEX", "s", "1"), R.err("ERR wrong number of arguments for 'setex' command"))
        let prop = h.propagated("PSETEX", "p", "5000", "w")
        XCTAssertEqual(prop?.first?.prefix(4), ["SET", "p", "w", "PXAT"])
        XCTAssertEqual(h.propagated("SETNX", "n", "v"), nil, "SETNX propagates as itself")
        // SETNX respects a live volatile key, replaces an expired one.
        XCTAssertEqual(h.run("SETNX", "p", "x"), R.int(0))
        XCTAssertEqual(h.run("SET", "gone", "v", "PXAT", "1"), R.ok)
        XCTAssertEqual(h.run("SETNX", "gone", "x"), R.int(1))
    }

    func testMgetMset() {
        let h = Harness()
        h.makeList("l")
        XCTAssertEqual(h.run("MSET", "a", "1", "b", "2"), R.ok)
        XCTAssertEqual(h.run("MGET", "a", "l", "nokey", "b"), "*4\r\n$1\r\n1\r\n$-1\r\n$-1\r\n$1\r\n2\r\n")
        XCTAssertEqual(h.run("MSET"), R.err("ERR wrong number of arguments for 'mset' command"))
        XCTAssertEqual(h.run("MSET", "a"), R.err("ERR wrong number of arguments for 'mset' command"))
        XCTAssertEqual(h.run("MSET", "a", "1", "b"), R.err("ERR wrong number of arguments for 'mset' command"))
        XCTAssertEqual(h.run("MSETNX", "a", "1", "b"), R.err("ERR wrong number of arguments for 'msetnx' command"))
        XCTAssertEqual(h.run("MSETNX", "a", "1", "zz", "2"), R.int(0))
        XCTAssertEqual(h.run("GET", "zz"), R.null)
        XCTAssertEqual(h.run("MSETNX", "x1", "1", "x2", "2"), R.int(1))
        XCTAssertEqual(h.run("MSETNX", "x3", "a", "x3", "b"), R.int(1))
        XCTAssertEqual(h.run("GET", "x3"), R.bulk("b"))
        XCTAssertEqual(h.run("MSETNX", "x3", "a", "x4", "b"), R.int(0))
        XCTAssertEqual(h.run("MSET", "l", "str"), R.ok)
        XCTAssertEqual(h.run("GET", "l"), R.bulk("str"))
        // Many keys across shards.
        var args = ["MSET"]
        for i in 0..<100 { args += ["key:\(i)", "\(i)"] }
        XCTAssertEqual(h.run(args.map { Array($0.utf8) }), R.ok)
        let reply = h.run((["MGET"] + (0..<100).map { "key:\($0)" }).map { Array($0.utf8) })
        XCTAssertEqual(reply, R.array((0..<100).map { R.bulk("\($0)") }))
        // MSET clears expiries.
        XCTAssertEqual(h.run("SETEX", "a", "100", "v"), R.ok)
        XCTAssertEqual(h.run("MSET", "a", "w"), R.ok)
        XCTAssertEqual(h.expireAt("a"), 0)
    }

    func testGetsetGetdel() {
        let h = Harness()
        XCTAssertEqual(h.run("GETSET", "k", "1"), R.null)
        XCTAssertEqual(h.run("GETSET", "k", "2"), R.bulk("1"))
        XCTAssertEqual(h.run("GET", "k"), R.bulk("2"))
        XCTAssertEqual(h.propagated("GETSET", "k", "3"), [["SET", "k", "3"]])
        XCTAssertEqual(h.run("SETEX", "k", "100", "v"), R.ok)
        XCTAssertEqual(h.run("GETSET", "k", "w"), R.bulk("v"))
        XCTAssertEqual(h.expireAt("k"), 0, "GETSET drops the expiry")
        XCTAssertEqual(h.propagated("GETDEL", "k"), [["DEL", "k"]])
        XCTAssertEqual(h.run("GET", "k"), R.null)
        XCTAssertNil(h.propagated("GETDEL", "k"))
        XCTAssertEqual(h.run("GETDEL", "k"), R.null)
        h.makeList("l")
        XCTAssertEqual(h.run("GETSET", "l", "x"), Self.wrongType)
        XCTAssertEqual(h.run("GETDEL", "l"), Self.wrongType)
        XCTAssertEqual(h.encoding("l"), "listpack")
    }

    func testGetex() {
        let h = Harness()
        XCTAssertEqual(h.run("SET", "a", "1"), R.ok)
        XCTAssertEqual(h.run("GETEX", "a"), R.bulk("1"))
        XCTAssertEqual(h.run("GETEX", "a", "PERSIST"), R.bulk("1"))
        XCTAssertEqual(h.run("GETEX", "a", "PERSIST", "EX", "10"), Self.syntax)
        XCTAssertEqual(h.run("GETEX", "a", "EX", "10", "PX", "10"), Self.syntax)
        XCTAssertEqual(h.run("GETEX", "a", "EX"), Self.syntax)
        XCTAssertEqual(h.run("GETEX", "a", "KEEPTTL"), Self.syntax)
        XCTAssertEqual(h.run("GETEX", "a", "NX"), Self.syntax)
        XCTAssertEqual(h.run("GETEX", "a", "GET"), Self.syntax)
        XCTAssertEqual(h.run("GETEX", "a", "EX", "0"), R.err("ERR invalid expire time in 'getex' command"))
        XCTAssertEqual(h.run("GETEX", "a", "PX", "0"), R.err("ERR invalid expire time in 'getex' command"))
        XCTAssertEqual(h.run("GETEX", "a", "EXAT", "0"), R.err("ERR invalid expire time in 'getex' command"))
        XCTAssertEqual(h.run("GETEX", "a", "EXAT", "x"), Self.notInteger)
        XCTAssertEqual(h.run("GETEX", "a", "EX", "9223372036854775807"), R.err("ERR invalid expire time in 'getex' command"))
        XCTAssertEqual(h.run("GETEX", "a", "PX", "9223372036854775807"), R.err("ERR invalid expire time in 'getex' command"))
        XCTAssertEqual(h.run("GETEX", "nokey", "EX", "0"), R.null, "a missing key is looked up before the time is checked")
        XCTAssertEqual(h.run("GETEX", "nokey", "FOO"), Self.syntax)
        XCTAssertEqual(h.expireAt("a"), 0)

        let p = h.propagated("GETEX", "a", "EX", "10", "EX", "100")
        XCTAssertEqual(p?.first?.prefix(2), ["PEXPIREAT", "a"])
        XCTAssertEqual(p?.first?.last, String(h.expireAt("a")!))
        let ttl = h.expireAt("a")! - Sys.unixMillis()
        XCTAssertTrue(ttl > 99_000 && ttl <= 100_000)
        let at = Sys.unixMillis() + 50_000
        XCTAssertEqual(h.propagated("GETEX", "a", "PXAT", "\(at)"), [["PEXPIREAT", "a", "\(at)"]])
        XCTAssertEqual(h.expireAt("a"), at)
        XCTAssertEqual(h.propagated("GETEX", "a", "PERSIST"), [["PERSIST", "a"]])
        XCTAssertEqual(h.expireAt("a"), 0)
        XCTAssertNil(h.propagated("GETEX", "a", "PERSIST"), "nothing to persist, nothing propagated")
        XCTAssertNil(h.propagated("GETEX", "a"))
        XCTAssertEqual(h.propagated("GETEX", "a", "EXAT", "1"), [["DEL", "a"]])
        XCTAssertEqual(h.run("EXISTS", "a"), R.int(0))
        h.makeList("l")
        XCTAssertEqual(h.run("GETEX", "l", "EX", "0"), Self.wrongType)
    }

    func testAppendStrlen() {
        let h = Harness()
        XCTAssertEqual(h.run("APPEND", "k", ""), R.int(0))
        XCTAssertEqual(h.run("EXISTS", "k"), R.int(1), "APPEND creates the key even with nothing to add")
        XCTAssertEqual(h.encoding("k"), "embstr")
        XCTAssertEqual(h.run("APPEND", "k", "abc"), R.int(3))
        XCTAssertEqual(h.encoding("k"), "raw")
        XCTAssertEqual(h.run("APPEND", "k", "def"), R.int(6))
        XCTAssertEqual(h.run("GET", "k"), R.bulk("abcdef"))
        XCTAssertEqual(h.run("STRLEN", "k"), R.int(6))
        XCTAssertEqual(h.run("STRLEN", "nokey"), R.int(0))
        XCTAssertEqual(h.run("APPEND", "n", "123"), R.int(3))
        XCTAssertEqual(h.encoding("n"), "int")
        XCTAssertEqual(h.run("SET", "i", "123"), R.ok)
        XCTAssertEqual(h.run("APPEND", "i", ""), R.int(3))
        XCTAssertEqual(h.encoding("i"), "raw")
        // Growing far past the first allocation keeps every byte.
        var expected = ""
        for i in 0..<300 {
            let piece = String(repeating: Character(UnicodeScalar(65 + i % 26)!), count: i % 17 + 1)
            expected += piece
            XCTAssertEqual(h.run("APPEND", "big", piece), R.int(expected.utf8.count))
        }
        XCTAssertEqual(h.run("GET", "big"), R.bulk(expected))
        XCTAssertEqual(h.run("SETEX", "v", "100", "a"), R.ok)
        XCTAssertEqual(h.run("APPEND", "v", "b"), R.int(2))
        XCTAssertNotEqual(h.expireAt("v"), 0, "APPEND keeps the expiry")
        h.makeList("l")
        XCTAssertEqual(h.run("APPEND", "l", "x"), Self.wrongType)
        XCTAssertEqual(h.run("STRLEN", "l"), Self.wrongType)
    }

    func testAppendSizeLimit() {
        let h = Harness(["proto-max-bulk-len": "1048576"])
        let chunk = String(repeating: "x", count: 1 << 19)
        XCTAssertEqual(h.run("APPEND", "k", chunk), R.int(1 << 19))
        XCTAssertEqual(h.run("APPEND", "k", chunk), R.int(1 << 20))
        XCTAssertEqual(h.run("APPEND", "k", "y"), Self.tooLong)
        XCTAssertEqual(h.run("STRLEN", "k"), R.int(1 << 20))
        XCTAssertEqual(h.run("SETRANGE", "k", "1048575", "z"), R.int(1 << 20))
        XCTAssertEqual(h.run("SETRANGE", "k", "1048576", "z"), Self.tooLong)
        XCTAssertEqual(h.run("SETRANGE", "new", "1048576", "z"), Self.tooLong)
        XCTAssertEqual(h.run("SETRANGE", "new", "1048576", ""), R.int(0))
        XCTAssertEqual(h.run("SETBIT", "b", "8388607", "1"), R.int(0))
        XCTAssertEqual(h.run("SETBIT", "b", "8388608", "1"), R.err("ERR bit offset is not an integer or out of range"))
    }

    func testSetrange() {
        let h = Harness()
        XCTAssertEqual(h.run("SETRANGE", "k", "0", ""), R.int(0))
        XCTAssertEqual(h.run("EXISTS", "k"), R.int(0))
        XCTAssertEqual(h.run("SETRANGE", "k", "5", "abc"), R.int(8))
        XCTAssertEqual(h.run("GET", "k"), R.bulk("\0\0\0\0\0abc"))
        XCTAssertEqual(h.encoding("k"), "raw")
        XCTAssertEqual(h.run("SETRANGE", "k", "0", "XY"), R.int(8))
        XCTAssertEqual(h.run("GET", "k"), R.bulk("XY\0\0\0abc"))
        XCTAssertEqual(h.run("SETRANGE", "k", "1", ""), R.int(8))
        XCTAssertEqual(h.run("SETRANGE", "k", "-1", "x"), R.err("ERR offset is out of range"))
        XCTAssertEqual(h.run("SETRANGE", "k", "x", "x"), Self.notInteger)
        XCTAssertEqual(h.run("SETRANGE", "nokey", "9223372036854775807", ""), R.int(0))
        XCTAssertEqual(h.run("SETRANGE", "nokey", "9223372036854775807", "A"), Self.tooLong)
        XCTAssertEqual(h.run("SETRANGE", "nokey", "536870912", "A"), Self.tooLong)
        XCTAssertEqual(h.run("SETRANGE", "k", "536870908", "world"), Self.tooLong)
        XCTAssertEqual(h.run("SETRANGE", "k", "2147483647", "A"), Self.tooLong)

        // Integer-encoded values become raw only when something is written.
        XCTAssertEqual(h.run("SET", "i", "1234"), R.ok)
        XCTAssertEqual(h.encoding("i"), "int")
        XCTAssertEqual(h.run("SETRANGE", "i", "0", ""), R.int(4))
        XCTAssertEqual(h.encoding("i"), "int")
        XCTAssertEqual(h.run("SETRANGE", "i", "1", "3"), R.int(4))
        XCTAssertEqual(h.encoding("i"), "raw")
        XCTAssertEqual(h.run("GET", "i"), R.bulk("1334"))
        XCTAssertEqual(h.run("SET", "i", "1234"), R.ok)
        XCTAssertEqual(h.run("SETRANGE", "i", "5", "2"), R.int(6))
        XCTAssertEqual(h.run("GET", "i"), R.bulk("1234\u{0}2"))
        h.makeList("l")
        XCTAssertEqual(h.run("SETRANGE", "l", "0", "bar"), Self.wrongType)
        XCTAssertEqual(h.run("SETRANGE", "l", "-1", "bar"), R.err("ERR offset is out of range"))
    }

    func testGetrange() {
        let h = Harness()
        XCTAssertEqual(h.run("GETRANGE", "nokey", "0", "-1"), Self.empty)
        XCTAssertEqual(h.run("SET", "k", "Hello World"), R.ok)
        XCTAssertEqual(h.run("GETRANGE", "k", "0", "3"), R.bulk("Hell"))
        XCTAssertEqual(h.run("GETRANGE", "k", "0", "-1"), R.bulk("Hello World"))
        XCTAssertEqual(h.run("GETRANGE", "k", "-4", "-1"), R.bulk("orld"))
        XCTAssertEqual(h.run("GETRANGE", "k", "5", "3"), Self.empty)
        XCTAssertEqual(h.run("GETRANGE", "k", "5", "5000"), R.bulk(" World"))
        XCTAssertEqual(h.run("GETRANGE", "k", "-5000", "10000"), R.bulk("Hello World"))
        XCTAssertEqual(h.run("GETRANGE", "k", "-1", "-5"), Self.empty)
        XCTAssertEqual(h.run("GETRANGE", "k", "0", "4294967297"), R.bulk("Hello World"))
        XCTAssertEqual(h.run("GETRANGE", "k", "-9223372036854775808", "9223372036854775807"), R.bulk("Hello World"))
        XCTAssertEqual(h.run("GETRANGE", "k", "x", "1"), Self.notInteger)
        XCTAssertEqual(h.run("GETRANGE", "k", "1", "x"), Self.notInteger)
        XCTAssertEqual(h.run("GETRANGE", "nokey", "x", "1"), Self.notInteger)
        XCTAssertEqual(h.run("SUBSTR", "k", "-3", "-1"), R.bulk("rld"))
        XCTAssertEqual(h.run("SET", "e", ""), R.ok)
        XCTAssertEqual(h.run("GETRANGE", "e", "0", "-1"), Self.empty)
        XCTAssertEqual(h.run("GETRANGE", "e", "0", "0"), Self.empty)
        XCTAssertEqual(h.run("SET", "i", "1234"), R.ok)
        XCTAssertEqual(h.run("GETRANGE", "i", "3", "5000"), R.bulk("4"))
        h.makeList("l")
        XCTAssertEqual(h.run("GETRANGE", "l", "0", "1"), Self.wrongType)
        XCTAssertEqual(h.run("GETRANGE", "l", "x", "1"), Self.notInteger)
    }

    func testIncrDecr() {
        let h = Harness()
        XCTAssertEqual(h.run("INCR", "a"), R.int(1))
        XCTAssertEqual(h.run("INCRBY", "a", "9223372036854775806"), R.int(9223372036854775807))
        XCTAssertEqual(h.run("INCR", "a"), R.err("ERR increment or decrement would overflow"))
        XCTAssertEqual(h.run("INCRBY", "a", "1"), R.err("ERR increment or decrement would overflow"))
        XCTAssertEqual(h.run("DECRBY", "a", "-9223372036854775808"), R.err("ERR decrement would overflow"))
        XCTAssertEqual(h.run("DECRBY", "a", "9223372036854775808"), Self.notInteger)
        XCTAssertEqual(h.run("INCRBY", "a", "x"), Self.notInteger)
        XCTAssertEqual(h.run("SET", "b", "9223372036854775808"), R.ok)
        XCTAssertEqual(h.run("INCR", "b"), Self.notInteger)
        for bad in ["1 ", " 1", "01", "+1", "1.0", "", "1\u{0}2"] {
            XCTAssertEqual(h.run("SET", "c", bad), R.ok)
            XCTAssertEqual(h.run("INCR", "c"), Self.notInteger, bad)
        }
        XCTAssertEqual(h.run("SET", "d", "1"), R.ok)
        XCTAssertEqual(h.run("DECR", "d"), R.int(0))
        XCTAssertEqual(h.run("DECR", "d"), R.int(-1))
        XCTAssertEqual(h.run("INCRBY", "d", "-9223372036854775807"), R.int(Int(Int64.min)))
        XCTAssertEqual(h.run("DECR", "d"), R.err("ERR increment or decrement would overflow"))
        XCTAssertEqual(h.run("DECRBY", "d", "-5"), R.int(Int(Int64.min) + 5))
        XCTAssertEqual(h.run("DECRBY", "nd", "5"), R.int(-5))
        XCTAssertEqual(h.run("SET", "big", "17179869184"), R.ok)
        XCTAssertEqual(h.run("INCRBY", "big", "17179869184"), R.int(34359738368))
        XCTAssertEqual(h.run("DECRBY", "big", "34359738369"), R.int(-1))
        h.makeList("l")
        XCTAssertEqual(h.run("INCR", "l"), Self.wrongType)
        XCTAssertEqual(h.run("INCRBY", "l", "x"), Self.notInteger, "the increment is parsed before the lookup")
        XCTAssertEqual(h.run("DECRBY", "l", "-9223372036854775808"), R.err("ERR decrement would overflow"))
    }

    func testIncrKeepsExpiryAndUpdatesInPlace() {
        let h = Harness()
        XCTAssertEqual(h.run("SETEX", "k", "100", "20000"), R.ok)
        let at = h.expireAt("k")!
        let before = Array("k".utf8).withBytes { h.db0.peek(Key($0))!.raw }
        XCTAssertEqual(h.run("INCR", "k"), R.int(20001))
        XCTAssertEqual(h.run("INCRBY", "k", "-30001"), R.int(-10000))
        let after = Array("k".utf8).withBytes { h.db0.peek(Key($0))!.raw }
        XCTAssertEqual(before, after, "small counters are rewritten where they are")
        XCTAssertEqual(h.expireAt("k"), at)
        XCTAssertEqual(h.encoding("k"), "int")
        XCTAssertEqual(h.run("SET", "r", "10"), R.ok)
        XCTAssertEqual(h.run("APPEND", "r", "0"), R.int(3))
        XCTAssertEqual(h.encoding("r"), "raw")
        XCTAssertEqual(h.run("INCR", "r"), R.int(101))
        XCTAssertEqual(h.encoding("r"), "int", "INCR stores a fresh integer")
        XCTAssertEqual(h.run("SET", "s", "1"), R.ok)
        XCTAssertEqual(h.run("INCRBY", "s", "9223372036854775806"), R.int(9223372036854775807))
        XCTAssertEqual(h.run("GET", "s"), R.bulk("9223372036854775807"))
    }

    func testIncrbyfloat() {
        let h = Harness()
        XCTAssertEqual(h.run("INCRBYFLOAT", "k", "1"), R.bulk("1"))
        XCTAssertEqual(h.encoding("k"), "embstr", "INCRBYFLOAT stores text, never an integer encoding")
        XCTAssertEqual(h.run("INCRBYFLOAT", "k", "10.5"), R.bulk("11.5"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "k", "1.0e3"), R.bulk("1011.5"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "k", "5.0e3"), R.bulk("6011.5"))
        XCTAssertEqual(h.run("SET", "k", "5.0e3"), R.ok)
        XCTAssertEqual(h.run("INCRBYFLOAT", "k", "0"), R.bulk("5000"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "k", "inf"), R.err("ERR increment would produce NaN or Infinity"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "k", "-inf"), R.err("ERR increment would produce NaN or Infinity"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "k", "+inf"), R.err("ERR increment would produce NaN or Infinity"))
        XCTAssertEqual(h.run("SET", "f", "1e300"), R.ok)
        XCTAssertEqual(h.run("INCRBYFLOAT", "f", "1e300"),
                       R.bulk("2000000000000000000017994648159118387741047888546581495876520164642531293192361871511698304167500994380700745017228549671807185112369345967826192521041497292574654271283687306588168510215212033579453305864740061102765895241989080589545563779241212358535223254194821301134374772211380178849830208012288"))
        XCTAssertEqual(h.run("SET", "f", "0x10"), R.ok)
        XCTAssertEqual(h.run("INCRBYFLOAT", "f", "0"), R.bulk("16"))
        for bad in ["  1", "1 ", " 1 ", "1\u{0}2", "nan", ""] {
            XCTAssertEqual(h.run("SET", "g", bad), R.ok)
            XCTAssertEqual(h.run("INCRBYFLOAT", "g", "1"), Self.notFloat, bad)
        }
        for bad in [" 1", "1 ", "nan", "", "1e-5000", "1e5000", "abc"] {
            XCTAssertEqual(h.run("INCRBYFLOAT", "f2", bad), Self.notFloat, bad)
        }
        XCTAssertEqual(h.run("INCRBYFLOAT", "f3", "-0.0"), R.bulk("0"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "f4", "3.0000000000000000001"), R.bulk("3"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "f5", "1.1"), R.bulk("1.1"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "f5", "2.2"), R.bulk("3.3"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "f6", "0.1"), R.bulk("0.1"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "f6", "0.2"), R.bulk("0.3"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "f7", "-1.5"), R.bulk("-1.5"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "f7", "1e-20"), R.bulk("-1.5"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "f8", "123456789012345678901234567890"), R.bulk("123456789012345678899921813504"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "f9", "1.23456789012345678901234567890"), R.bulk("1.23456789012345679"))
        XCTAssertEqual(h.run("SET", "n", "17179869184"), R.ok)
        XCTAssertEqual(h.run("INCRBYFLOAT", "n", "1.5"), R.bulk("17179869185.5"))
        XCTAssertEqual(h.run("DEL", "z"), R.int(0))
        XCTAssertEqual(h.run("INCRBYFLOAT", "z", "0.024390243902439025"), R.bulk("0.02439024390243902"))
        XCTAssertEqual(h.run("INCRBYFLOAT", "z", "-0.024390243902439025"), R.bulk("0"), "no negative zero")
        XCTAssertTrue(h.run("INCRBYFLOAT", "huge", "1e4000").hasPrefix("$4000\r\n99999999999999999999654638730996"))
        h.makeList("l")
        XCTAssertEqual(h.run("INCRBYFLOAT", "l", "x"), Self.wrongType, "the type is checked before the increment")
        XCTAssertEqual(h.run("INCRBYFLOAT", "nokey", "x"), Self.notFloat)
        XCTAssertEqual(h.run("EXISTS", "nokey"), R.int(0))
    }

    func testIncrbyfloatPropagatesResultAndKeepsTTL() {
        let h = Harness()
        XCTAssertEqual(h.run("SETEX", "k", "100", "1.5"), R.ok)
        let at = h.expireAt("k")
        XCTAssertEqual(h.propagated("INCRBYFLOAT", "k", "0.25"), [["SET", "k", "1.75", "KEEPTTL"]])
        XCTAssertEqual(h.expireAt("k"), at)
        XCTAssertEqual(h.propagated("INCRBY", "n", "5"), nil, "the integer family propagates as called")
        XCTAssertEqual(h.run("SET", "k", "5"), R.ok)
        XCTAssertEqual(h.encoding("k"), "int")
    }

    func testLcs() {
        let h = Harness()
        let rna1 = "CACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTTCGTCCGGGTGTG"
        let rna2 = "ATTAAAGGTTTATACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTT"
        let lcs = "ACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTT"
        XCTAssertEqual(h.run("MSET", "v1", rna1, "v2", rna2), R.ok)
        XCTAssertEqual(h.run("LCS", "v1", "v2"), R.bulk(lcs))
        XCTAssertEqual(h.run("LCS", "v1", "v2", "LEN"), R.int(lcs.utf8.count))
        func range(_ a: (Int, Int), _ b: (Int, Int), _ len: Int? = nil) -> String {
            R.array([R.array([R.int(a.0), R.int(a.1)]), R.array([R.int(b.0), R.int(b.1)])] + (len.map { [R.int($0)] } ?? []))
        }
        let matches = [((238, 238), (239, 239), 1), ((236, 236), (238, 238), 1), ((229, 230), (236, 237), 2),
                       ((224, 224), (235, 235), 1), ((1, 222), (13, 234), 222)]
        XCTAssertEqual(h.run("LCS", "v1", "v2", "IDX"),
                       "*4\r\n" + R.bulk("matches") + R.array(matches.map { range($0.0, $0.1) }) + R.bulk("len") + R.int(227))
        XCTAssertEqual(h.run("LCS", "v1", "v2", "idx", "withmatchlen"),
                       "*4\r\n" + R.bulk("matches") + R.array(matches.map { range($0.0, $0.1, $0.2) }) + R.bulk("len") + R.int(227))
        XCTAssertEqual(h.run("LCS", "v1", "v2", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "5"),
                       "*4\r\n" + R.bulk("matches") + R.array([range((1, 222), (13, 234), 222)]) + R.bulk("len") + R.int(227))
        XCTAssertEqual(h.run("LCS", "v1", "v2", "IDX", "MINMATCHLEN", "-5"),
                       "*4\r\n" + R.bulk("matches") + R.array(matches.map { range($0.0, $0.1) }) + R.bulk("len") + R.int(227))
        XCTAssertEqual(h.run("LCS", "v1", "v2", "WITHMATCHLEN"), R.bulk(lcs))
        XCTAssertEqual(h.run("LCS", "v1", "v2", "MINMATCHLEN", "5", "LEN"), R.int(227))
        XCTAssertEqual(h.run("LCS", "v1", "v2", "LEN", "IDX"), R.err("ERR If you want both the length and indexes, please just use IDX."))
        XCTAssertEqual(h.run("LCS", "v1", "v2", "FOO"), Self.syntax)
        XCTAssertEqual(h.run("LCS", "v1", "v2", "MINMATCHLEN"), Self.syntax)
        XCTAssertEqual(h.run("LCS", "v1", "v2", "MINMATCHLEN", "x"), Self.notInteger)
        XCTAssertEqual(h.run("LCS", "nokey", "v2"), Self.empty)
        XCTAssertEqual(h.run("LCS", "nokey", "v2", "IDX"), "*4\r\n" + R.bulk("matches") + "*0\r\n" + R.bulk("len") + R.int(0))
        XCTAssertEqual(h.run("MSET", "a", "ohmytext", "b", "mynewtext"), R.ok)
        XCTAssertEqual(h.run("LCS", "a", "b"), R.bulk("mytext"))
        XCTAssertEqual(h.run("LCS", "a", "b", "IDX", "WITHMATCHLEN", "MINMATCHLEN", "4"),
                       "*4\r\n" + R.bulk("matches") + R.array([range((4, 7), (5, 8), 4)]) + R.bulk("len") + R.int(6))
        XCTAssertEqual(h.run("MSET", "c", "aaaa", "d", "aa"), R.ok)
        XCTAssertEqual(h.run("LCS", "c", "d", "IDX", "WITHMATCHLEN"),
                       "*4\r\n" + R.bulk("matches") + R.array([range((2, 3), (0, 1), 2)]) + R.bulk("len") + R.int(2))
        XCTAssertEqual(h.run("LCS", "d", "c", "IDX", "WITHMATCHLEN"),
                       "*4\r\n" + R.bulk("matches") + R.array([range((0, 1), (2, 3), 2)]) + R.bulk("len") + R.int(2))
        XCTAssertEqual(h.run("HELLO", "3").prefix(1), "%")
        XCTAssertEqual(h.run("LCS", "a", "b", "IDX"),
                       "%2\r\n" + R.bulk("matches") + R.array([range((4, 7), (5, 8)), range((2, 3), (0, 1))]) + R.bulk("len") + R.int(6))
        h.makeList("l")
        XCTAssertEqual(h.run("LCS", "l", "a"), R.err("ERR The specified keys must contain string values"))
        XCTAssertEqual(h.run("LCS", "a", "l", "FOO"), R.err("ERR The specified keys must contain string values"))
    }

    func testLcsTableLimit() {
        let h = Harness(["proto-max-bulk-len": "1048576"])
        let s = String(repeating: "a", count: 600)
        XCTAssertEqual(h.run("MSET", "a", s, "b", s), R.ok)
        XCTAssertEqual(h.run("LCS", "a", "b"),
                       R.err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"))
        XCTAssertEqual(h.run("LCS", "a", "nokey", "LEN"), R.int(0))
    }

    func testKeyspaceEvents() {
        let h = Harness(["notify-keyspace-events": "EAn"])
        let log = h.recordEvents()
        h.run("SET", "k", "1")
        XCTAssertEqual(log.take(), ["new k", "set k"])
        h.run("SET", "k", "2", "EX", "100")
        XCTAssertEqual(log.take(), ["set k", "expire k"])
        h.run("SET", "k", "2", "NX")
        h.run("SETNX", "k", "2")
        h.run("GET", "k")
        XCTAssertEqual(log.take(), [])
        h.run("SETEX", "e", "10", "v")
        XCTAssertEqual(log.take(), ["new e", "set e", "expire e"])
        h.run("MSET", "a", "1", "b", "2", "a", "3")
        XCTAssertEqual(log.take(), ["new a", "set a", "new b", "set b", "set a"])
        h.run("MSETNX", "a", "1", "c", "2")
        XCTAssertEqual(log.take(), [])
        h.run("INCR", "a")
        h.run("DECRBY", "n", "2")
        h.run("INCRBYFLOAT", "a", "1.5")
        XCTAssertEqual(log.take(), ["incrby a", "new n", "incrby n", "incrbyfloat a"])
        h.run("INCR", "k", "x")
        h.run("INCRBYFLOAT", "a", "inf")
        XCTAssertEqual(log.take(), [])
        h.run("APPEND", "a", "x")
        h.run("APPEND", "ap", "x")
        h.run("SETRANGE", "a", "1", "")
        h.run("SETRANGE", "a", "1", "y")
        h.run("SETRANGE", "sr", "1", "y")
        XCTAssertEqual(log.take(), ["append a", "new ap", "append ap", "setrange a", "new sr", "setrange sr"])
        h.run("GETSET", "a", "v")
        h.run("GETSET", "gs", "v")
        h.run("GETDEL", "gs")
        h.run("GETDEL", "gs")
        XCTAssertEqual(log.take(), ["set a", "new gs", "set gs", "del gs"])
        h.run("GETEX", "a")
        h.run("GETEX", "a", "PERSIST")
        h.run("GETEX", "a", "EX", "100")
        h.run("GETEX", "a", "PERSIST")
        h.run("GETEX", "a", "EXAT", "1")
        XCTAssertEqual(log.take(), ["expire a", "persist a", "del a"])
    }

    func testKeyMissEvents() {
        let h = Harness(["notify-keyspace-events": "Em"])
        let log = h.recordEvents()
        h.run("GET", "nokey")
        h.run("MGET", "a", "b")
        h.run("INCR", "c")
        h.run("STRLEN", "d")
        XCTAssertEqual(log.take(), ["keymiss nokey", "keymiss a", "keymiss b", "keymiss d"], "writes look keys up silently")
    }

    func testCommandTableRows() {
        let table = CommandTable(CoreCommands.families)
        func row(_ name: String) -> CommandSpec { table.lookup(name)! }
        XCTAssertEqual(row("mset").keyTriple.0, 1)
        XCTAssertEqual(row("mset").keyTriple.1, -1)
        XCTAssertEqual(row("mset").keyTriple.2, 2)
        XCTAssertEqual(row("lcs").keyTriple.1, 2)
        XCTAssertEqual(row("getset").deprecatedSince, "6.2.0")
        XCTAssertEqual(row("getset").replacedBy, "`SET` with the `!GET` argument")
        XCTAssertEqual(row("substr").replacedBy, "`GETRANGE`")
        XCTAssertNil(row("setnx").deprecatedSince, "Redis 7.0 does not deprecate SETNX yet")
        XCTAssertEqual(row("getdel").flags.names, ["write", "fast"])
        XCTAssertEqual(row("incrbyfloat").flags.names, ["write", "denyoom", "fast"])
        XCTAssertEqual(row("getrange").flags.names, ["readonly"])
        XCTAssertEqual(row("getex").arity, -2)
        XCTAssertEqual(row("getex").aclCategories, ["@write", "@string", "@fast"])
        XCTAssertEqual(row("mset").since, "1.0.1")
    }
}
