import CinnabarClient
import Foundation
import XCTest

extension RedisConnection {
    /// Sends one command and returns its reply, error replies included as `.error`.
    func reply(_ args: String...) throws -> RESPValue { try pipeline([args])[0] }
    func reply(_ args: [String]) throws -> RESPValue { try pipeline([args])[0] }
}

/// Runs a command on a connection in the background; `wait()` returns its reply.
final class PendingReply: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var result: Result<RESPValue, Error>?

    init(_ conn: RedisConnection, _ args: [String]) {
        Thread.detachNewThread { [self] in
            result = Result { try conn.reply(args) }
            done.signal()
        }
    }

    func wait(seconds: Double = 20) throws -> RESPValue {
        guard done.wait(timeout: .now() + seconds) == .success else { throw ConnectionError.timeout }
        return try result!.get()
    }
}

/// Polls until `body` returns true or the deadline passes (then fails the test).
func eventually(_ what: String, timeout: Double = 15, file: StaticString = #filePath, line: UInt = #line,
                _ body: () throws -> Bool) rethrows {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try body() { return }
        usleep(20_000)
    }
    XCTFail("timed out waiting for \(what)", file: file, line: line)
}

/// Enough connections to cover every loop thread (the server assigns
/// connections to its loops round robin).
func clientsOnEveryLoop(_ s: TestServer, count: Int = 4) throws -> [RedisConnection] {
    try (0..<count).map { _ in try s.connect() }
}
