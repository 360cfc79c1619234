import CinnabarCore
import XCTest

/// Exact RESP2 and RESP3 bytes of every value kind (checked against
/// redis-server 7.0.15's DEBUG PROTOCOL and sorted-set replies).
final class ReplyBufferTests: XCTestCase {
    private func encode(_ resp: RESPVersion, capacity: Int = 64, _ body: (ReplyBuffer) -> Void) -> String {
        let r = ReplyBuffer(capacity: capacity)
        r.resp = resp
        body(r)
        return String(decoding: r.bytes(from: 0), as: UTF8.self)
    }

    /// Asserts the RESP2 and RESP3 encodings of `body`.
    private func check(_ resp2: String, _ resp3: String, file: StaticString = #filePath, line: UInt = #line,
                       _ body: (ReplyBuffer) -> Void) {
        XCTAssertEqual(encode(.resp2, body), resp2, "RESP2", file: file, line: line)
        XCTAssertEqual(encode(.resp3, body), resp3, "RESP3", file: file, line: line)
        // Same bytes when the buffer has to grow in the middle of every value.
        XCTAssertEqual(encode(.resp2, capacity: 1, body), resp2, "RESP2, growing", file: file, line: line)
        XCTAssertEqual(encode(.resp3, capacity: 1, body), resp3, "RESP3, growing", file: file, line: line)
    }

    func testSimpleKinds() {
        check("+OK\r\n", "+OK\r\n") { $0.ok() }
        check("+PONG\r\n", "+PONG\r\n") { $0.status("PONG") }
        check("+QUEUED\r\n", "+QUEUED\r\n") { $0.status(String("QUEUED")) }
        check("-ERR x\r\n", "-ERR x\r\n") { $0.error("ERR x") }
        // Newlines inside an error would break the stream; Redis turns them into spaces.
        check("-ERR a b  c\r\n", "-ERR a b  c\r\n") { $0.error("ERR a\nb\r\nc") }
    }

    func testIntegers() {
        check(":0\r\n", ":0\r\n") { $0.integer(0) }
        check(":-1\r\n", ":-1\r\n") { $0.integer(-1) }
        check(":12345\r\n", ":12345\r\n") { $0.integer(12345) }
        check(":9223372036854775807\r\n", ":9223372036854775807\r\n") { $0.integer(Int64.max) }
        check(":-9223372036854775808\r\n", ":-9223372036854775808\r\n") { $0.integer(Int64.min) }
        check(":7\r\n", ":7\r\n") { $0.integer(Int(7)) }
    }

    func testBulkStrings() {
        check("$11\r\nHello World\r\n", "$11\r\nHello World\r\n") { $0.bulk("Hello World" as StaticString) }
        check("$5\r\nhello\r\n", "$5\r\nhello\r\n") { $0.bulk(String("hello")) }
        check("$0\r\n\r\n", "$0\r\n\r\n") { $0.bulk([UInt8]()) }
        check("$4\r\na\r\nb\r\n", "$4\r\na\r\nb\r\n") { $0.bulk(Array("a\r\nb".utf8)) }
        check("$20\r\n-9223372036854775808\r\n", "$20\r\n-9223372036854775808\r\n") { $0.bulk(int: Int64.min) }
        check("$2\r\n42\r\n", "$2\r\n42\r\n") { $0.bulk(int: 42) }
        let big = [UInt8](repeating: 65, count: 100_000)
        check("$100000\r\n" + String(repeating: "A", count: 100_000) + "\r\n",
              "$100000\r\n" + String(repeating: "A", count: 100_000) + "\r\n") { $0.bulk(big) }
    }

    func testNulls() {
        check("$-1\r\n", "_\r\n") { $0.nullBulk() }
        check("*-1\r\n", "_\r\n") { $0.nullArray() }
    }

    func testAggregates() {
        check("*3\r\n:0\r\n:1\r\n:2\r\n", "*3\r\n:0\r\n:1\r\n:2\r\n") { r in
            r.arrayHeader(3); for i in 0..<3 { r.integer(i) }
        }
        check("*0\r\n", "*0\r\n") { $0.arrayHeader(0) }
        check("*3\r\n:0\r\n:1\r\n:2\r\n", "~3\r\n:0\r\n:1\r\n:2\r\n") { r in
            r.setHeader(3); for i in 0..<3 { r.integer(i) }
        }
        check("*6\r\n:0\r\n:0\r\n:1\r\n:1\r\n:2\r\n:0\r\n", "%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n") { r in
            r.mapHeader(3)
            for i in 0..<3 { r.integer(i); r.bool(i == 1) }
        }
        check("*2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n", ">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n") { r in
            r.pushHeader(2); r.bulk("server-cpu-usage" as StaticString); r.integer(42)
        }
        check("*2\r\n$1\r\na\r\n$0\r\n\r\n", "*2\r\n$1\r\na\r\n$0\r\n\r\n") { $0.bulkArray([Array("a".utf8), []]) }
        check("*2\r\n$1\r\nx\r\n$2\r\nyz\r\n", "*2\r\n$1\r\nx\r\n$2\r\nyz\r\n") { $0.bulkArray(["x", "yz"]) }
        // Attributes exist only in RESP3 (callers skip them for RESP2).
        XCTAssertEqual(encode(.resp3) { $0.attributeHeader(1) }, "|1\r\n")
    }

    func testDoubles() {
        check("$5\r\n3.141\r\n", ",3.141\r\n") { $0.double(3.141) }
        check("$1\r\n3\r\n", ",3\r\n") { $0.double(3) }
        check("$3\r\n2.5\r\n", ",2.5\r\n") { $0.double(2.5) }
        check("$19\r\n0.10000000000000001\r\n", ",0.10000000000000001\r\n") { $0.double(0.1) }
        check("$3\r\ninf\r\n", ",inf\r\n") { $0.double(.infinity) }
        check("$4\r\n-inf\r\n", ",-inf\r\n") { $0.double(-.infinity) }
        check("$2\r\n-0\r\n", ",-0\r\n") { $0.double(-0.0) }
        check("$5\r\n1e+22\r\n", ",1e+22\r\n") { $0.double(1e22) }
        check("$23\r\n1.0000000000000001e+300\r\n", ",1.0000000000000001e+300\r\n") { $0.double(1e300) }
        let lowest = "-1.7976931348623157e+308"
        check("$\(lowest.utf8.count)\r\n\(lowest)\r\n", ",\(lowest)\r\n") { $0.double(-Double.greatestFiniteMagnitude) }
    }

    func testBooleansBigNumbersVerbatim() {
        check(":1\r\n", "#t\r\n") { $0.bool(true) }
        check(":0\r\n", "#f\r\n") { $0.bool(false) }
        let digits = Array("1234567999999999999999999999999999999".utf8)
        check("$37\r\n1234567999999999999999999999999999999\r\n", "(1234567999999999999999999999999999999\r\n") { r in
            digits.withUnsafeBufferPointer { r.bigNumber($0) }
        }
        check("$25\r\nThis is a verbatim\nstring\r\n", "=29\r\ntxt:This is a verbatim\nstring\r\n") {
            $0.verbatim("This is a verbatim\nstring")
        }
        check("$0\r\n\r\n", "=4\r\nmkd:\r\n") { $0.verbatim("", format: "mkd") }
    }

    // MARK: deferred headers

    func testDeferredArray() {
        check("*3\r\n:1\r\n:2\r\n:3\r\n", "*3\r\n:1\r\n:2\r\n:3\r\n") { r in
            let mark = r.beginDeferred()
            for i in 1...3 { r.integer(i) }
            r.endDeferredArray(at: mark, count: 3)
        }
        check("*0\r\n", "*0\r\n") { r in r.endDeferredArray(at: r.beginDeferred(), count: 0) }
    }

    func testDeferredMapAndSet() {
        check("*4\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n", "%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n") { r in
            let mark = r.beginDeferred()
            r.bulk("a" as StaticString); r.integer(1)
            r.bulk("b" as StaticString); r.integer(2)
            r.endDeferredMap(at: mark, pairs: 2)
        }
        check("*2\r\n:1\r\n:2\r\n", "~2\r\n:1\r\n:2\r\n") { r in
            let mark = r.beginDeferred()
            r.integer(1); r.integer(2)
            r.endDeferredSet(at: mark, count: 2)
        }
    }

    func testDeferredAfterEarlierRepliesAndNested() {
        // A deferred header in the middle of a pipeline's output, with another deferred aggregate inside it.
        check("+OK\r\n*2\r\n*2\r\n:1\r\n:2\r\n:3\r\n:9\r\n", "+OK\r\n*2\r\n*2\r\n:1\r\n:2\r\n:3\r\n:9\r\n") { r in
            r.ok()
            let outer = r.beginDeferred()
            let inner = r.beginDeferred()
            r.integer(1); r.integer(2)
            r.endDeferredArray(at: inner, count: 2)
            r.integer(3)
            r.endDeferredArray(at: outer, count: 2)
            r.integer(9)
        }
    }

    func testDeferredWithManyElementsAcrossGrowth() {
        let n = 12_345
        var expected = "*\(n)\r\n"
        for i in 0..<n { expected += "$\(String(i).utf8.count)\r\n\(i)\r\n" }
        check(expected, expected) { r in
            let mark = r.beginDeferred()
            for i in 0..<n { r.bulk(int: Int64(i)) }
            r.endDeferredArray(at: mark, count: n)
        }
    }

    // MARK: buffer management

    func testPendingAndDiscardSent() {
        let r = ReplyBuffer(capacity: 8)
        r.bulk("abcdef" as StaticString)
        r.integer(5)
        XCTAssertEqual(r.pending, 16)
        r.sent = 12  // the socket took part of it
        XCTAssertEqual(String(decoding: r.pendingBytes, as: UTF8.self), ":5\r\n")
        r.discardSent()
        XCTAssertEqual(r.sent, 0)
        XCTAssertEqual(r.count, 4)
        XCTAssertEqual(String(decoding: r.pendingBytes, as: UTF8.self), ":5\r\n")
        r.ok()
        XCTAssertEqual(String(decoding: r.bytes(from: 0), as: UTF8.self), ":5\r\n+OK\r\n")
    }

    func testSlowReaderDoesNotGrowBufferWithoutBound() {
        // A writer that always leaves part of the output unsent while more
        // replies arrive: with the sent bytes reclaimed the buffer stays near
        // the amount pending, not the total ever written.
        let r = ReplyBuffer(capacity: 16 * 1024)
        let value = [UInt8](repeating: 1, count: 10_000)
        for _ in 0..<2_000 {
            r.bulk(value)
            r.sent += min(r.pending - 1, 10_000)  // everything but a little
            if r.sent >= r.pending { r.discardSent() }
        }
        XCTAssertLessThanOrEqual(r.allocatedSize, 64 * 1024)
    }

    func testTruncateAndReset() {
        let r = ReplyBuffer(capacity: 16)
        r.ok()
        let mark = r.count
        r.bulk("partial" as StaticString)
        r.truncate(to: mark)
        XCTAssertEqual(String(decoding: r.bytes(from: 0), as: UTF8.self), "+OK\r\n")
        r.bulk([UInt8](repeating: 0, count: 3 << 20))
        XCTAssertGreaterThan(r.allocatedSize, 1 << 20)
        r.reset()
        XCTAssertEqual(r.count, 0)
        XCTAssertEqual(r.pending, 0)
        XCTAssertLessThanOrEqual(r.allocatedSize, 16 * 1024)
    }
}
