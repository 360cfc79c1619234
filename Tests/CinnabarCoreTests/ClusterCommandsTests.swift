import CinnabarCore
import XCTest

final class ClusterCommandsTests: XCTestCase {
    func testClusterIsDisabled() {
        let h = Harness()
        for args in [["CLUSTER", "INFO"], ["CLUSTER", "HELP"], ["CLUSTER", "KEYSLOT", "k"], ["READONLY"], ["READWRITE"], ["ASKING"]] {
            XCTAssertEqual(h.run(args.map { Array($0.utf8) }), R.err("ERR This instance has cluster support disabled"), "\(args)")
        }
        XCTAssertEqual(h.run("CLUSTER", "FOO"), R.err("ERR unknown subcommand 'FOO'. Try CLUSTER HELP."))
        XCTAssertEqual(h.run("CLUSTER", "KEYSLOT"), R.err("ERR wrong number of arguments for 'cluster|keyslot' command"))
        XCTAssertTrue(h.run("COMMAND", "LIST", "FILTERBY", "PATTERN", "cl*help").contains("$12\r\ncluster|help\r\n"))
        let docs = h.run("COMMAND", "DOCS", "cluster|slots")
        XCTAssertTrue(docs.contains("$9\r\ndoc_flags\r\n*1\r\n+deprecated\r\n$16\r\ndeprecated_since\r\n$5\r\n7.0.0\r\n$11\r\nreplaced_by\r\n$16\r\n`CLUSTER SHARDS`\r\n"), docs)
    }
}
