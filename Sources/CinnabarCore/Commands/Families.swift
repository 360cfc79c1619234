/// The command families built into the core, in registration order.
public enum CoreCommands {
    public static var families: [[CommandSpec]] {
        [
            ConnectionCommands.all,
            StringCommands.all,
            BitmapCommands.all,
            KeyCommands.all,
            ListCommands.all,
            HashCommands.all,
            SetCommands.all,
            ServerCommands.all,
            ClusterCommands.all,
            PersistenceCommands.all,
            TransactionCommands.all,
            PubSubCommands.all,
            SortedSetCommands.all,
            SortCommands.all,
            StreamCommands.all,
            HyperLogLogCommands.all,
            GeoCommands.all,
            ReplicationCommands.all,
            LatencyCommands.all,
            ACLCommands.all,
        ]
    }
}
