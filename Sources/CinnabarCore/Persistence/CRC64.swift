/// CRC-64 with the Jones polynomial, reflected (the checksum of RDB files and
/// DUMP payloads). Check value of "123456789" is 0xe9c6d914c4b8d9ca.
public enum CRC64 {
    static let table: [UInt64] = {
        let poly: UInt64 = 0x95AC_9329_AC4B_C9B5  // 0xad93d23594c935a9 bit-reversed
        return (0..<256).map { i -> UInt64 in
            var c = UInt64(i)
            for _ in 0..<8 { c = c & 1 != 0 ? (c >> 1) ^ poly : c >> 1 }
            return c
        }
    }()

    /// Continues `crc` over `data`.
    public static func update(_ crc: UInt64, _ data: UnsafeRawBufferPointer) -> UInt64 {
        var c = crc
        table.withUnsafeBufferPointer { t in
            for b in data { c = t[Int((c ^ UInt64(b)) & 0xff)] ^ (c >> 8) }
        }
        return c
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt64 {
        bytes.withUnsafeBytes { update(0, $0) }
    }
}
