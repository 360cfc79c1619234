import CSystem
import Glibc

/// One element read from a listpack: an integer, or bytes borrowed from the
/// listpack (valid until it is modified).
struct ListpackElement {
    var isInt: Bool
    var int: Int64
    var ptr: UnsafePointer<UInt8>?
    var len: Int

    /// The element as an integer: integers as they are, strings parsed with
    /// Redis's rules (a stream's own counters are always integer-encoded).
    var integerValue: Int64? {
        if isInt { return int }
        return Numbers.parseInt64(Bytes(start: ptr, count: len))
    }

    /// True when the element's text equals `b` (integers compare by their decimal form).
    func equals(_ b: Bytes) -> Bool {
        if isInt {
            var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)
            return withUnsafeMutableBytes(of: &tmp) { raw in
                let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                let n = Numbers.formatInt64(int, into: p)
                return n == b.count && (n == 0 || memcmp(p, b.baseAddress!, n) == 0)
            }
        }
        return len == b.count && (len == 0 || memcmp(ptr!, b.baseAddress!, len) == 0)
    }

    /// Writes the element as a bulk string.
    func reply(_ r: ReplyBuffer) {
        if isInt { r.bulk(int: int) } else { r.bulk(Bytes(start: ptr, count: len)) }
    }

    /// A copy of the element's text.
    var array: [UInt8] {
        isInt ? Numbers.int64Bytes(int) : Array(Bytes(start: ptr, count: len))
    }
}

/// A listpack held in one malloc block that grows as entries are appended,
/// encoded byte for byte as Redis 7.0 encodes it (so its bytes go into RDB
/// files unchanged): a 6-byte header (total bytes, element count saturating
/// at 65535), the elements, and a 0xFF terminator. Positions are byte
/// offsets, which stay meaningful across reallocations.
struct StreamListpack {
    private(set) var base: UnsafeMutablePointer<UInt8>

    static let headerSize = 6
    static let unknownCount = 65535

    /// An empty listpack with room for `capacity` bytes.
    init(capacity: Int) {
        let cap = max(capacity, 7)
        base = malloc(cap)!.assumingMemoryBound(to: UInt8.self)
        Self.store32(base, 7)
        base[4] = 0
        base[5] = 0
        base[6] = 0xFF
    }

    /// Adopts a copy of `bytes` (validated by the caller).
    init(copying bytes: Bytes) {
        base = malloc(max(bytes.count, 7))!.assumingMemoryBound(to: UInt8.self)
        base.update(from: bytes.baseAddress!, count: bytes.count)
    }

    /// An independent copy.
    func copy() -> StreamListpack {
        StreamListpack(copying: bytes)
    }

    func free() { Glibc.free(base) }

    /// Bytes in use (the header's total).
    var totalBytes: Int { Int(Self.load32(base)) }

    /// Bytes allocated.
    var allocatedBytes: Int { malloc_usable_size(base) }

    /// The whole encoded listpack.
    var bytes: Bytes { Bytes(start: base, count: totalBytes) }

    /// Gives back the slack left by growth (a node that will not grow again).
    mutating func shrinkToFit() {
        let n = totalBytes
        if allocatedBytes > n + 64, let p = realloc(base, n) {
            base = p.assumingMemoryBound(to: UInt8.self)
        }
    }

    // MARK: navigation

    /// Offset of the first element, nil when empty.
    var first: Int? { base[Self.headerSize] == 0xFF ? nil : Self.headerSize }

    /// Offset of the last element, nil when empty.
    var last: Int? { prev(totalBytes - 1) }

    /// Offset of the element after the one at `p`, nil at the end.
    @inline(__always)
    func next(_ p: Int) -> Int? {
        let size = Self.encodedSize(base + p)
        let q = p + size + Self.backlenBytes(size)
        return base[q] == 0xFF ? nil : q
    }

    /// Offset of the element before the one at `p` (or before the terminator), nil at the start.
    @inline(__always)
    func prev(_ p: Int) -> Int? {
        if p <= Self.headerSize { return nil }
        // The back-length is read backwards: 7 bits per byte, high bit set on all but the first.
        var q = p - 1
        var size = 0
        var shift = 0
        while true {
            let b = base[q]
            size |= Int(b & 127) << shift
            if b & 128 == 0 { break }
            shift += 7
            q -= 1
        }
        return p - size - Self.backlenBytes(size)
    }

    /// The element at `p`.
    @inline(__always)
    func element(_ p: Int) -> ListpackElement {
        let e = base + p
        let b = e[0]
        if b & 0x80 == 0 { return ListpackElement(isInt: true, int: Int64(b), ptr: nil, len: 0) }
        if b & 0xC0 == 0x80 { return ListpackElement(isInt: false, int: 0, ptr: UnsafePointer(e + 1), len: Int(b & 0x3F)) }
        if b & 0xE0 == 0xC0 {
            var v = Int64(b & 0x1F) << 8 | Int64(e[1])
            if v >= 1 << 12 { v -= 1 << 13 }
            return ListpackElement(isInt: true, int: v, ptr: nil, len: 0)
        }
        if b & 0xF0 == 0xE0 {
            return ListpackElement(isInt: false, int: 0, ptr: UnsafePointer(e + 2), len: Int(b & 0x0F) << 8 | Int(e[1]))
        }
        switch b {
        case 0xF0:
            return ListpackElement(isInt: false, int: 0, ptr: UnsafePointer(e + 5), len: Int(Self.load32(e + 1)))
        case 0xF1:
            return ListpackElement(isInt: true, int: Int64(Int16(bitPattern: UInt16(e[1]) | UInt16(e[2]) << 8)), ptr: nil, len: 0)
        case 0xF2:
            var v = Int64(e[1]) | Int64(e[2]) << 8 | Int64(e[3]) << 16
            if v >= 1 << 23 { v -= 1 << 24 }
            return ListpackElement(isInt: true, int: v, ptr: nil, len: 0)
        case 0xF3:
            return ListpackElement(isInt: true, int: Int64(Int32(bitPattern: Self.load32(e + 1))), ptr: nil, len: 0)
        default:
            var u: UInt64 = 0
            for i in 0..<8 { u |= UInt64(e[1 + i]) << (8 * UInt64(i)) }
            return ListpackElement(isInt: true, int: Int64(bitPattern: u), ptr: nil, len: 0)
        }
    }

    /// The integer at `p` (a stream's counters, flags and ID deltas).
    @inline(__always)
    func int(_ p: Int) -> Int64 {
        element(p).integerValue ?? 0
    }

    // MARK: writing

    /// Appends an integer element.
    mutating func append(int v: Int64) {
        var tmp: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &tmp) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let n = Self.encodeInt(v, p)
            insertEncoded(at: totalBytes - 1, header: Bytes(start: p, count: n), data: nil)
        }
    }

    /// Appends a string element; text that reads as a canonical 64-bit
    /// integer is stored as an integer, as Redis does.
    mutating func append(_ s: Bytes) {
        if s.count <= 20, let v = ListpackEncoder.canonicalInteger(s) {
            append(int: v)
            return
        }
        var tmp: (UInt64, UInt64) = (0, 0)
        withUnsafeMutableBytes(of: &tmp) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let n = Self.encodeStringHeader(s.count, p)
            insertEncoded(at: totalBytes - 1, header: Bytes(start: p, count: n), data: s)
        }
    }

    /// Replaces the element at `p` with the integer `v`, moving what follows
    /// when the encoding changes size. Returns the change in size.
    @discardableResult
    mutating func replace(at p: Int, int v: Int64) -> Int {
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)
        return withUnsafeMutableBytes(of: &tmp) { raw -> Int in
            let out = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let n = Self.encodeInt(v, out)
            let b = Self.writeBacklen(n, out + n)
            let newSize = n + b
            let oldEnc = Self.encodedSize(base + p)
            let oldSize = oldEnc + Self.backlenBytes(oldEnc)
            let total = totalBytes
            let delta = newSize - oldSize
            if delta > 0 { reserve(total + delta) }
            if delta != 0 {
                let tail = p + oldSize
                memmove(base + tail + delta, base + tail, total - tail)
                Self.store32(base, UInt32(total + delta))
            }
            (base + p).update(from: out, count: newSize)
            return delta
        }
    }

    /// Inserts an element (encoding `header`, payload `data`) at offset `p`.
    private mutating func insertEncoded(at p: Int, header: Bytes, data: Bytes?) {
        let enc = header.count + (data?.count ?? 0)
        let size = enc + Self.backlenBytes(enc)
        let total = totalBytes
        reserve(total + size)
        if p < total { memmove(base + p + size, base + p, total - p) }
        var q = base + p
        q.update(from: header.baseAddress!, count: header.count)
        q += header.count
        if let data, data.count > 0 {
            q.update(from: data.baseAddress!, count: data.count)
            q += data.count
        }
        _ = Self.writeBacklen(enc, q)
        Self.store32(base, UInt32(total + size))
        let n = Int(base[4]) | Int(base[5]) << 8
        if n != Self.unknownCount {
            base[4] = UInt8((n + 1) & 0xFF)
            base[5] = UInt8((n + 1) >> 8)
        }
    }

    /// Makes room for `bytes` in total, growing geometrically.
    private mutating func reserve(_ bytes: Int) {
        let cap = allocatedBytes
        if bytes <= cap { return }
        let grown = max(bytes, min(cap * 2, cap + (1 << 20)))
        base = realloc(base, grown)!.assumingMemoryBound(to: UInt8.self)
    }

    // MARK: encodings

    @inline(__always) static func load32(_ p: UnsafePointer<UInt8>) -> UInt32 {
        UInt32(p[0]) | UInt32(p[1]) << 8 | UInt32(p[2]) << 16 | UInt32(p[3]) << 24
    }

    @inline(__always) static func load32(_ p: UnsafeMutablePointer<UInt8>) -> UInt32 { load32(UnsafePointer(p)) }

    @inline(__always) static func store32(_ p: UnsafeMutablePointer<UInt8>, _ v: UInt32) {
        p[0] = UInt8(v & 0xFF); p[1] = UInt8((v >> 8) & 0xFF); p[2] = UInt8((v >> 16) & 0xFF); p[3] = UInt8(v >> 24)
    }

    /// Size of the element at `e` without its back-length.
    @inline(__always)
    static func encodedSize(_ e: UnsafeMutablePointer<UInt8>) -> Int {
        let b = e[0]
        if b & 0x80 == 0 { return 1 }
        if b & 0xC0 == 0x80 { return 1 + Int(b & 0x3F) }
        if b & 0xE0 == 0xC0 { return 2 }
        if b & 0xF0 == 0xE0 { return 2 + (Int(b & 0x0F) << 8 | Int(e[1])) }
        switch b {
        case 0xF0: return 5 + Int(load32(e + 1))
        case 0xF1: return 3
        case 0xF2: return 4
        case 0xF3: return 5
        default: return 9
        }
    }

    @inline(__always)
    static func backlenBytes(_ size: Int) -> Int { ListpackEncoder.backlenBytes(size) }

    /// Writes the back-length of an element of `size` bytes; returns its length.
    @inline(__always)
    static func writeBacklen(_ size: Int, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        let n = backlenBytes(size)
        out[0] = UInt8(truncatingIfNeeded: size >> (7 * (n - 1)))
        var i = 1
        while i < n {
            out[i] = UInt8(truncatingIfNeeded: (size >> (7 * (n - 1 - i))) & 127) | 128
            i += 1
        }
        return n
    }

    /// Encodes `v` in the smallest integer form; returns the bytes written.
    static func encodeInt(_ v: Int64, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        func le(_ bytes: Int, _ tag: UInt8) -> Int {
            out[0] = tag
            let u = UInt64(bitPattern: v)
            for k in 0..<bytes { out[1 + k] = UInt8(truncatingIfNeeded: u >> (8 * UInt64(k))) }
            return bytes + 1
        }
        if v >= 0 && v <= 127 {
            out[0] = UInt8(v)
            return 1
        }
        if v >= -4096 && v <= 4095 {
            let u = UInt64(bitPattern: v < 0 ? (1 << 13) + v : v)
            out[0] = 0xC0 | UInt8(u >> 8)
            out[1] = UInt8(u & 0xFF)
            return 2
        }
        if v >= -32768 && v <= 32767 { return le(2, 0xF1) }
        if v >= -8_388_608 && v <= 8_388_607 { return le(3, 0xF2) }
        if v >= -2_147_483_648 && v <= 2_147_483_647 { return le(4, 0xF3) }
        return le(8, 0xF4)
    }

    /// Writes the header of a string of `n` bytes; returns its length.
    static func encodeStringHeader(_ n: Int, _ out: UnsafeMutablePointer<UInt8>) -> Int {
        if n < 64 {
            out[0] = 0x80 | UInt8(n)
            return 1
        }
        if n < 4096 {
            out[0] = 0xE0 | UInt8(n >> 8)
            out[1] = UInt8(n & 0xFF)
            return 2
        }
        out[0] = 0xF0
        store32(out + 1, UInt32(n))
        return 5
    }

    // MARK: validation

    /// Checks that `lp` is a well-formed listpack whose every element can be
    /// walked without reading outside it; returns the number of elements.
    static func validate(_ lp: Bytes) -> Int? {
        guard lp.count >= 7, Int(load32(lp.baseAddress!)) == lp.count, lp[lp.count - 1] == 0xFF else { return nil }
        var p = headerSize
        var n = 0
        let end = lp.count - 1
        while p < end {
            let b = lp[p]
            var size: Int
            if b & 0x80 == 0 { size = 1 }
            else if b & 0xC0 == 0x80 { size = 1 + Int(b & 0x3F) }
            else if b & 0xE0 == 0xC0 { size = 2 }
            else if b & 0xF0 == 0xE0 {
                guard p + 1 < end else { return nil }
                size = 2 + (Int(b & 0x0F) << 8 | Int(lp[p + 1]))
            } else {
                switch b {
                case 0xF0:
                    guard p + 4 < end else { return nil }
                    size = 5 + Int(load32(lp.baseAddress! + p + 1))
                case 0xF1: size = 3
                case 0xF2: size = 4
                case 0xF3: size = 5
                case 0xF4: size = 9
                default: return nil
                }
            }
            let bl = backlenBytes(size)
            guard p + size + bl <= end else { return nil }
            // The back-length must describe the element, or reverse walks go astray.
            var q = p + size + bl - 1
            var decoded = 0
            var shift = 0
            while true {
                let c = lp[q]
                decoded |= Int(c & 127) << shift
                if c & 128 == 0 { break }
                shift += 7
                q -= 1
                guard q >= p + size else { return nil }
            }
            guard decoded == size, q == p + size else { return nil }
            p += size + bl
            n += 1
        }
        return n
    }
}
