import CSystem
import Glibc

/// A hash table of distinct byte-string elements, each optionally carrying a
/// byte-string value: the large encoding of hashes (field → value) and sets
/// (member, empty value).
///
/// Layout: every element is one malloc block `[keyLen u32][valueLen u32][key][value]`;
/// a dense array of nodes (block, 32-bit hash, next index) holds them in
/// positions `0..<count`, and a power-of-two bucket array chains node indices
/// by `hash & mask`. So:
/// - lookups, inserts and deletes are O(1) on average (deletes move the last
///   node into the hole);
/// - a uniformly random element is one random position;
/// - `scan` walks buckets in reverse-binary order, which returns every element
///   present for a whole scan even when the table grows or shrinks between
///   calls (each call sees one table; resizes happen between calls).
///
/// Positions are stable only until the next insert or delete.
public final class ElementTable {
    struct Node {
        var block: UnsafeMutableRawPointer
        var hash: UInt32
        var next: Int32
    }

    private var nodes: UnsafeMutablePointer<Node>
    private var nodeCapacity: Int
    /// Elements held.
    public private(set) var count = 0
    private var buckets: UnsafeMutablePointer<Int32>
    private var bucketCount: Int

    static let minBuckets = 4

    /// An empty table with room for `capacity` elements before it resizes.
    public init(capacity: Int = 0) {
        let n = max(capacity, 4)
        nodes = .allocate(capacity: n)
        nodeCapacity = n
        bucketCount = Self.bucketsFor(capacity)
        buckets = .allocate(capacity: bucketCount)
        buckets.initialize(repeating: -1, count: bucketCount)
    }

    deinit {
        for i in 0..<count { free(nodes[i].block) }
        nodes.deallocate()
        buckets.deallocate()
    }

    /// The smallest power of two ≥ n (at least `minBuckets`).
    static func bucketsFor(_ n: Int) -> Int {
        var s = minBuckets
        while s < n { s <<= 1 }
        return s
    }

    @inline(__always)
    static func hash(_ key: Bytes) -> UInt32 {
        UInt32(truncatingIfNeeded: KeyHash.hash(key))
    }

    // MARK: element access

    /// The key at `position` (0..<count); valid until the table changes.
    @inline(__always)
    public func key(at position: Int) -> Bytes {
        let b = nodes[position].block
        let n = Int(b.load(as: UInt32.self))
        return Bytes(start: (b + 8).assumingMemoryBound(to: UInt8.self), count: n)
    }

    /// The value at `position`; valid until the table changes.
    @inline(__always)
    public func value(at position: Int) -> Bytes {
        let b = nodes[position].block
        let k = Int(b.load(as: UInt32.self))
        let n = Int(b.load(fromByteOffset: 4, as: UInt32.self))
        return Bytes(start: (b + 8 + k).assumingMemoryBound(to: UInt8.self), count: n)
    }

    // MARK: lookup

    /// The position of `key`, or nil.
    @inline(__always)
    public func find(_ key: Bytes) -> Int? {
        find(key, hash: Self.hash(key))
    }

    @inline(__always)
    func find(_ key: Bytes, hash: UInt32) -> Int? {
        var i = buckets[Int(hash) & (bucketCount - 1)]
        while i >= 0 {
            let node = nodes[Int(i)]
            if node.hash == hash && Self.blockKeyEquals(node.block, key) { return Int(i) }
            i = node.next
        }
        return nil
    }

    @inline(__always)
    static func blockKeyEquals(_ b: UnsafeMutableRawPointer, _ key: Bytes) -> Bool {
        let n = Int(b.load(as: UInt32.self))
        return n == key.count && (n == 0 || memcmp(b + 8, key.baseAddress!, n) == 0)
    }

    // MARK: mutation

    static func makeBlock(_ key: Bytes, _ value: Bytes) -> UnsafeMutableRawPointer {
        let b = malloc(8 + key.count + value.count)!
        b.storeBytes(of: UInt32(key.count), as: UInt32.self)
        b.storeBytes(of: UInt32(value.count), toByteOffset: 4, as: UInt32.self)
        if key.count > 0 { (b + 8).copyMemory(from: key.baseAddress!, byteCount: key.count) }
        if value.count > 0 { (b + 8 + key.count).copyMemory(from: value.baseAddress!, byteCount: value.count) }
        return b
    }

    /// Adds `key` (which must be absent) with `value`; returns its position.
    @discardableResult
    public func insertNew(_ key: Bytes, value: Bytes) -> Int {
        insertNew(key, value: value, hash: Self.hash(key))
    }

    @discardableResult
    func insertNew(_ key: Bytes, value: Bytes, hash: UInt32) -> Int {
        if count >= bucketCount { rebuildBuckets(Self.bucketsFor(count + 1)) }
        if count == nodeCapacity {
            let grown = UnsafeMutablePointer<Node>.allocate(capacity: nodeCapacity * 2)
            grown.moveInitialize(from: nodes, count: count)
            nodes.deallocate()
            nodes = grown
            nodeCapacity *= 2
        }
        let b = Int(hash) & (bucketCount - 1)
        let pos = count
        (nodes + pos).initialize(to: Node(block: Self.makeBlock(key, value), hash: hash, next: buckets[b]))
        buckets[b] = Int32(pos)
        count += 1
        return pos
    }

    /// Adds `key` when absent; true when it was added.
    @discardableResult
    public func insert(_ key: Bytes, value: Bytes = Bytes(start: nil, count: 0)) -> Bool {
        let h = Self.hash(key)
        if find(key, hash: h) != nil { return false }
        insertNew(key, value: value, hash: h)
        return true
    }

    /// Sets `key` to `value`; true when the key was new.
    @discardableResult
    public func set(_ key: Bytes, value: Bytes) -> Bool {
        let h = Self.hash(key)
        if let pos = find(key, hash: h) {
            replaceValue(at: pos, with: value)
            return false
        }
        insertNew(key, value: value, hash: h)
        return true
    }

    /// Replaces the value at `position`.
    public func replaceValue(at position: Int, with value: Bytes) {
        var b = nodes[position].block
        let k = Int(b.load(as: UInt32.self))
        let need = 8 + k + value.count
        let usable = malloc_usable_size(b)
        // Reallocate to grow, or to give back most of a block that shrank a lot.
        if need > usable || (usable > 64 && need < usable / 2) {
            b = realloc(b, need)!
            nodes[position].block = b
        }
        b.storeBytes(of: UInt32(value.count), toByteOffset: 4, as: UInt32.self)
        if value.count > 0 { (b + 8 + k).copyMemory(from: value.baseAddress!, byteCount: value.count) }
    }

    /// Removes `key`; true when it was present.
    @discardableResult
    public func remove(_ key: Bytes) -> Bool {
        guard let pos = find(key) else { return false }
        remove(at: pos)
        return true
    }

    /// Removes the element at `position`; the last element moves into it.
    public func remove(at position: Int) {
        unlink(position)
        free(nodes[position].block)
        let last = count - 1
        if position != last {
            // Point whatever linked the last node at its new position.
            let moved = nodes[last]
            let b = Int(moved.hash) & (bucketCount - 1)
            if Int(buckets[b]) == last {
                buckets[b] = Int32(position)
            } else {
                var j = Int(buckets[b])
                while Int(nodes[j].next) != last { j = Int(nodes[j].next) }
                nodes[j].next = Int32(position)
            }
            nodes[position] = moved
        }
        count -= 1
        // Like Redis, shrink once the table is under 10% full.
        if bucketCount > Self.minBuckets && count * 10 < bucketCount {
            rebuildBuckets(Self.bucketsFor(count))
        }
        if nodeCapacity > 64 && count < nodeCapacity / 4 {
            let shrunk = UnsafeMutablePointer<Node>.allocate(capacity: nodeCapacity / 2)
            shrunk.moveInitialize(from: nodes, count: count)
            nodes.deallocate()
            nodes = shrunk
            nodeCapacity /= 2
        }
    }

    private func unlink(_ position: Int) {
        let h = nodes[position].hash
        let b = Int(h) & (bucketCount - 1)
        if Int(buckets[b]) == position {
            buckets[b] = nodes[position].next
            return
        }
        var i = Int(buckets[b])
        while Int(nodes[i].next) != position { i = Int(nodes[i].next) }
        nodes[i].next = nodes[position].next
    }

    private func rebuildBuckets(_ size: Int) {
        buckets.deallocate()
        bucketCount = size
        buckets = .allocate(capacity: size)
        buckets.initialize(repeating: -1, count: size)
        let mask = size - 1
        for i in 0..<count {
            let b = Int(nodes[i].hash) & mask
            nodes[i].next = buckets[b]
            buckets[b] = Int32(i)
        }
    }

    // MARK: iteration

    /// A uniformly random position (count > 0).
    @inline(__always)
    public func randomPosition() -> Int {
        FastRandom.below(count)
    }

    /// One SCAN step: calls `body` with the position of every element in the
    /// bucket(s) at `cursor` and returns the next cursor (0 when complete).
    /// `body` must not change the table.
    public func scan(cursor: UInt64, _ body: (Int) -> Void) -> UInt64 {
        if count == 0 { return 0 }
        let m = UInt64(bucketCount - 1)
        var i = buckets[Int(cursor & m)]
        while i >= 0 {
            let next = nodes[Int(i)].next
            body(Int(i))
            i = next
        }
        var v = cursor | ~m
        v = Dict.reverse(v)
        v &+= 1
        return Dict.reverse(v)
    }

    /// An independent copy with the same elements.
    public func duplicate() -> ElementTable {
        let t = ElementTable(capacity: count)
        for i in 0..<count {
            let k = key(at: i)
            t.insertNew(k, value: value(at: i), hash: nodes[i].hash)
        }
        return t
    }

    /// Approximate heap bytes (MEMORY USAGE): the arrays, plus the element
    /// blocks estimated from up to 32 evenly spaced samples.
    public var memoryUsage: Int {
        let arrays = nodeCapacity * MemoryLayout<Node>.stride + bucketCount * 4
        if count == 0 { return arrays }
        let samples = min(count, 32)
        var sampled = 0
        for k in 0..<samples { sampled += malloc_usable_size(nodes[k * count / samples].block) }
        return arrays + sampled * count / samples
    }
}
