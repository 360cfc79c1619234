import CinnabarClient
import Foundation
import XCTest

/// Functions over real sockets: FUNCTION KILL of a JIT-compiled loop and
/// FUNCTION STATS while it runs, FCALL from several loops, redis-cli.
final class FunctionCommandsTests: XCTestCase {
    func testFunctionKillStopsCompiledLoop() throws {
        try ScriptingCommandsTests.killLoop("local i = 0 while true do i = i + 1 end", kind: "FUNCTION")
    }

    func testFunctionStatsWhileRunning() throws {
        let s = try TestServer(["io-threads": "2", "busy-reply-threshold": "100"])
        let runner = try s.connect(), other = try s.connect()
        XCTAssertEqual(try runner.reply("FUNCTION", "LOAD", "#!lua name=spin\nredis.register_function('spin', function() while true do end end)"),
                       .bulk(Array("spin".utf8)))
        let pending = PendingReply(runner, ["FCALL", "spin", "0", "extra"])
        try eventually("-BUSY") { if case .error = try other.reply("PING") { return true } else { return false } }
        guard case .array(let stats) = try other.reply("FUNCTION", "STATS"), stats.count == 4,
              case .array(let running) = stats[1], running.count == 6 else {
            return XCTFail("unexpected FUNCTION STATS shape")
        }
        XCTAssertEqual(running[0], .bulk(Array("name".utf8)))
        XCTAssertEqual(running[1], .bulk(Array("spin".utf8)))
        XCTAssertEqual(running[3], .array(["FCALL", "spin", "0", "extra"].map { .bulk(Array($0.utf8)) }))
        if case .integer(let ms) = running[5] { XCTAssertGreaterThanOrEqual(ms, 100) } else { XCTFail("\(running[5])") }
        XCTAssertEqual(try other.reply("FUNCTION", "KILL"), .simple("OK"))
        guard case .error(let text) = try pending.wait() else { return XCTFail("not killed") }
        XCTAssertEqual(text, "ERR Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.")
        guard case .array(let after) = try other.reply("FUNCTION", "STATS") else { return XCTFail() }
        XCTAssertEqual(after[1], .null)
    }

    func testFunctionsFromEveryLoopAndRedisCli() throws {
        let s = try TestServer(["io-threads": "2"])
        let lib = "#!lua name=counter\nredis.register_function('bump', function(keys) return redis.call('incr', keys[1]) end)"
        XCTAssertEqual(try s.cli(["FUNCTION", "LOAD", lib]), "counter\n")
        // Each loop compiles the library in its own state on first use; all share one keyspace.
        let clients = try clientsOnEveryLoop(s)
        for (i, c) in clients.enumerated() {
            XCTAssertEqual(try c.reply("FCALL", "bump", "1", "n"), .integer(Int64(i + 1)))
        }
        XCTAssertEqual(try s.cli(["FCALL", "bump", "1", "n"]), "5\n")
        // A replaced library is used by every loop at once.
        XCTAssertEqual(try s.cli(["FUNCTION", "LOAD", "REPLACE",
                                  "#!lua name=counter\nredis.register_function('bump', function(keys) return redis.call('incrby', keys[1], 10) end)"]),
                       "counter\n")
        for c in clients { _ = try c.reply("FCALL", "bump", "1", "n") }
        XCTAssertEqual(try clients[0].reply("GET", "n"), .bulk(Array("45".utf8)))
        XCTAssertEqual(try s.cli(["FUNCTION", "DELETE", "counter"]), "OK\n")
        for c in clients { XCTAssertEqual(try c.reply("FCALL", "bump", "1", "n"), .error("ERR Function not found")) }
    }
}
