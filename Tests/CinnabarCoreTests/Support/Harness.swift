import Cinnabar
import CinnabarCore
import XCTest

/// Runs commands in-process through the real dispatcher, without sockets,
/// and returns the exact RESP bytes of each reply.
final class Harness {
    let server: Server
    let client: Client

    /// `config` holds directive/value pairs applied as if from a config file.
    init(_ config: [String: String] = [:], file: StaticString = #filePath, line: UInt = #line) {
        var cfg = ServerConfig()
        cfg.ioThreads = 1
        cfg.save = []
        var text = ""
        for (k, v) in config { text += "\(k) \(ConfigParser.quote(v))\n" }
        do {
            try ConfigParser.apply(text: text, file: "(test)", to: &cfg)
        } catch {
            XCTFail("bad test configuration: \(error)", file: file, line: line)
        }
        server = Cinnabar.makeServer(config: cfg)
        try! server.prepare()
        client = server.makeFakeClient(context: server.contexts[0])
    }

    /// Another session on the same server.
    func newClient() -> Client {
        server.makeFakeClient(context: server.contexts[0])
    }

    /// Runs one command on `client` (default: the harness's own) and returns its reply bytes as text.
    @discardableResult
    func run(_ args: String..., on c: Client? = nil) -> String {
        run(args.map { Array($0.utf8) }, on: c)
    }

    @discardableResult
    func run(_ args: [[UInt8]], on c: Client? = nil) -> String {
        let target = c ?? client
        let before = target.reply.count
        server.execute(target, args)
        let out = String(decoding: target.reply.bytes(from: before), as: UTF8.self)
        target.reply.reset()
        return out
    }
}

/// RESP text builders for expected replies.
enum R {
    static func bulk(_ s: String) -> String { "$\(s.utf8.count)\r\n\(s)\r\n" }
    static func int(_ n: Int) -> String { ":\(n)\r\n" }
    static func status(_ s: String) -> String { "+\(s)\r\n" }
    static func err(_ s: String) -> String { "-\(s)\r\n" }
    static let ok = "+OK\r\n"
    static let null = "$-1\r\n"
    static let nullArray = "*-1\r\n"
    static func array(_ items: [String]) -> String { "*\(items.count)\r\n" + items.joined() }
    static func bulks(_ items: [String]) -> String { array(items.map(bulk)) }
}
