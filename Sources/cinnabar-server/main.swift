import Cinnabar
import CinnabarCore
import Glibc

/// `cinnabar-server [/path/to/redis.conf] [--directive value ...]`, like redis-server.
let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "-v" || arguments.first == "--version" {
    print("Cinnabar server v=\(ServerInfo.version) redis-compat=\(ServerInfo.redisVersion)")
    exit(0)
}
if arguments.first == "-h" || arguments.first == "--help" {
    print("""
    Usage: cinnabar-server [/path/to/redis.conf] [options]
           cinnabar-server -v or --version
           cinnabar-server -h or --help

    Examples:
           cinnabar-server (run the server with default configuration)
           cinnabar-server /etc/redis/6379.conf
           cinnabar-server --port 7777
           cinnabar-server /etc/myredis.conf --loglevel verbose --save "60 1"
    """)
    exit(0)
}

var config = ServerConfig()
let (file, directives) = ConfigParser.commandLine(arguments)
do {
    if let file {
        guard let text = ConfigParser.readFile(file) else {
            fputs("Fatal error, can't open config file '\(file)': \(String(cString: strerror(errno)))\n", stderr)
            exit(1)
        }
        try ConfigParser.apply(text: text, file: file, to: &config)
    }
    try ConfigParser.apply(text: directives, file: "(command line)", to: &config)
} catch {
    fputs("\(error)\n", stderr)
    exit(1)
}

// Block SIGTERM/SIGINT before any thread exists, so every thread inherits the
// mask and the signals arrive only through the signalfd on loop 0.
var blocked = sigset_t()
sigemptyset(&blocked)
sigaddset(&blocked, SIGTERM)
sigaddset(&blocked, SIGINT)
pthread_sigmask(SIG_BLOCK, &blocked, nil)

KeyHash.seedRandomly()
let server = Cinnabar.makeServer(config: config, configFile: file.flatMap { absolutePath($0) })
if let aclError = server.acl.startupError {
    server.log.log(.warning, aclError)
    fputs("\(aclError)\n", stderr)
    exit(1)
}
do {
    try Cinnabar.boot(server)
} catch {
    fputs("Could not start: \(error)\n", stderr)
    exit(1)
}
server.installSignalHandlers()
server.run()
exit(0)
