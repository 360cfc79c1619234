import CinnabarCore
import XCTest

/// Expected replies were taken from Redis 7.0.15 running the same commands.
final class SortCommandsTests: XCTestCase {
    func testNumericAndAlpha() {
        let h = Harness()
        h.expect([
            (["RPUSH", "l", "3", "1", "2", "10", "-5", "1.5"], ":6\r\n"),
            (["SORT", "l"], "*6\r\n$2\r\n-5\r\n$1\r\n1\r\n$3\r\n1.5\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n"),
            (["SORT", "l", "DESC"], "*6\r\n$2\r\n10\r\n$1\r\n3\r\n$1\r\n2\r\n$3\r\n1.5\r\n$1\r\n1\r\n$2\r\n-5\r\n"),
            (["SORT", "l", "ASC"], "*6\r\n$2\r\n-5\r\n$1\r\n1\r\n$3\r\n1.5\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n"),
            (["SORT", "l", "ALPHA"], "*6\r\n$2\r\n-5\r\n$1\r\n1\r\n$3\r\n1.5\r\n$2\r\n10\r\n$1\r\n2\r\n$1\r\n3\r\n"),
            (["SORT", "l", "ALPHA", "DESC"], "*6\r\n$1\r\n3\r\n$1\r\n2\r\n$2\r\n10\r\n$3\r\n1.5\r\n$1\r\n1\r\n$2\r\n-5\r\n"),
            (["SORT", "l", "LIMIT", "1", "2"], "*2\r\n$1\r\n1\r\n$3\r\n1.5\r\n"),
            (["SORT", "l", "LIMIT", "-1", "2"], "*2\r\n$2\r\n-5\r\n$1\r\n1\r\n"),
            (["SORT", "l", "LIMIT", "2", "-1"], "*4\r\n$3\r\n1.5\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n"),
            (["SORT", "l", "LIMIT", "10", "2"], "*0\r\n"),
            (["SORT", "l", "LIMIT", "0", "0"], "*0\r\n"),
            (["SORT", "l", "LIMIT", "5", "100"], "*1\r\n$2\r\n10\r\n"),
            (["SORT", "l", "LIMIT", "a", "b"], "-ERR value is not an integer or out of range\r\n"),
            (["SORT", "l", "LIMIT", "1"], "-ERR syntax error\r\n"),
            (["SORT", "l", "foo"], "-ERR syntax error\r\n"),
            (["SORT_RO", "l", "ALPHA", "LIMIT", "0", "3"], "*3\r\n$2\r\n-5\r\n$1\r\n1\r\n$3\r\n1.5\r\n"),
            (["SORT_RO", "l", "STORE", "x"], "-ERR syntax error\r\n"),
            (["RPUSH", "bad", "1", "x", "2"], ":3\r\n"),
            (["SORT", "bad"], "-ERR One or more scores can't be converted into double\r\n"),
            (["SORT", "bad", "ALPHA"], "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\nx\r\n"),
            (["SORT", "bad", "BY", "nosort"], "*3\r\n$1\r\n1\r\n$1\r\nx\r\n$1\r\n2\r\n"),
            (["RPUSH", "ties", "2", "b", "2", "a", "1", "c"], ":6\r\n"),
            (["SORT", "ties", "ALPHA"], "*6\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n2\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
            (["RPUSH", "nums", "3", "03", "3.0", "1e0", "0x1", " 1", "inf", "-inf"], ":8\r\n"),
            (["SORT", "nums", "ALPHA"], "*8\r\n$2\r\n 1\r\n$4\r\n-inf\r\n$2\r\n03\r\n$3\r\n0x1\r\n$3\r\n1e0\r\n$1\r\n3\r\n$3\r\n3.0\r\n$3\r\ninf\r\n"),
            (["RPUSH", "hi", "bxffc", "bxc3xa9", "bz", "b\u{0}a", "b\u{0}b", "B", "b"], ":7\r\n"),
            (["SORT", "hi", "ALPHA"], "*7\r\n$1\r\nB\r\n$3\r\nb\u{0}a\r\n$3\r\nb\u{0}b\r\n$1\r\nb\r\n$7\r\nbxc3xa9\r\n$5\r\nbxffc\r\n$2\r\nbz\r\n"),
            (["SORT", "hi", "ALPHA", "DESC"], "*7\r\n$2\r\nbz\r\n$5\r\nbxffc\r\n$7\r\nbxc3xa9\r\n$3\r\nb\u{0}a\r\n$3\r\nb\u{0}b\r\n$1\r\nb\r\n$1\r\nB\r\n"),
            (["SORT", "nokey"], "*0\r\n"),
            (["SORT", "nokey", "ALPHA", "LIMIT", "0", "5"], "*0\r\n"),
            (["SET", "str", "v"], "+OK\r\n"),
            (["SORT", "str"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            (["SORT", "str", "BY", "nosort"], "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
        ])
    }

    func testByAndGet() {
        let h = Harness()
        h.expect([
            (["RPUSH", "l", "3", "1", "2", "10"], ":4\r\n"),
            (["SET", "w_3", "30"], "+OK\r\n"),
            (["SET", "w_1", "10"], "+OK\r\n"),
            (["SET", "w_2", "20"], "+OK\r\n"),
            (["SET", "w_10", "5"], "+OK\r\n"),
            (["SET", "o_1", "one"], "+OK\r\n"),
            (["SET", "o_3", "three"], "+OK\r\n"),
            (["SORT", "l", "BY", "w_*"], "*4\r\n$2\r\n10\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"),
            (["SORT", "l", "BY", "w_*", "DESC"], "*4\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n1\r\n$2\r\n10\r\n"),
            (["SORT", "l", "BY", "w_*", "LIMIT", "1", "2"], "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"),
            (["SORT", "l", "BY", "w_*", "GET", "#"], "*4\r\n$2\r\n10\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"),
            (["SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*"], "*8\r\n$2\r\n10\r\n$1\r\n5\r\n$1\r\n1\r\n$2\r\n10\r\n$1\r\n2\r\n$2\r\n20\r\n$1\r\n3\r\n$2\r\n30\r\n"),
            (["SORT", "l", "GET", "w_*", "GET", "nosuch"], "*8\r\n$2\r\n10\r\n$-1\r\n$2\r\n20\r\n$-1\r\n$2\r\n30\r\n$-1\r\n$1\r\n5\r\n$-1\r\n"),
            (["SORT", "l", "GET", "nostar"], "*4\r\n$-1\r\n$-1\r\n$-1\r\n$-1\r\n"),
            (["SORT", "l", "GET", "o_*", "ALPHA"], "*4\r\n$3\r\none\r\n$-1\r\n$-1\r\n$5\r\nthree\r\n"),
            (["SORT", "l", "BY", "o_*", "ALPHA"], "*4\r\n$1\r\n2\r\n$2\r\n10\r\n$1\r\n1\r\n$1\r\n3\r\n"),
            (["SORT", "l", "BY", "o_*", "ALPHA", "DESC"], "*4\r\n$1\r\n3\r\n$1\r\n1\r\n$1\r\n2\r\n$2\r\n10\r\n"),
            (["SORT", "l", "BY", "w_*", "ALPHA"], "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n"),
            (["SORT", "l", "BY", "nosort"], "*4\r\n$1\r\n3\r\n$1\r\n1\r\n$1\r\n2\r\n$2\r\n10\r\n"),
            (["SORT", "l", "BY", "nosort", "DESC"], "*4\r\n$2\r\n10\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n"),
            (["SORT", "l", "BY", "nosort", "LIMIT", "1", "2"], "*2\r\n$1\r\n1\r\n$1\r\n2\r\n"),
            (["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"], "*2\r\n$1\r\n2\r\n$1\r\n1\r\n"),
            (["SORT", "l", "BY", "nosort", "LIMIT", "10", "2"], "*0\r\n"),
            (["SORT", "l", "BY", "nosort", "GET", "w_*"], "*4\r\n$2\r\n30\r\n$2\r\n10\r\n$2\r\n20\r\n$1\r\n5\r\n"),
            (["SET", "bad_3", "x"], "+OK\r\n"),
            (["SORT", "l", "BY", "bad_*"], "-ERR One or more scores can't be converted into double\r\n"),
            (["SORT", "l", "BY", "w_*-suffix"], "*4\r\n$1\r\n1\r\n$2\r\n10\r\n$1\r\n2\r\n$1\r\n3\r\n"),
            (["SET", "w_3-suffix", "1"], "+OK\r\n"),
            (["SORT", "l", "BY", "w_*-suffix", "GET", "w_*-suffix"], "*4\r\n$-1\r\n$-1\r\n$-1\r\n$1\r\n1\r\n"),
            (["SORT", "l", "BY", "w_*", "BY", "nosort"], "*4\r\n$1\r\n3\r\n$1\r\n1\r\n$1\r\n2\r\n$2\r\n10\r\n"),
            (["SORT", "l", "BY", "nosort", "BY", "w_*"], "*4\r\n$1\r\n3\r\n$1\r\n1\r\n$1\r\n2\r\n$2\r\n10\r\n"),
        ])
    }

    func testStore() {
        let h = Harness()
        h.expect([
            (["RPUSH", "l", "3", "1", "2"], ":3\r\n"),
            (["SORT", "l", "STORE", "dst"], ":3\r\n"),
            (["LRANGE", "dst", "0", "-1"], "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"),
            (["TYPE", "dst"], "+list\r\n"),
            (["OBJECT", "ENCODING", "dst"], "$9\r\nquicklist\r\n"),
            (["SORT", "l", "STORE", "dst", "LIMIT", "1", "1"], ":1\r\n"),
            (["LRANGE", "dst", "0", "-1"], "*1\r\n$1\r\n2\r\n"),
            (["SORT", "l", "BY", "nosort", "STORE", "dst", "DESC"], ":3\r\n"),
            (["LRANGE", "dst", "0", "-1"], "*3\r\n$1\r\n2\r\n$1\r\n1\r\n$1\r\n3\r\n"),
            (["SORT", "l", "GET", "nosuch_*", "STORE", "dst"], ":3\r\n"),
            (["LRANGE", "dst", "0", "-1"], "*3\r\n$0\r\n\r\n$0\r\n\r\n$0\r\n\r\n"),
            (["SORT", "l", "GET", "#", "GET", "#", "STORE", "dst"], ":6\r\n"),
            (["LRANGE", "dst", "0", "-1"], "*6\r\n$1\r\n1\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n3\r\n"),
            (["SORT", "l", "LIMIT", "0", "0", "STORE", "dst"], ":0\r\n"),
            (["EXISTS", "dst"], ":0\r\n"),
            (["SORT", "nokey", "STORE", "dst"], ":0\r\n"),
            (["SET", "str", "v"], "+OK\r\n"),
            (["SORT", "l", "STORE", "str"], ":3\r\n"),
            (["TYPE", "str"], "+list\r\n"),
            (["SORT", "l", "STORE", "a", "STORE", "b"], ":3\r\n"),
            (["EXISTS", "a"], ":0\r\n"),
            (["LRANGE", "b", "0", "-1"], "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"),
            (["SORT", "l", "STORE", "l"], ":3\r\n"),
            (["LRANGE", "l", "0", "-1"], "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"),
        ])
    }

    func testSortedSetSources() {
        let h = Harness()
        h.expect([
            (["ZADD", "z", "5", "a", "3", "b", "1", "c", "9", "d"], ":4\r\n"),
            (["SORT", "z", "ALPHA"], "*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$1\r\nd\r\n"),
            (["SORT", "z", "ALPHA", "DESC"], "*4\r\n$1\r\nd\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n"),
            (["SORT", "z", "BY", "nosort"], "*4\r\n$1\r\nc\r\n$1\r\nb\r\n$1\r\na\r\n$1\r\nd\r\n"),
            (["SORT", "z", "BY", "nosort", "DESC"], "*4\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n"),
            (["SORT", "z", "BY", "nosort", "LIMIT", "1", "2"], "*2\r\n$1\r\nb\r\n$1\r\na\r\n"),
            (["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2"], "*2\r\n$1\r\na\r\n$1\r\nb\r\n"),
            (["SORT", "z", "BY", "nosort", "LIMIT", "3", "10"], "*1\r\n$1\r\nd\r\n"),
            (["SORT", "z"], "-ERR One or more scores can't be converted into double\r\n"),
            (["ZADD", "zn", "1", "10", "2", "2", "3", "33"], ":3\r\n"),
            (["SORT", "zn"], "*3\r\n$1\r\n2\r\n$2\r\n10\r\n$2\r\n33\r\n"),
            (["SORT", "zn", "DESC", "LIMIT", "0", "2"], "*2\r\n$2\r\n33\r\n$2\r\n10\r\n"),
            (["SORT", "zn", "BY", "nosort"], "*3\r\n$2\r\n10\r\n$1\r\n2\r\n$2\r\n33\r\n"),
            (["SORT", "zn", "BY", "nosort", "STORE", "out"], ":3\r\n"),
            (["LRANGE", "out", "0", "-1"], "*3\r\n$2\r\n10\r\n$1\r\n2\r\n$2\r\n33\r\n"),
        ])
    }

    func testKeysFromCommand() {
        let h = Harness()
        h.expect([
            (["COMMAND", "GETKEYS", "SORT", "abc", "STORE", "def"], "*2\r\n$3\r\nabc\r\n$3\r\ndef\r\n"),
            (["COMMAND", "GETKEYS", "SORT_RO", "abc"], "*1\r\n$3\r\nabc\r\n"),
            (["COMMAND", "GETKEYS", "SORT", "abc", "STORE", "invalid", "STORE", "stillbad", "STORE", "def"], "*2\r\n$3\r\nabc\r\n$3\r\ndef\r\n"),
            (["COMMAND", "GETKEYS", "SORT", "abc", "LIMIT", "0", "1", "STORE", "def"], "*2\r\n$3\r\nabc\r\n$3\r\ndef\r\n"),
            (["COMMAND", "GETKEYS", "SORT", "abc", "GET", "store", "STORE", "def"], "*2\r\n$3\r\nabc\r\n$3\r\ndef\r\n"),
            (["COMMAND", "INFO", "SORT", "SORT_RO"], "*2\r\n*10\r\n$4\r\nsort\r\n:-2\r\n*3\r\n+write\r\n+denyoom\r\n+movablekeys\r\n:1\r\n:1\r\n:1\r\n*6\r\n+@write\r\n+@set\r\n+@sortedset\r\n+@list\r\n+@slow\r\n+@dangerous\r\n*0\r\n*3\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*8\r\n$5\r\nnotes\r\n$120\r\nFor the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$7\r\nunknown\r\n$4\r\nspec\r\n*0\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$7\r\nunknown\r\n$4\r\nspec\r\n*0\r\n*8\r\n$5\r\nnotes\r\n$116\r\nFor the optional STORE keyword. It is marked 'unknown' because the keyword can appear anywhere in the argument array\r\n$5\r\nflags\r\n*2\r\n+OW\r\n+update\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$7\r\nunknown\r\n$4\r\nspec\r\n*0\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$7\r\nunknown\r\n$4\r\nspec\r\n*0\r\n*0\r\n*10\r\n$7\r\nsort_ro\r\n:-2\r\n*2\r\n+readonly\r\n+movablekeys\r\n:1\r\n:1\r\n:1\r\n*6\r\n+@read\r\n+@set\r\n+@sortedset\r\n+@list\r\n+@slow\r\n+@dangerous\r\n*0\r\n*2\r\n*6\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*8\r\n$5\r\nnotes\r\n$120\r\nFor the optional BY/GET keyword. It is marked 'unknown' because the key names derive from the content of the key we sort\r\n$5\r\nflags\r\n*2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$7\r\nunknown\r\n$4\r\nspec\r\n*0\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$7\r\nunknown\r\n$4\r\nspec\r\n*0\r\n*0\r\n"),
        ])
    }

    func testHashPatternsAndSets() {
        let h = Harness()
        h.expect([
            (["RPUSH", "l", "3", "1", "2"], ":3\r\n"),
            (["HSET", "h_1", "w", "10", "name", "one"], ":2\r\n"),
            (["HSET", "h_2", "w", "30", "name", "two"], ":2\r\n"),
            (["HSET", "h_3", "w", "20"], ":1\r\n"),
            (["SORT", "l", "BY", "h_*->w"], "*3\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n2\r\n"),
            (["SORT", "l", "BY", "h_*->w", "DESC", "GET", "h_*->name", "GET", "#"], "*6\r\n$3\r\ntwo\r\n$1\r\n2\r\n$-1\r\n$1\r\n3\r\n$3\r\none\r\n$1\r\n1\r\n"),
            (["SORT", "l", "BY", "h_*->nosuch"], "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n"),
            (["SORT", "l", "GET", "h_*->"], "*3\r\n$-1\r\n$-1\r\n$-1\r\n"),
            (["SET", "h_9->", "strval"], "+OK\r\n"),
            (["RPUSH", "l2", "9"], ":1\r\n"),
            (["SORT", "l2", "GET", "h_*->"], "*1\r\n$6\r\nstrval\r\n"),
            (["SORT", "l", "BY", "h_*->name", "ALPHA"], "*3\r\n$1\r\n3\r\n$1\r\n1\r\n$1\r\n2\r\n"),
            (["SORT", "l", "GET", "h_*->w", "STORE", "dst"], ":3\r\n"),
            (["LRANGE", "dst", "0", "-1"], "*3\r\n$2\r\n10\r\n$2\r\n30\r\n$2\r\n20\r\n"),
            (["SET", "plain_1", "x"], "+OK\r\n"),
            (["SORT", "l", "GET", "plain_*->f"], "*3\r\n$-1\r\n$-1\r\n$-1\r\n"),
            (["SADD", "s", "5", "3", "9", "1"], ":4\r\n"),
            (["SORT", "s"], "*4\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n$1\r\n9\r\n"),
            (["SORT", "s", "DESC", "LIMIT", "0", "2"], "*2\r\n$1\r\n9\r\n$1\r\n5\r\n"),
            (["SORT", "s", "STORE", "dst2"], ":4\r\n"),
            (["LRANGE", "dst2", "0", "-1"], "*4\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n$1\r\n9\r\n"),
            (["SORT", "s", "BY", "nosort", "STORE", "dst3"], ":4\r\n"),
            (["LRANGE", "dst3", "0", "-1"], "*4\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n$1\r\n9\r\n"),
            (["SADD", "words", "banana", "apple", "cherry"], ":3\r\n"),
            (["SORT", "words", "ALPHA"], "*3\r\n$5\r\napple\r\n$6\r\nbanana\r\n$6\r\ncherry\r\n"),
            (["SORT", "words", "BY", "nosort", "ALPHA", "STORE", "w2"], ":3\r\n"),
            (["LRANGE", "w2", "0", "-1"], "*3\r\n$5\r\napple\r\n$6\r\nbanana\r\n$6\r\ncherry\r\n"),
        ])
    }

    // MARK: locking, events, change counts

    func testKeyFinderLocksEverythingForPatterns() {
        let h = Harness()
        let sort = h.server.commands.lookup("sort")!
        func locations(_ args: String...) -> String {
            let c = h.newClient()
            c.load(OwnedCommand(args))
            switch sort.keyPositions(c) {
            case .everything: return "all"
            case .positions(let p): return p.map(String.init).joined(separator: ",")
            }
        }
        XCTAssertEqual(locations("SORT", "k"), "1")
        XCTAssertEqual(locations("SORT", "k", "STORE", "d"), "1,3")
        XCTAssertEqual(locations("SORT", "k", "STORE", "a", "STORE", "b"), "1,5")
        XCTAssertEqual(locations("SORT", "k", "BY", "nosort", "GET", "#", "STORE", "d"), "1,7")
        XCTAssertEqual(locations("SORT", "k", "GET", "nostar"), "1")
        XCTAssertEqual(locations("SORT", "k", "BY", "w_*"), "all")
        XCTAssertEqual(locations("SORT", "k", "GET", "#", "GET", "o_*->f"), "all")
        XCTAssertEqual(locations("SORT", "k", "by", "*"), "all")
        XCTAssertTrue(sort.flags.contains(.movableKeys))
        XCTAssertEqual(sort.aclCategories, ["@write", "@set", "@sortedset", "@list", "@slow", "@dangerous"])
    }

    func testStoreEventsAndChangeCounts() {
        let h = Harness(["notify-keyspace-events": "EAn"])
        h.run("RPUSH", "l", "3", "1", "2")
        let log = h.recordEvents()
        XCTAssertEqual(h.changes("SORT", "l", "STORE", "d"), 3)
        XCTAssertEqual(h.changes("SORT", "l", "GET", "#", "GET", "#", "STORE", "d"), 6)
        XCTAssertEqual(h.changes("SORT", "l"), 0)
        XCTAssertEqual(h.changes("SORT", "l", "LIMIT", "0", "0", "STORE", "d"), 1)
        XCTAssertEqual(h.changes("SORT", "l", "LIMIT", "0", "0", "STORE", "d"), 0)
        XCTAssertEqual(log.take(), ["new d", "sortstore d", "sortstore d", "del d"])
    }
}
