import Cinnabar
import CinnabarCore
import XCTest

/// FUNCTION LOAD/DELETE/FLUSH/LIST/STATS/KILL/HELP and FCALL/FCALL_RO:
/// every load error, registration rule and reply shape against Redis 7.0.15's
/// own replies (FunctionRedisReplies.swift), plus library lifecycle behaviour.
final class FunctionCommandsTests: XCTestCase {
    func testFunctionCommandsMatchRedis() {
        replayRedisReplies(RedisFunctionReplies.functions)
    }

    private let lib = "#!lua name=mylib\nredis.register_function('echo', function(keys, args) return args[1] end)"

    func testLibraryLifecycle() {
        let h = Harness()
        XCTAssertEqual(h.run("FUNCTION", "LOAD", lib), R.bulk("mylib"))
        XCTAssertEqual(h.run("FCALL", "echo", "0", "hi"), R.bulk("hi"))
        XCTAssertEqual(h.run("FCALL", "ECHO", "0", "case"), R.bulk("case"), "function names ignore case")
        XCTAssertEqual(h.run("FCALL_RO", "echo", "0", "ro"),
                       R.err("ERR Can not execute a script with write flag using *_ro command."))
        // A failed REPLACE keeps the old library.
        XCTAssertTrue(h.run("FUNCTION", "LOAD", "REPLACE", "#!lua name=mylib\nerror('x')").hasPrefix("-ERR Error registering functions"))
        XCTAssertEqual(h.run("FCALL", "echo", "0", "still"), R.bulk("still"))
        // REPLACE swaps the code; callers see the new version at once.
        XCTAssertEqual(h.run("FUNCTION", "LOAD", "REPLACE",
                             "#!lua name=mylib\nredis.register_function('echo', function(keys, args) return 'v2:' .. args[1] end)"),
                       R.bulk("mylib"))
        XCTAssertEqual(h.run("FCALL", "echo", "0", "x"), R.bulk("v2:x"))
        // Libraries keep their upvalues between calls, like Redis's.
        XCTAssertEqual(h.run("FUNCTION", "LOAD", "#!lua name=counter\nlocal n = 0\nredis.register_function('next', function() n = n + 1 return n end)"),
                       R.bulk("counter"))
        XCTAssertEqual(h.run("FCALL", "next", "0"), R.int(1))
        XCTAssertEqual(h.run("FCALL", "next", "0"), R.int(2))
        XCTAssertTrue(h.run("FUNCTION", "STATS").contains("libraries_count\r\n:2\r\n$15\r\nfunctions_count\r\n:2\r\n"),
                      "two libraries with one function each")
        let memory = h.run("INFO", "memory")
        for line in ["number_of_functions:2\r\n", "number_of_libraries:2\r\n"] { XCTAssertTrue(memory.contains(line), line) }
        XCTAssertFalse(memory.contains("used_memory_vm_functions:0\r\n"), "the functions state is counted")
        XCTAssertEqual(h.run("FUNCTION", "DELETE", "mylib"), R.ok)
        XCTAssertEqual(h.run("FCALL", "echo", "0", "x"), R.err("ERR Function not found"))
        XCTAssertEqual(h.run("FCALL", "next", "0"), R.int(3))
        XCTAssertEqual(h.run("FUNCTION", "FLUSH"), R.ok)
        XCTAssertEqual(h.run("FCALL", "next", "0"), R.err("ERR Function not found"))
        XCTAssertEqual(h.run("FUNCTION", "LIST"), R.array([]))
    }

    func testFunctionsWriteWithKeysAndFlags() {
        let h = Harness()
        XCTAssertEqual(h.run("FUNCTION", "LOAD", """
            #!lua name=kv
            redis.register_function('put', function(keys, args) return redis.call('set', keys[1], args[1]) end)
            redis.register_function{function_name = 'get', callback = function(keys) return redis.call('get', keys[1]) end,
                                    flags = {'no-writes'}}
            redis.register_function{function_name = 'sneaky', callback = function(keys) return redis.call('set', keys[1], 'x') end,
                                    flags = {'no-writes'}}
            """), R.bulk("kv"))
        XCTAssertEqual(h.run("FCALL", "put", "1", "k", "v"), R.ok)
        XCTAssertEqual(h.run("FCALL_RO", "get", "1", "k"), R.bulk("v"))
        XCTAssertEqual(h.run("FCALL", "get", "1", "k"), R.bulk("v"))
        XCTAssertEqual(h.run("FCALL", "sneaky", "1", "k"),
                       R.err("ERR Write commands are not allowed from read-only scripts. script: sneaky, on @user_function:5."))
        XCTAssertEqual(h.run("GET", "k"), R.bulk("v"))
        XCTAssertEqual(h.run("COMMAND", "GETKEYS", "FCALL", "put", "1", "k", "v"), R.bulks(["k"]))
        XCTAssertEqual(h.run("COMMAND", "GETKEYS", "FCALL_RO", "get", "2", "a", "b", "c"), R.bulks(["a", "b"]))
    }

    func testLoadTimeout() {
        let h = Harness()
        let start = Date()
        let reply = h.run("FUNCTION", "LOAD", "#!lua name=slow\nlocal a = 1 while 1 do a = a + 1 end")
        XCTAssertTrue(reply.hasPrefix("-ERR Error registering functions: ") && reply.hasSuffix("FUNCTION LOAD timeout\r\n"), reply)
        XCTAssertLessThan(Date().timeIntervalSince(start), 30)
        XCTAssertEqual(h.run("FUNCTION", "LIST"), R.array([]))
        XCTAssertEqual(h.run("FUNCTION", "LOAD", lib), R.bulk("mylib"))
    }
}
