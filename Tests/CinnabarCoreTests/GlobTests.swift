import CinnabarCore
import XCTest

final class GlobTests: XCTestCase {
    func testPatterns() {
        XCTAssertTrue(Glob.matches("h?llo", "hello"))
        XCTAssertTrue(Glob.matches("h*llo", "heeeello"))
        XCTAssertTrue(Glob.matches("h[ae]llo", "hallo"))
        XCTAssertFalse(Glob.matches("h[^e]llo", "hello"))
        XCTAssertTrue(Glob.matches("h[a-b]llo", "hbllo"))
        XCTAssertTrue(Glob.matches("h[b-a]llo", "hallo"))
        XCTAssertTrue(Glob.matches("a\\*b", "a*b"))
        XCTAssertFalse(Glob.matches("a\\*b", "axb"))
        XCTAssertTrue(Glob.matches("HELLO", "hello", nocase: true))
        XCTAssertTrue(Glob.matches("a*", "a"))
        XCTAssertFalse(Glob.matches("foo[", "foo["), "an unterminated class matches nothing, as in Redis")
        XCTAssertTrue(Glob.matches("foo[\\[", "foo["))
        XCTAssertFalse(Glob.matches("*", ""), "callers shortcut '*'; the matcher itself, like Redis's, needs one byte")
    }

    func testPathologicalPatternIsFast() {
        let pattern = String(repeating: "a*", count: 30) + "b"
        let subject = String(repeating: "a", count: 60)
        XCTAssertFalse(Glob.matches(pattern, subject))
    }
}
