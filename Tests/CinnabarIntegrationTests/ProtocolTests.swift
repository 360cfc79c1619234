import CinnabarClient
import XCTest

final class ProtocolTests: XCTestCase {
    func testPipelineOverSocket() throws {
        let s = try TestServer()
        let c = try s.connect()
        let replies = try c.pipeline([["SET", "a", "1"], ["GET", "a"], ["NOSUCH"]])
        XCTAssertEqual(replies[0], .simple("OK"))
        XCTAssertEqual(replies[1], .bulk(Array("1".utf8)))
        XCTAssertEqual(replies[2], .error("ERR unknown command 'NOSUCH', with args beginning with: "))
    }

    func testRedisCLI() throws {
        let s = try TestServer(mode: .binary)
        XCTAssertEqual(try s.cli(["SET", "x", "y"]), "OK\n")
        XCTAssertEqual(try s.cli(["GET", "x"]), "y\n")
    }
}
