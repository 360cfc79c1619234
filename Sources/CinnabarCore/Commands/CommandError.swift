/// Every error a command can reply with. The RESP text of each lives here and
/// nowhere else, so clients that match on Redis's strings keep working.
public enum CommandError: Error, Equatable {
    case wrongType
    case notInteger
    case notFloat
    case syntax
    case noSuchKey
    case indexOutOfRange
    case overflow
    case incrementNaNOrInfinity
    case wrongArity(command: String)
    /// Holds the raw argument bytes: the message quotes them unchanged (see `messageBytes`).
    case unknownCommand(name: [UInt8], args: [[UInt8]])
    case unknownSubcommand(name: [UInt8], command: String)
    case noAuth
    case wrongPass
    /// ACL refused the command itself (its full name, `config|set` for subcommands).
    case noPermCommand(command: String)
    /// ACL refused one of the command's keys.
    case noPermKey
    /// ACL refused one of the command's pub/sub channels.
    case noPermChannel
    /// EXEC found a queued command no longer allowed.
    case noPermChangedInMulti(reason: ACLDenial)
    case authWithoutPassword
    case invalidExpireTime(command: String)
    case dbIndexOutOfRange
    case invalidDBIndex
    case sameObject
    case stringTooLong
    case bitOffset
    case bitValue
    case notPositive(what: String)
    case negativeTimeout
    case timeoutNotFloat
    case timeoutOutOfRange
    case execAbort
    case multiNested
    case execWithoutMulti
    case discardWithoutMulti
    case watchInMulti
    case commandNotAllowedInMulti
    case pubsubContext(command: String)
    /// A subscription attempted where no further replies could be awaited (scripts, EXEC for SSUBSCRIBE).
    case subscribeDenied(command: String)
    case loading
    case busyScript
    case busyFunction
    case noScript
    case readonlyScript
    case noPermission(String)
    case maxClients
    case protectedMode
    case outOfMemory
    case misconf
    case unsupportedProtocol
    case minMaxNotFloat
    case minMaxNotString
    case scoreNotFloat
    case moveSameDB
    case dbIndexNotInteger
    case decrementOverflow
    case offsetOutOfRange
    case bitArgument
    case bitopNotArity
    case lcsWrongType
    case lcsLenWithIdx
    case lcsTooLong
    case lcsTableTooLarge
    case lcsAllocationFailed
    case bitfieldType
    case bitfieldOverflowType
    case bitfieldReadOnly
    case intOutOfRange
    case invalidFirstDBIndex
    case invalidSecondDBIndex
    case invalidCursor
    case unsupportedOption(String)
    case expireNXConflict
    case expireGTLTConflict
    case lfuNotSelected
    case lfuSelected
    case invalidClientName
    case countNotPositive
    case lposRankZero
    case lposCountNegative
    case lposMaxlenNegative
    case unblockReason
    /// A protected command (DEBUG) refused by its `enable-...-command` option.
    case protectedCommand(command: String, option: String)
    /// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try <CMD> HELP.`
    case subcommandSyntax(subcommand: String, command: String)
    /// HINCRBY on a field whose value is not an integer.
    case hashValueNotInteger
    /// HINCRBYFLOAT on a field whose value is not a number.
    case hashValueNotFloat
    /// An increment argument that is itself NaN or infinite (HINCRBYFLOAT).
    case valueNaNOrInfinity
    /// A count that does not fit Redis's `long` rules for the command.
    case valueOutOfRange
    /// `ERR value is out of range, value must between <min> and <max>`.
    case valueOutOfBounds(min: Int64, max: Int64)
    /// A count that must be zero or more (SPOP).
    case mustBePositive
    case numkeysNotPositive
    case numkeysTooMany
    case limitNegative
    // Sorted sets and SORT.
    case zaddXXAndNX
    case zaddGTLTAndNX
    case zaddIncrSinglePair
    case scoreIsNaN
    case zrangeLimitNeedsByscoreOrBylex
    case zrangeWithscoresWithBylex
    case weightNotFloat
    /// `ERR at least 1 input key is needed for '<command>' command`.
    case needsInputKey(command: String)
    case sortScoreNotDouble
    // Streams.
    case streamInvalidID
    case streamMaxlenAndMinid
    case streamMaxlenNegative
    case streamLimitNegative
    case streamLimitWithoutStrategy
    case streamXtrimWithoutStrategy
    case streamLimitWithoutApprox
    case streamXaddIDZero
    case streamIDExhausted
    case streamXaddIDNotGreater
    case streamElementsTooLarge
    case streamInvalidStart
    case streamInvalidEnd
    case streamXreadUnbalanced
    case streamGroupInXread
    case streamNoackInXread
    case streamMissingGroup
    /// `NOGROUP No such key '<key>' or consumer group '<group>' in XREADGROUP with GROUP option`.
    case streamNoGroupForRead(key: String, group: String)
    case streamDollarInXreadgroup
    case streamGreaterOutsideGroup
    /// `ERR <command> command is not allowed with BLOCK option from scripts` (the name as called).
    case streamBlockInScript(command: String)
    case timeoutNotInteger
    case streamEntriesReadRange
    case streamXgroupNeedsKey
    /// `NOGROUP No such consumer group '<group>' for key name '<key>'`.
    case streamNoSuchGroup(group: String, key: String)
    /// `NOGROUP No such key '<key>' or consumer group '<group>'`.
    case streamNoKeyOrGroup(key: String, group: String)
    case streamBusyGroup
    case streamEntriesAddedNegative
    case streamXsetidBelowMaxDeleted
    case streamXsetidBelowTop
    case streamXsetidBelowLength
    /// `ERR Invalid <what> argument for <command>` (XCLAIM and XAUTOCLAIM numbers).
    case streamInvalidArgument(what: String, command: String)
    case streamUnknownClaimOption(String)
    case streamAutoclaimCount
    case streamAutoclaimCountMemory
    /// A blocked XREADGROUP whose group was destroyed.
    case streamGroupDestroyed
    /// A blocked XREADGROUP whose key was deleted or replaced.
    case streamKeyDeleted
    // HyperLogLog.
    /// A string that is not an HLL value (bad header or length).
    case hllNotHLL
    /// An HLL value whose registers do not decode.
    case hllCorrupted
    // Geo.
    /// Coordinates outside the indexable area, as `%f` texts.
    case invalidLonLat(lon: String, lat: String)
    case geoUnsupportedUnit
    /// `ERR need numeric <what>` (radius, width, height).
    case geoNeedNumeric(String)
    case geoRadiusNegative
    case geoBoxNegative
    case geoMemberUndecodable
    case geoCountNotPositive
    /// A store variant with WITHDIST/WITHHASH/WITHCOORD; `what` names it.
    case geoStoreIncompatible(what: String)
    case geoNeedsFrom(command: String)
    case geoNeedsBy(command: String)
    case geoAnyWithoutCount
    /// A message for a rare case; `text` is the whole reply after the `-`.
    case custom(String)

    /// The reply text, without the leading `-` and trailing CRLF.
    public var text: String {
        switch self {
        case .wrongType: return "WRONGTYPE Operation against a key holding the wrong kind of value"
        case .notInteger: return "ERR value is not an integer or out of range"
        case .notFloat: return "ERR value is not a valid float"
        case .syntax: return "ERR syntax error"
        case .noSuchKey: return "ERR no such key"
        case .indexOutOfRange: return "ERR index out of range"
        case .overflow: return "ERR increment or decrement would overflow"
        case .incrementNaNOrInfinity: return "ERR increment would produce NaN or Infinity"
        case .wrongArity(let command): return "ERR wrong number of arguments for '\(command)' command"
        case .unknownCommand, .unknownSubcommand:
            return String(decoding: messageBytes, as: UTF8.self)
        case .noAuth: return "NOAUTH Authentication required."
        case .wrongPass: return "WRONGPASS invalid username-password pair or user is disabled."
        case .noPermCommand(let command): return "NOPERM this user has no permissions to run the '\(command)' command"
        case .noPermKey: return "NOPERM this user has no permissions to access one of the keys used as arguments"
        case .noPermChannel: return "NOPERM this user has no permissions to access one of the channels used as arguments"
        case .noPermChangedInMulti(let reason):
            let why: String
            switch reason {
            case .command: why = "no permission to execute the command or subcommand"
            case .key: why = "no permission to touch the specified keys"
            case .channel: why = "no permission to access one of the channels used as arguments"
            case .auth: why = "no permission"
            }
            return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: \(why)"
        case .authWithoutPassword:
            return "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
        case .invalidExpireTime(let command): return "ERR invalid expire time in '\(command)' command"
        case .dbIndexOutOfRange: return "ERR DB index is out of range"
        case .invalidDBIndex: return "ERR invalid DB index"
        case .sameObject: return "ERR source and destination objects are the same"
        case .stringTooLong: return "ERR string exceeds maximum allowed size (proto-max-bulk-len)"
        case .bitOffset: return "ERR bit offset is not an integer or out of range"
        case .bitValue: return "ERR bit is not an integer or out of range"
        case .notPositive(let what): return "ERR \(what) must be positive"
        case .negativeTimeout: return "ERR timeout is negative"
        case .timeoutNotFloat: return "ERR timeout is not a float or out of range"
        case .timeoutOutOfRange: return "ERR timeout is out of range"
        case .execAbort: return "EXECABORT Transaction discarded because of previous errors."
        case .multiNested: return "ERR MULTI calls can not be nested"
        case .execWithoutMulti: return "ERR EXEC without MULTI"
        case .discardWithoutMulti: return "ERR DISCARD without MULTI"
        case .watchInMulti: return "ERR WATCH inside MULTI is not allowed"
        case .commandNotAllowedInMulti: return "ERR Command not allowed inside a transaction"
        case .pubsubContext(let command):
            return "ERR Can't execute '\(command)': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context"
        case .subscribeDenied(let command): return "ERR \(command) isn't allowed for a DENY BLOCKING client"
        case .loading: return "LOADING Redis is loading the dataset in memory"
        case .busyScript: return "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
        case .busyFunction: return "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
        case .noScript: return "NOSCRIPT No matching script. Please use EVAL."
        case .readonlyScript: return "ERR Write commands are not allowed from read-only scripts."
        case .noPermission(let s): return "NOPERM \(s)"
        case .maxClients: return "ERR max number of clients reached"
        case .protectedMode:
            return "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."
        case .outOfMemory: return "OOM command not allowed when used memory > 'maxmemory'."
        case .misconf:
            return "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."
        case .unsupportedProtocol: return "NOPROTO unsupported protocol version"
        case .minMaxNotFloat: return "ERR min or max is not a float"
        case .minMaxNotString: return "ERR min or max not valid string range item"
        case .scoreNotFloat: return "ERR value is not a valid float"
        case .moveSameDB: return "ERR source and destination objects are the same"
        case .dbIndexNotInteger: return "ERR value is not an integer or out of range"
        case .decrementOverflow: return "ERR decrement would overflow"
        case .offsetOutOfRange: return "ERR offset is out of range"
        case .bitArgument: return "ERR The bit argument must be 1 or 0."
        case .bitopNotArity: return "ERR BITOP NOT must be called with a single source key."
        case .lcsWrongType: return "ERR The specified keys must contain string values"
        case .lcsLenWithIdx: return "ERR If you want both the length and indexes, please just use IDX."
        case .lcsTooLong: return "ERR String too long for LCS"
        case .lcsTableTooLarge: return "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
        case .lcsAllocationFailed: return "ERR Insufficient memory, failed allocating transient memory for LCS"
        case .bitfieldType:
            return "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
        case .bitfieldOverflowType: return "ERR Invalid OVERFLOW type specified"
        case .bitfieldReadOnly: return "ERR BITFIELD_RO only supports the GET subcommand"
        case .intOutOfRange: return "ERR value is out of range, value must between -2147483648 and 2147483647"
        case .invalidFirstDBIndex: return "ERR invalid first DB index"
        case .invalidSecondDBIndex: return "ERR invalid second DB index"
        case .invalidCursor: return "ERR invalid cursor"
        case .unsupportedOption(let option): return "ERR Unsupported option \(option)"
        case .expireNXConflict: return "ERR NX and XX, GT or LT options at the same time are not compatible"
        case .expireGTLTConflict: return "ERR GT and LT options at the same time are not compatible"
        case .lfuNotSelected:
            return "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
        case .lfuSelected:
            return "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust."
        case .invalidClientName: return "ERR Client names cannot contain spaces, newlines or special characters."
        case .countNotPositive: return "ERR count should be greater than 0"
        case .lposRankZero:
            return "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"
        case .lposCountNegative: return "ERR COUNT can't be negative"
        case .lposMaxlenNegative: return "ERR MAXLEN can't be negative"
        case .unblockReason: return "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
        case .protectedCommand(let command, let option):
            return "ERR \(command) command not allowed. If the \(option) option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server."
        case .subcommandSyntax(let subcommand, let command):
            return "ERR unknown subcommand or wrong number of arguments for '\(Self.clip(subcommand))'. Try \(command.uppercased()) HELP."
        case .hashValueNotInteger: return "ERR hash value is not an integer"
        case .hashValueNotFloat: return "ERR hash value is not a float"
        case .valueNaNOrInfinity: return "ERR value is NaN or Infinity"
        case .valueOutOfRange: return "ERR value is out of range"
        case .valueOutOfBounds(let min, let max): return "ERR value is out of range, value must between \(min) and \(max)"
        case .mustBePositive: return "ERR value is out of range, must be positive"
        case .numkeysNotPositive: return "ERR numkeys should be greater than 0"
        case .numkeysTooMany: return "ERR Number of keys can't be greater than number of args"
        case .limitNegative: return "ERR LIMIT can't be negative"
        case .zaddXXAndNX: return "ERR XX and NX options at the same time are not compatible"
        case .zaddGTLTAndNX: return "ERR GT, LT, and/or NX options at the same time are not compatible"
        case .zaddIncrSinglePair: return "ERR INCR option supports a single increment-element pair"
        case .scoreIsNaN: return "ERR resulting score is not a number (NaN)"
        case .zrangeLimitNeedsByscoreOrBylex:
            return "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
        case .zrangeWithscoresWithBylex: return "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
        case .weightNotFloat: return "ERR weight value is not a float"
        case .needsInputKey(let command): return "ERR at least 1 input key is needed for '\(command)' command"
        case .sortScoreNotDouble: return "ERR One or more scores can't be converted into double"
        case .streamInvalidID: return "ERR Invalid stream ID specified as stream command argument"
        case .streamMaxlenAndMinid: return "ERR syntax error, MAXLEN and MINID options at the same time are not compatible"
        case .streamMaxlenNegative: return "ERR The MAXLEN argument must be >= 0."
        case .streamLimitNegative: return "ERR The LIMIT argument must be >= 0."
        case .streamLimitWithoutStrategy: return "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy"
        case .streamXtrimWithoutStrategy: return "ERR syntax error, XTRIM must be called with a trimming strategy"
        case .streamLimitWithoutApprox: return "ERR syntax error, LIMIT cannot be used without the special ~ option"
        case .streamXaddIDZero: return "ERR The ID specified in XADD must be greater than 0-0"
        case .streamIDExhausted: return "ERR The stream has exhausted the last possible ID, unable to add more items"
        case .streamXaddIDNotGreater: return "ERR The ID specified in XADD is equal or smaller than the target stream top item"
        case .streamElementsTooLarge: return "ERR Elements are too large to be stored"
        case .streamInvalidStart: return "ERR invalid start ID for the interval"
        case .streamInvalidEnd: return "ERR invalid end ID for the interval"
        case .streamXreadUnbalanced:
            return "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified."
        case .streamGroupInXread: return "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead."
        case .streamNoackInXread: return "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead."
        case .streamMissingGroup: return "ERR Missing GROUP option for XREADGROUP"
        case .streamNoGroupForRead(let key, let group):
            return "NOGROUP No such key '\(key)' or consumer group '\(group)' in XREADGROUP with GROUP option"
        case .streamDollarInXreadgroup:
            return "ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set."
        case .streamGreaterOutsideGroup:
            return "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option."
        case .streamBlockInScript(let command): return "ERR \(command) command is not allowed with BLOCK option from scripts"
        case .timeoutNotInteger: return "ERR timeout is not an integer or out of range"
        case .streamEntriesReadRange: return "ERR value for ENTRIESREAD must be positive or -1"
        case .streamXgroupNeedsKey:
            return "ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically."
        case .streamNoSuchGroup(let group, let key): return "NOGROUP No such consumer group '\(group)' for key name '\(key)'"
        case .streamNoKeyOrGroup(let key, let group): return "NOGROUP No such key '\(key)' or consumer group '\(group)'"
        case .streamBusyGroup: return "BUSYGROUP Consumer Group name already exists"
        case .streamEntriesAddedNegative: return "ERR entries_added must be positive"
        case .streamXsetidBelowMaxDeleted: return "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id"
        case .streamXsetidBelowTop: return "ERR The ID specified in XSETID is smaller than the target stream top item"
        case .streamXsetidBelowLength: return "ERR The entries_added specified in XSETID is smaller than the target stream length"
        case .streamInvalidArgument(let what, let command): return "ERR Invalid \(what) argument for \(command)"
        case .streamUnknownClaimOption(let option): return "ERR Unrecognized XCLAIM option '\(option)'"
        case .streamAutoclaimCount: return "ERR COUNT must be > 0"
        case .streamAutoclaimCountMemory: return "ERR Insufficient memory, failed allocating transient memory, COUNT too high."
        case .streamGroupDestroyed: return "NOGROUP the consumer group this client was blocked on no longer exists"
        case .streamKeyDeleted: return "UNBLOCKED the stream key no longer exists"
        case .hllNotHLL: return "WRONGTYPE Key is not a valid HyperLogLog string value."
        case .hllCorrupted: return "INVALIDOBJ Corrupted HLL object detected"
        case .invalidLonLat(let lon, let lat): return "ERR invalid longitude,latitude pair \(lon),\(lat)"
        case .geoUnsupportedUnit: return "ERR unsupported unit provided. please use M, KM, FT, MI"
        case .geoNeedNumeric(let what): return "ERR need numeric \(what)"
        case .geoRadiusNegative: return "ERR radius cannot be negative"
        case .geoBoxNegative: return "ERR height or width cannot be negative"
        case .geoMemberUndecodable: return "ERR could not decode requested zset member"
        case .geoCountNotPositive: return "ERR COUNT must be > 0"
        case .geoStoreIncompatible(let what): return "ERR \(what) is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        case .geoNeedsFrom(let command): return "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for \(command)"
        case .geoNeedsBy(let command): return "ERR exactly one of BYRADIUS and BYBOX can be specified for \(command)"
        case .geoAnyWithoutCount: return "ERR the ANY argument requires COUNT argument"
        case .custom(let s): return s
        }
    }

    /// The error code: the first word (`ERR`, `WRONGTYPE`...), for INFO errorstats.
    public var code: Substring {
        let t = text
        return t.prefix { $0 != " " }
    }

    /// The reply text as bytes. Messages quoting the client's arguments keep
    /// their bytes as Redis does (a reply may hold invalid UTF-8), and cut
    /// each argument at its first NUL byte, since Redis formats them as C strings.
    public var messageBytes: [UInt8] {
        func cString(_ b: [UInt8], max: Int) -> ArraySlice<UInt8> {
            let end = b.firstIndex(of: 0) ?? b.count
            return b[..<min(end, max)]
        }
        switch self {
        case .unknownCommand(let name, let args):
            // Arguments are quoted until the list reaches 128 bytes, the last one cut to fit.
            var list: [UInt8] = []
            for a in args {
                if list.count >= 128 { break }
                list.append(39)
                list += cString(a, max: 128 - list.count + 1)
                list += [39, 32]
            }
            return Array("ERR unknown command '".utf8) + cString(name, max: 128)
                + Array("', with args beginning with: ".utf8) + list
        case .unknownSubcommand(let name, let command):
            return Array("ERR unknown subcommand '".utf8) + cString(name, max: 128)
                + Array("'. Try \(command.uppercased()) HELP.".utf8)
        default:
            return Array(text.utf8)
        }
    }

    /// Redis truncates user-supplied names in messages to 128 bytes.
    static func clip(_ s: String) -> String {
        s.utf8.count <= 128 ? s : String(decoding: s.utf8.prefix(128), as: UTF8.self)
    }
}
