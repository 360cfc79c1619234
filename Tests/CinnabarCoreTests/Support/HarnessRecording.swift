import CinnabarCore
import XCTest

/// Every bulk string of a RESP reply, in order (nulls skipped).
func bulkStrings(_ reply: String) -> [String] {
    var out: [String] = []
    let lines = reply.components(separatedBy: "\r\n")
    var i = 0
    while i < lines.count {
        if lines[i].hasPrefix("$"), let n = Int(lines[i].dropFirst()), n >= 0, i + 1 < lines.count {
            out.append(lines[i + 1])
            i += 2
        } else {
            i += 1
        }
    }
    return out
}

/// Observers shared by the command-family tests: events, propagation,
/// change counts, deliveries to blocked clients.
extension Harness {
    /// Records keyspace notifications of the keyevent class as "event key".
    func recordKeyEvents() -> () -> [String] {
        final class Box { var events: [String] = [] }
        let box = Box()
        server.keyspaceEventSink = { channel, message in
            let ch = String(decoding: channel, as: UTF8.self)
            guard let r = ch.range(of: "__keyevent@0__:") else { return }
            box.events.append(String(ch[r.upperBound...]) + " " + String(decoding: message, as: UTF8.self))
        }
        return {
            defer { box.events.removeAll() }
            return box.events
        }
    }

    /// Records what each command asks to propagate instead of itself (nil: as called).
    func recordPropagation() -> () -> [String]? {
        final class Box { var last: [String]? }
        let box = Box()
        server.afterExecuteHooks.append { c, _, _ in
            box.last = c.propagateAs?.map { $0.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ") }
            c.propagateAs = nil
        }
        return {
            defer { box.last = nil }
            return box.last
        }
    }

    /// The server's change counter (what save points count).
    var dirty: Int { server.dirty.load(ordering: .relaxed) }

    /// How many changes one command counted.
    func changes(_ args: String...) -> Int {
        let before = dirty
        run(args.map { Array($0.utf8) })
        return dirty - before
    }

    /// OBJECT ENCODING of `key`.
    func encoding(_ key: String) -> String { bulkStrings(run("OBJECT", "ENCODING", key)).first ?? "" }

    /// Runs the tasks queued for the harness loop (deliveries to blocked clients).
    func deliverTasks() {
        while server.contexts[0].loop.runPendingTasks() {}
    }

    /// Takes what `c` has been sent so far, as text.
    static func takeReply(_ c: Client) -> String {
        defer { c.reply.reset() }
        return String(decoding: c.reply.bytes(from: 0), as: UTF8.self)
    }
}
