import CSystem
import Glibc

/// A set value, in one of Redis 7.0's two encodings:
///
/// - `intset`: while every member is a 64-bit integer in canonical form (and
///   there are at most `set-max-intset-entries`), a sorted array of integers
///   2, 4 or 8 bytes wide, widened as larger values arrive. Lookups are binary
///   searches; iteration is in ascending order, as in Redis.
/// - `hashtable`: an `ElementTable` of members. Like Redis, a set never
///   converts back.
///
/// Members are addressed by position (0..<count) for random picks and
/// iteration; positions, and borrowed `Bytes`, are valid until the set
/// changes. Callers hold the owning shard's lock.
public final class SetValue: StoredObject {
    fileprivate var ints: UnsafeMutableRawPointer?
    /// Bytes per integer: 2, 4 or 8.
    fileprivate var width = 2
    fileprivate var intCount = 0
    fileprivate var intCapacity = 0
    /// The hashtable encoding; nil while an intset.
    public fileprivate(set) var table: ElementTable?

    /// An empty intset.
    public override init() { super.init() }

    /// An empty set in the encoding Redis picks for a set about to receive
    /// `member` (setTypeCreate): intset for an integer, hashtable otherwise.
    public init(firstMember member: Bytes) {
        super.init()
        if Numbers.parseInt64(member) == nil { table = ElementTable() }
    }

    deinit { if let ints { free(ints) } }

    public override var valueType: ValueType { .set }
    public override var encodingName: String { table == nil ? "intset" : "hashtable" }
    public override var elementCount: Int { count }

    public override var memoryUsage: Int {
        if let table { return table.memoryUsage }
        return ints.map { malloc_usable_size($0) } ?? 0
    }

    public override var rdbType: UInt8 { table == nil ? RDB.TypeCode.setIntset : RDB.TypeCode.set }
    public override func rdbWrite(_ w: RDBWriter) { writeRDB(w) }

    public override func duplicate() -> StoredObject {
        let copy = SetValue()
        if let table {
            copy.table = table.duplicate()
        } else if let ints {
            copy.ints = malloc(intCapacity * width)
            copy.ints!.copyMemory(from: ints, byteCount: intCount * width)
            copy.width = width
            copy.intCount = intCount
            copy.intCapacity = intCapacity
        }
        return copy
    }

    /// Number of members.
    @inline(__always) public var count: Int { table?.count ?? intCount }

    /// True while in the intset encoding.
    @inline(__always) public var isIntset: Bool { table == nil }

    // MARK: intset

    @inline(__always)
    func int(at i: Int) -> Int64 {
        let p = ints!
        switch width {
        case 2: return Int64(p.load(fromByteOffset: i * 2, as: Int16.self))
        case 4: return Int64(p.load(fromByteOffset: i * 4, as: Int32.self))
        default: return p.load(fromByteOffset: i * 8, as: Int64.self)
        }
    }

    @inline(__always)
    private func storeInt(_ v: Int64, at i: Int) {
        let p = ints!
        switch width {
        case 2: p.storeBytes(of: Int16(truncatingIfNeeded: v), toByteOffset: i * 2, as: Int16.self)
        case 4: p.storeBytes(of: Int32(truncatingIfNeeded: v), toByteOffset: i * 4, as: Int32.self)
        default: p.storeBytes(of: v, toByteOffset: i * 8, as: Int64.self)
        }
    }

    @inline(__always)
    static func widthFor(_ v: Int64) -> Int {
        if v >= Int64(Int16.min) && v <= Int64(Int16.max) { return 2 }
        if v >= Int64(Int32.min) && v <= Int64(Int32.max) { return 4 }
        return 8
    }

    /// Binary search: whether `v` is present and where it is (or would go).
    @inline(__always)
    func searchInt(_ v: Int64) -> (found: Bool, position: Int) {
        if intCount == 0 { return (false, 0) }
        if v > int(at: intCount - 1) { return (false, intCount) }
        if v < int(at: 0) { return (false, 0) }
        var lo = 0, hi = intCount - 1
        while lo <= hi {
            let mid = (lo + hi) >> 1
            let m = int(at: mid)
            if m == v { return (true, mid) }
            if m < v { lo = mid + 1 } else { hi = mid - 1 }
        }
        return (false, lo)
    }

    private func reserveInts(_ n: Int) {
        if n <= intCapacity { return }
        let cap = max(n, intCapacity + intCapacity / 2, 4)
        ints = realloc(ints, cap * width)!
        intCapacity = cap
    }

    /// Re-encodes every integer at `newWidth` bytes (from the last one, in place).
    private func widen(to newWidth: Int) {
        let old = width
        let p = realloc(ints, max(intCapacity, 4) * newWidth)!
        ints = p
        intCapacity = max(intCapacity, 4)
        var i = intCount - 1
        while i >= 0 {
            let v: Int64
            switch old {
            case 2: v = Int64(p.load(fromByteOffset: i * 2, as: Int16.self))
            default: v = Int64(p.load(fromByteOffset: i * 4, as: Int32.self))
            }
            if newWidth == 4 {
                p.storeBytes(of: Int32(v), toByteOffset: i * 4, as: Int32.self)
            } else {
                p.storeBytes(of: v, toByteOffset: i * 8, as: Int64.self)
            }
            i -= 1
        }
        width = newWidth
    }

    /// Adds an integer to the intset; true when it was new.
    private func addInt(_ v: Int64) -> Bool {
        let w = Self.widthFor(v)
        var position: Int
        if w > width {
            // A value too wide for the current encoding is below or above every member.
            widen(to: w)
            position = v < 0 ? 0 : intCount
        } else {
            let (found, pos) = searchInt(v)
            if found { return false }
            position = pos
        }
        reserveInts(intCount + 1)
        let p = ints!
        if position < intCount {
            memmove(p + (position + 1) * width, p + position * width, (intCount - position) * width)
        }
        storeInt(v, at: position)
        intCount += 1
        return true
    }

    private func removeInt(at position: Int) {
        let p = ints!
        if position < intCount - 1 {
            memmove(p + position * width, p + (position + 1) * width, (intCount - position - 1) * width)
        }
        intCount -= 1
        if intCapacity > 64 && intCount < intCapacity / 4 {
            intCapacity = max(intCount * 2, 4)
            ints = realloc(ints, intCapacity * width)!
        }
    }

    /// Moves every member into a hashtable (Redis's setTypeConvert).
    public func convertToTable() {
        guard table == nil else { return }
        let t = ElementTable(capacity: intCount)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buf in
            for i in 0..<intCount {
                let n = Numbers.formatInt64(int(at: i), into: buf.baseAddress!)
                t.insertNew(Bytes(start: buf.baseAddress, count: n), value: Bytes(start: nil, count: 0))
            }
        }
        if let ints { free(ints) }
        ints = nil
        intCount = 0
        intCapacity = 0
        width = 2
        table = t
    }

    // MARK: operations

    /// Adds `member` (Redis's setTypeAdd): an intset converts on a
    /// non-integer member, or when it grows past `maxIntsetEntries` (capped at
    /// 2^30). True when the member was new.
    @discardableResult
    public func add(_ member: Bytes, maxIntsetEntries: Int) -> Bool {
        if let table { return table.insert(member) }
        if let v = Numbers.parseInt64(member) {
            guard addInt(v) else { return false }
            if intCount > min(maxIntsetEntries, 1 << 30) { convertToTable() }
            return true
        }
        convertToTable()
        table!.insertNew(member, value: Bytes(start: nil, count: 0))
        return true
    }

    /// Removes `member`; true when it was present.
    @discardableResult
    public func remove(_ member: Bytes) -> Bool {
        if let table { return table.remove(member) }
        guard let v = Numbers.parseInt64(member) else { return false }
        let (found, pos) = searchInt(v)
        if found { removeInt(at: pos) }
        return found
    }

    /// True when `member` is present.
    @inline(__always)
    public func contains(_ member: Bytes) -> Bool {
        if let table { return table.find(member) != nil }
        guard let v = Numbers.parseInt64(member) else { return false }
        return searchInt(v).found
    }

    /// True when the integer `v` is a member (no formatting for intsets).
    public func contains(int v: Int64) -> Bool {
        if table == nil { return searchInt(v).found }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buf in
            let n = Numbers.formatInt64(v, into: buf.baseAddress!)
            return table!.find(Bytes(start: buf.baseAddress, count: n)) != nil
        }
    }

    /// The integer at `position` of an intset (nil for a hashtable).
    @inline(__always)
    public func intMember(at position: Int) -> Int64? {
        table == nil ? int(at: position) : nil
    }

    /// Runs `body` with the member at `position` (0..<count) as bytes.
    @discardableResult
    @inline(__always)
    public func withMember<R>(at position: Int, _ body: (Bytes) -> R) -> R {
        if let table { return body(table.key(at: position)) }
        let v = int(at: position)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 24) { buf in
            let n = Numbers.formatInt64(v, into: buf.baseAddress!)
            return body(Bytes(start: buf.baseAddress, count: n))
        }
    }

    /// Removes the member at `position`. For a hashtable the last position
    /// moves into it; for an intset later members shift down by one.
    public func remove(at position: Int) {
        if let table {
            table.remove(at: position)
        } else {
            removeInt(at: position)
        }
    }

    /// A uniformly random position (count > 0).
    @inline(__always)
    public func randomPosition() -> Int {
        FastRandom.below(count)
    }

    /// Calls `body` with every member (ascending for an intset). `body` must
    /// not change the set.
    public func forEach(_ body: (Bytes) -> Void) {
        for i in 0..<count { withMember(at: i, body) }
    }
}

// MARK: RDB

extension SetValue {
    /// An intset as its blob (type 11: width and count as 32-bit little-endian
    /// words, then the integers), a table as a count and member strings (type 2),
    /// as Redis 7.0 saves them.
    func writeRDB(_ w: RDBWriter) {
        if let table {
            w.length(table.count)
            for i in 0..<table.count { w.string(table.key(at: i)) }
            return
        }
        var blob = [UInt8]()
        blob.reserveCapacity(8 + intCount * width)
        for v in [UInt32(width), UInt32(intCount)] {
            for k in 0..<4 { blob.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(k)))) }
        }
        if let ints, intCount > 0 {
            blob.append(contentsOf: UnsafeRawBufferPointer(start: ints, count: intCount * width))
        }
        w.string(blob)
    }

    /// Reads a set saved as RDB type 2 (plain) or 11 (intset). Duplicate or
    /// unordered members and empty sets are rejected.
    static func rdbLoad(_ type: UInt8, _ r: inout RDBReader) throws(RDBError) -> StoredObject {
        let maxIntset = min(r.limits.setMaxIntsetEntries, 1 << 30)
        let s = SetValue()
        switch type {
        case RDB.TypeCode.set:
            let n = try r.length()
            if n > maxIntset { s.table = ElementTable(capacity: n) }
            for _ in 0..<n {
                let m = try r.string()
                guard m.withBytes({ s.add($0, maxIntsetEntries: Int.max) }) else {
                    throw RDBError("Duplicate set members detected")
                }
            }
        case RDB.TypeCode.setIntset:
            let blob = try r.string()
            var failure: RDBError?
            blob.withBytes { b in
                var previous: Int64?
                do throws(RDBError) {
                    try CompactEncodings.intset(b) { v throws(RDBError) in
                        if let previous, v <= previous { throw RDBError("Intset integrity check failed.") }
                        previous = v
                    }
                } catch {
                    failure = error
                    return
                }
                // Keep Redis's width, so the value saves back byte for byte.
                let w = Int(b[0])
                let n = (b.count - 8) / w
                s.width = w
                s.intCount = n
                s.intCapacity = max(n, 4)
                s.ints = malloc(s.intCapacity * w)
                if n > 0 { s.ints!.copyMemory(from: b.baseAddress! + 8, byteCount: n * w) }
            }
            if let failure { throw failure }
        default:
            throw RDBError("Unknown RDB value type \(type)")
        }
        guard s.count > 0 else { throw RDBError("Empty keys are not allowed") }
        if s.isIntset && s.count > maxIntset { s.convertToTable() }
        return s
    }

    /// Registers the set loaders with the RDB reader (once).
    static let rdbRegistration: Void = RDBValues.register([RDB.TypeCode.set, RDB.TypeCode.setIntset], rdbLoad)
}
