import CinnabarCore
import XCTest

/// Every recorded reply below is Redis 7.0.15's, byte for byte, to the same
/// command sequence run on an empty database: HLL values included, so values
/// written by either server read the same on the other.
final class HyperLogLogCommandsTests: XCTestCase {
    func testAddAndCount() {
        Harness().replay([
            step(words("PFADD", "h"), ":1\r\n"),
            step(words("EXISTS", "h"), ":1\r\n"),
            step(words("TYPE", "h"), "+string\r\n"),
            stepHex(words("GET", "h"), "2431380d0a48594c4c0100000000000000000000807fff0d0a"),
            step(words("PFCOUNT", "h"), ":0\r\n"),
            stepHex(words("GET", "h"), "2431380d0a48594c4c0100000000000000000000007fff0d0a"),
            step(words("PFADD", "h", "a", "b", "c"), ":1\r\n"),
            step(words("PFADD", "h", "a", "b", "c"), ":0\r\n"),
            step(words("PFADD", "h", ""), ":1\r\n"),
            stepHex(words("GET", "h"), "2433300d0a48594c4c01000000000000000000008057318449c08050b1844bfb80425a0d0a"),
            step(words("PFCOUNT", "h"), ":4\r\n"),
            stepHex(words("GET", "h"), "2433300d0a48594c4c01000000040000000000000057318449c08050b1844bfb80425a0d0a"),
            step(words("PFCOUNT", "h"), ":4\r\n"),
            step(words("OBJECT", "ENCODING", "h"), "$3\r\nraw\r\n"),
            step(words("STRLEN", "h"), ":30\r\n"),
            step(words("PFADD", "h2", "1", "2", "3", "4", "5"), ":1\r\n"),
            step(words("PFCOUNT", "h2"), ":5\r\n"),
            step(words("PFADD", "h2", "6", "7", "8", "8", "9", "10"), ":1\r\n"),
            step(words("PFCOUNT", "h2"), ":10\r\n"),
            step(words("PFDEBUG", "ENCODING", "h2"), "+sparse\r\n"),
            step(words("PFDEBUG", "DECODE", "h2"), "$128\r\nZ:495 v:2,1 Z:2084 v:1,1 Z:4946 v:1,1 Z:3297 v:1,1 Z:147 v:1,1 Z:3136 v:1,1 Z:728 v:1,1 Z:531 v:4,1 Z:185 v:1,1 z:22 v:2,1 Z:803\r\n"),
            stepHex(words("GET", "h2"), "2434370d0a48594c4c010000000a0000000000000041ee844823805351804ce0804092804c3f8042d78042128c40b880158443220d0a"),
            step(words("PFCOUNT", "nokey"), ":0\r\n"),
            step(words("EXISTS", "nokey"), ":0\r\n"),
            step(words("SET", "emb") + [hexBytes("48594c4c0100000000000000000000807fff")], "+OK\r\n"),
            step(words("OBJECT", "ENCODING", "emb"), "$6\r\nembstr\r\n"),
            step(words("PFCOUNT", "emb"), ":0\r\n"),
            step(words("OBJECT", "ENCODING", "emb"), "$3\r\nraw\r\n"),
            stepHex(words("GET", "emb"), "2431380d0a48594c4c0100000000000000000000007fff0d0a"),
            step(words("PFADD", "big", "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9", "e10", "e11", "e12", "e13", "e14", "e15", "e16", "e17", "e18", "e19", "e20", "e21", "e22", "e23", "e24", "e25", "e26", "e27", "e28", "e29", "e30", "e31", "e32", "e33", "e34", "e35", "e36", "e37", "e38", "e39", "e40", "e41", "e42", "e43", "e44", "e45", "e46", "e47", "e48", "e49", "e50", "e51", "e52", "e53", "e54", "e55", "e56", "e57", "e58", "e59", "e60", "e61", "e62", "e63", "e64", "e65", "e66", "e67", "e68", "e69", "e70", "e71", "e72", "e73", "e74", "e75", "e76", "e77", "e78", "e79", "e80", "e81", "e82", "e83", "e84", "e85", "e86", "e87", "e88", "e89", "e90", "e91", "e92", "e93", "e94", "e95", "e96", "e97", "e98", "e99"), ":1\r\n"),
            step(words("PFCOUNT", "big"), ":100\r\n"),
            step(words("PFADD", "big", "e100", "e101", "e102", "e103", "e104", "e105", "e106", "e107", "e108", "e109", "e110", "e111", "e112", "e113", "e114", "e115", "e116", "e117", "e118", "e119", "e120", "e121", "e122", "e123", "e124", "e125", "e126", "e127", "e128", "e129", "e130", "e131", "e132", "e133", "e134", "e135", "e136", "e137", "e138", "e139", "e140", "e141", "e142", "e143", "e144", "e145", "e146", "e147", "e148", "e149", "e150", "e151", "e152", "e153", "e154", "e155", "e156", "e157", "e158", "e159", "e160", "e161", "e162", "e163", "e164", "e165", "e166", "e167", "e168", "e169", "e170", "e171", "e172", "e173", "e174", "e175", "e176", "e177", "e178", "e179", "e180", "e181", "e182", "e183", "e184", "e185", "e186", "e187", "e188", "e189", "e190", "e191", "e192", "e193", "e194", "e195", "e196", "e197", "e198", "e199", "e200", "e201", "e202", "e203", "e204", "e205", "e206", "e207", "e208", "e209", "e210", "e211", "e212", "e213", "e214", "e215", "e216", "e217", "e218", "e219", "e220", "e221", "e222", "e223", "e224", "e225", "e226", "e227", "e228", "e229", "e230", "e231", "e232", "e233", "e234", "e235", "e236", "e237", "e238", "e239", "e240", "e241", "e242", "e243", "e244", "e245", "e246", "e247", "e248", "e249"), ":1\r\n"),
            step(words("PFCOUNT", "big"), ":251\r\n"),
            step(words("STRLEN", "big"), ":617\r\n"),
            stepHex(words("GET", "big"), "243631370d0a48594c4c01000000fb00000000000000368414880b801980409f84048402a40e880f80407f84406c9c019001881288388440948040758840a5881788405580008040608c1880411d881280404d8026800d842a8040638440768c40468440f290405480098019843f8416804061800980409480407e904073804062840d80406b842680408384405d84148040cb8407840d8040f080405c800080068427844081803c844047840780404e80404c802f841084039404844043840c842684406e804057841a80404084409d84198019802a8440e78c198c088440e8801d80208010801c884060801080404b8c4052881b804070883e80406e804057804063802b8c40df80148040618c1a840380407e80408080404580088440e4801780405a8012804052844063803a8040468c108c018401841e8811802384407d8440de84406280308812844065840784198040de844046843a8c404f8814802988008402800a8840578041328040739011842e844070801d8000840180189440428040b58440848c168421813c881d80138004843084108040898411883180404584409e88406080038013900d8040b88440bb88268c1e841180038040a2902284404980048440b8882c80404380388c0784405380238c308440998017840d8005800380405480409e88404c882e8840448040b080198408841f880380405b841b80398004804044804055800d88128440d380405988405f802a800290407e800784407b801d841d804048801e8440458418840f8440458033843a88138028842e8c40778440768040578419844048800e9022840a800a80405e840d8019901e8013801380408588288040468440440d0a"),
            step(words("PFDEBUG", "DECODE", "big"), "$2754\r\nz:55 v:2,1 z:21 v:3,1 z:12 v:1,1 z:26 v:1,1 Z:160 v:2,1 z:5 v:2,1 z:3 v:10,1 z:15 v:3,1 z:16 v:1,1 Z:128 v:2,1 Z:109 v:8,1 z:2 v:5,1 z:2 v:3,1 z:19 v:3,1 z:57 v:2,1 Z:149 v:1,1 Z:118 v:3,1 Z:166 v:3,1 z:24 v:3,1 Z:86 v:1,1 z:1 v:1,1 Z:97 v:4,1 z:25 v:1,1 Z:286 v:3,1 z:19 v:1,1 Z:78 v:1,1 z:39 v:1,1 z:14 v:2,1 z:43 v:1,1 Z:100 v:2,1 Z:119 v:4,1 Z:71 v:2,1 Z:243 v:5,1 Z:85 v:1,1 z:10 v:1,1 z:26 v:2,1 z:64 v:2,1 z:23 v:1,1 Z:98 v:1,1 z:10 v:1,1 Z:149 v:1,1 Z:127 v:5,1 Z:116 v:1,1 Z:99 v:2,1 z:14 v:1,1 Z:108 v:2,1 z:39 v:1,1 Z:132 v:2,1 Z:94 v:2,1 z:21 v:1,1 Z:204 v:2,1 z:8 v:2,1 z:14 v:1,1 Z:241 v:1,1 Z:93 v:1,1 z:1 v:1,1 z:7 v:2,1 z:40 v:2,1 Z:130 v:1,1 z:61 v:2,1 Z:72 v:2,1 z:8 v:1,1 Z:79 v:1,1 Z:77 v:1,1 z:48 v:2,1 z:17 v:2,1 z:4 v:6,1 z:5 v:2,1 Z:68 v:2,1 z:13 v:2,1 z:39 v:2,1 Z:111 v:1,1 Z:88 v:2,1 z:27 v:1,1 Z:65 v:2,1 Z:158 v:2,1 z:26 v:1,1 z:26 v:1,1 z:43 v:2,1 Z:232 v:4,1 z:26 v:4,1 z:9 v:2,1 Z:233 v:1,1 z:30 v:1,1 z:33 v:1,1 z:17 v:1,1 z:29 v:3,1 Z:97 v:1,1 z:17 v:1,1 Z:76 v:4,1 Z:83 v:3,1 z:28 v:1,1 Z:113 v:3,1 z:63 v:1,1 Z:111 v:1,1 Z:88 v:1,1 Z:100 v:1,1 z:44 v:4,1 Z:224 v:1,1 z:21 v:1,1 Z:98 v:4,1 z:27 v:2,1 z:4 v:1,1 Z:127 v:1,1 Z:129 v:1,1 Z:70 v:1,1 z:9 v:2,1 Z:229 v:1,1 z:24 v:1,1 Z:91 v:1,1 z:19 v:1,1 Z:83 v:2,1 Z:100 v:1,1 z:59 v:1,1 Z:71 v:4,1 z:17 v:4,1 z:2 v:2,1 z:2 v:2,1 z:31 v:3,1 z:18 v:1,1 z:36 v:2,1 Z:126 v:2,1 Z:223 v:2,1 Z:99 v:1,1 z:49 v:3,1 z:19 v:2,1 Z:102 v:2,1 z:8 v:2,1 z:26 v:1,1 Z:223 v:2,1 Z:71 v:2,1 z:59 v:4,1 Z:80 v:3,1 z:21 v:1,1 z:42 v:3,1 z:1 v:2,1 z:3 v:1,1 z:11 v:3,1 Z:88 v:1,1 Z:307 v:1,1 Z:116 v:5,1 z:18 v:2,1 z:47 v:2,1 Z:113 v:1,1 z:30 v:1,1 z:1 v:2,1 z:2 v:1,1 z:25 v:6,1 Z:67 v:1,1 Z:182 v:2,1 Z:133 v:4,1 z:23 v:2,1 z:34 v:1,2 z:61 v:3,1 z:30 v:1,1 z:20 v:1,1 z:5 v:2,1 z:49 v:2,1 z:17 v:1,1 Z:138 v:2,1 z:18 v:3,1 z:50 v:1,1 Z:70 v:2,1 Z:159 v:3,1 Z:97 v:1,1 z:4 v:1,1 z:20 v:5,1 z:14 v:1,1 Z:185 v:2,1 Z:188 v:3,1 z:39 v:4,1 z:31 v:2,1 z:18 v:1,1 z:4 v:1,1 Z:163 v:5,1 z:35 v:2,1 Z:74 v:1,1 z:5 v:2,1 Z:185 v:3,1 z:45 v:1,1 Z:68 v:1,1 z:57 v:4,1 z:8 v:2,1 Z:84 v:1,1 z:36 v:4,1 z:49 v:2,1 Z:154 v:1,1 z:24 v:2,1 z:14 v:1,1 z:6 v:1,1 z:4 v:1,1 Z:85 v:1,1 Z:159 v:3,1 Z:77 v:3,1 z:47 v:3,1 Z:69 v:1,1 Z:177 v:1,1 z:26 v:2,1 z:9 v:2,1 z:32 v:3,1 z:4 v:1,1 Z:92 v:2,1 z:28 v:1,1 z:58 v:1,1 z:5 v:1,1 Z:69 v:1,1 Z:86 v:1,1 z:14 v:3,1 z:19 v:2,1 Z:212 v:1,1 Z:90 v:3,1 Z:96 v:1,1 z:43 v:1,1 z:3 v:5,1 Z:127 v:1,1 z:8 v:2,1 Z:124 v:1,1 z:30 v:2,1 z:30 v:1,1 Z:73 v:1,1 z:31 v:2,1 Z:70 v:2,1 z:25 v:2,1 z:16 v:2,1 Z:70 v:1,1 z:52 v:2,1 z:59 v:3,1 z:20 v:1,1 z:41 v:2,1 z:47 v:4,1 Z:120 v:2,1 Z:119 v:1,1 Z:88 v:2,1 z:26 v:2,1 Z:73 v:1,1 z:15 v:5,1 z:35 v:2,1 z:11 v:1,1 z:11 v:1,1 Z:95 v:2,1 z:14 v:1,1 z:26 v:5,1 z:31 v:1,1 z:20 v:1,1 z:20 v:1,1 Z:134 v:3,1 z:41 v:1,1 Z:71 v:2,1 Z:69\r\n"),
            step(words("PFADD") + [hexBytes("6b00ff")] + [hexBytes("00")] + [hexBytes("fffe")] + words("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"), ":1\r\n"),
            stepHex(words("GET") + [hexBytes("6b00ff")], "2432370d0a48594c4c010000000000000000000080428d845ff884592e8044460d0a"),
        ])
    }

    func testMergeAndUnionCount() {
        Harness().replay([
            step(words("PFADD", "a", "1", "2", "3"), ":1\r\n"),
            step(words("PFADD", "b", "3", "4", "5"), ":1\r\n"),
            step(words("PFMERGE", "c", "a", "b"), "+OK\r\n"),
            step(words("PFCOUNT", "c"), ":5\r\n"),
            stepHex(words("GET", "c"), "2433330d0a48594c4c01000000050000000000000041ee844823805351804d7480512c8c43f30d0a"),
            step(words("PFCOUNT", "a", "b"), ":5\r\n"),
            step(words("PFCOUNT", "a", "b", "nokey"), ":5\r\n"),
            step(words("PFMERGE", "a", "b"), "+OK\r\n"),
            step(words("PFCOUNT", "a"), ":5\r\n"),
            stepHex(words("GET", "a"), "2433330d0a48594c4c01000000050000000000000041ee844823805351804d7480512c8c43f30d0a"),
            step(words("PFMERGE", "empty"), "+OK\r\n"),
            stepHex(words("GET", "empty"), "2431380d0a48594c4c0100000000000000000000807fff0d0a"),
            step(words("PFMERGE", "empty2", "nokey"), "+OK\r\n"),
            stepHex(words("GET", "empty2"), "2431380d0a48594c4c0100000000000000000000807fff0d0a"),
            step(words("PFMERGE", "c"), "+OK\r\n"),
            stepHex(words("GET", "c"), "2433330d0a48594c4c01000000050000000000008041ee844823805351804d7480512c8c43f30d0a"),
            step(words("PFADD", "d", "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9", "e10", "e11", "e12", "e13", "e14", "e15", "e16", "e17", "e18", "e19", "e20", "e21", "e22", "e23", "e24", "e25", "e26", "e27", "e28", "e29"), ":1\r\n"),
            step(words("PFDEBUG", "TODENSE", "d"), ":1\r\n"),
            step(words("PFMERGE", "e", "a", "d"), "+OK\r\n"),
            step(words("PFDEBUG", "ENCODING", "e"), "+dense\r\n"),
            step(words("PFCOUNT", "e"), ":35\r\n"),
            stepDigest(words("GET", "e"), length: 12314, fnv: 0xaf754d47f53dd665),
            step(words("PFADD", "f", "e20", "e21", "e22", "e23", "e24", "e25", "e26", "e27", "e28", "e29", "e30", "e31", "e32", "e33", "e34", "e35", "e36", "e37", "e38", "e39", "e40", "e41", "e42", "e43", "e44", "e45", "e46", "e47", "e48", "e49", "e50", "e51", "e52", "e53", "e54", "e55", "e56", "e57", "e58", "e59"), ":1\r\n"),
            step(words("PFMERGE", "f", "a"), "+OK\r\n"),
            step(words("PFDEBUG", "ENCODING", "f"), "+sparse\r\n"),
            stepHex(words("GET", "f"), "243134360d0a48594c4c0100000000000000000000804074804178843f9c40e88041358841f28840898043428043c88440e184421c804085840780404e80423c8440d38042638040a280458a80018042c68c24881180421888409d8042068842138440c184419c8c413980408c8045c78c41d880411c88413c88407d803f80409b8041518842f680338440798440478c424f8040ea8840b60d0a"),
            step(words("PFCOUNT", "f", "d", "a"), ":65\r\n"),
            step(words("PFMERGE", "g", "f", "d"), "+OK\r\n"),
            step(words("PFCOUNT", "g"), ":65\r\n"),
            stepDigest(words("GET", "g"), length: 12314, fnv: 0x0906fc4520980cb0),
        ])
    }

    func testErrors() {
        Harness().replay([
            step(words("PFADD"), "-ERR wrong number of arguments for 'pfadd' command\r\n"),
            step(words("PFCOUNT"), "-ERR wrong number of arguments for 'pfcount' command\r\n"),
            step(words("PFMERGE"), "-ERR wrong number of arguments for 'pfmerge' command\r\n"),
            step(words("PFDEBUG", "GETREG"), "-ERR wrong number of arguments for 'pfdebug' command\r\n"),
            step(words("PFDEBUG", "GETREG", "a", "b"), "-ERR wrong number of arguments for 'pfdebug' command\r\n"),
            step(words("PFSELFTEST", "x"), "-ERR wrong number of arguments for 'pfselftest' command\r\n"),
            step(words("SET", "s", "foo"), "+OK\r\n"),
            step(words("PFADD", "s", "a"), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"),
            step(words("PFCOUNT", "s"), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"),
            step(words("PFCOUNT", "s", "nokey"), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"),
            step(words("PFMERGE", "d", "s"), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"),
            step(words("PFMERGE", "s"), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"),
            step(words("PFDEBUG", "ENCODING", "s"), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"),
            step(words("SET", "n", "12345678901234567890"), "+OK\r\n"),
            step(words("PFCOUNT", "n"), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"),
            step(words("LPUSH", "l", "x"), ":1\r\n"),
            step(words("PFADD", "l", "a"), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            step(words("PFCOUNT", "l"), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            step(words("PFADD", "h", "a"), ":1\r\n"),
            step(words("PFCOUNT", "h", "l"), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            step(words("PFMERGE", "l", "h"), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            step(words("PFMERGE", "h", "l"), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            step(words("PFDEBUG", "ENCODING", "l"), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"),
            step(words("PFDEBUG", "ENCODING", "nokey"), "-ERR The specified key does not exist\r\n"),
            step(words("PFDEBUG", "nosuch", "nokey"), "-ERR The specified key does not exist\r\n"),
            step(words("PFDEBUG", "nosuch", "h"), "-ERR Unknown PFDEBUG subcommand 'nosuch'\r\n"),
            step(words("PFDEBUG", "TODENSE", "h"), ":1\r\n"),
            step(words("PFDEBUG", "DECODE", "h"), "-ERR HLL encoding is not sparse\r\n"),
            step(words("PFDEBUG", "encoding", "h"), "+dense\r\n"),
            step(words("PFDEBUG", "todense", "h"), ":0\r\n"),
            step(words("INFO", "errorstats"), "$68\r\n# Errorstats\r\nerrorstat_ERR:count=10\r\nerrorstat_WRONGTYPE:count=13\r\n\r\n"),
        ])
    }

    func testCorruptedValues() {
        Harness().replay([
            step(words("PFADD", "hll", "a", "b", "c"), ":1\r\n"),
            step(words("APPEND", "hll", "hello"), ":32\r\n"),
            step(words("PFCOUNT", "hll"), "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            step(words("PFADD", "hll", "zz"), ":1\r\n"),
            stepHex(words("GET", "hll"), "2433350d0a48594c4c0100000000000000000000804ad98056188050b1844bfb80425a68656c6c6f0d0a"),
            step(words("DEL", "hll"), ":1\r\n"),
            step(words("PFADD", "hll", "a", "b", "c"), ":1\r\n"),
            step(words("SETRANGE", "hll", "0", "0123"), ":27\r\n"),
            step(words("PFCOUNT", "hll"), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"),
            step(words("DEL", "hll"), ":1\r\n"),
            step(words("PFADD", "hll", "a", "b", "c"), ":1\r\n"),
            step(words("SETRANGE", "hll", "4", "x"), ":27\r\n"),
            step(words("PFCOUNT", "hll"), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"),
            step(words("DEL", "hll"), ":1\r\n"),
            step(words("PFADD", "hll", "a", "b", "c"), ":1\r\n"),
            step(words("SETRANGE", "hll", "4") + [hexBytes("00")], ":27\r\n"),
            step(words("PFCOUNT", "hll"), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"),
            step(words("SET", "t1") + [hexBytes("48594c4c0100000000000000000000807fff80")], "+OK\r\n"),
            step(words("PFCOUNT", "t1"), "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            step(words("PFCOUNT", "t1", "x"), "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            step(words("PFMERGE", "m", "t1"), "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            step(words("PFDEBUG", "TODENSE", "t1"), "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            step(words("PFADD", "t1", "a"), ":1\r\n"),
            stepHex(words("GET", "t1"), "2432320d0a48594c4c01000000000000000000008071a6844e57800d0a"),
            step(words("SET", "t2") + [hexBytes("48594c4c0100000000000000000000807ffe01")], "+OK\r\n"),
            step(words("PFCOUNT", "t2", "x"), "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            step(words("PFDEBUG", "GETREG", "t2"), "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            step(words("PFADD", "t2", "zzz", "yy"), ":1\r\n"),
            stepHex(words("GET", "t2"), "2432350d0a48594c4c0100000000000000000000804b1b80604488549b010d0a"),
            step(words("SET", "t3") + [hexBytes("48594c4c0100000000000000000000807fff7fff")], "+OK\r\n"),
            step(words("PFCOUNT", "t3"), "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            step(words("PFMERGE", "m", "t3"), "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            step(words("PFADD", "t3", "q"), ":1\r\n"),
            stepHex(words("GET", "t3"), "2432330d0a48594c4c01000000000000000000008055af946a4e7fff0d0a"),
            step(words("SET", "t4") + [hexBytes("48594c4c0100000000000000000000807ffe")], "+OK\r\n"),
            step(words("PFCOUNT", "t4"), "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            step(words("PFADD", "t4", "a", "b"), ":1\r\n"),
            stepHex(words("GET", "t4"), "2432340d0a48594c4c01000000000000000000008071a6844bfb8042590d0a"),
            step(words("SET", "t5") + [hexBytes("48594c4c010000000000000000000080")], "+OK\r\n"),
            step(words("PFCOUNT", "t5"), "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            step(words("PFADD", "t5", "a"), "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            step(words("PFDEBUG", "DECODE", "t5"), "$0\r\n\r\n"),
            step(words("SET", "t6") + [hexBytes("48594c4c0100000000000000000000807ffe8080")], "+OK\r\n"),
            step(words("PFCOUNT", "t6", "t1"), "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            step(words("PFDEBUG", "TODENSE", "t6"), "-INVALIDOBJ Corrupted HLL object detected\r\n"),
            step(words("SET", "t7") + [hexBytes("48594c4c020000000000000000000000000000000000000000")], "+OK\r\n"),
            step(words("PFCOUNT", "t7"), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"),
            step(words("SET", "t8") + [hexBytes("48594c4c000000000000000000000000000000000000000000")], "+OK\r\n"),
            step(words("PFCOUNT", "t8"), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"),
            step(words("SET", "t9", "HYL"), "+OK\r\n"),
            step(words("PFADD", "t9", "a"), "-WRONGTYPE Key is not a valid HyperLogLog string value.\r\n"),
            step(words("EXISTS", "m"), ":0\r\n"),
            step(words("INFO", "errorstats"), "$74\r\n# Errorstats\r\nerrorstat_INVALIDOBJ:count=14\r\nerrorstat_WRONGTYPE:count=6\r\n\r\n"),
        ])
    }

    func testSparseToDensePromotion() {
        Harness().replay([
            step(words("PFADD", "p", "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9", "e10", "e11", "e12", "e13", "e14", "e15", "e16", "e17", "e18", "e19", "e20", "e21", "e22", "e23", "e24", "e25", "e26", "e27", "e28", "e29", "e30", "e31", "e32", "e33", "e34", "e35", "e36", "e37", "e38", "e39", "e40", "e41", "e42", "e43", "e44", "e45", "e46", "e47", "e48", "e49"), ":1\r\n"),
            step(words("PFDEBUG", "ENCODING", "p"), "+sparse\r\n"),
            step(words("STRLEN", "p"), ":157\r\n"),
            step(words("CONFIG", "SET", "hll-sparse-max-bytes", "100"), "+OK\r\n"),
            step(words("PFADD", "p", "more1"), ":1\r\n"),
            step(words("PFDEBUG", "ENCODING", "p"), "+dense\r\n"),
            step(words("PFADD", "p", "more2", "more3"), ":1\r\n"),
            step(words("PFDEBUG", "ENCODING", "p"), "+dense\r\n"),
            step(words("STRLEN", "p"), ":12304\r\n"),
            stepDigest(words("GET", "p"), length: 12314, fnv: 0x847b454ce71107c4),
            step(words("PFCOUNT", "p"), ":53\r\n"),
            step(words("PFADD", "q", "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9", "e10", "e11"), ":1\r\n"),
            step(words("PFDEBUG", "ENCODING", "q"), "+sparse\r\n"),
            stepHex(words("GET", "q"), "2435340d0a48594c4c01000000000000000000008045258044528042da844fc9804412844a5184430d8441038446d18047e684408880406a8441b10d0a"),
            step(words("PFADD", "q", "e12", "e13", "e14", "e15", "e16", "e17", "e18", "e19", "e20", "e21", "e22", "e23", "e24", "e25", "e26", "e27", "e28", "e29", "e30", "e31", "e32", "e33", "e34", "e35", "e36", "e37", "e38", "e39"), ":1\r\n"),
            step(words("PFDEBUG", "ENCODING", "q"), "+dense\r\n"),
            stepDigest(words("GET", "q"), length: 12314, fnv: 0x91daba38daec1ac4),
            step(words("PFCOUNT", "q"), ":40\r\n"),
            step(words("CONFIG", "SET", "hll-sparse-max-bytes", "0"), "+OK\r\n"),
            step(words("PFADD", "r", "x"), ":1\r\n"),
            step(words("PFDEBUG", "ENCODING", "r"), "+dense\r\n"),
            step(words("STRLEN", "r"), ":12304\r\n"),
            step(words("PFCOUNT", "r"), ":1\r\n"),
            step(words("CONFIG", "GET", "hll-sparse-max-bytes"), "*2\r\n$20\r\nhll-sparse-max-bytes\r\n$1\r\n0\r\n"),
            step(words("CONFIG", "SET", "hll-sparse-max-bytes", "3kb"), "+OK\r\n"),
            step(words("CONFIG", "GET", "hll-sparse-max-bytes"), "*2\r\n$20\r\nhll-sparse-max-bytes\r\n$4\r\n3072\r\n"),
            step(words("CONFIG", "SET", "hll-sparse-max-bytes", "-1"), "-ERR CONFIG SET failed (possibly related to argument 'hll-sparse-max-bytes') - argument must be a memory value\r\n"),
            step(words("CONFIG", "SET", "hll-sparse-max-bytes", "3000"), "+OK\r\n"),
            step(words("PFADD", "s", "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9", "e10", "e11", "e12", "e13", "e14", "e15", "e16", "e17", "e18", "e19", "e20", "e21", "e22", "e23", "e24", "e25", "e26", "e27", "e28", "e29", "e30", "e31", "e32", "e33", "e34", "e35", "e36", "e37", "e38", "e39", "e40", "e41", "e42", "e43", "e44", "e45", "e46", "e47", "e48", "e49", "e50", "e51", "e52", "e53", "e54", "e55", "e56", "e57", "e58", "e59", "e60", "e61", "e62", "e63", "e64", "e65", "e66", "e67", "e68", "e69", "e70", "e71", "e72", "e73", "e74", "e75", "e76", "e77", "e78", "e79", "e80", "e81", "e82", "e83", "e84", "e85", "e86", "e87", "e88", "e89", "e90", "e91", "e92", "e93", "e94", "e95", "e96", "e97", "e98", "e99", "e100", "e101", "e102", "e103", "e104", "e105", "e106", "e107", "e108", "e109", "e110", "e111", "e112", "e113", "e114", "e115", "e116", "e117", "e118", "e119", "e120", "e121", "e122", "e123", "e124", "e125", "e126", "e127", "e128", "e129", "e130", "e131", "e132", "e133", "e134", "e135", "e136", "e137", "e138", "e139", "e140", "e141", "e142", "e143", "e144", "e145", "e146", "e147", "e148", "e149", "e150", "e151", "e152", "e153", "e154", "e155", "e156", "e157", "e158", "e159", "e160", "e161", "e162", "e163", "e164", "e165", "e166", "e167", "e168", "e169", "e170", "e171", "e172", "e173", "e174", "e175", "e176", "e177", "e178", "e179", "e180", "e181", "e182", "e183", "e184", "e185", "e186", "e187", "e188", "e189", "e190", "e191", "e192", "e193", "e194", "e195", "e196", "e197", "e198", "e199", "e200", "e201", "e202", "e203", "e204", "e205", "e206", "e207", "e208", "e209", "e210", "e211", "e212", "e213", "e214", "e215", "e216", "e217", "e218", "e219", "e220", "e221", "e222", "e223", "e224", "e225", "e226", "e227", "e228", "e229", "e230", "e231", "e232", "e233", "e234", "e235", "e236", "e237", "e238", "e239", "e240", "e241", "e242", "e243", "e244", "e245", "e246", "e247", "e248", "e249", "e250", "e251", "e252", "e253", "e254", "e255", "e256", "e257", "e258", "e259", "e260", "e261", "e262", "e263", "e264", "e265", "e266", "e267", "e268", "e269", "e270", "e271", "e272", "e273", "e274", "e275", "e276", "e277", "e278", "e279", "e280", "e281", "e282", "e283", "e284", "e285", "e286", "e287", "e288", "e289", "e290", "e291", "e292", "e293", "e294", "e295", "e296", "e297", "e298", "e299", "e300", "e301", "e302", "e303", "e304", "e305", "e306", "e307", "e308", "e309", "e310", "e311", "e312", "e313", "e314", "e315", "e316", "e317", "e318", "e319", "e320", "e321", "e322", "e323", "e324", "e325", "e326", "e327", "e328", "e329", "e330", "e331", "e332", "e333", "e334", "e335", "e336", "e337", "e338", "e339", "e340", "e341", "e342", "e343", "e344", "e345", "e346", "e347", "e348", "e349", "e350", "e351", "e352", "e353", "e354", "e355", "e356", "e357", "e358", "e359", "e360", "e361", "e362", "e363", "e364", "e365", "e366", "e367", "e368", "e369", "e370", "e371", "e372", "e373", "e374", "e375", "e376", "e377", "e378", "e379", "e380", "e381", "e382", "e383", "e384", "e385", "e386", "e387", "e388", "e389", "e390", "e391", "e392", "e393", "e394", "e395", "e396", "e397", "e398", "e399"), ":1\r\n"),
            step(words("PFDEBUG", "ENCODING", "s"), "+sparse\r\n"),
            step(words("STRLEN", "s"), ":893\r\n"),
            step(words("PFCOUNT", "s"), ":403\r\n"),
            stepHex(words("GET", "s"), "243839330d0a48594c4c01000000930100000000000019801b8414880b8019802c80038021800c803b84048402a40e880f803380404a840388404080259c01900188128838840d804085804065840e88404c804057881788118040428000803588298c0b80088001800c800c84405080409480198812802d801e80268001880a842a8040638440768c148030844062844069841a8007904054800980108007843f84168021843e8009801e80404e8024804062881a904073804055840b840d800080018440668418840c804067841a84405d8407840b80406f8040588c00848006840d8040418040ad801080404a80008006842784408180268014844047840780404a8402801d90288803802f841084039404843b8006840c84268438800c80268038841d841a80404084409d84198019802a8440e78c198c0884405f84404d9838801d80208010800f800b881d88339c0c8010801880318c4052881b800f8c405f883e8023844049804057804063801280178c40df80148040618c1a84038000802f8c404b803e881d84218004843f80088440e4801780404480148012804052841788404a801b801d8007883d8c0b88038c018401841e880c8403801f840284148840678440b2802a84178c4049803088008410843684058008801c840784198028804053800b840780228025844046843a8c404f8814802988008402800a884057804132802a881d802890118422840a84407080138408800084018018941884288002800180407e8c2e84404b80378c168410800f813c881d801380048430840e84008006804044801184288411883180404584178c407e800588406080038013900d80409b881b84405088406988268c0e800e84118003801780404e84399022840a843d8004841280068c404e80248426882c800c8029800a802384138c07844053802084018c30844068801f840e8017840d80058003801d8435801b8026804059880b983c8801882e8837840b8040698c0c803780198408841f880380405b841b80398004804044800580404e800d8812840190407488405a801684208800841d880f902c8420800c801c8002902080405c800784407b801d841d80148832801e84008440438418840f8440458024800d843a88138028842e8c4077842c8000882480208017883e84198428800680138001800e901c8004840a800a8040448418840788048019901e8013801380108c405a8c1690880e80188040468440440d0a"),
            step(words("PFADD", "s", "e401", "e402"), ":1\r\n"),
            step(words("PFCOUNT", "s"), ":405\r\n"),
            stepHex(words("GET", "s"), "243839370d0a48594c4c01000000950100000000000019801b8414880b8019802c80038021800c803b84048402a40e880f803380404a840388404080259c01900188128838840d804085804065840e88404c804057881788118040428000803588298c0b80088001800c800c84405080409480198812802d801e80268001880a842a8040638440768c148030844062844069841a8007904054800980108007843f84168021843e8009801e80404e8024804062881a904073804055840b840d800080018440668418840c804067841a84405d8407840b80406f8040588c00848006840d8040418040ad801080404a80008006842784408180268014844047840780404a8402801d90288803802f841084039404843b8006840c84268438800c80268038841d841a80404084409d84198019802a8440e78c198c0884405f84404d9838801d80208010800f800b881d88339c0c8010801880318c4052881b800f8c405f883e8023844049804057804063801280178c40df80148040618c1a84038000802f8c404b803e881d84218004843f80088440e4801780404480148012804052841788404a801b801d8007883d8c0b88038c018401841e880c8403801f840284148840678440b2802a84178c4049803088008410843684058008801c840784198028804053800b840780228025844046843a8c404f8814802988008402800a884057804132802a881d802890118422840a844070801384088000840180189418842880028001802b8040518c2e84404b80378c168410800f813c881d801380048430840e84008006804044801184288411883180404584178c407e800588406080038013900d80409b881b84405088406988268c0e800e84118003801780404e84399022840a843d8004841280068c404e80248426882c800c8029800a802384138c07844053802084018c30844068801f840e800a800b840d80058003801d8435801b8026804059880b983c8801882e8837840b8040698c0c803780198408841f880380405b841b80398004804044800580404e800d8812840190407488405a801684208800841d880f902c8420800c801c8002902080405c800784407b801d841d80148832801e84008440438418840f8440458024800d843a88138028842e8c4077842c8000882480208017883e84198428800680138001800e901c8004840a800a8040448418840788048019901e8013801380108c405a8c1690880e80188040468440440d0a"),
            stepDigest(words("PFDEBUG", "GETREG", "s"), length: 65545, fnv: 0x6f1d30f4a2ce4049),
        ])
    }

    func testRESP3AndExpiry() {
        Harness().replay([
            stepUnchecked(words("HELLO", "3")),
            step(words("PFADD", "h", "a"), ":1\r\n"),
            step(words("PFCOUNT", "h"), ":1\r\n"),
            step(words("PFDEBUG", "ENCODING", "h"), "+sparse\r\n"),
            step(words("PFDEBUG", "DECODE", "h"), "$20\r\nZ:12711 v:2,1 Z:3672\r\n"),
            step(words("PFDEBUG", "TODENSE", "nokey"), "-ERR The specified key does not exist\r\n"),
            step(words("EXPIRE", "h", "100"), ":1\r\n"),
            step(words("PFADD", "h", "b", "c"), ":1\r\n"),
            step(words("TTL", "h"), ":100\r\n"),
            step(words("PFDEBUG", "TODENSE", "h"), ":1\r\n"),
            step(words("TTL", "h"), ":100\r\n"),
            step(words("PFMERGE", "h", "h"), "+OK\r\n"),
            step(words("TTL", "h"), ":100\r\n"),
            stepUnchecked(words("HELLO", "2")),
        ])
    }

    func testDumpRestoreWithRedis() {
        Harness().replay([
            step(words("RESTORE", "rs", "0") + [hexBytes("003048594c4c010000000000000000000080452580472e844fc9804412844a5184430d844103844eb984408880406a8441b10a00a09d3ad552471ee6")], "+OK\r\n"),
            step(words("RESTORE", "rd", "0") + [hexBytes("00c340b970100448594c4c00e001000080e0010ae0ff00e0ff00e0ff00e0b1000010e0b1bae0ff00e0ff00e0ff00e0ff00e080000020e08089e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0f5000040e0f5fee0ff00e0ff00f8ff27e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e07e000002e07e87e0ff00e0b2000008e0b2bbc000e3ff0ee0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0b300eb5ecff9484ff6ff91e034000100000a00b12cefb50163b0b7")], "+OK\r\n"),
            step(words("PFCOUNT", "rs"), ":10\r\n"),
            step(words("PFCOUNT", "rd"), ":10\r\n"),
            step(words("PFDEBUG", "ENCODING", "rd"), "+dense\r\n"),
            stepHex(words("GET", "rs"), "2434380d0a48594c4c010000000a00000000000000452580472e844fc9804412844a5184430d844103844eb984408880406a8441b10d0a"),
            stepDigest(words("GET", "rd"), length: 12314, fnv: 0x2cedf5302c6f579c),
            step(words("PFADD", "rs", "x", "y"), ":1\r\n"),
            step(words("PFADD", "rd", "x", "y"), ":1\r\n"),
            step(words("PFCOUNT", "rs", "rd"), ":12\r\n"),
            stepHex(words("DUMP", "rs"), "2436350d0a003548594c4c010000000a00000000000080452580472e844fc9804412844a5184430d844103844bb688430184408880406a8441a784080a00f4b5d54277c48fe20d0a"),
            stepHex(words("DUMP", "rd"), "243231340d0a00c340c670100448594c4c002000000a2003200000802003e0ff00e0ff00e0ff00e0b8000010e0b8c1e0ff00e0ff00e0ff00e0ff00e079000020e07982e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0fc000040e1fc05e0ff00e0f800f8ff27e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e07e000002e07e87e0ff00e0b2000008e0b2bbc000e3ff0ee0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e081000003e0818ae0ff00e0a600eb5ecff9484ff6ff91e02e00002060370100000a00342829960f7e80970d0a"),
            step(words("PFADD", "sp", "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"), ":1\r\n"),
            stepHex(words("DUMP", "sp"), "2436300d0a003048594c4c010000000000000000000080452580472e844fc9804412844a5184430d844103844eb984408880406a8441b10a00a09d3ad552471ee60d0a"),
            step(words("CONFIG", "SET", "hll-sparse-max-bytes", "0"), "+OK\r\n"),
            step(words("PFADD", "dn", "e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"), ":1\r\n"),
            stepHex(words("DUMP", "dn"), "243230310d0a00c340b970100448594c4c00e001000080e0010ae0ff00e0ff00e0ff00e0b1000010e0b1bae0ff00e0ff00e0ff00e0ff00e080000020e08089e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0f5000040e0f5fee0ff00e0ff00f8ff27e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e07e000002e07e87e0ff00e0b2000008e0b2bbc000e3ff0ee0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0b300eb5ecff9484ff6ff91e034000100000a00b12cefb50163b0b70d0a"),
            step(words("PFMERGE", "dn", "rs"), "+OK\r\n"),
            stepHex(words("DUMP", "dn"), "243231300d0a00c340c270100448594c4c00e001000080e0010ae0ff00e0ff00e0ff00e0b1000010e0b1bae0ff00e0ff00e0ff00e0ff00e080000020e08089e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0f5000040e0f5fee0ff00e0ff00f8ff27e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e07e000002e07e87e0ff00e0b2000008e0b2bbc000e3ff0ee0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e0ff00e081000003e0818ae0ff00e0a600eb5ecff9484ff6ff91e02e00002060370100000a0087f3df2b78db46e90d0a"),
        ])
    }

    func testSelfTest() {
        let h = Harness()
        XCTAssertEqual(h.run("PFSELFTEST"), R.ok)
    }

    /// Only a register change or a cache refresh counts as a change (save
    /// points, WATCH), as in Redis.
    func testChangesAndWatch() {
        let h = Harness(["notify-keyspace-events": "EAn"])
        let other = h.newClient()
        let events = h.recordKeyEvents()
        XCTAssertEqual(h.changes("PFADD", "h", "a", "b"), 3, "the creation and each raised register")
        XCTAssertEqual(events(), ["new h", "pfadd h"])
        XCTAssertEqual(h.changes("PFADD", "h", "a"), 0)
        XCTAssertEqual(h.changes("PFCOUNT", "h"), 1, "the cached estimate was refreshed")
        XCTAssertEqual(h.changes("PFCOUNT", "h"), 0)
        XCTAssertEqual(h.changes("PFMERGE", "m", "h"), 1)
        XCTAssertEqual(h.changes("PFDEBUG", "TODENSE", "m"), 1)
        XCTAssertEqual(h.changes("PFDEBUG", "TODENSE", "m"), 0)
        XCTAssertEqual(events(), ["new m", "pfadd m"])
        XCTAssertEqual(h.run("WATCH", "h"), R.ok)
        XCTAssertEqual(h.run("PFCOUNT", "h", on: other), R.int(2))
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("PFCOUNT", "h"), R.status("QUEUED"))
        XCTAssertEqual(h.run("EXEC"), "*1\r\n:2\r\n", "a cached estimate is no change")
        XCTAssertEqual(h.run("WATCH", "h"), R.ok)
        XCTAssertEqual(h.run("PFADD", "h", "c", on: other), R.int(1))
        XCTAssertEqual(h.run("MULTI"), R.ok)
        XCTAssertEqual(h.run("PFCOUNT", "h"), R.status("QUEUED"))
        XCTAssertEqual(h.run("EXEC"), R.nullArray)
    }

    /// Estimates of the same elements held sparse and dense stay equal and
    /// close to the truth, and their registers match.
    func testDenseAndSparseAgree() {
        let h = Harness()
        for batch in 0..<20 {
            let elements = (0..<50).map { "x\(batch * 50 + $0)" }
            XCTAssertEqual(h.run((["PFADD", "s"] + elements).map { Array($0.utf8) }), R.int(1))
            XCTAssertEqual(h.run((["PFADD", "d"] + elements).map { Array($0.utf8) }), R.int(1))
            if batch == 0 { XCTAssertEqual(h.run("PFDEBUG", "TODENSE", "d"), R.int(1)) }
            XCTAssertEqual(h.run("PFCOUNT", "s"), h.run("PFCOUNT", "d"))
        }
        XCTAssertEqual(h.run("PFDEBUG", "ENCODING", "s"), R.status("sparse"))
        XCTAssertEqual(h.run("PFDEBUG", "ENCODING", "d"), R.status("dense"))
        let card = Int(h.run("PFCOUNT", "s").dropFirst().dropLast())!  // ":<n>\r\n" (CRLF is one Character)
        XCTAssertEqual(card, 1001, "Redis 7.0.15 estimates 1001")
        XCTAssertEqual(h.run("PFDEBUG", "GETREG", "s"), h.run("PFDEBUG", "GETREG", "d"))
    }
}
