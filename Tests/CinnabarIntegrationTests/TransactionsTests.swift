import CinnabarClient
import Foundation
import XCTest

/// MULTI/EXEC and WATCH over real sockets with clients on different event
/// loops (connections are spread over the loops round-robin, so consecutive
/// connections land on different loops).
final class TransactionsTests: XCTestCase {
    private func text(_ v: RESPValue) -> String {
        if case .bulk(let b) = v { return String(decoding: b, as: UTF8.self) }
        if case .verbatim(_, let t) = v { return t }
        if case .simple(let s) = v { return s }
        return "\(v)"
    }

    func testWatchInvalidatedFromAnotherLoop() throws {
        let s = try TestServer(["io-threads": "2"])
        let a = try s.connect(), b = try s.connect()
        for (watcher, writer) in [(a, b), (b, a)] {
            try watcher.call("SET", "x", "1")
            try watcher.call("WATCH", "x")
            try writer.call("INCR", "x")
            guard case .integer(let id) = try watcher.call("CLIENT", "ID") else { return XCTFail("CLIENT ID") }
            let line = text(try writer.call("CLIENT", "LIST", "ID", String(id)))
            XCTAssertTrue(line.contains(" flags=d "), line)
            XCTAssertEqual(try watcher.call("MULTI"), .simple("OK"))
            XCTAssertEqual(try watcher.call("GET", "x"), .simple("QUEUED"))
            XCTAssertEqual(try watcher.rawText("EXEC"), "*-1\r\n")
            // An untouched WATCH lets the next transaction through.
            try watcher.call("WATCH", "x")
            try writer.call("SET", "other", "1")
            try watcher.call("MULTI")
            try watcher.call("GET", "x")
            XCTAssertEqual(try watcher.call("EXEC"), .array([.bulk(Array("2".utf8))]))
        }
    }

    func testDisconnectReleasesWatches() throws {
        let s = try TestServer(["io-threads": "2"])
        let a = try s.connect(), b = try s.connect()
        try a.call("WATCH", "k1", "k2", "k3")
        a.close()
        // Writes keep working and no watcher is left behind.
        for _ in 0..<50 {
            try b.call("SET", "k1", "v")
            if text(try b.call("CLIENT", "LIST")).split(separator: "\n").count == 1 { break }
            usleep(20_000)
        }
        try b.call("WATCH", "k1")
        try b.call("MULTI")
        try b.call("PING")
        XCTAssertEqual(try b.call("EXEC"), .array([.simple("PONG")]))
    }

    /// Writers on the other loop never see, nor interleave with, a transaction half done.
    func testExecIsAtomicAgainstConcurrentWriters() throws {
        let s = try TestServer(["io-threads": "2"])
        let tx = try s.connect()
        let writer = try s.connect()
        let reader = try s.connect()
        let stop = SharedFlag()
        let writerFailed = SharedFlag()
        let violation = SharedFlag()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) {
            do {
                var i = 0
                while !stop.isSet {
                    _ = try writer.pipeline([["SET", "k", "w\(i)"], ["INCR", "counter"], ["SET", "k2", "w\(i)"]])
                    i += 1
                }
            } catch { writerFailed.set() }
        }
        DispatchQueue.global().async(group: group) {
            // Only transactions write a and b, always together: never seen half done.
            while !stop.isSet {
                guard let r = try? reader.call("MGET", "a", "b"), case .array(let v) = r, v.count == 2 else { continue }
                if v[0] != v[1] { violation.set() }
            }
        }
        for i in 0..<300 {
            let replies = try tx.pipeline([["MULTI"], ["SET", "k", "tx\(i)"], ["INCR", "counter"], ["INCR", "counter"],
                                           ["GET", "k"], ["SET", "a", "tx\(i)"], ["SET", "b", "tx\(i)"], ["EXEC"]])
            guard case .array(let results) = replies[7], results.count == 6 else {
                XCTFail("unexpected EXEC reply \(replies[7])")
                break
            }
            XCTAssertEqual(results[3], .bulk(Array("tx\(i)".utf8)))
            if case .integer(let first) = results[1], case .integer(let second) = results[2] {
                XCTAssertEqual(second, first + 1, "a writer's INCR ran inside the transaction")
            } else {
                XCTFail("unexpected INCR replies \(results)")
            }
        }
        stop.set()
        group.wait()
        XCTAssertFalse(writerFailed.isSet)
        XCTAssertFalse(violation.isSet, "a transaction was seen half done")
    }

    func testMonitorShowsTransactions() throws {
        let s = try TestServer(["io-threads": "2"])
        let m = try s.connect(), c = try s.connect()
        XCTAssertEqual(try m.call("MONITOR"), .simple("OK"))
        _ = try c.pipeline([["MULTI"], ["SET", "a", "b"], ["GET", "a"], ["EXEC"], ["MULTI"], ["SET"], ["EXEC"]])
        var lines: [String] = []
        for _ in 0..<6 {
            let line = try m.readLine()
            lines.append(String(line.drop { $0 != "]" }.dropFirst(2)))
        }
        XCTAssertEqual(lines, [#""MULTI""#, #""SET" "a" "b""#, #""GET" "a""#, #""EXEC""#, #""MULTI""#, #""EXEC""#])
    }
}

/// A flag shared between test threads.
final class SharedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
