import Cinnabar
import CinnabarCore
import XCTest

/// EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT: the sandbox, conversions in
/// both directions (RESP2 and RESP3), error shapes, the script cache, shebang
/// flags and the bundled libraries, checked against Redis 7.0.15's own replies
/// (ScriptingRedisReplies.swift) and by behaviour.
final class ScriptingCommandsTests: XCTestCase {
    private func replay(_ cases: [RedisReplyCase], file: StaticString = #filePath, line: UInt = #line) {
        replayRedisReplies(cases, file: file, line: line)
    }

    // MARK: byte-for-byte with Redis

    func testSandboxMatchesRedis() { replay(RedisScriptingReplies.sandbox + RedisScriptingReplies.sandboxExtras) }
    func testLuaToResp2MatchesRedis() { replay(RedisScriptingReplies.luaToResp2) }
    func testLuaToResp3MatchesRedis() { replay(RedisScriptingReplies.luaToResp3) }
    func testRespToLuaMatchesRedis() { replay(RedisScriptingReplies.respToLua) }
    func testRedisCallErrorsMatchRedis() { replay(RedisScriptingReplies.redisCallErrors) }
    func testErrorRepliesMatchRedis() { replay(RedisScriptingReplies.errorReplies) }
    func testRedisHelpersMatchRedis() { replay(RedisScriptingReplies.redisHelpers) }
    func testCjsonAndBitMatchRedis() { replay(RedisScriptingReplies.cjsonAndBit) }
    func testStructAndCmsgpackMatchRedis() {
        replay(RedisScriptingReplies.structAndCmsgpack + RedisScriptingReplies.structAndCmsgpackDetails)
    }
    func testKeysArgvAndScriptCommandsMatchRedis() { replay(RedisScriptingReplies.keysArgvAndCommands) }
    func testShebangAndReadOnlyMatchRedis() { replay(RedisScriptingReplies.shebangAndReadOnly) }
    func testOtherFamiliesFromScriptsMatchRedis() { replay(RedisScriptingReplies.otherFamilies) }

    /// Table iteration order depends on the keys alone (string keys are
    /// placed by Lua 5.1's string hash, as in Redis), not on what the state
    /// interned before: the same table encodes the same way before and after
    /// a script that creates thousands of strings, and as Redis 7.0.15 does.
    func testTableOrderDoesNotDependOnEarlierScripts() {
        let h = Harness()
        let encode = "local a = {x=nil, y=5} a.x = 1 return cjson.encode(a)"
        XCTAssertEqual(h.run("EVAL", encode, "0"), R.bulk("{\"y\":5,\"x\":1}"))
        h.run("EVAL", "local t = {} for i = 1, 5000 do t[#t + 1] = 'interned' .. i end return #t", "0")
        XCTAssertEqual(h.run("EVAL", encode, "0"), R.bulk("{\"y\":5,\"x\":1}"))
        XCTAssertEqual(h.run("EVAL", "local t = {a=1, b=2, c=3} return cjson.encode(t)", "0"),
                       R.bulk("{\"a\":1,\"c\":3,\"b\":2}"))
        // Tables built key by key grow as Lua 5.1's do (replies recorded from Redis 7.0.15).
        XCTAssertEqual(h.run("EVAL", "local t = {} for i, w in ipairs({'alpha','beta','gamma','delta','epsilon','zeta','eta','theta'}) do t[w] = i end return cjson.encode(t)", "0"),
                       R.bulk("{\"eta\":7,\"beta\":2,\"theta\":8,\"zeta\":6,\"epsilon\":5,\"delta\":4,\"gamma\":3,\"alpha\":1}"))
        XCTAssertEqual(h.run("EVAL", "local v = {} for i = 1, 300 do v['key:' .. i] = i end local s = '' for k in pairs(v) do s = s .. k .. ',' end return redis.sha1hex(s)", "0"),
                       R.bulk("f5e571ec3af0f5dde2afb5c069881e960069b4e6"))
    }

    // MARK: sandbox isolation

    func testNothingOneScriptLeavesIsVisibleToTheNext() {
        let h = Harness()
        // Every way of leaving something behind fails or stays local.
        XCTAssertEqual(h.run("EVAL", """
            local tries = {
              function() x = 1 end,
              function() rawset(_G, 'x', 1) end,
              function() string.x = 1 end,
              function() rawset(string, 'x', 1) end,
              function() table.insert(redis, 1) end,
              function() getmetatable('').__index = {x = 1} end,
              function() setmetatable(_G, nil) end,
              function() loadstring('y = 2')() end,
              function() cjson.x = 1 end,
            }
            local failed = 0
            for _, f in ipairs(tries) do if not pcall(f) then failed = failed + 1 end end
            KEYS[5] = 'kept?'
            ARGV[1] = 'changed'
            return failed
            """, "1", "key"), R.int(9))
        XCTAssertEqual(h.run("EVAL", """
            return {rawget(_G, 'x') == nil and 1 or 0, rawget(string, 'x') == nil and 1 or 0,
                    #redis, getmetatable('').__index == string and 1 or 0, #KEYS, #ARGV,
                    pcall(function() return y end) and 0 or 1}
            """, "0"), R.array([R.int(1), R.int(1), R.int(0), R.int(1), R.int(0), R.int(0), R.int(1)]))
    }

    func testLocalsAndFunctionsStayInsideTheScript() {
        let h = Harness()
        XCTAssertEqual(h.run("EVAL", "local function f(n) if n == 0 then return 0 end return f(n - 1) end return f(200000)", "0"),
                       R.int(0), "recursive local functions keep proper tail calls")
        XCTAssertEqual(h.run("EVAL", "return type(f)", "0"),
                       R.err("ERR user_script:1: Script attempted to access nonexistent global variable 'f' script: 8508b7a4b23ce1ac649dad060e72c38e394ea04b, on @user_script:1."))
    }

    func testCompiledCodeCannotWriteLibraryTables() {
        let h = Harness()
        // A hot loop gets compiled; the proxies still refuse.
        XCTAssertEqual(h.run("EVAL", """
            local n = 0
            for i = 1, 200000 do
              if not pcall(function() redis.x = i end) then n = n + 1 end
            end
            return n
            """, "0"), R.int(200000))
    }

    // MARK: math.random

    func testMathRandomFollowsRedisGenerator() {
        // A fresh Redis 7.0.15 returns these; the state carries over between scripts.
        let h = Harness()
        XCTAssertEqual(h.run("EVAL", "return {math.random(), math.random(10), math.random(5, 7)}", "0"),
                       R.array([R.int(0), R.int(9), R.int(6)]))
        XCTAssertEqual(h.run("EVAL", "return {math.random(), math.random(10), math.random(5, 7)}", "0"),
                       R.array([R.int(0), R.int(4), R.int(7)]))
        XCTAssertEqual(h.run("EVAL", "math.randomseed(42) return {math.random(100), math.random(100)}", "0"),
                       R.array([R.int(75), R.int(35)]))
    }

    // MARK: script cache

    func testScriptCache() {
        let h = Harness()
        let sha = "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"  // return 1
        XCTAssertEqual(h.run("SCRIPT", "EXISTS", sha), R.array([R.int(0)]))
        XCTAssertEqual(h.run("EVALSHA", sha, "0"), R.err("NOSCRIPT No matching script. Please use EVAL."))
        XCTAssertEqual(h.run("EVAL", "return 1", "0"), R.int(1))
        XCTAssertEqual(h.run("SCRIPT", "EXISTS", sha, sha.uppercased()), R.array([R.int(1), R.int(1)]))
        XCTAssertEqual(h.run("EVALSHA", sha, "0"), R.int(1))
        XCTAssertEqual(h.run("EVALSHA_RO", sha, "0"), R.int(1))
        XCTAssertTrue(h.run("INFO", "memory").contains("number_of_cached_scripts:1\r\n"))
        XCTAssertEqual(h.run("SCRIPT", "FLUSH"), R.ok)
        XCTAssertEqual(h.run("EVALSHA", sha, "0"), R.err("NOSCRIPT No matching script. Please use EVAL."))
        XCTAssertEqual(h.run("SCRIPT", "LOAD", "return 1"), R.bulk(sha))
        XCTAssertEqual(h.run("EVALSHA", sha, "0"), R.int(1))
        // A script that fails to compile is not cached.
        XCTAssertTrue(h.run("EVAL", "return +", "0").hasPrefix("-ERR Error compiling script (new function): user_script:1:"))
        XCTAssertEqual(h.run("SCRIPT", "EXISTS", "1fd5091818ea327c4e55ed84125fdc6179ae44cf"), R.array([R.int(0)]))
        // Scripts see the caller's database.
        h.run("SELECT", "3")
        h.run("SET", "k", "in3")
        XCTAssertEqual(h.run("EVAL", "return redis.call('get', KEYS[1])", "1", "k"), R.bulk("in3"))
    }

    func testScriptsWriteAndReadTheKeyspace() {
        let h = Harness()
        XCTAssertEqual(h.run("EVAL", "redis.call('set', KEYS[1], ARGV[1]) return redis.call('incrby', KEYS[1], 5)", "1", "n", "10"),
                       R.int(15))
        XCTAssertEqual(h.run("GET", "n"), R.bulk("15"))
        XCTAssertEqual(h.run("EVAL_RO", "return redis.call('get', KEYS[1])", "1", "n"), R.bulk("15"))
        XCTAssertEqual(h.run("GET", "n"), R.bulk("15"))
    }

    // MARK: error statistics

    func testErrorStatisticsAsRedis() {
        let h = Harness()
        // (script, INFO errorstats lines, total_error_replies, eval failed_calls, select failed_calls), from Redis 7.0.15.
        let cases: [(String, [String], Int, Int, Int?)] = [
            ("return redis.error_reply('MY_ERR_CODE custom msg')", ["errorstat_MY_ERR_CODE:count=1"], 1, 1, nil),
            ("return redis.call('select', 99)", ["errorstat_ERR:count=1"], 1, 1, 1),
            ("local t = redis.pcall('select', 99) return 1", ["errorstat_ERR:count=1"], 1, 0, 1),
            ("return redis.pcall('select', 99)", ["errorstat_ERR:count=1"], 1, 1, 1),
            ("local t = redis.pcall('nosuch') return 1", ["errorstat_ERR:count=1"], 1, 0, nil),
            ("return {1, {err='NESTED x'}, redis.pcall('select', 99)}", ["errorstat_ERR:count=1", "errorstat_NESTED:count=1"], 2, 2, 1),
            ("return {{err='A x'}, {err='B y'}}", ["errorstat_A:count=1", "errorstat_B:count=1"], 2, 1, nil),
            ("return {redis.pcall('select', 99), redis.pcall('select', 98)}", ["errorstat_ERR:count=2"], 2, 2, 2),
        ]
        for (script, errorstats, total, evalFailed, selectFailed) in cases {
            h.run("CONFIG", "RESETSTAT")
            h.run("EVAL", script, "0")
            let info = h.run("INFO", "errorstats")
            for line in errorstats { XCTAssertTrue(info.contains(line + "\r\n"), "\(script): \(info)") }
            XCTAssertEqual(info.components(separatedBy: "errorstat_").count - 1, errorstats.count, script)
            XCTAssertTrue(h.run("INFO", "stats").contains("total_error_replies:\(total)\r\n"), script)
            let lines = h.run("INFO", "commandstats").components(separatedBy: "\r\n")
            let eval = lines.first { $0.hasPrefix("cmdstat_eval:") } ?? ""
            XCTAssertTrue(eval.hasSuffix("rejected_calls=0,failed_calls=\(evalFailed)"), "\(script): \(eval)")
            if let selectFailed {
                let select = lines.first { $0.hasPrefix("cmdstat_select:") } ?? ""
                XCTAssertTrue(select.hasSuffix("rejected_calls=0,failed_calls=\(selectFailed)"), "\(script): \(select)")
            }
        }
    }

    // MARK: maxmemory

    func testScriptsOverMaxmemoryAsRedis() {
        let h = Harness()
        h.run("FUNCTION", "LOAD", """
            #!lua name=oomt
            redis.register_function('f1', function() return redis.call('set', 'x', '1') end)
            redis.register_function{function_name='f2', callback=function() return redis.call('set', 'x', '1') end, flags={'allow-oom'}}
            redis.register_function{function_name='f3', callback=function() return 'hello' end, flags={'no-writes'}}
            """)
        h.run("CONFIG", "RESETSTAT")
        XCTAssertEqual(h.run("CONFIG", "SET", "maxmemory", "1"), R.ok)
        let oom = "OOM command not allowed when used memory > 'maxmemory'."
        // Scripts with flags are refused before they run unless allow-oom or no-writes.
        XCTAssertEqual(h.run("EVAL", "#!lua\nredis.call('set','x',1) return 1", "1", "x"), R.err(oom))
        XCTAssertEqual(h.run("EVAL", "#!lua flags=allow-oom\nredis.call('set','x',1) return 1", "1", "x"), R.int(1))
        XCTAssertEqual(h.run("EVAL", "#!lua flags=no-writes\nreturn redis.call('get','x')", "1", "x"), R.bulk("1"))
        // Scripts without flags run; commands that may grow memory are refused inside.
        XCTAssertEqual(h.run("EVAL", "return redis.call('set','x','y')", "1", "x"),
                       R.err(oom + " script: 71e6319f97b0fe8bdfa1c5df3ce4489946dda479, on @user_script:1."))
        XCTAssertEqual(h.run("EVAL", "local t = redis.pcall('set','x','y') return t['err']", "1", "x"), R.bulk(oom))
        XCTAssertEqual(h.run("EVAL", "redis.call('get','x') return redis.call('get','x')", "1", "x"), R.bulk("1"))
        XCTAssertEqual(h.run("FCALL", "f1", "1", "x"), R.err(oom))
        XCTAssertEqual(h.run("FCALL", "f2", "1", "x"), R.ok)
        XCTAssertEqual(h.run("FCALL", "f3", "1", "x"), R.bulk("hello"))
        XCTAssertEqual(h.run("FCALL_RO", "f3", "1", "x"), R.bulk("hello"))
        h.run("CONFIG", "SET", "maxmemory", "0")
        // The same statistics Redis keeps for these calls.
        XCTAssertTrue(h.run("INFO", "errorstats").contains("errorstat_OOM:count=4\r\n"))
        let commandstats = h.run("INFO", "commandstats")
        for line in ["cmdstat_set:calls=2,", "cmdstat_eval:calls=5,", "cmdstat_fcall:calls=2,"] {
            XCTAssertTrue(commandstats.contains(line), line)
        }
        XCTAssertTrue(commandstats.contains("rejected_calls=2,failed_calls=0\r\n"), "set")
        XCTAssertTrue(commandstats.contains("rejected_calls=1,failed_calls=1\r\n"), "eval")
        XCTAssertTrue(commandstats.contains("rejected_calls=1,failed_calls=0\r\n"), "fcall")
    }

    // MARK: the bundled libraries

    func testCmsgpackRoundTripsNestedValues() {
        let h = Harness()
        XCTAssertEqual(h.run("EVAL", """
            local v = {1, 'two', {three = 3}, {4.5, true, false}, string.rep('x', 70000)}
            local u = cmsgpack.unpack(cmsgpack.pack(v))
            return {u[1], u[2], u[3].three, tostring(u[4][1]), tostring(u[4][2]), tostring(u[4][3]), #u[5]}
            """, "0"), R.array([R.int(1), R.bulk("two"), R.int(3), R.bulk("4.5"), R.bulk("true"), R.bulk("false"), R.int(70000)]))
        // Self-references stop at 16 levels, then pack as nil.
        XCTAssertEqual(h.run("EVAL", """
            local a = {} a[1] = a
            local u = cmsgpack.unpack(cmsgpack.pack(a))
            local depth = 0
            while type(u) == 'table' do depth = depth + 1 u = u[1] end
            return depth
            """, "0"), R.int(16))
    }

    func testStructReadsNeverPastTheData() {
        let h = Harness()
        for (fmt, data) in [("i", "abc"), ("c5", "abcd"), ("b c0", "\\5abcd"), ("!8 b d", "\\1\\0\\0\\0\\0\\0\\0\\0\\0"), ("I32", "x")] {
            XCTAssertTrue(h.run("EVAL", "return struct.unpack('\(fmt)', '\(data)')", "0").contains("(data string too short)"), fmt)
        }
        XCTAssertTrue(h.run("EVAL", "return struct.unpack('s', 'abc')", "0").contains("unfinished string in data"))
        XCTAssertTrue(h.run("EVAL", "return struct.unpack('i', 'abcd', -1)", "0").contains("(data string too short)"))
    }

    /// Error replies of scripts drop trailing CR/LF and turn inner ones into spaces, as Redis 7.0.15 does.
    func testErrorTablesWithNewlines() {
        let h = Harness()
        XCTAssertEqual(h.run("EVAL", "return {err='ERR a\\nb\\r'}", "0"), R.err("ERR a b"))
        XCTAssertEqual(h.run("EVAL", "return redis.pcall('EXPIREAT','a','1','x\\n')", "0"), R.err("ERR Unsupported option x"))
    }
}
