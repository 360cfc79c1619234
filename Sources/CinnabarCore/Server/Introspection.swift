import CSystem
import Glibc
import Synchronization

/// Redis's quoted rendering of bytes (`sdscatrepr`): used by MONITOR and
/// CLIENT LIST-style output.
public func quotedRepr(_ b: Bytes) -> String {
    var s = "\""
    for c in b {
        switch c {
        case 92: s += "\\\\"
        case 34: s += "\\\""
        case 10: s += "\\n"
        case 13: s += "\\r"
        case 9: s += "\\t"
        case 7: s += "\\a"
        case 8: s += "\\b"
        case 32...126: s.unicodeScalars.append(Unicode.Scalar(c))
        default: s += String(format2hex: c)
        }
    }
    return s + "\""
}

/// SLOWLOG: commands slower than `slowlog-log-slower-than` microseconds.
public final class SlowLog: @unchecked Sendable {
    public struct Entry {
        public let id: Int
        public let timestamp: Int
        public let micros: Int
        public let args: [[UInt8]]
        public let peer: String
        public let name: String
    }

    private let lock = Lock()
    private var entries: [Entry] = []
    private var nextID = 0

    /// Records a command; arguments are clipped as Redis does (32 arguments, 128 bytes each).
    public func record(_ c: Client, micros: Int, maxLength: Int) {
        let argc = c.argc
        var args: [[UInt8]] = []
        let shown = argc > 32 ? 31 : argc
        for i in 0..<shown {
            let a = c.loggedArgument(i)
            if a.count > 128 {
                args.append(Array(a.prefix(128)) + Array("... (\(a.count - 128) more bytes)".utf8))
            } else {
                args.append(Array(a))
            }
        }
        if argc > 32 { args.append(Array("... (\(argc - 31) more arguments)".utf8)) }
        let peer = c.flags.contains(.fake) ? "" : c.peerAddress
        let name = c.name
        lock.withLock {
            entries.insert(Entry(id: nextID, timestamp: Int(Sys.unixMillis() / 1000), micros: micros, args: args, peer: peer, name: name), at: 0)
            nextID += 1
            if entries.count > maxLength { entries.removeLast(entries.count - maxLength) }
        }
    }

    public func get(_ count: Int) -> [Entry] {
        lock.withLock { Array(entries.prefix(count)) }
    }

    public var length: Int { lock.withLock { entries.count } }

    public func reset() { lock.withLock { entries.removeAll() } }

    /// Drops entries beyond a smaller slowlog-max-len.
    public func trim(to n: Int) {
        lock.withLock { if entries.count > n { entries.removeLast(entries.count - n) } }
    }
}

/// MONITOR subscribers and the feed of executed commands.
public final class MonitorFeed: @unchecked Sendable {
    private let lock = Lock()
    private var clients: [Client] = []
    private let active = Atomic<Int>(0)

    /// True when anyone is monitoring (checked on every command).
    @inline(__always) public var isActive: Bool { active.load(ordering: .relaxed) > 0 }

    public func add(_ c: Client) {
        lock.withLock {
            clients.append(c)
            active.store(clients.count, ordering: .relaxed)
        }
    }

    public func remove(_ c: Client) {
        lock.withLock {
            clients.removeAll { $0 === c }
            active.store(clients.count, ordering: .relaxed)
        }
    }

    /// Sends `+<time> [<db> <addr>] "arg" ...` to every monitor.
    public func feed(_ c: Client, db: Int) {
        var line = "+"
        let us = Sys.unixMicros()
        let frac = us % 1_000_000
        var fracText = String(frac)
        while fracText.count < 6 { fracText = "0" + fracText }
        line += "\(us / 1_000_000).\(fracText) "
        let origin = c.flags.contains(.script) ? "lua" : (c.flags.contains(.fake) ? "" : c.peerAddress)
        line += "[\(db) \(origin)]"
        for i in 0..<c.argc { line += " " + quotedRepr(c.loggedArgument(i)) }
        line += "\r\n"
        let bytes = Array(line.utf8)
        let targets = lock.withLock { clients }
        for m in targets {
            m.context.loop.executeNestedSafe { [weak m] in
                guard let m, !m.closed else { return }
                m.reply.appendRaw(bytes)
                m.scheduleWrite()
            }
        }
    }
}
