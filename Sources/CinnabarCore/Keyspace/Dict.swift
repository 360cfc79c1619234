import CSystem
import Glibc
import Synchronization

/// Cheap thread-safe pseudo-random numbers (splitmix64 over an atomic counter),
/// for sampling; not for anything security-related.
public enum FastRandom {
    private static let state = Atomic<UInt64>(UInt64(truncatingIfNeeded: Sys.monotonicNanos()) ^ 0x9E37_79B9_7F4A_7C15)

    @inline(__always)
    public static func next() -> UInt64 {
        var z = state.wrappingAdd(0x9E37_79B9_7F4A_7C15, ordering: .relaxed).newValue
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<n` (n > 0).
    @inline(__always)
    public static func below(_ n: Int) -> Int {
        Int(next() % UInt64(n))
    }
}

/// A chained hash table of entries, keyed by the entry's key bytes, growing
/// and shrinking by incremental rehashing (a bucket or so per operation) so no
/// single command pays for a whole resize. Iteration order supports Redis's
/// reverse-binary SCAN cursor, which visits every element present for the
/// whole scan even across resizes.
///
/// Contract: callers hold the owning shard's lock; hashes come from `KeyHash`.
public final class Dict {
    typealias Slot = UnsafeMutableRawPointer?

    struct Table {
        var buckets: UnsafeMutablePointer<Slot>? = nil
        var size = 0
        var used = 0
        @inline(__always) var mask: Int { size - 1 }
    }

    var t0 = Table()
    var t1 = Table()
    var rehashIndex = -1
    /// Entries that have an expiry, for active-expiry sampling.
    public let volatile = PointerSet()

    public init() {}

    deinit { clear() }

    /// Number of keys.
    @inline(__always) public var count: Int { t0.used + t1.used }
    @inline(__always) var isRehashing: Bool { rehashIndex >= 0 }

    /// Bytes used by bucket arrays.
    public var overheadBytes: Int { (t0.size + t1.size) * 8 + volatile.capacity * 8 }

    // MARK: lookup

    @inline(__always)
    static func keyMatches(_ e: UnsafeMutableRawPointer, _ key: Bytes) -> Bool {
        let len = Int(e.load(fromByteOffset: 16, as: UInt32.self))
        guard len == key.count else { return false }
        return len == 0 || memcmp(e + 32, key.baseAddress!, len) == 0
    }

    /// The entry for `key`, if present.
    @inline(__always)
    public func find(_ key: Bytes, hash: UInt64) -> Entry? {
        if count == 0 { return nil }
        if isRehashing { rehashStep() }
        var idx = Int(truncatingIfNeeded: hash) & t0.mask
        var e = t0.buckets![idx]
        while let cur = e {
            if Self.keyMatches(cur, key) { return Entry(cur) }
            e = cur.load(as: Slot.self)
        }
        if isRehashing {
            idx = Int(truncatingIfNeeded: hash) & t1.mask
            e = t1.buckets![idx]
            while let cur = e {
                if Self.keyMatches(cur, key) { return Entry(cur) }
                e = cur.load(as: Slot.self)
            }
        }
        return nil
    }

    /// The link (bucket slot or previous entry's `next`) pointing at `key`'s
    /// entry, and which table holds it. Valid until the next mutation.
    private func findLink(_ key: Bytes, hash: UInt64) -> (UnsafeMutablePointer<Slot>, Int)? {
        if count == 0 { return nil }
        for t in 0...1 {
            if t == 1 && !isRehashing { break }
            let table = t == 0 ? t0 : t1
            var link = table.buckets! + (Int(truncatingIfNeeded: hash) & table.mask)
            while let cur = link.pointee {
                if Self.keyMatches(cur, key) { return (link, t) }
                link = cur.assumingMemoryBound(to: Slot.self)
            }
        }
        return nil
    }

    // MARK: mutation

    /// Links a new entry whose key is known to be absent.
    public func insert(_ entry: Entry, hash: UInt64) {
        if isRehashing { rehashStep() }
        expandIfNeeded()
        if isRehashing {
            let idx = Int(truncatingIfNeeded: hash) & t1.mask
            entry.next = t1.buckets![idx]
            t1.buckets![idx] = entry.raw
            t1.used += 1
        } else {
            let idx = Int(truncatingIfNeeded: hash) & t0.mask
            entry.next = t0.buckets![idx]
            t0.buckets![idx] = entry.raw
            t0.used += 1
        }
        if entry.expireAt != 0 { volatile.insert(entry.raw) }
    }

    /// Unlinks `key`'s entry and returns it (not freed).
    @discardableResult
    public func remove(_ key: Bytes, hash: UInt64) -> Entry? {
        if isRehashing { rehashStep() }
        guard let (link, t) = findLink(key, hash: hash) else { return nil }
        let e = Entry(link.pointee!)
        link.pointee = e.next
        if t == 0 { t0.used -= 1 } else { t1.used -= 1 }
        if e.expireAt != 0 { volatile.remove(e.raw) }
        return e
    }

    /// Puts `new` where `old` (same key) was linked; `old` is not freed.
    public func replace(_ old: Entry, with new: Entry, hash: UInt64) {
        guard let (link, _) = findLink(old.key, hash: hash), link.pointee == old.raw else {
            preconditionFailure("replace of an entry that is not linked")
        }
        new.next = old.next
        link.pointee = new.raw
        if old.expireAt != 0 { volatile.remove(old.raw) }
        if new.expireAt != 0 { volatile.insert(new.raw) }
    }

    /// Moves `entry` to an allocation of `size` bytes (contents kept), relinking
    /// it in place. Returns the moved entry.
    public func reallocate(_ entry: Entry, key: Bytes, hash: UInt64, size: Int) -> Entry {
        guard let (link, _) = findLink(key, hash: hash), link.pointee == entry.raw else {
            preconditionFailure("reallocate of an entry that is not linked")
        }
        let hadExpiry = entry.expireAt != 0
        if hadExpiry { volatile.remove(entry.raw) }
        let raw = realloc(entry.raw, size)!
        link.pointee = raw
        if hadExpiry { volatile.insert(raw) }
        return Entry(raw)
    }

    /// Updates expiry bookkeeping after `entry.expireAt` changed from `previous`.
    public func expiryChanged(_ entry: Entry, previous: Int64) {
        if previous == 0 && entry.expireAt != 0 { volatile.insert(entry.raw) }
        if previous != 0 && entry.expireAt == 0 { volatile.remove(entry.raw) }
    }

    /// Frees every entry.
    public func clear() {
        for t in [t0, t1] where t.size > 0 {
            for i in 0..<t.size {
                var e = t.buckets![i]
                while let cur = e {
                    e = cur.load(as: Slot.self)
                    Entry(cur).free()
                }
            }
            t.buckets!.deallocate()
        }
        t0 = Table()
        t1 = Table()
        rehashIndex = -1
        volatile.removeAll()
    }

    /// Moves all entries out to a new dictionary (FLUSHDB ASYNC, SWAPDB helpers).
    public func takeAll() -> Dict {
        let d = Dict()
        swap(&d.t0, &t0)
        swap(&d.t1, &t1)
        swap(&d.rehashIndex, &rehashIndex)
        d.volatile.swapContents(with: volatile)
        return d
    }

    // MARK: resizing

    private func expandIfNeeded() {
        if isRehashing { return }
        if t0.size == 0 {
            t0 = Self.makeTable(4)
            return
        }
        if t0.used >= t0.size {
            startRehash(to: Self.nextPower(t0.used * 2))
        }
    }

    /// Starts shrinking when the table is under 10% full (call from a periodic task).
    public func shrinkIfNeeded() {
        if isRehashing || t0.size <= 4 { return }
        if t0.used * 100 / t0.size < 10 {
            startRehash(to: Self.nextPower(max(t0.used, 4)))
        }
    }

    private func startRehash(to size: Int) {
        if size == t0.size { return }
        t1 = Self.makeTable(size)
        rehashIndex = 0
    }

    static func nextPower(_ n: Int) -> Int {
        var s = 4
        while s < n { s <<= 1 }
        return s
    }

    static func makeTable(_ size: Int) -> Table {
        let b = UnsafeMutablePointer<Slot>.allocate(capacity: size)
        b.initialize(repeating: nil, count: size)
        return Table(buckets: b, size: size, used: 0)
    }

    /// Moves one bucket (visiting at most 10 empty ones) from the old table.
    @inline(__always)
    func rehashStep() { rehash(buckets: 1) }

    /// Moves up to `n` non-empty buckets; returns whether rehashing continues.
    @discardableResult
    public func rehash(buckets n: Int) -> Bool {
        guard isRehashing else { return false }
        var remaining = n
        var emptyVisits = n * 10
        while remaining > 0 && t0.used > 0 {
            while t0.buckets![rehashIndex] == nil {
                rehashIndex += 1
                emptyVisits -= 1
                if emptyVisits == 0 { return true }
            }
            var e = t0.buckets![rehashIndex]
            while let cur = e {
                let next = cur.load(as: Slot.self)
                let entry = Entry(cur)
                let h = KeyHash.hash(entry.key)
                let idx = Int(truncatingIfNeeded: h) & t1.mask
                entry.next = t1.buckets![idx]
                t1.buckets![idx] = cur
                t0.used -= 1
                t1.used += 1
                e = next
            }
            t0.buckets![rehashIndex] = nil
            rehashIndex += 1
            remaining -= 1
        }
        if t0.used == 0 {
            t0.buckets?.deallocate()
            t0 = t1
            t1 = Table()
            rehashIndex = -1
            return false
        }
        return true
    }

    // MARK: iteration

    /// Calls `body` for every entry; `body` must not mutate the dictionary.
    /// Returning false stops early.
    public func forEach(_ body: (Entry) -> Bool) {
        for t in [t0, t1] where t.size > 0 {
            for i in 0..<t.size {
                var e = t.buckets![i]
                while let cur = e {
                    e = cur.load(as: Slot.self)
                    if !body(Entry(cur)) { return }
                }
            }
        }
    }

    @inline(__always)
    static func reverse(_ v: UInt64) -> UInt64 {
        var x = v
        x = ((x >> 1) & 0x5555_5555_5555_5555) | ((x & 0x5555_5555_5555_5555) << 1)
        x = ((x >> 2) & 0x3333_3333_3333_3333) | ((x & 0x3333_3333_3333_3333) << 2)
        x = ((x >> 4) & 0x0F0F_0F0F_0F0F_0F0F) | ((x & 0x0F0F_0F0F_0F0F_0F0F) << 4)
        return x.byteSwapped
    }

    /// One SCAN step: calls `body` for the entries of the bucket(s) at
    /// `cursor` and returns the next cursor (0 when the scan is complete).
    /// `body` must not mutate the dictionary.
    public func scan(cursor: UInt64, _ body: (Entry) -> Void) -> UInt64 {
        if count == 0 { return 0 }
        var v = cursor
        func emit(_ t: Table, _ idx: Int) {
            var e = t.buckets![idx]
            while let cur = e {
                e = cur.load(as: Slot.self)
                body(Entry(cur))
            }
        }
        if !isRehashing {
            let m0 = UInt64(t0.mask)
            emit(t0, Int(v & m0))
            v |= ~m0
            v = Self.reverse(v)
            v &+= 1
            v = Self.reverse(v)
        } else {
            var small = t0, large = t1
            if small.size > large.size { swap(&small, &large) }
            let m0 = UInt64(small.mask), m1 = UInt64(large.mask)
            emit(small, Int(v & m0))
            repeat {
                emit(large, Int(v & m1))
                v |= ~m1
                v = Self.reverse(v)
                v &+= 1
                v = Self.reverse(v)
            } while v & (m0 ^ m1) != 0
        }
        return v
    }

    /// A uniformly chosen bucket's random entry (RANDOMKEY), nil when empty.
    public func randomEntry() -> Entry? {
        if count == 0 { return nil }
        if isRehashing { rehashStep() }
        var head: Slot = nil
        if isRehashing {
            repeat {
                let span = t0.size + t1.size - rehashIndex
                let h = rehashIndex + FastRandom.below(span)
                head = h >= t0.size ? t1.buckets![h - t0.size] : t0.buckets![h]
            } while head == nil
        } else {
            repeat {
                head = t0.buckets![FastRandom.below(t0.size)]
            } while head == nil
        }
        var n = 0
        var e = head
        while let cur = e { n += 1; e = cur.load(as: Slot.self) }
        var pick = FastRandom.below(n)
        e = head
        while pick > 0 { e = e!.load(as: Slot.self); pick -= 1 }
        return Entry(e!)
    }
}

/// An open-addressing set of raw pointers (linear probing, backward-shift
/// deletion) that can hand out random members.
public final class PointerSet {
    private var slots: UnsafeMutablePointer<UInt>
    public private(set) var capacity: Int
    public private(set) var count = 0

    public init() {
        capacity = 0
        slots = .allocate(capacity: 1)
    }

    deinit { slots.deallocate() }

    @inline(__always)
    private func home(_ p: UInt) -> Int {
        Int(truncatingIfNeeded: (UInt64(p) &* 0x9E37_79B9_7F4A_7C15) >> 20) & (capacity - 1)
    }

    public func insert(_ raw: UnsafeMutableRawPointer) {
        if (count + 1) * 2 > capacity { resize(max(16, capacity * 2)) }
        let p = UInt(bitPattern: raw)
        var i = home(p)
        while slots[i] != 0 {
            if slots[i] == p { return }
            i = (i + 1) & (capacity - 1)
        }
        slots[i] = p
        count += 1
    }

    public func remove(_ raw: UnsafeMutableRawPointer) {
        guard capacity > 0 else { return }
        let p = UInt(bitPattern: raw)
        var i = home(p)
        while slots[i] != p {
            if slots[i] == 0 { return }
            i = (i + 1) & (capacity - 1)
        }
        slots[i] = 0
        count -= 1
        var j = i
        while true {
            j = (j + 1) & (capacity - 1)
            let q = slots[j]
            if q == 0 { break }
            let h = home(q)
            let between = i <= j ? (h > i && h <= j) : (h > i || h <= j)
            if !between {
                slots[i] = q
                slots[j] = 0
                i = j
            }
        }
        if capacity > 64 && count * 8 < capacity { resize(capacity / 2) }
    }

    /// A random member, or nil when empty.
    public func random() -> UnsafeMutableRawPointer? {
        if count == 0 { return nil }
        var i = FastRandom.below(capacity)
        while slots[i] == 0 { i = (i + 1) & (capacity - 1) }
        return UnsafeMutableRawPointer(bitPattern: slots[i])
    }

    public func removeAll() {
        slots.deallocate()
        slots = .allocate(capacity: 1)
        capacity = 0
        count = 0
    }

    func swapContents(with other: PointerSet) {
        swap(&slots, &other.slots)
        swap(&capacity, &other.capacity)
        swap(&count, &other.count)
    }

    private func resize(_ newCap: Int) {
        let old = slots, oldCap = capacity
        slots = .allocate(capacity: newCap)
        slots.initialize(repeating: 0, count: newCap)
        capacity = newCap
        count = 0
        for i in 0..<oldCap where old[i] != 0 {
            insert(UnsafeMutableRawPointer(bitPattern: old[i])!)
        }
        old.deallocate()
    }
}
