import CSystem
import Glibc

/// Log verbosity, as Redis's `loglevel`.
public enum LogLevel: Int, Comparable, Sendable {
    case debug = 0, verbose, notice, warning, nothing

    public init?(name: String) {
        switch name {
        case "debug": self = .debug
        case "verbose": self = .verbose
        case "notice": self = .notice
        case "warning": self = .warning
        case "nothing": self = .nothing
        default: return nil
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    var mark: String {
        switch self {
        case .debug: return "."
        case .verbose: return "-"
        case .notice: return "*"
        default: return "#"
        }
    }
}

/// The server log in Redis's line format (`pid:M 21 Nov 2026 10:00:00.123 * text`),
/// to a file or standard output. Thread-safe.
public final class Logger: @unchecked Sendable {
    private let lock = Lock()
    private var file: UnsafeMutablePointer<FILE>?
    private let ownsFile: Bool
    public var level: LogLevel

    /// `path` empty means standard output.
    public init(path: String, level: LogLevel) {
        self.level = level
        if path.isEmpty {
            file = stdout
            ownsFile = false
        } else {
            file = fopen(path, "a")
            ownsFile = file != nil
            if file == nil { file = stdout }
        }
    }

    deinit {
        if ownsFile, let file { fclose(file) }
    }

    public func log(_ level: LogLevel, _ message: @autoclosure () -> String) {
        guard level >= self.level, level != .nothing else { return }
        let line = "\(getpid()):M \(Self.timestamp()) \(level.mark) \(message())\n"
        lock.withLock {
            guard let file else { return }
            fputs(line, file)
            fflush(file)
        }
    }

    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var t = ts.tv_sec
        var tmv = tm()
        localtime_r(&t, &tmv)
        var buf = [CChar](repeating: 0, count: 64)
        let n = strftime(&buf, 64, "%d %b %Y %H:%M:%S", &tmv)
        let ms = Int(ts.tv_nsec / 1_000_000)
        let msText = ms < 10 ? "00\(ms)" : ms < 100 ? "0\(ms)" : "\(ms)"
        return String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) + "." + msText
    }
}
