@testable import CinnabarCore
import XCTest

final class DictTests: XCTestCase {
    private func key(_ i: Int) -> [UInt8] { Array("key:\(i)".utf8) }

    private func insert(_ d: Dict, _ i: Int, expireAt: Int64 = 0) {
        let k = key(i)
        k.withBytes { kb in
            let value = Array("value:\(i)".utf8)
            let e = value.withBytes { Entry.makeString(key: kb, value: $0) }
            e.expireAt = expireAt
            d.insert(e, hash: KeyHash.hash(kb))
        }
    }

    private func find(_ d: Dict, _ i: Int) -> Entry? {
        key(i).withBytes { d.find($0, hash: KeyHash.hash($0)) }
    }

    /// Removes and frees; returns whether the key was there.
    @discardableResult
    private func remove(_ d: Dict, _ i: Int) -> Bool {
        key(i).withBytes { kb in
            guard let e = d.remove(kb, hash: KeyHash.hash(kb)) else { return false }
            e.free()
            return true
        }
    }

    private func assertContents(_ d: Dict, _ expected: Set<Int>, upTo n: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(d.count, expected.count, file: file, line: line)
        for i in 0..<n {
            let e = find(d, i)
            if expected.contains(i) {
                guard let e else { XCTFail("key \(i) missing", file: file, line: line); return }
                XCTAssertEqual(Array(e.key), key(i), file: file, line: line)
                XCTAssertEqual(Array(e.string), Array("value:\(i)".utf8), file: file, line: line)
            } else if e != nil {
                XCTFail("key \(i) should be absent", file: file, line: line)
                return
            }
        }
        var seen = 0
        d.forEach { _ in seen += 1; return true }
        XCTAssertEqual(seen, expected.count, "forEach", file: file, line: line)
    }

    func testGrowWithRehashInProgress() {
        let d = Dict()
        var present = Set<Int>()
        var sawRehash = false
        for i in 0..<20_000 {
            insert(d, i)
            present.insert(i)
            if d.isRehashing {
                sawRehash = true
                // Lookups and removals must see both tables mid-rehash.
                if i % 7 == 0, let victim = present.randomElement() {
                    XCTAssertNotNil(find(d, victim))
                    XCTAssertTrue(remove(d, victim))
                    present.remove(victim)
                }
            }
        }
        XCTAssertTrue(sawRehash)
        assertContents(d, present, upTo: 20_000)
        while d.rehash(buckets: 100) {}
        XCTAssertFalse(d.isRehashing)
        XCTAssertGreaterThanOrEqual(d.t0.size, d.count)
        assertContents(d, present, upTo: 20_000)
    }

    func testShrinkWithRehashInProgress() {
        let d = Dict()
        for i in 0..<10_000 { insert(d, i) }
        while d.rehash(buckets: 100) {}
        let bigSize = d.t0.size
        var present = Set(0..<10_000)
        for i in 0..<9_500 { XCTAssertTrue(remove(d, i)); present.remove(i) }
        d.shrinkIfNeeded()
        XCTAssertTrue(d.isRehashing, "under 10% full starts a shrink")
        // Work against the dictionary while it shrinks: inserts, finds, removes.
        var next = 10_000
        var steps = 0
        while d.isRehashing {
            insert(d, next); present.insert(next); next += 1
            if let victim = present.first(where: { $0 % 3 == 0 }) { XCTAssertTrue(remove(d, victim)); present.remove(victim) }
            d.rehash(buckets: 1)
            steps += 1
            XCTAssertLessThan(steps, 100_000)
        }
        XCTAssertLessThan(d.t0.size, bigSize)
        assertContents(d, present, upTo: next)
        // Removing the rest leaves an empty, usable dictionary.
        for i in present { XCTAssertTrue(remove(d, i)) }
        XCTAssertEqual(d.count, 0)
        XCTAssertNil(find(d, 1))
        insert(d, 1)
        XCTAssertNotNil(find(d, 1))
    }

    func testRemoveAbsentAndReplace() {
        let d = Dict()
        XCTAssertFalse(remove(d, 5), "empty dictionary")
        for i in 0..<100 { insert(d, i) }
        XCTAssertFalse(remove(d, 1_000))
        // replace: same key, new entry, expiry bookkeeping follows.
        key(7).withBytes { kb in
            let h = KeyHash.hash(kb)
            let old = d.find(kb, hash: h)!
            let new = Array("other".utf8).withBytes { Entry.makeString(key: kb, value: $0) }
            new.expireAt = 123
            d.replace(old, with: new, hash: h)
            old.free()
            XCTAssertEqual(Array(d.find(kb, hash: h)!.string), Array("other".utf8))
            XCTAssertEqual(d.volatile.count, 1)
            let grown = d.reallocate(new, key: kb, hash: h, size: 4096)
            XCTAssertEqual(Array(d.find(kb, hash: h)!.string), Array("other".utf8))
            XCTAssertEqual(d.volatile.random(), grown.raw, "the expiry set follows a moved entry")
            let previous = grown.expireAt
            grown.expireAt = 0
            d.expiryChanged(grown, previous: previous)
            XCTAssertEqual(d.volatile.count, 0)
        }
        XCTAssertEqual(d.count, 100)
    }

    func testVolatileTracksExpiringEntries() {
        let d = Dict()
        for i in 0..<1_000 { insert(d, i, expireAt: i % 2 == 0 ? 1_000 + Int64(i) : 0) }
        XCTAssertEqual(d.volatile.count, 500)
        for i in 0..<100 { remove(d, i) }
        XCTAssertEqual(d.volatile.count, 450)
        for _ in 0..<100 {
            let e = Entry(d.volatile.random()!)
            XCTAssertNotEqual(e.expireAt, 0)
        }
        let moved = d.takeAll()
        XCTAssertEqual(d.count, 0)
        XCTAssertEqual(d.volatile.count, 0)
        XCTAssertEqual(moved.count, 900)
        XCTAssertEqual(moved.volatile.count, 450)
        XCTAssertNotNil(find(moved, 500))
        XCTAssertNil(find(d, 500))
    }

    // MARK: SCAN

    /// Runs a whole SCAN, calling `between` after every step; returns every key index reported.
    private func fullScan(_ d: Dict, between: (Int) -> Void) -> [Int] {
        var cursor: UInt64 = 0
        var reported: [Int] = []
        var step = 0
        repeat {
            cursor = d.scan(cursor: cursor) { e in
                reported.append(Int(String(decoding: e.key.dropFirst(4), as: UTF8.self))!)
            }
            between(step)
            step += 1
            if step > 200_000 { XCTFail("scan does not terminate"); break }
        } while cursor != 0
        return reported
    }

    func testScanVisitsEverythingWithoutResize() {
        let d = Dict()
        for i in 0..<5_000 { insert(d, i) }
        while d.rehash(buckets: 100) {}
        let reported = fullScan(d) { _ in }
        XCTAssertEqual(reported.count, 5_000, "no resize, no duplicates")
        XCTAssertEqual(Set(reported), Set(0..<5_000))
    }

    func testScanCompleteWhileGrowing() {
        let d = Dict()
        for i in 0..<1_000 { insert(d, i) }
        while d.rehash(buckets: 100) {}
        var next = 1_000
        var sawRehashing = false
        // Keys 0..<1000 stay for the whole scan; others come (and some go) while the table grows.
        let reported = fullScan(d) { _ in
            // Two keys per step grow the table several times before the
            // scan ends (much faster growth and a scan never catches up).
            insert(d, next); insert(d, next + 1); next += 2
            if next % 6 == 0 { remove(d, next - 1) }
            sawRehashing = sawRehashing || d.isRehashing
        }
        XCTAssertTrue(sawRehashing)
        XCTAssertGreaterThan(d.count, 4_000, "the table grew during the scan")
        XCTAssertTrue(Set(0..<1_000).isSubset(of: Set(reported)), "every key present throughout is reported")
    }

    func testScanCompleteWhileShrinking() {
        let d = Dict()
        for i in 0..<20_000 { insert(d, i) }
        while d.rehash(buckets: 100) {}
        var victims = Array(500..<20_000)
        var sawRehashing = false
        let reported = fullScan(d) { _ in
            for _ in 0..<300 where !victims.isEmpty { remove(d, victims.removeLast()) }
            d.shrinkIfNeeded()
            d.rehash(buckets: 1)
            sawRehashing = sawRehashing || d.isRehashing
        }
        XCTAssertTrue(sawRehashing)
        XCTAssertTrue(Set(0..<500).isSubset(of: Set(reported)))
    }

    func testScanStartingMidRehashAndAlternating() {
        let d = Dict()
        for i in 0..<3_000 { insert(d, i) }
        var rng = SeededRandom(seed: 7)
        var next = 3_000
        var removable = Array(1_000..<3_000)
        let reported = fullScan(d) { _ in
            // Alternate bursts of growth and deletion plus periodic shrink checks.
            if Bool.random(using: &rng) {
                for _ in 0..<Int.random(in: 0...200, using: &rng) { insert(d, next); removable.append(next); next += 1 }
            } else {
                for _ in 0..<Int.random(in: 0...400, using: &rng) where !removable.isEmpty {
                    removable.swapAt(Int.random(in: 0..<removable.count, using: &rng), removable.count - 1)
                    remove(d, removable.removeLast())
                }
                d.shrinkIfNeeded()
            }
        }
        XCTAssertTrue(Set(0..<1_000).isSubset(of: Set(reported)))
    }

    func testRandomEntryCoversSmallDictionary() {
        let d = Dict()
        XCTAssertNil(d.randomEntry())
        for i in 0..<8 { insert(d, i) }
        var seen = Set<[UInt8]>()
        for _ in 0..<2_000 { seen.insert(Array(d.randomEntry()!.key)) }
        XCTAssertEqual(seen.count, 8)
        // Also while rehashing.
        for i in 8..<5_000 { insert(d, i) }
        for i in 8..<4_990 { remove(d, i) }
        while d.rehash(buckets: 100) {}
        d.shrinkIfNeeded()
        XCTAssertTrue(d.isRehashing)
        var seen2 = Set<[UInt8]>()
        for _ in 0..<5_000 { if let e = d.randomEntry() { seen2.insert(Array(e.key)) } }
        XCTAssertEqual(seen2.count, d.count)
    }

    // MARK: PointerSet

    private func pointer(_ i: Int) -> UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: 0x10_000 + i * 48)! }

    func testPointerSetAgainstModel() {
        let s = PointerSet()
        XCTAssertNil(s.random())
        s.remove(pointer(1))
        var model = Set<Int>()
        var rng = SeededRandom(seed: 2024)
        for round in 0..<50_000 {
            let i = Int.random(in: 0..<3_000, using: &rng)
            if Bool.random(using: &rng) || round < 2_000 {
                s.insert(pointer(i)); model.insert(i)
            } else {
                s.remove(pointer(i)); model.remove(i)
            }
            XCTAssertEqual(s.count, model.count)
            if round % 1_000 == 0, let p = s.random() {
                let idx = (Int(bitPattern: p) - 0x10_000) / 48
                XCTAssertTrue(model.contains(idx), "random() returns a member")
            }
        }
        // Drain: every member can be removed exactly once and the table shrinks.
        XCTAssertGreaterThan(s.capacity, 1_000)
        for i in model { s.remove(pointer(i)) }
        XCTAssertEqual(s.count, 0)
        XCTAssertNil(s.random())
        XCTAssertLessThanOrEqual(s.capacity, 128, "shrinks as it empties")
    }

    func testPointerSetDuplicatesAndRandomCoverage() {
        let s = PointerSet()
        for _ in 0..<3 { s.insert(pointer(1)) }
        XCTAssertEqual(s.count, 1)
        for i in 2...5 { s.insert(pointer(i)) }
        var seen = Set<UnsafeMutableRawPointer>()
        for _ in 0..<1_000 { seen.insert(s.random()!) }
        XCTAssertEqual(seen, Set((1...5).map(pointer)))
        s.removeAll()
        XCTAssertEqual(s.count, 0)
        s.insert(pointer(9))
        XCTAssertEqual(s.random(), pointer(9))
    }
}
