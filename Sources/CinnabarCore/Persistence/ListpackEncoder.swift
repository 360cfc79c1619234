/// Builds a listpack blob, the compact encoding Redis 7 writes inside RDB
/// values (quicklist nodes, small hashes and sorted sets), byte for byte as
/// Redis encodes it: strings that read as canonical 64-bit integers are
/// stored as integers in the smallest form, others with a 6-bit, 12-bit or
/// 32-bit length; every entry ends with its size in reverse 7-bit groups.
public struct ListpackEncoder {
    private var buffer: [UInt8] = [0, 0, 0, 0, 0, 0]
    /// Entries appended so far.
    public private(set) var count = 0

    public init() {}

    /// Bytes the blob will take once finished.
    public var size: Int { buffer.count + 1 }

    /// The value of `s` when Redis's listpack would store it as an integer:
    /// optional minus, no leading zeros (except "0" itself), within Int64.
    static func canonicalInteger(_ s: Bytes) -> Int64? {
        let n = s.count
        if n == 0 || n >= 21 { return nil }
        if n == 1 && s[0] == 48 { return 0 }
        var i = 0
        let negative = s[0] == 45
        if negative {
            i = 1
            if n == 1 { return nil }
        }
        guard s[i] >= 49 && s[i] <= 57 else { return nil }
        var v: UInt64 = 0
        while i < n {
            let d = s[i]
            guard d >= 48 && d <= 57 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(UInt64(d - 48))
            if o1 || o2 { return nil }
            v = a
            i += 1
        }
        if negative {
            if v > UInt64(Int64.max) + 1 { return nil }
            return v == UInt64(Int64.max) + 1 ? Int64.min : -Int64(v)
        }
        return v > UInt64(Int64.max) ? nil : Int64(v)
    }

    private mutating func littleEndian(_ v: UInt64, bytes n: Int) {
        for k in 0..<n { buffer.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) }
    }

    /// Appends one element.
    public mutating func append(_ s: Bytes) {
        let start = buffer.count
        if let v = Self.canonicalInteger(s) {
            if v >= 0 && v <= 127 {
                buffer.append(UInt8(v))
            } else if v >= -4096 && v <= 4095 {
                let u = UInt64(bitPattern: v < 0 ? (1 << 13) + v : v)
                buffer.append(0xc0 | UInt8(u >> 8))
                buffer.append(UInt8(u & 0xff))
            } else if v >= -32768 && v <= 32767 {
                buffer.append(0xf1)
                littleEndian(UInt64(bitPattern: v), bytes: 2)
            } else if v >= -8_388_608 && v <= 8_388_607 {
                buffer.append(0xf2)
                littleEndian(UInt64(bitPattern: v), bytes: 3)
            } else if v >= -2_147_483_648 && v <= 2_147_483_647 {
                buffer.append(0xf3)
                littleEndian(UInt64(bitPattern: v), bytes: 4)
            } else {
                buffer.append(0xf4)
                littleEndian(UInt64(bitPattern: v), bytes: 8)
            }
        } else {
            let n = s.count
            if n < 64 {
                buffer.append(0x80 | UInt8(n))
            } else if n < 4096 {
                buffer.append(0xe0 | UInt8(n >> 8))
                buffer.append(UInt8(n & 0xff))
            } else {
                buffer.append(0xf0)
                littleEndian(UInt64(n), bytes: 4)
            }
            buffer.append(contentsOf: s)
        }
        let size = UInt64(buffer.count - start)
        // The entry's size in 7-bit groups, most significant first; all but the first flagged.
        let groups = ListpackEncoder.backlenBytes(Int(size))
        buffer.append(UInt8(truncatingIfNeeded: size >> (7 * UInt64(groups - 1))))
        for g in stride(from: groups - 2, through: 0, by: -1) {
            buffer.append(UInt8((size >> (7 * UInt64(g))) & 127) | 128)
        }
        count += 1
    }

    /// How many bytes the back-length of an entry of `size` bytes takes. The
    /// thresholds sit one below the powers of 128 (16383 takes three bytes),
    /// exactly as Redis writes them, so readers must use this too.
    public static func backlenBytes(_ size: Int) -> Int {
        size <= 127 ? 1 : size < 16383 ? 2 : size < 2_097_151 ? 3 : size < 268_435_455 ? 4 : 5
    }

    /// The finished blob: header (total bytes, entry count capped at 65535) and terminator.
    public mutating func finish() -> [UInt8] {
        buffer.append(0xff)
        let total = UInt32(buffer.count)
        for k in 0..<4 { buffer[k] = UInt8(truncatingIfNeeded: total >> (8 * UInt32(k))) }
        let n = UInt16(min(count, 65535))
        buffer[4] = UInt8(n & 0xff)
        buffer[5] = UInt8(n >> 8)
        return buffer
    }
}
