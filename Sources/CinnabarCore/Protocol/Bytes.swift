import CSystem
import Glibc

/// A borrowed byte string: a command argument, a key or a stored value. Valid
/// only while its owner (the client's query buffer, an entry under its shard
/// lock) stays untouched.
public typealias Bytes = UnsafeBufferPointer<UInt8>

extension UnsafeBufferPointer where Element == UInt8 {
    /// Case-insensitive comparison against an ASCII literal (command names, options).
    @inline(__always)
    public func equalsIgnoringCase(_ literal: StaticString) -> Bool {
        guard count == literal.utf8CodeUnitCount else { return false }
        let lit = literal.utf8Start
        for i in 0..<count {
            var a = self[i]
            if a >= 65 && a <= 90 { a |= 0x20 }
            var b = lit[i]
            if b >= 65 && b <= 90 { b |= 0x20 }
            if a != b { return false }
        }
        return true
    }

    @inline(__always)
    public func equals(_ other: Bytes) -> Bool {
        count == other.count && (count == 0 || memcmp(baseAddress!, other.baseAddress!, count) == 0)
    }

    /// A copy as a Swift string (invalid UTF-8 repaired); for messages, never hot paths.
    public var string: String {
        String(decoding: self, as: UTF8.self)
    }

    public var array: [UInt8] { Array(self) }

    /// Lowercased copy, for table lookups.
    public var lowercasedString: String {
        String(decoding: self.map { ($0 >= 65 && $0 <= 90) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}

extension Array where Element == UInt8 {
    /// Runs `body` with a borrowed view; empty arrays get a valid non-nil pointer.
    @inline(__always)
    public func withBytes<R>(_ body: (Bytes) throws -> R) rethrows -> R {
        if isEmpty {
            return try Swift.withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { tmp in
                try body(Bytes(start: tmp.baseAddress, count: 0))
            }
        }
        return try withUnsafeBufferPointer { try body($0) }
    }
}

extension String {
    /// UTF-8 bytes of the string.
    public var bytes: [UInt8] { Array(utf8) }
}

/// Number parsing and formatting with Redis's exact rules.
public enum Numbers {
    /// Parses a 64-bit signed integer with Redis's `string2ll` rules: optional
    /// `-`, no `+`, no leading zeros, no spaces, at most 20 characters.
    @inline(__always)
    public static func parseInt64(_ s: Bytes) -> Int64? {
        let n = s.count
        if n == 0 || n >= 21 { return nil }
        if n == 1 && s[0] == 48 { return 0 }
        var i = 0
        var negative = false
        if s[0] == 45 {
            negative = true
            i = 1
            if n == 1 { return nil }
        }
        let first = s[i]
        guard first >= 49 && first <= 57 else { return nil }
        var v = UInt64(first - 48)
        i += 1
        while i < n {
            let c = s[i]
            guard c >= 48 && c <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            if o1 { return nil }
            let (a, o2) = m.addingReportingOverflow(UInt64(c - 48))
            if o2 { return nil }
            v = a
            i += 1
        }
        if negative {
            if v > UInt64(Int64.max) + 1 { return nil }
            return v == UInt64(Int64.max) + 1 ? Int64.min : -Int64(v)
        }
        if v > UInt64(Int64.max) { return nil }
        return Int64(v)
    }

    public static func parseInt64(_ s: [UInt8]) -> Int64? {
        s.withBytes { parseInt64($0) }
    }

    public static func parseInt64(_ s: String) -> Int64? {
        var s = s
        return s.withUTF8 { parseInt64($0) }
    }

    /// Parses a double as Redis's `getDoubleFromObject`: `strtod` over the whole
    /// string, no leading space, no NaN, overflow rejected.
    public static func parseDouble(_ s: Bytes) -> Double? {
        if s.count == 0 || s.count > 5 * 1024 { return nil }
        if isspace(Int32(s[0])) != 0 { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: s.count + 1) { buf in
            for i in 0..<s.count { buf[i] = CChar(bitPattern: s[i]) }
            buf[s.count] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let v = strtod(buf.baseAddress!, &end)
            guard let end, end == buf.baseAddress! + s.count else { return nil }
            if errno == ERANGE && (v == .infinity || v == -.infinity || v == 0) { return nil }
            if v.isNaN { return nil }
            return v
        }
    }

    /// Parses a long double as Redis's `string2ld` (used by INCRBYFLOAT).
    public static func parseLongDouble(_ s: Bytes) -> Float80? {
        if s.count == 0 || s.count >= 5 * 1024 { return nil }
        if isspace(Int32(s[0])) != 0 { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: s.count + 1) { buf in
            for i in 0..<s.count { buf[i] = CChar(bitPattern: s[i]) }
            buf[s.count] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            errno = 0
            let v = strtold(buf.baseAddress!, &end)
            guard let end, end == buf.baseAddress! + s.count else { return nil }
            if errno == ERANGE && (v == .infinity || v == -.infinity || v == 0) { return nil }
            if v.isNaN { return nil }
            return v
        }
    }

    /// Writes the decimal digits of `v` into `out` (at least 20 bytes); returns the length.
    @inline(__always)
    public static func formatInt64(_ v: Int64, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var u = v < 0 ? UInt64(bitPattern: 0 &- v) : UInt64(v)
        if v == Int64.min { u = UInt64(Int64.max) + 1 }
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &tmp) { raw in
            let t = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var n = 0
            repeat {
                t[n] = UInt8(48 + u % 10)
                u /= 10
                n += 1
            } while u != 0
            var len = 0
            if v < 0 { out[0] = 45; len = 1 }
            for i in 0..<n { out[len + i] = t[n - 1 - i] }
            return len + n
        }
    }

    public static func int64Bytes(_ v: Int64) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: 21) { buf, n in n = formatInt64(v, into: buf.baseAddress!) }
    }

    /// `%.17g`, as Redis 7.0 prints doubles in replies (infinities as `inf`/`-inf`).
    public static func formatDouble17g(_ d: Double) -> [UInt8] {
        if d.isInfinite { return d > 0 ? Array("inf".utf8) : Array("-inf".utf8) }
        return cFormat("%.17g", d)
    }

    /// Redis's `d2string`: integers without a fraction print as integers,
    /// otherwise `%.17g`; `-0` keeps its sign; `nan`, `inf`, `-inf`.
    public static func formatDoubleHuman(_ d: Double) -> [UInt8] {
        if d.isNaN { return Array("nan".utf8) }
        if d.isInfinite { return d > 0 ? Array("inf".utf8) : Array("-inf".utf8) }
        if d == 0 { return d.sign == .minus ? Array("-0".utf8) : Array("0".utf8) }
        if d >= -9007199254740992 && d <= 9007199254740992, d == d.rounded(.towardZero) {
            return int64Bytes(Int64(d))
        }
        return cFormat("%.17g", d)
    }

    /// Redis's `ld2string` in human mode (INCRBYFLOAT): `%.17Lf` with trailing
    /// zeros (and a trailing dot) removed; empty when the text would not fit
    /// Redis's 5 KiB buffer. Nil for infinities or NaN.
    public static func formatLongDoubleHuman(_ v: Float80) -> [UInt8]? {
        if v.isNaN || v.isInfinite { return nil }
        var out = cFormatLong("%.17Lf", v)
        if out.count >= 5 * 1024 { return [] }
        if out.contains(46) {
            while out.last == 48 { out.removeLast() }
            if out.last == 46 { out.removeLast() }
        }
        if out == Array("-0".utf8) { out = [48] }
        return out
    }

    static func cFormat(_ format: String, _ d: Double) -> [UInt8] {
        // `%f` of a huge double has over 300 digits: format again with room for all of them.
        var cap = 64
        while true {
            let (n, out) = withUnsafeTemporaryAllocation(of: CChar.self, capacity: cap) { buf in
                let n = Int(withVaList([d]) { vsnprintf(buf.baseAddress!, cap, format, $0) })
                return (n, n < cap ? (0..<max(n, 0)).map { UInt8(bitPattern: buf[$0]) } : [])
            }
            if n < cap { return out }
            cap = n + 1
        }
    }

    static func cFormatLong(_ format: String, _ v: Float80) -> [UInt8] {
        let cap = 5 * 1024 + 64
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: cap) { buf in
            let n = withVaList([v]) { vsnprintf(buf.baseAddress!, cap, format, $0) }
            return (0..<Int(min(n, Int32(cap - 1)))).map { UInt8(bitPattern: buf[$0]) }
        }
    }
}
