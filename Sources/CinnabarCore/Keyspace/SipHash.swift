import CSystem
import Glibc

/// SipHash-1-2 keyed with per-process random bytes: fast on short keys and
/// resistant to hash-flooding by clients that choose key names.
public enum KeyHash {
    nonisolated(unsafe) static var k0: UInt64 = 0x736f6d6570736575
    nonisolated(unsafe) static var k1: UInt64 = 0x646f72616e646f6d

    /// Seeds the hash from the kernel's random source. Call once, before any keyspace exists.
    public static func seedRandomly() {
        var seed: (UInt64, UInt64) = (0, 0)
        let n = withUnsafeMutableBytes(of: &seed) { getrandom($0.baseAddress, 16, 0) }
        if n == 16 {
            k0 = seed.0
            k1 = seed.1
        }
    }

    @inline(__always)
    static func rotl(_ x: UInt64, _ b: UInt64) -> UInt64 { (x << b) | (x >> (64 - b)) }

    @inline(__always)
    public static func hash(_ data: Bytes) -> UInt64 {
        hash(UnsafeRawPointer(data.baseAddress ?? UnsafePointer(bitPattern: 8)!), data.count)
    }

    public static func hash(_ bytes: [UInt8]) -> UInt64 {
        bytes.withBytes { hash($0) }
    }

    public static func hash(_ p: UnsafeRawPointer, _ len: Int) -> UInt64 {
        var v0: UInt64 = 0x736f6d6570736575 ^ k0
        var v1: UInt64 = 0x646f72616e646f6d ^ k1
        var v2: UInt64 = 0x6c7967656e657261 ^ k0
        var v3: UInt64 = 0x7465646279746573 ^ k1

        @inline(__always) func round() {
            v0 = v0 &+ v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32)
            v2 = v2 &+ v3; v3 = rotl(v3, 16); v3 ^= v2
            v0 = v0 &+ v3; v3 = rotl(v3, 21); v3 ^= v0
            v2 = v2 &+ v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32)
        }

        let blocks = len / 8
        var i = 0
        while i < blocks {
            let m = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
            v3 ^= m
            round()
            v0 ^= m
            i += 1
        }
        var b = UInt64(len & 0xff) << 56
        let tail = p + blocks * 8
        let left = len & 7
        if left > 0 {
            for j in 0..<left {
                b |= UInt64(tail.load(fromByteOffset: j, as: UInt8.self)) << (8 * UInt64(j))
            }
        }
        v3 ^= b
        round()
        v0 ^= b
        v2 ^= 0xff
        round()
        round()
        return v0 ^ v1 ^ v2 ^ v3
    }
}
