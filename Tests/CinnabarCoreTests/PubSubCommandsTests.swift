import CinnabarCore
import XCTest

final class PubSubCommandsTests: XCTestCase {
    /// Everything `c` received since the last call (deliveries from other clients included).
    private func received(_ h: Harness, _ c: Client) -> String {
        // Deliveries that came through the loop's task queue (keyspace events from this thread).
        h.server.contexts[0].loop.runPendingTasks()
        let out = String(decoding: c.reply.bytes(from: 0), as: UTF8.self)
        c.reply.reset()
        return out
    }

    private func push3(_ kind: String, _ a: String, _ b: String) -> String { "*3\r\n" + R.bulk(kind) + R.bulk(a) + R.bulk(b) }
    private func confirm(_ kind: String, _ name: String?, _ n: Int) -> String {
        "*3\r\n" + R.bulk(kind) + (name.map(R.bulk) ?? R.null) + R.int(n)
    }

    func testSubscribePublishUnsubscribe() {
        let h = Harness()
        let sub = h.newClient()
        XCTAssertEqual(h.run("SUBSCRIBE", "chan1", "chan2", on: sub), confirm("subscribe", "chan1", 1) + confirm("subscribe", "chan2", 2))
        XCTAssertEqual(h.run("PUBLISH", "chan1", "hello"), R.int(1))
        XCTAssertEqual(h.run("PUBLISH", "chan2", "world"), R.int(1))
        XCTAssertEqual(h.run("PUBLISH", "other", "x"), R.int(0))
        XCTAssertEqual(received(h, sub), push3("message", "chan1", "hello") + push3("message", "chan2", "world"))
        XCTAssertEqual(h.run("UNSUBSCRIBE", "chan1", "nosuch", on: sub), confirm("unsubscribe", "chan1", 1) + confirm("unsubscribe", "nosuch", 1))
        XCTAssertEqual(h.run("PUBLISH", "chan1", "hello"), R.int(0))
        XCTAssertEqual(h.run("UNSUBSCRIBE", on: sub), confirm("unsubscribe", "chan2", 0))
        XCTAssertEqual(h.run("UNSUBSCRIBE", on: sub), confirm("unsubscribe", nil, 0))
        XCTAssertFalse(sub.flags.contains(.pubsub))
        XCTAssertEqual(h.run("GET", "x", on: sub), R.null)
    }

    func testSubscribedModeInRESP2() {
        let h = Harness()
        XCTAssertEqual(h.run("SUBSCRIBE", "a", "a", "a"), confirm("subscribe", "a", 1) + confirm("subscribe", "a", 1) + confirm("subscribe", "a", 1))
        XCTAssertEqual(h.run("GET", "x"), R.err("ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"))
        XCTAssertEqual(h.run("PING"), "*2\r\n$4\r\npong\r\n$0\r\n\r\n")
        XCTAssertEqual(h.run("PING", "foo"), "*2\r\n$4\r\npong\r\n$3\r\nfoo\r\n")
        XCTAssertTrue(h.run("CLIENT", "INFO").hasPrefix("-ERR Can't execute 'client|info'"))
        XCTAssertEqual(h.run("RESET"), R.status("RESET"))
        XCTAssertEqual(h.run("PUBLISH", "a", "x"), R.int(0))
        XCTAssertEqual(h.run("PING"), R.status("PONG"))
    }

    func testPatterns() {
        let h = Harness()
        let sub = h.newClient()
        XCTAssertEqual(h.run("SUBSCRIBE", "foo.bar", on: sub), confirm("subscribe", "foo.bar", 1))
        XCTAssertEqual(h.run("PSUBSCRIBE", "foo.*", "bar.*", on: sub), confirm("psubscribe", "foo.*", 2) + confirm("psubscribe", "bar.*", 3))
        XCTAssertEqual(h.run("PUBLISH", "foo.bar", "hello"), R.int(2))
        XCTAssertEqual(h.run("PUBLISH", "barfoo.1", "hello"), R.int(0))
        XCTAssertEqual(h.run("PUBLISH", "bar.1", "x"), R.int(1))
        XCTAssertEqual(received(h, sub), push3("message", "foo.bar", "hello")
                       + "*4\r\n" + R.bulk("pmessage") + R.bulk("foo.*") + R.bulk("foo.bar") + R.bulk("hello")
                       + "*4\r\n" + R.bulk("pmessage") + R.bulk("bar.*") + R.bulk("bar.1") + R.bulk("x"))
        XCTAssertEqual(h.run("PUBSUB", "NUMPAT"), R.int(2))
        XCTAssertEqual(h.run("PUNSUBSCRIBE", "foo.*", on: sub), confirm("punsubscribe", "foo.*", 2))
        XCTAssertEqual(h.run("PUNSUBSCRIBE", on: sub), confirm("punsubscribe", "bar.*", 1))
        XCTAssertEqual(h.run("PUNSUBSCRIBE", on: sub), confirm("punsubscribe", nil, 1))
        XCTAssertTrue(sub.flags.contains(.pubsub))
        XCTAssertEqual(h.run("PUNSUBSCRIBE", "x", on: sub), confirm("punsubscribe", "x", 1))
        XCTAssertEqual(h.run("PUBSUB", "NUMPAT"), R.int(0))
    }

    func testIntrospection() {
        let h = Harness()
        let a = h.newClient(), b = h.newClient()
        h.run("SUBSCRIBE", "news", "sport", on: a)
        h.run("SUBSCRIBE", "news", on: b)
        h.run("PSUBSCRIBE", "n*", on: a)
        h.run("PSUBSCRIBE", "n*", "s*", on: b)
        h.run("SSUBSCRIBE", "shard", on: b)
        XCTAssertEqual(h.run("PUBSUB", "NUMSUB", "news", "sport", "none"),
                       "*6\r\n" + R.bulk("news") + R.int(2) + R.bulk("sport") + R.int(1) + R.bulk("none") + R.int(0))
        XCTAssertEqual(h.run("PUBSUB", "NUMSUB"), "*0\r\n")
        XCTAssertEqual(h.run("PUBSUB", "NUMPAT"), R.int(2))
        XCTAssertEqual(h.run("PUBSUB", "CHANNELS", "s*"), R.bulks(["sport"]))
        XCTAssertEqual(h.run("PUBSUB", "SHARDCHANNELS"), R.bulks(["shard"]))
        XCTAssertEqual(h.run("PUBSUB", "SHARDNUMSUB", "shard", "news"), "*4\r\n" + R.bulk("shard") + R.int(1) + R.bulk("news") + R.int(0))
        XCTAssertEqual(h.run("PUBSUB", "CHANNELS", "a", "b"), R.err("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP."))
        XCTAssertEqual(h.run("PUBSUB", "NUMPAT", "x"), R.err("ERR wrong number of arguments for 'pubsub|numpat' command"))
        XCTAssertEqual(h.run("PUBSUB", "FOO"), R.err("ERR unknown subcommand 'FOO'. Try PUBSUB HELP."))
        XCTAssertTrue(h.run("PUBSUB", "HELP").hasPrefix("*14\r\n+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"))
        let info = h.run("INFO", "stats")
        XCTAssertTrue(info.contains("pubsub_channels:2\r\npubsub_patterns:2\r\npubsubshard_channels:1\r\n"), info)
        let lineB = ConnectionCommands.clientInfoLine(b, now: 0)
        XCTAssertTrue(lineB.contains(" flags=P db=0 sub=1 psub=2 ssub=1 multi=-1 "), lineB)
        // Disconnection releases everything.
        a.close()
        b.close()
        XCTAssertEqual(h.run("PUBSUB", "NUMPAT"), R.int(0))
        XCTAssertEqual(h.run("PUBSUB", "CHANNELS"), "*0\r\n")
        XCTAssertEqual(h.run("PUBSUB", "SHARDCHANNELS"), "*0\r\n")
    }

    func testShardChannels() {
        let h = Harness()
        let sub = h.newClient()
        XCTAssertEqual(h.run("SSUBSCRIBE", "chan1", on: sub), confirm("ssubscribe", "chan1", 1))
        XCTAssertEqual(h.run("SUBSCRIBE", "chan1", on: sub), confirm("subscribe", "chan1", 1))
        XCTAssertEqual(h.run("SSUBSCRIBE", "chan2", "chan2", on: sub), confirm("ssubscribe", "chan2", 2) + confirm("ssubscribe", "chan2", 2))
        XCTAssertEqual(h.run("SPUBLISH", "chan1", "hello"), R.int(1))
        XCTAssertEqual(h.run("PUBLISH", "chan1", "world"), R.int(1))
        XCTAssertEqual(received(h, sub), push3("smessage", "chan1", "hello") + push3("message", "chan1", "world"))
        XCTAssertEqual(h.run("SUNSUBSCRIBE", "chan1", on: sub), confirm("sunsubscribe", "chan1", 1))
        XCTAssertEqual(h.run("SPUBLISH", "chan1", "hello"), R.int(0))
        XCTAssertEqual(h.run("SUNSUBSCRIBE", on: sub), confirm("sunsubscribe", "chan2", 0))
        XCTAssertEqual(h.run("SUNSUBSCRIBE", on: sub), confirm("sunsubscribe", nil, 0))
        XCTAssertTrue(sub.flags.contains(.pubsub))
        XCTAssertEqual(h.run("UNSUBSCRIBE", on: sub), confirm("unsubscribe", "chan1", 0))
        XCTAssertFalse(sub.flags.contains(.pubsub))
    }

    func testRESP3PushesAndSelfDelivery() {
        let h = Harness()
        XCTAssertTrue(h.run("HELLO", "3").hasPrefix("%7"))
        XCTAssertEqual(h.run("SUBSCRIBE", "a"), ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n")
        // Other commands still work, and a message to oneself precedes the reply.
        XCTAssertEqual(h.run("PUBLISH", "a", "x"), ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$1\r\nx\r\n:1\r\n")
        XCTAssertEqual(h.run("UNSUBSCRIBE"), ">3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n")
        XCTAssertEqual(h.run("UNSUBSCRIBE"), ">3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n")
    }

    func testPushesIgnoreClientReplyOff() {
        let h = Harness()
        h.run("HELLO", "3")
        XCTAssertEqual(h.run("CLIENT", "REPLY", "OFF"), "")
        XCTAssertEqual(h.run("SUBSCRIBE", "channel"), ">3\r\n$9\r\nsubscribe\r\n$7\r\nchannel\r\n:1\r\n")
        XCTAssertEqual(h.run("PUBLISH", "channel", "hi"), ">3\r\n$7\r\nmessage\r\n$7\r\nchannel\r\n$2\r\nhi\r\n")
        XCTAssertEqual(h.run("PING"), "")
        XCTAssertEqual(h.run("CLIENT", "REPLY", "ON"), R.ok)
        XCTAssertEqual(h.run("CLIENT", "REPLY", "SKIP"), "")
        XCTAssertEqual(h.run("PSUBSCRIBE", "ch*"), ">3\r\n$10\r\npsubscribe\r\n$3\r\nch*\r\n:2\r\n")
        XCTAssertEqual(h.run("PING"), R.status("PONG"))
    }

    func testSubscribeInsideMulti() {
        let h = Harness()
        h.run("MULTI")
        h.run("SUBSCRIBE", "a")
        h.run("SSUBSCRIBE", "b")
        h.run("PUBLISH", "a", "m")
        XCTAssertEqual(h.run("EXEC"), "*3\r\n" + confirm("subscribe", "a", 1)
                       + R.err("ERR SSUBSCRIBE isn't allowed for a DENY BLOCKING client") + push3("message", "a", "m") + R.int(1))
        XCTAssertTrue(h.client.flags.contains(.pubsub))
    }

    func testKeyspaceNotifications() {
        let h = Harness()
        let sub = h.newClient()
        h.run("PSUBSCRIBE", "*", on: sub)
        h.run("SET", "foo", "bar")
        XCTAssertEqual(received(h, sub), "")
        h.run("CONFIG", "SET", "notify-keyspace-events", "KEA")
        h.run("SET", "foo", "bar")
        let space = "*4\r\n" + R.bulk("pmessage") + R.bulk("*")
        XCTAssertEqual(received(h, sub), space + R.bulk("__keyspace@0__:foo") + R.bulk("set") + space + R.bulk("__keyevent@0__:set") + R.bulk("foo"))
        h.run("CONFIG", "SET", "notify-keyspace-events", "En")
        h.run("SELECT", "9")
        h.run("SET", "foo", "bar")
        h.run("SET", "foo", "baz")
        h.run("SET", "bar", "bar")
        XCTAssertEqual(received(h, sub), space + R.bulk("__keyevent@9__:new") + R.bulk("foo") + space + R.bulk("__keyevent@9__:new") + R.bulk("bar"))
        h.run("CONFIG", "SET", "notify-keyspace-events", "Km")
        h.run("GET", "nosuch")
        XCTAssertEqual(received(h, sub), space + R.bulk("__keyspace@9__:nosuch") + R.bulk("keymiss"))
        h.run("CONFIG", "SET", "notify-keyspace-events", "Ex")
        h.run("SET", "gone", "1", "PX", "1")
        usleep(3000)
        h.run("GET", "gone")
        XCTAssertEqual(received(h, sub), space + R.bulk("__keyevent@9__:expired") + R.bulk("gone"))
        h.run("CONFIG", "SET", "notify-keyspace-events", "Ee")
        h.run("SET", "big", "1")
        Array("big".utf8).withUnsafeBufferPointer { h.server.keyEvicted(db: 9, key: Key($0)) }
        XCTAssertEqual(received(h, sub), space + R.bulk("__keyevent@9__:evicted") + R.bulk("big"))
    }

    func testCommandInfo() {
        let h = Harness()
        // Bytes as Redis 7.0.15 sends them.
        XCTAssertEqual(h.run("COMMAND", "INFO", "spublish", "subscribe"), "*2\r\n*10\r\n$8\r\nspublish\r\n:3\r\n*4\r\n+pubsub\r\n+loading\r\n+stale\r\n+fast\r\n:1\r\n:1\r\n:1\r\n*2\r\n+@pubsub\r\n+@fast\r\n*0\r\n*1\r\n*6\r\n$5\r\nflags\r\n*1\r\n+not_key\r\n$12\r\nbegin_search\r\n*4\r\n$4\r\ntype\r\n$5\r\nindex\r\n$4\r\nspec\r\n*2\r\n$5\r\nindex\r\n:1\r\n$9\r\nfind_keys\r\n*4\r\n$4\r\ntype\r\n$5\r\nrange\r\n$4\r\nspec\r\n*6\r\n$7\r\nlastkey\r\n:0\r\n$7\r\nkeystep\r\n:1\r\n$5\r\nlimit\r\n:0\r\n*0\r\n*10\r\n$9\r\nsubscribe\r\n:-2\r\n*4\r\n+pubsub\r\n+noscript\r\n+loading\r\n+stale\r\n:0\r\n:0\r\n:0\r\n*2\r\n+@pubsub\r\n+@slow\r\n*0\r\n*0\r\n*0\r\n")
    }
}
