import CSystem
import Glibc

/// Keyspace notification classes (`notify-keyspace-events`), as Redis's bit flags.
public struct NotifyFlags: OptionSet, Sendable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    public static let keyspace = NotifyFlags(rawValue: 1 << 0)   // K
    public static let keyevent = NotifyFlags(rawValue: 1 << 1)   // E
    public static let generic = NotifyFlags(rawValue: 1 << 2)    // g
    public static let string = NotifyFlags(rawValue: 1 << 3)     // $
    public static let list = NotifyFlags(rawValue: 1 << 4)       // l
    public static let set = NotifyFlags(rawValue: 1 << 5)        // s
    public static let hash = NotifyFlags(rawValue: 1 << 6)       // h
    public static let zset = NotifyFlags(rawValue: 1 << 7)       // z
    public static let expired = NotifyFlags(rawValue: 1 << 8)    // x
    public static let evicted = NotifyFlags(rawValue: 1 << 9)    // e
    public static let stream = NotifyFlags(rawValue: 1 << 10)    // t
    public static let keyMiss = NotifyFlags(rawValue: 1 << 11)   // m
    public static let module = NotifyFlags(rawValue: 1 << 12)    // d
    public static let newKey = NotifyFlags(rawValue: 1 << 13)    // n
    /// `A`: every class except key-miss and new-key.
    public static let all: NotifyFlags = [.generic, .string, .list, .set, .hash, .zset, .expired, .evicted, .stream, .module]

    static let letters: [(Character, NotifyFlags)] = [
        ("g", .generic), ("$", .string), ("l", .list), ("s", .set), ("h", .hash), ("z", .zset),
        ("x", .expired), ("e", .evicted), ("t", .stream), ("d", .module), ("n", .newKey),
    ]

    /// Parses Redis's letters; nil on an unknown letter.
    public static func parse(_ s: String) -> NotifyFlags? {
        var f: NotifyFlags = []
        for ch in s {
            switch ch {
            case "A": f.formUnion(.all)
            case "K": f.insert(.keyspace)
            case "E": f.insert(.keyevent)
            case "m": f.insert(.keyMiss)
            default:
                guard let (_, flag) = letters.first(where: { $0.0 == ch }) else { return nil }
                f.insert(flag)
            }
        }
        return f
    }

    /// Canonical letters, as CONFIG GET prints them.
    public var letters: String {
        var s = ""
        if self.isSuperset(of: .all) {
            s = "A"
            if contains(.newKey) { s += "n" }
        } else {
            for (ch, flag) in Self.letters where contains(flag) { s.append(ch) }
        }
        if contains(.keyspace) { s += "K" }
        if contains(.keyevent) { s += "E" }
        if contains(.keyMiss) { s += "m" }
        return s
    }
}

/// All configuration directives Cinnabar accepts, by Redis name.
public enum ConfigTable {
    public static let parameters: [ConfigParameter] = {
        typealias P = ConfigParameter
        var list: [ConfigParameter] = [
            .int("port", \.port, 0...65535, mutable: false),
            P("bind", multiArg: true, get: { $0.bind.joined(separator: " ") }, set: { c, a in
                let words = a[0].split(separator: " ").map(String.init)
                guard words.count <= 16 else { return "Too many bind addresses specified." }
                c.bind = words.isEmpty ? ["*", "-::*"] : words
                return nil
            }),
            .bool("protected-mode", \.protectedMode),
            .string("requirepass", \.requirepass, sensitive: true),
            // Stored as an absolute path rather than chdir'ing, so several servers can share a process (tests).
            P("dir", get: { $0.dir }, set: { c, a in
                guard let abs = absolutePath(a[0]) else { return String(cString: strerror(errno)) }
                var st = stat()
                guard stat(abs, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return String(cString: strerror(ENOTDIR)) }
                c.dir = abs
                return nil
            }),
            .string("dbfilename", \.dbfilename, validate: { $0.contains("/") ? "dbfilename can't be a path, just a filename" : nil }),
            P("save", multiArg: true, get: { c in c.save.map { "\($0.seconds) \($0.changes)" }.joined(separator: " ") }, set: { c, a in
                let words = a[0].split(separator: " ").map(String.init)
                if words.isEmpty { c.save = []; return nil }
                guard words.count % 2 == 0 else { return "Invalid save parameters" }
                var points: [(seconds: Int, changes: Int)] = []
                var i = 0
                while i < words.count {
                    guard let s = Int(words[i]), let ch = Int(words[i + 1]), s >= 1, ch >= 0 else { return "Invalid save parameters" }
                    points.append((s, ch))
                    i += 2
                }
                c.save = points
                return nil
            }),
            .bool("appendonly", \.appendonly),
            .choice("appendfsync", \.appendfsync, ["always", "everysec", "no"]),
            .string("appendfilename", \.appendfilename, mutable: false, validate: {
                $0.isEmpty ? "appendfilename can't be empty" : $0.contains("/") ? "appendfilename can't be a path, just a filename" : nil
            }),
            .string("appenddirname", \.appenddirname, mutable: false, validate: {
                $0.isEmpty ? "appenddirname can't be empty" : $0.contains("/") ? "appenddirname can't be a path, just a dirname" : nil
            }),
            .bool("aof-load-truncated", \.aofLoadTruncated),
            .bool("aof-use-rdb-preamble", \.aofUseRDBPreamble),
            .int("auto-aof-rewrite-percentage", \.autoAOFRewritePercentage, 0...Int(Int32.max)),
            .int("auto-aof-rewrite-min-size", \.autoAOFRewriteMinSize, 0...Int.max, memory: true),
            .bool("rdbcompression", \.rdbcompression),
            .bool("rdbchecksum", \.rdbchecksum, mutable: false),
            .bool("stop-writes-on-bgsave-error", \.stopWritesOnBgsaveError),
            .int("databases", \.databases, 1...Int(Int32.max), mutable: false),
            .int("maxclients", \.maxclients, 1...Int(UInt32.max)),
            .int("timeout", \.timeout, 0...Int(Int32.max)),
            .int("tcp-keepalive", \.tcpKeepalive, 0...Int(Int32.max)),
            .int("tcp-backlog", \.tcpBacklog, 0...Int(Int32.max), mutable: false),
            .choice("loglevel", \.loglevel, ["debug", "verbose", "notice", "warning", "nothing"]),
            .string("logfile", \.logfile, mutable: false),
            .string("pidfile", \.pidfile, mutable: false),
            P("daemonize", mutable: false, get: { $0.daemonize ? "yes" : "no" }, set: { c, a in
                guard let v = ConfigParser.parseBool(a[0]) else { return "argument must be 'yes' or 'no'" }
                guard !v else { return "daemonize yes is not supported; run cinnabar-server under a supervisor" }
                c.daemonize = v
                return nil
            }),
            .int("proto-max-bulk-len", \.protoMaxBulkLen, (1024 * 1024)...Int.max, memory: true),
            .int("client-query-buffer-limit", \.clientQueryBufferLimit, (1024 * 1024)...Int.max, memory: true),
            .int("busy-reply-threshold", \.busyReplyThreshold, 0...Int.max, alias: "lua-time-limit"),
            .int("io-threads", \.ioThreads, 1...128, mutable: false),
            P("shards", mutable: false, get: { String($0.shards) }, set: { c, a in
                switch ConfigParser.parseNumber(a[0], memory: false, range: 1...1024) {
                case .success(let v):
                    guard v & (v - 1) == 0 else { return "argument must be a power of two between 1 and 1024" }
                    c.shards = v
                    return nil
                case .failure(let e): return e.message
                }
            }),
            .int("hz", \.hz, 0...Int(Int32.max)),
            .int("maxmemory", \.maxmemory, 0...Int.max, memory: true),
            .choice("maxmemory-policy", \.maxmemoryPolicy,
                    ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"]),
            P("notify-keyspace-events", get: { NotifyFlags(rawValue: $0.notifyKeyspaceEvents).letters }, set: { c, a in
                guard let f = NotifyFlags.parse(a[0]) else { return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." }
                c.notifyKeyspaceEvents = f.rawValue
                return nil
            }),
            .int("slowlog-log-slower-than", \.slowlogLogSlowerThan, -1...Int.max),
            .int("slowlog-max-len", \.slowlogMaxLen, 0...Int.max),
            .int("lua-memory-limit", \.luaMemoryLimit, (1024 * 1024)...Int.max, memory: true),
            .choice("enable-debug-command", \.enableDebugCommand, ["no", "yes", "local"], mutable: false),
            .int("list-max-listpack-size", \.listMaxListpackSize, Int(Int32.min)...Int(Int32.max), alias: "list-max-ziplist-size"),
            .int("list-compress-depth", \.listCompressDepth, 0...Int(Int32.max)),
            .int("hash-max-listpack-entries", \.hashMaxListpackEntries, 0...Int.max, alias: "hash-max-ziplist-entries"),
            .int("hash-max-listpack-value", \.hashMaxListpackValue, 0...Int.max, alias: "hash-max-ziplist-value", memory: true),
            .int("set-max-intset-entries", \.setMaxIntsetEntries, 0...Int.max),
            .int("zset-max-listpack-entries", \.zsetMaxListpackEntries, 0...Int.max, alias: "zset-max-ziplist-entries"),
            .int("zset-max-listpack-value", \.zsetMaxListpackValue, 0...Int.max, alias: "zset-max-ziplist-value", memory: true),
            P("client-output-buffer-limit", multiArg: true, get: { c in
                ["normal", "replica", "pubsub"].map { k in
                    let l = c.outputLimits[k]!
                    return "\(k == "replica" ? "slave" : k) \(l.hard) \(l.soft) \(l.seconds)"
                }.joined(separator: " ")
            }, set: { c, a in
                let w = a[0].split(separator: " ").map(String.init)
                guard w.count % 4 == 0, !w.isEmpty else { return "Wrong number of arguments in buffer limit configuration." }
                var next = c.outputLimits
                var i = 0
                while i < w.count {
                    var cls = w[i].lowercased()
                    if cls == "slave" { cls = "replica" }
                    guard next[cls] != nil else { return "Invalid client class specified in buffer limit configuration." }
                    guard let h = ConfigParser.parseMemory(w[i + 1]), let s = ConfigParser.parseMemory(w[i + 2]),
                          let secs = Int(w[i + 3]), secs >= 0 else {
                        return "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                    }
                    next[cls] = (h, s, secs)
                    i += 4
                }
                c.outputLimits = next
                return nil
            }),
        ]
        // Redis settings accepted for compatibility; Cinnabar has no behaviour behind them.
        let inert: [ConfigParameter] = [
            .inert("activerehashing", .bool, "yes"),
            .inert("lazyfree-lazy-eviction", .bool, "no"),
            .inert("lazyfree-lazy-expire", .bool, "no"),
            .inert("lazyfree-lazy-server-del", .bool, "no"),
            .inert("lazyfree-lazy-user-del", .bool, "no"),
            .inert("lazyfree-lazy-user-flush", .bool, "no"),
            .inert("dynamic-hz", .bool, "yes"),
            .inert("rdb-del-sync-files", .bool, "no"),
            .inert("rdb-save-incremental-fsync", .bool, "yes"),
            .inert("aof-rewrite-incremental-fsync", .bool, "yes"),
            .inert("no-appendfsync-on-rewrite", .bool, "no"),
            .inert("aof-timestamp-enabled", .bool, "no"),
            .inert("always-show-logo", mutable: false, .bool, "no"),
            .inert("set-proc-title", mutable: false, .bool, "yes"),
            .inert("crash-log-enabled", .bool, "yes"),
            .inert("crash-memcheck-enabled", .bool, "yes"),
            .inert("disable-thp", mutable: false, .bool, "yes"),
            .inert("latency-tracking", .bool, "yes"),
            .inert("jemalloc-bg-thread", .bool, "yes"),
            .inert("activedefrag", .bool, "no"),
            .inert("replica-serve-stale-data", alias: "slave-serve-stale-data", .bool, "yes"),
            .inert("replica-read-only", alias: "slave-read-only", .bool, "yes"),
            .inert("replica-lazy-flush", alias: "slave-lazy-flush", .bool, "no"),
            .inert("replica-ignore-maxmemory", alias: "slave-ignore-maxmemory", .bool, "yes"),
            .inert("repl-diskless-sync", .bool, "yes"),
            .inert("repl-disable-tcp-nodelay", .bool, "no"),
            .inert("io-threads-do-reads", mutable: false, .bool, "no"),
            .inert("cluster-enabled", mutable: false, .bool, "no"),
            .inert("syslog-enabled", mutable: false, .bool, "no"),
            .inert("min-replicas-to-write", alias: "min-slaves-to-write", .int(0...Int(Int32.max), memory: false), "0"),
            .inert("min-replicas-max-lag", alias: "min-slaves-max-lag", .int(0...Int(Int32.max), memory: false), "10"),
            .inert("maxmemory-samples", .int(1...Int(Int32.max), memory: false), "5"),
            .inert("maxmemory-eviction-tenacity", .int(0...100, memory: false), "10"),
            .inert("maxmemory-clients", .int(0...Int.max, memory: true), "0"),
            .inert("lfu-log-factor", .int(0...Int(Int32.max), memory: false), "10"),
            .inert("lfu-decay-time", .int(0...Int(Int32.max), memory: false), "1"),
            .inert("active-expire-effort", .int(1...10, memory: false), "1"),
            .inert("latency-monitor-threshold", .int(0...Int.max, memory: false), "0"),
            .inert("stream-node-max-bytes", .int(0...Int.max, memory: true), "4096"),
            .inert("stream-node-max-entries", .int(0...Int.max, memory: false), "100"),
            .inert("hll-sparse-max-bytes", .int(0...Int.max, memory: true), "3000"),
            .inert("tracking-table-max-keys", .int(0...Int.max, memory: false), "1000000"),
            .inert("repl-backlog-size", .int(1...Int.max, memory: true), "1048576"),
            .inert("repl-backlog-ttl", .int(0...Int.max, memory: false), "3600"),
            .inert("repl-timeout", .int(1...Int(Int32.max), memory: false), "60"),
            .inert("repl-ping-replica-period", alias: "repl-ping-slave-period", .int(1...Int(Int32.max), memory: false), "10"),
            .inert("repl-diskless-sync-delay", .int(0...Int(Int32.max), memory: false), "5"),
            .inert("replica-priority", alias: "slave-priority", .int(0...Int(Int32.max), memory: false), "100"),
            .inert("rdb-key-save-delay", .int(Int(Int32.min)...Int(Int32.max), memory: false), "0"),
            .inert("key-load-delay", .int(Int(Int32.min)...Int(Int32.max), memory: false), "0"),
            .inert("acllog-max-len", .int(0...Int.max, memory: false), "128"),
            .inert("shutdown-timeout", .int(0...Int(Int32.max), memory: false), "10"),
            .inert("masterauth", .string, ""),
            .inert("masteruser", .string, ""),
            .inert("replica-announce-ip", alias: "slave-announce-ip", .string, ""),
            .inert("ignore-warnings", .string, ""),
            .inert("unixsocket", mutable: false, .string, ""),
            .inert("unixsocketperm", mutable: false, .int(0...0o777, memory: false), "0"),
            .inert("supervised", mutable: false, .choice(["upstart", "systemd", "auto", "no"]), "no"),
            .inert("oom-score-adj", .choice(["no", "yes", "relative", "absolute"]), "no"),
            .inert("sanitize-dump-payload", .choice(["no", "yes", "clients"]), "no"),
            .inert("enable-protected-configs", mutable: false, .choice(["no", "yes", "local"]), "no"),
            .inert("enable-module-command", mutable: false, .choice(["no", "yes", "local"]), "no"),
            .inert("propagation-error-behavior", .choice(["ignore", "panic", "panic-on-replicas"]), "ignore"),
            .inert("acl-pubsub-default", .choice(["allchannels", "resetchannels"]), "resetchannels"),
            .inert("repl-diskless-load", .choice(["disabled", "on-empty-db", "swapdb"]), "disabled"),
        ]
        list.append(contentsOf: inert)
        return list
    }()

    static let byName: [String: Int] = {
        var d: [String: Int] = [:]
        for (i, p) in parameters.enumerated() {
            d[p.name] = i
            if let a = p.alias { d[a] = i }
        }
        return d
    }()

    /// Finds a directive by name or alias (case-insensitive).
    public static func lookup(_ name: String) -> ConfigParameter? {
        byName[name.lowercased()].map { parameters[$0] }
    }
}

/// The canonical absolute form of an existing path; nil (errno set) when it does not resolve.
public func absolutePath(_ path: String) -> String? {
    guard let p = realpath(path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
}
