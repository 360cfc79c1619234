import CinnabarCore
import XCTest

/// One command of a sequence and the exact reply Redis 7.0.15 gave to it
/// when the same sequence ran there (on an empty database, default settings).
struct RecordedStep {
    enum Reply {
        case bytes([UInt8])
        /// A long reply, known by its length and 64-bit FNV-1a hash.
        case digest(length: Int, fnv: UInt64)
        /// A reply that legitimately differs between servers (HELLO's client id).
        case unchecked
    }

    let args: [[UInt8]]
    let reply: Reply
}

/// Arguments given as text.
func words(_ w: String...) -> [[UInt8]] { w.map { Array($0.utf8) } }

/// Bytes written as hex digits.
func hexBytes(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    out.reserveCapacity(s.utf8.count / 2)
    var high: UInt8?
    for ch in s.utf8 {
        let v: UInt8 = ch <= 57 ? ch - 48 : (ch | 0x20) - 87
        if let h = high {
            out.append(h << 4 | v)
            high = nil
        } else {
            high = v
        }
    }
    return out
}

/// A step whose reply is text.
func step(_ args: [[UInt8]], _ reply: String) -> RecordedStep {
    RecordedStep(args: args, reply: .bytes(Array(reply.utf8)))
}

/// A step whose reply holds binary data, given as hex.
func stepHex(_ args: [[UInt8]], _ reply: String) -> RecordedStep {
    RecordedStep(args: args, reply: .bytes(hexBytes(reply)))
}

/// A step with a long reply, checked by length and FNV-1a hash.
func stepDigest(_ args: [[UInt8]], length: Int, fnv: UInt64) -> RecordedStep {
    RecordedStep(args: args, reply: .digest(length: length, fnv: fnv))
}

/// A step whose reply is not compared.
func stepUnchecked(_ args: [[UInt8]]) -> RecordedStep {
    RecordedStep(args: args, reply: .unchecked)
}

func fnv1a64(_ bytes: [UInt8]) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in bytes {
        h ^= UInt64(b)
        h = h &* 0x100_0000_01b3
    }
    return h
}

extension Harness {
    /// Runs `steps` in order on this harness's client and fails on any byte
    /// of difference from the recorded replies.
    func replay(_ steps: [RecordedStep], file: StaticString = #filePath, line: UInt = #line) {
        for st in steps {
            let got = runBytes(st.args)
            let command = st.args.map { String(decoding: $0.prefix(40), as: UTF8.self) }.joined(separator: " ")
            switch st.reply {
            case .bytes(let expected):
                if got != expected {
                    XCTFail("""
                        \(command)
                          expected: \(String(decoding: expected.prefix(300), as: UTF8.self).debugDescription)
                          got:      \(String(decoding: got.prefix(300), as: UTF8.self).debugDescription)
                        """, file: file, line: line)
                }
            case .digest(let length, let fnv):
                if got.count != length || fnv1a64(got) != fnv {
                    XCTFail("\(command): reply of \(got.count) bytes differs from Redis's \(length)", file: file, line: line)
                }
            case .unchecked:
                break
            }
        }
    }
}
