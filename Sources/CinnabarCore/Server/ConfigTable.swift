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

/// Properties of a configuration directive, as Redis classifies them.
public struct ConfigFlags: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Set only at start-up; CONFIG SET refuses it.
    public static let immutable = ConfigFlags(rawValue: 1 << 0)
    /// CONFIG SET needs `enable-protected-configs` (dir, dbfilename).
    public static let protected = ConfigFlags(rawValue: 1 << 1)
    /// Left out of CONFIG GET patterns; an exact name still reads it.
    public static let hidden = ConfigFlags(rawValue: 1 << 2)
    /// Its CONFIG SET value is redacted from MONITOR and SLOWLOG.
    public static let sensitive = ConfigFlags(rawValue: 1 << 3)
    /// Refused while loading the dataset.
    public static let denyLoading = ConfigFlags(rawValue: 1 << 4)
    /// The value is several space-separated words (`save`, `bind`...).
    public static let multiArg = ConfigFlags(rawValue: 1 << 5)
}

/// How CONFIG REWRITE writes a directive.
public enum ConfigRewriteStyle {
    /// `name value`.
    case plain
    /// `name 64mb`: byte counts in the largest exact gb/mb/kb unit.
    case memory
    /// `name "value"` quoted; an empty value is left out of the file.
    case quoted
    /// `name "value"` quoted, even when empty.
    case quotedAllowEmpty
    /// Whole lines; `alwaysWrite` writes them even at the default value.
    case lines(alwaysWrite: Bool, (ServerConfig) -> [String])
}

/// A configuration directive: names, flags, and how its value reads,
/// parses, applies and is rewritten.
public struct ConfigParameter {
    public let name: String
    public let alias: String?
    public let flags: ConfigFlags
    /// The value as CONFIG GET prints it.
    public let get: (ServerConfig) -> String
    /// Parses and stores (multi-word values arrive joined by spaces); returns Redis's error text on a bad value.
    let set: (inout ServerConfig, [String]) -> String?
    let rewrite: ConfigRewriteStyle
    /// Makes a changed value take effect beyond the configuration snapshot
    /// (re-binding sockets, log level); returns an error text to roll the change back.
    let apply: ((Server, ServerConfig) -> String?)?

    public var mutable: Bool { !flags.contains(.immutable) }
    public var multiArg: Bool { flags.contains(.multiArg) }
    public var sensitive: Bool { flags.contains(.sensitive) }

    init(_ name: String, alias: String? = nil, flags: ConfigFlags = [], rewrite: ConfigRewriteStyle = .plain,
         apply: ((Server, ServerConfig) -> String?)? = nil,
         get: @escaping (ServerConfig) -> String, set: @escaping (inout ServerConfig, [String]) -> String?) {
        self.name = name
        self.alias = alias
        self.flags = flags
        self.rewrite = rewrite
        self.apply = apply
        self.get = get
        self.set = set
    }

    /// True when the value differs from a fresh server's (CONFIG REWRITE writes only those, unless forced).
    func isDefault(_ c: ServerConfig) -> Bool { get(c) == get(ConfigTable.defaults) }
}

extension ConfigParameter {
    static func bool(_ name: String, _ kp: WritableKeyPath<ServerConfig, Bool>, alias: String? = nil, flags: ConfigFlags = []) -> ConfigParameter {
        ConfigParameter(name, alias: alias, flags: flags, get: { $0[keyPath: kp] ? "yes" : "no" }, set: { c, a in
            guard let v = ConfigParser.parseBool(a[0]) else { return "argument must be 'yes' or 'no'" }
            c[keyPath: kp] = v
            return nil
        })
    }

    static func int(_ name: String, _ kp: WritableKeyPath<ServerConfig, Int>, _ range: ClosedRange<Int>, alias: String? = nil,
                    flags: ConfigFlags = [], memory: Bool = false, apply: ((Server, ServerConfig) -> String?)? = nil) -> ConfigParameter {
        ConfigParameter(name, alias: alias, flags: flags, rewrite: memory ? .memory : .plain, apply: apply,
                        get: { String($0[keyPath: kp]) }, set: { c, a in
            switch ConfigParser.parseNumber(a[0], memory: memory, range: range) {
            case .success(let v): c[keyPath: kp] = v; return nil
            case .failure(let e): return e.message
            }
        })
    }

    /// `emptyIsUnset`: an empty value means "not set" and is left out of rewritten files.
    static func string(_ name: String, _ kp: WritableKeyPath<ServerConfig, String>, alias: String? = nil, flags: ConfigFlags = [],
                       emptyIsUnset: Bool = false, validate: ((String) -> String?)? = nil,
                       apply: ((Server, ServerConfig) -> String?)? = nil) -> ConfigParameter {
        ConfigParameter(name, alias: alias, flags: flags, rewrite: emptyIsUnset ? .quoted : .quotedAllowEmpty, apply: apply,
                        get: { $0[keyPath: kp] }, set: { c, a in
            if let e = validate?(a[0]) { return e }
            c[keyPath: kp] = a[0]
            return nil
        })
    }

    static func choice(_ name: String, _ kp: WritableKeyPath<ServerConfig, String>, _ options: [String], alias: String? = nil,
                       flags: ConfigFlags = [], apply: ((Server, ServerConfig) -> String?)? = nil) -> ConfigParameter {
        ConfigParameter(name, alias: alias, flags: flags, apply: apply, get: { $0[keyPath: kp] }, set: { c, a in
            guard let v = ConfigParser.enumValue(a[0], options) else { return ConfigParser.enumError(options) }
            c[keyPath: kp] = v
            return nil
        })
    }

    /// A Redis setting Cinnabar accepts, validates, reports and rewrites but has no machinery behind
    /// (replication, cluster, active defragmentation...): clients and tooling keep working against it.
    static func stored(_ name: String, alias: String? = nil, flags: ConfigFlags = [], _ kind: StoredKind, _ def: String) -> ConfigParameter {
        let style: ConfigRewriteStyle
        switch kind {
        case .int(_, memory: true), .memoryOrPercent: style = .memory
        case .string(let emptyIsUnset, _): style = emptyIsUnset ? .quoted : .quotedAllowEmpty
        default: style = .plain
        }
        return ConfigParameter(name, alias: alias, flags: flags, rewrite: style, get: { $0.extras[name] ?? def }, set: { c, a in
            let v = a[0]
            switch kind {
            case .bool(let validate):
                guard let b = ConfigParser.parseBool(v) else { return "argument must be 'yes' or 'no'" }
                if let e = validate?(b) { return e }
                c.extras[name] = b ? "yes" : "no"
            case .int(let r, let memory):
                switch ConfigParser.parseNumber(v, memory: memory, range: r) {
                case .success(let n): c.extras[name] = String(n)
                case .failure(let e): return e.message
                }
            case .octal(let r):
                guard let n = Int(v, radix: 8) else { return "argument couldn't be parsed as an octal number" }
                guard r.contains(n) else {
                    return "argument must be between \(String(r.lowerBound, radix: 8)) and \(String(r.upperBound, radix: 8)) inclusive"
                }
                c.extras[name] = String(n, radix: 8)
            case .memoryOrPercent(let minPercent):
                if let n = ConfigParser.parseMemory(v) {
                    c.extras[name] = String(n)
                } else if v.count > 1, v.hasSuffix("%"), let p = Numbers.parseInt64(String(v.dropLast())), p >= 0 {
                    guard p <= minPercent else { return "percentage argument must be less or equal to \(minPercent)" }
                    c.extras[name] = p == 0 ? "0" : "\(p)%"
                } else {
                    return "argument must be a memory or percent value"
                }
            case .choice(let options):
                guard let canonical = ConfigParser.enumValue(v, options) else { return ConfigParser.enumError(options) }
                c.extras[name] = canonical
            case .string(_, let validate):
                if let e = validate?(v) { return e }
                c.extras[name] = v
            }
            return nil
        })
    }

    enum StoredKind {
        case bool(validate: ((Bool) -> String?)?)
        case int(ClosedRange<Int>, memory: Bool)
        case octal(ClosedRange<Int>)
        /// Bytes, or `N%` up to the given percentage.
        case memoryOrPercent(Int64)
        /// Options in Redis's order; `a=b` spells an alias `a` reported as `b`.
        case choice([String])
        case string(emptyIsUnset: Bool, validate: ((String) -> String?)?)

        static let yesNo = StoredKind.bool(validate: nil)
        static func int(_ r: ClosedRange<Int>) -> StoredKind { .int(r, memory: false) }
        static func memory(_ r: ClosedRange<Int>) -> StoredKind { .int(r, memory: true) }
        static let text = StoredKind.string(emptyIsUnset: false, validate: nil)
        static let optionalText = StoredKind.string(emptyIsUnset: true, validate: nil)
    }
}

extension ConfigParser {
    /// The canonical spelling of `value` among enum `options` (case-insensitive);
    /// an option written `alias=name` accepts `alias` and reports `name`.
    static func enumValue(_ value: String, _ options: [String]) -> String? {
        let v = value.lowercased()
        for o in options {
            if let eq = o.firstIndex(of: "=") {
                if o[..<eq] == v { return String(o[o.index(after: eq)...]) }
            } else if o == v {
                return o
            }
        }
        return nil
    }

    static func enumError(_ options: [String]) -> String {
        "argument(s) must be one of the following: " + options.map { $0.split(separator: "=").first.map(String.init) ?? $0 }.joined(separator: ", ")
    }

    /// Redis's `sdstemplate` check for proc-title-template: `{name}` must
    /// name a known variable, `{{` is a literal brace, and the expansion
    /// (with an empty title) must not be blank.
    static func validProcTitleTemplate(_ t: String) -> Bool {
        let known: Set<String> = ["title", "listen-addr", "server-mode", "config-file", "port", "tls-port", "unixsocket"]
        // Variables that may expand to nothing: the title checked is empty, the mode
        // is empty when standalone, and there is no unix socket.
        let mayBeEmpty: Set<String> = ["title", "server-mode", "unixsocket"]
        var out = ""
        let chars = Array(t)
        var i = 0
        while i < chars.count {
            let ch = chars[i]
            guard ch == "{" else {
                out.append(ch)
                i += 1
                continue
            }
            guard i + 1 < chars.count else { return false }
            if chars[i + 1] == "{" {
                out.append("{")
                i += 2
                continue
            }
            guard let close = chars[(i + 1)...].firstIndex(of: "}") else { return false }
            let name = String(chars[(i + 1)..<close])
            guard known.contains(name) else { return false }
            if !mayBeEmpty.contains(name) { out.append("x") }
            i = close + 1
        }
        return !out.trimmingCharacters(in: " ").isEmpty
    }

    static func validHostname(_ s: String) -> String? {
        if s.utf8.count >= 256 { return "Hostnames must be less than 256 characters" }
        for b in s.utf8 where !((b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == 45 || b == 46) {
            return "Hostnames may only contain alphanumeric characters, hyphens or dots"
        }
        return nil
    }

    /// `shutdown-on-sigint` / `shutdown-on-sigterm` words.
    static func parseShutdownFlags(_ value: String) -> Result<[String], NumberError> {
        let options = ["default", "save", "nosave", "now", "force"]
        let words = value.split(separator: " ", omittingEmptySubsequences: false).map { $0.lowercased() }
        guard !words.isEmpty, words.allSatisfy({ options.contains($0) }) else {
            return .failure(NumberError(message: enumError(options)))
        }
        var set = Set(words)
        set.remove("default")
        if set.contains("save") && set.contains("nosave") {
            return .failure(NumberError(message: "shutdown options SAVE and NOSAVE can't be used simultaneously"))
        }
        return .success(["save", "nosave", "now", "force"].filter { set.contains($0) })
    }

    /// Redis's rendering of shutdown flags: `default` or the words in Redis's enum order.
    static func shutdownFlagsText(_ flags: [String]) -> String {
        flags.isEmpty ? "default" : ["save", "nosave", "now", "force"].filter { flags.contains($0) }.joined(separator: " ")
    }

    /// `%g`-style rendering of percentiles (50, 99.9), as Redis prints them.
    static func formatPercentile(_ d: Double) -> String {
        if d == d.rounded() && abs(d) < 1e15 { return String(Int64(d)) }
        var s = String(format2: d)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }
}

extension String {
    /// Fixed six-decimal rendering without Foundation.
    init(format2 d: Double) {
        let scaled = (d * 1_000_000).rounded()
        let whole = Int64(scaled / 1_000_000)
        var frac = String(Int64(abs(scaled)) % 1_000_000)
        while frac.count < 6 { frac = "0" + frac }
        self = (d < 0 && whole == 0 ? "-" : "") + "\(whole).\(frac)"
    }
}

/// All configuration directives Cinnabar accepts, by Redis name.
public enum ConfigTable {
    /// A fresh server's configuration (CONFIG REWRITE leaves default values out).
    public static let defaults = ServerConfig()

    public static let parameters: [ConfigParameter] = {
        typealias P = ConfigParameter
        let intMax = Int(Int32.max), intMin = Int(Int32.min)
        let list: [ConfigParameter] = [
            // Server and networking.
            .int("port", \.port, 0...65535, apply: { s, c in
                s.rebind(addresses: c.bind, port: c.port).map { e in
                    s.log.log(.warning, "Unable to listen on port \(c.port): \(e)")
                    return "Unable to listen on this port. Check server logs."
                }
            }),
            P("bind", flags: .multiArg, rewrite: .lines(alwaysWrite: false, { ["bind " + $0.bind.joined(separator: " ")] }),
              apply: { s, c in
                s.rebind(addresses: c.bind, port: c.port).map { e in
                    s.log.log(.warning, "Failed to bind to \(c.bind.joined(separator: " ")): \(e)")
                    return "Failed to bind to specified addresses."
                }
              },
              get: { $0.bind.joined(separator: " ") }, set: { c, a in
                let words = a[0].split(separator: " ").map(String.init)
                guard words.count <= 16 else { return "Too many bind addresses specified." }
                c.bind = words.isEmpty ? ["*", "-::*"] : words
                return nil
            }),
            .bool("protected-mode", \.protectedMode),
            .int("tcp-backlog", \.tcpBacklog, 0...intMax, flags: .immutable),
            .int("tcp-keepalive", \.tcpKeepalive, 0...intMax),
            .int("timeout", \.timeout, 0...intMax),
            .int("maxclients", \.maxclients, 1...Int(UInt32.max)),
            .int("io-threads", \.ioThreads, 1...128, flags: .immutable),
            .stored("io-threads-do-reads", flags: .immutable, .yesNo, "no"),
            // Cinnabar's own: how many lock-striped slices the keyspace has. Hidden
            // from patterns so tools that walk CONFIG GET * see only Redis's names.
            P("shards", flags: [.immutable, .hidden], get: { String($0.shards) }, set: { c, a in
                switch ConfigParser.parseNumber(a[0], memory: false, range: 1...1024) {
                case .success(let v):
                    guard v & (v - 1) == 0 else { return "argument must be a power of two between 1 and 1024" }
                    c.shards = v
                    return nil
                case .failure(let e): return e.message
                }
            }),
            .string("requirepass", \.requirepass, flags: .sensitive, emptyIsUnset: true, apply: { s, c in
                s.acl.setDefaultPassword(c.requirepass)
                return nil
            }),
            .stored("masterauth", flags: .sensitive, .optionalText, ""),
            .stored("masteruser", flags: .sensitive, .optionalText, ""),
            .stored("aclfile", flags: .immutable, .text, ""),
            .stored("acllog-max-len", .int(0...Int.max), "128"),
            .stored("acl-pubsub-default", .choice(["allchannels", "resetchannels"]), "resetchannels"),
            .stored("unixsocket", flags: .immutable, .optionalText, ""),
            .stored("unixsocketperm", flags: .immutable, .octal(0...0o777), "0"),
            .stored("socket-mark-id", flags: .immutable, .int(0...Int(UInt32.max)), "0"),
            .stored("bind-source-addr", .optionalText, ""),
            .choice("enable-debug-command", \.enableDebugCommand, ["no", "yes", "local"], flags: .immutable),
            .stored("enable-protected-configs", flags: .immutable, .choice(["no", "yes", "local"]), "no"),
            .stored("enable-module-command", flags: .immutable, .choice(["no", "yes", "local"]), "no"),
            // Process.
            P("daemonize", flags: .immutable, get: { $0.daemonize ? "yes" : "no" }, set: { c, a in
                guard let v = ConfigParser.parseBool(a[0]) else { return "argument must be 'yes' or 'no'" }
                guard !v else { return "daemonize yes is not supported; run cinnabar-server under a supervisor" }
                c.daemonize = v
                return nil
            }),
            .stored("supervised", flags: .immutable, .choice(["upstart", "systemd", "auto", "no"]), "no"),
            .string("pidfile", \.pidfile, flags: .immutable, emptyIsUnset: true),
            .choice("loglevel", \.loglevel, ["debug", "verbose", "notice", "warning"], apply: { s, c in
                s.log.level = LogLevel(name: c.loglevel) ?? .notice
                return nil
            }),
            .string("logfile", \.logfile, flags: .immutable),
            .stored("syslog-enabled", flags: .immutable, .yesNo, "no"),
            .stored("syslog-ident", flags: .immutable, .text, "redis"),
            .stored("syslog-facility", flags: .immutable,
                    .choice(["user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"]), "local0"),
            .int("databases", \.databases, 1...intMax, flags: .immutable),
            .stored("always-show-logo", flags: .immutable, .yesNo, "no"),
            .stored("set-proc-title", flags: .immutable, .yesNo, "yes"),
            .stored("proc-title-template", .string(emptyIsUnset: false, validate: {
                ConfigParser.validProcTitleTemplate($0) ? nil : "template format is invalid or contains unknown variables"
            }), "{title} {listen-addr} {server-mode}"),
            .stored("crash-log-enabled", .yesNo, "yes"),
            .stored("crash-memcheck-enabled", .yesNo, "yes"),
            .stored("use-exit-on-panic", flags: .hidden, .yesNo, "no"),
            .stored("disable-thp", flags: .immutable, .yesNo, "yes"),
            .stored("oom-score-adj", .choice(["no", "yes", "relative=yes", "absolute"]), "no"),
            P("oom-score-adj-values", flags: .multiArg, get: { $0.extras["oom-score-adj-values"] ?? "0 200 800" }, set: { c, a in
                let words = a[0].split(separator: " ", omittingEmptySubsequences: false)
                guard words.count == 3 else { return "wrong number of arguments" }
                var values: [Int] = []
                for w in words {
                    guard let v = Int(w), v >= -2000, v <= 2000 else {
                        return "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
                    }
                    values.append(v)
                }
                c.extras["oom-score-adj-values"] = values.map(String.init).joined(separator: " ")
                return nil
            }),
            .stored("server_cpulist", flags: .immutable, .optionalText, ""),
            .stored("bio_cpulist", flags: .immutable, .optionalText, ""),
            .stored("aof_rewrite_cpulist", flags: .immutable, .optionalText, ""),
            .stored("bgsave_cpulist", flags: .immutable, .optionalText, ""),
            .stored("ignore-warnings", .text, ""),
            P("shutdown-on-sigint", flags: .multiArg, get: { ConfigParser.shutdownFlagsText($0.shutdownOnSigint) }, set: { c, a in
                switch ConfigParser.parseShutdownFlags(a[0]) {
                case .success(let f): c.shutdownOnSigint = f; return nil
                case .failure(let e): return e.message
                }
            }),
            P("shutdown-on-sigterm", flags: .multiArg, get: { ConfigParser.shutdownFlagsText($0.shutdownOnSigterm) }, set: { c, a in
                switch ConfigParser.parseShutdownFlags(a[0]) {
                case .success(let f): c.shutdownOnSigterm = f; return nil
                case .failure(let e): return e.message
                }
            }),
            .stored("shutdown-timeout", .int(0...intMax), "10"),
            .stored("watchdog-period", flags: .hidden, .int(0...intMax), "0"),
            // Limits and protocol.
            .int("proto-max-bulk-len", \.protoMaxBulkLen, (1024 * 1024)...Int.max, memory: true),
            .int("client-query-buffer-limit", \.clientQueryBufferLimit, (1024 * 1024)...Int.max, memory: true),
            P("client-output-buffer-limit", flags: .multiArg, rewrite: .lines(alwaysWrite: false, { c in
                ["normal", "replica", "pubsub"].compactMap { k in
                    let l = c.outputLimits[k]!, d = ConfigTable.defaults.outputLimits[k]!
                    if l.hard == d.hard && l.soft == d.soft && l.seconds == d.seconds { return nil }
                    return "client-output-buffer-limit \(k == "replica" ? "slave" : k) \(ConfigWriter.memory(l.hard)) \(ConfigWriter.memory(l.soft)) \(l.seconds)"
                }
            }), get: { c in
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
                    guard next[cls] != nil, cls != "master" else { return "Invalid client class specified in buffer limit configuration." }
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
            .stored("maxmemory-clients", .memoryOrPercent(100), "0"),
            .int("busy-reply-threshold", \.busyReplyThreshold, 0...Int.max, alias: "lua-time-limit"),
            // Cinnabar's own: the memory cap of each Lua state; a script that needs more fails alone.
            .int("lua-memory-limit", \.luaMemoryLimit, (1024 * 1024)...Int.max, memory: true),
            // Like Redis, hz is a hint: values outside 1...500 are clamped.
            P("hz", get: { String($0.hz) }, set: { c, a in
                switch ConfigParser.parseNumber(a[0], memory: false, range: 0...Int(Int32.max)) {
                case .success(let v): c.hz = min(500, max(1, v)); return nil
                case .failure(let e): return e.message
                }
            }),
            .stored("dynamic-hz", .yesNo, "yes"),
            // Memory.
            .int("maxmemory", \.maxmemory, 0...Int.max, memory: true),
            .choice("maxmemory-policy", \.maxmemoryPolicy,
                    ["volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"]),
            .stored("maxmemory-samples", .int(1...intMax), "5"),
            .stored("maxmemory-eviction-tenacity", .int(0...100), "10"),
            .stored("lfu-log-factor", .int(0...intMax), "10"),
            .stored("lfu-decay-time", .int(0...intMax), "1"),
            .stored("active-expire-effort", .int(1...10), "1"),
            .stored("lazyfree-lazy-eviction", .yesNo, "no"),
            .stored("lazyfree-lazy-expire", .yesNo, "no"),
            .stored("lazyfree-lazy-server-del", .yesNo, "no"),
            .stored("lazyfree-lazy-user-del", .yesNo, "no"),
            .stored("lazyfree-lazy-user-flush", .yesNo, "no"),
            .stored("activerehashing", .yesNo, "yes"),
            .stored("jemalloc-bg-thread", .yesNo, "yes"),
            .stored("activedefrag", .bool(validate: { on in
                on ? "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution" : nil
            }), "no"),
            .stored("active-defrag-cycle-min", .int(1...99), "1"),
            .stored("active-defrag-cycle-max", .int(1...99), "25"),
            .stored("active-defrag-threshold-lower", .int(0...1000), "10"),
            .stored("active-defrag-threshold-upper", .int(0...1000), "100"),
            .stored("active-defrag-ignore-bytes", .memory(1...Int.max), "104857600"),
            .stored("active-defrag-max-scan-fields", .int(1...Int.max), "1000"),
            // Encodings.
            .int("hash-max-listpack-entries", \.hashMaxListpackEntries, 0...Int.max, alias: "hash-max-ziplist-entries"),
            .int("hash-max-listpack-value", \.hashMaxListpackValue, 0...Int.max, alias: "hash-max-ziplist-value", memory: true),
            .int("list-max-listpack-size", \.listMaxListpackSize, intMin...intMax, alias: "list-max-ziplist-size"),
            .int("list-compress-depth", \.listCompressDepth, 0...intMax),
            .int("set-max-intset-entries", \.setMaxIntsetEntries, 0...Int.max),
            .int("zset-max-listpack-entries", \.zsetMaxListpackEntries, 0...Int.max, alias: "zset-max-ziplist-entries"),
            .int("zset-max-listpack-value", \.zsetMaxListpackValue, 0...Int.max, alias: "zset-max-ziplist-value", memory: true),
            .int("hll-sparse-max-bytes", \.hllSparseMaxBytes, 0...Int.max, memory: true),
            .int("stream-node-max-bytes", \.streamNodeMaxBytes, 0...Int.max, memory: true),
            .int("stream-node-max-entries", \.streamNodeMaxEntries, 0...Int.max),
            // Persistence.
            P("dir", flags: [.protected, .denyLoading], rewrite: .lines(alwaysWrite: true, { ["dir " + quotedRepr(bytes: Array($0.dir.utf8))] }),
              get: { $0.dir }, set: { c, a in
                guard let abs = absolutePath(a[0]) else { return String(cString: strerror(errno)) }
                var st = stat()
                guard stat(abs, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { return String(cString: strerror(ENOTDIR)) }
                c.dir = abs
                return nil
            }),
            .string("dbfilename", \.dbfilename, flags: .protected, validate: { $0.contains("/") ? "dbfilename can't be a path, just a filename" : nil }),
            P("save", flags: .multiArg, rewrite: .lines(alwaysWrite: true, { c in
                c.save.isEmpty ? ["save \"\""] : c.save.map { "save \($0.seconds) \($0.changes)" }
            }), get: { c in c.save.map { "\($0.seconds) \($0.changes)" }.joined(separator: " ") }, set: { c, a in
                let words = a[0].split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                if words == [""] { c.save = []; return nil }
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
            .bool("rdbcompression", \.rdbcompression),
            .bool("rdbchecksum", \.rdbchecksum, flags: .immutable),
            .bool("stop-writes-on-bgsave-error", \.stopWritesOnBgsaveError),
            .stored("rdb-del-sync-files", .yesNo, "no"),
            .stored("rdb-save-incremental-fsync", .yesNo, "yes"),
            .stored("rdb-key-save-delay", flags: .hidden, .int(intMin...intMax), "0"),
            .stored("key-load-delay", flags: .hidden, .int(intMin...intMax), "0"),
            .stored("loading-process-events-interval-bytes", flags: .hidden, .int(1024...intMax), "2097152"),
            .stored("sanitize-dump-payload", .choice(["no", "yes", "clients"]), "no"),
            .bool("appendonly", \.appendonly, flags: .denyLoading),
            .choice("appendfsync", \.appendfsync, ["everysec", "always", "no"]),
            .string("appendfilename", \.appendfilename, flags: .immutable, validate: {
                $0.isEmpty ? "appendfilename can't be empty" : $0.contains("/") ? "appendfilename can't be a path, just a filename" : nil
            }),
            .string("appenddirname", \.appenddirname, flags: .immutable, validate: {
                $0.isEmpty ? "appenddirname can't be empty" : $0.contains("/") ? "appenddirname can't be a path, just a dirname" : nil
            }),
            .bool("aof-load-truncated", \.aofLoadTruncated),
            .bool("aof-use-rdb-preamble", \.aofUseRDBPreamble),
            .stored("aof-timestamp-enabled", .yesNo, "no"),
            .stored("aof-rewrite-incremental-fsync", .yesNo, "yes"),
            .stored("aof-disable-auto-gc", .yesNo, "no"),
            .stored("no-appendfsync-on-rewrite", .yesNo, "no"),
            .int("auto-aof-rewrite-percentage", \.autoAOFRewritePercentage, 0...intMax),
            .int("auto-aof-rewrite-min-size", \.autoAOFRewriteMinSize, 0...Int.max, memory: true),
            // Observability.
            P("notify-keyspace-events", rewrite: .lines(alwaysWrite: false, { c in
                ["notify-keyspace-events " + quotedRepr(bytes: Array(NotifyFlags(rawValue: c.notifyKeyspaceEvents).letters.utf8))]
            }), get: { NotifyFlags(rawValue: $0.notifyKeyspaceEvents).letters }, set: { c, a in
                guard let f = NotifyFlags.parse(a[0]) else { return "Invalid event class character. Use 'Ag$lshzxeKEtmdn'." }
                c.notifyKeyspaceEvents = f.rawValue
                return nil
            }),
            .int("slowlog-log-slower-than", \.slowlogLogSlowerThan, -1...Int.max),
            .int("slowlog-max-len", \.slowlogMaxLen, 0...Int.max),
            .int("latency-monitor-threshold", \.latencyMonitorThreshold, 0...Int.max),
            .bool("latency-tracking", \.latencyTracking),
            P("latency-tracking-info-percentiles", flags: .multiArg,
              get: { $0.latencyPercentiles.map(ConfigParser.formatPercentile).joined(separator: " ") }, set: { c, a in
                let words = a[0].split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                if words == [""] { c.latencyPercentiles = []; return nil }
                var values: [Double] = []
                for w in words {
                    guard let d = Array(w.utf8).withBytes({ Numbers.parseDouble($0) }), d.isFinite else { return "Invalid latency-tracking-info-percentiles parameters" }
                    guard d >= 0, d <= 100 else { return "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]" }
                    values.append(d)
                }
                c.latencyPercentiles = values
                return nil
            }),
            .int("tracking-table-max-keys", \.trackingTableMaxKeys, 0...Int.max),
            // Replication (Cinnabar has none; the settings are stored for tooling).
            P("replicaof", alias: "slaveof", flags: [.immutable, .multiArg], rewrite: .lines(alwaysWrite: false, { _ in [] }),
              get: { _ in "" }, set: { _, a in
                let words = a[0].split(separator: " ").map { $0.lowercased() }
                guard words.count == 2 else { return "wrong number of arguments" }
                guard words == ["no", "one"] else { return "replication is not supported by Cinnabar" }
                return nil
            }),
            .stored("replica-serve-stale-data", alias: "slave-serve-stale-data", .yesNo, "yes"),
            .stored("replica-read-only", alias: "slave-read-only", .yesNo, "yes"),
            .stored("replica-lazy-flush", alias: "slave-lazy-flush", .yesNo, "no"),
            .stored("replica-ignore-maxmemory", alias: "slave-ignore-maxmemory", .yesNo, "yes"),
            .stored("replica-announced", .yesNo, "yes"),
            .stored("replica-ignore-disk-write-errors", .yesNo, "no"),
            .stored("replica-announce-ip", alias: "slave-announce-ip", .optionalText, ""),
            .stored("replica-announce-port", alias: "slave-announce-port", .int(0...65535), "0"),
            .stored("replica-priority", alias: "slave-priority", .int(0...intMax), "100"),
            .stored("repl-diskless-sync", .yesNo, "yes"),
            .stored("repl-diskless-sync-delay", .int(0...intMax), "5"),
            .stored("repl-diskless-sync-max-replicas", .int(0...intMax), "0"),
            .stored("repl-diskless-load", flags: .denyLoading, .choice(["disabled", "on-empty-db", "swapdb"]), "disabled"),
            .stored("repl-disable-tcp-nodelay", .yesNo, "no"),
            .stored("repl-backlog-size", .memory(1...Int.max), "1048576"),
            .stored("repl-backlog-ttl", .int(0...Int.max), "3600"),
            .stored("repl-timeout", .int(1...intMax), "60"),
            .stored("repl-ping-replica-period", alias: "repl-ping-slave-period", .int(1...intMax), "10"),
            .stored("min-replicas-to-write", alias: "min-slaves-to-write", .int(0...intMax), "0"),
            .stored("min-replicas-max-lag", alias: "min-slaves-max-lag", .int(0...intMax), "10"),
            .stored("propagation-error-behavior", .choice(["ignore", "panic", "panic-on-replicas"]), "ignore"),
            // Cluster (Cinnabar runs standalone; the settings are stored for tooling).
            .stored("cluster-enabled", flags: .immutable, .yesNo, "no"),
            .stored("cluster-config-file", flags: .immutable, .text, "nodes.conf"),
            .stored("cluster-port", flags: .immutable, .int(0...65535), "0"),
            .stored("cluster-node-timeout", .int(0...Int.max), "15000"),
            .stored("cluster-require-full-coverage", .yesNo, "yes"),
            .stored("cluster-replica-no-failover", alias: "cluster-slave-no-failover", .yesNo, "no"),
            .stored("cluster-replica-validity-factor", alias: "cluster-slave-validity-factor", .int(0...intMax), "10"),
            .stored("cluster-migration-barrier", .int(0...intMax), "1"),
            .stored("cluster-allow-reads-when-down", .yesNo, "no"),
            .stored("cluster-allow-pubsubshard-when-down", .yesNo, "yes"),
            .stored("cluster-allow-replica-migration", .yesNo, "yes"),
            .stored("cluster-announce-ip", .optionalText, ""),
            .stored("cluster-announce-hostname", .string(emptyIsUnset: true, validate: ConfigParser.validHostname), ""),
            .stored("cluster-announce-port", .int(0...65535), "0"),
            .stored("cluster-announce-bus-port", .int(0...65535), "0"),
            .stored("cluster-announce-tls-port", .int(0...65535), "0"),
            .stored("cluster-preferred-endpoint-type", .choice(["ip", "hostname", "unknown-endpoint"]), "ip"),
            .stored("cluster-link-sendbuf-limit", .memory(0...Int.max), "0"),
        ]
        return list
    }()

    static let byName: [String: Int] = {
        var d: [String: Int] = [:]
        for (i, p) in parameters.enumerated() {
            precondition(d[p.name] == nil, "duplicate config \(p.name)")
            d[p.name] = i
            if let a = p.alias { d[a] = i }
        }
        return d
    }()

    /// Finds a directive by name or alias (case-insensitive).
    public static func lookup(_ name: String) -> ConfigParameter? {
        byName[name.lowercased()].map { parameters[$0] }
    }

    /// Every name CONFIG GET patterns can match, each with its parameter:
    /// primary names and aliases, hidden ones left out.
    public static let visibleNames: [(String, ConfigParameter)] = parameters.flatMap { p -> [(String, ConfigParameter)] in
        if p.flags.contains(.hidden) { return [] }
        return [(p.name, p)] + (p.alias.map { [($0, p)] } ?? [])
    }
}

/// The canonical absolute form of an existing path; nil (errno set) when it does not resolve.
public func absolutePath(_ path: String) -> String? {
    guard let p = realpath(path, nil) else { return nil }
    defer { free(p) }
    return String(cString: p)
}
