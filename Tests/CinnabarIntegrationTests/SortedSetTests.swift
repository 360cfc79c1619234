import CinnabarClient
import Foundation
import XCTest

/// Sorted sets over real sockets with clients spread over two event loops:
/// concurrent writers on one key and across keys (multi-key locking), and
/// blocking pops woken from another loop.
final class SortedSetTests: XCTestCase {
    /// Errors raised on worker threads.
    private final class Failures: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func add(_ e: Error) { lock.withLock { items.append("\(e)") } }
        var all: [String] { lock.withLock { items } }
    }

    private func raw(_ c: RedisConnection) throws -> String {
        String(decoding: try c.readRaw(), as: UTF8.self)
    }

    private func waitBlocked(_ c: RedisConnection, _ n: Int) throws {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if try c.rawText("INFO", "clients").contains("blocked_clients:\(n)\r\n") { return }
            usleep(5_000)
        }
        XCTFail("expected \(n) blocked clients")
    }

    func testConcurrentIncrementsFromTwoLoopsAddUp() throws {
        let s = try TestServer(["io-threads": "2"])
        let workers = 4, rounds = 300
        let group = DispatchGroup()
        let failures = Failures()
        for w in 0..<workers {
            let c = try s.connect()
            group.enter()
            Thread {
                defer { group.leave() }
                do {
                    for r in 0..<rounds {
                        // Every worker bumps the same ten members; unions read two keys others write.
                        _ = try c.pipeline([["ZINCRBY", "z", "1", "m\(r % 10)"], ["ZADD", "side\(w)", String(r), "x\(r)"],
                                            ["ZUNIONSTORE", "u\(w)", "2", "z", "side\(w)"]])
                    }
                } catch {
                    failures.add(error)
                }
            }.start()
        }
        group.wait()
        XCTAssertEqual(failures.all, [])
        let c = try s.connect()
        let expected = (0..<10).flatMap { ["m\($0)", String(workers * rounds / 10)] }
        XCTAssertEqual(try c.call("ZRANGE", "z", "0", "-1", "WITHSCORES"), .array(expected.map { .bulk(Array($0.utf8)) }))
        XCTAssertEqual(try c.call("ZCARD", "u0"), .integer(Int64(10 + rounds)))
    }

    func testBlockingPopsWokenFromAnotherLoop() throws {
        let s = try TestServer(["io-threads": "2"])
        let a = try s.connect(), b = try s.connect(), writer = try s.connect()
        try a.send(["BZPOPMIN", "z1", "z2", "0"])
        try waitBlocked(writer, 1)
        try b.send(["BZMPOP", "0", "1", "z2", "MAX", "COUNT", "2"])
        try waitBlocked(writer, 2)
        XCTAssertEqual(try writer.rawText("ZADD", "z2", "1", "a", "2", "b", "3", "c"), ":3\r\n")
        XCTAssertEqual(try raw(a), "*3\r\n$2\r\nz2\r\n$1\r\na\r\n$1\r\n1\r\n")
        XCTAssertEqual(try raw(b), "*2\r\n$2\r\nz2\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n")
        try waitBlocked(writer, 0)
        XCTAssertEqual(try writer.rawText("EXISTS", "z2"), ":0\r\n")
        // A timeout ends the wait with a null array.
        XCTAssertEqual(try a.rawText("BZPOPMAX", "nokey", "0.05"), "*-1\r\n")
    }

    func testSortWithPatternsWhileKeysChange() throws {
        let s = try TestServer(["io-threads": "2"])
        let setup = try s.connect()
        _ = try setup.pipeline((0..<100).map { ["RPUSH", "l", String($0)] })
        let writer = try s.connect(), sorter = try s.connect()
        let done = DispatchSemaphore(value: 0)
        let failures = Failures()
        Thread {
            defer { done.signal() }
            do {
                for r in 0..<200 { _ = try writer.pipeline((0..<100).map { ["SET", "w_\($0)", String(($0 * 7 + r) % 100)] }) }
            } catch {
                failures.add(error)
            }
        }.start()
        for _ in 0..<50 {
            guard case .array(let items) = try sorter.call("SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*") else {
                return XCTFail("SORT did not reply with an array")
            }
            XCTAssertEqual(items.count, 200)
            // Weights come from one consistent moment: they are sorted (missing ones count as 0).
            var previous = -1.0
            for i in stride(from: 1, to: items.count, by: 2) {
                guard case .bulk(let w) = items[i] else { continue }
                let v = Double(String(decoding: w, as: UTF8.self))!
                XCTAssertGreaterThanOrEqual(v, previous)
                previous = v
            }
        }
        done.wait()
        XCTAssertEqual(failures.all, [])
    }
}
