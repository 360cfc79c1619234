import CinnabarClient
import CinnabarCore
import Foundation
import XCTest

/// Long-running scripts over real sockets: -BUSY for other clients on every
/// loop thread, SCRIPT KILL of JIT-compiled loops, UNKILLABLE after writes,
/// SHUTDOWN NOSAVE while busy, and the lua-memory-limit cap.
final class ScriptingCommandsTests: XCTestCase {
    static let busy = RESPValue.error("BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.")
    static let unkillable = RESPValue.error("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")

    /// Starts `script` (as EVAL, or as a function with kind FUNCTION) in a
    /// tight loop, checks -BUSY on every loop, kills it and checks the server recovers.
    static func killLoop(_ script: String, kind: String) throws {
        let s = try TestServer(["io-threads": "2", "busy-reply-threshold": "100"])
        let runner = try s.connect()
        let others = try clientsOnEveryLoop(s)
        if kind == "FUNCTION" {
            XCTAssertEqual(try runner.reply("FUNCTION", "LOAD", "#!lua name=spin\nredis.register_function('spin', function() \(script) end)"),
                           .bulk(Array("spin".utf8)))
        }
        let pending = PendingReply(runner, kind == "FUNCTION" ? ["FCALL", "spin", "0"] : ["EVAL", script, "0"])
        try eventually("-BUSY") { if case .error = try others[0].reply("PING") { return true } else { return false } }
        for c in others {
            XCTAssertEqual(try c.reply("GET", "x"), .error("BUSY Redis is busy running a script. You can only call \(kind) KILL or SHUTDOWN NOSAVE."),
                           "every loop answers -BUSY")
        }
        let busyText = "BUSY Redis is busy running a script. You can only call \(kind) KILL or SHUTDOWN NOSAVE."
        XCTAssertEqual(try others[1].reply(kind == "FUNCTION" ? "SCRIPT" : "FUNCTION", "KILL"), .error(busyText))
        XCTAssertEqual(try others[1].reply("PING"), .error(busyText))
        XCTAssertEqual(try others[1].reply(kind, "KILL"), .simple("OK"))
        let reply = try pending.wait()
        guard case .error(let text) = reply else { return XCTFail("\(reply)") }
        // Redis words the error the same way for FUNCTION KILL.
        XCTAssertTrue(text.hasPrefix("ERR Script killed by user with SCRIPT KILL..."), text)
        try eventually("the server to serve again") { try others[2].reply("PING") == .simple("PONG") }
        XCTAssertEqual(try runner.reply("EVAL", "return 7", "0"), .integer(7))
        XCTAssertEqual(try others[3].reply(kind, "KILL"), .error("NOTBUSY No scripts in execution right now."))
    }

    func testScriptKillStopsCompiledEmptyLoop() throws {
        try Self.killLoop("while true do end", kind: "SCRIPT")
    }

    func testScriptKillStopsCompiledCountingLoop() throws {
        try Self.killLoop("local i = 0 while true do i = i + 1 end", kind: "SCRIPT")
    }

    func testErrorMessageOfKilledScript() throws {
        let s = try TestServer(["busy-reply-threshold": "50"])
        let runner = try s.connect(), other = try s.connect()
        let pending = PendingReply(runner, ["EVAL", "local i=0 while true do i=i+1 end", "0"])
        try eventually("-BUSY") { try other.reply("PING") == Self.busy }
        XCTAssertEqual(try other.reply("SCRIPT", "KILL"), .simple("OK"))
        XCTAssertEqual(try pending.wait(),
                       .error("ERR Script killed by user with SCRIPT KILL... script: 653db1ceb7ef061910af88dc7ebf80737358169d, on @user_script:1."))
    }

    /// A script holds only its keys' shards: while it runs on one loop, a
    /// client on the other loop reads a key of another shard at once, and a
    /// key of the script's shard only after the script.
    func testScriptsLockOnlyTheShardsTheyUse() throws {
        let s = try TestServer(["io-threads": "2", "busy-reply-threshold": "60000"])
        let runner = try s.connect(), other = try s.connect()
        let ks = try XCTUnwrap(s.keyspace)
        func shard(_ k: String) -> Int { ks.shardIndex(KeyHash.hash(Array(k.utf8))) }
        let mine = "script-key"
        let elsewhere = (0..<1000).map { "other:\($0)" }.first { shard($0) != shard(mine) }!
        let sameShard = (0..<100_000).map { "same:\($0)" }.first { shard($0) == shard(mine) }!
        try runner.call("SET", mine, "mine")
        try other.call("SET", elsewhere, "elsewhere")
        // Runs for 800 ms of wall time, whatever the machine's speed.
        let script = """
            local t0 = redis.call('time')
            while true do
              local t = redis.call('time')
              if (t[1] - t0[1]) * 1000000 + (t[2] - t0[2]) > 800000 then break end
            end
            return redis.call('get', KEYS[1])
            """
        let pending = PendingReply(runner, ["EVAL", script, "1", mine])
        usleep(150_000)
        XCTAssertEqual(try other.reply("GET", elsewhere), .bulk(Array("elsewhere".utf8)))
        XCTAssertThrowsError(try pending.wait(seconds: 0), "the read of another shard waited for the script")
        // A key of the script's shard is served only once the script is done
        // (it runs at least 800 ms from its start, so the write waits).
        let start = Date()
        XCTAssertEqual(try other.reply("SET", sameShard, "x"), .simple("OK"))
        XCTAssertGreaterThan(Date().timeIntervalSince(start), 0.4, "the write to the script's shard did not wait")
        XCTAssertEqual(try pending.wait(), .bulk(Array("mine".utf8)))
    }

    /// SCRIPT FLUSH closes the EVAL state of every loop, not only its own.
    func testScriptFlushClosesEveryLoopsState() throws {
        let s = try TestServer(["io-threads": "2"])
        let a = try s.connect(), b = try s.connect()
        XCTAssertEqual(try a.reply("EVAL", "return 1", "0"), .integer(1))
        XCTAssertEqual(try b.reply("EVAL", "return 2", "0"), .integer(2))
        func luaMemory() throws -> Int {
            let info = try a.call("INFO", "memory").string ?? ""
            let line = info.split(separator: "\r\n").first { $0.hasPrefix("used_memory_lua:") } ?? ""
            return Int(line.dropFirst("used_memory_lua:".count)) ?? -1
        }
        XCTAssertGreaterThan(try luaMemory(), 0)
        XCTAssertEqual(try a.reply("SCRIPT", "FLUSH"), .simple("OK"))
        try eventually("both loops' states to close") { try luaMemory() == 0 }
        XCTAssertEqual(try b.reply("EVALSHA", "7f923f79fe76194c868d7e1d0820de36700eb649", "0"),
                       .error("NOSCRIPT No matching script. Please use EVAL."))
    }

    func testScriptBelowThresholdIsNotBusy() throws {
        let s = try TestServer(["busy-reply-threshold": "60000"])
        let c = try s.connect()
        XCTAssertEqual(try c.reply("EVAL", "local t = 0 for i = 1, 3000000 do t = t + i end return t", "0"), .integer(4_500_001_500_000))
        XCTAssertEqual(try c.reply("SCRIPT", "KILL"), .error("NOTBUSY No scripts in execution right now."))
    }

    func testUnkillableAfterWriteThenShutdownNosave() throws {
        let s = try TestServer(["io-threads": "2", "busy-reply-threshold": "100"], mode: .binary)
        let runner = try s.connect()
        let others = try clientsOnEveryLoop(s)
        _ = PendingReply(runner, ["EVAL", "redis.call('set', 'x', 'y') while true do end", "0"])
        try eventually("-BUSY") { try others[0].reply("PING") == Self.busy }
        XCTAssertEqual(try others[1].reply("SCRIPT", "KILL"), Self.unkillable)
        XCTAssertEqual(try others[1].reply("FUNCTION", "KILL"), Self.unkillable, "Redis checks for writes first")
        XCTAssertEqual(try others[2].reply("SET", "y", "z"), Self.busy)
        // SHUTDOWN NOSAVE ends the server without waiting for the script.
        _ = try? others[3].reply("SHUTDOWN", "NOSAVE")
        try eventually("the server to exit") {
            (try? RedisConnection(port: s.port, timeout: 1).call("PING")) == nil
        }
    }

    func testMemoryLimitFailsOnlyTheScript() throws {
        let s = try TestServer(["lua-memory-limit": "8mb"])
        let c = try s.connect()
        let reply = try c.reply("EVAL", "local t = {} for i = 1, 10000000 do t[i] = 'value' .. i end return #t", "0")
        guard case .error(let text) = reply else { return XCTFail("\(reply)") }
        XCTAssertTrue(text.hasPrefix("ERR Error running script "), text)
        XCTAssertTrue(text.contains("not enough memory"), text)
        XCTAssertTrue(text.hasSuffix("(lua-memory-limit of 8388608 bytes reached)"), text)
        XCTAssertEqual(try c.reply("PING"), .simple("PONG"))
        // Later scripts run normally, including ones that need a fair amount of memory.
        XCTAssertEqual(try c.reply("EVAL", "local t = {} for i = 1, 10000 do t[i] = i end return #t", "0"), .integer(10000))
        XCTAssertEqual(try c.reply("EVAL", "return string.rep('x', 1000000):len()", "0"), .integer(1_000_000))
        let big = try c.reply("EVAL", "return string.rep('x', 100000000)", "0")
        guard case .error(let text2) = big else { return XCTFail("\(big)") }
        XCTAssertTrue(text2.contains("lua-memory-limit"), text2)
        // Results the libraries build past the cap fail the same way, before Lua allocates them.
        for script in ["local s = string.rep('x', 2500000) return #cmsgpack.pack(s, s)",
                       "local s = string.rep('x', 2500000) return #struct.pack('c0c0', s, s)"] {
            let r = try c.reply("EVAL", script, "0")
            guard case .error(let t) = r else { return XCTFail("\(r)") }
            XCTAssertTrue(t.hasSuffix("not enough memory (lua-memory-limit of 8388608 bytes reached)"), t)
        }
        XCTAssertEqual(try c.reply("EVAL", "local s = string.rep('x', 1000000) return #struct.pack('c0c0', s, s)", "0"), .integer(2_000_000))
        XCTAssertEqual(try c.reply("EVAL", "return redis.call('set', 'after', 'ok')", "0"), .simple("OK"))
    }

    func testEvalThroughRedisCli() throws {
        let s = try TestServer()
        XCTAssertEqual(try s.cli(["EVAL", "return {1, 'two', {3}}", "0"]), "1\ntwo\n3\n")
        XCTAssertEqual(try s.cli(["EVAL", "return struct.pack('>I2', 258)", "0"]), "\u{1}\u{2}\n")
        XCTAssertEqual(try s.cli(["--no-raw", "EVAL", "return redis.sha1hex(cmsgpack.pack({1, 2, 3}))", "0"]),
                       "\"78a74af6c06029985f388dfeceb9794100377124\"\n")
    }
}
