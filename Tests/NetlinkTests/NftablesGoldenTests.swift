import Glibc
import Netlink
import PodNetwork
import PodlabCore
import SystemPackage
import Testing

/// Exact nf_tables request bytes. The table, chain and rule layouts are compared with what
/// nft 1.0.6 sends for the same ruleset (captured with
/// `strace -e trace=sendmsg -xx nft -f` on
/// `table inet podlab-plh-n0 { chain forward { type filter hook forward priority filter; policy accept;
/// iifname "plh-n0" oifname != "plh-n0" drop; oifname "plh-n0" iifname != "plh-n0" drop } }`);
/// podlab differs only in asking for ACKs (NLM_F_ACK) and NLM_F_CREATE on the table.
@Suite struct NftablesGoldenTests {
    let socket = RecordingNetlinkSocket()

    /// `nft`'s NFTA_RULE_EXPRESSIONS payload for `iifname "plh-n0" oifname != "plh-n0" drop`
    /// (copied from the strace capture, 232 bytes).
    static let nftIifRule = "24000180" + "090001006d65746100000000" + "14000280" + "0800020000000006" + "0800010000000001"  // meta load iifname => reg 1
        + "38000180" + "08000100636d7000" + "2c000280" + "0800010000000001" + "0800020000000000"                         // cmp eq reg 1
        + "18000380" + "14000100706c682d6e3000000000000000000000"                                                         //   "plh-n0" + 10 NULs
        + "24000180" + "090001006d65746100000000" + "14000280" + "0800020000000007" + "0800010000000001"                // meta load oifname => reg 1
        + "38000180" + "08000100636d7000" + "2c000280" + "0800010000000001" + "0800020000000001"                         // cmp neq reg 1
        + "18000380" + "14000100706c682d6e3000000000000000000000"
        + "30000180" + "0e000100696d6d6564696174650000001c000280" + "0800010000000000"                                  // immediate reg 0
        + "10000280" + "0c000280" + "0800010000000000"                                                                    //   verdict drop
    static let nftOifRule = "24000180090001006d6574610000000014000280080002000000000708000100000000013800018008000100636d70002c0002800800010000000001"
        + "08000200000000001800038014000100706c682d6e300000000000000000000024000180090001006d65746100000000140002800800020000000006"
        + "08000100000000013800018008000100636d70002c000280080001000000000108000200000000011800038014000100706c682d6e30000000000000"
        + "00000000300001800e000100696d6d6564696174650000001c0002800800010000000000100002800c0002800800010000000000"

    static let table = "1200" + "0100" + "706f646c61622d706c682d6e3000" + "0000"   // NFTA_*_TABLE "podlab-plh-n0\0" + pad

    /// ACKs for sequence numbers `range`, in one datagram.
    static func acks(_ range: ClosedRange<UInt32>) -> [UInt8] {
        range.flatMap { RecordingNetlinkSocket.errorMessage(code: 0, sequence: $0) }
    }

    @Test func forwardFilterIsOneTransactionMatchingNft() throws {
        socket.enqueueReply([Self.acks(2...7)])
        let session = NftablesSession(socket: socket)
        try session.replaceTable(family: NftConstant.NFPROTO_INET, name: "podlab-plh-n0",
                                 chains: [PodNetwork.forwardFilterChain(bridge: "plh-n0")])
        let begin = "14000000" + "1000" + "0100" + "01000000" + "00000000" + "0000000a"      // NFNL_MSG_BATCH_BEGIN, res_id NFTABLES
        let newTable = { (seq: String) in
            "30000000" + "000a" + "0504" + seq + "00000000" + "01000000"                      // NFT_MSG_NEWTABLE inet, REQUEST|ACK|CREATE
                + Self.table + "0800" + "0200" + "00000000"                                     // NFTA_TABLE_FLAGS 0
        }
        let delTable = "28000000" + "020a" + "0500" + "03000000" + "00000000" + "01000000" + Self.table
        let chain = "5c000000" + "030a" + "0504" + "05000000" + "00000000" + "01000000"      // NFT_MSG_NEWCHAIN, 92 B
            + Self.table
            + "0c00" + "0300" + "666f727761726400"                                            // NFTA_CHAIN_NAME "forward"
            + "0b00" + "0700" + "66696c74657200" + "00"                                        // NFTA_CHAIN_TYPE "filter"
            + "0800" + "0500" + "00000001"                                                     // NFTA_CHAIN_POLICY NF_ACCEPT
            + "1400" + "0480" + "0800" + "0100" + "00000002" + "0800" + "0200" + "00000000"    // HOOK: NF_INET_FORWARD, priority 0
        let rule = { (seq: String, expressions: String) in
            "20010000" + "060a" + "050c" + seq + "00000000" + "01000000"                      // NFT_MSG_NEWRULE, 288 B, REQUEST|ACK|CREATE|APPEND
                + Self.table + "0c00" + "0200" + "666f727761726400"                             // NFTA_RULE_CHAIN "forward"
                + "ec00" + "0480" + expressions                                                 // NFTA_RULE_EXPRESSIONS (236 B)
        }
        let end = "14000000" + "1100" + "0100" + "08000000" + "00000000" + "0000000a"        // NFNL_MSG_BATCH_END
        let expected = begin + newTable("02000000") + delTable + newTable("04000000") + chain
            + rule("06000000", Self.nftIifRule) + rule("07000000", Self.nftOifRule) + end
        #expect(socket.requests.map(\.hex) == [expected], "one datagram, one transaction")
    }

    @Test func aRejectedMessageNamesItselfAndFailsTheTransaction() throws {
        socket.enqueueReply([Self.acks(2...4) + RecordingNetlinkSocket.errorMessage(code: -EOPNOTSUPP, sequence: 5) + Self.acks(6...7)])
        let session = NftablesSession(socket: socket)
        let error = #expect(throws: PodlabError.self) {
            try session.replaceTable(family: NftConstant.NFPROTO_INET, name: "podlab-plh-n0",
                                     chains: [PodNetwork.forwardFilterChain(bridge: "plh-n0")])
        }
        #expect(error?.message == "netlink NFT_MSG_NEWCHAIN(inet podlab-plh-n0 forward)")
        #expect((error?.cause as? Errno) == Errno(rawValue: EOPNOTSUPP))
    }

    @Test func batchBeginRefusedIsReported() throws {
        // What a kernel without nf_tables (or without CAP_NET_ADMIN) answers: one error for the batch.
        socket.enqueueReply([RecordingNetlinkSocket.errorMessage(code: -EPERM, sequence: 1)])
        let error = #expect(throws: PodlabError.self) {
            try NftablesSession(socket: socket).deleteTable(family: NftConstant.NFPROTO_INET, name: "podlab-plh-n0")
        }
        #expect(error?.message == "netlink NFNL_MSG_BATCH_BEGIN")
        #expect((error?.cause as? Errno) == Errno(rawValue: EPERM))
    }

    @Test func deleteTableIsOneMessageAndMissingIsFalse() throws {
        socket.enqueueReply([RecordingNetlinkSocket.errorMessage(code: 0, sequence: 2)])
        socket.enqueueReply([RecordingNetlinkSocket.errorMessage(code: -ENOENT, sequence: 5)])
        let session = NftablesSession(socket: socket)
        #expect(try session.deleteTable(family: NftConstant.NFPROTO_INET, name: "podlab-plh-n0"))
        #expect(try !session.deleteTable(family: NftConstant.NFPROTO_INET, name: "podlab-plh-n0"))
        let delete = "28000000" + "020a" + "0500" + "02000000" + "00000000" + "01000000" + Self.table
        #expect(socket.requests.first?.hex == "14000000" + "1000" + "0100" + "01000000" + "00000000" + "0000000a"
                + delete + "14000000" + "1100" + "0100" + "03000000" + "00000000" + "0000000a")
    }

    @Test func ruleCountDumpsOneChainAndCountsRules() throws {
        func ruleMessage() -> [UInt8] {
            var message = NetlinkMessageBuilder(type: NftConstant.messageType(NftConstant.NFT_MSG_NEWRULE), flags: NetlinkConstant.NLM_F_MULTI, sequence: 1)
            message.appendNfGenMsg(family: NftConstant.NFPROTO_INET)
            return message.finish()
        }
        let done = NetlinkMessageBuilder(type: NetlinkConstant.NLMSG_DONE, flags: NetlinkConstant.NLM_F_MULTI, sequence: 1).finish()
        socket.enqueueReply([ruleMessage() + ruleMessage(), done])
        socket.enqueueReply([RecordingNetlinkSocket.errorMessage(code: -ENOENT, sequence: 2)])
        let session = NftablesSession(socket: socket)
        #expect(try session.ruleCount(family: NftConstant.NFPROTO_INET, table: "podlab-plh-n0", chain: "forward") == 2)
        #expect(try session.ruleCount(family: NftConstant.NFPROTO_INET, table: "podlab-plh-n0", chain: "forward") == 0)
        let request = "34000000" + "070a" + "0103" + "01000000" + "00000000" + "01000000"   // NFT_MSG_GETRULE, 52 B, REQUEST|DUMP
            + Self.table + "0c00" + "0200" + "666f727761726400"
        #expect(socket.requests.first?.hex == request)
    }

    @Test func interfaceNamesAreComparedAsSixteenPaddedBytes() {
        #expect(NftExpression.interfaceName("podlab0").hex == "706f646c616230" + String(repeating: "00", count: 9))
        #expect(NftExpression.interfaceName("fifteen-chars-x").count == 16)
    }
}
