import CinnabarCore
import XCTest

/// Deterministic pseudo-random numbers (splitmix64) so failures reproduce.
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Drives a `RequestParser` the way a connection does: each chunk is read
/// into the query buffer after reserving room (which may move or drop
/// consumed bytes), every complete command is taken out, and consumed bytes
/// are compacted away after every chunk (more often than the server does, to
/// shake out stale offsets).
struct ParserDriver {
    var parser = RequestParser()
    let query = QueryBuffer(capacity: 16)
    var commands: [[[UInt8]]] = []
    var error: String?
    var maxBulk = 512 * 1024 * 1024
    var unauthenticated = false

    mutating func feed(_ chunk: [UInt8]) {
        guard error == nil else { return }
        parser.shifted(by: query.reserve(chunk.count, keepingFrom: parser.retainedStart))
        let (p, room) = query.writable
        XCTAssertGreaterThanOrEqual(room, chunk.count)
        chunk.withUnsafeBufferPointer { if $0.count > 0 { p.update(from: $0.baseAddress!, count: $0.count) } }
        query.commit(chunk.count)
        loop: while true {
            switch parser.parse(query, maxBulk: maxBulk, unauthenticated: unauthenticated) {
            case .incomplete:
                break loop
            case .protocolError(let text):
                error = text
                return
            case .command:
                commands.append(currentArgs())
                parser.reset()
            }
        }
        parser.shifted(by: query.compact(keepingFrom: parser.retainedStart))
    }

    func currentArgs() -> [[UInt8]] {
        (0..<parser.argc).map { i in
            let off = parser.offsets[i], len = parser.lengths[i]
            if parser.isInline { return Array(parser.inlineStorage[off..<(off + len)]) }
            return Array(UnsafeBufferPointer(start: query.base + off, count: len))
        }
    }

    /// Parses `stream` cut at the given ascending positions.
    static func run(_ stream: [UInt8], cuts: [Int], configure: (inout ParserDriver) -> Void = { _ in }) -> ParserDriver {
        var d = ParserDriver()
        configure(&d)
        var last = 0
        for c in cuts + [stream.count] where c >= last {
            d.feed(Array(stream[last..<c]))
            last = c
        }
        return d
    }
}

private func b(_ s: String) -> [UInt8] { Array(s.utf8) }

/// RESP multibulk encoding of `args`.
private func multibulk(_ args: [[UInt8]]) -> [UInt8] {
    var out = b("*\(args.count)\r\n")
    for a in args { out += b("$\(a.count)\r\n") + a + b("\r\n") }
    return out
}

final class RequestParserTests: XCTestCase {
    /// Requests (wire bytes) and the argument vectors they must produce.
    static let corpus: [(wire: [UInt8], argv: [[[UInt8]]])] = {
        var list: [([UInt8], [[[UInt8]]])] = []
        func mb(_ args: [[UInt8]]) { list.append((multibulk(args), [args])) }
        mb([b("SET"), b("key"), b("value")])
        mb([b("GET"), b("")])
        mb([b("SET"), b("k"), b("a\r\nb\r\n$3\r\n*1\r\n")])
        mb([b("SET"), b("bin"), (0...255).map { UInt8($0) }])
        mb([b("MSET")] + (0..<100).flatMap { [b("key:\($0)"), b("value:\($0)")] })
        mb([b("SET"), b("big"), (0..<40_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }])
        mb([b("SET"), b("huge"), [UInt8](repeating: 120, count: 70_000), b("after")])
        // Inline commands, expectations checked against redis-server 7.0.15.
        func inline(_ line: [UInt8], _ args: [String]) { list.append((line, [args.map(b)])) }
        inline(b("PING\r\n"), ["PING"])
        inline(b("PING\n"), ["PING"])
        inline(b("set a b\r\n"), ["set", "a", "b"])
        inline(b("  \t ECHO \t x  \r\n"), ["ECHO", "x"])
        inline(b("SET \"a b\" 'c d'\r\n"), ["SET", "a b", "c d"])
        inline(b("ECHO \"\\x41\\x4a\\n\\r\\t\\b\\a\\\\\\\"\\q\"\r\n"), ["ECHO", "AJ\n\r\t\u{8}\u{7}\\\"q"])
        inline(b("ECHO \"\\x4\"\r\n"), ["ECHO", "x4"])
        inline(b("ECHO \"\\xZZ\"\r\n"), ["ECHO", "xZZ"])
        inline(b("ECHO \"\\x\"\r\n"), ["ECHO", "x"])
        inline(b("ECHO 'it\\'s'\r\n"), ["ECHO", "it's"])
        inline(b("ECHO 'a\\nb'\r\n"), ["ECHO", "a\\nb"])
        inline(b("ECHO a\"b c\" \r\n"), ["ECHO", "ab c"])
        inline(b("ECHO \"\"\r\n"), ["ECHO", ""])
        inline(b("XYZ a\"\" b\r\n"), ["XYZ", "a", "b"])
        inline(b("ECHO \"a\"\u{0B}\r\n"), ["ECHO", "a"])
        inline(b("ECHO a\u{0B}b\r\n"), ["ECHO", "a\u{0B}b"])
        inline(b("XYZ a\u{0C}b \u{0C} c\r\n"), ["XYZ", "a\u{0C}b", "c"])
        inline(b("ECHO x\r\r\n"), ["ECHO", "x"])
        inline(b("XYZ a\rb\r\n"), ["XYZ", "a", "b"])
        list.append(([69, 67, 72, 79, 32, 0xFF, 0xFE, 13, 10], [[b("ECHO"), [0xFF, 0xFE]]]))
        // Requests that produce nothing.
        list.append((b("\r\n"), []))
        list.append((b("\n"), []))
        list.append((b("   \t \r\n"), []))
        list.append((b("*0\r\n"), []))
        list.append((b("*-1\r\n"), []))
        list.append((b("*-7\r\n"), []))
        return list
    }()

    static var pipeline: (wire: [UInt8], argv: [[[UInt8]]]) {
        (corpus.flatMap(\.wire), corpus.flatMap(\.argv))
    }

    func testEachRequestWhole() {
        for (i, item) in Self.corpus.enumerated() {
            let d = ParserDriver.run(item.wire, cuts: [])
            XCTAssertNil(d.error, "request \(i)")
            XCTAssertEqual(d.commands, item.argv, "request \(i)")
        }
    }

    func testEachRequestSplitAtEveryByte() {
        for (i, item) in Self.corpus.enumerated() {
            // The big requests get every split near their edges and a stride through the middle.
            let n = item.wire.count
            var positions = Array(0...n)
            if n > 2000 { positions = Array(0...600) + Array(stride(from: 600, to: n - 600, by: 97)) + Array((n - 600)...n) }
            for cut in positions {
                let d = ParserDriver.run(item.wire, cuts: [cut])
                XCTAssertNil(d.error, "request \(i) cut at \(cut)")
                XCTAssertEqual(d.commands, item.argv, "request \(i) cut at \(cut)")
                if d.commands != item.argv { return }
            }
        }
    }

    func testEachRequestByteByByte() {
        for (i, item) in Self.corpus.enumerated() where item.wire.count < 5000 {
            let d = ParserDriver.run(item.wire, cuts: Array(1..<max(1, item.wire.count)))
            XCTAssertEqual(d.commands, item.argv, "request \(i)")
        }
    }

    func testPipelineAtRandomSplits() {
        let (wire, argv) = Self.pipeline
        var rng = SeededRandom(seed: 0xC1AA_BA12)
        for round in 0..<200 {
            let pieces = Int.random(in: 1...60, using: &rng)
            let cuts = (0..<pieces).map { _ in Int.random(in: 0...wire.count, using: &rng) }.sorted()
            let d = ParserDriver.run(wire, cuts: cuts)
            XCTAssertNil(d.error, "round \(round)")
            XCTAssertEqual(d.commands.count, argv.count, "round \(round)")
            XCTAssertEqual(d.commands, argv, "round \(round) cuts \(cuts)")
            if d.commands != argv { return }
        }
    }

    func testPipelineInSmallRandomReads() {
        // Many short reads, like a slow network: exercises reserve/compact with partly parsed commands.
        let (wire, argv) = Self.pipeline
        var rng = SeededRandom(seed: 42)
        var cuts: [Int] = []
        var pos = 0
        while pos < wire.count {
            pos += Int.random(in: 1...700, using: &rng)
            cuts.append(min(pos, wire.count))
        }
        let d = ParserDriver.run(wire, cuts: cuts)
        XCTAssertNil(d.error)
        XCTAssertEqual(d.commands, argv)
    }

    func testBigBulkHintAndReservation() {
        let value = [UInt8](repeating: 7, count: 100_000)
        let wire = multibulk([b("SET"), b("k"), value])
        var d = ParserDriver()
        let header = wire.count - value.count - 2
        d.feed(Array(wire[0..<(header + 10)]))
        XCTAssertEqual(d.commands.count, 0)
        XCTAssertTrue(d.parser.inProgress)
        XCTAssertEqual(d.parser.pendingBulkHint(d.query), value.count + 2 - 10)
        d.feed(Array(wire[(header + 10)...]))
        XCTAssertEqual(d.commands, [[b("SET"), b("k"), value]])
        XCTAssertFalse(d.parser.inProgress)
    }

    func testSmallBulkGivesNoHint() {
        var d = ParserDriver()
        d.feed(b("*1\r\n$100\r\nabc"))
        XCTAssertEqual(d.parser.pendingBulkHint(d.query), 0)
    }

    // MARK: protocol errors, with Redis's wording

    private func assertError(_ wire: [UInt8], _ text: String, configure: (inout ParserDriver) -> Void = { _ in },
                             file: StaticString = #filePath, line: UInt = #line) {
        let whole = ParserDriver.run(wire, cuts: [], configure: configure)
        XCTAssertEqual(whole.error, text, file: file, line: line)
        if wire.count < 200 {
            for cut in 0...wire.count {
                let split = ParserDriver.run(wire, cuts: [cut], configure: configure)
                XCTAssertEqual(split.error, text, "cut at \(cut)", file: file, line: line)
            }
        }
    }

    func testInvalidMultibulkLength() {
        assertError(b("*abc\r\n"), "ERR Protocol error: invalid multibulk length")
        assertError(b("*\r\n"), "ERR Protocol error: invalid multibulk length")
        assertError(b("*+1\r\n"), "ERR Protocol error: invalid multibulk length")
        assertError(b("*01\r\n"), "ERR Protocol error: invalid multibulk length")
        assertError(b("*1 \r\n"), "ERR Protocol error: invalid multibulk length")
        assertError(b("*2147483648\r\n"), "ERR Protocol error: invalid multibulk length")
        assertError(b("*99999999999999999999\r\n"), "ERR Protocol error: invalid multibulk length")
        // INT_MAX itself is a valid count: the parser then waits for arguments.
        let d = ParserDriver.run(b("*2147483647\r\n"), cuts: [])
        XCTAssertNil(d.error)
        XCTAssertTrue(d.parser.inProgress)
    }

    func testCommandsBeforeAnErrorStillParse() {
        let d = ParserDriver.run(b("*1\r\n$4\r\nPING\r\n*x\r\n*1\r\n$4\r\nPING\r\n"), cuts: [])
        XCTAssertEqual(d.commands, [[b("PING")]])
        XCTAssertEqual(d.error, "ERR Protocol error: invalid multibulk length")
    }

    func testExpectedDollar() {
        assertError(b("*1\r\nx\r\n"), "ERR Protocol error: expected '$', got 'x'")
        assertError(b("*3\r\n$3\r\nSET\r\n:1\r\n"), "ERR Protocol error: expected '$', got ':'")
        assertError(b("*1\r\n\r\n"), "ERR Protocol error: expected '$', got '\r'")
    }

    func testInvalidBulkLength() {
        assertError(b("*1\r\n$abc\r\n"), "ERR Protocol error: invalid bulk length")
        assertError(b("*1\r\n$-1\r\n"), "ERR Protocol error: invalid bulk length")
        assertError(b("*1\r\n$\r\n"), "ERR Protocol error: invalid bulk length")
        assertError(b("*1\r\n$9223372036854775808\r\n"), "ERR Protocol error: invalid bulk length")
        // Above proto-max-bulk-len.
        assertError(b("*1\r\n$1048577\r\n"), "ERR Protocol error: invalid bulk length") { $0.maxBulk = 1 << 20 }
        let ok = ParserDriver.run(b("*1\r\n$1048576\r\n"), cuts: []) { $0.maxBulk = 1 << 20 }
        XCTAssertNil(ok.error)
    }

    func testTooBigInlineRequest() {
        let limit = RequestParser.inlineMax
        XCTAssertEqual(limit, 64 * 1024)
        let atLimit = ParserDriver.run([UInt8](repeating: 97, count: limit), cuts: [10_000, 40_000])
        XCTAssertNil(atLimit.error)
        XCTAssertEqual(atLimit.commands.count, 0)
        let over = ParserDriver.run([UInt8](repeating: 97, count: limit + 1), cuts: [10_000, 40_000])
        XCTAssertEqual(over.error, "ERR Protocol error: too big inline request")
        // A long line that does end in time is fine.
        let long = ParserDriver.run(b("ECHO ") + [UInt8](repeating: 97, count: limit - 10) + b("\r\n"), cuts: [30_000])
        XCTAssertNil(long.error)
        XCTAssertEqual(long.commands.first?.last?.count, limit - 10)
    }

    func testTooBigMultibulkCountString() {
        let wire = b("*") + [UInt8](repeating: 49, count: RequestParser.inlineMax)
        XCTAssertEqual(ParserDriver.run(wire, cuts: [20_000]).error, "ERR Protocol error: too big mbulk count string")
        XCTAssertNil(ParserDriver.run(Array(wire.dropLast()), cuts: []).error)
    }

    func testTooBigBulkCountString() {
        let prefix = b("*1\r\n")
        let wire = prefix + b("$") + [UInt8](repeating: 49, count: RequestParser.inlineMax)
        XCTAssertEqual(ParserDriver.run(wire, cuts: [20_000]).error, "ERR Protocol error: too big bulk count string")
        XCTAssertNil(ParserDriver.run(Array(wire.dropLast()), cuts: []).error)
    }

    /// Redis looks for line ends with strchr on a NUL-terminated buffer: a NUL
    /// before the CR (header lines) or LF (inline lines) leaves the line
    /// unfinished until the 64 KB limit, while NULs inside bulk payloads are data.
    func testNulHidesLineEndsLikeRedis() {
        for wire in ["PING\0\r\nPING\r\n", "*1\r\n$4\0\r\nPING\r\n", "*1\0\r\n$4\r\nPING\r\n"] {
            let d = ParserDriver.run(b(wire), cuts: [])
            XCTAssertNil(d.error, wire)
            XCTAssertEqual(d.commands.count, 0, wire)
        }
        let payload = ParserDriver.run(b("*1\r\n$4\r\nPI\0G\r\nPING\r\n"), cuts: [])
        XCTAssertEqual(payload.commands, [[b("PI\0G")], [b("PING")]])
        let over = ParserDriver.run(b("PING\0\r\n") + [UInt8](repeating: 120, count: RequestParser.inlineMax), cuts: [30_000])
        XCTAssertEqual(over.error, "ERR Protocol error: too big inline request")
        let header = ParserDriver.run(b("*1\0\r\n") + [UInt8](repeating: 120, count: RequestParser.inlineMax), cuts: [30_000])
        XCTAssertEqual(header.error, "ERR Protocol error: too big mbulk count string")
    }

    func testUnbalancedQuotes() {
        for line in ["ECHO \"abc\r\n", "ECHO 'abc\r\n", "ECHO \"abc\\\"\r\n", "ECHO a'b'c\r\n", "ECHO a\"b c\"d\r\n",
                     "XYZ ''x\r\n", "ECHO \"a\\\r\n", "SET \"k\"v 1\r\n"] {
            assertError(b(line), "ERR Protocol error: unbalanced quotes in request")
        }
    }

    func testUnauthenticatedLimits() {
        let auth: (inout ParserDriver) -> Void = { $0.unauthenticated = true }
        assertError(b("*11\r\n"), "ERR Protocol error: unauthenticated multibulk length", configure: auth)
        XCTAssertNil(ParserDriver.run(b("*10\r\n"), cuts: [], configure: auth).error)
        assertError(b("*1\r\n$16385\r\n"), "ERR Protocol error: unauthenticated bulk length", configure: auth)
        XCTAssertNil(ParserDriver.run(b("*1\r\n$16384\r\n"), cuts: [], configure: auth).error)
        // Authenticated clients have neither limit.
        XCTAssertNil(ParserDriver.run(b("*11\r\n$16385\r\n"), cuts: []).error)
        // Inline requests are not limited by these checks.
        let inline = ParserDriver.run(b("AUTH " + String(repeating: "x ", count: 20) + "\r\n"), cuts: [], configure: auth)
        XCTAssertNil(inline.error)
        XCTAssertEqual(inline.commands.first?.count, 21)
    }

    // MARK: configuration-line splitting shares the inline rules

    func testSplitArgsForConfigurationLines() {
        XCTAssertEqual(RequestParser.splitArgs("save 900 1"), [b("save"), b("900"), b("1")])
        XCTAssertEqual(RequestParser.splitArgs("save \"\""), [b("save"), []])
        XCTAssertEqual(RequestParser.splitArgs("requirepass \"a b\\x21\""), [b("requirepass"), b("a b!")])
        XCTAssertEqual(RequestParser.splitArgs("   "), [])
        XCTAssertNil(RequestParser.splitArgs("dir \"/tmp"))
    }
}
