import Glibc
import PodlabCore
import SystemPackage

/// nfnetlink / nf_tables numbers, declared by hand because Swift's Glibc module does not import
/// `<linux/netfilter/nfnetlink.h>` / `<linux/netfilter/nf_tables.h>` / `<linux/netfilter.h>`.
/// Values are from the Linux UAPI headers (stable ABI); names keep the kernel's spelling.
public enum NftConstant {
    // <linux/netfilter/nfnetlink.h>
    public static let NFNL_SUBSYS_NFTABLES: UInt16 = 10
    /// `NLMSG_MIN_TYPE` and `NLMSG_MIN_TYPE + 1`: a transaction's first and last message.
    public static let NFNL_MSG_BATCH_BEGIN: UInt16 = 0x10
    public static let NFNL_MSG_BATCH_END: UInt16 = 0x11

    // <linux/netfilter/nf_tables.h>: enum nf_tables_msg_types.
    public static let NFT_MSG_NEWTABLE: UInt16 = 0
    public static let NFT_MSG_GETTABLE: UInt16 = 1
    public static let NFT_MSG_DELTABLE: UInt16 = 2
    public static let NFT_MSG_NEWCHAIN: UInt16 = 3
    public static let NFT_MSG_NEWRULE: UInt16 = 6
    public static let NFT_MSG_GETRULE: UInt16 = 7

    // Table, chain, hook and rule attributes.
    public static let NFTA_TABLE_NAME: UInt16 = 1
    public static let NFTA_TABLE_FLAGS: UInt16 = 2
    public static let NFTA_CHAIN_TABLE: UInt16 = 1
    public static let NFTA_CHAIN_NAME: UInt16 = 3
    public static let NFTA_CHAIN_HOOK: UInt16 = 4
    public static let NFTA_CHAIN_POLICY: UInt16 = 5
    public static let NFTA_CHAIN_TYPE: UInt16 = 7
    public static let NFTA_HOOK_HOOKNUM: UInt16 = 1
    public static let NFTA_HOOK_PRIORITY: UInt16 = 2
    public static let NFTA_RULE_TABLE: UInt16 = 1
    public static let NFTA_RULE_CHAIN: UInt16 = 2
    public static let NFTA_RULE_EXPRESSIONS: UInt16 = 4
    public static let NFTA_LIST_ELEM: UInt16 = 1
    public static let NFTA_EXPR_NAME: UInt16 = 1
    public static let NFTA_EXPR_DATA: UInt16 = 2

    // Expressions: meta, cmp, immediate, and the data/verdict they carry.
    public static let NFTA_META_DREG: UInt16 = 1
    public static let NFTA_META_KEY: UInt16 = 2
    public static let NFTA_CMP_SREG: UInt16 = 1
    public static let NFTA_CMP_OP: UInt16 = 2
    public static let NFTA_CMP_DATA: UInt16 = 3
    public static let NFTA_IMMEDIATE_DREG: UInt16 = 1
    public static let NFTA_IMMEDIATE_DATA: UInt16 = 2
    public static let NFTA_DATA_VALUE: UInt16 = 1
    public static let NFTA_DATA_VERDICT: UInt16 = 2
    public static let NFTA_VERDICT_CODE: UInt16 = 1

    /// `enum nft_registers`: the verdict register and the first 128-bit data register.
    public static let NFT_REG_VERDICT: UInt32 = 0
    public static let NFT_REG_1: UInt32 = 1
    /// `enum nft_meta_keys`
    public static let NFT_META_IIFNAME: UInt32 = 6
    public static let NFT_META_OIFNAME: UInt32 = 7
    /// `enum nft_cmp_ops`
    public static let NFT_CMP_EQ: UInt32 = 0
    public static let NFT_CMP_NEQ: UInt32 = 1

    // <linux/netfilter.h>: families (NFPROTO_*), hooks (NF_INET_*), verdicts.
    public static let NFPROTO_INET: UInt8 = 1
    public static let NF_INET_FORWARD: UInt32 = 2
    public static let NF_DROP: UInt32 = 0
    public static let NF_ACCEPT: UInt32 = 1

    /// `<linux/netlink.h>` NLA_F_NESTED, which libnftnl sets on every nest (and the kernel's
    /// strict nf_tables policies expect on newer attributes).
    public static let NLA_F_NESTED: UInt16 = 0x8000
    /// `<linux/netlink.h>` NLM_F_APPEND: add the rule at the end of the chain.
    public static let NLM_F_APPEND: UInt16 = 0x800
    /// `<linux/if.h>` IFNAMSIZ: interface names are compared as 16 NUL-padded bytes.
    public static let IFNAMSIZ = 16

    /// The nfnetlink message type for an nf_tables message (`NFNL_SUBSYS_NFTABLES << 8 | msg`).
    public static func messageType(_ message: UInt16) -> UInt16 { NFNL_SUBSYS_NFTABLES << 8 | message }
}

/// One nf_tables rule expression, in the form `nft --debug=netlink` prints it.
public enum NftExpression: Equatable, Sendable {
    /// `[ meta load KEY => reg R ]`
    case metaLoad(key: UInt32, register: UInt32)
    /// `[ cmp OP reg R DATA ]`
    case compare(op: UInt32, register: UInt32, data: [UInt8])
    /// `[ immediate reg 0 VERDICT ]`, e.g. `NF_DROP`.
    case verdict(UInt32)

    /// An interface name as `iifname "x"` / `oifname "x"` compare it: IFNAMSIZ bytes, NUL padded
    /// (nft's datatype for ifname; a longer name is cut, but podlab's bridge names are ≤ 15).
    public static func interfaceName(_ name: String) -> [UInt8] {
        let bytes = Array(name.utf8.prefix(NftConstant.IFNAMSIZ - 1))
        return bytes + [UInt8](repeating: 0, count: NftConstant.IFNAMSIZ - bytes.count)
    }
}

/// A base chain (one attached to a netfilter hook) and its rules, in order.
public struct NftBaseChain: Equatable, Sendable {
    public var name: String
    /// The chain type, "filter".
    public var type: String
    public var hook: UInt32
    public var priority: Int32
    public var policy: UInt32
    public var rules: [[NftExpression]]

    public init(name: String, type: String = "filter", hook: UInt32, priority: Int32, policy: UInt32, rules: [[NftExpression]]) {
        self.name = name
        self.type = type
        self.hook = hook
        self.priority = priority
        self.policy = policy
        self.rules = rules
    }
}

/// nf_tables requests over one `NETLINK_NETFILTER` socket: what `nft -f` does for a table, in
/// process and without the nft binary.
///
/// Changes go in one nfnetlink transaction (`NFNL_MSG_BATCH_BEGIN` … `NFNL_MSG_BATCH_END`), which
/// the kernel commits all or nothing (net/netfilter/nfnetlink.c: nfnetlink_rcv_batch). Every
/// message in it asks for an ACK; an error names the message that failed, e.g.
/// `netlink NFT_MSG_NEWCHAIN(inet podlab-podlab0 forward): EOPNOTSUPP`. Message layouts follow
/// libnftnl (src/table.c, src/chain.c, src/rule.c, src/expr/{meta,cmp,immediate}.c) byte for byte,
/// except that podlab sets NLM_F_ACK where nft only polls for errors.
public final class NftablesSession {
    private let channel: NetlinkChannel

    /// - Parameters:
    ///   - socket: a `NETLINK_NETFILTER` socket (or a recorder in tests).
    ///   - firstSequence: the first `nlmsg_seq`; fixed so tests can compare exact bytes.
    public init(socket: any NetlinkSocket, firstSequence: UInt32 = 1) {
        self.channel = NetlinkChannel(socket: socket, firstSequence: firstSequence)
    }

    /// Makes table `family name` hold exactly `chains` (with their rules), atomically: one
    /// transaction adds the table, deletes it (with whatever an earlier run or a person put in
    /// it) and adds it again with the chains — nft's `table x; delete table x; table x { … }`
    /// idiom. Safe to run concurrently from several processes: each transaction is applied
    /// whole, and the last one wins with the same content.
    public func replaceTable(family: UInt8, name: String, chains: [NftBaseChain]) throws {
        let begin = nextSequence()
        var batch: [(message: [UInt8], operation: String)] = []
        let tableLabel = "\(Self.familyName(family)) \(name)"
        func add(_ type: UInt16, _ flags: UInt16, _ operation: String, _ body: (inout NetlinkMessageBuilder) -> Void) {
            var message = NetlinkMessageBuilder(type: NftConstant.messageType(type), flags: NetlinkConstant.NLM_F_REQUEST | NetlinkConstant.NLM_F_ACK | flags,
                                                sequence: nextSequence())
            message.appendNfGenMsg(family: family)
            body(&message)
            batch.append((message.finish(), operation))
        }
        let newTable: (inout NetlinkMessageBuilder) -> Void = { message in
            message.appendAttribute(type: NftConstant.NFTA_TABLE_NAME, string: name)
            message.appendAttribute(type: NftConstant.NFTA_TABLE_FLAGS, bigEndian: 0)
        }
        add(NftConstant.NFT_MSG_NEWTABLE, NetlinkConstant.NLM_F_CREATE, "NFT_MSG_NEWTABLE(\(tableLabel))", newTable)
        add(NftConstant.NFT_MSG_DELTABLE, 0, "NFT_MSG_DELTABLE(\(tableLabel))") { message in
            message.appendAttribute(type: NftConstant.NFTA_TABLE_NAME, string: name)
        }
        add(NftConstant.NFT_MSG_NEWTABLE, NetlinkConstant.NLM_F_CREATE, "NFT_MSG_NEWTABLE(\(tableLabel))", newTable)
        for chain in chains {
            add(NftConstant.NFT_MSG_NEWCHAIN, NetlinkConstant.NLM_F_CREATE, "NFT_MSG_NEWCHAIN(\(tableLabel) \(chain.name))") { message in
                message.appendAttribute(type: NftConstant.NFTA_CHAIN_TABLE, string: name)
                message.appendAttribute(type: NftConstant.NFTA_CHAIN_NAME, string: chain.name)
                message.appendAttribute(type: NftConstant.NFTA_CHAIN_TYPE, string: chain.type)
                message.appendAttribute(type: NftConstant.NFTA_CHAIN_POLICY, bigEndian: chain.policy)
                message.appendNested(type: NftConstant.NFTA_CHAIN_HOOK | NftConstant.NLA_F_NESTED) { hook in
                    hook.appendAttribute(type: NftConstant.NFTA_HOOK_HOOKNUM, bigEndian: chain.hook)
                    hook.appendAttribute(type: NftConstant.NFTA_HOOK_PRIORITY, bigEndian: UInt32(bitPattern: chain.priority))
                }
            }
            for (index, rule) in chain.rules.enumerated() {
                add(NftConstant.NFT_MSG_NEWRULE, NetlinkConstant.NLM_F_CREATE | NftConstant.NLM_F_APPEND,
                    "NFT_MSG_NEWRULE(\(tableLabel) \(chain.name) #\(index + 1))") { message in
                    message.appendAttribute(type: NftConstant.NFTA_RULE_TABLE, string: name)
                    message.appendAttribute(type: NftConstant.NFTA_RULE_CHAIN, string: chain.name)
                    message.appendNested(type: NftConstant.NFTA_RULE_EXPRESSIONS | NftConstant.NLA_F_NESTED) { list in
                        for expression in rule { Self.append(expression, to: &list) }
                    }
                }
            }
        }
        try commit(batch, beginSequence: begin)
    }

    /// Deletes table `family name` with its chains and rules (`nft delete table`). Returns false
    /// if there was no such table.
    @discardableResult
    public func deleteTable(family: UInt8, name: String) throws -> Bool {
        let begin = nextSequence()
        var message = NetlinkMessageBuilder(type: NftConstant.messageType(NftConstant.NFT_MSG_DELTABLE),
                                            flags: NetlinkConstant.NLM_F_REQUEST | NetlinkConstant.NLM_F_ACK, sequence: nextSequence())
        message.appendNfGenMsg(family: family)
        message.appendAttribute(type: NftConstant.NFTA_TABLE_NAME, string: name)
        do {
            try commit([(message.finish(), "NFT_MSG_DELTABLE(\(Self.familyName(family)) \(name))")], beginSequence: begin)
            return true
        } catch let error as PodlabError where (error.cause as? Errno) == Errno(rawValue: ENOENT) {
            return false
        }
    }

    /// How many rules chain `chain` of table `family table` holds (`NFT_MSG_GETRULE` dump
    /// filtered by table and chain); 0 when the table or chain does not exist.
    public func ruleCount(family: UInt8, table: String, chain: String) throws -> Int {
        let seq = nextSequence()
        var message = NetlinkMessageBuilder(type: NftConstant.messageType(NftConstant.NFT_MSG_GETRULE),
                                            flags: NetlinkConstant.NLM_F_REQUEST | NetlinkConstant.NLM_F_DUMP, sequence: seq)
        message.appendNfGenMsg(family: family)
        message.appendAttribute(type: NftConstant.NFTA_RULE_TABLE, string: table)
        message.appendAttribute(type: NftConstant.NFTA_RULE_CHAIN, string: chain)
        let operation = "NFT_MSG_GETRULE(\(Self.familyName(family)) \(table) \(chain))"
        try channel.send(message.finish())
        var count = 0
        while true {
            for reply in try channel.receive(operation) where reply.sequence == seq {
                switch reply.type {
                case NetlinkConstant.NLMSG_DONE:
                    return count
                case NetlinkConstant.NLMSG_ERROR:
                    let code = try NetlinkChannel.errorCode(of: reply, operation: operation)
                    if code == -ENOENT { return 0 }
                    if code < 0 { throw PodlabError.syscall("netlink \(operation)", Errno(rawValue: -code)) }
                    return count
                case NftConstant.messageType(NftConstant.NFT_MSG_NEWRULE):
                    count += 1
                default:
                    continue
                }
            }
        }
    }

    // MARK: Plumbing

    private func nextSequence() -> UInt32 { channel.nextSequence() }

    /// Sends `messages` as one transaction in one datagram and waits for the ACK of the last
    /// one. The kernel reports the errors of a batch together after processing all of it
    /// (nfnetlink_rcv_batch: nfnl_err_deliver), so the first error seen is thrown, and the
    /// last message's ACK means every message before it was accepted.
    private func commit(_ messages: [(message: [UInt8], operation: String)], beginSequence: UInt32) throws {
        guard let last = messages.last else { return }
        var begin = NetlinkMessageBuilder(type: NftConstant.NFNL_MSG_BATCH_BEGIN, flags: NetlinkConstant.NLM_F_REQUEST, sequence: beginSequence)
        begin.appendNfGenMsg(family: NetlinkConstant.AF_UNSPEC, resourceID: NftConstant.NFNL_SUBSYS_NFTABLES)
        var end = NetlinkMessageBuilder(type: NftConstant.NFNL_MSG_BATCH_END, flags: NetlinkConstant.NLM_F_REQUEST, sequence: nextSequence())
        end.appendNfGenMsg(family: NetlinkConstant.AF_UNSPEC, resourceID: NftConstant.NFNL_SUBSYS_NFTABLES)
        let beginBytes = begin.finish()
        var operations: [UInt32: String] = [beginBytes.readUInt32(at: 8): "NFNL_MSG_BATCH_BEGIN"]
        for entry in messages { operations[entry.message.readUInt32(at: 8)] = entry.operation }
        let lastSequence = last.message.readUInt32(at: 8)
        try channel.send(beginBytes + messages.flatMap(\.message) + end.finish())
        while true {
            for reply in try channel.receive(last.operation) where reply.type == NetlinkConstant.NLMSG_ERROR {
                guard let operation = operations[reply.sequence] else { continue }  // stale
                let code = try NetlinkChannel.errorCode(of: reply, operation: operation)
                if code < 0 { throw PodlabError.syscall("netlink \(operation)", Errno(rawValue: -code)) }
                if reply.sequence == lastSequence { return }
            }
        }
    }

    /// One `NFTA_LIST_ELEM` as libnftnl lays it out (src/expr/*.c: *_build).
    private static func append(_ expression: NftExpression, to list: inout NetlinkMessageBuilder) {
        list.appendNested(type: NftConstant.NFTA_LIST_ELEM | NftConstant.NLA_F_NESTED) { element in
            switch expression {
            case let .metaLoad(key, register):
                element.appendAttribute(type: NftConstant.NFTA_EXPR_NAME, string: "meta")
                element.appendNested(type: NftConstant.NFTA_EXPR_DATA | NftConstant.NLA_F_NESTED) { data in
                    data.appendAttribute(type: NftConstant.NFTA_META_KEY, bigEndian: key)
                    data.appendAttribute(type: NftConstant.NFTA_META_DREG, bigEndian: register)
                }
            case let .compare(op, register, value):
                element.appendAttribute(type: NftConstant.NFTA_EXPR_NAME, string: "cmp")
                element.appendNested(type: NftConstant.NFTA_EXPR_DATA | NftConstant.NLA_F_NESTED) { data in
                    data.appendAttribute(type: NftConstant.NFTA_CMP_SREG, bigEndian: register)
                    data.appendAttribute(type: NftConstant.NFTA_CMP_OP, bigEndian: op)
                    data.appendNested(type: NftConstant.NFTA_CMP_DATA | NftConstant.NLA_F_NESTED) { cmpData in
                        cmpData.appendAttribute(type: NftConstant.NFTA_DATA_VALUE, payload: value)
                    }
                }
            case let .verdict(code):
                element.appendAttribute(type: NftConstant.NFTA_EXPR_NAME, string: "immediate")
                element.appendNested(type: NftConstant.NFTA_EXPR_DATA | NftConstant.NLA_F_NESTED) { data in
                    data.appendAttribute(type: NftConstant.NFTA_IMMEDIATE_DREG, bigEndian: NftConstant.NFT_REG_VERDICT)
                    data.appendNested(type: NftConstant.NFTA_IMMEDIATE_DATA | NftConstant.NLA_F_NESTED) { immediate in
                        immediate.appendNested(type: NftConstant.NFTA_DATA_VERDICT | NftConstant.NLA_F_NESTED) { verdict in
                            verdict.appendAttribute(type: NftConstant.NFTA_VERDICT_CODE, bigEndian: code)
                        }
                    }
                }
            }
        }
    }

    /// nft's name for a family, for error messages.
    static func familyName(_ family: UInt8) -> String {
        switch family {
        case NftConstant.NFPROTO_INET: return "inet"
        case 2: return "ip"
        case 10: return "ip6"
        default: return "family \(family)"
        }
    }
}
