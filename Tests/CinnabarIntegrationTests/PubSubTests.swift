import CinnabarClient
import Foundation
import XCTest

/// Pub/sub over real sockets: delivery across event loops, RESP3 pushes,
/// keyspace notifications and the output-buffer limits of slow subscribers.
final class PubSubTests: XCTestCase {
    private func text(_ v: RESPValue) -> String {
        if case .bulk(let b) = v { return String(decoding: b, as: UTF8.self) }
        if case .verbatim(_, let t) = v { return t }
        if case .simple(let s) = v { return s }
        return "\(v)"
    }

    private func message(_ channel: String, _ payload: String) -> RESPValue {
        .array([.bulk(Array("message".utf8)), .bulk(Array(channel.utf8)), .bulk(Array(payload.utf8))])
    }

    /// The CLIENT LIST line of the client named `name`, nil once it is gone.
    private func clientLine(_ c: RedisConnection, _ name: String) throws -> String? {
        text(try c.call("CLIENT", "LIST")).split(separator: "\n").map(String.init).first { $0.contains(" name=\(name) ") }
    }

    private func omem(_ line: String) -> Int {
        Int(line.split(separator: " ").first { $0.hasPrefix("omem=") }!.dropFirst(5))!
    }

    func testDeliveryAcrossLoops() throws {
        let s = try TestServer(["io-threads": "2"])
        let s1 = try s.connect(), s2 = try s.connect(), p = try s.connect()
        XCTAssertEqual(try s1.call("SUBSCRIBE", "chan"), .array([.bulk(Array("subscribe".utf8)), .bulk(Array("chan".utf8)), .integer(1)]))
        XCTAssertEqual(try s2.call("PSUBSCRIBE", "ch*"), .array([.bulk(Array("psubscribe".utf8)), .bulk(Array("ch*".utf8)), .integer(1)]))
        XCTAssertEqual(try p.call("PUBLISH", "chan", "hello"), .integer(2))
        XCTAssertEqual(try s1.read(), message("chan", "hello"))
        XCTAssertEqual(try s2.read(), .array([.bulk(Array("pmessage".utf8)), .bulk(Array("ch*".utf8)), .bulk(Array("chan".utf8)),
                                              .bulk(Array("hello".utf8))]))
        XCTAssertEqual(text(try p.call("CLIENT", "LIST", "TYPE", "pubsub")).split(separator: "\n").count, 2)
        XCTAssertEqual(try p.call("PUBSUB", "NUMSUB", "chan"), .array([.bulk(Array("chan".utf8)), .integer(1)]))
    }

    /// Two publishers on different loops, two subscribers on different
    /// loops: both subscribers see one and the same order, which keeps each
    /// publisher's own order.
    func testFanOutOrderAcrossLoops() throws {
        let s = try TestServer(["io-threads": "2"])
        let subs = [try s.connect(), try s.connect()]
        for sub in subs { try sub.call("SUBSCRIBE", "ordered") }
        let publishers = [try s.connect(), try s.connect()]
        let perPublisher = 400
        let group = DispatchGroup()
        for (n, p) in publishers.enumerated() {
            DispatchQueue.global().async(group: group) {
                for i in 0..<perPublisher {
                    _ = try? p.call("PUBLISH", "ordered", "p\(n)-\(i)")
                }
            }
        }
        group.wait()
        var sequences: [[String]] = []
        for sub in subs {
            var seq: [String] = []
            for _ in 0..<(2 * perPublisher) {
                guard case .array(let parts) = try sub.read(), parts.count == 3 else { return XCTFail("not a message") }
                seq.append(text(parts[2]))
            }
            sequences.append(seq)
        }
        XCTAssertEqual(sequences[0], sequences[1])
        for n in 0..<2 {
            XCTAssertEqual(sequences[0].filter { $0.hasPrefix("p\(n)-") }, (0..<perPublisher).map { "p\(n)-\($0)" })
        }
    }

    func testRESP3PushesAndKeyspaceEvents() throws {
        let s = try TestServer(["io-threads": "2"])
        let sub = try s.connect(), other = try s.connect()
        _ = try sub.call("HELLO", "3")
        XCTAssertEqual(try sub.rawText("SUBSCRIBE", "ch"), ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n")
        // RESP3 subscribers keep running commands.
        XCTAssertEqual(try sub.rawText("SET", "k", "v"), "+OK\r\n")
        XCTAssertEqual(try other.call("PUBLISH", "ch", "hi"), .integer(1))
        XCTAssertEqual(String(decoding: try sub.readRaw(), as: UTF8.self), ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n")
        try other.call("CONFIG", "SET", "notify-keyspace-events", "KEA")
        XCTAssertEqual(try sub.rawText("PSUBSCRIBE", "__key*__:*"), ">3\r\n$10\r\npsubscribe\r\n$10\r\n__key*__:*\r\n:2\r\n")
        try other.call("SELECT", "4")
        try other.call("SET", "foo", "bar")
        XCTAssertEqual(String(decoding: try sub.readRaw(), as: UTF8.self),
                       ">4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$18\r\n__keyspace@4__:foo\r\n$3\r\nset\r\n")
        XCTAssertEqual(String(decoding: try sub.readRaw(), as: UTF8.self),
                       ">4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$18\r\n__keyevent@4__:set\r\n$3\r\nfoo\r\n")
        // Keys expiring in the background are announced too.
        try other.call("SET", "short", "1", "PX", "50")
        XCTAssertEqual(String(decoding: try sub.readRaw(), as: UTF8.self),
                       ">4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$20\r\n__keyspace@4__:short\r\n$3\r\nset\r\n")
        // Then __keyevent@4__:set, and both `expire` events of SET PX.
        for _ in 0..<3 { _ = try sub.readRaw() }
        XCTAssertEqual(String(decoding: try sub.readRaw(), as: UTF8.self),
                       ">4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$20\r\n__keyspace@4__:short\r\n$7\r\nexpired\r\n")
        try other.call("CONFIG", "SET", "notify-keyspace-events", "")
    }

    func testSlowSubscriberOverHardLimitIsDisconnected() throws {
        let s = try TestServer(["io-threads": "2"])
        let p = try s.connect()
        try p.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 100000 0 0")
        let sub = try s.connect()
        try sub.call("CLIENT", "SETNAME", "slow")
        try sub.call("SUBSCRIBE", "foo")
        let payload = String(repeating: "x", count: 10_000)
        var sent = 0
        var maxSeen = 0
        while let line = try clientLine(p, "slow"), sent < 20_000 {
            maxSeen = max(maxSeen, omem(line))
            try p.call("PUBLISH", "foo", payload)
            sent += 1
        }
        XCTAssertNil(try clientLine(p, "slow"), "the subscriber was never disconnected")
        XCTAssertLessThan(maxSeen, 200_000)
        XCTAssertEqual(try p.call("PUBLISH", "foo", "x"), .integer(0))
    }

    /// The same limits hold for ordinary clients: one whose pipeline piles up
    /// more than the hard limit is dropped without being sent anything more.
    func testClientOverNormalLimitIsDroppedMidPipeline() throws {
        let s = try TestServer(["io-threads": "2"])
        let r = try s.connect()
        try r.call("CONFIG", "SET", "client-output-buffer-limit", "normal 100000 0 0")
        try r.call("SET", "bigkey", String(repeating: "x", count: 10_000))
        let c = try s.connect()
        try c.call("CLIENT", "SETNAME", "piped")
        var pipeline: [UInt8] = []
        for _ in 0..<30 { pipeline += RedisConnection.encode([Array("GET".utf8), Array("bigkey".utf8)]) }
        try c.write(pipeline)
        XCTAssertThrowsError(try c.read())
        XCTAssertNil(try clientLine(r, "piped"))
        XCTAssertEqual(try r.call("PING"), .simple("PONG"))
    }

    func testSoftLimitNeedsItsSeconds() throws {
        let s = try TestServer(["io-threads": "2"])
        let p = try s.connect()
        try p.call("CONFIG", "SET", "client-output-buffer-limit", "pubsub 0 100000 1")
        let sub = try s.connect()
        try sub.call("CLIENT", "SETNAME", "soft")
        try sub.call("SUBSCRIBE", "foo")
        let payload = String(repeating: "x", count: 10_000)
        var over: Date?
        for _ in 0..<20_000 {
            try p.call("PUBLISH", "foo", payload)
            if let line = try clientLine(p, "soft"), omem(line) > 100_000 {
                over = Date()
                break
            }
        }
        let start = try XCTUnwrap(over, "output never went over the soft limit")
        // Over the soft limit, but not for long enough yet.
        XCTAssertNotNil(try clientLine(p, "soft"))
        // Traffic continues, so the output stays over the soft limit even as the
        // kernel's socket buffers absorb some of it; the periodic check closes
        // the subscriber once it has been over for the configured second.
        // About 2.5 MB/s: more than the socket buffers of a reader that never
        // reads can take for long.
        var gone: Date?
        while Date().timeIntervalSince(start) < 8 {
            if try clientLine(p, "soft") == nil {
                gone = Date()
                break
            }
            _ = try p.pipeline(Array(repeating: ["PUBLISH", "foo", payload], count: 5))
            usleep(20_000)
        }
        let closed = try XCTUnwrap(gone, "the subscriber stayed connected")
        XCTAssertGreaterThanOrEqual(closed.timeIntervalSince(start), 0.9)
    }
}
