import CinnabarCore
import Glibc
import CinnabarScripting

/// Assembles a complete server: the core command families plus every module
/// (scripting, persistence) wired into the core's hooks. The executable and
/// the tests build servers only through here, so they run the same thing.
public enum Cinnabar {
    /// A server for `config`, with all modules installed; not yet started.
    public static func makeServer(config: ServerConfig, configFile: String? = nil) -> Server {
        let scripting = EngineBox()
        let families = CoreCommands.families + [ScriptingCommands.all(scripting), FunctionCommands.all(scripting)]
        let server = Server(config: config, configFile: configFile, families: families)
        let engine = ScriptEngine(server: server)
        scripting.engine = engine
        server.extensions.append(engine)
        server.stopHooks.append { [unowned engine] in engine.forceKill() }
        let persistence = Persistence(server: server)
        persistence.functions = engine
        persistence.aof = AppendOnlyFile(server: server, persistence: persistence)
        server.persistence = persistence
        return server
    }

    /// Binds the sockets and starts loading the data set in the background
    /// (clients get -LOADING until it is in memory). Call `run()` or
    /// `runInBackground()` afterwards.
    public static func boot(_ server: Server) throws(SystemError) {
        try server.start()
        guard let p = server.persistence else { return }
        // With appendonly on, the append-only files are the data set (an RDB file is not read), as in Redis.
        if server.config.snapshot.appendonly, let aof = p.aof {
            p.loadInBackground {
                do throws(RDBError) {
                    try aof.loadAndOpen()
                    return nil
                } catch {
                    return error
                }
            }
            return
        }
        guard access(p.rdbPath, F_OK) == 0 else { return }
        p.loadInBackground {
            do throws(RDBError) {
                try p.loadSnapshot(p.rdbPath)
                return nil
            } catch {
                return error
            }
        }
    }
}
