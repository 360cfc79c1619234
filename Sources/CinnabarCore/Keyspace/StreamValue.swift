import CSystem
import Glibc

/// A stream entry ID: milliseconds and a sequence number, ordered as a
/// 128-bit number.
public struct StreamID: Comparable, Hashable, Sendable {
    public var ms: UInt64
    public var seq: UInt64

    public init(ms: UInt64, seq: UInt64) {
        self.ms = ms
        self.seq = seq
    }

    public static let zero = StreamID(ms: 0, seq: 0)
    public static let max = StreamID(ms: UInt64.max, seq: UInt64.max)

    @inline(__always)
    public static func < (a: StreamID, b: StreamID) -> Bool {
        a.ms != b.ms ? a.ms < b.ms : a.seq < b.seq
    }

    public var isZero: Bool { ms == 0 && seq == 0 }

    /// The next ID, nil past the last possible one.
    public var successor: StreamID? {
        if seq == UInt64.max {
            if ms == UInt64.max { return nil }
            return StreamID(ms: ms + 1, seq: 0)
        }
        return StreamID(ms: ms, seq: seq + 1)
    }

    /// The previous ID, nil before 0-0.
    public var predecessor: StreamID? {
        if seq == 0 {
            if ms == 0 { return nil }
            return StreamID(ms: ms - 1, seq: UInt64.max)
        }
        return StreamID(ms: ms, seq: seq - 1)
    }

    /// `<ms>-<seq>` as bytes.
    public var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: 41)
        let n = out.withUnsafeMutableBufferPointer { format(into: $0.baseAddress!) }
        out.removeLast(41 - n)
        return out
    }

    /// Writes `<ms>-<seq>` to `p` (41 bytes of room); returns its length.
    @inline(__always)
    func format(into p: UnsafeMutablePointer<UInt8>) -> Int {
        var n = Self.formatUnsigned(ms, p)
        p[n] = 45
        n += 1
        n += Self.formatUnsigned(seq, p + n)
        return n
    }

    @inline(__always)
    static func formatUnsigned(_ v: UInt64, _ p: UnsafeMutablePointer<UInt8>) -> Int {
        var digits = 1
        var t = v
        while t >= 10 { t /= 10; digits += 1 }
        var x = v
        var i = digits - 1
        while i >= 0 {
            p[i] = UInt8(48 + x % 10)
            x /= 10
            i -= 1
        }
        return digits
    }

    /// The 16-byte big-endian form Redis uses as radix tree key and in RDB files.
    func writeBigEndian(_ out: UnsafeMutablePointer<UInt8>) {
        for i in 0..<8 {
            out[i] = UInt8(truncatingIfNeeded: ms >> (56 - 8 * UInt64(i)))
            out[8 + i] = UInt8(truncatingIfNeeded: seq >> (56 - 8 * UInt64(i)))
        }
    }

    init(bigEndian b: Bytes) {
        var m: UInt64 = 0, s: UInt64 = 0
        for i in 0..<8 {
            m = m << 8 | UInt64(b[i])
            s = s << 8 | UInt64(b[8 + i])
        }
        ms = m
        seq = s
    }
}

extension ReplyBuffer {
    /// A stream ID as a bulk string.
    @inline(__always)
    func bulk(id: StreamID) {
        var tmp: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &tmp) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let n = id.format(into: p)
            bulk(Bytes(start: p, count: n))
        }
    }
}

/// An ordered map from stream IDs to values, kept in sorted chunks: lookups
/// are two binary searches, and insertions or removals anywhere move at most
/// one chunk's elements plus the chunk list (pending entries lists, whose
/// acknowledgements usually remove from the front).
struct StreamIDMap<Value> {
    fileprivate struct Chunk {
        var ids: ContiguousArray<StreamID>
        var values: ContiguousArray<Value>
    }

    private var chunks: ContiguousArray<Chunk> = []
    private(set) var count = 0
    private static var chunkLimit: Int { 128 }

    /// A position: chunk and index within it.
    struct Position: Equatable {
        var chunk: Int
        var index: Int
    }

    var isEmpty: Bool { count == 0 }

    /// The chunk that holds or would hold `id`.
    @inline(__always)
    private func chunkIndex(_ id: StreamID) -> Int {
        var lo = 0, hi = chunks.count - 1
        // Last chunk whose first ID is <= id (or the first chunk).
        while lo < hi {
            let mid = (lo + hi + 1) >> 1
            if chunks[mid].ids[0] <= id { lo = mid } else { hi = mid - 1 }
        }
        return lo
    }

    @inline(__always)
    private static func lowerBound(_ ids: ContiguousArray<StreamID>, _ id: StreamID) -> Int {
        var lo = 0, hi = ids.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if ids[mid] < id { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private func locate(_ id: StreamID) -> Position? {
        guard count > 0 else { return nil }
        let c = chunkIndex(id)
        let i = Self.lowerBound(chunks[c].ids, id)
        return i < chunks[c].ids.count && chunks[c].ids[i] == id ? Position(chunk: c, index: i) : nil
    }

    func contains(_ id: StreamID) -> Bool { locate(id) != nil }

    subscript(id: StreamID) -> Value? {
        guard let p = locate(id) else { return nil }
        return chunks[p.chunk].values[p.index]
    }

    /// Changes the value stored under `id`; false when absent.
    @discardableResult
    mutating func update(_ id: StreamID, _ body: (inout Value) -> Void) -> Bool {
        guard let p = locate(id) else { return false }
        body(&chunks[p.chunk].values[p.index])
        return true
    }

    /// Inserts `value` under `id` unless present; true when inserted.
    @discardableResult
    mutating func insert(_ id: StreamID, _ value: Value) -> Bool {
        if chunks.isEmpty {
            chunks.append(Chunk(ids: [id], values: [value]))
            count = 1
            return true
        }
        let c = chunkIndex(id)
        let i = Self.lowerBound(chunks[c].ids, id)
        if i < chunks[c].ids.count && chunks[c].ids[i] == id { return false }
        if i == chunks[c].ids.count && c == chunks.count - 1 && chunks[c].ids.count >= Self.chunkLimit {
            // Appending past a full last chunk (the usual case): start a new one.
            chunks.append(Chunk(ids: [id], values: [value]))
        } else {
            chunks[c].ids.insert(id, at: i)
            chunks[c].values.insert(value, at: i)
            if chunks[c].ids.count > 2 * Self.chunkLimit {
                let half = chunks[c].ids.count / 2
                let tail = Chunk(ids: ContiguousArray(chunks[c].ids[half...]), values: ContiguousArray(chunks[c].values[half...]))
                chunks[c].ids.removeSubrange(half...)
                chunks[c].values.removeSubrange(half...)
                chunks.insert(tail, at: c + 1)
            }
        }
        count += 1
        return true
    }

    /// Removes `id`; returns its value when it was present.
    @discardableResult
    mutating func remove(_ id: StreamID) -> Value? {
        guard let p = locate(id) else { return nil }
        chunks[p.chunk].ids.remove(at: p.index)
        let v = chunks[p.chunk].values.remove(at: p.index)
        if chunks[p.chunk].ids.isEmpty { chunks.remove(at: p.chunk) }
        count -= 1
        return v
    }

    /// The first position holding an ID >= `id`.
    func position(atOrAfter id: StreamID) -> Position? {
        guard count > 0 else { return nil }
        let c = chunkIndex(id)
        let i = Self.lowerBound(chunks[c].ids, id)
        return normalized(Position(chunk: c, index: i))
    }

    var startPosition: Position? { count > 0 ? Position(chunk: 0, index: 0) : nil }

    private func normalized(_ p: Position) -> Position? {
        var p = p
        while p.chunk < chunks.count && p.index >= chunks[p.chunk].ids.count {
            p.chunk += 1
            p.index = 0
        }
        return p.chunk < chunks.count ? p : nil
    }

    func position(after p: Position) -> Position? {
        normalized(Position(chunk: p.chunk, index: p.index + 1))
    }

    func id(at p: Position) -> StreamID { chunks[p.chunk].ids[p.index] }
    func value(at p: Position) -> Value { chunks[p.chunk].values[p.index] }

    var firstID: StreamID? { chunks.first?.ids.first }
    var lastID: StreamID? { chunks.last?.ids.last }

    /// Calls `body` with every pair in order until it returns false.
    func forEach(_ body: (StreamID, Value) -> Bool) {
        for c in chunks {
            for i in 0..<c.ids.count where !body(c.ids[i], c.values[i]) { return }
        }
    }

    /// Approximate heap bytes.
    var memoryUsage: Int {
        chunks.count * 64 + count * (MemoryLayout<StreamID>.stride + MemoryLayout<Value>.stride)
    }
}

/// A message delivered to a consumer and not yet acknowledged.
struct PendingEntry {
    /// Unix ms of the last delivery.
    var deliveryTime: Int64
    var deliveryCount: UInt64
    /// The consumer it was last delivered to (owned by the group's consumer list).
    var consumer: Unmanaged<StreamConsumer>

    var owner: StreamConsumer { consumer.takeUnretainedValue() }
}

/// One consumer of a group: its name, when it was last seen, and the IDs
/// pending for it (their details live in the group's list).
public final class StreamConsumer {
    public let name: [UInt8]
    /// Unix ms of its last interaction.
    public var seenTime: Int64
    var pending = StreamIDMap<Void>()

    init(name: [UInt8], seenTime: Int64) {
        self.name = name
        self.seenTime = seenTime
    }
}

/// A consumer group: its last delivered ID, read counter, pending entries
/// and consumers (ordered by name, as Redis's radix tree lists them).
public final class StreamGroup {
    public let name: [UInt8]
    public var lastID: StreamID
    /// Entries read by the group (Redis's entries_read), -1 when unknown.
    public var entriesRead: Int64
    var pending = StreamIDMap<PendingEntry>()
    private(set) var consumers: [StreamConsumer] = []

    init(name: [UInt8], lastID: StreamID, entriesRead: Int64) {
        self.name = name
        self.lastID = lastID
        self.entriesRead = entriesRead
    }

    public var consumerCount: Int { consumers.count }

    private func consumerIndex(_ name: Bytes) -> (Int, Bool) {
        var lo = 0, hi = consumers.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            let cmp = StreamValue.compare(consumers[mid].name, name)
            if cmp == 0 { return (mid, true) }
            if cmp < 0 { lo = mid + 1 } else { hi = mid }
        }
        return (lo, false)
    }

    /// The consumer named `name`, nil when absent.
    func consumer(_ name: Bytes) -> StreamConsumer? {
        let (i, found) = consumerIndex(name)
        return found ? consumers[i] : nil
    }

    /// Creates consumer `name`; nil when it already exists.
    func createConsumer(_ name: Bytes, seenTime: Int64) -> StreamConsumer? {
        let (i, found) = consumerIndex(name)
        if found { return nil }
        let c = StreamConsumer(name: Array(name), seenTime: seenTime)
        consumers.insert(c, at: i)
        return c
    }

    /// Deletes a consumer and its pending entries; returns how many it had.
    func deleteConsumer(_ c: StreamConsumer) -> Int {
        let n = c.pending.count
        c.pending.forEach { id, _ in
            pending.remove(id)
            return true
        }
        let (i, found) = c.name.withBytes { consumerIndex($0) }
        if found { consumers.remove(at: i) }
        return n
    }

    /// Records a delivery of `id` to `consumer` at `now`, taking the entry
    /// over from another consumer when needed (Redis resets its count to 1).
    func deliver(_ id: StreamID, to consumer: StreamConsumer, now: Int64) {
        let ref = Unmanaged.passUnretained(consumer)
        if pending.insert(id, PendingEntry(deliveryTime: now, deliveryCount: 1, consumer: ref)) {
            consumer.pending.insert(id, ())
            return
        }
        pending.update(id) { e in
            e.owner.pending.remove(id)
            e.consumer = ref
            e.deliveryTime = now
            e.deliveryCount = 1
        }
        consumer.pending.insert(id, ())
    }

    /// Acknowledges `id`; true when it was pending.
    func acknowledge(_ id: StreamID) -> Bool {
        guard let e = pending.remove(id) else { return false }
        e.owner.pending.remove(id)
        return true
    }

    /// A deep copy belonging to a copied stream.
    func duplicate() -> StreamGroup {
        let g = StreamGroup(name: name, lastID: lastID, entriesRead: entriesRead)
        var map: [ObjectIdentifier: StreamConsumer] = [:]
        for c in consumers {
            let n = StreamConsumer(name: c.name, seenTime: c.seenTime)
            n.pending = c.pending
            g.consumers.append(n)
            map[ObjectIdentifier(c)] = n
        }
        pending.forEach { id, e in
            var copy = e
            copy.consumer = Unmanaged.passUnretained(map[ObjectIdentifier(e.owner)]!)
            g.pending.insert(id, copy)
            return true
        }
        return g
    }

    var memoryUsage: Int {
        var m = 96 + name.count + pending.memoryUsage
        for c in consumers { m += 64 + c.name.count + c.pending.memoryUsage }
        return m
    }
}

/// A stream: entries in listpacks ("nodes") ordered by their first ("master")
/// ID, each encoded exactly as Redis 7.0 encodes its radix tree's listpacks
/// (a master entry with the node's counters and field names, then entries
/// delta-encoded against it, deleted ones kept as flagged tombstones until
/// their node empties), plus the stream's bookkeeping and consumer groups.
/// Nodes are found by binary search; no Swift object exists per entry.
public final class StreamValue: StoredObject {
    struct Node {
        var master: StreamID
        var lp: StreamListpack
    }

    /// Entry flags inside a node.
    static let flagDeleted: Int64 = 1
    static let flagSameFields: Int64 = 2

    /// The largest a node may grow (Redis's STREAM_LISTPACK_MAX_SIZE).
    static let maxListpackBytes = 1 << 30

    var nodes: ContiguousArray<Node> = []
    /// Live entries.
    public internal(set) var length: UInt64 = 0
    public internal(set) var lastID = StreamID.zero
    /// The first live entry's ID (0-0 when empty), as Redis records it.
    public internal(set) var firstID = StreamID.zero
    public internal(set) var maxDeletedID = StreamID.zero
    /// Entries ever added.
    public internal(set) var entriesAdded: UInt64 = 0
    /// Groups ordered by name.
    private(set) var groups: [StreamGroup] = []
    private var cachedTreeNodes = -1

    public override init() {}

    deinit {
        for n in nodes { n.lp.free() }
    }

    public override var valueType: ValueType { .stream }
    public override var encodingName: String { "stream" }

    /// Redis's estimate of the work to free the value (radix tree nodes, plus
    /// groups times the first group's pending entries), which decides lazy freeing.
    public override var elementCount: Int {
        var effort = treeNodeCount
        if let g = groups.first { effort += groups.count * (1 + g.pending.count) }
        return effort
    }

    public override var memoryUsage: Int {
        var m = 96 + nodes.count * (MemoryLayout<Node>.stride + 48)
        for n in nodes { m += n.lp.allocatedBytes }
        for g in groups { m += g.memoryUsage }
        return m
    }

    public override func duplicate() -> StoredObject {
        let s = StreamValue()
        s.nodes.reserveCapacity(nodes.count)
        for n in nodes { s.nodes.append(Node(master: n.master, lp: n.lp.copy())) }
        s.length = length
        s.lastID = lastID
        s.firstID = firstID
        s.maxDeletedID = maxDeletedID
        s.entriesAdded = entriesAdded
        s.groups = groups.map { $0.duplicate() }
        return s
    }

    // MARK: node bookkeeping

    private func nodesChanged() { cachedTreeNodes = -1 }

    /// Index of the last node whose master ID is <= `id`, nil when every master is larger.
    func nodeIndex(atOrBefore id: StreamID) -> Int? {
        var lo = 0, hi = nodes.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if nodes[mid].master <= id { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : lo - 1
    }

    /// Radix tree keys: one per node.
    public var treeKeyCount: Int { nodes.count }

    /// The node count Redis's radix tree has for these keys (XINFO's
    /// radix-tree-nodes): the head, one node per branching prefix, one per
    /// key, and one compressed node per run of single-child bytes between them.
    public var treeNodeCount: Int {
        if cachedTreeNodes >= 0 { return cachedTreeNodes }
        var keys: [[UInt8]] = []
        keys.reserveCapacity(nodes.count)
        for n in nodes {
            var k = [UInt8](repeating: 0, count: 16)
            k.withUnsafeMutableBufferPointer { n.master.writeBigEndian($0.baseAddress!) }
            keys.append(k)
        }
        var count = 1
        if !keys.isEmpty {
            // Nodes below a branching or leaf point at `depth`, reached from a parent at `parentDepth`.
            func walk(_ lo: Int, _ hi: Int, _ depth: Int, _ parentDepth: Int) {
                if hi - lo == 1 {
                    count += 1
                    if parentDepth >= 0 && 16 > parentDepth + 1 { count += 1 }
                    return
                }
                var d = depth
                while keys[lo][d] == keys[hi - 1][d] { d += 1 }
                // A branching node at depth d: the head itself when d == 0.
                if d > 0 { count += 1 }
                if parentDepth >= 0 && d > parentDepth + 1 { count += 1 }
                var i = lo
                while i < hi {
                    var j = i + 1
                    while j < hi && keys[j][d] == keys[i][d] { j += 1 }
                    walk(i, j, d + 1, d)
                    i = j
                }
            }
            walk(0, keys.count, 0, -1)
        }
        cachedTreeNodes = count
        return count
    }

    // MARK: reading

    /// Where an entry sits: its node and the offsets of its flags and of its
    /// first field (or value, when it shares the master entry's fields).
    struct EntryRef {
        var id: StreamID
        var node: Int
        var flagsAt: Int
        var fieldsAt: Int
        var fieldCount: Int
        var flags: Int64
        var masterFieldsAt: Int
        var isDeleted: Bool { flags & StreamValue.flagDeleted != 0 }
        var sameFields: Bool { flags & StreamValue.flagSameFields != 0 }
    }

    /// Walks entries between `start` and `end` (inclusive) in either
    /// direction, skipping tombstones unless asked not to. Valid only while
    /// the stream is not modified.
    struct Iterator {
        let stream: StreamValue
        let start: StreamID
        let end: StreamID
        let reverse: Bool
        var skipTombstones = true
        private var node: Int
        /// Position inside the current node: forward, the element before the
        /// next entry's flags; backward, the lp-count of the next entry. -1 when
        /// the node is not entered yet.
        private var pos = -1
        private var masterFieldCount = 0
        private var masterFieldsAt = 0
        private var done = false

        init(_ s: StreamValue, start: StreamID = .zero, end: StreamID = .max, reverse: Bool = false) {
            stream = s
            self.start = start
            self.end = end
            self.reverse = reverse
            if !reverse {
                if !start.isZero, let i = s.nodeIndex(atOrBefore: start) { node = i } else { node = 0 }
            } else {
                if !end.isZero, let i = s.nodeIndex(atOrBefore: end) { node = i } else { node = s.nodes.count - 1 }
            }
            if node < 0 || node >= s.nodes.count { done = true }
        }

        /// Enters node `node`, positioning before its first (or after its last) entry.
        private mutating func enter() {
            let lp = stream.nodes[node].lp
            var p = lp.first!            // count
            p = lp.next(p)!              // deleted
            p = lp.next(p)!              // master field count
            masterFieldCount = Int(lp.int(p))
            p = lp.next(p)!
            masterFieldsAt = p
            if !reverse {
                for _ in 0..<masterFieldCount { p = lp.next(p)! }
                pos = p                  // the master entry's zero terminator
            } else {
                pos = lp.last!
            }
        }

        mutating func next() -> EntryRef? {
            while !done {
                if pos < 0 { enter() }
                let lp = stream.nodes[node].lp
                var flagsAt: Int
                if !reverse {
                    guard let f = lp.next(pos) else {
                        moveNode()
                        continue
                    }
                    flagsAt = f
                } else {
                    let lpCount = Int(lp.int(pos))
                    if lpCount == 0 {
                        moveNode()
                        continue
                    }
                    var p = pos
                    for _ in 0..<lpCount { p = lp.prev(p)! }
                    flagsAt = p
                }
                let flags = lp.int(flagsAt)
                var p = lp.next(flagsAt)!
                let master = stream.nodes[node].master
                let msDelta = UInt64(bitPattern: lp.int(p))
                p = lp.next(p)!
                let seqDelta = UInt64(bitPattern: lp.int(p))
                p = lp.next(p)!
                let id = StreamID(ms: master.ms &+ msDelta, seq: master.seq &+ seqDelta)
                var fieldCount = masterFieldCount
                if flags & StreamValue.flagSameFields == 0 {
                    fieldCount = Int(lp.int(p))
                    p = lp.next(p)!
                }
                let ref = EntryRef(id: id, node: node, flagsAt: flagsAt, fieldsAt: p, fieldCount: fieldCount,
                                   flags: flags, masterFieldsAt: masterFieldsAt)
                // Advance past this entry for the next call.
                if !reverse {
                    let skip = flags & StreamValue.flagSameFields != 0 ? fieldCount : 2 * fieldCount
                    for _ in 0..<skip { p = lp.next(p)! }
                    pos = p              // its lp-count
                } else {
                    pos = lp.prev(flagsAt)!  // the previous entry's lp-count (or the master terminator)
                }
                let visible = !skipTombstones || flags & StreamValue.flagDeleted == 0
                if !reverse {
                    if id >= start && visible {
                        if id > end { done = true; return nil }
                        return ref
                    }
                } else {
                    if id <= end && visible {
                        if id < start { done = true; return nil }
                        return ref
                    }
                }
            }
            return nil
        }

        private mutating func moveNode() {
            node += reverse ? -1 : 1
            pos = -1
            if node < 0 || node >= stream.nodes.count { done = true }
        }
    }

    /// Calls `body` with each field and value of `e`.
    @inline(__always)
    func forEachField(_ e: EntryRef, _ body: (ListpackElement, ListpackElement) -> Void) {
        let lp = nodes[e.node].lp
        var p = e.fieldsAt
        var m = e.masterFieldsAt
        for i in 0..<e.fieldCount {
            let field: ListpackElement
            if e.sameFields {
                field = lp.element(m)
                if i + 1 < e.fieldCount { m = lp.next(m)! }
            } else {
                field = lp.element(p)
                p = lp.next(p)!
            }
            let value = lp.element(p)
            body(field, value)
            p = lp.next(p)!
        }
    }

    /// Writes `e` as Redis replies with an entry: `[id, [field, value, ...]]`.
    func replyEntry(_ e: EntryRef, _ r: ReplyBuffer) {
        r.arrayHeader(2)
        r.bulk(id: e.id)
        r.arrayHeader(e.fieldCount * 2)
        forEachField(e) { f, v in
            f.reply(r)
            v.reply(r)
        }
    }

    /// The live entry `id`, if any.
    func entry(_ id: StreamID) -> EntryRef? {
        var it = Iterator(self, start: id, end: id)
        return it.next()
    }

    /// The last live entry's ID (0-0 when there is none).
    public var lastLiveID: StreamID {
        var it = Iterator(self, reverse: true)
        return it.next()?.id ?? .zero
    }

    /// The first (or last) entry's ID, tombstones included or not; when there
    /// is none, max for the first and 0-0 for the last, as Redis answers.
    func edgeID(first: Bool, skipTombstones: Bool) -> StreamID {
        var it = Iterator(self, reverse: !first)
        it.skipTombstones = skipTombstones
        if let e = it.next() { return e.id }
        return first ? .max : .zero
    }

    // MARK: writing entries

    /// Why an append failed.
    enum AppendFailure: Error {
        /// The ID is not greater than the last one.
        case notGreater
        /// The fields add up to more than a node can hold.
        case tooLarge
    }

    /// The ID an automatic `*` gets at `now`.
    func nextAutoID(now: UInt64) -> StreamID? {
        if now > lastID.ms { return StreamID(ms: now, seq: 0) }
        return lastID.successor
    }

    /// Appends an entry with `pairs` field/value pairs (`arg(2i)` the field,
    /// `arg(2i+1)` the value) under `id`, opening a new node when the last
    /// one reached `maxBytes` or `maxEntries` (0 = no limit) as Redis does.
    func append(id: StreamID, pairs: Int, maxBytes: Int, maxEntries: Int, _ arg: (Int) -> Bytes) throws(AppendFailure) {
        guard id > lastID else { throw .notGreater }
        var total = 0
        for i in 0..<(2 * pairs) { total += arg(i).count }
        guard total <= Self.maxListpackBytes else { throw .tooLarge }
        var flags: Int64 = 0
        var newNode = nodes.isEmpty
        if !newNode {
            let lp = nodes[nodes.count - 1].lp
            let limit = maxBytes == 0 || maxBytes > Self.maxListpackBytes ? Self.maxListpackBytes : maxBytes
            if lp.totalBytes + total >= limit {
                newNode = true
            } else if maxEntries > 0 {
                let p = lp.first!
                if lp.int(p) + lp.int(lp.next(p)!) >= Int64(maxEntries) { newNode = true }
            }
            if newNode { nodes[nodes.count - 1].lp.shrinkToFit() }
        }
        if newNode {
            let prealloc = maxBytes > 0 && maxBytes < 4096 ? maxBytes : 4096
            var lp = StreamListpack(capacity: prealloc)
            lp.append(int: 1)
            lp.append(int: 0)
            lp.append(int: Int64(pairs))
            for i in 0..<pairs { lp.append(arg(2 * i)) }
            lp.append(int: 0)
            nodes.append(Node(master: id, lp: lp))
            nodesChanged()
            flags = Self.flagSameFields
        } else {
            let n = nodes.count - 1
            let countAt = nodes[n].lp.first!
            nodes[n].lp.replace(at: countAt, int: nodes[n].lp.int(countAt) + 1)
            let lp = nodes[n].lp
            var p = lp.next(lp.next(lp.first!)!)!
            if lp.int(p) == Int64(pairs) {
                var same = true
                for i in 0..<pairs {
                    p = lp.next(p)!
                    if !lp.element(p).equals(arg(2 * i)) { same = false; break }
                }
                if same { flags = Self.flagSameFields }
            }
        }
        let n = nodes.count - 1
        let master = nodes[n].master
        nodes[n].lp.append(int: flags)
        nodes[n].lp.append(int: Int64(bitPattern: id.ms &- master.ms))
        nodes[n].lp.append(int: Int64(bitPattern: id.seq &- master.seq))
        var lpCount = Int64(pairs) + 3
        if flags & Self.flagSameFields == 0 {
            nodes[n].lp.append(int: Int64(pairs))
            lpCount += Int64(pairs) + 1
        }
        for i in 0..<pairs {
            if flags & Self.flagSameFields == 0 { nodes[n].lp.append(arg(2 * i)) }
            nodes[n].lp.append(arg(2 * i + 1))
        }
        nodes[n].lp.append(int: lpCount)
        length += 1
        entriesAdded += 1
        lastID = id
        if length == 1 { firstID = id }
    }

    /// Marks the entry `e` deleted; drops its node when it was the node's
    /// last live entry. The caller re-seeks afterwards.
    private func removeEntry(_ e: EntryRef) {
        let n = e.node
        nodes[n].lp.replace(at: e.flagsAt, int: e.flags | Self.flagDeleted)
        let countAt = nodes[n].lp.first!
        let live = nodes[n].lp.int(countAt)
        if live == 1 {
            nodes[n].lp.free()
            nodes.remove(at: n)
            nodesChanged()
        } else {
            nodes[n].lp.replace(at: countAt, int: live - 1)
            let deletedAt = nodes[n].lp.next(nodes[n].lp.first!)!
            nodes[n].lp.replace(at: deletedAt, int: nodes[n].lp.int(deletedAt) + 1)
        }
        length -= 1
    }

    /// XDEL of one ID: true when a live entry was deleted.
    func delete(_ id: StreamID) -> Bool {
        guard let e = entry(id) else { return false }
        removeEntry(e)
        return true
    }

    /// How XADD and XTRIM trim.
    struct Trim {
        enum Strategy { case none, maxlen(UInt64), minid(StreamID) }
        var strategy: Strategy = .none
        /// `~`: only whole nodes go.
        var approximate = false
        /// Most entries to remove, 0 = no limit.
        var limit: Int64 = 0
    }

    /// Trims from the head as Redis's streamTrim does: whole nodes while they
    /// fit the strategy, then (unless approximate) entries of the next node
    /// flagged deleted one by one. Returns entries removed.
    func trim(_ t: Trim) -> Int64 {
        var deleted: Int64 = 0
        switch t.strategy {
        case .none: return 0
        default: break
        }
        var changedNodes = false
        while !nodes.isEmpty {
            if case .maxlen(let maxlen) = t.strategy, length <= maxlen { break }
            let lp = nodes[0].lp
            let entries = lp.int(lp.first!)
            if t.limit != 0 && deleted + entries > t.limit { break }
            var removeNode: Bool
            let master = nodes[0].master
            switch t.strategy {
            case .maxlen(let maxlen):
                removeNode = Int64(bitPattern: length) - entries >= Int64(bitPattern: maxlen)
            case .minid(let minid):
                removeNode = lastEntryID(ofNode: 0) < minid
            case .none:
                removeNode = false
            }
            if removeNode {
                nodes[0].lp.free()
                nodes.remove(at: 0)
                changedNodes = true
                length -= UInt64(entries)
                deleted += entries
                continue
            }
            if t.approximate { break }
            // Flag entries of this node one by one.
            var fromNode: Int64 = 0
            var p = lp.first!
            p = lp.next(p)!
            p = lp.next(p)!
            let masterFields = Int(lp.int(p))
            p = lp.next(p)!
            for _ in 0..<masterFields { p = lp.next(p)! }
            var cursor: Int? = nodes[0].lp.next(p)  // first entry's flags
            while let flagsAt = cursor {
                let cur = nodes[0].lp
                let flags = cur.int(flagsAt)
                var q = cur.next(flagsAt)!
                let msDelta = UInt64(bitPattern: cur.int(q))
                q = cur.next(q)!
                let seqDelta = UInt64(bitPattern: cur.int(q))
                q = cur.next(q)!
                let stop: Bool
                switch t.strategy {
                case .maxlen(let maxlen): stop = length <= maxlen
                case .minid(let minid): stop = StreamID(ms: master.ms &+ msDelta, seq: master.seq &+ seqDelta) >= minid
                case .none: stop = true
                }
                if stop { break }
                var skip: Int
                if flags & Self.flagSameFields != 0 {
                    skip = masterFields
                } else {
                    skip = 2 * Int(cur.int(q))
                    q = cur.next(q)!
                }
                for _ in 0..<skip { q = cur.next(q)! }
                // q is this entry's lp-count; the next entry starts after it.
                var after = q
                if flags & Self.flagDeleted == 0 {
                    let delta = nodes[0].lp.replace(at: flagsAt, int: flags | Self.flagDeleted)
                    after += delta
                    fromNode += 1
                    length -= 1
                }
                cursor = nodes[0].lp.next(after)
            }
            deleted += fromNode
            let countAt = nodes[0].lp.first!
            nodes[0].lp.replace(at: countAt, int: entries - fromNode)
            let deletedAt = nodes[0].lp.next(nodes[0].lp.first!)!
            nodes[0].lp.replace(at: deletedAt, int: nodes[0].lp.int(deletedAt) + fromNode)
            break
        }
        if changedNodes { nodesChanged() }
        if length == 0 {
            firstID = .zero
        } else if deleted > 0 {
            firstID = edgeID(first: true, skipTombstones: true)
        }
        return deleted
    }

    /// The ID of the last entry (tombstones included) of node `n`.
    private func lastEntryID(ofNode n: Int) -> StreamID {
        let lp = nodes[n].lp
        var p = lp.last!
        let lpCount = Int(lp.int(p))
        if lpCount == 0 { return nodes[n].master }
        for _ in 0..<lpCount { p = lp.prev(p)! }
        p = lp.next(p)!
        let master = nodes[n].master
        let ms = UInt64(bitPattern: lp.int(p))
        let seq = UInt64(bitPattern: lp.int(lp.next(p)!))
        return StreamID(ms: master.ms &+ ms, seq: master.seq &+ seq)
    }

    // MARK: bookkeeping

    /// XSETID: sets the last ID and optionally the counters.
    func setID(_ id: StreamID, entriesAdded: UInt64?, maxDeleted: StreamID?) {
        lastID = id
        if let entriesAdded { self.entriesAdded = entriesAdded }
        if let maxDeleted { maxDeletedID = maxDeleted }
    }

    /// Notes a deleted entry for max-deleted-entry-id and first-id.
    func recordDeleted(_ id: StreamID) {
        if id > maxDeletedID { maxDeletedID = id }
    }

    func refreshFirstID() {
        firstID = length == 0 ? .zero : edgeID(first: true, skipTombstones: true)
    }

    /// True when a tombstone may lie between `start` and `end` (Redis's streamRangeHasTombstones).
    func rangeHasTombstones(_ start: StreamID?, _ end: StreamID?) -> Bool {
        if length == 0 || maxDeletedID.isZero { return false }
        if firstID > maxDeletedID { return false }
        let s = start ?? .zero, e = end ?? .max
        return s <= maxDeletedID && maxDeletedID <= e
    }

    /// Redis's streamEstimateDistanceFromFirstEverEntry: the read counter of
    /// `id` when it can be known, -1 otherwise.
    func estimateReadCounter(_ id: StreamID) -> Int64 {
        if entriesAdded == 0 { return 0 }
        if length == 0 && id <= lastID { return Int64(bitPattern: entriesAdded) }
        if id == lastID { return Int64(bitPattern: entriesAdded) }
        if id > lastID { return -1 }
        if maxDeletedID.isZero || maxDeletedID < firstID {
            if id < firstID { return Int64(bitPattern: entriesAdded &- length) }
            if id == firstID { return Int64(bitPattern: entriesAdded &- length &+ 1) }
        }
        return -1
    }

    /// A group's lag, nil when it cannot be known.
    func lag(_ g: StreamGroup) -> Int64? {
        if entriesAdded == 0 { return 0 }
        if g.entriesRead != -1 && !rangeHasTombstones(g.lastID, nil) {
            return Int64(bitPattern: entriesAdded) &- g.entriesRead
        }
        let read = estimateReadCounter(g.lastID)
        if read != -1 { return Int64(bitPattern: entriesAdded) &- read }
        return nil
    }

    // MARK: groups

    static func compare(_ a: [UInt8], _ b: Bytes) -> Int {
        a.withUnsafeBufferPointer { pa in
            let n = Swift.min(pa.count, b.count)
            if n > 0 {
                let r = memcmp(pa.baseAddress!, b.baseAddress!, n)
                if r != 0 { return Int(r) }
            }
            return pa.count - b.count
        }
    }

    private func groupIndex(_ name: Bytes) -> (Int, Bool) {
        var lo = 0, hi = groups.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            let cmp = Self.compare(groups[mid].name, name)
            if cmp == 0 { return (mid, true) }
            if cmp < 0 { lo = mid + 1 } else { hi = mid }
        }
        return (lo, false)
    }

    func group(_ name: Bytes) -> StreamGroup? {
        let (i, found) = groupIndex(name)
        return found ? groups[i] : nil
    }

    /// Creates a group; nil when the name is taken.
    func createGroup(_ name: Bytes, lastID: StreamID, entriesRead: Int64) -> StreamGroup? {
        let (i, found) = groupIndex(name)
        if found { return nil }
        let g = StreamGroup(name: Array(name), lastID: lastID, entriesRead: entriesRead)
        groups.insert(g, at: i)
        return g
    }

    /// Destroys a group; false when absent.
    func destroyGroup(_ name: Bytes) -> Bool {
        let (i, found) = groupIndex(name)
        if found { groups.remove(at: i) }
        return found
    }

    public var groupCount: Int { groups.count }
    var allGroups: [StreamGroup] { groups }

    // MARK: RDB

    public override var rdbType: UInt8 { RDB.TypeCode.streamListpacks2 }

    public override func rdbWrite(_ w: RDBWriter) {
        w.length(nodes.count)
        var key = [UInt8](repeating: 0, count: 16)
        for n in nodes {
            key.withUnsafeMutableBufferPointer { n.master.writeBigEndian($0.baseAddress!) }
            w.string(key)
            w.string(n.lp.bytes)
        }
        Self.writeLength(w, length)
        Self.writeLength(w, lastID.ms)
        Self.writeLength(w, lastID.seq)
        Self.writeLength(w, firstID.ms)
        Self.writeLength(w, firstID.seq)
        Self.writeLength(w, maxDeletedID.ms)
        Self.writeLength(w, maxDeletedID.seq)
        Self.writeLength(w, entriesAdded)
        w.length(groups.count)
        for g in groups {
            w.string(g.name)
            Self.writeLength(w, g.lastID.ms)
            Self.writeLength(w, g.lastID.seq)
            Self.writeLength(w, UInt64(bitPattern: g.entriesRead))
            w.length(g.pending.count)
            g.pending.forEach { id, e in
                key.withUnsafeMutableBufferPointer { id.writeBigEndian($0.baseAddress!) }
                w.raw(key)
                w.littleEndian64(UInt64(bitPattern: e.deliveryTime))
                Self.writeLength(w, e.deliveryCount)
                return true
            }
            w.length(g.consumers.count)
            for c in g.consumers {
                w.string(c.name)
                w.littleEndian64(UInt64(bitPattern: c.seenTime))
                w.length(c.pending.count)
                c.pending.forEach { id, _ in
                    key.withUnsafeMutableBufferPointer { id.writeBigEndian($0.baseAddress!) }
                    w.raw(key)
                    return true
                }
            }
        }
    }

    /// Redis's length encoding for a full 64-bit value.
    static func writeLength(_ w: RDBWriter, _ v: UInt64) {
        if v <= UInt64(UInt32.max) {
            w.length(Int(v))
            return
        }
        w.byte(0x81)
        for i in (0..<8).reversed() { w.byte(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
    }

    static func readLength(_ r: inout RDBReader) throws(RDBError) -> UInt64 {
        let first = try r.byte()
        switch first >> 6 {
        case 0: return UInt64(first & 0x3F)
        case 1: return UInt64(first & 0x3F) << 8 | UInt64(try r.byte())
        case 2:
            if first == 0x80 {
                let b = try r.bytes(4)
                return UInt64(b[0]) << 24 | UInt64(b[1]) << 16 | UInt64(b[2]) << 8 | UInt64(b[3])
            }
            if first == 0x81 {
                let b = try r.bytes(8)
                var v: UInt64 = 0
                for i in 0..<8 { v = v << 8 | UInt64(b[i]) }
                return v
            }
            throw RDBError("Unknown length encoding \(first) in RDB")
        default:
            throw RDBError("Unexpected encoded length in RDB")
        }
    }

    /// Checks a node's listpack the way Redis's deep sanitization does: a
    /// master entry, then entries whose counts and lp-count agree.
    static func validateNode(_ lp: Bytes) -> Bool {
        guard let total = StreamListpack.validate(lp), total > 0 else { return false }
        let copy = StreamListpack(copying: lp)
        defer { copy.free() }
        var p: Int? = copy.first
        var seen = 0
        func take() -> ListpackElement? {
            guard let q = p else { return nil }
            seen += 1
            p = copy.next(q)
            return copy.element(q)
        }
        guard let live = take()?.integerValue, let dead = take()?.integerValue,
              let masterFields = take()?.integerValue, live >= 0, dead >= 0, masterFields >= 0 else { return false }
        for _ in 0..<masterFields { guard take() != nil else { return false } }
        guard take()?.integerValue == 0 else { return false }
        var entries = live + dead
        while entries > 0 {
            entries -= 1
            guard let flags = take()?.integerValue, take()?.integerValue != nil, take()?.integerValue != nil else { return false }
            var fields = masterFields
            var extra: Int64 = 3
            if flags & flagSameFields == 0 {
                guard let n = take()?.integerValue, n >= 0 else { return false }
                fields = n
                for _ in 0..<n { guard take() != nil else { return false } }
                extra += n + 1
            }
            for _ in 0..<fields { guard take() != nil else { return false } }
            guard let lpCount = take()?.integerValue, lpCount == fields + extra else { return false }
        }
        return p == nil
    }

    /// Reads a stream saved as RDB type 15 (Redis 5 to 6.2) or 19 (Redis 7.0).
    static func rdbLoad(_ type: UInt8, _ r: inout RDBReader) throws(RDBError) -> StoredObject {
        let s = StreamValue()
        let nodeCount = try Self.readLength(&r)
        var previous: StreamID?
        for _ in 0..<nodeCount {
            let key = try r.string()
            guard key.count == 16 else { throw RDBError("Stream node key entry is not the size of a stream ID") }
            let master = key.withBytes { StreamID(bigEndian: $0) }
            let lp = try r.string()
            guard lp.withBytes({ validateNode($0) }) else { throw RDBError("Stream listpack integrity check failed.") }
            // Nodes come in key order; a repeated or decreasing key is corrupt.
            if let previous, master <= previous { throw RDBError("Listpack re-added with existing key") }
            previous = master
            s.nodes.append(Node(master: master, lp: lp.withBytes { StreamListpack(copying: $0) }))
        }
        s.length = try Self.readLength(&r)
        s.lastID = StreamID(ms: try Self.readLength(&r), seq: try Self.readLength(&r))
        if type == RDB.TypeCode.streamListpacks2 {
            s.firstID = StreamID(ms: try Self.readLength(&r), seq: try Self.readLength(&r))
            s.maxDeletedID = StreamID(ms: try Self.readLength(&r), seq: try Self.readLength(&r))
            s.entriesAdded = try Self.readLength(&r)
        } else {
            s.entriesAdded = s.length
            s.firstID = s.edgeID(first: true, skipTombstones: true)
        }
        if s.length > 0 && s.nodes.isEmpty { throw RDBError("Stream length inconsistent with rax entries") }
        let groupCount = try Self.readLength(&r)
        for _ in 0..<groupCount {
            let name = try r.string()
            let last = StreamID(ms: try Self.readLength(&r), seq: try Self.readLength(&r))
            let read = type == RDB.TypeCode.streamListpacks2 ? Int64(bitPattern: try Self.readLength(&r)) : s.estimateReadCounter(last)
            guard let g = name.withBytes({ s.createGroup($0, lastID: last, entriesRead: read) }) else {
                throw RDBError("Duplicated consumer group name \(String(decoding: name, as: UTF8.self))")
            }
            // Pending entries first, without owners; consumers then claim them.
            var loose: [StreamID: (Int64, UInt64)] = [:]
            var order: [StreamID] = []
            let pelCount = try Self.readLength(&r)
            for _ in 0..<pelCount {
                let id = StreamID(bigEndian: try r.bytes(16))
                let time = Int64(bitPattern: try r.littleEndian64())
                let count = try Self.readLength(&r)
                guard loose[id] == nil else { throw RDBError("Duplicated global PEL entry loading stream consumer group") }
                loose[id] = (time, count)
                order.append(id)
            }
            var owners: [StreamID: StreamConsumer] = [:]
            let consumerCount = try Self.readLength(&r)
            for _ in 0..<consumerCount {
                let cname = try r.string()
                guard let c = cname.withBytes({ g.createConsumer($0, seenTime: 0) }) else {
                    throw RDBError("Duplicate stream consumer detected.")
                }
                c.seenTime = Int64(bitPattern: try r.littleEndian64())
                let n = try Self.readLength(&r)
                for _ in 0..<n {
                    let id = StreamID(bigEndian: try r.bytes(16))
                    guard loose[id] != nil else { throw RDBError("Consumer entry not found in group global PEL") }
                    guard owners[id] == nil else { throw RDBError("Duplicated consumer PEL entry  loading a stream consumer group") }
                    owners[id] = c
                    c.pending.insert(id, ())
                }
            }
            for id in order {
                // Every pending entry needs an owner for the commands that report it.
                guard let c = owners[id], let (time, count) = loose[id] else { throw RDBError("Stream CG PEL entry without consumer") }
                g.pending.insert(id, PendingEntry(deliveryTime: time, deliveryCount: count, consumer: .passUnretained(c)))
            }
        }
        return s
    }

    /// Registers the stream loaders with the RDB reader (once).
    static let rdbRegistration: Void = RDBValues.register(
        [RDB.TypeCode.streamListpacks, RDB.TypeCode.streamListpacks2], rdbLoad)
}
