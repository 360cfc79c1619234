/// Decodes RESP2/RESP3 replies from a byte buffer, one value at a time.
public enum RESPDecoder {
    public enum Failure: Error, Equatable {
        case malformed(String)
    }

    /// Decodes one value starting at `start`. Returns the value and the index
    /// just past it, or nil when `bytes` does not yet hold a whole value.
    /// Attributes (`|`) are skipped and the value that follows is returned.
    public static func decode(_ bytes: [UInt8], from start: Int = 0) throws(Failure) -> (RESPValue, Int)? {
        var i = start
        return try value(bytes, &i).map { ($0, i) }
    }

    /// The index just past the line starting at `i` (after CRLF), or nil.
    static func lineEnd(_ b: [UInt8], _ i: Int) -> Int? {
        var j = i
        while j + 1 < b.count {
            if b[j] == 13 && b[j + 1] == 10 { return j }
            j += 1
        }
        return nil
    }

    static func line(_ b: [UInt8], _ i: inout Int) -> String? {
        guard let e = lineEnd(b, i) else { return nil }
        let s = String(decoding: b[i..<e], as: UTF8.self)
        i = e + 2
        return s
    }

    static func int(_ s: String) throws(Failure) -> Int64 {
        guard let v = Int64(s) else { throw .malformed("bad integer '\(s)'") }
        return v
    }

    static func value(_ b: [UInt8], _ i: inout Int) throws(Failure) -> RESPValue? {
        guard i < b.count else { return nil }
        let type = b[i]
        var j = i + 1
        guard let text = line(b, &j) else { return nil }
        switch type {
        case UInt8(ascii: "+"):
            i = j
            return .simple(text)
        case UInt8(ascii: "-"):
            i = j
            return .error(text)
        case UInt8(ascii: ":"):
            i = j
            return .integer(try int(text))
        case UInt8(ascii: "$"), UInt8(ascii: "="):
            let n = try int(text)
            if n < 0 { i = j; return .null }
            guard j + Int(n) + 2 <= b.count else { return nil }
            let payload = Array(b[j..<(j + Int(n))])
            i = j + Int(n) + 2
            if type == UInt8(ascii: "=") {
                let s = String(decoding: payload, as: UTF8.self)
                let format = String(s.prefix(3))
                return .verbatim(format: format, text: String(s.dropFirst(4)))
            }
            return .bulk(payload)
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"):
            let n = try int(text)
            if n < 0 { i = j; return .null }
            var items: [RESPValue] = []
            items.reserveCapacity(Int(n))
            for _ in 0..<n {
                guard let v = try value(b, &j) else { return nil }
                items.append(v)
            }
            i = j
            return type == UInt8(ascii: "*") ? .array(items) : type == UInt8(ascii: "~") ? .set(items) : .push(items)
        case UInt8(ascii: "%"), UInt8(ascii: "|"):
            let n = try int(text)
            var pairs: [(RESPValue, RESPValue)] = []
            for _ in 0..<n {
                guard let k = try value(b, &j), let v = try value(b, &j) else { return nil }
                pairs.append((k, v))
            }
            if type == UInt8(ascii: "|") {
                // An attribute precedes the real reply.
                guard let real = try value(b, &j) else { return nil }
                i = j
                return real
            }
            i = j
            return .map(pairs)
        case UInt8(ascii: "_"):
            i = j
            return .null
        case UInt8(ascii: ","):
            i = j
            switch text {
            case "inf": return .double(.infinity)
            case "-inf": return .double(-.infinity)
            case "nan": return .double(.nan)
            default:
                guard let d = Double(text) else { throw .malformed("bad double '\(text)'") }
                return .double(d)
            }
        case UInt8(ascii: "#"):
            i = j
            return .bool(text == "t")
        case UInt8(ascii: "("):
            i = j
            return .bigNumber(text)
        default:
            throw .malformed("unexpected type byte \(type)")
        }
    }
}

extension RESPValue {
    /// The text of a bulk, simple, verbatim or big-number value.
    public var string: String? {
        switch self {
        case .bulk(let b): return String(decoding: b, as: UTF8.self)
        case .simple(let s), .bigNumber(let s): return s
        case .verbatim(_, let t): return t
        case .integer(let n): return String(n)
        case .double(let d): return String(d)
        default: return nil
        }
    }

    public var int: Int64? {
        if case .integer(let n) = self { return n }
        return nil
    }

    /// Elements of an array, set or push.
    public var array: [RESPValue]? {
        switch self {
        case .array(let a), .set(let a), .push(let a): return a
        default: return nil
        }
    }

    public var isNull: Bool { self == .null }

    /// Bulk strings of an array, as strings (nil elements become "").
    public var strings: [String]? { array?.map { $0.string ?? "" } }
}
