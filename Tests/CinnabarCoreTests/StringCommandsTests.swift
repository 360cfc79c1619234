import XCTest

final class StringCommandsTests: XCTestCase {
    func testGetSet() {
        let h = Harness()
        XCTAssertEqual(h.run("GET", "k"), R.null)
        XCTAssertEqual(h.run("SET", "k", "v"), R.ok)
        XCTAssertEqual(h.run("GET", "k"), R.bulk("v"))
        XCTAssertEqual(h.run("GET"), R.err("ERR wrong number of arguments for 'get' command"))
    }

    func testSetOptions() {
        let h = Harness()
        XCTAssertEqual(h.run("SET", "k", "v", "NX"), R.ok)
        XCTAssertEqual(h.run("SET", "k", "w", "NX"), R.null)
        XCTAssertEqual(h.run("SET", "k", "w", "XX", "GET"), R.bulk("v"))
        XCTAssertEqual(h.run("SET", "nokey", "w", "XX"), R.null)
        XCTAssertEqual(h.run("SET", "k", "v", "NX", "XX"), R.err("ERR syntax error"))
        XCTAssertEqual(h.run("SET", "k", "v", "EX", "0"), R.err("ERR invalid expire time in 'set' command"))
        XCTAssertEqual(h.run("SET", "k", "v", "EX", "x"), R.err("ERR value is not an integer or out of range"))
        XCTAssertEqual(h.run("SET", "k", "v", "EX", "10", "KEEPTTL"), R.err("ERR syntax error"))
    }
}
