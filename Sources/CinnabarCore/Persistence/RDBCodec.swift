import CSystem
import Glibc

/// Redis's RDB format constants (version 10, as Redis 7.0 writes it).
public enum RDB {
    public static let version: UInt16 = 10

    public enum TypeCode {
        public static let string: UInt8 = 0
        public static let list: UInt8 = 1
        public static let set: UInt8 = 2
        public static let zset: UInt8 = 3
        public static let hash: UInt8 = 4
        public static let zset2: UInt8 = 5
        public static let hashZipmap: UInt8 = 9
        public static let listZiplist: UInt8 = 10
        public static let setIntset: UInt8 = 11
        public static let zsetZiplist: UInt8 = 12
        public static let hashZiplist: UInt8 = 13
        public static let listQuicklist: UInt8 = 14
        public static let streamListpacks: UInt8 = 15
        public static let hashListpack: UInt8 = 16
        public static let zsetListpack: UInt8 = 17
        public static let listQuicklist2: UInt8 = 18
        public static let streamListpacks2: UInt8 = 19
    }

    public enum Opcode {
        public static let function2: UInt8 = 245
        public static let function: UInt8 = 246
        public static let moduleAux: UInt8 = 247
        public static let idle: UInt8 = 248
        public static let freq: UInt8 = 249
        public static let aux: UInt8 = 250
        public static let resizeDB: UInt8 = 251
        public static let expireTimeMs: UInt8 = 252
        public static let expireTime: UInt8 = 253
        public static let selectDB: UInt8 = 254
        public static let eof: UInt8 = 255
    }
}

/// A malformed or truncated RDB stream (or DUMP payload).
public struct RDBError: Error, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Serializes RDB values into memory, optionally draining to a file
/// descriptor as it grows; keeps a running CRC-64 of everything written.
public final class RDBWriter {
    private var buffer: [UInt8] = []
    private let fd: Int32
    /// CRC-64 of bytes already flushed.
    private var flushedCRC: UInt64 = 0
    public private(set) var flushedBytes = 0
    /// Compress strings longer than 20 bytes with LZF (rdbcompression).
    public let compress: Bool
    private static let flushThreshold = 1 << 20

    /// A writer into memory (DUMP, FUNCTION DUMP) or draining to `fd` (snapshots).
    public init(fd: Int32 = -1, compress: Bool = true) {
        self.fd = fd
        self.compress = compress
        buffer.reserveCapacity(fd >= 0 ? Self.flushThreshold + 65536 : 256)
    }

    /// Everything written (memory writers only).
    public var bytes: [UInt8] { buffer }

    /// CRC-64 of everything written so far.
    public var crc: UInt64 {
        buffer.withUnsafeBytes { CRC64.update(flushedCRC, $0) }
    }

    @inline(__always)
    public func byte(_ b: UInt8) {
        buffer.append(b)
    }

    public func raw(_ b: UnsafeRawBufferPointer) {
        buffer.append(contentsOf: b)
    }

    public func raw(_ b: [UInt8]) {
        buffer.append(contentsOf: b)
    }

    public func raw(_ b: Bytes) {
        buffer.append(contentsOf: b)
    }

    /// Drains the buffer to the file once it is large (snapshot writers).
    public func flushIfLarge() throws(SystemError) {
        if fd >= 0 && buffer.count >= Self.flushThreshold { try flush() }
    }

    /// Writes everything buffered to the file.
    public func flush() throws(SystemError) {
        guard fd >= 0, !buffer.isEmpty else { return }
        flushedCRC = buffer.withUnsafeBytes { CRC64.update(flushedCRC, $0) }
        var failure: SystemError?
        buffer.withUnsafeBytes { p in
            do throws(SystemError) { try Sys.writeAll(fd, p) } catch { failure = error }
        }
        if let failure { throw failure }
        flushedBytes += buffer.count
        buffer.removeAll(keepingCapacity: true)
    }

    public func littleEndian64(_ v: UInt64) {
        for i in 0..<8 { buffer.append(UInt8((v >> (8 * UInt64(i))) & 0xff)) }
    }

    /// Redis's length encoding: 6, 14, 32 or 64 bits.
    public func length(_ n: Int) {
        let v = UInt64(n)
        if v < 64 {
            buffer.append(UInt8(v))
        } else if v < 16384 {
            buffer.append(UInt8(0x40 | (v >> 8)))
            buffer.append(UInt8(v & 0xff))
        } else if v <= UInt64(UInt32.max) {
            buffer.append(0x80)
            for i in (0..<4).reversed() { buffer.append(UInt8((v >> (8 * UInt64(i))) & 0xff)) }
        } else {
            buffer.append(0x81)
            for i in (0..<8).reversed() { buffer.append(UInt8((v >> (8 * UInt64(i))) & 0xff)) }
        }
    }

    /// A string as Redis saves it: small integers in integer encoding, long
    /// strings LZF-compressed when that saves space, otherwise raw.
    public func string(_ s: Bytes) {
        if s.count <= 11, let v = Numbers.parseInt64(s) {
            if v >= -128 && v <= 127 {
                buffer.append(0xC0)
                buffer.append(UInt8(bitPattern: Int8(v)))
                return
            } else if v >= -32768 && v <= 32767 {
                buffer.append(0xC1)
                let u = UInt16(bitPattern: Int16(v))
                buffer.append(UInt8(u & 0xff)); buffer.append(UInt8(u >> 8))
                return
            } else if v >= -2_147_483_648 && v <= 2_147_483_647 {
                buffer.append(0xC2)
                let u = UInt32(bitPattern: Int32(v))
                for i in 0..<4 { buffer.append(UInt8((u >> (8 * UInt32(i))) & 0xff)) }
                return
            }
        }
        if compress && s.count > 20, let packed = Self.lzf(s) {
            buffer.append(0xC3)
            length(packed.count)
            length(s.count)
            buffer.append(contentsOf: packed)
            return
        }
        length(s.count)
        buffer.append(contentsOf: s)
    }

    public func string(_ s: [UInt8]) { s.withBytes { string($0) } }
    public func string(_ s: String) { string(Array(s.utf8)) }

    /// A string in decimal form (an integer field).
    public func string(int v: Int64) { string(Numbers.int64Bytes(v)) }

    /// 8-byte little-endian IEEE double (ZSET_2 scores).
    public func binaryDouble(_ d: Double) {
        littleEndian64(d.bitPattern)
    }

    static func lzf(_ s: Bytes) -> [UInt8]? {
        guard s.count > 4 else { return nil }
        let outLen = s.count - 4
        var out = [UInt8](repeating: 0, count: outLen)
        let n = out.withUnsafeMutableBytes { o in
            lzf_compress(s.baseAddress!, UInt32(s.count), o.baseAddress!, UInt32(outLen))
        }
        guard n > 0 else { return nil }
        out.removeLast(outLen - Int(n))
        return out
    }
}

/// Reads RDB values from memory with a bounds check on every access, so a
/// truncated or corrupt input raises an error instead of reading past the end.
public struct RDBReader {
    public let base: UnsafePointer<UInt8>
    public let count: Int
    public var position = 0
    /// The encoding limits (`*-max-*` settings) loaded aggregates follow, as
    /// Redis converts a loaded value with the server's current settings.
    /// Redis's defaults unless the reader is given the live configuration.
    public var limits = RDBReader.defaultLimits
    static let defaultLimits = ServerConfig()

    public init(_ bytes: Bytes) {
        base = bytes.baseAddress ?? UnsafePointer(bitPattern: 8)!
        count = bytes.count
    }

    public var remaining: Int { count - position }

    @inline(__always)
    public mutating func byte() throws(RDBError) -> UInt8 {
        guard position < count else { throw RDBError("Unexpected EOF reading RDB file") }
        let b = base[position]
        position += 1
        return b
    }

    public mutating func bytes(_ n: Int) throws(RDBError) -> Bytes {
        guard n >= 0, n <= count - position else { throw RDBError("Unexpected EOF reading RDB file") }
        let b = Bytes(start: base + position, count: n)
        position += n
        return b
    }

    public mutating func littleEndian64() throws(RDBError) -> UInt64 {
        let b = try bytes(8)
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(b[i]) << (8 * UInt64(i)) }
        return v
    }

    public mutating func littleEndian32() throws(RDBError) -> UInt32 {
        let b = try bytes(4)
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }

    /// A length, or (for strings) the special encoding that follows it.
    public enum Length {
        case plain(Int)
        case encoded(UInt8)
    }

    public mutating func lengthOrEncoding() throws(RDBError) -> Length {
        let first = try byte()
        switch first >> 6 {
        case 0:
            return .plain(Int(first & 0x3f))
        case 1:
            return .plain(Int(first & 0x3f) << 8 | Int(try byte()))
        case 2:
            if first == 0x80 {
                let b = try bytes(4)
                return .plain(Int(b[0]) << 24 | Int(b[1]) << 16 | Int(b[2]) << 8 | Int(b[3]))
            }
            if first == 0x81 {
                let b = try bytes(8)
                var v: UInt64 = 0
                for i in 0..<8 { v = v << 8 | UInt64(b[i]) }
                guard v <= UInt64(Int.max) else { throw RDBError("Invalid length in RDB") }
                return .plain(Int(v))
            }
            throw RDBError("Unknown length encoding \(first) in RDB")
        default:
            return .encoded(first & 0x3f)
        }
    }

    public mutating func length() throws(RDBError) -> Int {
        guard case .plain(let n) = try lengthOrEncoding() else { throw RDBError("Unexpected encoded length in RDB") }
        return n
    }

    /// A string in any of Redis's encodings (raw, integer, LZF).
    public mutating func string() throws(RDBError) -> [UInt8] {
        switch try lengthOrEncoding() {
        case .plain(let n):
            return Array(try bytes(n))
        case .encoded(let enc):
            switch enc {
            case 0:
                return Numbers.int64Bytes(Int64(Int8(bitPattern: try byte())))
            case 1:
                let b = try bytes(2)
                return Numbers.int64Bytes(Int64(Int16(bitPattern: UInt16(b[0]) | UInt16(b[1]) << 8)))
            case 2:
                return Numbers.int64Bytes(Int64(Int32(bitPattern: try littleEndian32())))
            case 3:
                let clen = try length()
                let len = try length()
                let packed = try bytes(clen)
                guard len <= 1 << 32 else { throw RDBError("Invalid LZF length in RDB") }
                var out = [UInt8](repeating: 0, count: len)
                if len > 0 {
                    let n = out.withUnsafeMutableBytes { o in
                        lzf_decompress(packed.baseAddress!, UInt32(clen), o.baseAddress!, UInt32(len))
                    }
                    guard Int(n) == len else { throw RDBError("Invalid LZF compressed string") }
                }
                return out
            default:
                throw RDBError("Unknown RDB string encoding type \(enc)")
            }
        }
    }

    /// Score of an old-style (type 3) sorted set: a length-prefixed ASCII double.
    public mutating func asciiDouble() throws(RDBError) -> Double {
        let n = try byte()
        switch n {
        case 253: return .nan
        case 254: return .infinity
        case 255: return -.infinity
        default:
            let b = try bytes(Int(n))
            guard let d = Numbers.parseDouble(b) ?? Double(String(decoding: b, as: UTF8.self)) else {
                throw RDBError("Invalid double in RDB")
            }
            return d
        }
    }

    public mutating func binaryDouble() throws(RDBError) -> Double {
        Double(bitPattern: try littleEndian64())
    }
}

/// Iterates the entries of Redis's compact encodings found inside RDB values.
public enum CompactEncodings {
    /// One element of a listpack or ziplist: bytes or an integer.
    public enum Element {
        case bytes(Bytes)
        case int(Int64)

        /// The element as bytes (integers in decimal).
        public var array: [UInt8] {
            switch self {
            case .bytes(let b): return Array(b)
            case .int(let v): return Numbers.int64Bytes(v)
            }
        }
    }

    /// Calls `body` for each entry of a listpack blob, validating its structure.
    public static func listpack(_ lp: Bytes, _ body: (Element) throws(RDBError) -> Void) throws(RDBError) {
        guard lp.count >= 7 else { throw RDBError("Invalid listpack") }
        let total = Int(lp[0]) | Int(lp[1]) << 8 | Int(lp[2]) << 16 | Int(lp[3]) << 24
        guard total == lp.count, lp[lp.count - 1] == 0xff else { throw RDBError("Invalid listpack header") }
        var p = 6
        func need(_ n: Int) throws(RDBError) { if p + n > lp.count - 1 { throw RDBError("Invalid listpack entry") } }
        while true {
            try need(0)
            let b = lp[p]
            if b == 0xff { break }
            let start = p
            var element: Element
            if b & 0x80 == 0 {
                element = .int(Int64(b & 0x7f)); p += 1
            } else if b & 0xc0 == 0x80 {
                let n = Int(b & 0x3f)
                try need(1 + n)
                element = .bytes(Bytes(rebasing: lp[(p + 1)..<(p + 1 + n)])); p += 1 + n
            } else if b & 0xe0 == 0xc0 {
                try need(2)
                var v = Int64(b & 0x1f) << 8 | Int64(lp[p + 1])
                if v >= 1 << 12 { v -= 1 << 13 }
                element = .int(v); p += 2
            } else if b & 0xf0 == 0xe0 {
                try need(2)
                let n = Int(b & 0x0f) << 8 | Int(lp[p + 1])
                try need(2 + n)
                element = .bytes(Bytes(rebasing: lp[(p + 2)..<(p + 2 + n)])); p += 2 + n
            } else {
                switch b {
                case 0xf0:
                    try need(5)
                    let n = Int(lp[p + 1]) | Int(lp[p + 2]) << 8 | Int(lp[p + 3]) << 16 | Int(lp[p + 4]) << 24
                    try need(5 + n)
                    element = .bytes(Bytes(rebasing: lp[(p + 5)..<(p + 5 + n)])); p += 5 + n
                case 0xf1:
                    try need(3)
                    element = .int(Int64(Int16(bitPattern: UInt16(lp[p + 1]) | UInt16(lp[p + 2]) << 8))); p += 3
                case 0xf2:
                    try need(4)
                    var v = Int64(lp[p + 1]) | Int64(lp[p + 2]) << 8 | Int64(lp[p + 3]) << 16
                    if v >= 1 << 23 { v -= 1 << 24 }
                    element = .int(v); p += 4
                case 0xf3:
                    try need(5)
                    let u = UInt32(lp[p + 1]) | UInt32(lp[p + 2]) << 8 | UInt32(lp[p + 3]) << 16 | UInt32(lp[p + 4]) << 24
                    element = .int(Int64(Int32(bitPattern: u))); p += 5
                case 0xf4:
                    try need(9)
                    var u: UInt64 = 0
                    for i in 0..<8 { u |= UInt64(lp[p + 1 + i]) << (8 * UInt64(i)) }
                    element = .int(Int64(bitPattern: u)); p += 9
                default:
                    throw RDBError("Invalid listpack encoding")
                }
            }
            // The back-length: 1 to 5 bytes encoding the entry's size.
            let size = p - start
            let backlen = ListpackEncoder.backlenBytes(size)
            try need(backlen)
            p += backlen
            try body(element)
        }
    }

    /// Calls `body` for each entry of a ziplist blob (RDB files of older Redis versions).
    public static func ziplist(_ zl: Bytes, _ body: (Element) throws(RDBError) -> Void) throws(RDBError) {
        guard zl.count >= 11 else { throw RDBError("Invalid ziplist") }
        let total = Int(zl[0]) | Int(zl[1]) << 8 | Int(zl[2]) << 16 | Int(zl[3]) << 24
        guard total == zl.count, zl[zl.count - 1] == 0xff else { throw RDBError("Invalid ziplist header") }
        var p = 10
        func need(_ n: Int) throws(RDBError) { if p + n > zl.count - 1 { throw RDBError("Invalid ziplist entry") } }
        while true {
            try need(0)
            if zl[p] == 0xff { break }
            // previous entry length: 1 or 5 bytes
            p += zl[p] < 254 ? 1 : 5
            try need(1)
            let enc = zl[p]
            switch enc >> 6 {
            case 0:
                let n = Int(enc & 0x3f)
                try need(1 + n)
                try body(.bytes(Bytes(rebasing: zl[(p + 1)..<(p + 1 + n)]))); p += 1 + n
            case 1:
                try need(2)
                let n = Int(enc & 0x3f) << 8 | Int(zl[p + 1])
                try need(2 + n)
                try body(.bytes(Bytes(rebasing: zl[(p + 2)..<(p + 2 + n)]))); p += 2 + n
            case 2:
                try need(5)
                let n = Int(zl[p + 1]) << 24 | Int(zl[p + 2]) << 16 | Int(zl[p + 3]) << 8 | Int(zl[p + 4])
                try need(5 + n)
                try body(.bytes(Bytes(rebasing: zl[(p + 5)..<(p + 5 + n)]))); p += 5 + n
            default:
                func le(_ n: Int) -> UInt64 {
                    var v: UInt64 = 0
                    for i in 0..<n { v |= UInt64(zl[p + 1 + i]) << (8 * UInt64(i)) }
                    return v
                }
                switch enc {
                case 0xc0: try need(3); try body(.int(Int64(Int16(bitPattern: UInt16(le(2)))))); p += 3
                case 0xd0: try need(5); try body(.int(Int64(Int32(bitPattern: UInt32(le(4)))))); p += 5
                case 0xe0: try need(9); try body(.int(Int64(bitPattern: le(8)))); p += 9
                case 0xf0:
                    try need(4)
                    var v = Int64(le(3))
                    if v >= 1 << 23 { v -= 1 << 24 }
                    try body(.int(v)); p += 4
                case 0xfe: try need(2); try body(.int(Int64(Int8(bitPattern: zl[p + 1])))); p += 2
                case 0xf1...0xfd: try body(.int(Int64(enc & 0x0f) - 1)); p += 1
                default: throw RDBError("Invalid ziplist encoding")
                }
            }
        }
    }

    /// Calls `body` for each integer of an intset blob.
    public static func intset(_ s: Bytes, _ body: (Int64) throws(RDBError) -> Void) throws(RDBError) {
        guard s.count >= 8 else { throw RDBError("Invalid intset") }
        let enc = Int(s[0]) | Int(s[1]) << 8 | Int(s[2]) << 16 | Int(s[3]) << 24
        let n = Int(s[4]) | Int(s[5]) << 8 | Int(s[6]) << 16 | Int(s[7]) << 24
        guard enc == 2 || enc == 4 || enc == 8, s.count == 8 + n * enc else { throw RDBError("Invalid intset") }
        for i in 0..<n {
            var u: UInt64 = 0
            for j in 0..<enc { u |= UInt64(s[8 + i * enc + j]) << (8 * UInt64(j)) }
            switch enc {
            case 2: try body(Int64(Int16(bitPattern: UInt16(u))))
            case 4: try body(Int64(Int32(bitPattern: UInt32(u))))
            default: try body(Int64(bitPattern: u))
            }
        }
    }
}
