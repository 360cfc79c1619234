/// Replication commands of a server that has no replicas.
public enum ReplicationCommands {
    public static var all: [CommandSpec] {
        [
            CommandSpec("wait", arity: 3, flags: [.noscript], group: .generic, since: "3.0.0",
                        summary: "Blocks until the connection's earlier writes reach the given number of replicas, or the timeout passes.",
                        tips: ["request_policy:all_shards", "response_policy:agg_min"], acl: ["connection", "-keyspace"], handler: wait),
        ]
    }

    /// Timeouts beyond this many milliseconds (decades) wait forever: the
    /// loop's timer arithmetic is in nanoseconds.
    static let longestTimer: Int64 = 1 << 40

    /// WAIT numreplicas timeout: no replica ever acknowledges here, so the
    /// answer is always 0 acknowledgements; it comes at once when 0 suffices
    /// or the client may not block (MULTI), else after the timeout (0 waits
    /// until CLIENT UNBLOCK or disconnection), as Redis without replicas.
    static func wait(_ c: Client) {
        guard let wanted = Numbers.parseInt64(c.arg(1)) else {
            c.fail(.notInteger)
            return
        }
        guard let millis = Numbers.parseInt64(c.arg(2)) else {
            c.fail(.timeoutNotInteger)
            return
        }
        if millis < 0 {
            c.fail(.negativeTimeout)
            return
        }
        if wanted <= 0 || !c.mayBlock {
            c.reply.integer(0)
            return
        }
        let timeout = millis > longestTimer ? 0 : millis
        c.server.block(c, keys: [], timeoutMillis: timeout,
                       operation: BlockedOperation(valueType: .string, timeoutReply: { $0.integer(0) }) { _, _ in })
    }
}
