import CSystem
import Glibc

/// A list value: elements packed back to back into malloc'd chunks, the
/// chunks held in a ring so both ends grow and shrink in O(1).
///
/// Each chunk is one allocation: a 32-byte header (data capacity, first and
/// end offsets of the used region, element count) followed by the data area.
/// The used region floats inside the data area so pushes at either end write
/// into the free space on that side. An element is its bytes framed by its
/// length on both sides, so the chunk can be walked in both directions:
/// one byte each side below 128 bytes, otherwise a 0x80 marker and a 64-bit
/// length (marker outermost). Chunks hold at most the bytes or entries that
/// `list-max-listpack-size` allows when the list is created, like Redis's
/// quicklist nodes; an element larger than a chunk gets a chunk of its own.
///
/// Redis 7.0 always reports such a list as `quicklist` (its listpack-encoded
/// lists came with 7.2). Not thread-safe: used under the key's shard lock.
/// Element views (`Bytes`) stay valid only until the list is next modified.
public final class ListValue: StoredObject {
    /// Bytes of a chunk header.
    static let headerSize = 32

    private var ring: UnsafeMutablePointer<UnsafeMutableRawPointer>?
    private var ringCapacity = 0
    private var ringHead = 0
    /// Chunks in use.
    public private(set) var chunkCount = 0
    /// Elements held.
    public private(set) var count = 0
    /// Limits on what a chunk takes besides an oversized single element.
    let maxChunkBytes: Int
    let maxChunkEntries: Int

    /// An empty list whose chunks follow `list-max-listpack-size` = `fill`:
    /// negative values -1...-5 cap chunk bytes at 4, 8, 16, 32 or 64 KiB,
    /// positive values cap entries (and bytes at 8 KiB), as Redis's quicklist.
    public init(fill: Int) {
        if fill < 0 {
            let level = min(-fill, 5)
            maxChunkBytes = 4096 << (level - 1)
            maxChunkEntries = Int.max
        } else {
            maxChunkBytes = 8192
            maxChunkEntries = max(1, min(fill, 32767))
        }
        super.init()
    }

    private init(copying other: ListValue) {
        maxChunkBytes = other.maxChunkBytes
        maxChunkEntries = other.maxChunkEntries
        super.init()
        if other.chunkCount == 0 { return }
        reserveRing(other.chunkCount)
        for i in 0..<other.chunkCount {
            let src = other.chunk(i)
            let c = Chunk.allocate(capacity: src.used)
            if src.used > 0 { c.data.update(from: src.data + src.start, count: src.used) }
            c.start = 0
            c.end = src.used
            c.count = src.count
            ring![i] = c.raw
        }
        chunkCount = other.chunkCount
        count = other.count
    }

    deinit {
        for i in 0..<chunkCount { chunk(i).free() }
        ring?.deallocate()
    }

    public override var valueType: ValueType { .list }
    public override func duplicate() -> StoredObject { ListValue(copying: self) }
    public override var encodingName: String { "quicklist" }
    public override var elementCount: Int { count }

    /// Saved as Redis 7.0 saves lists: a quicklist of listpack nodes.
    public override var rdbType: UInt8 { RDB.TypeCode.listQuicklist2 }
    public override func rdbWrite(_ w: RDBWriter) { writeQuicklist(w) }

    public override var memoryUsage: Int {
        var total = 48 + ringCapacity * 8
        for i in 0..<chunkCount { total += malloc_usable_size(chunk(i).raw) }
        return total
    }

    // MARK: chunks

    /// A view of one chunk allocation.
    struct Chunk {
        let raw: UnsafeMutableRawPointer

        @inline(__always) init(_ raw: UnsafeMutableRawPointer) { self.raw = raw }

        /// Bytes of data area.
        @inline(__always) var capacity: Int {
            get { raw.load(as: Int.self) }
            nonmutating set { raw.storeBytes(of: newValue, as: Int.self) }
        }
        /// Offset of the first used byte.
        @inline(__always) var start: Int {
            get { raw.load(fromByteOffset: 8, as: Int.self) }
            nonmutating set { raw.storeBytes(of: newValue, toByteOffset: 8, as: Int.self) }
        }
        /// Offset past the last used byte.
        @inline(__always) var end: Int {
            get { raw.load(fromByteOffset: 16, as: Int.self) }
            nonmutating set { raw.storeBytes(of: newValue, toByteOffset: 16, as: Int.self) }
        }
        @inline(__always) var count: Int {
            get { raw.load(fromByteOffset: 24, as: Int.self) }
            nonmutating set { raw.storeBytes(of: newValue, toByteOffset: 24, as: Int.self) }
        }
        @inline(__always) var data: UnsafeMutablePointer<UInt8> {
            (raw + ListValue.headerSize).assumingMemoryBound(to: UInt8.self)
        }
        @inline(__always) var used: Int { end - start }

        static func allocate(capacity: Int) -> Chunk {
            let c = Chunk(malloc(ListValue.headerSize + max(capacity, 1))!)
            c.capacity = capacity
            c.start = 0
            c.end = 0
            c.count = 0
            return c
        }

        func free() { Glibc.free(raw) }

        /// The element starting at `offset`: its bytes and the offset of the next one.
        @inline(__always) func element(at offset: Int) -> (Bytes, next: Int) {
            let d = data
            let b = d[offset]
            if b < 128 {
                let n = Int(b)
                return (Bytes(start: d + offset + 1, count: n), offset + n + 2)
            }
            let n = Int(UnsafeRawPointer(d + offset + 1).loadUnaligned(as: UInt64.self))
            return (Bytes(start: d + offset + 9, count: n), offset + n + 18)
        }

        /// The element ending at `offset`: its bytes and the offset where it starts.
        @inline(__always) func element(endingAt offset: Int) -> (Bytes, start: Int) {
            let d = data
            let b = d[offset - 1]
            if b < 128 {
                let n = Int(b)
                return (Bytes(start: d + offset - 1 - n, count: n), offset - n - 2)
            }
            let n = Int(UnsafeRawPointer(d + offset - 9).loadUnaligned(as: UInt64.self))
            return (Bytes(start: d + offset - 9 - n, count: n), offset - n - 18)
        }
    }

    /// Bytes an element of `n` bytes takes in a chunk.
    @inline(__always) static func encodedSize(_ n: Int) -> Int { n < 128 ? n + 2 : n + 18 }

    /// Writes `v` framed at `dst`.
    @inline(__always) static func write(_ v: Bytes, to dst: UnsafeMutablePointer<UInt8>) {
        let n = v.count
        if n < 128 {
            dst[0] = UInt8(n)
            if n > 0 { (dst + 1).update(from: v.baseAddress!, count: n) }
            dst[n + 1] = UInt8(n)
        } else {
            dst[0] = 0x80
            UnsafeMutableRawPointer(dst + 1).storeBytes(of: UInt64(n), as: UInt64.self)
            (dst + 9).update(from: v.baseAddress!, count: n)
            UnsafeMutableRawPointer(dst + 9 + n).storeBytes(of: UInt64(n), as: UInt64.self)
            dst[n + 17] = 0x80
        }
    }

    @inline(__always) func chunk(_ i: Int) -> Chunk {
        Chunk(ring![(ringHead + i) & (ringCapacity - 1)])
    }

    @inline(__always) private func setChunk(_ i: Int, _ c: Chunk) {
        ring![(ringHead + i) & (ringCapacity - 1)] = c.raw
    }

    /// Makes the ring hold at least `n` chunks, unwrapping it to start at 0.
    private func reserveRing(_ n: Int) {
        if n <= ringCapacity { return }
        var cap = max(ringCapacity, 2)
        while cap < n { cap <<= 1 }
        let fresh = UnsafeMutablePointer<UnsafeMutableRawPointer>.allocate(capacity: cap)
        for i in 0..<chunkCount { fresh[i] = chunk(i).raw }
        ring?.deallocate()
        ring = fresh
        ringCapacity = cap
        ringHead = 0
    }

    private func insertChunk(_ c: Chunk, at i: Int) {
        reserveRing(chunkCount + 1)
        if i == 0 {
            ringHead = (ringHead - 1) & (ringCapacity - 1)
            chunkCount += 1
            setChunk(0, c)
            return
        }
        chunkCount += 1
        var j = chunkCount - 1
        while j > i {
            setChunk(j, chunk(j - 1))
            j -= 1
        }
        setChunk(i, c)
    }

    private func removeChunk(at i: Int) {
        chunk(i).free()
        if i == 0 {
            ringHead = (ringHead + 1) & (ringCapacity - 1)
            chunkCount -= 1
            return
        }
        for j in i..<(chunkCount - 1) { setChunk(j, chunk(j + 1)) }
        chunkCount -= 1
    }

    /// True when a chunk may take one more element of encoded size `need`.
    @inline(__always) private func accepts(_ c: Chunk, _ need: Int) -> Bool {
        c.count < maxChunkEntries && c.used + need <= maxChunkBytes
    }

    /// A chunk for the first element of encoded size `need` pushed at one end:
    /// small for a list's first chunk, full-sized once the list spans chunks.
    private func freshChunk(_ need: Int) -> Chunk {
        let cap = need > maxChunkBytes ? need : (chunkCount == 0 ? max(need, 48) : maxChunkBytes)
        return Chunk.allocate(capacity: cap)
    }

    /// Moves or grows chunk `i` so that `need` bytes are free before (front)
    /// or after its used region; the side that asked gets most of the free space.
    private func makeRoom(_ i: Int, _ need: Int, front: Bool) {
        var c = chunk(i)
        let used = c.used
        var cap = c.capacity
        // Grow while below the chunk limit when little would be left after
        // this push, so pushes alternating between ends do not keep moving data.
        if cap - used < need || (cap - used < 2 * need + 16 && cap < maxChunkBytes) {
            cap = min(max(cap * 2, used + need), max(maxChunkBytes, used + need))
            if cap != c.capacity {
                c = Chunk(realloc(c.raw, ListValue.headerSize + cap)!)
                c.capacity = cap
                setChunk(i, c)
            }
        }
        let free = cap - used
        let room = max(need, free - free / 4)
        let newStart = front ? room : free - room
        if newStart != c.start {
            memmove(c.data + newStart, c.data + c.start, used)
            c.start = newStart
            c.end = newStart + used
        }
    }

    // MARK: ends

    /// Adds `v` before the first element.
    public func pushFront(_ v: Bytes) {
        let need = Self.encodedSize(v.count)
        if chunkCount > 0, accepts(chunk(0), need) {
            var c = chunk(0)
            if c.start < need {
                makeRoom(0, need, front: true)
                c = chunk(0)
            }
            c.start -= need
            Self.write(v, to: c.data + c.start)
            c.count += 1
        } else {
            let c = freshChunk(need)
            c.start = c.capacity - need
            c.end = c.capacity
            Self.write(v, to: c.data + c.start)
            c.count = 1
            insertChunk(c, at: 0)
        }
        count += 1
    }

    /// Adds `v` after the last element.
    public func pushBack(_ v: Bytes) {
        let need = Self.encodedSize(v.count)
        if chunkCount > 0, accepts(chunk(chunkCount - 1), need) {
            let last = chunkCount - 1
            var c = chunk(last)
            if c.capacity - c.end < need {
                makeRoom(last, need, front: false)
                c = chunk(last)
            }
            Self.write(v, to: c.data + c.end)
            c.end += need
            c.count += 1
        } else {
            let c = freshChunk(need)
            Self.write(v, to: c.data)
            c.end = need
            c.count = 1
            insertChunk(c, at: chunkCount)
        }
        count += 1
    }

    /// Pushes at the head (`front`) or the tail.
    @inline(__always)
    public func push(_ v: Bytes, front: Bool) {
        if front { pushFront(v) } else { pushBack(v) }
    }

    /// The first or last element (the list must not be empty).
    public func peek(front: Bool) -> Bytes {
        if front {
            let c = chunk(0)
            return c.element(at: c.start).0
        }
        let c = chunk(chunkCount - 1)
        return c.element(endingAt: c.end).0
    }

    /// Removes the first or last element after handing it to `body`.
    public func pop<R>(front: Bool, _ body: (Bytes) -> R) -> R {
        let i = front ? 0 : chunkCount - 1
        let c = chunk(i)
        let result: R
        if front {
            let (v, next) = c.element(at: c.start)
            result = body(v)
            c.start = next
        } else {
            let (v, start) = c.element(endingAt: c.end)
            result = body(v)
            c.end = start
        }
        c.count -= 1
        count -= 1
        if c.count == 0 { removeChunk(at: i) }
        return result
    }

    /// Removes the first or last element and returns a copy of it.
    public func popCopy(front: Bool) -> [UInt8] {
        pop(front: front) { Array($0) }
    }

    /// Drops `n` elements from the head (`front`) or the tail.
    public func remove(_ n: Int, front: Bool) {
        var left = min(n, count)
        count -= left
        while left > 0 {
            let i = front ? 0 : chunkCount - 1
            let c = chunk(i)
            if c.count <= left {
                left -= c.count
                removeChunk(at: i)
                continue
            }
            if front {
                var off = c.start
                for _ in 0..<left { off = c.element(at: off).next }
                c.start = off
            } else {
                var off = c.end
                for _ in 0..<left { off = c.element(endingAt: off).start }
                c.end = off
            }
            c.count -= left
            left = 0
        }
    }

    // MARK: positions

    /// Where one element lives: its chunk and the offset it starts at.
    public struct Position {
        var chunk: Int
        var offset: Int
    }

    /// The position of element `index` (0-based from the head, in range),
    /// walking from whichever end is nearer.
    public func position(of index: Int) -> Position {
        if index < count / 2 {
            var left = index
            var i = 0
            while chunk(i).count <= left {
                left -= chunk(i).count
                i += 1
            }
            let c = chunk(i)
            var off = c.start
            if left <= c.count / 2 {
                for _ in 0..<left { off = c.element(at: off).next }
            } else {
                off = c.end
                for _ in 0..<(c.count - left) { off = c.element(endingAt: off).start }
            }
            return Position(chunk: i, offset: off)
        }
        var right = count - 1 - index
        var i = chunkCount - 1
        while chunk(i).count <= right {
            right -= chunk(i).count
            i -= 1
        }
        let c = chunk(i)
        var off = c.end
        if right < c.count / 2 {
            for _ in 0...right { off = c.element(endingAt: off).start }
        } else {
            off = c.start
            for _ in 0..<(c.count - 1 - right) { off = c.element(at: off).next }
        }
        return Position(chunk: i, offset: off)
    }

    /// The element at `p`.
    @inline(__always)
    public func element(at p: Position) -> Bytes {
        chunk(p.chunk).element(at: p.offset).0
    }

    /// The position after `p`, nil past the tail.
    @inline(__always)
    public func after(_ p: Position) -> Position? {
        let c = chunk(p.chunk)
        let next = c.element(at: p.offset).next
        if next < c.end { return Position(chunk: p.chunk, offset: next) }
        if p.chunk + 1 < chunkCount { return Position(chunk: p.chunk + 1, offset: chunk(p.chunk + 1).start) }
        return nil
    }

    /// The position before `p`, nil before the head.
    @inline(__always)
    public func before(_ p: Position) -> Position? {
        let c = chunk(p.chunk)
        if p.offset > c.start { return Position(chunk: p.chunk, offset: c.element(endingAt: p.offset).start) }
        if p.chunk > 0 {
            let prev = chunk(p.chunk - 1)
            return Position(chunk: p.chunk - 1, offset: prev.element(endingAt: prev.end).start)
        }
        return nil
    }

    /// Element `index` (negative counts from the tail), nil out of range.
    public func element(at index: Int) -> Bytes? {
        let i = index < 0 ? count + index : index
        guard i >= 0 && i < count else { return nil }
        return element(at: position(of: i))
    }

    /// Calls `body` with `n` elements from `start` (in range) towards the tail,
    /// or towards the head when `reverse`.
    public func forEach(from start: Int, count n: Int, reverse: Bool = false, _ body: (Bytes) -> Void) {
        if n <= 0 { return }
        var p = position(of: start)
        for k in 0..<n {
            body(element(at: p))
            if k + 1 < n { p = (reverse ? before(p) : after(p))! }
        }
    }

    /// Visits elements from the head (or the tail when `reverse`) with their
    /// index from the head, until `body` returns false.
    public func scan(reverse: Bool, _ body: (Bytes, Int) -> Bool) {
        if reverse {
            var index = count - 1
            var i = chunkCount - 1
            while i >= 0 {
                let c = chunk(i)
                var off = c.end
                while off > c.start {
                    let (v, s) = c.element(endingAt: off)
                    if !body(v, index) { return }
                    index -= 1
                    off = s
                }
                i -= 1
            }
        } else {
            var index = 0
            for i in 0..<chunkCount {
                let c = chunk(i)
                var off = c.start
                while off < c.end {
                    let (v, next) = c.element(at: off)
                    if !body(v, index) { return }
                    index += 1
                    off = next
                }
            }
        }
    }

    // MARK: edits inside the list

    /// Packs elements into chunks within the list's limits.
    private struct ChunkBuilder {
        let maxBytes: Int
        let maxEntries: Int
        var chunks: [Chunk] = []

        mutating func append(_ v: Bytes) {
            let need = ListValue.encodedSize(v.count)
            var c: Chunk
            if let last = chunks.last, last.count < maxEntries, last.used + need <= maxBytes {
                c = last
                if c.capacity - c.end < need {
                    let cap = min(max(c.capacity * 2, c.end + need), maxBytes)
                    c = Chunk(realloc(c.raw, ListValue.headerSize + cap)!)
                    c.capacity = cap
                    chunks[chunks.count - 1] = c
                }
            } else {
                c = Chunk.allocate(capacity: need > maxBytes ? need : max(need, min(maxBytes, 256)))
                chunks.append(c)
            }
            ListValue.write(v, to: c.data + c.end)
            c.end += need
            c.count += 1
        }
    }

    /// Replaces chunk `i` by the chunks `produce` fills (none removes it).
    /// `delta` is the change in element count.
    private func rebuildChunk(_ i: Int, delta: Int, _ produce: (Chunk, inout ChunkBuilder) -> Void) {
        var builder = ChunkBuilder(maxBytes: maxChunkBytes, maxEntries: maxChunkEntries)
        produce(chunk(i), &builder)
        removeChunk(at: i)
        for (k, c) in builder.chunks.enumerated() { insertChunk(c, at: i + k) }
        count += delta
    }

    /// Replaces the element at `p` with `v`.
    public func replace(at p: Position, with v: Bytes) {
        let c = chunk(p.chunk)
        let old = c.element(at: p.offset).0
        if Self.encodedSize(old.count) == Self.encodedSize(v.count) {
            Self.write(v, to: c.data + p.offset)
            return
        }
        rebuildChunk(p.chunk, delta: 0) { c, b in
            var off = c.start
            while off < c.end {
                let (e, n) = c.element(at: off)
                b.append(off == p.offset ? v : e)
                off = n
            }
        }
    }

    /// Inserts `v` before (or after) the element at `p`.
    public func insert(_ v: Bytes, at p: Position, after: Bool) {
        rebuildChunk(p.chunk, delta: 1) { c, b in
            var off = c.start
            while off < c.end {
                let (e, n) = c.element(at: off)
                if off == p.offset && !after { b.append(v) }
                b.append(e)
                if off == p.offset && after { b.append(v) }
                off = n
            }
        }
    }

    /// Removes up to `limit` (0 = all) elements equal to `v`, scanning from the
    /// head or from the tail; returns how many were removed.
    public func removeAll(equalTo v: Bytes, limit: Int, fromTail: Bool) -> Int {
        var removed = 0
        var i = fromTail ? chunkCount - 1 : 0
        while i >= 0 && i < chunkCount && (limit == 0 || removed < limit) {
            let c = chunk(i)
            // Which elements of this chunk go, in walking order.
            var doomed: [Int] = []
            if fromTail {
                var off = c.end
                while off > c.start && (limit == 0 || removed + doomed.count < limit) {
                    let (e, s) = c.element(endingAt: off)
                    if e.equals(v) { doomed.append(s) }
                    off = s
                }
            } else {
                var off = c.start
                while off < c.end && (limit == 0 || removed + doomed.count < limit) {
                    let (e, n) = c.element(at: off)
                    if e.equals(v) { doomed.append(off) }
                    off = n
                }
            }
            if doomed.isEmpty {
                i += fromTail ? -1 : 1
                continue
            }
            removed += doomed.count
            let survivors = c.count - doomed.count
            if fromTail { doomed.reverse() }
            rebuildChunk(i, delta: -doomed.count) { c, b in
                var off = c.start
                var next = 0
                while off < c.end {
                    let (e, n) = c.element(at: off)
                    if next < doomed.count && doomed[next] == off {
                        next += 1
                    } else {
                        b.append(e)
                    }
                    off = n
                }
            }
            if fromTail {
                i -= 1
            } else if survivors > 0 {
                i += 1
            }
        }
        return removed
    }
}

// MARK: RDB

extension ListValue {
    /// Elements at least this large are saved as a node of their own outside
    /// any listpack, as Redis's quicklist does above its 1 GiB packed threshold.
    static let plainNodeThreshold = 1 << 30

    /// Writes the value as a quicklist of listpack nodes, one per chunk.
    func writeQuicklist(_ w: RDBWriter) {
        w.length(chunkCount)
        for i in 0..<chunkCount {
            let c = chunk(i)
            if c.count == 1, case let (v, _) = c.element(at: c.start), v.count >= Self.plainNodeThreshold {
                w.length(1)
                w.string(v)
                continue
            }
            var lp = ListpackEncoder()
            var off = c.start
            while off < c.end {
                let (v, next) = c.element(at: off)
                lp.append(v)
                off = next
            }
            w.length(2)
            lp.finish().withBytes { w.string($0) }
        }
    }

    /// Reads the list encodings Redis writes (plain, ziplist, quicklist of
    /// ziplists, quicklist of listpacks); loaded lists use the default chunk
    /// size, as the reader has no configuration at hand.
    static func rdbLoad(_ type: UInt8, _ r: inout RDBReader) throws(RDBError) -> StoredObject {
        let list = ListValue(fill: -2)
        func add(_ e: CompactEncodings.Element) {
            switch e {
            case .bytes(let b): list.pushBack(b)
            case .int(let v): Numbers.int64Bytes(v).withBytes { list.pushBack($0) }
            }
        }
        /// Adds the entries of a listpack (or ziplist) blob.
        func addAll(_ blob: [UInt8], listpack: Bool) throws(RDBError) {
            var failure: RDBError?
            blob.withBytes { b in
                do throws(RDBError) {
                    if listpack { try CompactEncodings.listpack(b) { add($0) } } else { try CompactEncodings.ziplist(b) { add($0) } }
                } catch {
                    failure = error
                }
            }
            if let failure { throw failure }
        }
        switch type {
        case RDB.TypeCode.list:
            let n = try r.length()
            for _ in 0..<n {
                let s = try r.string()
                s.withBytes { list.pushBack($0) }
            }
        case RDB.TypeCode.listZiplist:
            try addAll(try r.string(), listpack: false)
        case RDB.TypeCode.listQuicklist, RDB.TypeCode.listQuicklist2:
            let nodes = try r.length()
            for _ in 0..<nodes {
                var container = 2
                if type == RDB.TypeCode.listQuicklist2 {
                    container = try r.length()
                    guard container == 1 || container == 2 else { throw RDBError("Quicklist integrity check failed.") }
                }
                let data = try r.string()
                guard !data.isEmpty else { throw RDBError("Empty quicklist node") }
                if container == 1 {
                    data.withBytes { list.pushBack($0) }
                } else {
                    try addAll(data, listpack: type == RDB.TypeCode.listQuicklist2)
                }
            }
        default:
            throw RDBError("Unknown RDB value type \(type)")
        }
        guard list.count > 0 else { throw RDBError("Empty keys are not allowed") }
        return list
    }

    /// Registers the list loaders with the RDB reader (once).
    static let rdbRegistration: Void = RDBValues.register(
        [RDB.TypeCode.list, RDB.TypeCode.listZiplist, RDB.TypeCode.listQuicklist, RDB.TypeCode.listQuicklist2], rdbLoad)
}
