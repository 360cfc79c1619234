import CSystem
import Glibc

/// A connection's input bytes: data lives in `[start, end)` of one growable
/// allocation, refilled from the socket at `end` and consumed from `start`.
public final class QueryBuffer {
    public private(set) var base: UnsafeMutablePointer<UInt8>
    public private(set) var capacity: Int
    /// First unconsumed byte.
    public var start = 0
    /// One past the last byte received.
    public private(set) var end = 0

    public init(capacity: Int = 16 * 1024) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    @inline(__always) public var available: Int { end - start }

    /// Makes room for at least `n` more bytes at `end`, compacting first.
    /// Bytes from `keep` (default `start`) on are preserved: a partly parsed
    /// command's arguments sit before `start`. Returns how far existing data
    /// moved towards the front (callers holding offsets subtract it).
    @discardableResult
    public func reserve(_ n: Int, keepingFrom keep: Int? = nil) -> Int {
        var shift = 0
        if capacity - end >= n { return 0 }
        let from = min(keep ?? start, start)
        if from > 0 {
            shift = from
            if end > from { memmove(base, base + from, end - from) }
            end -= from
            start -= from
            if capacity - end >= n { return shift }
        }
        var newCap = max(capacity * 2, 16 * 1024)
        while newCap - end < n { newCap *= 2 }
        let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: newCap)
        nb.update(from: base, count: end)
        base.deallocate()
        base = nb
        capacity = newCap
        return shift
    }

    /// Where the socket may write, and how much room there is.
    @inline(__always) public var writable: (UnsafeMutablePointer<UInt8>, Int) { (base + end, capacity - end) }

    @inline(__always) public func commit(_ n: Int) { end += n }

    /// Appends bytes (tests and in-process callers).
    public func append(_ bytes: UnsafeRawBufferPointer) {
        reserve(bytes.count)
        if bytes.count > 0 { (base + end).update(from: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: bytes.count) }
        end += bytes.count
    }

    public func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// Drops consumed bytes before `keep` (default `start`). Returns the shift
    /// applied to offsets.
    @discardableResult
    public func compact(keepingFrom keep: Int? = nil) -> Int {
        let from = min(keep ?? start, start)
        if from == 0 { return 0 }
        let shift = from
        if end > from { memmove(base, base + from, end - from) }
        end -= from
        start -= from
        peak = max(peak, end)
        return shift
    }

    public var allocatedSize: Int { capacity }

    /// Most bytes held since the last `resizeIfIdle` (Redis's querybuf_peak).
    private var peak = 0

    /// Periodic trim, as Redis's client cron does it: an empty buffer of a
    /// client idle for `idleSeconds >= 2` is freed; one much larger than what
    /// recent requests needed shrinks to fit. Returns whether it resized.
    @discardableResult
    public func resizeIfIdle(idleSeconds: Int64) -> Bool {
        defer { peak = end - start }
        guard start == end else { return false }
        if idleSeconds >= 2 && capacity > 0 {
            base.deallocate()
            base = .allocate(capacity: 1)
            capacity = 0
            start = 0
            end = 0
            return true
        }
        if capacity > 32 * 1024 && peak < capacity / 2 {
            let newCap = max(peak, 16 * 1024)
            base.deallocate()
            base = .allocate(capacity: newCap)
            capacity = newCap
            start = 0
            end = 0
            return true
        }
        return false
    }
}

/// Result of one parse step.
public enum ParseOutcome: Equatable {
    /// A full command is in `RequestParser.argv`.
    case command
    /// More bytes are needed.
    case incomplete
    /// The stream is broken; reply with the text (a whole error reply such as
    /// `ERR Protocol error: invalid bulk length`, as Redis words it) and close.
    case protocolError(String)
}

/// Incremental parser for RESP multibulk requests and inline commands with
/// Redis's limits and error texts. Arguments of multibulk requests are not
/// copied: they are offsets into the `QueryBuffer`. Inline arguments (which
/// need unquoting) are copied into parser-owned storage.
public struct RequestParser {
    /// Longest inline request or length line accepted (Redis's PROTO_INLINE_MAX_SIZE).
    public static let inlineMax = 64 * 1024
    /// Bulk arguments at least this large get their whole size reserved up front.
    public static let bigArg = 32 * 1024

    var multibulkRemaining = 0
    var bulkLen = -1
    /// Offsets (into the query buffer, or into `inlineStorage`) and lengths of parsed arguments.
    public private(set) var offsets: [Int] = []
    public private(set) var lengths: [Int] = []
    /// True when the arguments point into `inlineStorage`.
    public private(set) var isInline = false
    public private(set) var inlineStorage: [UInt8] = []
    /// Bytes of the current request consumed so far (argv memory for CLIENT LIST).
    public private(set) var argvBytes = 0

    public init() {
        offsets.reserveCapacity(16)
        lengths.reserveCapacity(16)
    }

    public var argc: Int { offsets.count }

    /// Where the already parsed arguments of an unfinished multibulk request
    /// start in the query buffer: compaction must keep bytes from there.
    public var retainedStart: Int? { isInline ? nil : offsets.first }

    /// A command in progress (some of it parsed)?
    public var inProgress: Bool { multibulkRemaining > 0 }

    /// Bytes the parser still waits for in the current bulk (a hint to size reads).
    public func pendingBulkHint(_ q: QueryBuffer) -> Int {
        guard bulkLen >= Self.bigArg else { return 0 }
        return max(0, bulkLen + 2 - q.available)
    }

    /// Adjusts stored offsets after the query buffer moved its data by `shift`.
    public mutating func shifted(by shift: Int) {
        if shift == 0 || isInline { return }
        for i in offsets.indices { offsets[i] -= shift }
    }

    /// Forgets the last command (call after executing it).
    public mutating func reset() {
        // Keep room for ordinary commands; give back what a huge one needed.
        let keep = offsets.capacity <= 1024
        offsets.removeAll(keepingCapacity: keep)
        lengths.removeAll(keepingCapacity: keep)
        if inlineStorage.capacity > 64 * 1024 { inlineStorage = [] }
        multibulkRemaining = 0
        bulkLen = -1
        isInline = false
        argvBytes = 0
    }

    /// Parses from `q.start`. Empty requests (`*0`, `*-1`, blank lines) are
    /// consumed silently. `maxBulk` is proto-max-bulk-len; `unauthenticated`
    /// applies Redis's tighter limits to clients that still must AUTH.
    public mutating func parse(_ q: QueryBuffer, maxBulk: Int, unauthenticated: Bool) -> ParseOutcome {
        while true {
            if multibulkRemaining == 0 {
                guard q.available > 0 else { return .incomplete }
                if q.base[q.start] == 42 {  // '*'
                    let r = parseMultibulkHeader(q, unauthenticated: unauthenticated)
                    switch r {
                    case .incomplete, .protocolError: return r
                    case .command: if multibulkRemaining == 0 { continue }
                    }
                } else {
                    let r = parseInline(q)
                    if r == .command && offsets.isEmpty { continue }
                    return r
                }
            }
            return parseBulks(q, maxBulk: maxBulk, unauthenticated: unauthenticated)
        }
    }

    /// Finds `byte` in the unconsumed data from `from`; an absolute index or nil.
    @inline(__always)
    private func find(_ q: QueryBuffer, _ byte: UInt8, from: Int) -> Int? {
        let n = q.end - from
        if n <= 0 { return nil }
        guard let p = memchr(q.base + from, Int32(byte), n) else { return nil }
        return q.base.distance(to: p.assumingMemoryBound(to: UInt8.self))
    }

    /// As `find`, but as C's `strchr` on Redis's NUL-terminated query buffer:
    /// a NUL byte before `byte` hides it, so the line is not complete yet.
    /// Redis finds protocol line ends this way, and a client sending a NUL in a
    /// header or inline line gets no reply until the 64 KB limit is passed.
    @inline(__always)
    private func findBeforeNul(_ q: QueryBuffer, _ byte: UInt8, from: Int) -> Int? {
        guard let at = find(q, byte, from: from) else { return nil }
        if at > from, memchr(q.base + from, 0, at - from) != nil { return nil }
        return at
    }

    private mutating func parseMultibulkHeader(_ q: QueryBuffer, unauthenticated: Bool) -> ParseOutcome {
        guard let cr = findBeforeNul(q, 13, from: q.start) else {
            if q.available > Self.inlineMax { return .protocolError("ERR Protocol error: too big mbulk count string") }
            return .incomplete
        }
        if cr + 1 >= q.end { return .incomplete }
        let digits = Bytes(start: q.base + q.start + 1, count: cr - q.start - 1)
        guard let n = Numbers.parseInt64(digits), n <= Int64(Int32.max) else {
            return .protocolError("ERR Protocol error: invalid multibulk length")
        }
        if n > 10 && unauthenticated { return .protocolError("ERR Protocol error: unauthenticated multibulk length") }
        q.start = cr + 2
        if n <= 0 { return .command }
        multibulkRemaining = Int(n)
        isInline = false
        argvBytes = 0
        if offsets.capacity < min(Int(n), 1024) {
            offsets.reserveCapacity(min(Int(n), 1024))
            lengths.reserveCapacity(min(Int(n), 1024))
        }
        return .command
    }

    private mutating func parseBulks(_ q: QueryBuffer, maxBulk: Int, unauthenticated: Bool) -> ParseOutcome {
        while multibulkRemaining > 0 {
            if bulkLen == -1 {
                guard let cr = findBeforeNul(q, 13, from: q.start) else {
                    if q.available > Self.inlineMax { return .protocolError("ERR Protocol error: too big bulk count string") }
                    return .incomplete
                }
                if cr + 1 >= q.end { return .incomplete }
                let first = q.base[q.start]
                if first != 36 {  // '$'
                    return .protocolError("ERR Protocol error: expected '$', got '\(Self.printable(first))'")
                }
                let digits = Bytes(start: q.base + q.start + 1, count: cr - q.start - 1)
                guard let n = Numbers.parseInt64(digits), n >= 0, n <= Int64(maxBulk) else {
                    return .protocolError("ERR Protocol error: invalid bulk length")
                }
                if n > 16384 && unauthenticated { return .protocolError("ERR Protocol error: unauthenticated bulk length") }
                q.start = cr + 2
                bulkLen = Int(n)
            }
            if q.available < bulkLen + 2 { return .incomplete }
            offsets.append(q.start)
            lengths.append(bulkLen)
            argvBytes += bulkLen
            q.start += bulkLen + 2
            bulkLen = -1
            multibulkRemaining -= 1
        }
        return .command
    }

    private static func printable(_ b: UInt8) -> String {
        String(decoding: [b], as: UTF8.self)
    }

    private mutating func parseInline(_ q: QueryBuffer) -> ParseOutcome {
        guard let nl = findBeforeNul(q, 10, from: q.start) else {
            if q.available > Self.inlineMax { return .protocolError("ERR Protocol error: too big inline request") }
            return .incomplete
        }
        var lineEnd = nl
        if lineEnd > q.start && q.base[lineEnd - 1] == 13 { lineEnd -= 1 }
        let line = Bytes(start: q.base + q.start, count: lineEnd - q.start)
        offsets.removeAll(keepingCapacity: true)
        lengths.removeAll(keepingCapacity: true)
        inlineStorage.removeAll(keepingCapacity: true)
        isInline = true
        guard Self.splitArgs(line, into: &inlineStorage, offsets: &offsets, lengths: &lengths) else {
            offsets.removeAll(keepingCapacity: true)
            lengths.removeAll(keepingCapacity: true)
            return .protocolError("ERR Protocol error: unbalanced quotes in request")
        }
        argvBytes = inlineStorage.count
        q.start = nl + 1
        return .command
    }

    @inline(__always)
    static func isSpace(_ c: UInt8) -> Bool {
        c == 32 || c == 10 || c == 13 || c == 9 || c == 11 || c == 12
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }

    /// Splits a line the way Redis splits inline commands and configuration
    /// lines: whitespace separates arguments; "double quotes" take `\n \r \t
    /// \b \a \\ \" \xHH` escapes; 'single quotes' take `\'`; a closing quote
    /// must be followed by whitespace or the end. A NUL byte ends the line.
    /// Returns false on unbalanced quotes.
    public static func splitArgs(_ line: Bytes, into storage: inout [UInt8], offsets: inout [Int], lengths: inout [Int]) -> Bool {
        var end = line.count
        if let nul = line.firstIndex(of: 0) { end = nul }
        var p = 0
        while true {
            while p < end && isSpace(line[p]) { p += 1 }
            if p >= end { return true }
            var inDouble = false, inSingle = false, done = false
            let argStart = storage.count
            while !done {
                if inDouble {
                    if p >= end { return false }
                    let c = line[p]
                    if c == 92 && p + 3 < end + 0 && line[p + 1] == 120, let h = hexValue(line[p + 2]), let l = hexValue(line[p + 3]) {
                        storage.append(h * 16 + l)
                        p += 3
                    } else if c == 92 && p + 1 < end {
                        p += 1
                        switch line[p] {
                        case 110: storage.append(10)
                        case 114: storage.append(13)
                        case 116: storage.append(9)
                        case 98: storage.append(8)
                        case 97: storage.append(7)
                        default: storage.append(line[p])
                        }
                    } else if c == 34 {
                        if p + 1 < end && !isSpace(line[p + 1]) { return false }
                        done = true
                    } else {
                        storage.append(c)
                    }
                } else if inSingle {
                    if p >= end { return false }
                    let c = line[p]
                    if c == 92 && p + 1 < end && line[p + 1] == 39 {
                        p += 1
                        storage.append(39)
                    } else if c == 39 {
                        if p + 1 < end && !isSpace(line[p + 1]) { return false }
                        done = true
                    } else {
                        storage.append(c)
                    }
                } else {
                    if p >= end {
                        done = true
                    } else {
                        let c = line[p]
                        switch c {
                        case 32, 10, 13, 9, 0: done = true
                        case 34: inDouble = true
                        case 39: inSingle = true
                        default: storage.append(c)
                        }
                    }
                }
                if p < end { p += 1 }
            }
            offsets.append(argStart)
            lengths.append(storage.count - argStart)
        }
    }

    /// Convenience: split a configuration line into strings; nil on unbalanced quotes.
    public static func splitArgs(_ line: String) -> [[UInt8]]? {
        var storage: [UInt8] = []
        var offs: [Int] = [], lens: [Int] = []
        var l = line
        let ok = l.withUTF8 { splitArgs($0, into: &storage, offsets: &offs, lengths: &lens) }
        guard ok else { return nil }
        return zip(offs, lens).map { Array(storage[$0..<($0 + $1)]) }
    }
}
