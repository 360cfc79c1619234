import CSystem
import Glibc

/// Protocol version spoken on a connection.
public enum RESPVersion: Int, Sendable {
    case resp2 = 2
    case resp3 = 3
}

/// A growable output buffer that encodes replies in RESP2 or RESP3. Reused for
/// the life of a connection; the socket writer drains it from `sent`.
///
/// Contract: not thread-safe; owned by one client on one loop thread.
public final class ReplyBuffer {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    /// Bytes written so far.
    public internal(set) var count: Int = 0
    /// Bytes already handed to the socket.
    public var sent: Int = 0
    /// Protocol used for type-dependent encodings (maps, nulls, doubles...).
    public var resp: RESPVersion = .resp2

    public init(capacity: Int = 16 * 1024) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    /// Bytes written but not yet sent.
    @inline(__always) public var pending: Int { count - sent }

    /// The unsent bytes.
    public var pendingBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + sent, count: count - sent)
    }

    /// Everything written since `offset` (for callers that parse their own replies).
    public func bytes(from offset: Int) -> Bytes {
        Bytes(start: base + offset, count: count - offset)
    }

    /// Forgets everything; shrinks storage that grew large for one reply.
    public func reset() {
        count = 0
        sent = 0
        if capacity > 1 << 20 {
            base.deallocate()
            capacity = 16 * 1024
            base = .allocate(capacity: capacity)
        }
    }

    /// Moves the unsent bytes to the front, reclaiming the room of bytes the
    /// socket already took. Without it a client that always has some output
    /// pending (a slow reader kept busy) would make the buffer grow by all it
    /// was ever sent. Invalidates earlier offsets, so only the socket writer
    /// calls it, between commands.
    public func discardSent() {
        guard sent > 0 else { return }
        let n = count - sent
        if n > 0 { memmove(base, base + sent, n) }
        count = n
        sent = 0
    }

    /// Drops bytes written after `offset` (undoing a partial reply).
    public func truncate(to offset: Int) {
        count = offset
    }

    public var allocatedSize: Int { capacity }

    @inline(__always)
    @usableFromInline func ensure(_ extra: Int) {
        if count + extra > capacity { grow(extra) }
    }

    // Never moves existing bytes to a different offset: offsets handed out
    // during a command (`count`, deferred marks) must stay valid until it ends.
    @usableFromInline func grow(_ extra: Int) {
        var newCap = capacity * 2
        while newCap < count + extra { newCap *= 2 }
        let nb = UnsafeMutablePointer<UInt8>.allocate(capacity: newCap)
        nb.update(from: base, count: count)
        base.deallocate()
        base = nb
        capacity = newCap
    }

    // MARK: raw

    @inline(__always)
    public func appendRaw(_ p: UnsafeRawPointer, _ n: Int) {
        ensure(n)
        (base + count).update(from: p.assumingMemoryBound(to: UInt8.self), count: n)
        count += n
    }

    @inline(__always)
    public func appendRaw(_ s: StaticString) {
        appendRaw(s.utf8Start, s.utf8CodeUnitCount)
    }

    @inline(__always)
    public func appendRaw(_ b: Bytes) {
        if b.count > 0 { appendRaw(b.baseAddress!, b.count) }
    }

    public func appendRaw(_ a: [UInt8]) {
        a.withUnsafeBufferPointer { appendRaw($0) }
    }

    @inline(__always)
    func appendByte(_ b: UInt8) {
        ensure(1)
        base[count] = b
        count += 1
    }

    @inline(__always)
    func appendCRLF() {
        ensure(2)
        base[count] = 13
        base[count + 1] = 10
        count += 2
    }

    @inline(__always)
    func appendPrefixed(_ prefix: UInt8, _ n: Int64) {
        ensure(24)
        base[count] = prefix
        count += 1
        count += Numbers.formatInt64(n, into: base + count)
        base[count] = 13
        base[count + 1] = 10
        count += 2
    }

    // MARK: RESP values

    @inline(__always) public func ok() { appendRaw("+OK\r\n") }

    /// `+text\r\n`; `text` must not contain CR or LF.
    public func status(_ text: StaticString) {
        ensure(text.utf8CodeUnitCount + 3)
        appendByte(43)
        appendRaw(text)
        appendCRLF()
    }

    public func status(_ text: String) {
        appendByte(43)
        var t = text
        t.withUTF8 { appendRaw($0) }
        appendCRLF()
    }

    /// `-text\r\n`; trailing CR/LF are dropped and inner ones become spaces, as Redis does.
    public func error(_ text: String) {
        appendByte(45)
        var t = text
        t.withUTF8 { u in
            // As Redis formats errors: trailing CR/LF are dropped, inner ones become spaces.
            var n = u.count
            while n > 0 && (u[n - 1] == 13 || u[n - 1] == 10) { n -= 1 }
            ensure(n)
            for b in u[..<n] { base[count] = (b == 13 || b == 10) ? 32 : b; count += 1 }
        }
        appendCRLF()
    }

    @inline(__always)
    public func integer(_ v: Int64) {
        appendPrefixed(58, v)
    }

    @inline(__always) public func integer(_ v: Int) { integer(Int64(v)) }

    @inline(__always)
    public func bulk(_ b: Bytes) {
        ensure(b.count + 26)
        appendPrefixed(36, Int64(b.count))
        if b.count > 0 {
            (base + count).update(from: b.baseAddress!, count: b.count)
            count += b.count
        }
        base[count] = 13
        base[count + 1] = 10
        count += 2
    }

    public func bulk(_ a: [UInt8]) { a.withBytes { bulk($0) } }

    public func bulk(_ s: String) {
        var t = s
        t.withUTF8 { bulk($0) }
    }

    public func bulk(_ s: StaticString) {
        bulk(Bytes(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// A bulk string holding the decimal form of `v`.
    public func bulk(int v: Int64) {
        ensure(48)
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &tmp) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            let n = Numbers.formatInt64(v, into: p)
            bulk(Bytes(start: p, count: n))
        }
    }

    /// Null bulk string (`$-1` / `_`).
    @inline(__always)
    public func nullBulk() {
        if resp == .resp2 { appendRaw("$-1\r\n") } else { appendRaw("_\r\n") }
    }

    /// Null array (`*-1` / `_`).
    public func nullArray() {
        if resp == .resp2 { appendRaw("*-1\r\n") } else { appendRaw("_\r\n") }
    }

    @inline(__always)
    public func arrayHeader(_ n: Int) { appendPrefixed(42, Int64(n)) }

    /// A map of `n` pairs: `%n` in RESP3, a flat array of 2n in RESP2.
    public func mapHeader(_ n: Int) {
        if resp == .resp2 { appendPrefixed(42, Int64(n * 2)) } else { appendPrefixed(37, Int64(n)) }
    }

    /// A set: `~n` in RESP3, an array in RESP2.
    public func setHeader(_ n: Int) {
        if resp == .resp2 { appendPrefixed(42, Int64(n)) } else { appendPrefixed(126, Int64(n)) }
    }

    /// Push message header: `>n` in RESP3, an array in RESP2.
    public func pushHeader(_ n: Int) {
        if resp == .resp2 { appendPrefixed(42, Int64(n)) } else { appendPrefixed(62, Int64(n)) }
    }

    /// An attribute header (RESP3 only; callers skip it in RESP2).
    public func attributeHeader(_ n: Int) { appendPrefixed(124, Int64(n)) }

    /// A double: bulk `%.17g` text in RESP2, `,` in RESP3 (`inf`/`-inf` spelled out).
    public func double(_ d: Double) {
        let text = Numbers.formatDouble17g(d)
        if resp == .resp2 {
            bulk(text)
        } else {
            appendByte(44)
            appendRaw(text)
            appendCRLF()
        }
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    public func bool(_ v: Bool) {
        if resp == .resp2 { integer(v ? 1 : 0) } else { appendRaw(v ? "#t\r\n" : "#f\r\n") }
    }

    /// A big number: `(` in RESP3, bulk string in RESP2.
    public func bigNumber(_ digits: Bytes) {
        if resp == .resp2 {
            bulk(digits)
        } else {
            appendByte(40)
            appendRaw(digits)
            appendCRLF()
        }
    }

    /// Verbatim text with a 3-letter format (`txt`): `=` in RESP3, bulk in RESP2.
    public func verbatim(_ text: String, format: StaticString = "txt") {
        if resp == .resp2 {
            bulk(text)
            return
        }
        var t = text
        t.withUTF8 { u in
            appendPrefixed(61, Int64(u.count + 4))
            appendRaw(format)
            appendByte(58)
            appendRaw(u)
        }
        appendCRLF()
    }

    /// An array of bulk strings.
    public func bulkArray(_ items: [[UInt8]]) {
        arrayHeader(items.count)
        for i in items { bulk(i) }
    }

    public func bulkArray(_ items: [String]) {
        arrayHeader(items.count)
        for i in items { bulk(i) }
    }

    // MARK: deferred lengths

    /// Marks where an aggregate of not-yet-known length starts.
    public func beginDeferred() -> Int { count }

    /// Inserts the aggregate header at `mark` once the element count is known.
    /// `kind` is `*`, `%`, `~` (map and set are downgraded for RESP2 by the caller's choice of `pairs`).
    public func endDeferredArray(at mark: Int, count n: Int) {
        insertHeader(at: mark, prefix: 42, n)
    }

    public func endDeferredMap(at mark: Int, pairs n: Int) {
        if resp == .resp2 { insertHeader(at: mark, prefix: 42, n * 2) } else { insertHeader(at: mark, prefix: 37, n) }
    }

    public func endDeferredSet(at mark: Int, count n: Int) {
        if resp == .resp2 { insertHeader(at: mark, prefix: 42, n) } else { insertHeader(at: mark, prefix: 126, n) }
    }

    private func insertHeader(at mark: Int, prefix: UInt8, _ n: Int) {
        var tmp: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &tmp) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            p[0] = prefix
            var len = 1 + Numbers.formatInt64(Int64(n), into: p + 1)
            p[len] = 13
            p[len + 1] = 10
            len += 2
            ensure(len)
            let tail = count - mark
            if tail > 0 { memmove(base + mark + len, base + mark, tail) }
            (base + mark).update(from: p, count: len)
            count += len
        }
    }
}
