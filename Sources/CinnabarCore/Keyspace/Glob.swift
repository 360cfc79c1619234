/// Redis's glob-style patterns (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET):
/// `*`, `?`, `[abc]`, `[^a-z]`, and `\` escapes, optionally case-insensitive.
public enum Glob {
    /// True when `string` matches `pattern`.
    public static func matches(_ pattern: Bytes, _ string: Bytes, nocase: Bool = false) -> Bool {
        var skipLonger = false
        return match(pattern, 0, string, 0, nocase, &skipLonger)
    }

    public static func matches(_ pattern: String, _ string: String, nocase: Bool = false) -> Bool {
        Array(pattern.utf8).withBytes { p in Array(string.utf8).withBytes { s in matches(p, s, nocase: nocase) } }
    }

    /// True when a pattern matches everything (`*`), letting callers skip matching.
    public static func isMatchAll(_ pattern: Bytes) -> Bool {
        pattern.count == 1 && pattern[0] == 42
    }

    @inline(__always)
    static func lower(_ c: UInt8) -> UInt8 { c >= 65 && c <= 90 ? c | 0x20 : c }

    /// `skipLonger` implements the early exit after a failed `*`: once the rest
    /// of the pattern matched nowhere in the remaining string, earlier stars
    /// cannot help either, which keeps matching polynomial.
    private static func match(_ p: Bytes, _ pStart: Int, _ s: Bytes, _ sStart: Int, _ nocase: Bool, _ skipLonger: inout Bool) -> Bool {
        var pi = pStart, si = sStart
        let pn = p.count, sn = s.count
        while pi < pn && si < sn {
            switch p[pi] {
            case 42:  // '*'
                while pi + 1 < pn && p[pi + 1] == 42 { pi += 1 }
                if pi == pn - 1 { return true }
                while si < sn {
                    if match(p, pi + 1, s, si, nocase, &skipLonger) { return true }
                    if skipLonger { return false }
                    si += 1
                }
                skipLonger = true
                return false
            case 63:  // '?'
                si += 1
            case 91:  // '['
                pi += 1
                let negate = pi < pn && p[pi] == 94
                if negate { pi += 1 }
                var matched = false
                let c = s[si]
                while true {
                    if pi >= pn {
                        pi -= 1
                        break
                    }
                    if p[pi] == 92 && pn - pi >= 2 {
                        pi += 1
                        if p[pi] == c { matched = true }
                    } else if p[pi] == 93 {
                        break
                    } else if pn - pi >= 3 && p[pi + 1] == 45 {
                        var lo = p[pi], hi = p[pi + 2], x = c
                        if lo > hi { swap(&lo, &hi) }
                        if nocase { lo = lower(lo); hi = lower(hi); x = lower(x) }
                        if x >= lo && x <= hi { matched = true }
                        pi += 2
                    } else if nocase ? lower(p[pi]) == lower(c) : p[pi] == c {
                        matched = true
                    }
                    pi += 1
                }
                if negate { matched = !matched }
                if !matched { return false }
                si += 1
            default:
                if p[pi] == 92 && pn - pi >= 2 { pi += 1 }
                let a = p[pi], b = s[si]
                if nocase ? lower(a) != lower(b) : a != b { return false }
                si += 1
            }
            pi += 1
            if si == sn {
                while pi < pn && p[pi] == 42 { pi += 1 }
                break
            }
        }
        return pi == pn && si == sn
    }
}
