import CinnabarCore
import Foundation
import XCTest

/// Replays commands whose exact replies were recorded from Redis 7.0.15
/// (ScriptingRedisReplies.swift, FunctionRedisReplies.swift) and fails on any
/// byte of difference. Each case runs on a fresh database, script cache and
/// function library, after HELLO with the recorded protocol, on a thread with
/// an event loop's deep stack (deeply nested replies recurse as the server does).
func replayRedisReplies(_ cases: [RedisReplyCase], file: StaticString = #filePath, line: UInt = #line) {
    let done = DispatchSemaphore(value: 0)
    let t = Threads.spawn(name: "test-replay", stackSize: 512 << 20) {
        let h = Harness()
        func raw(_ args: [String]) -> [UInt8] {
            let before = h.client.reply.count
            h.server.execute(h.client, args.map { Array($0.utf8) })
            let out = Array(h.client.reply.bytes(from: before))
            h.client.reply.reset()
            return out
        }
        for k in cases {
            _ = raw(["HELLO", String(k.resp)])
            _ = raw(["FLUSHALL"])
            _ = raw(["SCRIPT", "FLUSH"])
            _ = raw(["FUNCTION", "FLUSH"])
            for s in k.setup { _ = raw(s) }
            let got = raw(k.args)
            if got != k.reply {
                XCTFail("""
                    \(k.args.map { "\"\($0)\"" }.joined(separator: " ")) (RESP\(k.resp))
                      expected: \(String(decoding: k.reply, as: UTF8.self).debugDescription)
                      got:      \(String(decoding: got, as: UTF8.self).debugDescription)
                    """, file: file, line: line)
            }
        }
        done.signal()
    }
    done.wait()
    pthread_join(t, nil)
}
