import CinnabarCore
import Foundation
import XCTest

final class ConnectionCommandsTests: XCTestCase {
    func testPingEchoSelectQuit() {
        let h = Harness()
        XCTAssertEqual(h.run("PING"), R.status("PONG"))
        XCTAssertEqual(h.run("PING", "redis"), R.bulk("redis"))
        XCTAssertEqual(h.run("PING", "a", "b"), R.err("ERR wrong number of arguments for 'ping' command"))
        XCTAssertEqual(h.run("ECHO"), R.err("ERR wrong number of arguments for 'echo' command"))
        XCTAssertEqual(h.run("ECHO", "x"), R.bulk("x"))
        XCTAssertEqual(h.run("SELECT", "x"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("SELECT", "16"), R.err("ERR DB index is out of range"))
        XCTAssertEqual(h.run("SELECT", "-1"), R.err("ERR DB index is out of range"))
        XCTAssertEqual(h.run("SELECT", "99999999999"), R.err("ERR value is out of range, value must between -2147483648 and 2147483647"))
        XCTAssertEqual(h.run("SELECT", "5"), R.ok)
        XCTAssertEqual(h.client.dbIndex, 5)
        XCTAssertEqual(h.run("QUIT", "x", "y"), R.ok)
        XCTAssertTrue(h.client.flags.contains(.closeAfterReply))
    }

    func testAuthWithoutPassword() {
        let h = Harness()
        XCTAssertEqual(h.run("AUTH", "a", "b", "c"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("AUTH", "foo"), R.err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"))
        XCTAssertEqual(h.run("AUTH", "default", "x"), R.ok)
        XCTAssertEqual(h.run("AUTH", "bob", "x"), R.err("WRONGPASS invalid username-password pair or user is disabled."))
    }

    func testAuthWithPassword() {
        let h = Harness(["requirepass": "foobar"])
        let c = h.newClient()
        c.authenticated = false
        XCTAssertEqual(h.run("SET", "k", "v", on: c), R.err("NOAUTH Authentication required."))
        XCTAssertEqual(h.run("AUTH", "wrong!", on: c), R.err("WRONGPASS invalid username-password pair or user is disabled."))
        XCTAssertEqual(h.run("HELLO", "3", on: c), R.err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"))
        XCTAssertEqual(h.run("AUTH", "foobar", on: c), R.ok)
        XCTAssertEqual(h.run("SET", "k", "v", on: c), R.ok)
        XCTAssertEqual(h.run("RESET", on: c), R.status("RESET"))
        XCTAssertEqual(h.run("GET", "k", on: c), R.err("NOAUTH Authentication required."))
        XCTAssertTrue(h.run("HELLO", "2", "AUTH", "default", "foobar", on: c).hasPrefix("*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n"))
        XCTAssertEqual(h.run("GET", "k", on: c), R.bulk("v"))
    }

    func testHello() {
        let h = Harness()
        XCTAssertEqual(h.run("HELLO", "x"), R.err("ERR Protocol version is not an integer or out of range"))
        XCTAssertEqual(h.run("HELLO", "4"), R.err("NOPROTO unsupported protocol version"))
        XCTAssertEqual(h.run("HELLO", "3", "FOO"), R.err("ERR Syntax error in HELLO option 'FOO'"))
        XCTAssertEqual(h.run("HELLO", "3", "AUTH", "a"), R.err("ERR Syntax error in HELLO option 'AUTH'"))
        XCTAssertEqual(h.run("HELLO", "3", "SETNAME", "a b"), R.err("ERR Client names cannot contain spaces, newlines or special characters."))
        XCTAssertEqual(h.run("HELLO", "2", "AUTH", "bob", "pw"), R.err("WRONGPASS invalid username-password pair or user is disabled."))
        // A name given before a failing AUTH is kept, as options apply in order.
        XCTAssertEqual(h.run("HELLO", "2", "SETNAME", "early", "AUTH", "bob", "pw"), R.err("WRONGPASS invalid username-password pair or user is disabled."))
        XCTAssertEqual(h.run("CLIENT", "GETNAME"), R.bulk("early"))
        let id = h.client.id
        XCTAssertEqual(h.run("HELLO", "3", "SETNAME", "named"),
                       "%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:\(id)\r\n$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n")
        XCTAssertEqual(h.run("CLIENT", "GETNAME"), R.bulk("named"))
        XCTAssertEqual(h.run("RESET"), R.status("RESET"))
        XCTAssertEqual(h.client.resp, .resp2)
        XCTAssertEqual(h.run("CLIENT", "GETNAME"), R.null)
    }

    func testClientIdNameInfo() {
        let h = Harness()
        XCTAssertEqual(h.run("CLIENT", "ID"), R.int(Int(h.client.id)))
        XCTAssertEqual(h.run("CLIENT", "GETNAME"), R.null)
        XCTAssertEqual(h.run("CLIENT", "SETNAME", "a b"), R.err("ERR Client names cannot contain spaces, newlines or special characters."))
        XCTAssertEqual(h.run("CLIENT", "SETNAME", "myname"), R.ok)
        XCTAssertEqual(h.run("CLIENT", "GETNAME"), R.bulk("myname"))
        XCTAssertEqual(h.run("CLIENT", "SETNAME", ""), R.ok)
        XCTAssertEqual(h.run("CLIENT", "GETNAME"), R.null)
        h.run("SELECT", "2")
        let info = h.run("CLIENT", "INFO")
        let pattern = #"^\$\d+\r\nid=\#(h.client.id) addr= laddr= fd=-1 name= age=\d+ idle=\d+ flags=N db=2 sub=0 psub=0 ssub=0 multi=-1 qbuf=0 qbuf-free=\d+ argv-mem=\d+ multi-mem=0 rbs=16384 rbp=16384 obl=0 oll=0 omem=0 tot-mem=\d+ events=r? cmd=client\|info user=default redir=-1 resp=2\n\r\n$"#
        XCTAssertNotNil(info.range(of: pattern, options: .regularExpression), info)
        XCTAssertEqual(h.run("CLIENT", "NO-EVICT", "on"), R.ok)
        XCTAssertTrue(h.run("CLIENT", "INFO").contains(" flags=e "))
        XCTAssertEqual(h.run("CLIENT", "NO-EVICT", "off"), R.ok)
        XCTAssertEqual(h.run("CLIENT", "NO-EVICT", "maybe"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("CLIENT", "INFO", "x"), R.err("ERR wrong number of arguments for 'client|info' command"))
        XCTAssertEqual(h.run("CLIENT", "FOO"), R.err("ERR unknown subcommand 'FOO'. Try CLIENT HELP."))
        XCTAssertEqual(h.run("CLIENT", "NO-TOUCH", "on"), R.err("ERR unknown subcommand 'NO-TOUCH'. Try CLIENT HELP."))
        XCTAssertEqual(h.run("CLIENT"), R.err("ERR wrong number of arguments for 'client' command"))
        let help = h.run("CLIENT", "HELP")
        XCTAssertTrue(help.hasPrefix("*43\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"), help)
    }

    func testClientReplyModes() {
        let h = Harness()
        XCTAssertEqual(h.run("CLIENT", "REPLY", "OFF"), "")
        XCTAssertEqual(h.run("PING", "pong"), "")
        XCTAssertEqual(h.run("NOSUCH"), "")
        XCTAssertEqual(h.run("CLIENT", "REPLY", "ON"), R.ok)
        XCTAssertEqual(h.run("PING", "pong3"), R.bulk("pong3"))
        XCTAssertEqual(h.run("CLIENT", "REPLY", "SKIP"), "")
        XCTAssertEqual(h.run("PING", "skipped"), "")
        XCTAssertEqual(h.run("PING", "pong2"), R.bulk("pong2"))
        XCTAssertEqual(h.run("CLIENT", "REPLY", "SKIP"), "")
        XCTAssertEqual(h.run("CLIENT", "REPLY", "ON"), R.ok)
        XCTAssertEqual(h.run("PING"), R.status("PONG"))
        XCTAssertEqual(h.run("CLIENT", "REPLY", "maybe"), R.err("ERR syntax error"))
        h.run("CLIENT", "REPLY", "OFF")
        XCTAssertEqual(h.run("RESET"), R.status("RESET"))
        XCTAssertEqual(h.run("PING"), R.status("PONG"))
    }

    func testClientKillAndListArguments() {
        let h = Harness()
        XCTAssertEqual(h.run("CLIENT", "KILL"), R.err("ERR wrong number of arguments for 'client|kill' command"))
        XCTAssertEqual(h.run("CLIENT", "KILL", "id", "10", "wrong_arg"), R.err("ERR syntax error"))
        for bad in ["str", "-1", "0"] {
            XCTAssertEqual(h.run("CLIENT", "KILL", "id", bad), R.err("ERR client-id should be greater than 0"))
        }
        XCTAssertEqual(h.run("CLIENT", "KILL", "type", "wrong_type"), R.err("ERR Unknown client type 'wrong_type'"))
        XCTAssertEqual(h.run("CLIENT", "KILL", "user", "wrong_user"), R.err("ERR No such user 'wrong_user'"))
        XCTAssertEqual(h.run("CLIENT", "KILL", "skipme", "yes_or_no"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("CLIENT", "KILL", "1.2.3.4:5"), R.err("ERR No such client"))
        XCTAssertEqual(h.run("CLIENT", "KILL", "ADDR", "1.1.1.1:1", "SKIPME", "no"), R.int(0))
        XCTAssertEqual(h.run("CLIENT", "KILL", "USER", "default", "TYPE", "master"), R.int(0))
        XCTAssertEqual(h.run("CLIENT", "LIST", "TYPE", "foo"), R.err("ERR Unknown client type 'foo'"))
        XCTAssertEqual(h.run("CLIENT", "LIST", "ID", "abc"), R.err("ERR Invalid client ID"))
        XCTAssertEqual(h.run("CLIENT", "LIST", "foo"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("CLIENT", "LIST", "ID", "99999"), R.bulk(""))
        XCTAssertEqual(h.run("CLIENT", "LIST", "TYPE", "replica"), R.bulk(""))
    }

    func testClientPauseArguments() {
        let h = Harness()
        XCTAssertEqual(h.run("CLIENT", "PAUSE", "abc"), R.err("ERR timeout is not an integer or out of range"))
        XCTAssertEqual(h.run("CLIENT", "PAUSE", "10", "FOO"), R.err("ERR CLIENT PAUSE mode must be WRITE or ALL"))
        XCTAssertEqual(h.run("CLIENT", "PAUSE", "-1"), R.err("ERR timeout is negative"))
        XCTAssertEqual(h.run("CLIENT", "PAUSE", "10", "ALL", "x"),
                       R.err("ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP."))
        XCTAssertEqual(h.run("CLIENT", "PAUSE", "60000", "WRITE"), R.ok)
        XCTAssertTrue(h.server.clientPause.isPaused(now: Sys.unixMillis()))
        // Reads run during a write pause; writes wait.
        XCTAssertEqual(h.run("GET", "k"), R.null)
        XCTAssertEqual(h.run("SET", "k", "v"), "")
        XCTAssertTrue(h.client.flags.contains(.postponed))
        XCTAssertEqual(h.run("CLIENT", "UNPAUSE", on: h.newClient()), R.ok)
        XCTAssertFalse(h.server.clientPause.isPaused(now: Sys.unixMillis()))
    }
}

final class UnknownCommandErrorTests: XCTestCase {
    func testArgumentsAreQuotedUpTo128Bytes() {
        let h = Harness()
        let a = String(repeating: "a", count: 100), b = String(repeating: "b", count: 100)
        XCTAssertEqual(h.run("FOO", a, b, "c"),
                       R.err("ERR unknown command 'FOO', with args beginning with: '\(a)' '\(String(repeating: "b", count: 25))' "))
        XCTAssertEqual(h.run("FOO"), R.err("ERR unknown command 'FOO', with args beginning with: "))
    }

    /// Redis quotes the arguments of an unknown command as C strings: each ends
    /// at its first NUL byte, other bytes (even invalid UTF-8) pass unchanged.
    func testUnknownCommandQuotesArgumentBytes() {
        let h = Harness()
        func raw(_ args: [[UInt8]]) -> [UInt8] {
            let before = h.client.reply.count
            h.server.execute(h.client, args)
            let out = Array(h.client.reply.bytes(from: before))
            h.client.reply.reset()
            return out
        }
        XCTAssertEqual(raw([Array("NOSUCH".utf8), [0, 0xff], [0x61, 0, 0x62], [0xff, 0xfe]]),
                       Array("-ERR unknown command 'NOSUCH', with args beginning with: '' 'a' '".utf8) + [0xff, 0xfe] + Array("' \r\n".utf8))
        XCTAssertEqual(raw([[0x78, 0, 0x79], [0xc3]]),
                       Array("-ERR unknown command 'x', with args beginning with: '".utf8) + [0xc3] + Array("' \r\n".utf8))
        XCTAssertEqual(raw([Array("CONFIG".utf8), [0xff, 0, 0x7a]]),
                       Array("-ERR unknown subcommand '".utf8) + [0xff] + Array("'. Try CONFIG HELP.\r\n".utf8))
        XCTAssertEqual(h.run("no\r\nsuch", "\r"), R.err("ERR unknown command 'no  such', with args beginning with: ' ' "))
    }
}
