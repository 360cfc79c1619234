/// SHA-1, for script cache keys (EVALSHA) and `redis.sha1hex`. Not used for security.
public enum SHA1 {
    /// The 40-character lowercase hex digest of `data`.
    public static func hex(_ data: UnsafeRawBufferPointer) -> [UInt8] {
        let d = digest(data)
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8](repeating: 0, count: 40)
        for (i, w) in d.enumerated() {
            for j in 0..<8 {
                out[i * 8 + j] = digits[Int((w >> (28 - 4 * UInt32(j))) & 0xf)]
            }
        }
        return out
    }

    public static func hex(_ bytes: [UInt8]) -> [UInt8] {
        bytes.withUnsafeBytes { hex($0) }
    }

    public static func hexString(_ s: String) -> String {
        String(decoding: hex(Array(s.utf8)), as: UTF8.self)
    }

    static func digest(_ data: UnsafeRawBufferPointer) -> [UInt32] {
        var h: (UInt32, UInt32, UInt32, UInt32, UInt32) = (0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0)
        var w = [UInt32](repeating: 0, count: 80)
        let n = data.count
        let totalBlocks = (n + 8) / 64 + 1
        var block = [UInt8](repeating: 0, count: 64)
        for b in 0..<totalBlocks {
            for i in 0..<64 {
                let pos = b * 64 + i
                if pos < n {
                    block[i] = data[pos]
                } else if pos == n {
                    block[i] = 0x80
                } else {
                    block[i] = 0
                }
            }
            if b == totalBlocks - 1 {
                let bits = UInt64(n) * 8
                for i in 0..<8 { block[56 + i] = UInt8((bits >> (56 - 8 * UInt64(i))) & 0xff) }
            }
            for i in 0..<16 {
                w[i] = UInt32(block[i * 4]) << 24 | UInt32(block[i * 4 + 1]) << 16 | UInt32(block[i * 4 + 2]) << 8 | UInt32(block[i * 4 + 3])
            }
            for i in 16..<80 {
                let x = w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]
                w[i] = (x << 1) | (x >> 31)
            }
            var (a, bb, c, d, e) = h
            for i in 0..<80 {
                let f: UInt32, k: UInt32
                switch i {
                case 0..<20: f = (bb & c) | (~bb & d); k = 0x5A827999
                case 20..<40: f = bb ^ c ^ d; k = 0x6ED9EBA1
                case 40..<60: f = (bb & c) | (bb & d) | (c & d); k = 0x8F1BBCDC
                default: f = bb ^ c ^ d; k = 0xCA62C1D6
                }
                let t = ((a << 5) | (a >> 27)) &+ f &+ e &+ k &+ w[i]
                e = d
                d = c
                c = (bb << 30) | (bb >> 2)
                bb = a
                a = t
            }
            h = (h.0 &+ a, h.1 &+ bb, h.2 &+ c, h.3 &+ d, h.4 &+ e)
        }
        return [h.0, h.1, h.2, h.3, h.4]
    }
}
