import CinnabarCore
import XCTest

/// The listpack writer and reader agree on every entry-size boundary, and the
/// back-length sizes are Redis's (a 16383-byte entry takes three bytes).
final class ListpackTests: XCTestCase {
    func testBacklenThresholdsAsRedis() {
        XCTAssertEqual(ListpackEncoder.backlenBytes(127), 1)
        XCTAssertEqual(ListpackEncoder.backlenBytes(128), 2)
        XCTAssertEqual(ListpackEncoder.backlenBytes(16382), 2)
        XCTAssertEqual(ListpackEncoder.backlenBytes(16383), 3)
        XCTAssertEqual(ListpackEncoder.backlenBytes(2_097_150), 3)
        XCTAssertEqual(ListpackEncoder.backlenBytes(2_097_151), 4)
    }

    func testRoundTripAcrossEntrySizes() throws {
        // String lengths whose entries (header + data) land on each side of the
        // back-length thresholds, plus integers of every width.
        let lengths = [0, 1, 62, 63, 64, 124, 125, 126, 127, 4094, 4095, 4096, 16376, 16377, 16378, 16379, 70000]
        let strings: [[UInt8]] = lengths.map { n in (0..<n).map { UInt8(97 + $0 % 26) } }
        let ints: [Int64] = [0, 127, -1, 4095, -4096, 32767, -32768, 8_388_607, -8_388_608,
                             2_147_483_647, -2_147_483_648, Int64.max, Int64.min]
        var lp = ListpackEncoder()
        for s in strings { s.withBytes { lp.append($0) } }
        for v in ints { Array(String(v).utf8).withBytes { lp.append($0) } }
        let blob = lp.finish()
        var seen: [[UInt8]] = []
        try blob.withBytes { b in
            try CompactEncodings.listpack(b) { seen.append($0.array) }
        }
        XCTAssertEqual(seen, strings + ints.map { Array(String($0).utf8) })
    }
}
