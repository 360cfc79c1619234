import CinnabarCore

/// Assembles a complete server: the core command families plus every module
/// (scripting, persistence) wired into the core's hooks. The executable and
/// the tests build servers only through here, so they run the same thing.
public enum Cinnabar {
    /// Every command family, in registration order.
    public static var families: [[CommandSpec]] {
        CoreCommands.families
    }

    /// A server for `config`, with all modules installed; not yet started.
    public static func makeServer(config: ServerConfig, configFile: String? = nil) -> Server {
        let server = Server(config: config, configFile: configFile, families: families)
        return server
    }
}
