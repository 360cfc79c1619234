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
