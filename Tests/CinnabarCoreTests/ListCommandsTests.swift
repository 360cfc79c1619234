import CinnabarCore
import XCTest

/// Expected replies below were taken from Redis 7.0.15 running the same commands.
final class ListCommandsTests: XCTestCase {
    func testPush() {
        let h = Harness()
        h.expect([
            (["LPUSH", "l", "a", "b", "c"], ":3\r\n"),
            (["RPUSH", "l", "d"], ":4\r\n"),
            (["LRANGE", "l", "0", "-1"], "*4\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n"),
            (["LPUSHX", "nokey", "a"], ":0\r\n"),
            (["RPUSHX", "nokey", "a"], ":0\r\n"),
            (["EXISTS", "nokey"], ":0\r\n"),
            (["LPUSHX", "l", "x", "y"], ":6\r\n"),
            (["RPUSHX", "l", "z"], ":7\r\n"),
            (["LRANGE", "l", "0", "-1"], "*7\r\n$1\r\ny\r\n$1\r\nx\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n$1\r\nz\r\n"),
            (["SET", "s", "v"], "+OK\r\n"),
            (["LPUSH", "s", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["RPUSHX", "s", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["LPUSH", "l"], "-ERR wrong number of arguments for 'lpush' command\r\n"),
            (["RPUSHX", "l"], "-ERR wrong number of arguments for 'rpushx' command\r\n"),
            (["TYPE", "l"], "+list\r\n"),
            (["OBJECT", "ENCODING", "l"], "$9\r\nquicklist\r\n"),
            (["RPUSH", "n", "1", "-2", "3.5", "007", ""], ":5\r\n"),
            (["LRANGE", "n", "0", "-1"], "*5\r\n$1\r\n1\r\n$2\r\n-2\r\n$3\r\n3.5\r\n$3\r\n007\r\n$0\r\n\r\n"),
        ])
    }

    func testPop() {
        let h = Harness()
        h.expect([
            (["RPUSH", "l", "a", "b", "c", "d", "e"], ":5\r\n"),
            (["LPOP", "l"], "$1\r\na\r\n"),
            (["RPOP", "l"], "$1\r\ne\r\n"),
            (["LPOP", "l", "2"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
            (["RPOP", "l", "0"], "*0\r\n"),
            (["RPOP", "l", "5"], "*1\r\n$1\r\nd\r\n"),
            (["EXISTS", "l"], ":0\r\n"),
            (["LPOP", "l"], "$-1\r\n"),
            (["LPOP", "l", "0"], "*-1\r\n"),
            (["RPOP", "l", "3"], "*-1\r\n"),
            (["RPUSH", "l", "a"], ":1\r\n"),
            (["LPOP", "l", "-1"], "-ERR value is out of range, must be positive\r\n"),
            (["LPOP", "l", "x"], "-ERR value is out of range, must be positive\r\n"),
            (["LPOP", "l", "1", "2"], "-ERR wrong number of arguments for 'lpop' command\r\n"),
            (["RPOP"], "-ERR wrong number of arguments for 'rpop' command\r\n"),
            (["SET", "s", "v"], "+OK\r\n"),
            (["LPOP", "s"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["RPOP", "s", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["LPOP", "s", "x"], "-ERR value is out of range, must be positive\r\n"),
            (["RPUSH", "l2", "a", "b", "c"], ":3\r\n"),
            (["RPOP", "l2", "2"], "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"),
            (["LPOP", "l2", "9223372036854775807"], "*1\r\n$1\r\na\r\n"),
        ])
        h.run("HELLO", "3")
        h.expect([
            (["LPOP", "nokey"], "_\r\n"),
            (["LPOP", "nokey", "2"], "_\r\n"),
            (["LPOP", "nokey", "0"], "_\r\n"),
            (["RPUSH", "l3", "a"], ":1\r\n"),
            (["LPOP", "l3", "0"], "*0\r\n"),
            (["LPOP", "l3", "1"], "*1\r\n$1\r\na\r\n"),
        ])
        h.run("HELLO", "2")
        h.expect([
            (["LPOP", "nokey", "0"], "*-1\r\n"),
        ])
    }

    func testLenIndexRange() {
        let h = Harness()
        h.expect([
            (["RPUSH", "l", "a", "b", "c", "d", "e"], ":5\r\n"),
            (["LLEN", "l"], ":5\r\n"),
            (["LLEN", "nokey"], ":0\r\n"),
            (["LINDEX", "l", "0"], "$1\r\na\r\n"),
            (["LINDEX", "l", "-1"], "$1\r\ne\r\n"),
            (["LINDEX", "l", "4"], "$1\r\ne\r\n"),
            (["LINDEX", "l", "5"], "$-1\r\n"),
            (["LINDEX", "l", "-5"], "$1\r\na\r\n"),
            (["LINDEX", "l", "-6"], "$-1\r\n"),
            (["LINDEX", "l", "x"], "-ERR value is not an integer or out of range\r\n"),
            (["LINDEX", "nokey", "x"], "$-1\r\n"),
            (["LINDEX", "l", "9223372036854775807"], "$-1\r\n"),
            (["LINDEX", "l", "-9223372036854775808"], "$-1\r\n"),
            (["LRANGE", "l", "0", "-1"], "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
            (["LRANGE", "l", "1", "2"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
            (["LRANGE", "l", "-2", "-1"], "*2\r\n$1\r\nd\r\n$1\r\ne\r\n"),
            (["LRANGE", "l", "-100", "100"], "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
            (["LRANGE", "l", "3", "1"], "*0\r\n"),
            (["LRANGE", "l", "5", "10"], "*0\r\n"),
            (["LRANGE", "l", "-1", "-2"], "*0\r\n"),
            (["LRANGE", "l", "0", "-6"], "*0\r\n"),
            (["LRANGE", "l", "0", "-5"], "*1\r\n$1\r\na\r\n"),
            (["LRANGE", "l", "-9223372036854775808", "9223372036854775807"], "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
            (["LRANGE", "l", "x", "1"], "-ERR value is not an integer or out of range\r\n"),
            (["LRANGE", "l", "1", "x"], "-ERR value is not an integer or out of range\r\n"),
            (["LRANGE", "nokey", "0", "-1"], "*0\r\n"),
            (["LRANGE", "nokey", "x", "1"], "-ERR value is not an integer or out of range\r\n"),
            (["SET", "s", "v"], "+OK\r\n"),
            (["LLEN", "s"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["LINDEX", "s", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["LINDEX", "s", "x"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["LRANGE", "s", "0", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["LRANGE", "s", "x", "1"], "-ERR value is not an integer or out of range\r\n"),
        ])
        h.run("HELLO", "3")
        h.expect([
            (["LINDEX", "l", "99"], "_\r\n"),
            (["LINDEX", "nokey", "0"], "_\r\n"),
        ])
        h.run("HELLO", "2")
    }

    func testSet() {
        let h = Harness()
        h.expect([
            (["LSET", "nokey", "0", "x"], "-ERR no such key\r\n"),
            (["LSET", "nokey", "x", "x"], "-ERR no such key\r\n"),
            (["RPUSH", "l", "a", "b", "c"], ":3\r\n"),
            (["LSET", "l", "0", "A"], "+OK\r\n"),
            (["LSET", "l", "-1", "C"], "+OK\r\n"),
            (["LSET", "l", "1", "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"], "+OK\r\n"),
            (["LRANGE", "l", "0", "-1"], "*3\r\n$1\r\nA\r\n$139\r\nbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n$1\r\nC\r\n"),
            (["LSET", "l", "1", "b"], "+OK\r\n"),
            (["LSET", "l", "3", "x"], "-ERR index out of range\r\n"),
            (["LSET", "l", "-4", "x"], "-ERR index out of range\r\n"),
            (["LSET", "l", "x", "x"], "-ERR value is not an integer or out of range\r\n"),
            (["SET", "s", "v"], "+OK\r\n"),
            (["LSET", "s", "0", "x"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["LSET", "s", "x", "x"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["LRANGE", "l", "0", "-1"], "*3\r\n$1\r\nA\r\n$1\r\nb\r\n$1\r\nC\r\n"),
        ])
    }

    func testInsert() {
        let h = Harness()
        h.expect([
            (["LINSERT", "nokey", "before", "a", "b"], ":0\r\n"),
            (["LINSERT", "nokey", "middle", "a", "b"], "-ERR syntax error\r\n"),
            (["RPUSH", "l", "a", "b", "c", "b"], ":4\r\n"),
            (["LINSERT", "l", "before", "b", "X"], ":5\r\n"),
            (["LINSERT", "l", "AFTER", "b", "Y"], ":6\r\n"),
            (["LINSERT", "l", "after", "c", "Z"], ":7\r\n"),
            (["LINSERT", "l", "Before", "nope", "x"], ":-1\r\n"),
            (["LINSERT", "l", "middle", "a", "x"], "-ERR syntax error\r\n"),
            (["LRANGE", "l", "0", "-1"], "*7\r\n$1\r\na\r\n$1\r\nX\r\n$1\r\nb\r\n$1\r\nY\r\n$1\r\nc\r\n$1\r\nZ\r\n$1\r\nb\r\n"),
            (["SET", "s", "v"], "+OK\r\n"),
            (["LINSERT", "s", "before", "a", "b"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["LINSERT", "s", "middle", "a", "b"], "-ERR syntax error\r\n"),
            (["LINSERT", "l", "before", "a"], "-ERR wrong number of arguments for 'linsert' command\r\n"),
        ])
    }

    func testRem() {
        let h = Harness()
        h.expect([
            (["RPUSH", "l", "a", "b", "a", "c", "a", "b", "a"], ":7\r\n"),
            (["LREM", "l", "2", "a"], ":2\r\n"),
            (["LRANGE", "l", "0", "-1"], "*5\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\na\r\n"),
            (["LREM", "l", "-1", "b"], ":1\r\n"),
            (["LRANGE", "l", "0", "-1"], "*4\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n$1\r\na\r\n"),
            (["LREM", "l", "0", "a"], ":2\r\n"),
            (["LRANGE", "l", "0", "-1"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
            (["LREM", "l", "0", "nope"], ":0\r\n"),
            (["LREM", "l", "x", "a"], "-ERR value is not an integer or out of range\r\n"),
            (["LREM", "nokey", "x", "a"], "-ERR value is not an integer or out of range\r\n"),
            (["LREM", "nokey", "1", "a"], ":0\r\n"),
            (["LREM", "l", "0", "b"], ":1\r\n"),
            (["LREM", "l", "-9223372036854775808", "c"], ":1\r\n"),
            (["EXISTS", "l"], ":0\r\n"),
            (["RPUSH", "l2", "1", "1", "1"], ":3\r\n"),
            (["LREM", "l2", "-9223372036854775808", "1"], ":3\r\n"),
            (["EXISTS", "l2"], ":0\r\n"),
            (["SET", "s", "v"], "+OK\r\n"),
            (["LREM", "s", "1", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["LREM", "s", "x", "a"], "-ERR value is not an integer or out of range\r\n"),
        ])
    }

    func testTrim() {
        let h = Harness()
        h.expect([
            (["LTRIM", "nokey", "0", "1"], "+OK\r\n"),
            (["LTRIM", "nokey", "x", "1"], "-ERR value is not an integer or out of range\r\n"),
            (["RPUSH", "l", "a", "b", "c", "d", "e"], ":5\r\n"),
            (["LTRIM", "l", "1", "-2"], "+OK\r\n"),
            (["LRANGE", "l", "0", "-1"], "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
            (["LTRIM", "l", "-100", "100"], "+OK\r\n"),
            (["LRANGE", "l", "0", "-1"], "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
            (["LTRIM", "l", "1", "1"], "+OK\r\n"),
            (["LRANGE", "l", "0", "-1"], "*1\r\n$1\r\nc\r\n"),
            (["LTRIM", "l", "0", "-1"], "+OK\r\n"),
            (["LTRIM", "l", "5", "10"], "+OK\r\n"),
            (["EXISTS", "l"], ":0\r\n"),
            (["RPUSH", "l", "a", "b"], ":2\r\n"),
            (["LTRIM", "l", "1", "0"], "+OK\r\n"),
            (["EXISTS", "l"], ":0\r\n"),
            (["RPUSH", "l", "a", "b", "c"], ":3\r\n"),
            (["LTRIM", "l", "-1", "-2"], "+OK\r\n"),
            (["EXISTS", "l"], ":0\r\n"),
            (["LTRIM", "l", "x", "1"], "-ERR value is not an integer or out of range\r\n"),
            (["SET", "s", "v"], "+OK\r\n"),
            (["LTRIM", "s", "0", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["LTRIM", "s", "x", "1"], "-ERR value is not an integer or out of range\r\n"),
        ])
    }

    func testPos() {
        let h = Harness()
        h.expect([
            (["RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"], ":8\r\n"),
            (["LPOS", "l", "a"], ":0\r\n"),
            (["LPOS", "l", "c"], ":2\r\n"),
            (["LPOS", "l", "c", "RANK", "2"], ":6\r\n"),
            (["LPOS", "l", "c", "RANK", "-1"], ":7\r\n"),
            (["LPOS", "l", "c", "RANK", "-3"], ":2\r\n"),
            (["LPOS", "l", "c", "RANK", "4"], "$-1\r\n"),
            (["LPOS", "l", "c", "COUNT", "0"], "*3\r\n:2\r\n:6\r\n:7\r\n"),
            (["LPOS", "l", "c", "COUNT", "2"], "*2\r\n:2\r\n:6\r\n"),
            (["LPOS", "l", "c", "COUNT", "2", "RANK", "2"], "*2\r\n:6\r\n:7\r\n"),
            (["LPOS", "l", "c", "COUNT", "0", "RANK", "-1"], "*3\r\n:7\r\n:6\r\n:2\r\n"),
            (["LPOS", "l", "c", "MAXLEN", "2"], "$-1\r\n"),
            (["LPOS", "l", "c", "MAXLEN", "3"], ":2\r\n"),
            (["LPOS", "l", "c", "COUNT", "0", "MAXLEN", "7"], "*2\r\n:2\r\n:6\r\n"),
            (["LPOS", "l", "c", "RANK", "-1", "MAXLEN", "1"], ":7\r\n"),
            (["LPOS", "l", "c", "rank", "-2", "maxlen", "1"], "$-1\r\n"),
            (["LPOS", "l", "x"], "$-1\r\n"),
            (["LPOS", "l", "x", "COUNT", "5"], "*0\r\n"),
            (["LPOS", "nokey", "x"], "$-1\r\n"),
            (["LPOS", "nokey", "x", "COUNT", "1"], "*0\r\n"),
            (["LPOS", "l", "c", "RANK", "0"], "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n"),
            (["LPOS", "l", "c", "RANK", "x"], "-ERR value is not an integer or out of range\r\n"),
            (["LPOS", "l", "c", "COUNT", "-1"], "-ERR COUNT can't be negative\r\n"),
            (["LPOS", "l", "c", "COUNT", "x"], "-ERR COUNT can't be negative\r\n"),
            (["LPOS", "l", "c", "MAXLEN", "-1"], "-ERR MAXLEN can't be negative\r\n"),
            (["LPOS", "l", "c", "MAXLEN", "x"], "-ERR MAXLEN can't be negative\r\n"),
            (["LPOS", "l", "c", "FOO", "1"], "-ERR syntax error\r\n"),
            (["LPOS", "l", "c", "RANK"], "-ERR syntax error\r\n"),
            (["LPOS", "l", "c", "RANK", "-9223372036854775808"], ":7\r\n"),
            (["LPOS", "l", "c", "RANK", "9223372036854775807"], "$-1\r\n"),
            (["SET", "s", "v"], "+OK\r\n"),
            (["LPOS", "s", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["LPOS", "s", "a", "RANK", "0"], "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n"),
            (["LPOS", "nokey", "a", "RANK", "0"], "-ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list\r\n"),
        ])
        h.run("HELLO", "3")
        h.expect([
            (["LPOS", "nokey", "x"], "_\r\n"),
            (["LPOS", "l", "x"], "_\r\n"),
            (["LPOS", "l", "x", "COUNT", "1"], "*0\r\n"),
        ])
        h.run("HELLO", "2")
    }

    func testMove() {
        let h = Harness()
        h.expect([
            (["LMOVE", "nokey", "d", "left", "right"], "$-1\r\n"),
            (["RPOPLPUSH", "nokey", "d"], "$-1\r\n"),
            (["EXISTS", "d"], ":0\r\n"),
            (["RPUSH", "s", "a", "b", "c"], ":3\r\n"),
            (["LMOVE", "s", "d", "LEFT", "RIGHT"], "$1\r\na\r\n"),
            (["LMOVE", "s", "d", "right", "left"], "$1\r\nc\r\n"),
            (["LRANGE", "s", "0", "-1"], "*1\r\n$1\r\nb\r\n"),
            (["LRANGE", "d", "0", "-1"], "*2\r\n$1\r\nc\r\n$1\r\na\r\n"),
            (["LMOVE", "s", "d", "left", "left"], "$1\r\nb\r\n"),
            (["EXISTS", "s"], ":0\r\n"),
            (["LRANGE", "d", "0", "-1"], "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n"),
            (["RPOPLPUSH", "d", "d"], "$1\r\na\r\n"),
            (["LRANGE", "d", "0", "-1"], "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
            (["LMOVE", "d", "d", "left", "right"], "$1\r\na\r\n"),
            (["LRANGE", "d", "0", "-1"], "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n"),
            (["LMOVE", "d", "e", "middle", "left"], "-ERR syntax error\r\n"),
            (["LMOVE", "d", "e", "left", "middle"], "-ERR syntax error\r\n"),
            (["SET", "str", "v"], "+OK\r\n"),
            (["LMOVE", "str", "d", "left", "left"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["LMOVE", "d", "str", "left", "left"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["RPOPLPUSH", "d", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["LRANGE", "d", "0", "-1"], "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\na\r\n"),
            (["RPOPLPUSH", "str", "nokey"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["LMOVE", "nokey", "str", "left", "left"], "$-1\r\n"),
        ])
        h.run("HELLO", "3")
        h.expect([
            (["LMOVE", "nokey", "d", "left", "right"], "_\r\n"),
        ])
        h.run("HELLO", "2")
    }

    func testMPop() {
        let h = Harness()
        h.expect([
            (["LMPOP", "2", "a", "b", "left"], "*-1\r\n"),
            (["RPUSH", "b", "1", "2", "3", "4"], ":4\r\n"),
            (["LMPOP", "2", "a", "b", "left"], "*2\r\n$1\r\nb\r\n*1\r\n$1\r\n1\r\n"),
            (["LMPOP", "2", "a", "b", "right", "count", "2"], "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n4\r\n$1\r\n3\r\n"),
            (["LMPOP", "1", "b", "left", "count", "10"], "*2\r\n$1\r\nb\r\n*1\r\n$1\r\n2\r\n"),
            (["EXISTS", "b"], ":0\r\n"),
            (["LMPOP", "0", "a", "left"], "-ERR numkeys should be greater than 0\r\n"),
            (["LMPOP", "-1", "a", "left"], "-ERR numkeys should be greater than 0\r\n"),
            (["LMPOP", "x", "a", "left"], "-ERR numkeys should be greater than 0\r\n"),
            (["LMPOP", "2", "a", "left"], "-ERR syntax error\r\n"),
            (["LMPOP", "1", "a", "middle"], "-ERR syntax error\r\n"),
            (["LMPOP", "1", "a", "left", "count", "0"], "-ERR count should be greater than 0\r\n"),
            (["LMPOP", "1", "a", "left", "count", "-1"], "-ERR count should be greater than 0\r\n"),
            (["LMPOP", "1", "a", "left", "count", "x"], "-ERR count should be greater than 0\r\n"),
            (["LMPOP", "1", "a", "left", "count", "1", "count", "1"], "-ERR syntax error\r\n"),
            (["LMPOP", "1", "a", "left", "foo"], "-ERR syntax error\r\n"),
            (["LMPOP", "1", "a", "left", "count"], "-ERR syntax error\r\n"),
            (["SET", "s", "v"], "+OK\r\n"),
            (["LMPOP", "2", "a", "s", "left"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["RPUSH", "a", "x"], ":1\r\n"),
            (["LMPOP", "2", "a", "s", "left"], "*2\r\n$1\r\na\r\n*1\r\n$1\r\nx\r\n"),
            (["LMPOP", "2", "s", "a", "left"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        ])
        h.run("HELLO", "3")
        h.expect([
            (["LMPOP", "1", "nokey", "left"], "_\r\n"),
            (["RPUSH", "a", "x", "y"], ":2\r\n"),
            (["LMPOP", "1", "a", "right", "count", "5"], "*2\r\n$1\r\na\r\n*2\r\n$1\r\ny\r\n$1\r\nx\r\n"),
        ])
        h.run("HELLO", "2")
    }

    func testBlockingNoWait() {
        let h = Harness()
        h.expect([
            (["RPUSH", "l", "a", "b", "c"], ":3\r\n"),
            (["BLPOP", "nokey", "l", "0"], "*2\r\n$1\r\nl\r\n$1\r\na\r\n"),
            (["BRPOP", "nokey", "l", "0"], "*2\r\n$1\r\nl\r\n$1\r\nc\r\n"),
            (["BLMPOP", "0", "2", "nokey", "l", "left", "count", "5"], "*2\r\n$1\r\nl\r\n*1\r\n$1\r\nb\r\n"),
            (["RPUSH", "l", "a", "b"], ":2\r\n"),
            (["BLMOVE", "l", "d", "left", "right", "0"], "$1\r\na\r\n"),
            (["BRPOPLPUSH", "l", "d", "0"], "$1\r\nb\r\n"),
            (["EXISTS", "l"], ":0\r\n"),
            (["LRANGE", "d", "0", "-1"], "*2\r\n$1\r\nb\r\n$1\r\na\r\n"),
            (["SET", "s", "v"], "+OK\r\n"),
            (["BLPOP", "s", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["BLPOP", "nokey", "s", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["BRPOP", "s", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["BLMOVE", "s", "d", "left", "left", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["BRPOPLPUSH", "s", "d", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["BLMOVE", "d", "s", "left", "left", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["BLMPOP", "0", "1", "s", "left"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["BLPOP", "l", "-1"], "-ERR timeout is negative\r\n"),
            (["BLPOP", "l", "x"], "-ERR timeout is not a float or out of range\r\n"),
            (["BLPOP", "l", "inf"], "-ERR timeout is negative\r\n"),
            (["BLPOP", "l", "nan"], "-ERR timeout is not a float or out of range\r\n"),
            (["BLPOP", "l", "1e400"], "-ERR timeout is negative\r\n"),
            (["BLPOP", "l"], "-ERR wrong number of arguments for 'blpop' command\r\n"),
            (["BRPOP", "l", "-0.5"], "-ERR timeout is negative\r\n"),
            (["BLMOVE", "l", "d", "left", "right", "x"], "-ERR timeout is not a float or out of range\r\n"),
            (["BLMOVE", "l", "d", "up", "right", "0"], "-ERR syntax error\r\n"),
            (["BLMOVE", "l", "d", "left", "down", "x"], "-ERR syntax error\r\n"),
            (["BRPOPLPUSH", "l", "d", "-1"], "-ERR timeout is negative\r\n"),
            (["BLMPOP", "x", "1", "l", "left"], "-ERR timeout is not a float or out of range\r\n"),
            (["BLMPOP", "0", "0", "l", "left"], "-ERR numkeys should be greater than 0\r\n"),
            (["BLMPOP", "0", "1", "l", "middle"], "-ERR syntax error\r\n"),
            (["BLMPOP", "x", "0", "l", "left"], "-ERR numkeys should be greater than 0\r\n"),
            (["BLMPOP", "0", "1", "l", "left", "count", "0"], "-ERR count should be greater than 0\r\n"),
            (["BLMPOP", "0", "1", "l"], "-ERR wrong number of arguments for 'blmpop' command\r\n"),
        ])
    }

    func testPosExtremeRanks() {
        let h = Harness()
        h.run("RPUSH", "k", "a", "b", "a", "c", "a")
        h.expect([
            // Redis negates the rank in C: the most negative one matches everything and COUNT never stops it.
            (["LPOS", "k", "a", "RANK", "-9223372036854775808", "COUNT", "2"], "*3\r\n:4\r\n:2\r\n:0\r\n"),
            (["LPOS", "k", "a", "RANK", "-9223372036854775808", "COUNT", "0"], "*3\r\n:4\r\n:2\r\n:0\r\n"),
            (["LPOS", "k", "a", "RANK", "-9223372036854775808"], ":4\r\n"),
            (["LPOS", "k", "a", "RANK", "9223372036854775807", "COUNT", "0"], "*0\r\n"),
            (["LPOS", "k", "a", "RANK", "-2", "COUNT", "2", "MAXLEN", "3"], "*1\r\n:2\r\n"),
            (["LPOS", "k", "a", "COUNT", "1", "COUNT", "2"], "*2\r\n:0\r\n:2\r\n"),
            (["LPOS", "k", "a", "RANK", "2", "RANK", "-1"], ":4\r\n"),
            (["LRANGE", "k", "-9223372036854775808", "-9223372036854775808"], "*0\r\n"),
            (["LRANGE", "k", "9223372036854775807", "-1"], "*0\r\n"),
            (["LTRIM", "k", "-9223372036854775808", "9223372036854775807"], R.ok),
            (["LREM", "k", "9223372036854775807", "a"], R.int(3)),
            (["LINDEX", "k", "-9223372036854775808"], R.null),
        ])
    }

    // MARK: keyspace events

    func testEventsOfEditsAndPops() {
        let h = Harness(["notify-keyspace-events": "EAn"])
        let log = h.recordEvents()
        for cmd in ["RPUSH l a b c", "LPUSH l z", "LPUSHX nokey a", "RPUSHX l y", "LPOP l", "RPOP l 2", "LSET l 0 q",
                    "LINSERT l BEFORE q w", "LINSERT l BEFORE nope w", "LREM l 0 w", "LREM l 0 nope", "LTRIM l 0 0",
                    "LTRIM l 5 10"] {
            h.run(cmd.split(separator: " ").map { Array($0.utf8) })
        }
        XCTAssertEqual(log.take(), ["new l", "rpush l", "lpush l", "rpush l", "lpop l", "rpop l", "lset l", "linsert l",
                                    "lrem l", "ltrim l", "ltrim l", "del l"])
        for cmd in ["RPUSH l a b", "LMOVE l d LEFT RIGHT", "LMOVE l d RIGHT LEFT", "LMOVE d d LEFT LEFT", "RPOPLPUSH d l"] {
            h.run(cmd.split(separator: " ").map { Array($0.utf8) })
        }
        XCTAssertEqual(log.take(), ["new l", "rpush l", "new d", "rpush d", "lpop l", "lpush d", "rpop l", "del l",
                                    "lpush d", "lpop d", "new l", "lpush l", "rpop d"])
        for cmd in ["RPUSH x 1 2 3", "LMPOP 1 x LEFT COUNT 5", "RPUSH x 1", "BLPOP x 0", "RPUSH x 1 2", "BLMOVE x x LEFT RIGHT 0",
                    "BRPOPLPUSH x y 0", "BLMPOP 0 1 x LEFT COUNT 1"] {
            h.run(cmd.split(separator: " ").map { Array($0.utf8) })
        }
        XCTAssertEqual(log.take(), ["new x", "rpush x", "lpop x", "del x", "new x", "rpush x", "lpop x", "del x", "new x",
                                    "rpush x", "rpush x", "lpop x", "new y", "lpush y", "rpop x", "lpop x", "del x"])
        for cmd in ["RPUSH t 1 2 3", "LTRIM t 1 -1", "LPOP t 0", "LPOP nokey", "LLEN t", "LRANGE t 0 -1", "LINDEX t 0"] {
            h.run(cmd.split(separator: " ").map { Array($0.utf8) })
        }
        XCTAssertEqual(log.take(), ["new t", "rpush t", "ltrim t"])
    }

    // MARK: propagation and change counts

    func testRewrittenForPropagation() {
        let h = Harness()
        h.run("RPUSH", "l", "a", "b", "c", "d")
        XCTAssertNil(h.propagated("LPOP", "l"), "pops propagate as called")
        XCTAssertEqual(h.propagated("LMPOP", "2", "nokey", "l", "RIGHT", "COUNT", "10"), [["RPOP", "l", "3"]])
        h.run("RPUSH", "l", "a", "b", "c", "d")
        XCTAssertEqual(h.propagated("BLPOP", "nokey", "l", "0"), [["LPOP", "l"]])
        XCTAssertEqual(h.propagated("BRPOP", "l", "0"), [["RPOP", "l"]])
        XCTAssertEqual(h.propagated("BLMPOP", "0", "1", "l", "left", "COUNT", "1"), [["LPOP", "l", "1"]])
        h.run("RPUSH", "l", "a", "b")
        XCTAssertEqual(h.propagated("BLMOVE", "l", "d", "left", "RIGHT", "0"), [["LMOVE", "l", "d", "left", "RIGHT"]])
        XCTAssertEqual(h.propagated("BRPOPLPUSH", "l", "d", "0"), [["RPOPLPUSH", "l", "d"]])
        XCTAssertNil(h.propagated("LMOVE", "d", "e", "LEFT", "LEFT"))
    }

    func testChangeCounts() {
        let h = Harness()
        XCTAssertEqual(h.changes("RPUSH", "l", "a", "b", "a", "c", "a"), 5)
        XCTAssertEqual(h.changes("LREM", "l", "0", "a"), 3)
        XCTAssertEqual(h.changes("LREM", "l", "0", "a"), 0)
        XCTAssertEqual(h.changes("LSET", "l", "0", "x"), 1)
        XCTAssertEqual(h.changes("LINSERT", "l", "AFTER", "x", "y"), 1)
        XCTAssertEqual(h.changes("LINSERT", "l", "AFTER", "nope", "y"), 0)
        XCTAssertEqual(h.changes("LTRIM", "l", "1", "1"), 2)
        XCTAssertEqual(h.changes("LTRIM", "l", "0", "-1"), 0)
        XCTAssertEqual(h.changes("RPUSH", "l", "1", "2", "3"), 3)
        XCTAssertEqual(h.changes("LPOP", "l", "3"), 3)
        XCTAssertEqual(h.changes("LPOP", "l", "0"), 0)
        XCTAssertEqual(h.changes("LMOVE", "l", "m", "LEFT", "LEFT"), 1)
        XCTAssertEqual(h.changes("LPUSHX", "nokey", "a"), 0)
    }

    // MARK: blocking, in process

    func testBlockedClientsServedInOrderWithEventsAndPropagation() {
        let h = Harness(["notify-keyspace-events": "EAn"])
        var logged: [String] = []
        h.server.propagator = { db, args in logged.append("\(db) " + args.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")) }
        let a = h.newClient(), b = h.newClient(), c = h.newClient()
        XCTAssertEqual(h.run("BLMOVE", "s", "d", "LEFT", "RIGHT", "0", on: a), "")
        XCTAssertEqual(h.run("BLPOP", "d", "0", on: b), "")
        XCTAssertEqual(h.run("BLMPOP", "0", "2", "x", "s", "RIGHT", "COUNT", "5", on: c), "")
        XCTAssertTrue(a.flags.contains(.blocked) && b.flags.contains(.blocked) && c.flags.contains(.blocked))
        let log = h.recordEvents()
        XCTAssertEqual(h.run("RPUSH", "s", "1", "2", "3"), R.int(3))
        h.deliverTasks()
        // a moves 1 to d, which serves b; c takes the rest of s.
        XCTAssertEqual(Harness.takeReply(a), R.bulk("1"))
        XCTAssertEqual(Harness.takeReply(b), R.bulks(["d", "1"]))
        XCTAssertEqual(Harness.takeReply(c), R.array([R.bulk("s"), R.bulks(["3", "2"])]))
        XCTAssertFalse(a.flags.contains(.blocked) || b.flags.contains(.blocked) || c.flags.contains(.blocked))
        XCTAssertEqual(log.take(), ["new s", "rpush s", "new d", "rpush d", "lpop s", "rpop s", "del s", "lpop d", "del d"])
        XCTAssertEqual(logged, ["0 LMOVE s d left right", "0 RPOP s 2", "0 LPOP d"])
        XCTAssertEqual(h.run("EXISTS", "s", "d"), R.int(0))
    }

    func testBlockingDeniedInsideMulti() {
        let h = Harness()
        let c = h.newClient()
        c.flags.insert(.multi)
        XCTAssertFalse(c.mayBlock)
        // Run directly, as EXEC runs its queue: no waiting, the timeout reply at once.
        for (args, expected) in [(["BLPOP", "k", "0"], R.nullArray), (["BLMPOP", "0", "1", "k", "LEFT"], R.nullArray),
                                 (["BRPOPLPUSH", "k", "d", "0"], R.null), (["BLMOVE", "k", "d", "LEFT", "LEFT", "0"], R.null)] {
            c.load(OwnedCommand(args))
            h.server.call(c, h.server.commands.lookup(args[0])!)
            XCTAssertEqual(Harness.takeReply(c), expected)
            XCTAssertFalse(c.flags.contains(.blocked))
        }
    }

    func testServedReplyUsesTheWaitersProtocol() {
        let h = Harness()
        let c = h.newClient()
        h.run("HELLO", "3", on: c)
        c.reply.reset()
        XCTAssertEqual(h.run("BLPOP", "l", "0", on: c), "")
        h.run("RPUSH", "l", "x")
        h.deliverTasks()
        XCTAssertEqual(Harness.takeReply(c), R.bulks(["l", "x"]))
        XCTAssertEqual(h.run("BRPOPLPUSH", "nokey", "d", "0", on: c), "")
        XCTAssertEqual(h.run("CLIENT", "UNBLOCK", "\(c.id)"), R.int(1))
        h.deliverTasks()
        XCTAssertEqual(Harness.takeReply(c), "_\r\n", "a timed out wait replies a RESP3 null")
        XCTAssertEqual(h.run("BLPOP", "l", "0", on: c), "")
        XCTAssertEqual(h.run("CLIENT", "UNBLOCK", "\(c.id)", "ERROR"), R.int(1))
        XCTAssertEqual(h.run("CLIENT", "UNBLOCK", "\(c.id)", "ERROR"), R.int(0), "already unblocked")
        h.deliverTasks()
        XCTAssertEqual(Harness.takeReply(c), R.err("UNBLOCKED client unblocked via CLIENT UNBLOCK"))
        XCTAssertEqual(h.run("CLIENT", "UNBLOCK", "\(h.client.id)"), R.int(0))
        XCTAssertEqual(h.run("CLIENT", "UNBLOCK", "x"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("CLIENT", "UNBLOCK", "1", "foo"), R.err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"))
        XCTAssertEqual(h.run("CLIENT", "UNBLOCK", "1", "timeout", "x"),
                       R.err("ERR unknown subcommand or wrong number of arguments for 'UNBLOCK'. Try CLIENT HELP."))
    }

    func testWrongTypeDestinationFailsTheWaiterAndKeepsTheSource() {
        let h = Harness()
        let a = h.newClient(), b = h.newClient()
        h.run("SET", "t1", "x")
        XCTAssertEqual(h.run("BRPOPLPUSH", "src", "t1", "0", on: a), "")
        XCTAssertEqual(h.run("BRPOPLPUSH", "src", "t2", "0", on: b), "")
        h.run("RPUSH", "src", "a", "b")
        h.deliverTasks()
        XCTAssertEqual(Harness.takeReply(a), R.err("WRONGTYPE Operation against a key holding the wrong kind of value"))
        XCTAssertEqual(Harness.takeReply(b), R.bulk("b"))
        XCTAssertEqual(h.run("LRANGE", "src", "0", "-1"), R.bulks(["a"]))
        XCTAssertEqual(h.server.contexts[0].stats.errorCountsSnapshot["WRONGTYPE"], 1)
    }

    func testKeysCreatedByRenameMoveCopyAndSwapdbServeWaiters() {
        let h = Harness()
        let c = h.newClient()
        XCTAssertEqual(h.run("BLPOP", "k", "0", on: c), "")
        h.run("RPUSH", "other", "a", "b")
        h.run("RENAME", "other", "k")
        h.deliverTasks()
        XCTAssertEqual(Harness.takeReply(c), R.bulks(["k", "a"]))
        XCTAssertEqual(h.run("BLPOP", "j", "0", on: c), "")
        h.run("COPY", "k", "j")
        h.deliverTasks()
        XCTAssertEqual(Harness.takeReply(c), R.bulks(["j", "b"]))
        h.run("SELECT", "1", on: c)
        c.reply.reset()
        XCTAssertEqual(h.run("BLPOP", "m", "0", on: c), "")
        h.run("RPUSH", "m", "z")
        h.run("MOVE", "m", "1")
        h.deliverTasks()
        XCTAssertEqual(Harness.takeReply(c), R.bulks(["m", "z"]))
        XCTAssertEqual(h.run("BLPOP", "w", "0", on: c), "")
        h.run("RPUSH", "w", "v")
        h.run("SET", "unrelated", "x")
        h.deliverTasks()
        XCTAssertEqual(Harness.takeReply(c), "", "a key in another database does not serve")
        h.run("SWAPDB", "0", "1")
        h.deliverTasks()
        XCTAssertEqual(Harness.takeReply(c), R.bulks(["w", "v"]))
    }

    func testStringKeyCreationDoesNotServeAndDeleteWhileEmptyIsHarmless() {
        let h = Harness()
        let c = h.newClient()
        XCTAssertEqual(h.run("BLPOP", "k", "0", on: c), "")
        h.run("SET", "k", "v")
        h.deliverTasks()
        XCTAssertEqual(Harness.takeReply(c), "")
        h.run("DEL", "k")
        h.run("LPUSH", "k", "x")
        h.deliverTasks()
        XCTAssertEqual(Harness.takeReply(c), R.bulks(["k", "x"]))
    }

    func testBlockedStatsAndInfo() {
        let h = Harness()
        let c = h.newClient()
        h.run("CONFIG", "RESETSTAT")
        XCTAssertEqual(h.run("BLPOP", "k", "0", on: c), "")
        XCTAssertTrue(h.run("INFO", "clients").contains("blocked_clients:1\r\n"))
        XCTAssertEqual(h.run("CLIENT", "UNBLOCK", "\(c.id)", "ERROR"), R.int(1))
        h.deliverTasks()
        XCTAssertTrue(h.run("INFO", "clients").contains("blocked_clients:0\r\n"))
        let stats = h.run("INFO", "commandstats")
        XCTAssertTrue(stats.contains("cmdstat_blpop:calls=1,"), stats)
        XCTAssertTrue(stats.contains(",rejected_calls=0,failed_calls=1\r\n"), stats)
        XCTAssertTrue(h.run("INFO", "errorstats").contains("errorstat_UNBLOCKED:count=1\r\n"))
    }

    // MARK: the list structure

    /// Random edits against an array model, with chunk limits small enough to
    /// split and merge often and elements around the framing thresholds.
    func testListValueAgainstModel() {
        var rng = SystemRandomNumberGenerator()
        for fill in [1, 3, -1, -2] {
            let list = ListValue(fill: fill)
            var model: [[UInt8]] = []
            func element() -> [UInt8] {
                let sizes = [0, 1, 5, 126, 127, 128, 200, 3000, 5000]
                let n = sizes[Int.random(in: 0..<sizes.count, using: &rng)]
                let fillByte = UInt8.random(in: 97...100, using: &rng)
                return [UInt8](repeating: fillByte, count: n)
            }
            for step in 0..<3000 {
                let op = Int.random(in: 0..<10, using: &rng)
                switch op {
                case 0, 1:
                    let e = element()
                    e.withBytes { list.pushFront($0) }
                    model.insert(e, at: 0)
                case 2, 3:
                    let e = element()
                    e.withBytes { list.pushBack($0) }
                    model.append(e)
                case 4 where !model.isEmpty:
                    let front = Bool.random(using: &rng)
                    XCTAssertEqual(list.popCopy(front: front), front ? model.removeFirst() : model.removeLast())
                case 5 where !model.isEmpty:
                    let n = Int.random(in: 0...min(5, model.count), using: &rng)
                    let front = Bool.random(using: &rng)
                    list.remove(n, front: front)
                    if front { model.removeFirst(n) } else { model.removeLast(n) }
                case 6 where !model.isEmpty:
                    let i = Int.random(in: 0..<model.count, using: &rng)
                    let e = element()
                    e.withBytes { list.replace(at: list.position(of: i), with: $0) }
                    model[i] = e
                case 7 where !model.isEmpty:
                    let i = Int.random(in: 0..<model.count, using: &rng)
                    let after = Bool.random(using: &rng)
                    let e = element()
                    e.withBytes { list.insert($0, at: list.position(of: i), after: after) }
                    model.insert(e, at: after ? i + 1 : i)
                case 8 where !model.isEmpty:
                    let victim = model[Int.random(in: 0..<model.count, using: &rng)]
                    let limit = Int.random(in: 0...2, using: &rng)
                    let fromTail = Bool.random(using: &rng)
                    let removed = victim.withBytes { list.removeAll(equalTo: $0, limit: limit, fromTail: fromTail) }
                    var expected = 0
                    var indices = Array(model.indices)
                    if fromTail { indices.reverse() }
                    var doomed: [Int] = []
                    for i in indices where model[i] == victim && (limit == 0 || expected < limit) {
                        doomed.append(i)
                        expected += 1
                    }
                    for i in doomed.sorted(by: >) { model.remove(at: i) }
                    XCTAssertEqual(removed, expected)
                default:
                    if !model.isEmpty {
                        let i = Int.random(in: -model.count..<model.count, using: &rng)
                        XCTAssertEqual(list.element(at: i).map(Array.init), model[i < 0 ? model.count + i : i])
                    }
                }
                XCTAssertEqual(list.count, model.count, "fill \(fill) step \(step)")
                if step % 97 == 0 || step == 2999 {
                    var seen: [[UInt8]] = []
                    list.scan(reverse: false) { v, i in
                        XCTAssertEqual(i, seen.count)
                        seen.append(Array(v))
                        return true
                    }
                    XCTAssertEqual(seen, model, "fill \(fill) step \(step)")
                    var backwards: [[UInt8]] = []
                    list.scan(reverse: true) { v, _ in
                        backwards.append(Array(v))
                        return true
                    }
                    XCTAssertEqual(backwards, model.reversed())
                    if !model.isEmpty {
                        let start = Int.random(in: 0..<model.count, using: &rng)
                        var range: [[UInt8]] = []
                        list.forEach(from: start, count: model.count - start) { range.append(Array($0)) }
                        XCTAssertEqual(range, Array(model[start...]))
                    }
                    let copy = list.duplicate() as! ListValue
                    var copied: [[UInt8]] = []
                    copy.scan(reverse: false) { v, _ in
                        copied.append(Array(v))
                        return true
                    }
                    XCTAssertEqual(copied, model)
                }
            }
        }
    }

    func testLargeListsAcrossChunks() {
        let h = Harness(["list-max-listpack-size": "4"])
        var args = ["RPUSH", "big"]
        for i in 0..<1000 { args.append(String(i)) }
        h.run(args.map { Array($0.utf8) })
        h.expect([
            (["LLEN", "big"], R.int(1000)),
            (["LINDEX", "big", "0"], R.bulk("0")),
            (["LINDEX", "big", "501"], R.bulk("501")),
            (["LINDEX", "big", "-1"], R.bulk("999")),
            (["LRANGE", "big", "498", "502"], R.bulks(["498", "499", "500", "501", "502"])),
            (["LINSERT", "big", "BEFORE", "500", "x"], R.int(1001)),
            (["LPOS", "big", "x"], R.int(500)),
            (["LSET", "big", "-2", "y"], R.ok),
            (["LREM", "big", "0", "x"], R.int(1)),
            (["LRANGE", "big", "997", "-1"], R.bulks(["997", "y", "999"])),
            (["LTRIM", "big", "10", "-11"], R.ok),
            (["LLEN", "big"], R.int(980)),
            (["LINDEX", "big", "0"], R.bulk("10")),
            (["LINDEX", "big", "-1"], R.bulk("989")),
            (["OBJECT", "ENCODING", "big"], R.bulk("quicklist")),
        ])
        let dump = h.runBytes([Array("DUMP".utf8), Array("big".utf8)])
        XCTAssertEqual(Array(dump.prefix(1)), Array("$".utf8))
        let payload = Array(dump[(dump.firstIndex(of: 10)! + 1)..<(dump.count - 2)])
        XCTAssertEqual(h.runBytes([Array("RESTORE".utf8), Array("copy".utf8), Array("0".utf8), payload]), Array("+OK\r\n".utf8))
        XCTAssertEqual(h.run("LRANGE", "copy", "0", "-1"), h.run("LRANGE", "big", "0", "-1"))
    }

    func testDumpMatchesRedisForOneNode() {
        let h = Harness()
        h.run("RPUSH", "k", "127", "-4097", "x", "9223372036854775808", "007")
        // DUMP k from Redis 7.0.15 after the same RPUSH.
        let redis: [UInt8] = [18, 1, 2, 42, 42, 0, 0, 0, 5, 0, 127, 1, 241, 255, 239, 3, 129, 120, 2, 147, 57, 50, 50, 51, 51, 55, 50,
                              48, 51, 54, 56, 53, 52, 55, 55, 53, 56, 48, 56, 20, 131, 48, 48, 55, 4, 255, 10, 0, 152, 123, 218, 226,
                              232, 93, 0, 143]
        let dump = h.runBytes([Array("DUMP".utf8), Array("k".utf8)])
        let body = Array(dump[(dump.firstIndex(of: 10)! + 1)..<(dump.count - 2)])
        XCTAssertEqual(body, redis)
    }
}
