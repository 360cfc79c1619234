import CinnabarCore
import XCTest

/// A stand-in aggregate so string commands can be tested against a key of
/// another type (WRONGTYPE) before the real list/hash types exist.
final class ProbeList: StoredObject {
    override var valueType: ValueType { .list }
    override func duplicate() -> StoredObject { ProbeList() }
    override var encodingName: String { "listpack" }
}

extension Harness {
    /// Database 0 at the current time, for inspecting entries between commands.
    var db0: Database { server.keyspace.database(0, now: Sys.unixMillis(), observer: nil) }

    /// Stores a non-string value under `key`.
    func makeList(_ key: String) {
        Array(key.utf8).withBytes { _ = db0.setObject(Key($0), ProbeList()) }
    }

    /// OBJECT ENCODING of `key` as Redis would name it, nil when absent.
    func encoding(_ key: String) -> String? {
        Array(key.utf8).withBytes { db0.peek(Key($0))?.encodingName }
    }

    /// Absolute expiry (Unix ms) of `key`, 0 when persistent, nil when absent.
    func expireAt(_ key: String) -> Int64? {
        Array(key.utf8).withBytes { db0.peek(Key($0))?.expireAt }
    }

    /// Records `__keyevent@<db>__:<event>` notifications as "event key".
    func recordEvents() -> EventLog {
        let log = EventLog()
        server.keyspaceEventSink = { channel, message in
            let ch = String(decoding: channel, as: UTF8.self)
            guard let r = ch.range(of: "__:") else { return }
            log.events.append("\(ch[r.upperBound...]) \(String(decoding: message, as: UTF8.self))")
        }
        return log
    }

    /// Runs a command and returns what it asked to propagate instead of itself.
    func propagated(_ args: String...) -> [[String]]? {
        client.propagateAs = nil
        run(args.map { Array($0.utf8) })
        return client.propagateAs?.map { $0.map { String(decoding: $0, as: UTF8.self) } }
    }
}

/// Keyspace events seen by a harness, in order.
final class EventLog {
    var events: [String] = []

    /// Returns and clears what was recorded.
    func take() -> [String] {
        defer { events = [] }
        return events
    }
}

extension Harness {
    /// Runs a command given as raw byte arguments and returns the exact reply bytes.
    func runBytes(_ args: [[UInt8]]) -> [UInt8] {
        let before = client.reply.count
        server.execute(client, args)
        let out = Array(client.reply.bytes(from: before))
        client.reply.reset()
        return out
    }

    /// The bulk reply `$n\r\n<bytes>\r\n` for binary content.
    static func bulkBytes(_ b: [UInt8]) -> [UInt8] {
        Array("$\(b.count)\r\n".utf8) + b + [13, 10]
    }

    /// Runs each (arguments, expected reply) pair in order, reporting mismatches by command.
    func expect(_ cases: [([String], String)], file: StaticString = #filePath, line: UInt = #line) {
        for (args, expected) in cases {
            XCTAssertEqual(run(args.map { Array($0.utf8) }), expected, args.joined(separator: " "), file: file, line: line)
        }
    }
}
