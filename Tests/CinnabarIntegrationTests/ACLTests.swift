import CinnabarClient
import CinnabarCore
import Foundation
import XCTest

/// ACL over real sockets: AUTH with users from the Swift client and the real
/// redis-cli, disconnection of deleted users, the ACL file (SAVE/LOAD and at
/// start-up), `user` lines in a configuration file, and scripts refused a key.
final class ACLTests: XCTestCase {
    static let wrongPass = RESPValue.error("WRONGPASS invalid username-password pair or user is disabled.")
    static let noPermKey = RESPValue.error("NOPERM this user has no permissions to access one of the keys used as arguments")

    private func scratchFile(_ name: String, _ text: String) throws -> String {
        let dir = NSTemporaryDirectory() + "cinnabar-acl-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testAuthWithUsersAndDisconnectOnDelete() throws {
        let s = try TestServer()
        let admin = try s.connect()
        XCTAssertEqual(try admin.reply("ACL", "SETUSER", "alice", "on", ">pw", "~a*", "+@all"), .simple("OK"))
        let c = try s.connect()
        XCTAssertEqual(try c.reply("AUTH", "alice", "wrong"), Self.wrongPass)
        XCTAssertEqual(try c.reply("AUTH", "alice", "pw"), .simple("OK"))
        XCTAssertEqual(try c.reply("ACL", "WHOAMI"), .bulk(Array("alice".utf8)))
        XCTAssertEqual(try c.reply("SET", "a1", "v"), .simple("OK"))
        XCTAssertEqual(try c.reply("SET", "b1", "v"), Self.noPermKey)
        guard case .bulk(let info) = try c.reply("CLIENT", "INFO") else { return XCTFail("CLIENT INFO") }
        XCTAssertTrue(String(decoding: info, as: UTF8.self).contains(" user=alice "))
        // The real redis-cli authenticates with --user/--pass (AUTH alice pw).
        XCTAssertEqual(try s.cli(["--no-auth-warning", "--user", "alice", "--pass", "pw", "GET", "a1"]), "v\n")
        XCTAssertEqual(try s.cli(["--no-auth-warning", "--user", "alice", "--pass", "pw", "GET", "b1"]),
                       "NOPERM this user has no permissions to access one of the keys used as arguments\n\n")
        XCTAssertTrue(try s.cli(["--no-auth-warning", "--user", "alice", "--pass", "bad", "PING"])
            .contains("AUTH failed: WRONGPASS invalid username-password pair or user is disabled."))
        // HELLO AUTH switches user and protocol at once.
        let h = try s.connect()
        guard case .map = try h.reply("HELLO", "3", "AUTH", "alice", "pw") else { return XCTFail("HELLO 3 AUTH") }
        XCTAssertEqual(try h.reply("ACL", "WHOAMI"), .bulk(Array("alice".utf8)))
        // Deleting the user closes its connections.
        XCTAssertEqual(try admin.reply("ACL", "DELUSER", "alice"), .integer(1))
        c.setTimeout(5)
        XCTAssertThrowsError(try c.reply("PING"))
        XCTAssertEqual(try admin.reply("PING"), .simple("PONG"))
    }

    func testRequirepassAndScriptDeniedKey() throws {
        let s = try TestServer(["requirepass": "secret"])
        let c = try s.connect()
        XCTAssertEqual(try c.reply("GET", "x"), .error("NOAUTH Authentication required."))
        XCTAssertEqual(try c.reply("AUTH", "nope"), Self.wrongPass)
        XCTAssertEqual(try c.reply("AUTH", "secret"), .simple("OK"))
        XCTAssertEqual(try c.reply("ACL", "SETUSER", "sam", "on", "nopass", "~s*", "+@all"), .simple("OK"))
        let sam = try s.connect()
        XCTAssertEqual(try sam.reply("AUTH", "sam", "anything"), .simple("OK"))
        XCTAssertEqual(try sam.reply("EVAL", "return redis.call('get', 'b')", "0"),
                       .error("ERR The user executing the script can't access at least one of the keys mentioned in the command arguments script: 84a8c58e6183c8b53b48637a86fb695d9f9abce2, on @user_script:1."))
        XCTAssertEqual(try sam.reply("EVAL", "return redis.acl_check_cmd('get', 'b')", "0"), .null)
        XCTAssertEqual(try sam.reply("EVAL", "return redis.acl_check_cmd('get', 's1')", "0"), .integer(1))
        guard case .array(let log) = try c.reply("ACL", "LOG", "1"), case .array(let fields)? = log.first, fields.count == 14 else {
            return XCTFail("ACL LOG")
        }
        var byName: [String: RESPValue] = [:]
        for i in stride(from: 0, to: fields.count, by: 2) {
            if case .bulk(let k) = fields[i] { byName[String(decoding: k, as: UTF8.self)] = fields[i + 1] }
        }
        XCTAssertEqual(byName["reason"], .bulk(Array("key".utf8)))
        XCTAssertEqual(byName["context"], .bulk(Array("lua".utf8)))
        XCTAssertEqual(byName["object"], .bulk(Array("b".utf8)))
        XCTAssertEqual(byName["username"], .bulk(Array("sam".utf8)))
    }

    func testACLFileSaveAndLoad() throws {
        let path = try scratchFile("users.acl", "user default on nopass ~* &* +@all\nuser bob on #\(String(repeating: "a", count: 64)) ~b* resetchannels -@all +get\n")
        let s = try TestServer(["aclfile": path])
        let c = try s.connect()
        XCTAssertEqual(try c.reply("ACL", "USERS"), .array([.bulk(Array("bob".utf8)), .bulk(Array("default".utf8))]))
        XCTAssertEqual(try c.reply("ACL", "SETUSER", "carol", "on", ">cp", "~c*", "&news", "+@read"), .simple("OK"))
        XCTAssertEqual(try c.reply("ACL", "SAVE"), .simple("OK"))
        guard case .array(let listed) = try c.reply("ACL", "LIST") else { return XCTFail("ACL LIST") }
        let lines = listed.map { v -> String in if case .bulk(let b) = v { return String(decoding: b, as: UTF8.self) } else { return "" } }
        XCTAssertEqual(try String(contentsOfFile: path, encoding: .utf8), lines.joined(separator: "\n") + "\n")
        XCTAssertEqual(lines[0], "user bob on #\(String(repeating: "a", count: 64)) ~b* resetchannels -@all +get")
        // A carol session is closed by ACL LOAD, which replaces every user.
        let carol = try s.connect()
        XCTAssertEqual(try carol.reply("AUTH", "carol", "cp"), .simple("OK"))
        try "user default on nopass ~* &* +@all\nuser dave on nopass ~* +@all\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try c.reply("ACL", "LOAD"), .simple("OK"))
        XCTAssertEqual(try c.reply("ACL", "USERS"), .array([.bulk(Array("dave".utf8)), .bulk(Array("default".utf8))]))
        carol.setTimeout(5)
        XCTAssertThrowsError(try carol.reply("PING"))
        // A bad file changes nothing.
        try "user dave on +nosuch\nbogus\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try c.reply("ACL", "LOAD"),
                       .error("ERR \(path):1: Error in applying operation '+nosuch': Unknown command or category name in ACL. \(path):2 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"))
        XCTAssertEqual(try c.reply("ACL", "USERS"), .array([.bulk(Array("dave".utf8)), .bulk(Array("default".utf8))]))
    }

    func testUserLinesInConfigFile() throws {
        let conf = try scratchFile("acl.conf", """
            user default on nopass ~* &* +@all
            user dan on >dp ~d* resetchannels -@all +get +set
            save ""
            bind 127.0.0.1
            """)
        let port = TestServer.freePort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestServer.binaryPath)
        p.arguments = [conf, "--port", String(port)]
        p.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try p.run()
        defer { if p.isRunning { p.terminate(); p.waitUntilExit() } }
        try TestServer.waitForPing(port: port)
        let c = try RedisConnection(port: port)
        XCTAssertEqual(try c.reply("AUTH", "dan", "dp"), .simple("OK"))
        XCTAssertEqual(try c.reply("SET", "d1", "v"), .simple("OK"))
        XCTAssertEqual(try c.reply("GET", "d1"), .bulk(Array("v".utf8)))
        XCTAssertEqual(try c.reply("SET", "e1", "v"), Self.noPermKey)
        XCTAssertEqual(try c.reply("DEL", "d1"), .error("NOPERM this user has no permissions to run the 'del' command"))
        // CONFIG REWRITE replaces the file's user lines with the current users.
        let admin = try RedisConnection(port: port)
        XCTAssertEqual(try admin.reply("ACL", "SETUSER", "zed", "on", ">z", "~z*", "+get"), .simple("OK"))
        XCTAssertEqual(try admin.reply("CONFIG", "REWRITE"), .simple("OK"))
        let rewritten = try String(contentsOfFile: conf, encoding: .utf8).split(separator: "\n").filter { $0.hasPrefix("user ") }
        XCTAssertEqual(rewritten, [
            "user dan on #\(sha256Hex("dp")) ~d* resetchannels -@all +get +set",
            // As in Redis, a `user default` line starts from `reset`, which adds sanitize-payload.
            "user default on nopass sanitize-payload ~* &* +@all",
            "user zed on #594e519ae499312b29433b7dd8a97ff068defcba9755b6d5d00e84c524d67b06 ~z* resetchannels -@all +get",
        ])
        // Users in the configuration and an aclfile at once is refused at start-up.
        let both = try scratchFile("both.conf", "user dan on nopass\naclfile /nonexistent.acl\n")
        let r = try TestServer.run(TestServer.binaryPath, [both, "--port", String(TestServer.freePort())], timeout: 10)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.output.contains("define either an ACL file or declare users"), r.output)
    }

    func testSubscribersLosingChannelsAreDisconnected() throws {
        let s = try TestServer()
        let admin = try s.connect()
        XCTAssertEqual(try admin.reply("ACL", "SETUSER", "erin", "on", "nopass", "+@all", "~*", "resetchannels", "&a", "&b", "&p*"), .simple("OK"))
        let sub = try s.connect()
        XCTAssertEqual(try sub.reply("AUTH", "erin", "x"), .simple("OK"))
        try sub.send(["SUBSCRIBE", "a", "b"])
        _ = try sub.read(); _ = try sub.read()
        try sub.send(["PSUBSCRIBE", "p*"])
        _ = try sub.read()
        XCTAssertEqual(try sub.reply("SUBSCRIBE", "c"), .error("NOPERM this user has no permissions to access one of the channels used as arguments"))
        // Widening keeps the subscriber; dropping the pattern it uses (patterns compare literally) closes it.
        XCTAssertEqual(try admin.reply("ACL", "SETUSER", "erin", "resetchannels", "&a", "&b", "&p*", "&c"), .simple("OK"))
        XCTAssertEqual(try sub.reply("PING"), .array([.bulk(Array("pong".utf8)), .bulk([])]))
        XCTAssertEqual(try admin.reply("ACL", "SETUSER", "erin", "resetchannels", "&a", "&b", "&px"), .simple("OK"))
        sub.setTimeout(5)
        XCTAssertThrowsError(try sub.reply("PING"))
    }

    private func sha256Hex(_ s: String) -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        let inPipe = Pipe(), out = Pipe()
        p.standardInput = inPipe
        p.standardOutput = out
        try? p.run()
        inPipe.fileHandleForWriting.write(Data(s.utf8))
        try? inPipe.fileHandleForWriting.close()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return String(String(decoding: data, as: UTF8.self).prefix(64))
    }
}
