import CSystem
import Glibc
import Synchronization

/// Every setting the server reads, with Redis's directive names. Fields are
/// typed for the hot paths; settings kept only for compatibility live in `extras`.
public struct ServerConfig {
    public var port = 6379
    public var bind: [String] = ["*", "-::*"]
    public var protectedMode = true
    public var requirepass = ""
    /// `user <name> <rules...>` configuration lines (name first), applied to the ACL at start-up.
    public var userDirectives: [[String]] = []
    public var dir = absolutePath(".") ?? "."
    public var dbfilename = "dump.rdb"
    /// Snapshot points: (seconds, changes).
    public var save: [(seconds: Int, changes: Int)] = [(3600, 1), (300, 100), (60, 10000)]
    public var appendonly = false
    public var appendfsync = "everysec"
    public var appendfilename = "appendonly.aof"
    public var appenddirname = "appendonlydir"
    public var aofLoadTruncated = true
    public var aofUseRDBPreamble = true
    public var autoAOFRewritePercentage = 100
    public var autoAOFRewriteMinSize = 64 * 1024 * 1024
    public var rdbcompression = true
    public var rdbchecksum = true
    public var stopWritesOnBgsaveError = true
    public var databases = 16
    public var maxclients = 10000
    public var timeout = 0
    public var tcpKeepalive = 300
    public var tcpBacklog = 511
    public var loglevel = "notice"
    public var logfile = ""
    public var pidfile = ""
    public var daemonize = false
    public var protoMaxBulkLen = 512 * 1024 * 1024
    public var clientQueryBufferLimit = 1024 * 1024 * 1024
    public var busyReplyThreshold = 5000
    public var ioThreads = Threads.processorCount
    public var shards = 16
    public var hz = 10
    public var maxmemory = 0
    public var maxmemoryPolicy = "noeviction"
    public var notifyKeyspaceEvents = 0
    public var slowlogLogSlowerThan = 10000
    public var slowlogMaxLen = 128
    public var luaMemoryLimit = 256 * 1024 * 1024
    public var enableDebugCommand = "no"
    /// Per-command latency histograms for INFO latencystats (`latency-tracking`).
    public var latencyTracking = true
    /// Percentiles INFO latencystats reports (`latency-tracking-info-percentiles`).
    public var latencyPercentiles: [Double] = [50, 99, 99.9]
    /// Keys the client-side caching table may hold before some are evicted (0 = no limit).
    public var trackingTableMaxKeys = 1_000_000
    /// `shutdown-on-sigint` / `shutdown-on-sigterm`: words among save, nosave, now, force; empty is `default`.
    public var shutdownOnSigint: [String] = []
    public var shutdownOnSigterm: [String] = []
    public var activeExpireEnabled = true
    public var listMaxListpackSize = -2
    public var listCompressDepth = 0
    public var hashMaxListpackEntries = 512
    public var hashMaxListpackValue = 64
    public var setMaxIntsetEntries = 512
    public var zsetMaxListpackEntries = 128
    public var zsetMaxListpackValue = 64
    /// LATENCY monitor: events lasting at least this many milliseconds are sampled (0 = off).
    public var latencyMonitorThreshold = 0
    /// Streams open a new node once the last reaches this many bytes or entries (0 = no limit).
    public var streamNodeMaxBytes = 4096
    public var streamNodeMaxEntries = 100
    /// Sparse HyperLogLogs longer than this many bytes become dense.
    public var hllSparseMaxBytes = 3000
    /// client-output-buffer-limit per class: (hard, soft, soft seconds).
    public var outputLimits: [String: (hard: Int, soft: Int, seconds: Int)] = [
        "normal": (0, 0, 0), "replica": (256 << 20, 64 << 20, 60), "pubsub": (32 << 20, 8 << 20, 60),
    ]
    /// Accepted Redis settings that Cinnabar stores and reports but that do not change its behaviour.
    public var extras: [String: String] = [:]

    public init() {}
}

/// Parses and validates configuration text with Redis's rules and messages.
public enum ConfigParser {
    public struct NumberError: Error { public let message: String }

    static func parseBool(_ s: String) -> Bool? {
        switch s.lowercased() {
        case "yes": return true
        case "no": return false
        default: return nil
        }
    }

    /// Redis's `memtoull`: a number with an optional k/kb/m/mb/g/gb suffix (case-insensitive).
    public static func parseMemory(_ s: String) -> Int? {
        let lower = s.lowercased()
        let units: [(String, Int)] = [("gb", 1 << 30), ("mb", 1 << 20), ("kb", 1 << 10), ("g", 1_000_000_000), ("m", 1_000_000), ("k", 1000), ("b", 1)]
        var mul = 1
        var digits = Substring(lower)
        for (u, m) in units where lower.hasSuffix(u) {
            mul = m
            digits = lower.dropLast(u.count)
            break
        }
        // As in Redis, an empty number reads as zero ("" and "gb" are 0).
        if digits.isEmpty { return 0 }
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(digits) else { return nil }
        let (r, o) = v.multipliedReportingOverflow(by: mul)
        return o ? nil : r
    }

    static func parseNumber(_ s: String, memory: Bool, range: ClosedRange<Int>) -> Result<Int, NumberError> {
        var value: Int?
        if memory { value = parseMemory(s) }
        if value == nil && !memory, let v = Numbers.parseInt64(s) { value = Int(v) }
        guard let v = value else {
            return .failure(NumberError(message: memory ? "argument must be a memory value" : "argument couldn't be parsed into an integer"))
        }
        guard range.contains(v) else {
            return .failure(NumberError(message: "argument must be between \(range.lowerBound) and \(range.upperBound) inclusive"))
        }
        return .success(v)
    }

    /// A configuration error that stops start-up.
    public struct FileError: Error, CustomStringConvertible {
        public let file: String
        public let line: Int
        public let text: String
        public let message: String

        public var description: String {
            "\n*** FATAL CONFIG FILE ERROR (Cinnabar \(ServerInfo.version)) ***\n"
                + "Reading the configuration file \(file), at line \(line)\n>>> '\(text)'\n\(message)"
        }
    }

    /// Applies configuration text (file contents, then command-line directives)
    /// to `config`. `save` lines accumulate as in Redis; `include` reads another file.
    public static func apply(text: String, file: String, to config: inout ServerConfig, depth: Int = 0) throws(FileError) {
        var saveSeen = false
        var lineNo = 0
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let line = String(rawLine).trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let words = RequestParser.splitArgs(line), !words.isEmpty else {
                throw FileError(file: file, line: lineNo, text: line, message: "Unbalanced quotes in configuration line")
            }
            let args = words.map { String(decoding: $0, as: UTF8.self) }
            let name = args[0].lowercased()
            let values = Array(args.dropFirst())
            if name == "include" {
                guard values.count == 1, depth < 16 else {
                    throw FileError(file: file, line: lineNo, text: line, message: "Bad directive or wrong number of arguments")
                }
                guard let inc = readFile(values[0]) else {
                    throw FileError(file: file, line: lineNo, text: line, message: "Fatal error, can't open config file '\(values[0])'")
                }
                try apply(text: inc, file: values[0], to: &config, depth: depth + 1)
                continue
            }
            if name == "user" {
                guard values.count >= 1 else {
                    throw FileError(file: file, line: lineNo, text: line, message: "Bad directive or wrong number of arguments")
                }
                if config.userDirectives.contains(where: { $0[0] == values[0] }) {
                    throw FileError(file: file, line: lineNo, text: line, message: "Error in user declaration '\(values[0])': Duplicate user found. A user can only be defined once in config files")
                }
                config.userDirectives.append(values)
                continue
            }
            guard let p = ConfigTable.lookup(name) else {
                throw FileError(file: file, line: lineNo, text: line, message: "Bad directive or wrong number of arguments")
            }
            if name == "save" {
                // Each save line adds a point; the first one replaces the defaults.
                if !saveSeen { config.save = []; saveSeen = true }
                if values.count == 1 && values[0].isEmpty { config.save = []; continue }
                // Like Redis, a single argument (`--save "60 100"`) is split on spaces.
                let values = values.count == 1 ? values[0].split(separator: " ").map(String.init) : values
                guard values.count % 2 == 0, !values.isEmpty else {
                    throw FileError(file: file, line: lineNo, text: line, message: "Invalid save parameters")
                }
                let previous = config.save
                if let err = p.set(&config, [values.joined(separator: " ")]) {
                    throw FileError(file: file, line: lineNo, text: line, message: err)
                }
                config.save = previous + config.save
                continue
            }
            if !p.multiArg && values.count != 1 {
                throw FileError(file: file, line: lineNo, text: line, message: "wrong number of arguments")
            }
            if let err = p.set(&config, p.multiArg ? [values.joined(separator: " ")] : values) {
                throw FileError(file: file, line: lineNo, text: line, message: err)
            }
        }
    }

    /// Reads a whole file as text; nil when it cannot be opened.
    public static func readFile(_ path: String) -> String? {
        guard let f = fopen(path, "r") else { return nil }
        defer { fclose(f) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&buf, 1, buf.count, f)
            if n <= 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Turns `redis-server`-style arguments into configuration text:
    /// `[file] [--name value ...]`. Returns the file path (if any) and the directives.
    public static func commandLine(_ args: [String]) -> (file: String?, directives: String) {
        var file: String?
        var i = 0
        if let first = args.first, !first.hasPrefix("--") {
            file = first
            i = 1
        }
        var lines: [String] = []
        var current: [String] = []
        while i < args.count {
            let a = args[i]
            if a.hasPrefix("--") && a.count > 2 {
                if !current.isEmpty { lines.append(current.joined(separator: " ")) }
                current = [String(a.dropFirst(2))]
            } else {
                current.append(quote(a))
            }
            i += 1
        }
        if !current.isEmpty { lines.append(current.joined(separator: " ")) }
        return (file, lines.joined(separator: "\n"))
    }

    /// Quotes a value so `splitArgs` reads it back unchanged.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for b in s.utf8 {
            switch b {
            case 34: out += "\\\""
            case 92: out += "\\\\"
            case 10: out += "\\n"
            case 13: out += "\\r"
            case 9: out += "\\t"
            case 32...126: out.unicodeScalars.append(Unicode.Scalar(b))
            default: out += String(format2hex: b)
            }
        }
        return out + "\""
    }
}

extension String {
    init(format2hex b: UInt8) {
        let hex = Array("0123456789abcdef".utf8)
        self = "\\x" + String(decoding: [hex[Int(b >> 4)], hex[Int(b & 15)]], as: UTF8.self)
    }

    func trimmingCharacters(in set: String) -> String {
        let chars = Set(set)
        var s = Substring(self)
        while let f = s.first, chars.contains(f) { s.removeFirst() }
        while let l = s.last, chars.contains(l) { s.removeLast() }
        return String(s)
    }
}

/// The thread-safe home of the live configuration. Loop threads keep a copy
/// and refresh it when `generation` moves (once per loop iteration).
public final class ConfigStore: @unchecked Sendable {
    private let lock = Lock()
    private var current: ServerConfig
    private let gen = Atomic<Int>(0)
    /// The file the server was started with, for CONFIG REWRITE.
    public let configFile: String?

    public init(_ config: ServerConfig, file: String? = nil) {
        current = config
        configFile = file
    }

    public var generation: Int { gen.load(ordering: .acquiring) }

    public var snapshot: ServerConfig {
        lock.withLock { current }
    }

    /// Applies `body` atomically and publishes the result.
    @discardableResult
    public func update<T>(_ body: (inout ServerConfig) -> T) -> T {
        lock.lock()
        let r = body(&current)
        gen.wrappingAdd(1, ordering: .releasing)
        lock.unlock()
        return r
    }
}
