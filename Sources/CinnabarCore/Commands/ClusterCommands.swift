/// Cluster commands as a standalone Redis serves them: the command table
/// entries exist (COMMAND, ACL categories, arity checks) and every call is
/// refused because cluster support is disabled. Cinnabar runs standalone only.
public enum ClusterCommands {
    public static var all: [CommandSpec] {
        let admin: CommandFlags = [.admin, .stale, .noAsyncLoading]
        func sub(_ name: String, _ arity: Int, _ flags: CommandFlags, since: String = "3.0.0", complexity: String = "O(1)",
                 _ summary: String, tips: [String] = [], deprecatedSince: String? = nil, replacedBy: String? = nil) -> CommandSpec {
            CommandSpec(name, arity: arity, flags: flags, group: .cluster, since: since, complexity: complexity, summary: summary,
                        replacedBy: replacedBy, deprecatedSince: deprecatedSince, tips: tips, handler: disabled)
        }
        let nondeterministic = ["nondeterministic_output"]
        return [
            CommandSpec("cluster", arity: -2, group: .cluster, since: "3.0.0", complexity: "Depends on subcommand.",
                        summary: "Groups the cluster subcommands.", subcommands: [
                sub("addslots", -3, admin, complexity: "O(N) where N is the total number of hash slot arguments", "Assigns hash slots to this node."),
                sub("addslotsrange", -4, admin, since: "7.0.0", complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments.", "Assigns ranges of hash slots to this node."),
                sub("bumpepoch", 2, admin, "Advances the cluster config epoch.", tips: nondeterministic),
                sub("count-failure-reports", 3, [.admin, .stale], complexity: "O(N) where N is the number of failure reports", "Returns the number of failure reports for a node.", tips: nondeterministic),
                sub("countkeysinslot", 3, [.stale], "Returns the number of keys in a hash slot."),
                sub("delslots", -3, admin, complexity: "O(N) where N is the total number of hash slot arguments", "Unassigns hash slots from this node."),
                sub("delslotsrange", -4, admin, since: "7.0.0", complexity: "O(N) where N is the total number of the slots between the start slot and end slot arguments.", "Unassigns ranges of hash slots from this node."),
                sub("failover", -2, admin, "Starts a manual failover of this replica's master."),
                sub("flushslots", 2, admin, "Unassigns every hash slot of this node."),
                sub("forget", 3, admin, "Removes a node from this node's view of the cluster."),
                sub("getkeysinslot", 4, [.stale], complexity: "O(log(N)) where N is the number of requested keys", "Returns key names in a hash slot.", tips: nondeterministic),
                sub("help", 2, [.loading, .stale], since: "5.0.0", "Describes the CLUSTER subcommands."),
                sub("info", 2, [.stale], "Reports the state of the cluster.", tips: nondeterministic),
                sub("keyslot", 3, [.stale], complexity: "O(N) where N is the number of bytes in the key", "Returns the hash slot of a key."),
                sub("links", 2, [.stale], since: "7.0.0", complexity: "O(N) where N is the total number of Cluster nodes", "Lists this node's cluster bus links.", tips: nondeterministic),
                sub("meet", -4, admin, "Joins another node to the cluster."),
                sub("myid", 2, [.stale], "Returns this node's id."),
                sub("nodes", 2, [.stale], complexity: "O(N) where N is the total number of Cluster nodes", "Describes the cluster nodes.", tips: nondeterministic),
                sub("replicas", 3, [.admin, .stale], since: "5.0.0", "Lists the replicas of a master node.", tips: nondeterministic),
                sub("replicate", 3, admin, "Makes this node a replica of a master."),
                sub("reset", -2, [.admin, .noscript, .stale], complexity: "O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.", "Resets this node's cluster state."),
                sub("saveconfig", 2, admin, "Saves the cluster configuration to disk."),
                sub("set-config-epoch", 3, admin, "Sets the config epoch of a new node."),
                sub("setslot", -4, admin, "Changes the state of a hash slot on this node."),
                sub("shards", 2, [.stale], since: "7.0.0", complexity: "O(N) where N is the total number of cluster nodes", "Describes the cluster shards.", tips: nondeterministic),
                sub("slaves", 3, [.admin, .stale], "Lists the replicas of a master node.", tips: nondeterministic,
                    deprecatedSince: "5.0.0", replacedBy: "`CLUSTER REPLICAS`"),
                sub("slots", 2, [.stale], complexity: "O(N) where N is the total number of Cluster nodes", "Maps hash slots to nodes.", tips: nondeterministic,
                    deprecatedSince: "7.0.0", replacedBy: "`CLUSTER SHARDS`"),
            ], handler: nil),
            CommandSpec("readonly", arity: 1, flags: [.loading, .stale, .fast], group: .cluster, since: "3.0.0",
                        summary: "Allows reads from a cluster replica.", acl: ["connection"], handler: disabled),
            CommandSpec("readwrite", arity: 1, flags: [.loading, .stale, .fast], group: .cluster, since: "3.0.0",
                        summary: "Ends reads from a cluster replica.", acl: ["connection"], handler: disabled),
            CommandSpec("asking", arity: 1, flags: [.fast], group: .cluster, since: "3.0.0",
                        summary: "Marks the next command as part of a slot migration.", acl: ["connection"], handler: disabled),
        ]
    }

    static func disabled(_ c: Client) {
        c.fail(.custom("ERR This instance has cluster support disabled"))
    }
}
