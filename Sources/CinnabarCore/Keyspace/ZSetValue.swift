import CSystem
import Glibc

/// Orders two member byte strings as Redis does: `memcmp` over the common
/// prefix, then the shorter one first.
@inline(__always)
func compareMembers(_ a: UnsafeRawPointer, _ al: Int, _ b: UnsafeRawPointer, _ bl: Int) -> Int {
    let common = al < bl ? al : bl
    if common > 0 {
        let m = memcmp(a, b, common)
        if m != 0 { return Int(m) }
    }
    return al - bl
}

/// A non-null base address for `b`, even when it is empty.
@inline(__always)
func rawBase(_ b: Bytes) -> UnsafeRawPointer {
    b.baseAddress.map { UnsafeRawPointer($0) } ?? UnsafeRawPointer(bitPattern: 8)!
}

/// Bounds on scores (ZRANGEBYSCORE, ZCOUNT, ZREMRANGEBYSCORE...).
public struct ZScoreRange {
    /// Lowest score allowed (excluded itself when `minExclusive`).
    public var min: Double
    /// Highest score allowed (excluded itself when `maxExclusive`).
    public var max: Double
    public var minExclusive: Bool
    public var maxExclusive: Bool

    /// Bounds from `min` to `max`, inclusive unless marked exclusive.
    public init(min: Double, max: Double, minExclusive: Bool = false, maxExclusive: Bool = false) {
        self.min = min
        self.max = max
        self.minExclusive = minExclusive
        self.maxExclusive = maxExclusive
    }

    /// True when `v` satisfies the lower bound.
    @inline(__always) public func aboveMin(_ v: Double) -> Bool { minExclusive ? v > min : v >= min }
    /// True when `v` satisfies the upper bound.
    @inline(__always) public func belowMax(_ v: Double) -> Bool { maxExclusive ? v < max : v <= max }

    /// True when no score satisfies both bounds.
    public var isEmpty: Bool { min > max || (min == max && (minExclusive || maxExclusive)) }

    /// Parses two bounds the way Redis does: a leading `(` makes a bound
    /// exclusive, the rest goes through `strtod` (so leading blanks, hex,
    /// `inf` and an empty string are accepted) and NaN is refused.
    public static func parse(_ min: Bytes, _ max: Bytes) -> ZScoreRange? {
        guard let lo = parseBound(min), let hi = parseBound(max) else { return nil }
        return ZScoreRange(min: lo.0, max: hi.0, minExclusive: lo.1, maxExclusive: hi.1)
    }

    static func parseBound(_ b: Bytes) -> (Double, Bool)? {
        var start = 0
        var exclusive = false
        if b.count > 0 && b[0] == 40 {
            exclusive = true
            start = 1
        }
        let n = b.count - start
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: n + 1) { buf -> (Double, Bool)? in
            for i in 0..<n { buf[i] = CChar(bitPattern: b[start + i]) }
            buf[n] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let v = strtod(buf.baseAddress!, &end)
            // Like Redis, parsing stops at the first NUL: the bound is what precedes it.
            guard let end, end.pointee == 0, !v.isNaN else { return nil }
            return (v, exclusive)
        }
    }
}

/// One end of a lexicographic range: `-`, `+`, or a member with `[` / `(`.
public struct ZLexBound {
    /// `-` (below every member), `+` (above every member), or a member.
    public enum Kind { case minimum, maximum, member }
    public var kind: Kind
    /// The member bytes (borrowed from the command's arguments).
    public var bytes: Bytes
    /// True for `(` bounds (and for `-` / `+`, as Redis marks them).
    public var exclusive: Bool

    /// Where `value` falls relative to this bound (<0, 0, >0).
    @inline(__always)
    func compare(_ value: UnsafeRawPointer, _ length: Int) -> Int {
        switch kind {
        case .minimum: return 1
        case .maximum: return -1
        case .member: return compareMembers(value, length, rawBase(bytes), bytes.count)
        }
    }
}

/// Bounds on members for the BYLEX family.
public struct ZLexRange {
    /// The lower bound.
    public var min: ZLexBound
    /// The upper bound.
    public var max: ZLexBound

    @inline(__always) func aboveMin(_ p: UnsafeRawPointer, _ n: Int) -> Bool {
        let c = min.compare(p, n)
        return min.exclusive ? c > 0 : c >= 0
    }

    @inline(__always) func belowMax(_ p: UnsafeRawPointer, _ n: Int) -> Bool {
        let c = max.compare(p, n)
        return max.exclusive ? c < 0 : c <= 0
    }

    /// True when member `b` satisfies the lower bound.
    @inline(__always) public func aboveMin(_ b: Bytes) -> Bool { aboveMin(rawBase(b), b.count) }
    /// True when member `b` satisfies the upper bound.
    @inline(__always) public func belowMax(_ b: Bytes) -> Bool { belowMax(rawBase(b), b.count) }

    /// True when no member satisfies both bounds.
    public var isEmpty: Bool {
        let c: Int
        if min.kind == max.kind && min.kind != .member {
            c = 0
        } else if min.kind == .minimum || max.kind == .maximum {
            c = -1
        } else if min.kind == .maximum || max.kind == .minimum {
            c = 1
        } else {
            c = compareMembers(rawBase(min.bytes), min.bytes.count, rawBase(max.bytes), max.bytes.count)
        }
        return c > 0 || (c == 0 && (min.exclusive || max.exclusive))
    }

    /// Parses `-`, `+`, `[member` and `(member` bounds; nil for anything else.
    public static func parse(_ min: Bytes, _ max: Bytes) -> ZLexRange? {
        guard let lo = parseBound(min), let hi = parseBound(max) else { return nil }
        return ZLexRange(min: lo, max: hi)
    }

    static func parseBound(_ b: Bytes) -> ZLexBound? {
        guard b.count > 0 else { return nil }
        // Redis reads the bound as a C string: `+` and `-` must end there.
        let ends = b.count == 1 || b[1] == 0
        switch b[0] {
        case 43: return ends ? ZLexBound(kind: .maximum, bytes: b, exclusive: true) : nil
        case 45: return ends ? ZLexBound(kind: .minimum, bytes: b, exclusive: true) : nil
        case 40: return ZLexBound(kind: .member, bytes: Bytes(rebasing: b[1...]), exclusive: true)
        case 91: return ZLexBound(kind: .member, bytes: Bytes(rebasing: b[1...]), exclusive: false)
        default: return nil
        }
    }
}

/// The fields of one skip-list node, a single malloc block:
///
///     0  score (8)              8  member length (4)   12 level (4)
///     16 per level: forward node (8), span (8)
///     16 + 16 * level: backward node (8), next node in its hash bucket (8),
///                      member hash (8)
///     40 + 16 * level: member bytes
///
/// What a search reads at each step (the score and the low levels' links)
/// comes first, so a step usually costs one cache line; fields only
/// updates need sit after the links.
///
/// The span of a level link counts the nodes it jumps over plus one, so ranks
/// add up along any search path.
enum ZNode {
    typealias Ptr = UnsafeMutableRawPointer

    @inline(__always) static func score(_ n: Ptr) -> Double { n.load(as: Double.self) }
    @inline(__always) static func setScore(_ n: Ptr, _ v: Double) { n.storeBytes(of: v, as: Double.self) }
    @inline(__always) static func length(_ n: Ptr) -> Int { Int(n.load(fromByteOffset: 8, as: UInt32.self)) }
    @inline(__always) static func level(_ n: Ptr) -> Int { Int(n.load(fromByteOffset: 12, as: UInt32.self)) }
    /// Offset of the fields after the level links.
    @inline(__always) private static func tailOffset(_ n: Ptr) -> Int { 16 + 16 * level(n) }
    @inline(__always) static func backward(_ n: Ptr) -> Ptr? { n.load(fromByteOffset: tailOffset(n), as: Ptr?.self) }
    @inline(__always) static func setBackward(_ n: Ptr, _ v: Ptr?) { n.storeBytes(of: v, toByteOffset: tailOffset(n), as: Ptr?.self) }
    @inline(__always) static func chain(_ n: Ptr) -> Ptr? { n.load(fromByteOffset: tailOffset(n) + 8, as: Ptr?.self) }
    @inline(__always) static func setChain(_ n: Ptr, _ v: Ptr?) { n.storeBytes(of: v, toByteOffset: tailOffset(n) + 8, as: Ptr?.self) }
    @inline(__always) static func hash(_ n: Ptr) -> UInt64 { n.load(fromByteOffset: tailOffset(n) + 16, as: UInt64.self) }
    @inline(__always) static func forward(_ n: Ptr, _ i: Int) -> Ptr? { n.load(fromByteOffset: 16 + 16 * i, as: Ptr?.self) }
    @inline(__always) static func setForward(_ n: Ptr, _ i: Int, _ v: Ptr?) {
        n.storeBytes(of: v, toByteOffset: 16 + 16 * i, as: Ptr?.self)
    }
    @inline(__always) static func span(_ n: Ptr, _ i: Int) -> Int { n.load(fromByteOffset: 24 + 16 * i, as: Int.self) }
    @inline(__always) static func setSpan(_ n: Ptr, _ i: Int, _ v: Int) { n.storeBytes(of: v, toByteOffset: 24 + 16 * i, as: Int.self) }
    @inline(__always) static func memberPointer(_ n: Ptr) -> UnsafeRawPointer { UnsafeRawPointer(n + 40 + 16 * level(n)) }
    @inline(__always) static func member(_ n: Ptr) -> Bytes {
        Bytes(start: memberPointer(n).assumingMemoryBound(to: UInt8.self), count: length(n))
    }

    @inline(__always) static func size(level: Int, length: Int) -> Int { 40 + 16 * level + length }

    static func allocate(level: Int, score: Double, member: Bytes, hash: UInt64) -> Ptr {
        let n = malloc(size(level: level, length: member.count))!
        setScore(n, score)
        n.storeBytes(of: UInt32(member.count), toByteOffset: 8, as: UInt32.self)
        n.storeBytes(of: UInt32(level), toByteOffset: 12, as: UInt32.self)
        setBackward(n, nil)
        setChain(n, nil)
        n.storeBytes(of: hash, toByteOffset: tailOffset(n) + 16, as: UInt64.self)
        for i in 0..<level {
            setForward(n, i, nil)
            setSpan(n, i, 0)
        }
        if member.count > 0 { (n + 40 + 16 * level).copyMemory(from: member.baseAddress!, byteCount: member.count) }
        return n
    }

    /// True when `n` sorts before (score, member).
    @inline(__always)
    static func precedes(_ n: Ptr, _ score: Double, _ m: UnsafeRawPointer, _ ml: Int) -> Bool {
        let s = ZNode.score(n)
        if s < score { return true }
        if s > score { return false }
        return compareMembers(memberPointer(n), length(n), m, ml) < 0
    }
}

/// A sorted set. Small sets live in one compact buffer (Redis's `listpack`
/// encoding): entries `score (8) | length (4) | member | length (4)` in
/// order, searched linearly. Larger ones (past `zset-max-listpack-entries`
/// members or a member longer than `zset-max-listpack-value`) become a skip
/// list with spans (O(log n) insert, delete, rank and range) plus a chained
/// member hash for O(1) score lookups: Redis's `skiplist` encoding. As in
/// Redis, conversion is one way except for commands that build a new set.
///
/// Ordering is by score, then by member bytes (`memcmp`, shorter first).
/// Positions are `ZSetValue.Cursor`s: byte offsets in the compact form, node
/// addresses in the skip list; a cursor is valid until the set is modified.
public final class ZSetValue: StoredObject {
    /// A position in the set's order; `ZSetValue.end` when past either end.
    public typealias Cursor = Int
    /// The cursor past either end.
    public static let end: Cursor = Int.min

    static let maxLevel = 32
    /// Compact buffers never grow past this (Redis's listpack safety limit).
    static let compactSafetyLimit = 1 << 30

    // Compact form (lp != nil).
    private var lp: UnsafeMutableRawPointer?
    private var lpUsed = 0
    private var lpCapacity = 0
    private var lpCount = 0

    // Skip-list form (header != nil).
    private var header: UnsafeMutableRawPointer?
    private var tail: UnsafeMutableRawPointer?
    private var level = 1
    private var length = 0
    private var buckets: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
    private var bucketCount = 0
    private var nodeBytes = 0

    /// An empty set in the compact form, or the skip-list form when `compact` is false.
    public init(compact: Bool) {
        super.init()
        if compact {
            lpCapacity = 64
            lp = malloc(lpCapacity)!
        } else {
            makeSkiplist()
        }
    }

    deinit {
        if let lp { free(lp) }
        freeSkiplist()
    }

    public override var valueType: ValueType { .zset }
    public override var encodingName: String { isCompact ? "listpack" : "skiplist" }
    public override var elementCount: Int { count }
    public override var memoryUsage: Int {
        isCompact ? 48 + lpCapacity : 48 + nodeBytes + ZNode.size(level: Self.maxLevel, length: 0) + bucketCount * 8
    }

    public override var rdbType: UInt8 { isCompact ? RDB.TypeCode.zsetListpack : RDB.TypeCode.zset2 }
    public override func rdbWrite(_ w: RDBWriter) { writeRDB(w) }

    /// True in the compact (`listpack`) form.
    @inline(__always) public var isCompact: Bool { lp != nil }

    /// Members held.
    @inline(__always) public var count: Int { lp != nil ? lpCount : length }

    public override func duplicate() -> StoredObject {
        let copy = ZSetValue(compact: isCompact)
        if let lp {
            copy.lpReserve(lpUsed)
            copy.lp!.copyMemory(from: lp, byteCount: lpUsed)
            copy.lpUsed = lpUsed
            copy.lpCount = lpCount
        } else {
            copy.resizeBuckets(Self.bucketsFor(length))
            // Appending in order keeps every insertion at the tail.
            var n = ZNode.forward(header!, 0)
            while let x = n {
                copy.appendNode(score: ZNode.score(x), member: ZNode.member(x), hash: ZNode.hash(x))
                n = ZNode.forward(x, 0)
            }
        }
        return copy
    }

    // MARK: compact form

    @inline(__always) private func lpScore(_ off: Int) -> Double { lp!.loadUnaligned(fromByteOffset: off, as: Double.self) }
    @inline(__always) private func lpLength(_ off: Int) -> Int { Int(lp!.loadUnaligned(fromByteOffset: off + 8, as: UInt32.self)) }
    @inline(__always) private func lpMemberPointer(_ off: Int) -> UnsafeRawPointer { UnsafeRawPointer(lp! + off + 12) }
    @inline(__always) private func lpMember(_ off: Int) -> Bytes {
        Bytes(start: (lp! + off + 12).assumingMemoryBound(to: UInt8.self), count: lpLength(off))
    }
    @inline(__always) private func lpNext(_ off: Int) -> Int {
        let n = off + 16 + lpLength(off)
        return n < lpUsed ? n : Self.end
    }
    @inline(__always) private func lpPrev(_ off: Int) -> Int {
        if off == 0 { return Self.end }
        let plen = Int(lp!.loadUnaligned(fromByteOffset: off - 4, as: UInt32.self))
        return off - 16 - plen
    }

    private func lpReserve(_ extra: Int) {
        let need = lpUsed + extra
        if need <= lpCapacity { return }
        var cap = max(lpCapacity, 64)
        while cap < need { cap *= 2 }
        lp = realloc(lp, cap)!
        lpCapacity = cap
    }

    private func lpFind(_ m: Bytes) -> Int? {
        let mp = rawBase(m)
        let ml = m.count
        var off = 0
        while off < lpUsed {
            let len = lpLength(off)
            if len == ml && (ml == 0 || memcmp(lpMemberPointer(off), mp, ml) == 0) { return off }
            off += 16 + len
        }
        return nil
    }

    /// Inserts in order; the member must be absent.
    private func lpInsert(_ m: Bytes, _ score: Double) {
        let mp = rawBase(m)
        let ml = m.count
        var off = 0
        while off < lpUsed {
            let s = lpScore(off)
            if s > score || (s == score && compareMembers(lpMemberPointer(off), lpLength(off), mp, ml) > 0) { break }
            off += 16 + lpLength(off)
        }
        lpWrite(at: off, m, score)
    }

    private func lpWrite(at off: Int, _ m: Bytes, _ score: Double) {
        let size = 16 + m.count
        lpReserve(size)
        let base = lp!
        if off < lpUsed { memmove(base + off + size, base + off, lpUsed - off) }
        // Redis keeps integral scores of listpacks as integers, so -0 comes back as 0.
        base.storeBytes(of: score == 0 ? 0.0 : score, toByteOffset: off, as: Double.self)
        base.storeBytes(of: UInt32(m.count), toByteOffset: off + 8, as: UInt32.self)
        if m.count > 0 { (base + off + 12).copyMemory(from: m.baseAddress!, byteCount: m.count) }
        base.storeBytes(of: UInt32(m.count), toByteOffset: off + 12 + m.count, as: UInt32.self)
        lpUsed += size
        lpCount += 1
    }

    private func lpRemove(at off: Int, entries n: Int = 1) {
        var end = off
        for _ in 0..<n { end += 16 + lpLength(end) }
        memmove(lp! + off, lp! + end, lpUsed - end)
        lpUsed -= end - off
        lpCount -= n
        // Give memory back when a large buffer becomes mostly empty.
        if lpCapacity > 256 && lpUsed * 4 < lpCapacity {
            lpCapacity = max(64, lpUsed * 2)
            lp = realloc(lp, lpCapacity)!
        }
    }

    private func lpOffset(rank: Int) -> Int {
        var off = 0
        for _ in 0..<rank { off += 16 + lpLength(off) }
        return off
    }

    // MARK: skip list

    private func makeSkiplist() {
        header = ZNode.allocate(level: Self.maxLevel, score: 0, member: Bytes(start: nil, count: 0), hash: 0)
        tail = nil
        level = 1
        length = 0
        nodeBytes = 0
        resizeBuckets(4)
    }

    private func freeSkiplist() {
        guard let h = header else { return }
        var n = ZNode.forward(h, 0)
        while let x = n {
            n = ZNode.forward(x, 0)
            free(x)
        }
        free(h)
        header = nil
        tail = nil
        buckets?.deallocate()
        buckets = nil
        bucketCount = 0
        length = 0
        nodeBytes = 0
    }

    /// Level of a new node: each extra level with probability 1/4, up to 32.
    @inline(__always) private static func randomLevel() -> Int {
        let r = FastRandom.next() | (1 << 62)
        return min(1 + r.trailingZeroBitCount / 2, maxLevel)
    }

    /// Links node `x` (score and member set, links unset) in order.
    private func slLink(_ x: UnsafeMutableRawPointer) {
        let h = header!
        let score = ZNode.score(x)
        let mp = ZNode.memberPointer(x)
        let ml = ZNode.length(x)
        let xl = ZNode.level(x)
        withUnsafeTemporaryAllocation(of: (UnsafeMutableRawPointer, Int).self, capacity: Self.maxLevel) { upd in
            var n = h
            var i = level - 1
            while i >= 0 {
                var rank = i == level - 1 ? 0 : upd[i + 1].1
                while let f = ZNode.forward(n, i), ZNode.precedes(f, score, mp, ml) {
                    rank += ZNode.span(n, i)
                    n = f
                }
                upd[i] = (n, rank)
                i -= 1
            }
            if xl > level {
                for j in level..<xl {
                    upd[j] = (h, 0)
                    ZNode.setSpan(h, j, length)
                }
                level = xl
            }
            let rank0 = upd[0].1
            for j in 0..<xl {
                let (u, r) = upd[j]
                ZNode.setForward(x, j, ZNode.forward(u, j))
                ZNode.setForward(u, j, x)
                ZNode.setSpan(x, j, ZNode.span(u, j) - (rank0 - r))
                ZNode.setSpan(u, j, rank0 - r + 1)
            }
            if xl < level {
                for j in xl..<level { ZNode.setSpan(upd[j].0, j, ZNode.span(upd[j].0, j) + 1) }
            }
            let back = upd[0].0
            ZNode.setBackward(x, back == h ? nil : back)
            if let f = ZNode.forward(x, 0) { ZNode.setBackward(f, x) } else { tail = x }
        }
        length += 1
    }

    /// Unlinks node `x` from every level (not from the hash).
    private func slUnlink(_ x: UnsafeMutableRawPointer) {
        let h = header!
        let score = ZNode.score(x)
        let mp = ZNode.memberPointer(x)
        let ml = ZNode.length(x)
        var n = h
        var i = level - 1
        withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer.self, capacity: Self.maxLevel) { upd in
            while i >= 0 {
                while let f = ZNode.forward(n, i), f != x, ZNode.precedes(f, score, mp, ml) { n = f }
                upd[i] = n
                i -= 1
            }
            unlink(x, upd)
        }
    }

    /// Unlinks `x` given the last node before it at each level.
    private func unlink(_ x: UnsafeMutableRawPointer, _ upd: UnsafeMutableBufferPointer<UnsafeMutableRawPointer>) {
        for j in 0..<level {
            let u = upd[j]
            if ZNode.forward(u, j) == x {
                ZNode.setSpan(u, j, ZNode.span(u, j) + ZNode.span(x, j) - 1)
                ZNode.setForward(u, j, ZNode.forward(x, j))
            } else {
                ZNode.setSpan(u, j, ZNode.span(u, j) - 1)
            }
        }
        if let f = ZNode.forward(x, 0) { ZNode.setBackward(f, ZNode.backward(x)) } else { tail = ZNode.backward(x) }
        let h = header!
        while level > 1 && ZNode.forward(h, level - 1) == nil { level -= 1 }
        length -= 1
    }

    /// Adds a new node at the tail (the caller guarantees it sorts last).
    private func appendNode(score: Double, member: Bytes, hash: UInt64) {
        let lvl = Self.randomLevel()
        let x = ZNode.allocate(level: lvl, score: score, member: member, hash: hash)
        nodeBytes += ZNode.size(level: lvl, length: member.count)
        slLink(x)
        hashInsert(x)
    }

    private func slInsert(_ m: Bytes, _ score: Double, hash: UInt64) {
        let lvl = Self.randomLevel()
        let x = ZNode.allocate(level: lvl, score: score, member: m, hash: hash)
        nodeBytes += ZNode.size(level: lvl, length: m.count)
        slLink(x)
        hashInsert(x)
    }

    private func slUpdateScore(_ x: UnsafeMutableRawPointer, _ score: Double) {
        // Stays in place when still between its neighbours.
        let back = ZNode.backward(x)
        let fwd = ZNode.forward(x, 0)
        if (back == nil || ZNode.score(back!) < score) && (fwd == nil || ZNode.score(fwd!) > score) {
            ZNode.setScore(x, score)
            return
        }
        slUnlink(x)
        ZNode.setScore(x, score)
        slLink(x)
    }

    private func slFreeNode(_ x: UnsafeMutableRawPointer) {
        nodeBytes -= ZNode.size(level: ZNode.level(x), length: ZNode.length(x))
        free(x)
    }

    /// Node at 1-based `rank`.
    private func slNode(rank: Int) -> UnsafeMutableRawPointer? {
        var n = header!
        var traversed = 0
        var i = level - 1
        while i >= 0 {
            while let f = ZNode.forward(n, i), traversed + ZNode.span(n, i) <= rank {
                traversed += ZNode.span(n, i)
                n = f
            }
            if traversed == rank { return n }
            i -= 1
        }
        return nil
    }

    /// 1-based rank of node `x`.
    private func slRank(_ x: UnsafeMutableRawPointer) -> Int {
        let score = ZNode.score(x)
        let mp = ZNode.memberPointer(x)
        let ml = ZNode.length(x)
        var n = header!
        var rank = 0
        var i = level - 1
        while i >= 0 {
            while let f = ZNode.forward(n, i),
                  f == x || ZNode.precedes(f, score, mp, ml) {
                rank += ZNode.span(n, i)
                n = f
                if n == x { return rank }
            }
            i -= 1
        }
        return rank
    }

    // MARK: member hash

    private static func bucketsFor(_ n: Int) -> Int {
        var size = 4
        while size < n { size <<= 1 }
        return size
    }

    private func resizeBuckets(_ size: Int) {
        let nb = UnsafeMutablePointer<UnsafeMutableRawPointer?>.allocate(capacity: size)
        nb.initialize(repeating: nil, count: size)
        if let old = buckets {
            for b in 0..<bucketCount {
                var n = old[b]
                while let x = n {
                    n = ZNode.chain(x)
                    let idx = Int(truncatingIfNeeded: ZNode.hash(x)) & (size - 1)
                    ZNode.setChain(x, nb[idx])
                    nb[idx] = x
                }
            }
            old.deallocate()
        }
        buckets = nb
        bucketCount = size
    }

    @inline(__always)
    private func hashFind(_ m: Bytes, _ h: UInt64) -> UnsafeMutableRawPointer? {
        var n = buckets![Int(truncatingIfNeeded: h) & (bucketCount - 1)]
        let ml = m.count
        while let x = n {
            if ZNode.hash(x) == h && ZNode.length(x) == ml && (ml == 0 || memcmp(ZNode.memberPointer(x), m.baseAddress!, ml) == 0) {
                return x
            }
            n = ZNode.chain(x)
        }
        return nil
    }

    private func hashInsert(_ x: UnsafeMutableRawPointer) {
        if length > bucketCount { resizeBuckets(bucketCount * 2) }
        let idx = Int(truncatingIfNeeded: ZNode.hash(x)) & (bucketCount - 1)
        ZNode.setChain(x, buckets![idx])
        buckets![idx] = x
    }

    private func hashRemove(_ x: UnsafeMutableRawPointer) {
        let idx = Int(truncatingIfNeeded: ZNode.hash(x)) & (bucketCount - 1)
        var prev: UnsafeMutableRawPointer? = nil
        var n = buckets![idx]
        while let cur = n {
            if cur == x {
                if let prev { ZNode.setChain(prev, ZNode.chain(cur)) } else { buckets![idx] = ZNode.chain(cur) }
                return
            }
            prev = cur
            n = ZNode.chain(cur)
        }
    }

    /// Shrinks the bucket array once it is less than a tenth full, as Redis resizes its dicts.
    private func shrinkBucketsIfSparse() {
        if bucketCount > 4 && length * 10 < bucketCount { resizeBuckets(Self.bucketsFor(length)) }
    }

    // MARK: conversions

    /// Moves to the skip-list form (no-op if already there).
    public func convertToSkiplist() {
        guard let old = lp else { return }
        let used = lpUsed
        lp = nil
        lpUsed = 0
        lpCount = 0
        lpCapacity = 0
        makeSkiplist()
        var off = 0
        while off < used {
            let len = Int(old.loadUnaligned(fromByteOffset: off + 8, as: UInt32.self))
            let m = Bytes(start: (old + off + 12).assumingMemoryBound(to: UInt8.self), count: len)
            appendNode(score: old.loadUnaligned(fromByteOffset: off, as: Double.self), member: m, hash: KeyHash.hash(m))
            off += 16 + len
        }
        free(old)
    }

    /// Moves a skip list holding at most `maxEntries` members, none longer
    /// than `maxValue` bytes, back to the compact form (commands that build a
    /// new set: ZUNIONSTORE, ZRANGESTORE...).
    public func convertToCompactIfFits(maxEntries: Int, maxValue: Int) {
        guard let h = header, length <= maxEntries else { return }
        var total = 0
        var n = ZNode.forward(h, 0)
        while let x = n {
            let len = ZNode.length(x)
            if len > maxValue { return }
            total += 16 + len
            n = ZNode.forward(x, 0)
        }
        if total > Self.compactSafetyLimit { return }
        let buffer = malloc(max(total, 64))!
        var off = 0
        n = ZNode.forward(h, 0)
        while let x = n {
            let len = ZNode.length(x)
            let score = ZNode.score(x)
            buffer.storeBytes(of: score == 0 ? 0.0 : score, toByteOffset: off, as: Double.self)
            buffer.storeBytes(of: UInt32(len), toByteOffset: off + 8, as: UInt32.self)
            if len > 0 { (buffer + off + 12).copyMemory(from: ZNode.memberPointer(x), byteCount: len) }
            buffer.storeBytes(of: UInt32(len), toByteOffset: off + 12 + len, as: UInt32.self)
            off += 16 + len
            n = ZNode.forward(x, 0)
        }
        let members = length
        freeSkiplist()
        lp = buffer
        lpUsed = total
        lpCapacity = max(total, 64)
        lpCount = members
    }

    // MARK: lookups

    /// The score of `m`, or nil when absent.
    @inline(__always)
    public func score(of m: Bytes) -> Double? {
        if lp != nil {
            guard let off = lpFind(m) else { return nil }
            return lpScore(off)
        }
        guard let x = hashFind(m, KeyHash.hash(m)) else { return nil }
        return ZNode.score(x)
    }

    /// The 0-based rank of `m` counting from the lowest score (or the highest
    /// when `reverse`), nil when absent.
    public func rank(of m: Bytes, reverse: Bool) -> Int? {
        var r: Int
        if lp != nil {
            guard let off = lpFind(m) else { return nil }
            r = 0
            var o = 0
            while o < off { o += 16 + lpLength(o); r += 1 }
        } else {
            guard let x = hashFind(m, KeyHash.hash(m)) else { return nil }
            r = slRank(x) - 1
        }
        return reverse ? count - 1 - r : r
    }

    // MARK: cursors

    /// The position of 0-based `rank` (which must be in range).
    public func cursor(rank: Int) -> Cursor {
        if lp != nil { return lpOffset(rank: rank) }
        if rank == 0 { return Int(bitPattern: ZNode.forward(header!, 0)!) }
        if rank == length - 1 { return Int(bitPattern: tail!) }
        return Int(bitPattern: slNode(rank: rank + 1)!)
    }

    /// The position after `c`, or `end`.
    @inline(__always)
    public func next(_ c: Cursor) -> Cursor {
        if lp != nil { return lpNext(c) }
        guard let f = ZNode.forward(UnsafeMutableRawPointer(bitPattern: c)!, 0) else { return Self.end }
        return Int(bitPattern: f)
    }

    /// The position before `c`, or `end`.
    @inline(__always)
    public func previous(_ c: Cursor) -> Cursor {
        if lp != nil { return lpPrev(c) }
        guard let b = ZNode.backward(UnsafeMutableRawPointer(bitPattern: c)!) else { return Self.end }
        return Int(bitPattern: b)
    }

    /// Moves `c` forward (or backward) by `n` positions, `end` when it runs out.
    public func advance(_ c: Cursor, by n: Int, reverse: Bool) -> Cursor {
        var c = c
        var k = n
        while k > 0 && c != Self.end {
            c = reverse ? previous(c) : next(c)
            k -= 1
        }
        return c
    }

    /// The member at `c` (valid until the set changes).
    @inline(__always)
    public func member(_ c: Cursor) -> Bytes {
        lp != nil ? lpMember(c) : ZNode.member(UnsafeMutableRawPointer(bitPattern: c)!)
    }

    /// The score at `c`.
    @inline(__always)
    public func score(_ c: Cursor) -> Double {
        lp != nil ? lpScore(c) : ZNode.score(UnsafeMutableRawPointer(bitPattern: c)!)
    }

    /// Lowest-ranked position, or `end` when empty.
    public var first: Cursor { count == 0 ? Self.end : cursor(rank: 0) }
    /// Highest-ranked position, or `end` when empty.
    public var last: Cursor { count == 0 ? Self.end : cursor(rank: count - 1) }

    /// Calls `body` with every member and score in order.
    public func forEach(_ body: (Bytes, Double) -> Void) {
        var c = first
        while c != Self.end {
            body(member(c), score(c))
            c = next(c)
        }
    }

    // MARK: ranges

    /// The first position whose score is within `r`, with its 0-based rank.
    public func firstInRange(_ r: ZScoreRange) -> (Cursor, Int)? {
        if r.isEmpty || count == 0 { return nil }
        if lp != nil {
            var off = 0
            var rank = 0
            while off < lpUsed {
                let s = lpScore(off)
                if r.aboveMin(s) { return r.belowMax(s) ? (off, rank) : nil }
                off += 16 + lpLength(off)
                rank += 1
            }
            return nil
        }
        guard let t = tail, r.aboveMin(ZNode.score(t)), let f = ZNode.forward(header!, 0), r.belowMax(ZNode.score(f)) else {
            return nil
        }
        var n = header!
        var traversed = 0
        var i = level - 1
        while i >= 0 {
            while let f = ZNode.forward(n, i), !r.aboveMin(ZNode.score(f)) {
                traversed += ZNode.span(n, i)
                n = f
            }
            i -= 1
        }
        let x = ZNode.forward(n, 0)!
        return r.belowMax(ZNode.score(x)) ? (Int(bitPattern: x), traversed) : nil
    }

    /// The last position whose score is within `r`, with its 0-based rank.
    public func lastInRange(_ r: ZScoreRange) -> (Cursor, Int)? {
        if r.isEmpty || count == 0 { return nil }
        if lp != nil {
            var off = lpPrevOfEnd()
            var rank = lpCount - 1
            while off != Self.end {
                let s = lpScore(off)
                if r.belowMax(s) { return r.aboveMin(s) ? (off, rank) : nil }
                off = lpPrev(off)
                rank -= 1
            }
            return nil
        }
        guard let t = tail, r.aboveMin(ZNode.score(t)), let f = ZNode.forward(header!, 0), r.belowMax(ZNode.score(f)) else {
            return nil
        }
        var n = header!
        var traversed = 0
        var i = level - 1
        while i >= 0 {
            while let f = ZNode.forward(n, i), r.belowMax(ZNode.score(f)) {
                traversed += ZNode.span(n, i)
                n = f
            }
            i -= 1
        }
        return r.aboveMin(ZNode.score(n)) ? (Int(bitPattern: n), traversed - 1) : nil
    }

    /// The first position whose member is within `r`, with its 0-based rank.
    public func firstInLexRange(_ r: ZLexRange) -> (Cursor, Int)? {
        if r.isEmpty || count == 0 { return nil }
        if lp != nil {
            var off = 0
            var rank = 0
            while off < lpUsed {
                let p = lpMemberPointer(off), n = lpLength(off)
                if r.aboveMin(p, n) { return r.belowMax(p, n) ? (off, rank) : nil }
                off += 16 + n
                rank += 1
            }
            return nil
        }
        guard let t = tail, r.aboveMin(ZNode.memberPointer(t), ZNode.length(t)),
              let f = ZNode.forward(header!, 0), r.belowMax(ZNode.memberPointer(f), ZNode.length(f)) else { return nil }
        var n = header!
        var traversed = 0
        var i = level - 1
        while i >= 0 {
            while let f = ZNode.forward(n, i), !r.aboveMin(ZNode.memberPointer(f), ZNode.length(f)) {
                traversed += ZNode.span(n, i)
                n = f
            }
            i -= 1
        }
        let x = ZNode.forward(n, 0)!
        return r.belowMax(ZNode.memberPointer(x), ZNode.length(x)) ? (Int(bitPattern: x), traversed) : nil
    }

    /// The last position whose member is within `r`, with its 0-based rank.
    public func lastInLexRange(_ r: ZLexRange) -> (Cursor, Int)? {
        if r.isEmpty || count == 0 { return nil }
        if lp != nil {
            var off = lpPrevOfEnd()
            var rank = lpCount - 1
            while off != Self.end {
                let p = lpMemberPointer(off), n = lpLength(off)
                if r.belowMax(p, n) { return r.aboveMin(p, n) ? (off, rank) : nil }
                off = lpPrev(off)
                rank -= 1
            }
            return nil
        }
        guard let t = tail, r.aboveMin(ZNode.memberPointer(t), ZNode.length(t)),
              let f = ZNode.forward(header!, 0), r.belowMax(ZNode.memberPointer(f), ZNode.length(f)) else { return nil }
        var n = header!
        var traversed = 0
        var i = level - 1
        while i >= 0 {
            while let f = ZNode.forward(n, i), r.belowMax(ZNode.memberPointer(f), ZNode.length(f)) {
                traversed += ZNode.span(n, i)
                n = f
            }
            i -= 1
        }
        return r.aboveMin(ZNode.memberPointer(n), ZNode.length(n)) ? (Int(bitPattern: n), traversed - 1) : nil
    }

    private func lpPrevOfEnd() -> Int {
        if lpUsed == 0 { return Self.end }
        let plen = Int(lp!.loadUnaligned(fromByteOffset: lpUsed - 4, as: UInt32.self))
        return lpUsed - 16 - plen
    }

    // MARK: updates

    /// ZADD's options.
    public struct AddFlags: OptionSet {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// Add the score to the current one (0 for a new member).
        public static let incr = AddFlags(rawValue: 1)
        /// Only add new members.
        public static let nx = AddFlags(rawValue: 2)
        /// Only update existing members.
        public static let xx = AddFlags(rawValue: 4)
        /// Update only when the new score is greater.
        public static let gt = AddFlags(rawValue: 8)
        /// Update only when the new score is less.
        public static let lt = AddFlags(rawValue: 16)
    }

    /// What `add` did.
    public enum AddOutcome {
        /// A new member.
        case added
        /// An existing member got a different score.
        case updated
        /// An existing member kept its score (same score or zero increment).
        case unchanged
        /// Nothing done because of NX, XX, GT or LT.
        case skipped
        /// The score (or the incremented score) is NaN; nothing done.
        case notANumber
    }

    /// Adds `m` with `score` or updates it, under ZADD's option rules, moving
    /// to the skip-list form when the compact limits would be exceeded.
    /// Returns the outcome and the member's resulting score.
    public func add(_ m: Bytes, score: Double, flags: AddFlags = [], maxEntries: Int, maxValue: Int) -> (AddOutcome, Double) {
        if score.isNaN { return (.notANumber, score) }
        if lp != nil {
            if let off = lpFind(m) {
                if flags.contains(.nx) { return (.skipped, 0) }
                let current = lpScore(off)
                var s = score
                if flags.contains(.incr) {
                    s += current
                    if s.isNaN { return (.notANumber, s) }
                }
                if (flags.contains(.lt) && s >= current) || (flags.contains(.gt) && s <= current) { return (.skipped, 0) }
                if s != current {
                    lpRemove(at: off)
                    lpInsert(m, s)
                    return (.updated, s)
                }
                return (.unchanged, s)
            }
            if flags.contains(.xx) { return (.skipped, 0) }
            if lpCount + 1 <= maxEntries && m.count <= maxValue && lpUsed + m.count + 16 <= Self.compactSafetyLimit {
                lpInsert(m, score)
                return (.added, score)
            }
            convertToSkiplist()
        }
        let h = KeyHash.hash(m)
        if let x = hashFind(m, h) {
            if flags.contains(.nx) { return (.skipped, 0) }
            let current = ZNode.score(x)
            var s = score
            if flags.contains(.incr) {
                s += current
                if s.isNaN { return (.notANumber, s) }
            }
            if (flags.contains(.lt) && s >= current) || (flags.contains(.gt) && s <= current) { return (.skipped, 0) }
            if s != current {
                slUpdateScore(x, s)
                return (.updated, s)
            }
            return (.unchanged, s)
        }
        if flags.contains(.xx) { return (.skipped, 0) }
        slInsert(m, score, hash: h)
        return (.added, score)
    }

    /// Skip-list form: adds `m` with score `s`, or when present replaces its
    /// score by `combine(current, s)` (ZUNION's accumulator).
    func accumulate(_ m: Bytes, _ s: Double, _ combine: (Double, Double) -> Double) {
        let h = KeyHash.hash(m)
        if let x = hashFind(m, h) {
            let current = ZNode.score(x)
            let new = combine(current, s)
            if new == current {
                ZNode.setScore(x, new)
            } else {
                slUpdateScore(x, new)
            }
        } else {
            slInsert(m, s, hash: h)
        }
    }

    /// Skip-list form: adds `m`, which the caller knows is absent.
    func insertAbsent(_ m: Bytes, _ s: Double) {
        slInsert(m, s, hash: KeyHash.hash(m))
    }

    /// Removes `m`; true when it was present.
    @discardableResult
    public func remove(_ m: Bytes) -> Bool {
        if lp != nil {
            guard let off = lpFind(m) else { return false }
            lpRemove(at: off)
            return true
        }
        guard let x = hashFind(m, KeyHash.hash(m)) else { return false }
        hashRemove(x)
        slUnlink(x)
        slFreeNode(x)
        shrinkBucketsIfSparse()
        return true
    }

    /// Removes the members at 0-based ranks `start...end` (in range); returns how many.
    @discardableResult
    public func removeRange(ranks start: Int, _ end: Int) -> Int {
        let n = end - start + 1
        if n <= 0 { return 0 }
        if lp != nil {
            lpRemove(at: lpOffset(rank: start), entries: n)
            return n
        }
        let h = header!
        withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer.self, capacity: Self.maxLevel) { upd in
            var x = h
            var traversed = 0
            var i = level - 1
            while i >= 0 {
                while let f = ZNode.forward(x, i), traversed + ZNode.span(x, i) <= start {
                    traversed += ZNode.span(x, i)
                    x = f
                }
                upd[i] = x
                i -= 1
            }
            var cur = ZNode.forward(x, 0)
            for _ in 0..<n {
                guard let node = cur else { break }
                cur = ZNode.forward(node, 0)
                unlink(node, upd)
                hashRemove(node)
                slFreeNode(node)
            }
        }
        shrinkBucketsIfSparse()
        return n
    }

    // MARK: sampling and scanning

    /// A uniformly random position (the set must not be empty).
    public func randomCursor() -> Cursor {
        cursor(rank: FastRandom.below(count))
    }

    /// Offsets of every compact entry (fast repeated random picks); nil in the skip-list form.
    public func compactPositions() -> [Cursor]? {
        guard lp != nil else { return nil }
        var out: [Cursor] = []
        out.reserveCapacity(lpCount)
        var off = 0
        while off < lpUsed {
            out.append(off)
            off += 16 + lpLength(off)
        }
        return out
    }

    /// One ZSCAN step over the member hash with Redis's reverse-binary cursor
    /// (every member present for a whole scan is returned at least once, across
    /// resizes). Returns the next cursor, 0 when done. The compact form is
    /// returned whole with cursor 0, as Redis does for listpacks.
    public func scan(cursor: UInt64, _ body: (Bytes, Double) -> Void) -> UInt64 {
        if lp != nil {
            forEach(body)
            return 0
        }
        if length == 0 { return 0 }
        let mask = UInt64(bucketCount - 1)
        var n = buckets![Int(cursor & mask)]
        while let x = n {
            n = ZNode.chain(x)
            body(ZNode.member(x), ZNode.score(x))
        }
        var v = Dict.reverse(cursor | ~mask)
        v &+= 1
        return Dict.reverse(v)
    }
}

// MARK: RDB

extension ZSetValue {
    /// Writes the value as Redis 7.0 saves it: a compact set as a listpack of
    /// member / score pairs (scores as Redis's listpack text: integers when
    /// integral, else `%.17g`), a skip list as a count then member and binary
    /// double score pairs from the highest rank down.
    func writeRDB(_ w: RDBWriter) {
        if isCompact {
            var lp = ListpackEncoder()
            var text: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            forEach { m, s in
                lp.append(m)
                withUnsafeMutableBytes(of: &text) { raw in
                    let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    lp.append(Bytes(start: p, count: Numbers.formatListpackScore(s, into: p)))
                }
            }
            lp.finish().withBytes { w.string($0) }
            return
        }
        w.length(count)
        var c = last
        while c != Self.end {
            w.string(member(c))
            w.binaryDouble(score(c))
            c = previous(c)
        }
    }

    /// Reads the sorted-set encodings Redis writes (types 3 and 5: member and
    /// score pairs; 12 and 17: a ziplist or listpack of pairs), then picks the
    /// encoding Redis would. NaN scores, duplicates and empty sets are errors.
    static func rdbLoad(_ type: UInt8, _ r: inout RDBReader) throws(RDBError) -> StoredObject {
        let maxEntries = r.limits.zsetMaxListpackEntries
        let maxValue = r.limits.zsetMaxListpackValue
        switch type {
        case RDB.TypeCode.zset, RDB.TypeCode.zset2:
            let n = try r.length()
            let z = ZSetValue(compact: false)
            var longest = 0
            for _ in 0..<n {
                let m = try r.string()
                let score = type == RDB.TypeCode.zset2 ? try r.binaryDouble() : try r.asciiDouble()
                if score.isNaN { throw RDBError("Zset with NAN score detected") }
                longest = max(longest, m.count)
                let (outcome, _) = m.withBytes { z.add($0, score: score, flags: .nx, maxEntries: maxEntries, maxValue: maxValue) }
                if case .skipped = outcome { throw RDBError("Duplicate zset fields detected") }
            }
            guard z.count > 0 else { throw RDBError("Empty keys are not allowed") }
            if z.count <= maxEntries && longest <= maxValue { z.convertToCompactIfFits(maxEntries: maxEntries, maxValue: maxValue) }
            return z
        case RDB.TypeCode.zsetZiplist, RDB.TypeCode.zsetListpack:
            let blob = try r.string()
            let z = ZSetValue(compact: true)
            var failure: RDBError?
            blob.withBytes { b in
                var pending: [UInt8]?
                do throws(RDBError) {
                    let visit = { (e: CompactEncodings.Element) throws(RDBError) -> Void in
                        guard let m = pending else {
                            pending = e.array
                            return
                        }
                        pending = nil
                        let score: Double
                        switch e {
                        case .int(let v): score = Double(v)
                        case .bytes(let t):
                            // As Redis reads listpack scores: strtod over at most 127 bytes.
                            score = withUnsafeTemporaryAllocation(of: CChar.self, capacity: 128) { buf in
                                let n = min(t.count, 127)
                                for i in 0..<n { buf[i] = CChar(bitPattern: t[i]) }
                                buf[n] = 0
                                return strtod(buf.baseAddress!, nil)
                            }
                        }
                        let (outcome, _) = m.withBytes {
                            z.add($0, score: score, flags: .nx, maxEntries: Int.max, maxValue: Int.max)
                        }
                        if case .skipped = outcome { throw RDBError("Duplicate zset fields detected") }
                    }
                    if type == RDB.TypeCode.zsetListpack {
                        try CompactEncodings.listpack(b, visit)
                    } else {
                        try CompactEncodings.ziplist(b, visit)
                    }
                    if pending != nil { throw RDBError("Zset listpack with an odd number of entries") }
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
            guard z.count > 0 else { throw RDBError("Empty keys are not allowed") }
            if z.count > maxEntries { z.convertToSkiplist() }
            return z
        default:
            throw RDBError("Unknown RDB value type \(type)")
        }
    }

    /// Registers the sorted-set loaders with the RDB reader (once).
    static let rdbRegistration: Void = RDBValues.register(
        [RDB.TypeCode.zset, RDB.TypeCode.zset2, RDB.TypeCode.zsetZiplist, RDB.TypeCode.zsetListpack], rdbLoad)
}
