import CinnabarClient
import Foundation
import Synchronization
import XCTest

/// The headline use: the inventory library of `Scripts/functions/inventory.lua`
/// called from many concurrent clients on every loop thread.
final class InventoryTests: XCTestCase {
    private static let library: String = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("Scripts/functions/inventory.lua"), encoding: .utf8)) ?? ""
    }()

    private static let skus = ["apple", "pear", "plum"]
    private static let initialStock = 300

    /// What the clients were told: reservations acknowledged and not released since.
    private final class Ledger: @unchecked Sendable {
        let lock = NSLock()
        var held: [String: (sku: String, qty: Int)] = [:]
        /// Releases sent and not yet acknowledged (at a crash they may or may not have happened).
        var releasing: Set<String> = []
        var outOfStock = 0
        var duplicates = 0
        var unexpected: [String] = []
        /// Set to end the run early (the crash test).
        let stop = Atomic<Bool>(false)

        func record(_ body: (Ledger) -> Void) {
            lock.lock()
            body(self)
            lock.unlock()
        }
    }

    /// `clients` threads reserve (and sometimes release) until every sku is
    /// exhausted or `stop` is set; returns when all have finished.
    private func runShoppers(port: Int, clients: Int, ledger: Ledger) {
        let group = DispatchGroup()
        for w in 0..<clients {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                guard let c = try? RedisConnection(port: port, timeout: 10) else {
                    ledger.record { $0.unexpected.append("client \(w) could not connect") }
                    return
                }
                var rng = SystemRandomNumberGenerator()
                var mine: [String] = []
                var exhausted = Set<String>()
                var n = 0
                while exhausted.count < Self.skus.count && !ledger.stop.load(ordering: .relaxed) {
                    n += 1
                    // Every fifth step cancels one of this client's own reservations.
                    if n % 5 == 0, let order = mine.popLast() {
                        ledger.record { _ = $0.releasing.insert(order) }
                        do {
                            _ = try c.call("FCALL", "release", "3", "stock", "orders", "audit", order)
                            ledger.record { $0.held[order] = nil; $0.releasing.remove(order) }
                        } catch let e as RESPError {
                            ledger.record { $0.unexpected.append("release \(order): \(e.message)") }
                        } catch { return }
                        continue
                    }
                    let sku = Self.skus[Int.random(in: 0..<Self.skus.count, using: &rng)]
                    let qty = Int.random(in: 1...4, using: &rng)
                    // Every tenth order id collides with one another client also uses.
                    let order = n % 10 == 3 ? "shared-\(n)" : "c\(w)-\(n)"
                    do {
                        let left = try c.call("FCALL", "reserve", "3", "stock", "orders", "audit", sku, String(qty), order)
                        if (left.int ?? -1) < 0 {
                            ledger.record { $0.unexpected.append("reserve replied \(left)") }
                        }
                        ledger.record { $0.held[order] = (sku, qty) }
                        if !order.hasPrefix("shared-") { mine.append(order) }
                    } catch let e as RESPError {
                        if e.message.hasPrefix("OUTOFSTOCK") {
                            ledger.record { $0.outOfStock += 1 }
                            // Small quantities may still fit; give up on a sku only when even one unit is refused.
                            if e.message.contains(" has 0 units") { exhausted.insert(sku) }
                        } else if e.message.hasPrefix("DUPLICATE") {
                            ledger.record { $0.duplicates += 1 }
                        } else {
                            ledger.record { $0.unexpected.append("reserve: \(e.message)") }
                        }
                    } catch { return }
                }
            }
        }
        group.wait()
    }

    /// Stock plus live reservations equals what was stocked, for every sku; the
    /// orders hash holds exactly the reservations the clients were told about.
    private func checkConsistent(_ c: RedisConnection, ledger: Ledger, allowUnacknowledged: Bool) throws {
        let ordersReply = try c.call("HGETALL", "orders").array ?? []
        var orders: [String: (sku: String, qty: Int)] = [:]
        var i = 0
        while i + 1 < ordersReply.count {
            let parts = (ordersReply[i + 1].string ?? "").split(separator: " ")
            orders[ordersReply[i].string ?? ""] = (String(parts[0]), Int(parts[1]) ?? 0)
            i += 2
        }
        for sku in Self.skus {
            let left = Int(try c.call("FCALL_RO", "available", "1", "stock", sku).int ?? -1)
            XCTAssertGreaterThanOrEqual(left, 0, "\(sku) oversold")
            let reserved = orders.values.filter { $0.sku == sku }.reduce(0) { $0 + $1.qty }
            XCTAssertEqual(left + reserved, Self.initialStock, "\(sku): stock \(left) + reserved \(reserved)")
        }
        for (order, held) in ledger.held where !(allowUnacknowledged && ledger.releasing.contains(order) && orders[order] == nil) {
            XCTAssertEqual(orders[order]?.sku, held.sku, "acknowledged order \(order) missing")
            XCTAssertEqual(orders[order]?.qty, held.qty, "acknowledged order \(order) changed")
        }
        if !allowUnacknowledged {
            XCTAssertEqual(orders.count, ledger.held.count, "orders nobody was told about")
        }
    }

    private func stockUp(_ c: RedisConnection) throws {
        XCTAssertEqual(try c.call("FUNCTION", "LOAD", Self.library), .bulk(Array("inventory".utf8)))
        for sku in Self.skus {
            XCTAssertEqual(try c.call("FCALL", "restock", "1", "stock", sku, String(Self.initialStock)),
                           .integer(Int64(Self.initialStock)))
        }
    }

    func testConcurrentReservationsNeverOversell() throws {
        let s = try TestServer(["io-threads": "2"])
        let c = try s.connect()
        try stockUp(c)
        let ledger = Ledger()
        runShoppers(port: s.port, clients: 16, ledger: ledger)
        XCTAssertEqual(ledger.unexpected, [])
        XCTAssertGreaterThan(ledger.outOfStock, 0, "the run should have exhausted the stock")
        try checkConsistent(c, ledger: ledger, allowUnacknowledged: false)
        // Every successful reserve and release left one audit line.
        let audit = try c.call("LRANGE", "audit", "0", "-1").array ?? []
        let reserves = audit.filter { $0.string?.hasPrefix("reserve ") == true }.count
        let releases = audit.filter { $0.string?.hasPrefix("release ") == true }.count
        XCTAssertEqual(reserves - releases, ledger.held.count)
        // Writes are refused through FCALL_RO, and a bad quantity changes nothing.
        XCTAssertThrowsError(try c.call("FCALL_RO", "reserve", "3", "stock", "orders", "audit", "apple", "1", "x")) { e in
            XCTAssertEqual((e as? RESPError)?.message, "ERR Can not execute a script with write flag using *_ro command.")
        }
        XCTAssertThrowsError(try c.call("FCALL", "reserve", "3", "stock", "orders", "audit", "apple", "-2", "y")) { e in
            XCTAssertEqual((e as? RESPError)?.message, "ERR quantity must be a positive integer")
        }
        try checkConsistent(c, ledger: ledger, allowUnacknowledged: false)
    }

    /// kill -9 in the middle of the run under appendfsync always: after the
    /// restart the library is loaded and every acknowledged reservation is there.
    func testReservationsSurviveKillNine() throws {
        let dir = try TestServer.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let settings = ["appendonly": "yes", "appendfsync": "always"]
        let ledger = Ledger()
        do {
            let s = try TestServer(settings, mode: .binary, dir: dir)
            try stockUp(try s.connect())
            let port = s.port
            let done = DispatchSemaphore(value: 0)
            Thread.detachNewThread {
                self.runShoppers(port: port, clients: 8, ledger: ledger)
                done.signal()
            }
            usleep(300_000)
            s.crash()
            ledger.stop.store(true, ordering: .relaxed)
            done.wait()
        }
        XCTAssertGreaterThan(ledger.held.count, 0, "no reservation was acknowledged before the crash")
        let s = try TestServer(settings, mode: .binary, dir: dir)
        let c = try s.connect()
        let libs = try c.call("FUNCTION", "LIST").array ?? []
        XCTAssertEqual(libs.count, 1, "the library did not survive")
        // The reservation in flight at the crash may have reached the disk unacknowledged.
        try checkConsistent(c, ledger: ledger, allowUnacknowledged: true)
        // Not a leftover: the restarted server keeps serving reservations.
        let before = Int(try c.call("FCALL_RO", "available", "1", "stock", "pear").int ?? 0)
        if before > 0 {
            XCTAssertEqual(try c.call("FCALL", "reserve", "3", "stock", "orders", "audit", "pear", "1", "after-restart"),
                           .integer(Int64(before - 1)))
        }
    }
}
