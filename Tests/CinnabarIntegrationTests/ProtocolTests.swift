import CinnabarClient
import XCTest

final class ProtocolTests: XCTestCase {
    func testPipelineOverSocket() throws {
        let s = try TestServer()
        let c = try s.connect()
        let replies = try c.pipeline([["SET", "a", "1"], ["GET", "a"], ["NOSUCH"]])
        XCTAssertEqual(replies[0], .simple("OK"))
        XCTAssertEqual(replies[1], .bulk(Array("1".utf8)))
        XCTAssertEqual(replies[2], .error("ERR unknown command 'NOSUCH', with args beginning with: "))
    }

    func testRedisCLI() throws {
        let s = try TestServer(mode: .binary)
        XCTAssertEqual(try s.cli(["SET", "x", "y"]), "OK\n")
        XCTAssertEqual(try s.cli(["GET", "x"]), "y\n")
    }

    /// A bulk argument larger than one read arrives after the short arguments
    /// before it were parsed: growing the query buffer must keep them.
    func testBigArgumentsAfterShortOnes() throws {
        let s = try TestServer()
        let c = try s.connect()
        for size in [20_000, 70_000, 1 << 20] {
            let value = (0..<size).map { UInt8(97 + $0 % 26) }
            XCTAssertEqual(try c.call([Array("SET".utf8), Array("big".utf8), value]), .simple("OK"))
            XCTAssertEqual(try c.call("STRLEN", "big"), .integer(Int64(size)))
            XCTAssertEqual(try c.call([Array("GET".utf8), Array("big".utf8)]), .bulk(value))
        }
        // Several pipelined commands with big arguments in one write.
        let v = [UInt8](repeating: 120, count: 50_000)
        var out: [UInt8] = []
        for i in 0..<4 { out += RedisConnection.encode([Array("APPEND".utf8), Array("k\(i % 2)".utf8), v]) }
        try c.write(out)
        XCTAssertEqual(try (0..<4).map { _ in try c.read() }, [.integer(50_000), .integer(50_000), .integer(100_000), .integer(100_000)])
    }

    /// A request larger than the first socket read keeps the arguments parsed
    /// before the query buffer grew or compacted.
    func testLargeMultibulkSpanningReads() throws {
        let s = try TestServer()
        let c = try s.connect()
        var args = ["NOSUCH"]
        for i in 0..<20_000 { args.append("arg\(i)") }
        args.append(String(repeating: "x", count: 100_000))
        let reply = try c.pipeline([args])[0]
        XCTAssertEqual(reply, .error("ERR unknown command 'NOSUCH', with args beginning with: 'arg0' 'arg1' 'arg2' 'arg3' 'arg4' 'arg5' 'arg6' 'arg7' 'arg8' 'arg9' 'arg10' 'arg11' 'arg12' 'arg13' 'arg14' 'arg15' 'arg16' 'ar' "))
        XCTAssertEqual(try c.call("PING"), .simple("PONG"))
    }
}
