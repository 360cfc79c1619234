import CSystem
import Glibc

/// A hash value (field → value), in one of Redis's two encodings:
///
/// - `listpack`: while small, every pair packed in one buffer as
///   `[field length][field][value length][value]` (LEB128 lengths), in insertion
///   order. Lookups scan it linearly, which is cheap at the sizes allowed by
///   `hash-max-listpack-entries` / `hash-max-listpack-value`.
/// - `hashtable`: an `ElementTable`, once the hash outgrows those limits. Like
///   Redis, a hash never converts back.
///
/// Borrowed `Bytes` returned by any method stay valid only until the hash
/// changes. Callers hold the owning shard's lock.
public final class HashValue: StoredObject {
    private var packed: UnsafeMutableRawPointer?
    private var packedUsed = 0
    private var packedCapacity = 0
    private var packedCount = 0
    /// The hashtable encoding; nil while packed.
    public private(set) var table: ElementTable?

    /// Redis caps a listpack at 1 GiB and converts rather than grow past it.
    static let packedSafetyLimit = 1 << 30

    /// An empty hash in the packed encoding.
    public override init() { super.init() }

    deinit { if let packed { free(packed) } }

    public override var valueType: ValueType { .hash }
    public override var encodingName: String { table == nil ? "listpack" : "hashtable" }
    public override var elementCount: Int { count }

    public override var memoryUsage: Int {
        if let table { return table.memoryUsage }
        return packed.map { malloc_usable_size($0) } ?? 0
    }

    public override var rdbType: UInt8 { table == nil ? RDB.TypeCode.hashListpack : RDB.TypeCode.hash }
    public override func rdbWrite(_ w: RDBWriter) { writeRDB(w) }

    public override func duplicate() -> StoredObject {
        let copy = HashValue()
        if let table {
            copy.table = table.duplicate()
        } else if let packed {
            copy.packed = malloc(packedCapacity)
            copy.packed!.copyMemory(from: packed, byteCount: packedUsed)
            copy.packedUsed = packedUsed
            copy.packedCapacity = packedCapacity
            copy.packedCount = packedCount
        }
        return copy
    }

    /// Number of fields.
    @inline(__always) public var count: Int { table?.count ?? packedCount }

    /// True while in the packed (`listpack`) encoding.
    @inline(__always) public var isPacked: Bool { table == nil }

    // MARK: packed layout

    /// One packed pair: where it starts and ends, and where its parts are.
    struct Slot {
        var start: Int
        var fieldStart: Int
        var fieldLength: Int
        var valueHeader: Int
        var valueStart: Int
        var valueLength: Int
        var end: Int
    }

    @inline(__always)
    static func readLength(_ p: UnsafeMutableRawPointer, _ offset: inout Int) -> Int {
        var b = p.load(fromByteOffset: offset, as: UInt8.self)
        offset += 1
        if b < 0x80 { return Int(b) }
        var v = Int(b & 0x7F)
        var shift = 7
        repeat {
            b = p.load(fromByteOffset: offset, as: UInt8.self)
            offset += 1
            v |= Int(b & 0x7F) << shift
            shift += 7
        } while b >= 0x80
        return v
    }

    @inline(__always)
    static func lengthSize(_ n: Int) -> Int {
        var size = 1
        var v = n >> 7
        while v > 0 { size += 1; v >>= 7 }
        return size
    }

    @inline(__always)
    static func writeLength(_ n: Int, _ p: UnsafeMutableRawPointer) -> Int {
        var v = n
        var i = 0
        while v >= 0x80 {
            p.storeBytes(of: UInt8(v & 0x7F) | 0x80, toByteOffset: i, as: UInt8.self)
            v >>= 7
            i += 1
        }
        p.storeBytes(of: UInt8(v), toByteOffset: i, as: UInt8.self)
        return i + 1
    }

    @inline(__always)
    func slot(at start: Int) -> Slot {
        let p = packed!
        var o = start
        let fl = Self.readLength(p, &o)
        let fs = o
        o += fl
        let vh = o
        let vl = Self.readLength(p, &o)
        return Slot(start: start, fieldStart: fs, fieldLength: fl, valueHeader: vh, valueStart: o, valueLength: vl, end: o + vl)
    }

    @inline(__always)
    func bytes(_ offset: Int, _ length: Int) -> Bytes {
        Bytes(start: (packed! + offset).assumingMemoryBound(to: UInt8.self), count: length)
    }

    /// The packed pair holding `field`.
    @inline(__always)
    func packedFind(_ field: Bytes) -> Slot? {
        guard let p = packed else { return nil }
        var o = 0
        let n = field.count
        while o < packedUsed {
            let s = slot(at: o)
            if s.fieldLength == n && (n == 0 || memcmp(p + s.fieldStart, field.baseAddress!, n) == 0) { return s }
            o = s.end
        }
        return nil
    }

    private func reservePacked(_ extra: Int) {
        let need = packedUsed + extra
        if need <= packedCapacity { return }
        let cap = max(need, packedCapacity + packedCapacity / 2, 32)
        packed = realloc(packed, cap)!
        packedCapacity = cap
    }

    private func packedAppend(_ field: Bytes, _ value: Bytes) {
        reservePacked(Self.lengthSize(field.count) + field.count + Self.lengthSize(value.count) + value.count)
        let p = packed! + packedUsed
        var o = Self.writeLength(field.count, p)
        if field.count > 0 { (p + o).copyMemory(from: field.baseAddress!, byteCount: field.count) }
        o += field.count
        o += Self.writeLength(value.count, p + o)
        if value.count > 0 { (p + o).copyMemory(from: value.baseAddress!, byteCount: value.count) }
        packedUsed += o + value.count
        packedCount += 1
    }

    private func packedReplaceValue(_ s: Slot, _ value: Bytes) {
        let oldSize = s.end - s.valueHeader
        let newSize = Self.lengthSize(value.count) + value.count
        let delta = newSize - oldSize
        if delta > 0 { reservePacked(delta) }
        let p = packed!
        if delta != 0 && s.end < packedUsed {
            memmove(p + s.end + delta, p + s.end, packedUsed - s.end)
        }
        let o = Self.writeLength(value.count, p + s.valueHeader)
        if value.count > 0 { (p + s.valueHeader + o).copyMemory(from: value.baseAddress!, byteCount: value.count) }
        packedUsed += delta
    }

    private func packedRemove(_ s: Slot) {
        let p = packed!
        if s.end < packedUsed {
            memmove(p + s.start, p + s.end, packedUsed - s.end)
        }
        packedUsed -= s.end - s.start
        packedCount -= 1
        if packedCapacity > 256 && packedUsed < packedCapacity / 4 {
            let cap = max(packedUsed * 2, 32)
            packed = realloc(packed, cap)!
            packedCapacity = cap
        }
    }

    // MARK: encoding

    /// Moves every pair into a hashtable (Redis's hashTypeConvert).
    public func convertToTable() {
        guard table == nil else { return }
        let t = ElementTable(capacity: packedCount)
        var o = 0
        while o < packedUsed {
            let s = slot(at: o)
            t.insertNew(bytes(s.fieldStart, s.fieldLength), value: bytes(s.valueStart, s.valueLength))
            o = s.end
        }
        if let packed { free(packed) }
        packed = nil
        packedUsed = 0
        packedCapacity = 0
        packedCount = 0
        table = t
    }

    /// Redis's hashTypeTryConversion before a write of several strings: converts
    /// when one of them (`longest` bytes) exceeds `maxValue`, or when adding
    /// `totalBytes` would take the packed buffer past its safety limit.
    public func prepareForWrite(longest: Int, totalBytes: Int, maxValue: Int) {
        guard table == nil else { return }
        if longest > maxValue || packedUsed + totalBytes > Self.packedSafetyLimit { convertToTable() }
    }

    // MARK: operations

    /// The value of `field`, or nil.
    @inline(__always)
    public func get(_ field: Bytes) -> Bytes? {
        if let table {
            guard let pos = table.find(field) else { return nil }
            return table.value(at: pos)
        }
        guard let s = packedFind(field) else { return nil }
        return bytes(s.valueStart, s.valueLength)
    }

    /// True when `field` is present.
    @inline(__always)
    public func contains(_ field: Bytes) -> Bool {
        if let table { return table.find(field) != nil }
        return packedFind(field) != nil
    }

    /// Sets `field` to `value` (Redis's hashTypeSet): converts first when
    /// either is longer than `maxValue`, and after adding when the hash holds
    /// more than `maxEntries` fields. Returns true when the field was new.
    @discardableResult
    public func set(_ field: Bytes, _ value: Bytes, maxEntries: Int, maxValue: Int) -> Bool {
        if table == nil && (field.count > maxValue || value.count > maxValue) { convertToTable() }
        if let table { return table.set(field, value: value) }
        if let s = packedFind(field) {
            packedReplaceValue(s, value)
            return false
        }
        packedAppend(field, value)
        if packedCount > maxEntries { convertToTable() }
        return true
    }

    /// Removes `field`; true when it was present. A hashtable shrinks when
    /// under 10% full, as Redis's does.
    @discardableResult
    public func remove(_ field: Bytes) -> Bool {
        if let table { return table.remove(field) }
        guard let s = packedFind(field) else { return false }
        packedRemove(s)
        return true
    }

    /// Calls `body` with every pair, in packed order or table position order.
    /// `body` must not change the hash.
    public func forEach(_ body: (_ field: Bytes, _ value: Bytes) -> Void) {
        if let table {
            for i in 0..<table.count { body(table.key(at: i), table.value(at: i)) }
            return
        }
        var o = 0
        while o < packedUsed {
            let s = slot(at: o)
            body(bytes(s.fieldStart, s.fieldLength), bytes(s.valueStart, s.valueLength))
            o = s.end
        }
    }

    /// Positional access to the pairs (0..<count), valid until the hash changes.
    public struct Positions {
        let hash: HashValue
        let offsets: [Int]

        /// The pair at `i`.
        @inline(__always)
        public func pair(_ i: Int) -> (field: Bytes, value: Bytes) {
            if let t = hash.table { return (t.key(at: i), t.value(at: i)) }
            let s = hash.slot(at: offsets[i])
            return (hash.bytes(s.fieldStart, s.fieldLength), hash.bytes(s.valueStart, s.valueLength))
        }
    }

    /// Positional access for repeated random picks (one pass over a packed hash).
    public func positions() -> Positions {
        var offsets: [Int] = []
        if table == nil {
            offsets.reserveCapacity(packedCount)
            var o = 0
            while o < packedUsed {
                offsets.append(o)
                o = slot(at: o).end
            }
        }
        return Positions(hash: self, offsets: offsets)
    }

    /// A uniformly random pair (count > 0).
    public func randomPair() -> (field: Bytes, value: Bytes) {
        if let table {
            let i = table.randomPosition()
            return (table.key(at: i), table.value(at: i))
        }
        var k = FastRandom.below(packedCount)
        var o = 0
        while k > 0 {
            o = slot(at: o).end
            k -= 1
        }
        let s = slot(at: o)
        return (bytes(s.fieldStart, s.fieldLength), bytes(s.valueStart, s.valueLength))
    }
}

// MARK: RDB

extension HashValue {
    /// A packed hash as a listpack of alternating fields and values (type
    /// 16), a table as a count and field/value strings (type 4), as Redis 7.0 saves them.
    func writeRDB(_ w: RDBWriter) {
        if let table {
            w.length(table.count)
            for i in 0..<table.count {
                w.string(table.key(at: i))
                w.string(table.value(at: i))
            }
            return
        }
        var lp = ListpackEncoder()
        forEach { f, v in
            lp.append(f)
            lp.append(v)
        }
        w.string(lp.finish())
    }

    /// Reads a hash saved as RDB type 4 (plain), 9 (zipmap), 13 (ziplist) or
    /// 16 (listpack). Duplicate fields and empty hashes are rejected.
    static func rdbLoad(_ type: UInt8, _ r: inout RDBReader) throws(RDBError) -> StoredObject {
        let maxEntries = r.limits.hashMaxListpackEntries
        let maxValue = r.limits.hashMaxListpackValue
        let h = HashValue()
        var failure: RDBError?
        /// Adds a pair, noting a duplicate field as the load's failure.
        func add(_ f: Bytes, _ v: Bytes, maxValue: Int) {
            if failure == nil && !h.set(f, v, maxEntries: Int.max, maxValue: maxValue) {
                failure = RDBError("Duplicate hash fields detected")
            }
        }
        switch type {
        case RDB.TypeCode.hash:
            let n = try r.length()
            if n > maxEntries { h.convertToTable() }
            for _ in 0..<n {
                let f = try r.string()
                let v = try r.string()
                f.withBytes { fb in v.withBytes { vb in add(fb, vb, maxValue: maxValue) } }
                if let failure { throw failure }
            }
        case RDB.TypeCode.hashListpack, RDB.TypeCode.hashZiplist:
            // Kept packed whatever the value lengths, as Redis keeps the blob.
            let blob = try r.string()
            var field: [UInt8]?
            let visit: (CompactEncodings.Element) throws(RDBError) -> Void = { el throws(RDBError) in
                guard let f = field else {
                    field = el.array
                    return
                }
                field = nil
                f.withBytes { fb in el.array.withBytes { vb in add(fb, vb, maxValue: Int.max) } }
                if let failure { throw failure }
            }
            blob.withBytes { b in
                do throws(RDBError) {
                    if type == RDB.TypeCode.hashListpack {
                        try CompactEncodings.listpack(b, visit)
                    } else {
                        try CompactEncodings.ziplist(b, visit)
                    }
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
            guard field == nil else { throw RDBError("Hash listpack integrity check failed.") }
        case RDB.TypeCode.hashZipmap:
            let blob = try r.string()
            blob.withBytes { b in
                do throws(RDBError) {
                    try Self.zipmapPairs(b) { f, v in add(f, v, maxValue: maxValue) }
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
        default:
            throw RDBError("Unknown RDB value type \(type)")
        }
        guard h.count > 0 else { throw RDBError("Empty keys are not allowed") }
        if h.isPacked && h.count > maxEntries { h.convertToTable() }
        return h
    }

    /// Calls `body` with each pair of a zipmap (the hash encoding of RDB
    /// files older than Redis 2.6): a count byte, then per pair a length,
    /// the field, a length, a free-space byte, the value and its free space,
    /// up to a 0xFF terminator.
    static func zipmapPairs(_ z: Bytes, _ body: (Bytes, Bytes) -> Void) throws(RDBError) {
        var p = 1
        func length() throws(RDBError) -> Int {
            guard p < z.count else { throw RDBError("Zipmap integrity check failed.") }
            let b = z[p]
            if b < 254 {
                p += 1
                return Int(b)
            }
            guard b == 254, p + 5 <= z.count else { throw RDBError("Zipmap integrity check failed.") }
            let n = Int(z[p + 1]) | Int(z[p + 2]) << 8 | Int(z[p + 3]) << 16 | Int(z[p + 4]) << 24
            p += 5
            return n
        }
        func take(_ n: Int) throws(RDBError) -> Bytes {
            guard n >= 0, p + n <= z.count else { throw RDBError("Zipmap integrity check failed.") }
            defer { p += n }
            return Bytes(rebasing: z[p..<(p + n)])
        }
        guard z.count >= 2 else { throw RDBError("Zipmap integrity check failed.") }
        while true {
            guard p < z.count else { throw RDBError("Zipmap integrity check failed.") }
            if z[p] == 255 { break }
            let field = try take(try length())
            let vlen = try length()
            let free = Int(try take(1)[0])
            let value = try take(vlen)
            _ = try take(free)
            body(field, value)
        }
    }

    /// Registers the hash loaders with the RDB reader (once).
    static let rdbRegistration: Void = RDBValues.register(
        [RDB.TypeCode.hash, RDB.TypeCode.hashZipmap, RDB.TypeCode.hashZiplist, RDB.TypeCode.hashListpack], rdbLoad)
}
