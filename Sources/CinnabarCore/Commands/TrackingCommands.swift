import CSystem
import Glibc

/// The client-side caching subcommands of CLIENT: TRACKING, CACHING,
/// GETREDIR, TRACKINGINFO (registered with the other CLIENT subcommands in
/// ConnectionCommands; the machinery is in Server/Tracking.swift).
enum TrackingCommands {
    /// CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p]... [OPTIN] [OPTOUT] [NOLOOP].
    /// Options are parsed (and REDIRECT's target checked) before ON/OFF, as Redis does.
    static func tracking(_ c: Client) {
        let tracking = c.server.tracking
        var redirect: Int64 = 0
        var bcast = false, optin = false, optout = false, noloop = false
        var prefixes: [[UInt8]] = []
        var j = 3
        while j < c.argc {
            let more = c.argc - 1 - j
            let opt = c.arg(j)
            if opt.equalsIgnoringCase("redirect") && more > 0 {
                j += 1
                if redirect != 0 {
                    c.fail(.custom("ERR A client can only redirect to a single other client"))
                    return
                }
                guard let id = Numbers.parseInt64(c.arg(j)) else {
                    c.fail(.notInteger)
                    return
                }
                redirect = id
                // The target must exist now; it may leave later (the redirection then breaks).
                if tracking.liveClient(id) == nil {
                    c.fail(.custom("ERR The client ID you want redirect to does not exist"))
                    return
                }
            } else if opt.equalsIgnoringCase("bcast") {
                bcast = true
            } else if opt.equalsIgnoringCase("optin") {
                optin = true
            } else if opt.equalsIgnoringCase("optout") {
                optout = true
            } else if opt.equalsIgnoringCase("noloop") {
                noloop = true
            } else if opt.equalsIgnoringCase("prefix") && more > 0 {
                j += 1
                prefixes.append(Array(c.arg(j)))
            } else {
                c.fail(.syntax)
                return
            }
            j += 1
        }
        let mode = c.arg(2)
        if mode.equalsIgnoringCase("on") {
            if !bcast && !prefixes.isEmpty {
                c.fail(.custom("ERR PREFIX option requires BCAST mode to be enabled"))
                return
            }
            if c.flags.contains(.tracking) && c.flags.contains(.trackingBcast) != bcast {
                c.fail(.custom("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."))
                return
            }
            if bcast && (optin || optout) {
                c.fail(.custom("ERR OPTIN and OPTOUT are not compatible with BCAST"))
                return
            }
            if optin && optout {
                c.fail(.custom("ERR You can't specify both OPTIN mode and OPTOUT mode"))
                return
            }
            if (optin && c.flags.contains(.trackingOptout)) || (optout && c.flags.contains(.trackingOptin)) {
                c.fail(.custom("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."))
                return
            }
            if bcast && !prefixesAccepted(c, prefixes) { return }
            tracking.enable(c, redirect: redirect, bcast: bcast, optin: optin, optout: optout, noloop: noloop, prefixes: prefixes)
        } else if mode.equalsIgnoringCase("off") {
            tracking.disable(c)
        } else {
            c.fail(.syntax)
            return
        }
        c.reply.ok()
    }

    /// Prefixes of one client must not overlap (one a prefix of another),
    /// whether new against existing or new against new. Replies the error
    /// when they do. Like Redis 7.0, a clash found between two new prefixes
    /// when the first of them is not the first given is reported and yet
    /// accepted: the error is followed by tracking being enabled and +OK.
    private static func prefixesAccepted(_ c: Client, _ prefixes: [[UInt8]]) -> Bool {
        let existing = c.server.tracking.prefixes(of: c)
        for i in prefixes.indices {
            for e in existing where overlap(e, prefixes[i]) {
                overlapError(c, prefixes[i], "an existing prefix", e)
                return false
            }
            for k in (i + 1)..<max(i + 1, prefixes.count) where overlap(prefixes[i], prefixes[k]) {
                overlapError(c, prefixes[i], "another provided prefix", prefixes[k])
                return i != 0
            }
        }
        return true
    }

    private static func overlap(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        let n = min(a.count, b.count)
        return a[0..<n] == b[0..<n]
    }

    private static func overlapError(_ c: Client, _ prefix: [UInt8], _ what: String, _ other: [UInt8]) {
        // The names are printed as C strings, so they end at a NUL byte.
        func shown(_ b: [UInt8]) -> [UInt8] { Array(b.prefix { $0 != 0 }) }
        let text = Array("ERR Prefix '".utf8) + shown(prefix) + Array("' overlaps with \(what) '".utf8) + shown(other)
            + Array("'. Prefixes for a single client must not overlap.".utf8)
        c.replyError(bytes: text)
    }

    /// CLIENT CACHING YES|NO: in OPTIN mode YES tracks the next command's
    /// keys; in OPTOUT mode NO leaves them untracked.
    static func caching(_ c: Client) {
        guard c.flags.contains(.tracking) else {
            c.fail(.custom("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"))
            return
        }
        let opt = c.arg(2)
        if opt.equalsIgnoringCase("yes") {
            guard c.flags.contains(.trackingOptin) else {
                c.fail(.custom("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."))
                return
            }
        } else if opt.equalsIgnoringCase("no") {
            guard c.flags.contains(.trackingOptout) else {
                c.fail(.custom("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."))
                return
            }
        } else {
            c.fail(.syntax)
            return
        }
        c.flags.insert(.trackingCaching)
        c.reply.ok()
    }

    /// CLIENT GETREDIR: the redirection id, 0 for none, -1 when not tracking.
    static func getRedirect(_ c: Client) {
        c.reply.integer(Tracking.redirectShown(c))
    }

    /// CLIENT TRACKINGINFO: flags (a set), redirect, prefixes.
    static func trackingInfo(_ c: Client) {
        let f = c.flags
        var flags: [StaticString] = [f.contains(.tracking) ? "on" : "off"]
        if f.contains(.trackingBcast) { flags.append("bcast") }
        if f.contains(.trackingOptin) {
            flags.append("optin")
            if f.contains(.trackingCaching) { flags.append("caching-yes") }
        }
        if f.contains(.trackingOptout) {
            flags.append("optout")
            if f.contains(.trackingCaching) { flags.append("caching-no") }
        }
        if f.contains(.trackingNoloop) { flags.append("noloop") }
        if f.contains(.trackingBrokenRedirect) { flags.append("broken_redirect") }
        c.reply.mapHeader(3)
        c.reply.bulk("flags")
        c.reply.setHeader(flags.count)
        for name in flags { c.reply.bulk(name) }
        c.reply.bulk("redirect")
        c.reply.integer(Tracking.redirectShown(c))
        c.reply.bulk("prefixes")
        let prefixes = c.server.tracking.prefixes(of: c)
        c.reply.arrayHeader(prefixes.count)
        for p in prefixes { c.reply.bulk(p) }
    }
}
