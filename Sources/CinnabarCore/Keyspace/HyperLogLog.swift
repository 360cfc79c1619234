import Glibc

/// Redis's HyperLogLog value format, byte-compatible so HLL strings move
/// between Cinnabar and Redis unchanged (GET/SET, DUMP/RESTORE, RDB files).
///
/// A value is a plain string: a 16-byte header (`HYLL`, encoding byte, three
/// zero bytes, the cached cardinality as a little-endian 64-bit integer whose
/// top bit marks it stale) followed by the registers of 16384 buckets, either
/// `dense` (6 bits each, packed from the least significant bit of each byte,
/// 12288 bytes) or `sparse` (a run-length code of one- and two-byte opcodes:
/// ZERO `00xxxxxx` for 1...64 zero registers, XZERO `01xxxxxx yyyyyyyy` for
/// 1...16384, VAL `1vvvvvxx` for 1...4 registers holding 1...32).
///
/// Elements hash with MurmurHash64A (seed 0xadc83b19); the low 14 bits pick
/// the register, the position of the first set bit above them (plus one) is
/// the candidate register value. The estimate is Ertl's improved estimator
/// over the register histogram, as Redis computes it.
enum HLL {
    static let precision = 14
    /// Hash bits left after the register index.
    static let q = 50
    static let registers = 1 << 14
    static let headerSize = 16
    static let denseBytes = registers * 6 / 8
    /// Length of a dense value, header included.
    static let denseSize = headerSize + denseBytes
    static let encodingDense: UInt8 = 0
    static let encodingSparse: UInt8 = 1
    static let sparseValueMax = 32
    static let sparseRunMax = 4
    static let zeroRunMax = 64
    static let seed: UInt64 = 0xadc8_3b19

    // MARK: hashing

    /// MurmurHash64A over `count` bytes, reading 8-byte blocks little-endian.
    static func murmur64A(_ data: UnsafeRawPointer?, _ count: Int, seed: UInt64) -> UInt64 {
        let m: UInt64 = 0xc6a4_a793_5bd1_e995
        var h = seed ^ (UInt64(count) &* m)
        let blocks = count / 8
        if let data {
            for i in 0..<blocks {
                var k = UInt64(littleEndian: data.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                k &*= m
                k ^= k >> 47
                k &*= m
                h ^= k
                h &*= m
            }
            let tail = count & 7
            if tail > 0 {
                let t = data + blocks * 8
                var shift: UInt64 = 0
                for i in 0..<tail {
                    h ^= UInt64(t.load(fromByteOffset: i, as: UInt8.self)) << shift
                    shift += 8
                }
                h &*= m
            }
        }
        h ^= h >> 47
        h &*= m
        h ^= h >> 47
        return h
    }

    /// The register an element maps to and the value it proposes for it.
    @inline(__always)
    static func pattern(_ element: Bytes) -> (index: Int, count: UInt8) {
        return pattern(UnsafeRawPointer(element.baseAddress), element.count)
    }

    @inline(__always)
    static func pattern(_ p: UnsafeRawPointer?, _ n: Int) -> (index: Int, count: UInt8) {
        let hash = murmur64A(p, n, seed: seed)
        let index = Int(hash & UInt64(registers - 1))
        // A sentinel bit caps the run at q+1.
        let rest = (hash >> UInt64(precision)) | (1 << UInt64(q))
        return (index, UInt8(rest.trailingZeroBitCount + 1))
    }

    // MARK: dense registers

    /// Register `r` of packed 6-bit registers at `p` (12288 bytes).
    @inline(__always)
    static func denseGet(_ p: UnsafePointer<UInt8>, _ r: Int) -> UInt8 {
        let bit = r * 6
        let byte = bit >> 3
        let shift = bit & 7
        var v = UInt(p[byte]) >> UInt(shift)
        // Only registers straddling a byte boundary read the next byte.
        if shift > 2 { v |= UInt(p[byte + 1]) << UInt(8 - shift) }
        return UInt8(v & 63)
    }

    @inline(__always)
    static func denseSet(_ p: UnsafeMutablePointer<UInt8>, _ r: Int, _ value: UInt8) {
        let bit = r * 6
        let byte = bit >> 3
        let shift = bit & 7
        let v = UInt(value)
        p[byte] = UInt8(truncatingIfNeeded: (UInt(p[byte]) & ~(63 << UInt(shift))) | (v << UInt(shift)))
        if shift > 2 {
            let hi = UInt(8 - shift)
            p[byte + 1] = UInt8(truncatingIfNeeded: (UInt(p[byte + 1]) & ~(63 >> hi)) | (v >> hi))
        }
    }

    /// Raises register `r` to `count` when lower; true when it changed.
    @inline(__always)
    static func denseRaise(_ p: UnsafeMutablePointer<UInt8>, _ r: Int, _ count: UInt8) -> Bool {
        if count > denseGet(UnsafePointer(p), r) {
            denseSet(p, r, count)
            return true
        }
        return false
    }

    /// Adds the histogram of dense registers at `p` into `histo` (64 counters).
    static func denseHistogram(_ p: UnsafePointer<UInt8>, _ histo: UnsafeMutablePointer<Int>) {
        // Every three bytes hold four whole registers.
        var b = p
        for _ in 0..<(registers / 4) {
            let b0 = Int(b[0]), b1 = Int(b[1]), b2 = Int(b[2])
            histo[b0 & 63] += 1
            histo[((b0 >> 6) | (b1 << 2)) & 63] += 1
            histo[((b1 >> 4) | (b2 << 4)) & 63] += 1
            histo[b2 >> 2] += 1
            b += 3
        }
    }

    // MARK: sparse opcodes

    @inline(__always) static func isZero(_ b: UInt8) -> Bool { b & 0xc0 == 0 }
    @inline(__always) static func isXZero(_ b: UInt8) -> Bool { b & 0xc0 == 0x40 }
    @inline(__always) static func isVal(_ b: UInt8) -> Bool { b & 0x80 != 0 }
    @inline(__always) static func zeroLength(_ b: UInt8) -> Int { Int(b & 0x3f) + 1 }
    @inline(__always) static func xzeroLength(_ b: UInt8, _ next: UInt8) -> Int { (Int(b & 0x3f) << 8 | Int(next)) + 1 }
    @inline(__always) static func valValue(_ b: UInt8) -> Int { Int((b >> 2) & 0x1f) + 1 }
    @inline(__always) static func valLength(_ b: UInt8) -> Int { Int(b & 3) + 1 }
    @inline(__always) static func valOpcode(_ value: Int, _ length: Int) -> UInt8 {
        UInt8(truncatingIfNeeded: ((value - 1) << 2) | (length - 1)) | 0x80
    }

    /// Adds the histogram of sparse opcodes `p..<p+n` into `histo`; false
    /// when they do not cover exactly every register.
    static func sparseHistogram(_ p: UnsafePointer<UInt8>, _ n: Int, _ histo: UnsafeMutablePointer<Int>) -> Bool {
        var i = 0
        var covered = 0
        while i < n {
            let b = p[i]
            if isZero(b) {
                let run = zeroLength(b)
                covered += run
                histo[0] += run
                i += 1
            } else if isXZero(b) {
                let run = xzeroLength(b, i + 1 < n ? p[i + 1] : 0)
                covered += run
                histo[0] += run
                i += 2
            } else {
                let run = valLength(b)
                covered += run
                histo[valValue(b)] += run
                i += 1
            }
        }
        return covered == registers
    }

    // MARK: estimation

    /// Ertl's sigma function.
    static func sigma(_ x0: Double) -> Double {
        if x0 == 1 { return .infinity }
        var x = x0
        var y = 1.0
        var z = x
        var previous: Double
        repeat {
            x *= x
            previous = z
            z += x * y
            y += y
        } while previous != z
        return z
    }

    /// Ertl's tau function.
    static func tau(_ x0: Double) -> Double {
        if x0 == 0 || x0 == 1 { return 0 }
        var x = x0
        var y = 1.0
        var z = 1 - x
        var previous: Double
        repeat {
            x = x.squareRoot()
            previous = z
            y *= 0.5
            z -= pow(1 - x, 2) * y
        } while previous != z
        return z / 3
    }

    /// The cardinality estimate for a register histogram (64 counters).
    static func estimate(_ histo: UnsafePointer<Int>) -> UInt64 {
        let m = Double(registers)
        var z = m * tau((m - Double(histo[q + 1])) / m)
        var j = q
        while j >= 1 {
            z += Double(histo[j])
            z *= 0.5
            j -= 1
        }
        z += m * sigma(Double(histo[0]) / m)
        let alpha = 0.721347520444481703680
        let e = (alpha * m * m / z).rounded(.toNearestOrAwayFromZero)
        // Only histograms of invalid values (which callers reject) get here
        // with z == 0; x86's conversion of the infinity gives this.
        guard e.isFinite && e >= 0 && e < 18446744073709551616.0 else { return 1 << 63 }
        return UInt64(e)
    }

    /// Runs `body` with a zeroed 64-counter histogram and returns its estimate.
    @inline(__always)
    static func withHistogram(_ body: (UnsafeMutablePointer<Int>) -> Void) -> UInt64 {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: 64) { buf in
            let p = buf.baseAddress!
            p.initialize(repeating: 0, count: 64)
            body(p)
            return estimate(UnsafePointer(p))
        }
    }

    /// The estimate for a value's registers (the header is not consulted);
    /// nil when a sparse value does not cover every register.
    static func count(_ value: UnsafePointer<UInt8>, _ length: Int) -> UInt64? {
        var valid = true
        let card = withHistogram { histo in
            if value[4] == encodingDense {
                denseHistogram(value + headerSize, histo)
            } else {
                valid = sparseHistogram(value + headerSize, length - headerSize, histo)
            }
        }
        return valid ? card : nil
    }

    /// The estimate for 16384 one-byte registers (the union PFCOUNT builds).
    static func count(rawRegisters p: UnsafePointer<UInt8>) -> UInt64 {
        withHistogram { histo in
            for i in 0..<registers { histo[Int(p[i])] += 1 }
        }
    }

    // MARK: header

    /// True when the value starts like an HLL Redis would accept: long enough,
    /// `HYLL`, a known encoding, and exactly the dense size when dense.
    static func isValid(_ s: Bytes) -> Bool {
        guard s.count >= headerSize, s[0] == 72, s[1] == 89, s[2] == 76, s[3] == 76, s[4] <= encodingSparse else {
            return false
        }
        return s[4] == encodingSparse || s.count == denseSize
    }

    /// The cached cardinality in the header at `p`, nil when marked stale.
    static func cachedCount(_ p: UnsafePointer<UInt8>) -> UInt64? {
        if p[15] & 0x80 != 0 { return nil }
        var v: UInt64 = 0
        for i in 0..<8 { v |= UInt64(p[8 + i]) << UInt64(8 * i) }
        return v
    }

    static func storeCachedCount(_ p: UnsafeMutablePointer<UInt8>, _ v: UInt64) {
        for i in 0..<8 { p[8 + i] = UInt8(truncatingIfNeeded: v >> UInt64(8 * i)) }
    }

    @inline(__always)
    static func invalidateCache(_ p: UnsafeMutablePointer<UInt8>) { p[15] |= 0x80 }

    // MARK: merging

    /// Raises each of the 16384 one-byte registers at `max` to the value's
    /// register; false when a sparse value does not cover every register.
    static func merge(into max: UnsafeMutablePointer<UInt8>, _ value: Bytes) -> Bool {
        let p = value.baseAddress!
        if p[4] == encodingDense {
            let regs = p + headerSize
            for i in 0..<registers {
                let v = denseGet(regs, i)
                if v > max[i] { max[i] = v }
            }
            return true
        }
        var i = headerSize
        var r = 0
        let n = value.count
        // An opcode running past the last register makes the value invalid
        // (as in Redis since its CVE-2025-32023 fix).
        while i < n {
            let b = p[i]
            if isZero(b) {
                let run = zeroLength(b)
                if r + run > registers { return false }
                r += run
                i += 1
            } else if isXZero(b) {
                let run = xzeroLength(b, i + 1 < n ? p[i + 1] : 0)
                if r + run > registers { return false }
                r += run
                i += 2
            } else {
                let run = valLength(b)
                let v = UInt8(valValue(b))
                if r + run > registers { return false }
                for k in r..<(r + run) where v > max[k] { max[k] = v }
                r += run
                i += 1
            }
        }
        return r == registers
    }
}

/// An HLL value being rewritten (PFADD on a sparse value, PFMERGE, encoding
/// changes): a malloc'd copy that may grow, kept NUL-terminated because the
/// sparse decoder reads one byte past a trailing XZERO as zero. Call `release()`.
struct HLLBuffer {
    private(set) var base: UnsafeMutablePointer<UInt8>
    private(set) var count: Int
    private var capacity: Int

    /// A copy of `value`.
    init(copying value: Bytes) {
        capacity = max(value.count + 8, 64)
        base = malloc(capacity)!.assumingMemoryBound(to: UInt8.self)
        count = value.count
        if count > 0 { base.update(from: value.baseAddress!, count: count) }
        base[count] = 0
    }

    /// An empty sparse HLL, as new keys start.
    static func emptySparse() -> HLLBuffer {
        var header = [UInt8](repeating: 0, count: HLL.headerSize + 2)
        header[0] = 72; header[1] = 89; header[2] = 76; header[3] = 76
        header[4] = HLL.encodingSparse
        // One XZERO opcode covering all 16384 registers.
        header[16] = 0x40 | UInt8((HLL.registers - 1) >> 8)
        header[17] = UInt8((HLL.registers - 1) & 0xff)
        return header.withBytes { HLLBuffer(copying: $0) }
    }

    func release() { free(base) }

    var bytes: Bytes { Bytes(start: UnsafePointer(base), count: count) }
    var isDense: Bool { base[4] == HLL.encodingDense }
    var registers: UnsafeMutablePointer<UInt8> { base + HLL.headerSize }

    private mutating func reserve(_ total: Int) {
        if total + 1 <= capacity { return }
        capacity = max(total + 1, capacity * 2)
        base = realloc(base, capacity)!.assumingMemoryBound(to: UInt8.self)
    }

    private mutating func setCount(_ n: Int) {
        count = n
        base[n] = 0
    }

    /// Converts a sparse value to dense in place; false (nothing changed)
    /// when the opcodes do not cover exactly every register (an opcode
    /// running past the last register invalidates the value, as in Redis
    /// since its CVE-2025-32023 fix).
    mutating func toDense() -> Bool {
        if isDense { return true }
        let dense = calloc(HLL.denseSize + 1, 1)!.assumingMemoryBound(to: UInt8.self)
        // The header (cached cardinality included) carries over.
        dense.update(from: base, count: HLL.headerSize)
        dense[4] = HLL.encodingDense
        let regs = dense + HLL.headerSize
        var i = HLL.headerSize
        var r = 0
        while i < count {
            let b = base[i]
            if HLL.isZero(b) {
                let run = HLL.zeroLength(b)
                if r + run > HLL.registers { r = -1; break }
                r += run
                i += 1
            } else if HLL.isXZero(b) {
                let run = HLL.xzeroLength(b, base[i + 1])
                if r + run > HLL.registers { r = -1; break }
                r += run
                i += 2
            } else {
                let run = HLL.valLength(b)
                if r + run > HLL.registers { r = -1; break }
                let v = UInt8(HLL.valValue(b))
                for k in r..<(r + run) { HLL.denseSet(regs, k, v) }
                r += run
                i += 1
            }
        }
        if r != HLL.registers {
            free(dense)
            return false
        }
        free(base)
        base = dense
        capacity = HLL.denseSize + 1
        count = HLL.denseSize
        return true
    }

    /// Adds an element: 1 when a register rose, 0 when not, -1 when a sparse
    /// value turned out corrupted.
    @inline(__always)
    mutating func add(_ p: UnsafeRawPointer?, _ n: Int, sparseMaxBytes: Int) -> Int {
        let (index, c) = HLL.pattern(p, n)
        return set(index, c, sparseMaxBytes: sparseMaxBytes)
    }

    /// Raises register `index` to `value` whatever the encoding.
    mutating func set(_ index: Int, _ value: UInt8, sparseMaxBytes: Int) -> Int {
        if isDense { return HLL.denseRaise(registers, index, value) ? 1 : 0 }
        return sparseSet(index, value, sparseMaxBytes: sparseMaxBytes)
    }

    /// Raises register `index` of a sparse value to `value` by editing the
    /// opcode covering it, as Redis does (so both produce the same bytes).
    /// Values above 32, or growth past `sparseMaxBytes`, convert to dense.
    mutating func sparseSet(_ index: Int, _ value: UInt8, sparseMaxBytes: Int) -> Int {
        if Int(value) > HLL.sparseValueMax { return promote(index, value) }
        // The widest split (XZERO into XZERO VAL XZERO) adds three bytes.
        reserve(count + 3)
        let start = HLL.headerSize
        var end = count
        var p = start
        var prev = -1
        var first = 0
        var span = 0
        while p < end {
            let b = base[p]
            var oplen = 1
            if HLL.isZero(b) {
                span = HLL.zeroLength(b)
            } else if HLL.isVal(b) {
                span = HLL.valLength(b)
            } else {
                span = HLL.xzeroLength(b, base[p + 1])
                oplen = 2
            }
            if index <= first + span - 1 { break }
            prev = p
            p += oplen
            first += span
        }
        if span == 0 || p >= end { return -1 }

        let op = base[p]
        var next: Int? = HLL.isXZero(op) ? p + 2 : p + 1
        if next! >= end { next = nil }
        let zero = HLL.isZero(op), xzero = HLL.isXZero(op)
        let runlen = zero ? HLL.zeroLength(op) : xzero ? HLL.xzeroLength(op, base[p + 1]) : HLL.valLength(op)

        var rewritten = false
        if !zero && !xzero {
            if HLL.valValue(op) >= Int(value) { return 0 }
            if runlen == 1 {
                base[p] = HLL.valOpcode(Int(value), 1)
                rewritten = true
            }
        }
        if !rewritten && zero && runlen == 1 {
            base[p] = HLL.valOpcode(Int(value), 1)
            rewritten = true
        }
        if !rewritten {
            // Split the opcode into up to three covering the same registers.
            var seq: (UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0)
            let seqLen = withUnsafeMutableBytes(of: &seq) { raw -> Int in
                let s = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
                var n = 0
                let last = first + span - 1
                func zeros(_ len: Int) {
                    if len > HLL.zeroRunMax {
                        s[n] = UInt8(truncatingIfNeeded: (len - 1) >> 8) | 0x40
                        s[n + 1] = UInt8(truncatingIfNeeded: len - 1)
                        n += 2
                    } else {
                        s[n] = UInt8(len - 1)
                        n += 1
                    }
                }
                if zero || xzero {
                    if index != first { zeros(index - first) }
                    s[n] = HLL.valOpcode(Int(value), 1); n += 1
                    if index != last { zeros(last - index) }
                } else {
                    let current = HLL.valValue(op)
                    if index != first { s[n] = HLL.valOpcode(current, index - first); n += 1 }
                    s[n] = HLL.valOpcode(Int(value), 1); n += 1
                    if index != last { s[n] = HLL.valOpcode(current, last - index); n += 1 }
                }
                return n
            }
            let oldLen = xzero ? 2 : 1
            let delta = seqLen - oldLen
            if delta > 0 && count + delta > sparseMaxBytes { return promote(index, value) }
            if delta != 0, let nx = next {
                (base + nx + delta).update(from: base + nx, count: end - nx)
            }
            setCount(count + delta)
            withUnsafeBytes(of: &seq) { raw in
                (base + p).update(from: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: seqLen)
            }
            end += delta
        }

        // Adjacent VAL opcodes of equal value may now merge: look at a few
        // opcodes from the one before the edit.
        var q = prev >= 0 ? prev : start
        var budget = 5
        while q < end {
            if budget == 0 { break }
            budget -= 1
            let b = base[q]
            if HLL.isXZero(b) {
                q += 2
                continue
            }
            if HLL.isZero(b) {
                q += 1
                continue
            }
            if q + 1 < end && HLL.isVal(base[q + 1]) {
                let v1 = HLL.valValue(b), v2 = HLL.valValue(base[q + 1])
                if v1 == v2 {
                    let len = HLL.valLength(b) + HLL.valLength(base[q + 1])
                    if len <= HLL.sparseRunMax {
                        base[q + 1] = HLL.valOpcode(v1, len)
                        (base + q).update(from: base + q + 1, count: end - q - 1)
                        setCount(count - 1)
                        end -= 1
                        continue
                    }
                }
            }
            q += 1
        }
        HLL.invalidateCache(base)
        return 1
    }

    private mutating func promote(_ index: Int, _ value: UInt8) -> Int {
        guard toDense() else { return -1 }
        // The register needed raising, so the dense write always changes it.
        _ = HLL.denseRaise(registers, index, value)
        return 1
    }
}
