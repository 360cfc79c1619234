import CinnabarCore
import XCTest

/// Expected replies were taken from Redis 7.0.15 running the same commands.
final class SortedSetCommandsTests: XCTestCase {
    func testAddAndScore() {
        let h = Harness()
        h.expect([
            (["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
            (["ZADD", "z", "1.1", "d", "-0.5", "e"], ":2\r\n"),
            (["ZCARD", "z"], ":5\r\n"),
            (["ZSCORE", "z", "d"], "$18\r\n1.1000000000000001\r\n"),
            (["ZSCORE", "z", "e"], "$4\r\n-0.5\r\n"),
            (["ZSCORE", "z", "nosuch"], "$-1\r\n"),
            (["ZSCORE", "nokey", "a"], "$-1\r\n"),
            (["ZADD", "z", "inf", "f", "-inf", "g", "1e20", "h", "123456789012345678", "i", "0.1", "j"], ":5\r\n"),
            (["ZRANGE", "z", "0", "-1", "WITHSCORES"], "*20\r\n$1\r\ng\r\n$4\r\n-inf\r\n$1\r\ne\r\n$4\r\n-0.5\r\n$1\r\nj\r\n$19\r\n0.10000000000000001\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nd\r\n$18\r\n1.1000000000000001\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\ni\r\n$22\r\n1.2345678901234568e+17\r\n$1\r\nh\r\n$5\r\n1e+20\r\n$1\r\nf\r\n$3\r\ninf\r\n"),
            (["ZMSCORE", "z", "a", "nosuch", "d", "f"], "*4\r\n$1\r\n1\r\n$-1\r\n$18\r\n1.1000000000000001\r\n$3\r\ninf\r\n"),
            (["ZMSCORE", "nokey", "a", "b"], "*2\r\n$-1\r\n$-1\r\n"),
            (["ZADD", "z", "5", "a"], ":0\r\n"),
            (["ZSCORE", "z", "a"], "$1\r\n5\r\n"),
            (["ZADD", "z", "CH", "6", "a", "2", "b", "7", "new"], ":2\r\n"),
            (["ZADD", "z", "NX", "100", "a", "1", "nx1"], ":1\r\n"),
            (["ZSCORE", "z", "a"], "$1\r\n6\r\n"),
            (["ZADD", "z", "XX", "100", "a", "1", "xx1"], ":0\r\n"),
            (["ZSCORE", "z", "xx1"], "$-1\r\n"),
            (["ZADD", "z", "XX", "CH", "100", "a", "101", "a"], ":1\r\n"),
            (["ZADD", "z", "GT", "CH", "50", "a", "200", "b"], ":1\r\n"),
            (["ZADD", "z", "LT", "CH", "50", "a", "300", "b"], ":1\r\n"),
            (["ZADD", "z", "GT", "5", "newgt"], ":1\r\n"),
            (["ZSCORE", "z", "newgt"], "$1\r\n5\r\n"),
            (["ZADD", "z", "XX", "GT", "1000", "a"], ":0\r\n"),
            (["ZADD", "z", "INCR", "5", "a"], "$4\r\n1005\r\n"),
            (["ZADD", "z", "INCR", "NX", "5", "a"], "$-1\r\n"),
            (["ZADD", "z", "INCR", "XX", "5", "nosuch"], "$-1\r\n"),
            (["ZADD", "z", "INCR", "GT", "-5", "a"], "$-1\r\n"),
            (["ZADD", "z", "incr", "0", "a"], "$4\r\n1005\r\n"),
            (["ZADD", "nokey", "XX", "1", "a"], ":0\r\n"),
            (["ZADD", "nokey", "XX", "INCR", "1", "a"], "$-1\r\n"),
            (["EXISTS", "nokey"], ":0\r\n"),
            (["ZADD", "z", "NX", "XX", "1", "a"], "-ERR XX and NX options at the same time are not compatible\r\n"),
            (["ZADD", "z", "GT", "LT", "1", "a"], "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
            (["ZADD", "z", "GT", "NX", "1", "a"], "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
            (["ZADD", "z", "LT", "NX", "1", "a"], "-ERR GT, LT, and/or NX options at the same time are not compatible\r\n"),
            (["ZADD", "z", "INCR", "1", "a", "2", "b"], "-ERR INCR option supports a single increment-element pair\r\n"),
            (["ZADD", "z", "1"], "-ERR wrong number of arguments for 'zadd' command\r\n"),
            (["ZADD", "z", "1", "a", "2"], "-ERR syntax error\r\n"),
            (["ZADD", "z", "NX"], "-ERR wrong number of arguments for 'zadd' command\r\n"),
            (["ZADD", "z", "abc", "a"], "-ERR value is not a valid float\r\n"),
            (["ZADD", "z", "1", "a", "nan", "b"], "-ERR value is not a valid float\r\n"),
            (["ZADD", "z", "1", "a", "2x", "b"], "-ERR value is not a valid float\r\n"),
            (["ZADD", "z", " 1", "a"], "-ERR value is not a valid float\r\n"),
            (["ZADD", "z", "0x10", "hex"], ":1\r\n"),
            (["ZSCORE", "z", "hex"], "$2\r\n16\r\n"),
            (["ZADD", "z", "1e400", "a"], "-ERR value is not a valid float\r\n"),
            (["ZADD", "z", "inf", "posinf"], ":1\r\n"),
            (["ZADD", "z", "INCR", "-inf", "posinf"], "-ERR resulting score is not a number (NaN)\r\n"),
            (["ZSCORE", "z", "posinf"], "$3\r\ninf\r\n"),
            (["ZINCRBY", "z", "2.5", "a"], "$6\r\n1007.5\r\n"),
            (["ZINCRBY", "z", "-2.5", "a"], "$4\r\n1005\r\n"),
            (["ZINCRBY", "z", "1", "newmember"], "$1\r\n1\r\n"),
            (["ZINCRBY", "z", "abc", "a"], "-ERR value is not a valid float\r\n"),
            (["ZINCRBY", "z", "nx", "a"], "-ERR syntax error\r\n"),
            (["ZINCRBY", "nokey2", "3", "m"], "$1\r\n3\r\n"),
            (["ZINCRBY", "z", "0.1", "j"], "$19\r\n0.20000000000000001\r\n"),
            (["ZINCRBY", "z", "0.2", "j"], "$19\r\n0.40000000000000002\r\n"),
            (["ZADD", "neg", "-0", "x"], ":1\r\n"),
            (["ZSCORE", "neg", "x"], "$1\r\n0\r\n"),
            (["ZINCRBY", "neg", "-0", "y"], "$2\r\n-0\r\n"),
            (["ZSCORE", "neg", "y"], "$1\r\n0\r\n"),
            (["SET", "str", "v"], "+OK\r\n"),
            (["ZADD", "str", "1", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["ZINCRBY", "str", "1", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["ZSCORE", "str", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["ZMSCORE", "str", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["ZCARD", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["ZADD", "z"], "-ERR wrong number of arguments for 'zadd' command\r\n"),
            (["ZCARD", "nokey"], ":0\r\n"),
            (["TYPE", "z"], "+zset\r\n"),
        ])
    }

    func testRangeByRank() {
        let h = Harness()
        h.expect([
            (["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ":5\r\n"),
            (["ZRANGE", "z", "0", "-1"], "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
            (["ZRANGE", "z", "0", "-1", "WITHSCORES"], "*10\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n"),
            (["ZRANGE", "z", "1", "3"], "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
            (["ZRANGE", "z", "-2", "-1"], "*2\r\n$1\r\nd\r\n$1\r\ne\r\n"),
            (["ZRANGE", "z", "-100", "100"], "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
            (["ZRANGE", "z", "3", "1"], "*0\r\n"),
            (["ZRANGE", "z", "5", "10"], "*0\r\n"),
            (["ZRANGE", "z", "0", "-6"], "*0\r\n"),
            (["ZRANGE", "z", "0", "-1", "REV"], "*5\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
            (["ZRANGE", "z", "0", "1", "REV", "WITHSCORES"], "*4\r\n$1\r\ne\r\n$1\r\n5\r\n$1\r\nd\r\n$1\r\n4\r\n"),
            (["ZREVRANGE", "z", "0", "-1"], "*5\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
            (["ZREVRANGE", "z", "1", "2", "WITHSCORES"], "*4\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n3\r\n"),
            (["ZREVRANGE", "z", "0", "-1", "REV"], "-ERR syntax error\r\n"),
            (["ZRANGE", "z", "x", "1"], "-ERR value is not an integer or out of range\r\n"),
            (["ZRANGE", "z", "0", "1", "LIMIT", "0", "1"], "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"),
            (["ZRANGE", "z", "0", "-1", "LIMIT", "0", "-1"], "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
            (["ZRANGE", "z", "0", "1", "BYLEX", "WITHSCORES"], "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"),
            (["ZRANGE", "z", "0", "1", "foo"], "-ERR syntax error\r\n"),
            (["ZRANGE", "z", "0", "1", "LIMIT", "0"], "-ERR syntax error\r\n"),
            (["ZRANGE", "nokey", "0", "-1"], "*0\r\n"),
            (["ZRANGE", "nokey", "x", "y"], "-ERR value is not an integer or out of range\r\n"),
            (["ZRANGE", "z", "0", "-1", "withscores", "withscores"], "*10\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\ne\r\n$1\r\n5\r\n"),
            (["ZRANGE", "z", "-9223372036854775808", "9223372036854775807"], "*5\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n"),
        ])
    }

    func testRangeByScore() {
        let h = Harness()
        h.expect([
            (["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e", "5", "f", "-inf", "g", "inf", "h"], ":8\r\n"),
            (["ZRANGEBYSCORE", "z", "-inf", "+inf"], "*8\r\n$1\r\ng\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n$1\r\nh\r\n"),
            (["ZRANGEBYSCORE", "z", "2", "4", "WITHSCORES"], "*6\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n"),
            (["ZRANGEBYSCORE", "z", "(2", "(4"], "*1\r\n$1\r\nc\r\n"),
            (["ZRANGEBYSCORE", "z", "(2", "4"], "*2\r\n$1\r\nc\r\n$1\r\nd\r\n"),
            (["ZRANGEBYSCORE", "z", "5", "5"], "*2\r\n$1\r\ne\r\n$1\r\nf\r\n"),
            (["ZRANGEBYSCORE", "z", "(5", "5"], "*0\r\n"),
            (["ZRANGEBYSCORE", "z", "4", "2"], "*0\r\n"),
            (["ZRANGEBYSCORE", "z", "-inf", "2", "LIMIT", "1", "2"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
            (["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "2", "-1"], "*6\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n$1\r\nh\r\n"),
            (["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "-1", "2"], "*0\r\n"),
            (["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "0", "0"], "*0\r\n"),
            (["ZRANGEBYSCORE", "z", "-inf", "+inf", "LIMIT", "100", "1"], "*0\r\n"),
            (["ZREVRANGEBYSCORE", "z", "+inf", "-inf"], "*8\r\n$1\r\nh\r\n$1\r\nf\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\ng\r\n"),
            (["ZREVRANGEBYSCORE", "z", "4", "2", "WITHSCORES"], "*6\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n"),
            (["ZREVRANGEBYSCORE", "z", "(4", "(2"], "*1\r\n$1\r\nc\r\n"),
            (["ZREVRANGEBYSCORE", "z", "2", "4"], "*0\r\n"),
            (["ZREVRANGEBYSCORE", "z", "+inf", "-inf", "LIMIT", "1", "3"], "*3\r\n$1\r\nf\r\n$1\r\ne\r\n$1\r\nd\r\n"),
            (["ZRANGE", "z", "2", "4", "BYSCORE"], "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
            (["ZRANGE", "z", "4", "2", "BYSCORE", "REV", "WITHSCORES"], "*6\r\n$1\r\nd\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n2\r\n"),
            (["ZRANGE", "z", "(1", "+inf", "BYSCORE", "LIMIT", "1", "2", "WITHSCORES"], "*4\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n"),
            (["ZRANGE", "z", "+inf", "(1", "BYSCORE", "REV", "LIMIT", "1", "2"], "*2\r\n$1\r\nf\r\n$1\r\ne\r\n"),
            (["ZRANGEBYSCORE", "z", "a", "b"], "-ERR min or max is not a float\r\n"),
            (["ZRANGEBYSCORE", "z", "1", "nan"], "-ERR min or max is not a float\r\n"),
            (["ZRANGEBYSCORE", "z", "(", "("], "*0\r\n"),
            (["ZRANGEBYSCORE", "z", "", ""], "*0\r\n"),
            (["ZRANGEBYSCORE", "z", " 1", "0x3"], "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
            (["ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "a", "1"], "-ERR value is not an integer or out of range\r\n"),
            (["ZRANGEBYSCORE", "z", "1", "2", "LIMIT", "1"], "-ERR syntax error\r\n"),
            (["ZRANGEBYSCORE", "z", "1", "2", "REV"], "-ERR syntax error\r\n"),
            (["ZRANGEBYSCORE", "z", "1", "2", "BYSCORE"], "-ERR syntax error\r\n"),
            (["ZRANGEBYSCORE", "nokey", "1", "2"], "*0\r\n"),
            (["ZRANGEBYSCORE", "nokey", "a", "b"], "-ERR min or max is not a float\r\n"),
        ])
    }

    func testRangeByLex() {
        let h = Harness()
        h.expect([
            (["ZADD", "z", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e", "0", "f", "0", "ab"], ":7\r\n"),
            (["ZRANGEBYLEX", "z", "-", "+"], "*7\r\n$1\r\na\r\n$2\r\nab\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n"),
            (["ZRANGEBYLEX", "z", "[b", "[d"], "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
            (["ZRANGEBYLEX", "z", "(b", "(d"], "*1\r\n$1\r\nc\r\n"),
            (["ZRANGEBYLEX", "z", "(a", "[b"], "*2\r\n$2\r\nab\r\n$1\r\nb\r\n"),
            (["ZRANGEBYLEX", "z", "-", "(c"], "*3\r\n$1\r\na\r\n$2\r\nab\r\n$1\r\nb\r\n"),
            (["ZRANGEBYLEX", "z", "[c", "+"], "*4\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n"),
            (["ZRANGEBYLEX", "z", "+", "-"], "*0\r\n"),
            (["ZRANGEBYLEX", "z", "-", "-"], "*0\r\n"),
            (["ZRANGEBYLEX", "z", "[d", "[b"], "*0\r\n"),
            (["ZRANGEBYLEX", "z", "[b", "[b"], "*1\r\n$1\r\nb\r\n"),
            (["ZRANGEBYLEX", "z", "(b", "[b"], "*0\r\n"),
            (["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "2", "3"], "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
            (["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "-1", "3"], "*0\r\n"),
            (["ZRANGEBYLEX", "z", "-", "+", "LIMIT", "0", "-1"], "*7\r\n$1\r\na\r\n$2\r\nab\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n"),
            (["ZREVRANGEBYLEX", "z", "+", "-"], "*7\r\n$1\r\nf\r\n$1\r\ne\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$2\r\nab\r\n$1\r\na\r\n"),
            (["ZREVRANGEBYLEX", "z", "[d", "(a", "LIMIT", "1", "2"], "*2\r\n$1\r\nc\r\n$1\r\nb\r\n"),
            (["ZRANGE", "z", "[b", "[d", "BYLEX"], "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
            (["ZRANGE", "z", "[d", "[b", "BYLEX", "REV", "LIMIT", "0", "2"], "*2\r\n$1\r\nd\r\n$1\r\nc\r\n"),
            (["ZRANGEBYLEX", "z", "a", "b"], "-ERR min or max not valid string range item\r\n"),
            (["ZRANGEBYLEX", "z", "[a", "b"], "-ERR min or max not valid string range item\r\n"),
            (["ZRANGEBYLEX", "z", "+a", "+"], "-ERR min or max not valid string range item\r\n"),
            (["ZRANGEBYLEX", "z", "-a", "+"], "-ERR min or max not valid string range item\r\n"),
            (["ZRANGEBYLEX", "z", "", "+"], "-ERR min or max not valid string range item\r\n"),
            (["ZRANGEBYLEX", "z", "[", "+"], "*7\r\n$1\r\na\r\n$2\r\nab\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n$1\r\ne\r\n$1\r\nf\r\n"),
            (["ZRANGEBYLEX", "z", "-", "+", "WITHSCORES"], "-ERR syntax error, WITHSCORES not supported in combination with BYLEX\r\n"),
            (["ZRANGEBYLEX", "nokey", "-", "+"], "*0\r\n"),
            (["ZLEXCOUNT", "z", "-", "+"], ":7\r\n"),
            (["ZLEXCOUNT", "z", "[b", "(d"], ":2\r\n"),
            (["ZLEXCOUNT", "z", "(z", "+"], ":0\r\n"),
            (["ZLEXCOUNT", "z", "x", "y"], "-ERR min or max not valid string range item\r\n"),
            (["ZLEXCOUNT", "nokey", "-", "+"], ":0\r\n"),
        ])
    }

    func testRangeStore() {
        let h = Harness()
        h.expect([
            (["ZADD", "src", "1", "a", "2", "b", "3", "c", "4", "d"], ":4\r\n"),
            (["ZRANGESTORE", "dst", "src", "0", "-1"], ":4\r\n"),
            (["ZRANGE", "dst", "0", "-1", "WITHSCORES"], "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$1\r\n4\r\n"),
            (["ZRANGESTORE", "dst", "src", "1", "2"], ":2\r\n"),
            (["ZRANGE", "dst", "0", "-1", "WITHSCORES"], "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
            (["ZRANGESTORE", "dst", "src", "(1", "3", "BYSCORE"], ":2\r\n"),
            (["ZRANGESTORE", "dst", "src", "3", "(1", "BYSCORE", "REV", "LIMIT", "0", "1"], ":1\r\n"),
            (["ZRANGE", "dst", "0", "-1", "WITHSCORES"], "*2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
            (["ZRANGESTORE", "dst", "src", "-", "+", "BYLEX", "LIMIT", "1", "2"], ":2\r\n"),
            (["ZRANGE", "dst", "0", "-1"], "*2\r\n$1\r\nb\r\n$1\r\nc\r\n"),
            (["ZRANGESTORE", "dst", "src", "5", "10"], ":0\r\n"),
            (["EXISTS", "dst"], ":0\r\n"),
            (["ZRANGESTORE", "dst", "src", "0", "-1"], ":4\r\n"),
            (["ZRANGESTORE", "dst", "nokey", "0", "-1"], ":0\r\n"),
            (["EXISTS", "dst"], ":0\r\n"),
            (["ZRANGESTORE", "dst", "src", "0", "-1", "WITHSCORES"], "-ERR syntax error\r\n"),
            (["ZRANGESTORE", "dst", "src", "0", "-1", "LIMIT", "0", "1"], "-ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX\r\n"),
            (["ZRANGESTORE", "src", "src", "1", "2"], ":2\r\n"),
            (["ZRANGE", "src", "0", "-1", "WITHSCORES"], "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
            (["SET", "str", "x"], "+OK\r\n"),
            (["ZRANGESTORE", "str", "src", "0", "-1"], ":2\r\n"),
            (["TYPE", "str"], "+zset\r\n"),
            (["ZRANGESTORE", "dst", "str", "0", "-1"], ":2\r\n"),
            (["ZRANGESTORE", "dst", "src", "a", "b", "BYSCORE"], "-ERR min or max is not a float\r\n"),
        ])
    }

    func testCountRankRemove() {
        let h = Harness()
        h.expect([
            (["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ":5\r\n"),
            (["ZCOUNT", "z", "-inf", "+inf"], ":5\r\n"),
            (["ZCOUNT", "z", "2", "4"], ":3\r\n"),
            (["ZCOUNT", "z", "(2", "(4"], ":1\r\n"),
            (["ZCOUNT", "z", "4", "2"], ":0\r\n"),
            (["ZCOUNT", "z", "10", "20"], ":0\r\n"),
            (["ZCOUNT", "z", "a", "b"], "-ERR min or max is not a float\r\n"),
            (["ZCOUNT", "nokey", "1", "2"], ":0\r\n"),
            (["ZRANK", "z", "a"], ":0\r\n"),
            (["ZRANK", "z", "e"], ":4\r\n"),
            (["ZREVRANK", "z", "a"], ":4\r\n"),
            (["ZREVRANK", "z", "e"], ":0\r\n"),
            (["ZRANK", "z", "nosuch"], "$-1\r\n"),
            (["ZRANK", "nokey", "a"], "$-1\r\n"),
            (["ZREM", "z", "a", "nosuch"], ":1\r\n"),
            (["ZREM", "z", "nosuch"], ":0\r\n"),
            (["ZREM", "nokey", "a"], ":0\r\n"),
            (["ZCARD", "z"], ":4\r\n"),
            (["ZREMRANGEBYSCORE", "z", "(2", "4"], ":2\r\n"),
            (["ZRANGE", "z", "0", "-1"], "*2\r\n$1\r\nb\r\n$1\r\ne\r\n"),
            (["ZREMRANGEBYSCORE", "z", "a", "b"], "-ERR min or max is not a float\r\n"),
            (["ZREMRANGEBYSCORE", "nokey", "1", "2"], ":0\r\n"),
            (["ZADD", "z", "1", "a", "3", "c", "4", "d"], ":3\r\n"),
            (["ZREMRANGEBYRANK", "z", "0", "0"], ":1\r\n"),
            (["ZREMRANGEBYRANK", "z", "-1", "-1"], ":1\r\n"),
            (["ZREMRANGEBYRANK", "z", "5", "10"], ":0\r\n"),
            (["ZREMRANGEBYRANK", "z", "2", "1"], ":0\r\n"),
            (["ZREMRANGEBYRANK", "z", "x", "1"], "-ERR value is not an integer or out of range\r\n"),
            (["ZRANGE", "z", "0", "-1"], "*3\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
            (["ZREMRANGEBYRANK", "z", "0", "-1"], ":3\r\n"),
            (["EXISTS", "z"], ":0\r\n"),
            (["ZADD", "l", "0", "a", "0", "b", "0", "c", "0", "d"], ":4\r\n"),
            (["ZREMRANGEBYLEX", "l", "[b", "(d"], ":2\r\n"),
            (["ZRANGE", "l", "0", "-1"], "*2\r\n$1\r\na\r\n$1\r\nd\r\n"),
            (["ZREMRANGEBYLEX", "l", "a", "b"], "-ERR min or max not valid string range item\r\n"),
            (["ZREMRANGEBYLEX", "l", "-", "+"], ":2\r\n"),
            (["EXISTS", "l"], ":0\r\n"),
            (["ZADD", "z", "1", "a"], ":1\r\n"),
            (["ZREM", "z", "a"], ":1\r\n"),
            (["EXISTS", "z"], ":0\r\n"),
            (["SET", "str", "v"], "+OK\r\n"),
            (["ZREM", "str", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["ZRANK", "str", "a"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["ZCOUNT", "str", "0", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["ZREMRANGEBYRANK", "str", "0", "1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        ])
    }

    func testPops() {
        let h = Harness()
        h.expect([
            (["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e"], ":5\r\n"),
            (["ZPOPMIN", "z"], "*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
            (["ZPOPMAX", "z"], "*2\r\n$1\r\ne\r\n$1\r\n5\r\n"),
            (["ZPOPMIN", "z", "2"], "*4\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
            (["ZPOPMAX", "z", "0"], "*0\r\n"),
            (["ZPOPMIN", "z", "10"], "*2\r\n$1\r\nd\r\n$1\r\n4\r\n"),
            (["EXISTS", "z"], ":0\r\n"),
            (["ZPOPMIN", "z"], "*0\r\n"),
            (["ZPOPMIN", "z", "1"], "*0\r\n"),
            (["ZPOPMIN", "z", "-1"], "-ERR value is out of range, must be positive\r\n"),
            (["ZPOPMIN", "z", "x"], "-ERR value is out of range, must be positive\r\n"),
            (["ZPOPMIN", "z", "1", "2"], "-ERR syntax error\r\n"),
            (["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
            (["ZMPOP", "1", "z", "MIN"], "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
            (["ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "10"], "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
            (["ZMPOP", "1", "z", "MIN"], "*-1\r\n"),
            (["ZMPOP", "0", "z", "MIN"], "-ERR numkeys should be greater than 0\r\n"),
            (["ZMPOP", "-1", "z", "MIN"], "-ERR numkeys should be greater than 0\r\n"),
            (["ZMPOP", "x", "z", "MIN"], "-ERR numkeys should be greater than 0\r\n"),
            (["ZMPOP", "2", "z", "MIN"], "-ERR syntax error\r\n"),
            (["ZMPOP", "1", "z"], "-ERR wrong number of arguments for 'zmpop' command\r\n"),
            (["ZMPOP", "1", "z", "foo"], "-ERR syntax error\r\n"),
            (["ZMPOP", "1", "z", "MIN", "COUNT"], "-ERR syntax error\r\n"),
            (["ZMPOP", "1", "z", "MIN", "COUNT", "0"], "-ERR count should be greater than 0\r\n"),
            (["ZMPOP", "1", "z", "MIN", "COUNT", "-1"], "-ERR count should be greater than 0\r\n"),
            (["ZMPOP", "1", "z", "MIN", "COUNT", "1", "COUNT", "1"], "-ERR syntax error\r\n"),
            (["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
            (["BZPOPMIN", "nokey", "z", "0"], "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n"),
            (["BZPOPMAX", "z", "1.5"], "*3\r\n$1\r\nz\r\n$1\r\nc\r\n$1\r\n3\r\n"),
            (["BZMPOP", "0", "2", "nokey", "z", "MIN", "COUNT", "5"], "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"),
            (["BZPOPMIN", "z", "-1"], "-ERR timeout is negative\r\n"),
            (["BZPOPMIN", "z", "abc"], "-ERR timeout is not a float or out of range\r\n"),
            (["BZPOPMIN", "z", "1e400"], "-ERR timeout is negative\r\n"),
            (["BZMPOP", "0", "0", "z", "MIN"], "-ERR numkeys should be greater than 0\r\n"),
            (["BZMPOP", "x", "1", "z", "MIN"], "-ERR timeout is not a float or out of range\r\n"),
            (["BZMPOP", "-1", "1", "z", "MIN"], "-ERR timeout is negative\r\n"),
            (["SET", "str", "v"], "+OK\r\n"),
            (["ZPOPMIN", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["ZMPOP", "2", "nokey", "str", "MIN"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["BZPOPMIN", "nokey", "str", "0"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["BZMPOP", "0", "2", "nokey", "str", "MIN"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["ZADD", "z", "1", "a"], ":1\r\n"),
            (["ZMPOP", "2", "z", "str", "MIN"], "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
        ])
        h.run("HELLO", "3")
        h.expect([
            (["ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"], ":4\r\n"),
            (["ZPOPMIN", "z"], "*2\r\n$1\r\na\r\n,1\r\n"),
            (["ZPOPMIN", "z", "2"], "*2\r\n*2\r\n$1\r\nb\r\n,2\r\n*2\r\n$1\r\nc\r\n,3\r\n"),
            (["ZPOPMAX", "z", "5"], "*1\r\n*2\r\n$1\r\nd\r\n,4\r\n"),
            (["ZPOPMIN", "nokey"], "*0\r\n"),
            (["ZMPOP", "1", "nokey", "MIN"], "_\r\n"),
            (["ZADD", "z", "1", "a", "2", "b"], ":2\r\n"),
            (["ZMPOP", "1", "z", "MAX", "COUNT", "1"], "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"),
            (["BZPOPMIN", "z", "0"], "*3\r\n$1\r\nz\r\n$1\r\na\r\n,1\r\n"),
            (["ZADD", "z", "1.5", "a"], ":1\r\n"),
            (["BZMPOP", "0", "1", "z", "MIN"], "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\na\r\n,1.5\r\n"),
        ])
        h.run("HELLO", "2")
    }

    func testResp3Replies() {
        let h = Harness()
        h.expect([
            (["ZADD", "z", "1.5", "a", "2", "b", "inf", "c"], ":3\r\n"),
        ])
        h.run("HELLO", "3")
        h.expect([
            (["ZSCORE", "z", "a"], ",1.5\r\n"),
            (["ZSCORE", "z", "c"], ",inf\r\n"),
            (["ZSCORE", "z", "nosuch"], "_\r\n"),
            (["ZMSCORE", "z", "a", "nosuch"], "*2\r\n,1.5\r\n_\r\n"),
            (["ZINCRBY", "z", "1", "b"], ",3\r\n"),
            (["ZADD", "z", "INCR", "1", "b"], ",4\r\n"),
            (["ZADD", "z", "XX", "INCR", "1", "nosuch"], "_\r\n"),
            (["ZRANK", "z", "nosuch"], "_\r\n"),
            (["ZRANGE", "z", "0", "-1", "WITHSCORES"], "*3\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,4\r\n*2\r\n$1\r\nc\r\n,inf\r\n"),
            (["ZRANGE", "z", "0", "-1"], "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
            (["ZRANGEBYSCORE", "z", "-inf", "+inf", "WITHSCORES", "LIMIT", "0", "2"], "*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,4\r\n"),
            (["ZREVRANGE", "z", "0", "0", "WITHSCORES"], "*1\r\n*2\r\n$1\r\nc\r\n,inf\r\n"),
            (["ZUNION", "1", "z", "WITHSCORES"], "*3\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,4\r\n*2\r\n$1\r\nc\r\n,inf\r\n"),
            (["ZRANDMEMBER", "z", "10", "WITHSCORES"], "*3\r\n*2\r\n$1\r\nc\r\n,inf\r\n*2\r\n$1\r\nb\r\n,4\r\n*2\r\n$1\r\na\r\n,1.5\r\n"),
            (["ZSCAN", "z", "0"], "*2\r\n$1\r\n0\r\n*6\r\n$1\r\na\r\n$3\r\n1.5\r\n$1\r\nb\r\n$1\r\n4\r\n$1\r\nc\r\n$3\r\ninf\r\n"),
        ])
        h.run("HELLO", "2")
    }

    func testSetAlgebra() {
        let h = Harness()
        h.expect([
            (["ZADD", "z1", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
            (["ZADD", "z2", "10", "b", "20", "c", "30", "d"], ":3\r\n"),
            (["ZUNION", "2", "z1", "z2"], "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
            (["ZUNION", "2", "z1", "z2", "WITHSCORES"], "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$2\r\n12\r\n$1\r\nc\r\n$2\r\n23\r\n$1\r\nd\r\n$2\r\n30\r\n"),
            (["ZUNION", "2", "z1", "z2", "WEIGHTS", "2", "0.5", "WITHSCORES"], "*8\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n9\r\n$1\r\nd\r\n$2\r\n15\r\n$1\r\nc\r\n$2\r\n16\r\n"),
            (["ZUNION", "2", "z1", "z2", "AGGREGATE", "MIN", "WITHSCORES"], "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nc\r\n$1\r\n3\r\n$1\r\nd\r\n$2\r\n30\r\n"),
            (["ZUNION", "2", "z1", "z2", "AGGREGATE", "max", "WITHSCORES"], "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$2\r\n10\r\n$1\r\nc\r\n$2\r\n20\r\n$1\r\nd\r\n$2\r\n30\r\n"),
            (["ZUNION", "3", "z1", "nokey", "z2", "WITHSCORES"], "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$2\r\n12\r\n$1\r\nc\r\n$2\r\n23\r\n$1\r\nd\r\n$2\r\n30\r\n"),
            (["ZINTER", "2", "z1", "z2", "WITHSCORES"], "*4\r\n$1\r\nb\r\n$2\r\n12\r\n$1\r\nc\r\n$2\r\n23\r\n"),
            (["ZINTER", "2", "z1", "z2", "WEIGHTS", "1", "-1", "AGGREGATE", "SUM", "WITHSCORES"], "*4\r\n$1\r\nc\r\n$3\r\n-17\r\n$1\r\nb\r\n$2\r\n-8\r\n"),
            (["ZINTER", "2", "z1", "nokey"], "*0\r\n"),
            (["ZINTER", "2", "z1", "z1", "WITHSCORES"], "*6\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n4\r\n$1\r\nc\r\n$1\r\n6\r\n"),
            (["ZDIFF", "2", "z1", "z2", "WITHSCORES"], "*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
            (["ZDIFF", "2", "z1", "z1"], "*0\r\n"),
            (["ZDIFF", "1", "z1"], "*3\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
            (["ZINTERCARD", "2", "z1", "z2"], ":2\r\n"),
            (["ZINTERCARD", "2", "z1", "z2", "LIMIT", "1"], ":1\r\n"),
            (["ZINTERCARD", "2", "z1", "z2", "LIMIT", "0"], ":2\r\n"),
            (["ZINTERCARD", "1", "z1", "LIMIT", "-1"], "-ERR LIMIT can't be negative\r\n"),
            (["ZINTERCARD", "1", "z1", "LIMIT", "x"], "-ERR LIMIT can't be negative\r\n"),
            (["ZINTERCARD", "0", "z1"], "-ERR at least 1 input key is needed for 'zintercard' command\r\n"),
            (["ZINTERCARD", "2", "z1"], "-ERR syntax error\r\n"),
            (["ZINTERCARD", "1", "z1", "WITHSCORES"], "-ERR syntax error\r\n"),
            (["ZUNIONSTORE", "out", "2", "z1", "z2"], ":4\r\n"),
            (["ZRANGE", "out", "0", "-1", "WITHSCORES"], "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$2\r\n12\r\n$1\r\nc\r\n$2\r\n23\r\n$1\r\nd\r\n$2\r\n30\r\n"),
            (["ZINTERSTORE", "out", "2", "z1", "z2", "WEIGHTS", "2", "3"], ":2\r\n"),
            (["ZRANGE", "out", "0", "-1", "WITHSCORES"], "*4\r\n$1\r\nb\r\n$2\r\n34\r\n$1\r\nc\r\n$2\r\n66\r\n"),
            (["ZDIFFSTORE", "out", "2", "z1", "z2"], ":1\r\n"),
            (["ZRANGE", "out", "0", "-1", "WITHSCORES"], "*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
            (["ZINTERSTORE", "out", "2", "z1", "nokey"], ":0\r\n"),
            (["EXISTS", "out"], ":0\r\n"),
            (["ZUNIONSTORE", "z1", "2", "z1", "z2", "AGGREGATE", "MAX"], ":4\r\n"),
            (["ZRANGE", "z1", "0", "-1", "WITHSCORES"], "*8\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$2\r\n10\r\n$1\r\nc\r\n$2\r\n20\r\n$1\r\nd\r\n$2\r\n30\r\n"),
            (["ZUNIONSTORE", "out", "2", "z1", "z2", "WITHSCORES"], "-ERR syntax error\r\n"),
            (["ZDIFF", "2", "z1", "z2", "WEIGHTS", "1", "1"], "-ERR syntax error\r\n"),
            (["ZDIFF", "2", "z1", "z2", "AGGREGATE", "SUM"], "-ERR syntax error\r\n"),
            (["ZUNION", "2", "z1", "z2", "WEIGHTS", "1"], "-ERR syntax error\r\n"),
            (["ZUNION", "2", "z1", "z2", "WEIGHTS", "1", "x"], "-ERR weight value is not a float\r\n"),
            (["ZUNION", "2", "z1", "z2", "AGGREGATE", "avg"], "-ERR syntax error\r\n"),
            (["ZUNION", "0", "z1"], "-ERR at least 1 input key is needed for 'zunion' command\r\n"),
            (["ZUNION", "-1", "z1"], "-ERR at least 1 input key is needed for 'zunion' command\r\n"),
            (["ZUNION", "3", "z1", "z2"], "-ERR syntax error\r\n"),
            (["ZUNION", "x", "z1"], "-ERR value is not an integer or out of range\r\n"),
            (["ZUNIONSTORE", "out", "0", "z1"], "-ERR at least 1 input key is needed for 'zunionstore' command\r\n"),
            (["ZINTERSTORE", "out", "0", "z1"], "-ERR at least 1 input key is needed for 'zinterstore' command\r\n"),
            (["ZDIFFSTORE", "out", "0", "z1"], "-ERR at least 1 input key is needed for 'zdiffstore' command\r\n"),
            (["ZADD", "i1", "inf", "a"], ":1\r\n"),
            (["ZADD", "i2", "-inf", "a"], ":1\r\n"),
            (["ZUNION", "2", "i1", "i2", "WITHSCORES"], "*2\r\n$1\r\na\r\n$1\r\n0\r\n"),
            (["ZINTER", "2", "i1", "i2", "WITHSCORES"], "*2\r\n$1\r\na\r\n$1\r\n0\r\n"),
            (["ZUNION", "1", "i1", "WEIGHTS", "0", "WITHSCORES"], "*2\r\n$1\r\na\r\n$1\r\n0\r\n"),
            (["SET", "str", "v"], "+OK\r\n"),
            (["ZUNION", "2", "z1", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["ZUNIONSTORE", "out", "2", "z1", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["ZINTERCARD", "2", "str", "z1"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        ])
    }

    func testSetSources() {
        let h = Harness()
        h.expect([
            (["ZADD", "z", "1", "a", "2", "b", "3", "c"], ":3\r\n"),
            (["SADD", "s", "a", "b", "x"], ":3\r\n"),
            (["SADD", "ints", "1", "2", "3"], ":3\r\n"),
            (["ZADD", "zi", "5", "1", "6", "2"], ":2\r\n"),
            (["ZUNION", "2", "z", "s", "WITHSCORES"], "*8\r\n$1\r\nx\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n3\r\n$1\r\nc\r\n$1\r\n3\r\n"),
            (["ZUNION", "2", "z", "s", "WEIGHTS", "2", "10", "WITHSCORES"], "*8\r\n$1\r\nc\r\n$1\r\n6\r\n$1\r\nx\r\n$2\r\n10\r\n$1\r\na\r\n$2\r\n12\r\n$1\r\nb\r\n$2\r\n14\r\n"),
            (["ZINTER", "2", "z", "s", "WITHSCORES"], "*4\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n3\r\n"),
            (["ZINTER", "2", "s", "z", "WEIGHTS", "3", "1", "AGGREGATE", "MAX", "WITHSCORES"], "*4\r\n$1\r\na\r\n$1\r\n3\r\n$1\r\nb\r\n$1\r\n3\r\n"),
            (["ZDIFF", "2", "z", "s", "WITHSCORES"], "*2\r\n$1\r\nc\r\n$1\r\n3\r\n"),
            (["ZDIFF", "2", "s", "z", "WITHSCORES"], "*2\r\n$1\r\nx\r\n$1\r\n1\r\n"),
            (["ZINTERCARD", "2", "s", "z"], ":2\r\n"),
            (["ZUNION", "2", "ints", "zi", "WITHSCORES"], "*6\r\n$1\r\n3\r\n$1\r\n1\r\n$1\r\n1\r\n$1\r\n6\r\n$1\r\n2\r\n$1\r\n7\r\n"),
            (["ZINTER", "2", "ints", "zi", "WITHSCORES"], "*4\r\n$1\r\n1\r\n$1\r\n6\r\n$1\r\n2\r\n$1\r\n7\r\n"),
            (["ZUNIONSTORE", "out", "2", "s", "ints"], ":6\r\n"),
            (["ZRANGE", "out", "0", "-1", "WITHSCORES"], "*12\r\n$1\r\n1\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n1\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n1\r\n$1\r\nx\r\n$1\r\n1\r\n"),
            (["OBJECT", "ENCODING", "out"], "$8\r\nlistpack\r\n"),
            (["ZINTERSTORE", "out", "2", "s", "s"], ":3\r\n"),
            (["ZRANGE", "out", "0", "-1", "WITHSCORES"], "*6\r\n$1\r\na\r\n$1\r\n2\r\n$1\r\nb\r\n$1\r\n2\r\n$1\r\nx\r\n$1\r\n2\r\n"),
            (["ZDIFFSTORE", "out", "2", "s", "z"], ":1\r\n"),
            (["ZRANGE", "out", "0", "-1", "WITHSCORES"], "*2\r\n$1\r\nx\r\n$1\r\n1\r\n"),
        ])
    }

    /// Command words as byte arrays, to extend with generated arguments.
    private func words(_ w: String...) -> [[UInt8]] { w.map { Array($0.utf8) } }

    // MARK: encodings

    func testEncodingsFollowTheListpackLimits() {
        let h = Harness()
        h.run("ZADD", "small", "1", "a", "2", "b")
        XCTAssertEqual(h.encoding("small"), "listpack")
        h.run(words("ZADD", "big") + (0..<129).flatMap { [Array(String($0).utf8), Array("m\($0)".utf8)] })
        XCTAssertEqual(h.encoding("big"), "skiplist", "past zset-max-listpack-entries")
        h.run("ZADD", "long", "1", String(repeating: "x", count: 65))
        XCTAssertEqual(h.encoding("long"), "skiplist", "a first member past zset-max-listpack-value")
        h.run("ZADD", "grow", "1", "a")
        h.run("ZADD", "grow", "2", String(repeating: "y", count: 65))
        XCTAssertEqual(h.encoding("grow"), "skiplist", "converted when a long member arrives")
        h.run("ZREM", "big", "m0", "m1", "m2")
        XCTAssertEqual(h.encoding("big"), "skiplist", "removals never convert back")
        XCTAssertEqual(h.run("ZRANGESTORE", "rs", "big", "0", "9"), R.int(10))
        XCTAssertEqual(h.encoding("rs"), "listpack", "stored results take the compact form when they fit")
        XCTAssertEqual(h.run("ZUNIONSTORE", "u", "1", "big"), R.int(126))
        XCTAssertEqual(h.encoding("u"), "listpack")
        XCTAssertEqual(h.run("ZUNIONSTORE", "u2", "2", "big", "grow"), R.int(128))
        XCTAssertEqual(h.encoding("u2"), "skiplist", "a long member keeps the skip list")
        XCTAssertEqual(h.run("COPY", "big", "bigcopy"), R.int(1))
        XCTAssertEqual(h.encoding("bigcopy"), "skiplist")
        XCTAssertEqual(h.run("ZRANGE", "bigcopy", "0", "2", "WITHSCORES"), h.run("ZRANGE", "big", "0", "2", "WITHSCORES"))
        XCTAssertEqual(h.run("COPY", "small", "smallcopy"), R.int(1))
        XCTAssertEqual(h.encoding("smallcopy"), "listpack")
        h.run("CONFIG", "SET", "zset-max-listpack-entries", "0")
        h.run("ZADD", "zero", "1", "a")
        XCTAssertEqual(h.encoding("zero"), "skiplist")
        h.run("CONFIG", "SET", "zset-max-listpack-entries", "2")
        h.run("ZADD", "two", "1", "a", "2", "b", "3", "c")
        XCTAssertEqual(h.encoding("two"), "skiplist", "converted while adding past the limit")
        XCTAssertEqual(h.run("ZRANGE", "two", "0", "-1", "WITHSCORES"), R.bulks(["a", "1", "b", "2", "c", "3"]))
        h.run("SORT", "small", "ALPHA")
        XCTAssertEqual(h.encoding("small"), "skiplist", "SORT turns a listpack into a skip list, as Redis")
    }

    func testNegativeZeroIsKeptOnlyBySkipLists() {
        let h = Harness()
        XCTAssertEqual(h.run("ZADD", "lp", "-0", "x"), R.int(1))
        XCTAssertEqual(h.run("ZSCORE", "lp", "x"), R.bulk("0"), "listpacks hold integral scores as integers")
        XCTAssertEqual(h.run("ZINCRBY", "lp", "-0", "y"), R.bulk("-0"), "the reply is the computed score")
        XCTAssertEqual(h.run("ZSCORE", "lp", "y"), R.bulk("0"))
        h.run("CONFIG", "SET", "zset-max-listpack-entries", "0")
        XCTAssertEqual(h.run("ZADD", "sl", "-0", "x"), R.int(1))
        XCTAssertEqual(h.run("ZSCORE", "sl", "x"), R.bulk("-0"))
    }

    // MARK: ZSCAN and ZRANDMEMBER

    func testScan() {
        let h = Harness()
        h.run("ZADD", "lp", "1", "a", "123456789012345678", "b", "1.5", "c")
        XCTAssertEqual(h.run("ZSCAN", "lp", "0"),
                       R.array([R.bulk("0"), R.bulks(["a", "1", "c", "1.5", "b", "123456789012345680"])]),
                       "a listpack is returned whole, scores as the listpack holds them")
        XCTAssertEqual(h.run("ZSCAN", "lp", "0", "MATCH", "[ab]"), R.array([R.bulk("0"), R.bulks(["a", "1", "b", "123456789012345680"])]))
        XCTAssertEqual(h.run("ZSCAN", "nokey", "0", "foo"), R.array([R.bulk("0"), "*0\r\n"]))
        XCTAssertEqual(h.run("ZSCAN", "lp", "0", "COUNT", "0"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("ZSCAN", "lp", "0", "COUNT", "x"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("ZSCAN", "lp", "0", "TYPE", "zset"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("ZSCAN", "lp", "x"), R.err("ERR invalid cursor"))
        h.run("SET", "str", "v")
        XCTAssertEqual(h.run("ZSCAN", "str", "0"), R.err("WRONGTYPE Operation against a key holding the wrong kind of value"))

        // A skip list is scanned in steps; every member comes back exactly once when nothing changes.
        let n = 1000
        h.run(words("ZADD", "sl") + (0..<n).flatMap { [Array("\($0).5".utf8), Array("m\($0)".utf8)] })
        h.run("ZADD", "sl", "123456789012345678", "big")
        var seen: [String: String] = [:]
        var cursor = "0"
        var steps = 0
        repeat {
            let reply = h.run("ZSCAN", "sl", cursor, "COUNT", "50")
            let lines = reply.components(separatedBy: "\r\n")
            cursor = lines[2]
            var i = 5
            while i + 2 < lines.count {
                XCTAssertNil(seen[lines[i]], "member returned twice")
                seen[lines[i]] = lines[i + 2]
                i += 4
            }
            steps += 1
        } while cursor != "0" && steps < 10_000
        XCTAssertEqual(seen.count, n + 1)
        XCTAssertEqual(seen["m7"], "7.5")
        XCTAssertEqual(seen["big"], "1.2345678901234568e+17", "skip-list scores print as %.17g")
        XCTAssertGreaterThan(steps, 1)
    }

    func testRandMember() {
        let h = Harness()
        h.expect([
            (["ZRANDMEMBER", "nokey"], "$-1\r\n"),
            (["ZRANDMEMBER", "nokey", "5"], "*0\r\n"),
            (["ZADD", "z", "1", "a"], ":1\r\n"),
            (["ZRANDMEMBER", "z"], "$1\r\na\r\n"),
            (["ZRANDMEMBER", "z", "0"], "*0\r\n"),
            (["ZRANDMEMBER", "z", "1", "WITHSCORES"], "*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
            (["ZRANDMEMBER", "z", "-3"], "*3\r\n$1\r\na\r\n$1\r\na\r\n$1\r\na\r\n"),
            (["ZRANDMEMBER", "z", "5", "WITHSCORES"], "*2\r\n$1\r\na\r\n$1\r\n1\r\n"),
            (["ZRANDMEMBER", "z", "x"], "-ERR value is not an integer or out of range\r\n"),
            (["ZRANDMEMBER", "z", "1", "foo"], "-ERR syntax error\r\n"),
            (["ZRANDMEMBER", "z", "1", "WITHSCORES", "x"], "-ERR syntax error\r\n"),
            (["ZRANDMEMBER", "z", "-9223372036854775808"],
             "-ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807\r\n"),
            (["ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES"], "-ERR value is out of range\r\n"),
            (["ZRANDMEMBER", "z", "4611686018427387904", "WITHSCORES"], "-ERR value is out of range\r\n"),
        ])
        h.run("HELLO", "3")
        XCTAssertEqual(h.run("ZRANDMEMBER", "z", "-2", "WITHSCORES"), "*2\r\n*2\r\n$1\r\na\r\n,1\r\n*2\r\n$1\r\na\r\n,1\r\n")
        h.run("HELLO", "2")

        // Distinct members for positive counts, in both encodings and every strategy.
        for (key, size) in [("lp", 100), ("sl", 1000)] {
            h.run(words("ZADD", key) + (0..<size).flatMap { [Array(String($0).utf8), Array("m\($0)".utf8)] })
            for count in [1, 5, size / 2, size - 1, size, size + 10] {
                let reply = h.run("ZRANDMEMBER", key, String(count))
                let members = reply.components(separatedBy: "\r\n").filter { $0.hasPrefix("m") }
                XCTAssertEqual(members.count, min(count, size), "\(key) \(count)")
                XCTAssertEqual(Set(members).count, members.count, "\(key) \(count): no repeats")
            }
        }
        XCTAssertEqual(h.encoding("lp"), "listpack")
        XCTAssertEqual(h.encoding("sl"), "skiplist")

        // Rough uniformity: 20 members, 20000 picks with repeats; each near 1000.
        h.run(words("ZADD", "u") + (0..<20).flatMap { [Array("1".utf8), Array("e\($0)".utf8)] })
        var counts: [String: Int] = [:]
        for line in h.run("ZRANDMEMBER", "u", "-20000").components(separatedBy: "\r\n") where line.hasPrefix("e") {
            counts[line, default: 0] += 1
        }
        XCTAssertEqual(counts.count, 20)
        for (_, n) in counts { XCTAssert(n > 700 && n < 1300, "member picked \(n) times") }
    }

    // MARK: events, propagation, change counts

    func testKeyspaceEvents() {
        let h = Harness(["notify-keyspace-events": "EAn"])
        let log = h.recordEvents()
        for cmd in [["ZADD", "z", "1", "a", "2", "b"], ["ZADD", "z", "1", "a"], ["ZADD", "z", "3", "a"], ["ZADD", "z", "INCR", "1", "a"],
                    ["ZINCRBY", "z", "1", "c"], ["ZREM", "z", "a", "nosuch"], ["ZREM", "z", "nosuch"],
                    ["ZREMRANGEBYSCORE", "z", "0", "1"], ["ZREMRANGEBYRANK", "z", "0", "0"],
                    ["ZADD", "z", "1", "a", "2", "b", "3", "c"], ["ZPOPMIN", "z"], ["ZPOPMAX", "z", "5"],
                    ["ZADD", "l", "0", "a", "0", "b"], ["ZREMRANGEBYLEX", "l", "-", "+"], ["ZADD", "s", "1", "a"],
                    ["ZUNIONSTORE", "u", "1", "s"], ["ZINTERSTORE", "u", "1", "s"], ["ZDIFFSTORE", "u", "1", "s"],
                    ["ZRANGESTORE", "r", "s", "0", "-1"], ["ZUNIONSTORE", "u", "1", "nokey"], ["ZMPOP", "1", "s", "MIN"],
                    ["ZADD", "s", "1", "a", "2", "b"], ["BZPOPMAX", "s", "0"], ["BZMPOP", "0", "1", "s", "MIN"]] {
            h.run(cmd.map { Array($0.utf8) })
        }
        // Sequence as Redis 7.0.15 emits it (with `new` for created keys).
        XCTAssertEqual(log.take(), [
            "new z", "zadd z", "zadd z", "zincr z", "zincr z", "zrem z", "zremrangebyscore z", "zremrangebyrank z", "del z",
            "new z", "zadd z", "zpopmin z", "zpopmax z", "del z", "new l", "zadd l", "zremrangebylex l", "del l", "new s", "zadd s",
            "new u", "zunionstore u", "zinterstore u", "zdiffstore u", "new r", "zrangestore r", "del u", "zpopmin s", "del s",
            "new s", "zadd s", "zpopmax s", "zpopmin s", "del s",
        ])
    }

    func testRewrittenForPropagation() {
        let h = Harness()
        h.run("ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d")
        XCTAssertNil(h.propagated("ZPOPMIN", "z"), "pops propagate as called")
        XCTAssertNil(h.propagated("ZADD", "z", "INCR", "1", "b"))
        XCTAssertEqual(h.propagated("ZMPOP", "2", "nokey", "z", "MAX", "COUNT", "10"), [["ZPOPMAX", "z", "3"]])
        h.run("ZADD", "z", "1", "a", "2", "b", "3", "c")
        XCTAssertEqual(h.propagated("ZMPOP", "1", "z", "MIN"), [["ZPOPMIN", "z", "1"]])
        XCTAssertEqual(h.propagated("BZPOPMIN", "nokey", "z", "0"), [["ZPOPMIN", "z"]])
        XCTAssertEqual(h.propagated("BZPOPMAX", "z", "0"), [["ZPOPMAX", "z"]])
        h.run("ZADD", "z", "1", "a", "2", "b", "3", "c")
        XCTAssertEqual(h.propagated("BZMPOP", "0", "1", "z", "MAX", "COUNT", "2"), [["ZPOPMAX", "z", "2"]])
        XCTAssertEqual(h.propagated("BZMPOP", "0", "1", "z", "MIN", "COUNT", "5"), [["ZPOPMIN", "z", "1"]])
    }

    func testChangeCounts() {
        let h = Harness()
        XCTAssertEqual(h.changes("ZADD", "z", "1", "a", "2", "b", "3", "c"), 3)
        XCTAssertEqual(h.changes("ZADD", "z", "1", "a", "5", "b", "4", "d"), 2)
        XCTAssertEqual(h.changes("ZADD", "z", "INCR", "0", "a"), 0)
        XCTAssertEqual(h.changes("ZINCRBY", "z", "1", "a"), 1)
        XCTAssertEqual(h.changes("ZREM", "z", "a", "b", "nosuch"), 2)
        XCTAssertEqual(h.changes("ZREMRANGEBYSCORE", "z", "100", "200"), 0)
        XCTAssertEqual(h.changes("ZPOPMIN", "z", "2"), 2)
        XCTAssertEqual(h.changes("ZADD", "s", "1", "a", "2", "b"), 2)
        XCTAssertEqual(h.changes("ZUNIONSTORE", "u", "1", "s"), 1)
        XCTAssertEqual(h.changes("ZRANGESTORE", "r", "s", "0", "-1"), 1)
        XCTAssertEqual(h.changes("ZINTERSTORE", "u", "2", "s", "nokey"), 1, "deleting the destination counts")
        XCTAssertEqual(h.changes("ZINTERSTORE", "u", "2", "s", "nokey"), 0)
        XCTAssertEqual(h.changes("ZREMRANGEBYRANK", "s", "0", "-1"), 2)
    }

    // MARK: blocking

    func testBlockedPopsServedInOrder() {
        let h = Harness(["notify-keyspace-events": "EAn"])
        var logged: [String] = []
        h.server.propagator = { db, args in logged.append("\(db) " + args.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")) }
        let a = h.newClient(), b = h.newClient(), c = h.newClient()
        XCTAssertEqual(h.run("BZPOPMIN", "z", "0", on: a), "")
        XCTAssertEqual(h.run("BZMPOP", "0", "2", "other", "z", "MAX", "COUNT", "2", on: b), "")
        XCTAssertEqual(h.run("BZPOPMAX", "z", "0", on: c), "")
        XCTAssertTrue(a.flags.contains(.blocked) && b.flags.contains(.blocked) && c.flags.contains(.blocked))
        let log = h.recordEvents()
        XCTAssertEqual(h.run("ZADD", "z", "1", "a", "2", "b", "3", "c"), R.int(3))
        h.deliverTasks()
        XCTAssertEqual(Harness.takeReply(a), R.bulks(["z", "a", "1"]))
        XCTAssertEqual(Harness.takeReply(b), R.array([R.bulk("z"), R.array([R.bulks(["c", "3"]), R.bulks(["b", "2"])])]))
        XCTAssertTrue(c.flags.contains(.blocked), "nothing left for the third client")
        XCTAssertEqual(log.take(), ["new z", "zadd z", "zpopmin z", "zpopmax z", "del z"])
        XCTAssertEqual(logged, ["0 ZPOPMIN z", "0 ZPOPMAX z 2"])
        XCTAssertEqual(h.run("CLIENT", "UNBLOCK", "\(c.id)"), R.int(1))
        h.deliverTasks()
        XCTAssertEqual(Harness.takeReply(c), R.nullArray, "a timed-out pop replies a null array")
        XCTAssertEqual(h.run("EXISTS", "z"), R.int(0))
    }

    func testBlockedPopIgnoresOtherTypesAndUsesTheWaitersProtocol() {
        let h = Harness()
        let c = h.newClient()
        h.run("HELLO", "3", on: c)
        c.reply.reset()
        XCTAssertEqual(h.run("BZPOPMIN", "k", "0", on: c), "")
        h.run("RPUSH", "k", "x")
        h.deliverTasks()
        XCTAssertTrue(c.flags.contains(.blocked), "a list does not serve a sorted-set pop")
        h.run("DEL", "k")
        h.run("ZADD", "k", "2.5", "m")
        h.deliverTasks()
        XCTAssertEqual(Harness.takeReply(c), "*3\r\n$1\r\nk\r\n$1\r\nm\r\n,2.5\r\n")
        XCTAssertEqual(h.run("BZMPOP", "0", "1", "k", "MIN", on: c), "")
        h.run("ZADD", "k", "1", "n")
        h.deliverTasks()
        XCTAssertEqual(Harness.takeReply(c), "*2\r\n$1\r\nk\r\n*1\r\n*2\r\n$1\r\nn\r\n,1\r\n")
    }

    func testBlockingDeniedInsideMulti() {
        let h = Harness()
        let c = h.newClient()
        c.flags.insert(.multi)
        for args in [["BZPOPMIN", "k", "0"], ["BZPOPMAX", "k", "1"], ["BZMPOP", "0", "1", "k", "MIN"]] {
            c.load(OwnedCommand(args))
            h.server.call(c, h.server.commands.lookup(args[0])!)
            XCTAssertEqual(Harness.takeReply(c), R.nullArray)
            XCTAssertFalse(c.flags.contains(.blocked))
        }
    }

    // MARK: persistence

    func testDumpMatchesRedis() {
        let h = Harness()
        h.run("ZADD", "z", "1", "a", "2.5", "b", "-3", "c", "1e300", "d", "inf", "e", "123456789012345678", "f")
        // DUMP z from Redis 7.0.15 after the same ZADD (a listpack).
        let expected: [UInt8] = [0x11, 0xc3, 0x40, 0x43, 0x40, 0x4b, 0x1f, 0x4b, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x81, 0x63, 0x02,
                                 0xdf, 0xfd, 0x02, 0x81, 0x61, 0x02, 0x01, 0x01, 0x81, 0x62, 0x02, 0x83, 0x32, 0x2e, 0x35, 0x04,
                                 0x81, 0x66, 0x02, 0xf4, 0x50, 0xf3, 0x30, 0x0c, 0xa6, 0x4b, 0x9b, 0xb6, 0x01, 0x09, 0x81, 0x64,
                                 0x02, 0x97, 0x31, 0x2e, 0x30, 0xe0, 0x05, 0x00, 0x0f, 0x31, 0x65, 0x2b, 0x33, 0x30, 0x30, 0x18,
                                 0x81, 0x65, 0x02, 0x83, 0x69, 0x6e, 0x66, 0x04, 0xff, 0x0a, 0x00, 0x0b, 0x49, 0x8a, 0x63, 0xdc,
                                 0x86, 0xad, 0x52]
        let dump = h.runBytes([Array("DUMP".utf8), Array("z".utf8)])
        XCTAssertEqual(dump, Harness.bulkBytes(expected))
        // Round trips through RESTORE keep members, scores and the encoding.
        let payload = Array(dump[(dump.firstIndex(of: 10)! + 1)..<(dump.count - 2)])
        h.run("CONFIG", "SET", "zset-max-listpack-entries", "2")
        h.run(words("ZADD", "sl") + (0..<50).flatMap { [Array(String(Double($0) / 4).utf8), Array("m\($0)".utf8)] })
        XCTAssertEqual(h.encoding("sl"), "skiplist")
        let slDump = h.runBytes([Array("DUMP".utf8), Array("sl".utf8)])
        let slPayload = Array(slDump[(slDump.firstIndex(of: 10)! + 1)..<(slDump.count - 2)])
        h.run("CONFIG", "SET", "zset-max-listpack-entries", "128")
        XCTAssertEqual(h.runBytes([Array("RESTORE".utf8), Array("z2".utf8), Array("0".utf8), payload]), Array("+OK\r\n".utf8))
        XCTAssertEqual(h.run("ZRANGE", "z2", "0", "-1", "WITHSCORES"), h.run("ZRANGE", "z", "0", "-1", "WITHSCORES"))
        XCTAssertEqual(h.encoding("z2"), "listpack")
        XCTAssertEqual(h.runBytes([Array("RESTORE".utf8), Array("sl2".utf8), Array("0".utf8), slPayload]), Array("+OK\r\n".utf8))
        XCTAssertEqual(h.run("ZRANGE", "sl2", "0", "-1", "WITHSCORES"), h.run("ZRANGE", "sl", "0", "-1", "WITHSCORES"))
        XCTAssertEqual(h.encoding("sl2"), "listpack", "a loaded set that fits takes the compact form, as in Redis")
    }

    // MARK: structure

    /// Random operations against both encodings, checked against a sorted array model.
    func testModelAgainstRandomOperations() {
        var rng = SystemRandomNumberGenerator()
        for compact in [true, false] {
            let z = ZSetValue(compact: compact)
            var model: [(String, Double)] = []
            func sortModel() {
                model.sort { a, b in a.1 != b.1 ? a.1 < b.1 : Array(a.0.utf8).lexicographicallyPrecedes(Array(b.0.utf8)) }
            }
            func check() {
                XCTAssertEqual(z.count, model.count)
                var got: [(String, Double)] = []
                z.forEach { m, s in got.append((String(decoding: m, as: UTF8.self), s)) }
                XCTAssertEqual(got.map { $0.0 }, model.map { $0.0 })
                XCTAssertEqual(got.map { $0.1 }, model.map { $0.1 })
            }
            let limit = compact ? Int.max : 0
            for step in 0..<4000 {
                let member = "m\(Int.random(in: 0..<300, using: &rng))"
                let score = Double(Int.random(in: -50...50, using: &rng)) / 2
                switch Int.random(in: 0..<10, using: &rng) {
                case 0...4:
                    let (outcome, _) = Array(member.utf8).withBytes { z.add($0, score: score, maxEntries: limit, maxValue: limit) }
                    if let i = model.firstIndex(where: { $0.0 == member }) {
                        XCTAssert(outcome == .updated || outcome == .unchanged)
                        model[i].1 = score
                    } else {
                        XCTAssert(outcome == .added)
                        model.append((member, score))
                    }
                    sortModel()
                case 5...6:
                    let removed = Array(member.utf8).withBytes { z.remove($0) }
                    XCTAssertEqual(removed, model.contains { $0.0 == member })
                    model.removeAll { $0.0 == member }
                case 7:
                    if let i = model.indices.randomElement(using: &rng) {
                        XCTAssertEqual(Array(model[i].0.utf8).withBytes { z.rank(of: $0, reverse: false) }, i)
                        XCTAssertEqual(Array(model[i].0.utf8).withBytes { z.rank(of: $0, reverse: true) }, model.count - 1 - i)
                        XCTAssertEqual(String(decoding: z.member(z.cursor(rank: i)), as: UTF8.self), model[i].0)
                    }
                case 8:
                    let r = ZScoreRange(min: score, max: score + 5, minExclusive: step % 2 == 0, maxExclusive: step % 3 == 0)
                    let inRange = model.indices.filter { r.aboveMin(model[$0].1) && r.belowMax(model[$0].1) }
                    XCTAssertEqual(z.firstInRange(r)?.1, inRange.first)
                    XCTAssertEqual(z.lastInRange(r)?.1, inRange.last)
                default:
                    if model.count > 10 {
                        let start = Int.random(in: 0..<model.count, using: &rng)
                        let end = min(model.count - 1, start + Int.random(in: 0..<5, using: &rng))
                        XCTAssertEqual(z.removeRange(ranks: start, end), end - start + 1)
                        model.removeSubrange(start...end)
                    }
                }
                if step % 500 == 0 { check() }
            }
            check()
            let copy = z.duplicate() as! ZSetValue
            XCTAssertEqual(copy.count, z.count)
            XCTAssertEqual(copy.isCompact, z.isCompact)
        }
    }

    func testScoreFormatting() {
        var buf = [UInt8](repeating: 0, count: 32)
        func text(_ d: Double) -> String {
            let n = buf.withUnsafeMutableBufferPointer { Numbers.formatDouble17g(d, into: $0.baseAddress!) }
            return String(decoding: buf[0..<n], as: UTF8.self)
        }
        XCTAssertEqual(text(1.1), "1.1000000000000001")
        XCTAssertEqual(text(3), "3")
        XCTAssertEqual(text(-0.0), "-0")
        XCTAssertEqual(text(.infinity), "inf")
        XCTAssertEqual(text(-.infinity), "-inf")
        XCTAssertEqual(text(1e20), "1e+20")
        XCTAssertEqual(text(123456789012345678), "1.2345678901234568e+17")
        XCTAssertEqual(text(999_999_999_999_999), "999999999999999")
        XCTAssertEqual(text(-2.5e-300), "-2.5e-300")
    }
}
