// SPDX-License-Identifier: BSD-2-Clause
// The primitives of the filter language: every nfdump 1.7 keyword, the 1.7.5 spellings that
// cost nothing to accept, and the tcpdump forms listed in docs/filter.md. Each primitive
// checks its value and turns into Tests on FlowRecord fields.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdio>
#include <ctime>
#include <string>
#include <utility>

#include "address.h"
#include "parser.h"

namespace flow::filter::detail {
namespace {

// What an address or network was expected to look like, appended to messages.
constexpr const char* kExpectAddress = " (expected a.b.c.d or an IPv6 address such as 2001:db8::1)";
constexpr const char* kExpectNet =
    " (expected e.g. 10.0.0.0/8, 192.168.1.0 255.255.255.0 or 2001:db8::/32)";

// nfdump's own protocol name table (IANA numbers, names of at most five characters). Names
// with characters the lexer cannot put in a word (TP++, A/N) are left out; use the number.
struct ProtoName {
    uint8_t number;
    const char* name;
};

constexpr ProtoName kProtoNames[] = {
    {1, "icmp"},
    {2, "igmp"},
    {3, "ggp"},
    {4, "ipip"},
    {5, "st"},
    {6, "tcp"},
    {7, "cbt"},
    {8, "egp"},
    {9, "igp"},
    {10, "bbn"},
    {11, "nvpii"},
    {12, "pup"},
    {13, "argus"},
    {14, "encom"},
    {15, "xnet"},
    {16, "chaos"},
    {17, "udp"},
    {18, "mux"},
    {19, "dcn"},
    {20, "hmp"},
    {21, "prm"},
    {22, "xns"},
    {23, "trnk1"},
    {24, "trnk2"},
    {25, "leaf1"},
    {26, "leaf2"},
    {27, "rdp"},
    {28, "irtp"},
    {29, "iso-4"},
    {30, "netbk"},
    {31, "mfesp"},
    {32, "meinp"},
    {33, "dccp"},
    {34, "3pc"},
    {35, "idpr"},
    {36, "xtp"},
    {37, "ddp"},
    {40, "il"},
    {41, "ipv6"},
    {42, "sdrp"},
    {43, "rte6"},
    {44, "frag6"},
    {45, "idrp"},
    {46, "rsvp"},
    {47, "gre"},
    {48, "mhrp"},
    {49, "bna"},
    {50, "esp"},
    {51, "ah"},
    {52, "inlsp"},
    {53, "swipe"},
    {54, "narp"},
    {55, "mobil"},
    {56, "tlsp"},
    {57, "skip"},
    {58, "icmp6"},
    {59, "nohe6"},
    {60, "opts6"},
    {61, "host"},
    {62, "cftp"},
    {64, "satnt"},
    {65, "klan"},
    {66, "rvd"},
    {67, "ippc"},
    {68, "fs"},
    {69, "satm"},
    {70, "visa"},
    {71, "ipcv"},
    {72, "cpnx"},
    {73, "cphb"},
    {74, "wsn"},
    {75, "pvp"},
    {76, "bsatm"},
    {77, "sunnd"},
    {78, "wbmon"},
    {79, "wbexp"},
    {80, "isoip"},
    {81, "vmtp"},
    {82, "svmtp"},
    {83, "vines"},
    {84, "ttp"},
    {85, "nsigp"},
    {86, "dgp"},
    {87, "tcf"},
    {88, "eigrp"},
    {89, "ospf"},
    {90, "s-rpc"},
    {91, "larp"},
    {92, "mtp"},
    {93, "ax.25"},
    {94, "os"},
    {95, "micp"},
    {96, "sccsp"},
    {97, "ethip"},
    {98, "encap"},
    {100, "gmtp"},
    {101, "ifmp"},
    {102, "pnni"},
    {103, "pim"},
    {104, "aris"},
    {105, "scps"},
    {106, "qnx"},
    {108, "ipcmp"},
    {109, "snp"},
    {110, "cpqpp"},
    {111, "ipxip"},
    {112, "vrrp"},
    {113, "pgm"},
    {114, "0hop"},
    {115, "l2tp"},
    {116, "ddx"},
    {117, "iatp"},
    {118, "stp"},
    {119, "srp"},
    {120, "uti"},
    {121, "smp"},
    {122, "sm"},
    {123, "ptp"},
    {124, "isis4"},
    {125, "fire"},
    {126, "crtp"},
    {127, "crudp"},
    {129, "iplt"},
    {130, "sps"},
    {131, "pipe"},
    {132, "sctp"},
    {133, "fc"},
    {135, "mhead"},
    {136, "udp-l"},
    {137, "mpls"},
    // Common spellings from other tools (IANA keywords), accepted as well.
    {58, "ipv6-icmp"},
    {58, "icmpv6"},
    {0, "hopopt"},
};

// Bare protocol names tcpdump accepts as a whole primitive ("tcp", "udp port 53").
struct BareProto {
    const char* name;
    uint8_t number;
};
constexpr BareProto kBareProtos[] = {
    {"tcp", 6}, {"udp", 17}, {"icmp", 1},   {"icmp6", 58}, {"igmp", 2}, {"pim", 103},
    {"ah", 51}, {"esp", 50}, {"vrrp", 112}, {"sctp", 132}, {"gre", 47},
};

// Forwarding status names (nfdump's table, RFC 7270 section 4.12 codes).
struct FwdName {
    uint8_t id;
    const char* name;
};
constexpr FwdName kFwdNames[] = {
    {0, "ukwn"},      {1, "forw"},      {2, "frag"},     {16, "drop"},    {17, "dacld"},
    {18, "daclp"},    {19, "noroute"},  {20, "dadj"},    {21, "dfrag"},   {22, "dbadh"},
    {23, "dbadtlen"}, {24, "dbadhlen"}, {25, "dbadttl"}, {26, "dpolicy"}, {27, "dwred"},
    {28, "drpf"},     {29, "dforus"},   {30, "dbadof"},  {31, "dhw"},     {128, "term"},
    {129, "tadj"},    {130, "tincadj"}, {131, "tforus"}, {0, "unknown"},
};

// NSEL (Cisco ASA) event and NEL (NAT) event codes.
constexpr uint64_t kAsaIgnore = 0, kAsaCreate = 1, kAsaDelete = 2, kAsaDeny = 3;
constexpr uint64_t kAsaAlert = 4, kAsaUpdate = 5;
constexpr uint64_t kNatInvalid = 0, kNatAdd = 1, kNatDelete = 2;

constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoIcmp6 = 58;

FieldRef Field(uint16_t offset, uint8_t width, const char* name, uint8_t shift = 0,
               uint64_t mask = ~uint64_t{0}) {
    return FieldRef{offset, width, shift, mask, name};
}

FieldRef ProtoField() { return FLOW_FILTER_FIELD(proto, "proto"); }

// One element of a FlowRecord array member, e.g. mpls[2].
template <typename T>
FieldRef ArrayField(size_t base, size_t index, const char* name, uint8_t shift = 0,
                    uint64_t mask = ~uint64_t{0}) {
    return Field(static_cast<uint16_t>(base + index * sizeof(T)), sizeof(T), name, shift, mask);
}

std::unique_ptr<Node> FieldTest(const FieldRef& field, Cmp cmp, uint64_t value) {
    Test t;
    t.kind = TestKind::kField;
    t.field = field;
    t.cmp = cmp;
    t.value = value;
    return Node::Leaf(t);
}

std::unique_ptr<Node> ProtoIs(uint8_t proto) { return FieldTest(ProtoField(), Cmp::kEq, proto); }

std::unique_ptr<Node> IsV6() {
    Test t;
    t.kind = TestKind::kIsV6;
    return Node::Leaf(t);
}

std::unique_ptr<Node> IpTest(uint16_t offset, const char* name, const IpNet& net) {
    Test t;
    t.kind = TestKind::kIp;
    t.addr_offset = offset;
    t.addr_name = name;
    t.addr = net.addr;
    t.mask = net.mask;
    t.addr_v6 = net.v6;
    return Node::Leaf(t);
}

std::unique_ptr<Node> AnyOf(std::vector<std::unique_ptr<Node>> kids) {
    if (kids.size() == 1) return std::move(kids[0]);
    auto node = std::make_unique<Node>();
    node->kind = Node::Kind::kOr;
    node->kids = std::move(kids);
    return node;
}

std::unique_ptr<Node> And(std::unique_ptr<Node> a, std::unique_ptr<Node> b) {
    return Node::Join(Node::Kind::kAnd, std::move(a), std::move(b));
}

std::unique_ptr<Node> Or(std::unique_ptr<Node> a, std::unique_ptr<Node> b) {
    return Node::Join(Node::Kind::kOr, std::move(a), std::move(b));
}

IpNet MakeNet(const IpAddr& addr, int bits, bool v6) {
    IpNet net;
    net.v6 = v6;
    net.mask = PrefixMask(bits);
    net.addr = IpAddr{addr.hi & net.mask.hi, addr.lo & net.mask.lo};
    net.bits = static_cast<uint8_t>(bits);
    return net;
}

bool IsV4Kind(AddrKind k) { return k == AddrKind::kV4 || k == AddrKind::kV4Part; }

bool LooksLikeValue(const Token& tok) {
    if (tok.kind != Tok::kWord || tok.text.empty()) return false;
    char c = tok.text[0];
    if (c >= '0' && c <= '9') return true;
    ParsedAddr a = ParseAddressWord(tok.text);
    return a.kind == AddrKind::kV6 || a.kind == AddrKind::kV6Part;
}

// Keywords whose value tcpdump lets a bare value repeat: `port 80 or 443`, `host a or b`.
bool Repeatable(const Token& kw) {
    static const char* const kWords[] = {"host",  "ip",    "net",   "port",     "proto", "as",
                                         "if",    "vlan",  "mask",  "tos",      "xip",   "nip",
                                         "xport", "nport", "tunip", "portrange"};
    std::string k = Lower(kw.text);
    for (const char* w : kWords) {
        if (k == w) return true;
    }
    return false;
}

#define FLOW_ADDR(m) static_cast<uint16_t>(offsetof(::flow::FlowRecord, m))

}  // namespace

int ProtoNumber(std::string_view name) {
    std::string lower = Lower(name);
    for (const auto& p : kProtoNames) {
        if (lower == p.name) return p.number;
    }
    return -1;
}

// `src or dst` / `src and dst` are qualifiers only when the third word is the other side;
// otherwise `src` stands alone and `or` belongs to the expression. `next` followed by `ip`
// or `hop` is the next-hop primitive, not the `next as` qualifier.
Dir Parser::ParseDir() {
    auto is_or = [&](size_t a) { return PeekWord("or", a) || Peek(a).kind == Tok::kOrOr; };
    auto is_and = [&](size_t a) { return PeekWord("and", a) || Peek(a).kind == Tok::kAndAnd; };
    for (const char* first : {"src", "dst"}) {
        if (!PeekWord(first)) continue;
        const char* other = first[0] == 's' ? "dst" : "src";
        if (PeekWord(other, 2) && (is_or(1) || is_and(1))) {
            bool both = is_and(1);
            Next();
            Next();
            Next();
            return both ? Dir::kSrcAndDst : Dir::kSrcOrDst;
        }
        Next();
        return first[0] == 's' ? Dir::kSrc : Dir::kDst;
    }
    if (PeekWord("in") || PeekWord("out")) {
        bool in = PeekWord("in");
        Next();
        if (AcceptWord("src")) return in ? Dir::kInSrc : Dir::kOutSrc;
        if (AcceptWord("dst")) return in ? Dir::kInDst : Dir::kOutDst;
        return in ? Dir::kIn : Dir::kOut;
    }
    if (AcceptWord("prev")) return Dir::kPrev;
    if (PeekWord("next") && !PeekWord("ip", 1) && !PeekWord("hop", 1)) {
        Next();
        return Dir::kNext;
    }
    return Dir::kNone;
}

template <typename F>
std::unique_ptr<Node> Parser::BySide(Dir dir, const Token& dir_tok, const Token& kw, F make) {
    switch (dir) {
        case Dir::kSrc:
            return make(0);
        case Dir::kDst:
            return make(1);
        case Dir::kNone:
        case Dir::kSrcOrDst:
            return Or(make(0), make(1));
        case Dir::kSrcAndDst:
            return And(make(0), make(1));
        default:
            BadDir(dir_tok, kw, "src, dst, src or dst, src and dst");
    }
}

std::unique_ptr<Node> Parser::ParsePrimitive() {
    const Token& first = Peek();
    // A primitive may contain one more (`tcp port 80`); more than a few is a parser bug
    // or hostile input, and must not recurse without bound.
    if (primitive_depth_ >= 4) Unexpected(first, "'and' or 'or' between primitives");
    ++primitive_depth_;
    std::unique_ptr<Node> node = ParsePrimitiveInner();
    --primitive_depth_;
    return node;
}

std::unique_ptr<Node> Parser::ParsePrimitiveInner() {
    const Token& first = Peek();
    if (first.kind != Tok::kWord) {
        Unexpected(first, "a filter primitive such as 'proto tcp' or 'port 80'");
    }
    if (PeekWord("and") || PeekWord("or")) {
        Unexpected(first, "a filter primitive such as 'proto tcp' or 'port 80'");
    }
    Token dir_tok = first;
    Dir dir = ParseDir();
    Token kw = Peek();
    if (kw.kind != Tok::kWord) {
        Unexpected(kw, dir == Dir::kNone ? "a filter primitive"
                                         : "a primitive after '" + dir_tok.text + "'");
    }
    if (LooksLikeValue(kw)) {
        // tcpdump shorthands: `src 10.1.1.1` means `src host 10.1.1.1`, and a bare value
        // after and/or repeats the previous primitive: `port 80 or 443`.
        if (dir == Dir::kSrc || dir == Dir::kDst || dir == Dir::kSrcOrDst ||
            dir == Dir::kSrcAndDst) {
            cur_kw_ = dir_tok;
            return ParseAddress(dir, dir_tok, FLOW_ADDR(src_addr), FLOW_ADDR(dst_addr), "src_addr",
                                "dst_addr", false);
        }
        if (dir == Dir::kNone && have_last_ && Repeatable(last_kw_)) {
            return ParseKeyword(last_dir_, last_dir_tok_, last_kw_);
        }
        Fail(kw, "a value " + Describe(kw) + " cannot start a primitive; write e.g. 'host " +
                     kw.text + "' or 'port " + kw.text + "'");
    }
    Next();
    std::unique_ptr<Node> node = ParseKeyword(dir, dir_tok, kw);
    have_last_ = true;
    last_dir_ = dir;
    last_dir_tok_ = dir_tok;
    last_kw_ = kw;
    return node;
}

// `kw` has been consumed; the parser stands at what follows it.
std::unique_ptr<Node> Parser::ParseKeyword(Dir dir, const Token& dir_tok, const Token& kw) {
    cur_kw_ = kw;
    const std::string k = Lower(kw.text);
    auto none_only = [&] {
        if (dir != Dir::kNone) BadDir(dir_tok, kw, "none");
    };

    if (k == "any") {
        none_only();
        return Node::Const(true);
    }
    if (k == "ipv4" || k == "inet" || k == "ip4") {
        none_only();
        return Node::Not(IsV6());
    }
    if (k == "ipv6" || k == "inet6" || k == "ip6") {
        none_only();
        return IsV6();
    }
    if (k == "ip" && dir == Dir::kNone) {
        // tcpdump: `ip src X`, `ip host X`, `ip proto N`, and a bare `ip` for IPv4.
        if (PeekWord("src") || PeekWord("dst")) {
            Token inner_tok = Peek();
            Dir inner = ParseDir();
            AcceptWord("host");
            return ParseAddress(inner, inner_tok, FLOW_ADDR(src_addr), FLOW_ADDR(dst_addr),
                                "src_addr", "dst_addr", true);
        }
        if (AcceptWord("host")) {
            return ParseAddress(dir, dir_tok, FLOW_ADDR(src_addr), FLOW_ADDR(dst_addr), "src_addr",
                                "dst_addr", true);
        }
        if (PeekWord("proto")) return ParseProto(Next(), ProtoField());
        if (AtExprEnd()) return Node::Not(IsV6());
    }
    if (k == "ip" || k == "host") {
        return ParseAddress(dir, dir_tok, FLOW_ADDR(src_addr), FLOW_ADDR(dst_addr), "src_addr",
                            "dst_addr", true);
    }
    if (k == "net") {
        return ParseNet(dir, dir_tok, FLOW_ADDR(src_addr), FLOW_ADDR(dst_addr), "src_addr",
                        "dst_addr");
    }
    if (k == "tunip") {
        return ParseAddress(dir, dir_tok, FLOW_ADDR(tun_src), FLOW_ADDR(tun_dst), "tun_src",
                            "tun_dst", true);
    }
    if (k == "tun") {
        none_only();
        if (AcceptWord("ip")) {
            return ParseAddress(dir, dir_tok, FLOW_ADDR(tun_src), FLOW_ADDR(tun_dst), "tun_src",
                                "tun_dst", true);
        }
        ExpectWordIs("proto", kw);
        return ParseProto(kw, FLOW_FILTER_FIELD(tun_proto, "tun_proto"));
    }
    if (k == "next" && dir == Dir::kNone) {
        if (!AcceptWord("ip")) ExpectWordIs("hop", kw);
        return ParseSingleAddress(kw, FLOW_ADDR(ip_next_hop), "ip_next_hop");
    }
    if (k == "bgpnext" || k == "bgp") {
        none_only();
        if (k == "bgp") {
            if (!AcceptWord("nexthop")) ExpectWordIs("next", kw);
        }
        AcceptWord("ip");
        return ParseSingleAddress(kw, FLOW_ADDR(bgp_next_hop), "bgp_next_hop");
    }
    if (k == "router") {
        none_only();
        ExpectWordIs("ip", kw);
        return ParseSingleAddress(kw, FLOW_ADDR(received_from), "router_ip");
    }
    if (k == "port") {
        return ParsePort(dir, dir_tok, FLOW_FILTER_FIELD(src_port, "src_port"),
                         FLOW_FILTER_FIELD(dst_port, "dst_port"));
    }
    if (k == "portrange") {
        const Token& value = ExpectWord(kw, "a port range such as 1024-2048");
        return ParsePortRange(dir, dir_tok, value, FLOW_FILTER_FIELD(src_port, "src_port"),
                              FLOW_FILTER_FIELD(dst_port, "dst_port"));
    }
    if (k == "proto") {
        none_only();
        return ParseProto(kw, ProtoField());
    }
    for (const auto& bare : kBareProtos) {
        if (k == bare.name) {
            none_only();
            return ParseBareProto(kw, bare.number);
        }
    }
    if (k == "icmp-type" || k == "icmp-code") {
        none_only();
        return ParseIcmp(kw, k == "icmp-type");
    }
    if (k == "engine-type" || k == "engine-id" || k == "engine") {
        none_only();
        bool type = k == "engine-type";
        if (k == "engine") {
            type = AcceptWord("type");
            if (!type) ExpectWordIs("id", kw);
        }
        FieldRef f = type ? FLOW_FILTER_FIELD(engine_type, "engine_type")
                          : FLOW_FILTER_FIELD(engine_id, "engine_id");
        return ParseNumeric(Dir::kNone, dir_tok, kw, f, FieldRef{}, 255, false);
    }
    if (k == "sysid" || k == "exporter") {
        none_only();
        if (k == "exporter" && !AcceptWord("sysid")) ExpectWordIs("id", kw);
        return ParseNumeric(Dir::kNone, dir_tok, kw,
                            FLOW_FILTER_FIELD(exporter_sysid, "exporter_sysid"), FieldRef{}, 65535,
                            true);
    }
    if (k == "if") {
        FieldRef in = FLOW_FILTER_FIELD(input, "input");
        FieldRef out = FLOW_FILTER_FIELD(output, "output");
        if (dir == Dir::kIn) return ParseNumeric(Dir::kNone, dir_tok, kw, in, {}, 0xffffffff, true);
        if (dir == Dir::kOut) {
            return ParseNumeric(Dir::kNone, dir_tok, kw, out, {}, 0xffffffff, true);
        }
        if (dir != Dir::kNone) BadDir(dir_tok, kw, "in, out");
        return ParseNumeric(Dir::kSrcOrDst, dir_tok, kw, in, out, 0xffffffff, true);
    }
    if (k == "as") {
        FieldRef src = FLOW_FILTER_FIELD(src_as, "src_as");
        FieldRef dst = FLOW_FILTER_FIELD(dst_as, "dst_as");
        if (dir == Dir::kPrev) {
            return ParseNumeric(Dir::kNone, dir_tok, kw, FLOW_FILTER_FIELD(prev_as, "prev_as"), {},
                                0xffffffff, true);
        }
        if (dir == Dir::kNext) {
            return ParseNumeric(Dir::kNone, dir_tok, kw, FLOW_FILTER_FIELD(next_as, "next_as"), {},
                                0xffffffff, true);
        }
        return ParseNumeric(dir, dir_tok, kw, src, dst, 0xffffffff, true);
    }
    if (k == "geo") {
        // TODO: geo filters need a MaxMind-derived database, which flowkit does not read;
        // until then they are rejected rather than silently matching nothing.
        Fail(kw, "'geo' filters need a geo location database, which flowkit does not support");
    }
    if (k == "mask") {
        return ParseNumeric(dir, dir_tok, kw, FLOW_FILTER_FIELD(src_mask, "src_mask"),
                            FLOW_FILTER_FIELD(dst_mask, "dst_mask"), 255, true);
    }
    if (k == "vlan") {
        // The low 16 bits, as every output prints them and nfdump compares them: sfcapd 1.7
        // stores 0xffffffff for sFlow's "no VLAN", shown and matched as 65535.
        FieldRef src = FLOW_FILTER_FIELD(src_vlan, "src_vlan");
        FieldRef dst = FLOW_FILTER_FIELD(dst_vlan, "dst_vlan");
        src.mask = dst.mask = 0xffff;
        return ParseNumeric(dir, dir_tok, kw, src, dst, 65535, true);
    }
    if (k == "flags") {
        none_only();
        return ParseFlags(kw);
    }
    if (k == "tos") {
        // Without a qualifier nfdump compares the source ToS only.
        Dir d = dir == Dir::kNone ? Dir::kSrc : dir;
        return ParseNumeric(d, dir_tok, kw, FLOW_FILTER_FIELD(src_tos, "src_tos"),
                            FLOW_FILTER_FIELD(dst_tos, "dst_tos"), 255, true);
    }
    if (k == "packets" || k == "bytes") {
        bool packets = k == "packets";
        FieldRef in =
            packets ? FLOW_FILTER_FIELD(packets, "packets") : FLOW_FILTER_FIELD(bytes, "bytes");
        FieldRef out = packets ? FLOW_FILTER_FIELD(out_packets, "out_packets")
                               : FLOW_FILTER_FIELD(out_bytes, "out_bytes");
        if (dir != Dir::kNone && dir != Dir::kIn && dir != Dir::kOut) {
            BadDir(dir_tok, kw, "in, out");
        }
        return ParseNumeric(Dir::kNone, dir_tok, kw, dir == Dir::kOut ? out : in, {}, ~uint64_t{0},
                            false);
    }
    if (k == "flows" || k == "flow") {
        none_only();
        return ParseNumeric(Dir::kNone, dir_tok, kw, FLOW_FILTER_FIELD(flows, "flows"), {},
                            ~uint64_t{0}, false);
    }
    if (k == "pps" || k == "bps" || k == "bpp" || k == "duration") {
        none_only();
        TestKind kind = k == "pps"   ? TestKind::kPps
                        : k == "bps" ? TestKind::kBps
                        : k == "bpp" ? TestKind::kBpp
                                     : TestKind::kDuration;
        return ParseComputed(kw, kind);
    }
    if (k == "count" || k == "cnt") {
        none_only();
        return ParseComputed(kw, TestKind::kCount);
    }
    if (k == "nfversion") {
        none_only();
        return ParseNumeric(Dir::kNone, dir_tok, kw, FLOW_FILTER_FIELD(nfversion, "nfversion"), {},
                            255, true);
    }
    if (k == "ident") {
        none_only();
        return ParseIdent(kw);
    }
    if (k == "fwdstat") {
        none_only();
        return ParseFwdStat(kw);
    }
    if (k == "dir" || k == "flowdir") {
        none_only();
        return ParseFlowDir(kw);
    }
    if (k == "mac") return ParseMac(dir, dir_tok, kw);
    if (k == "ether") {
        // tcpdump: `ether host X`, `ether src X`, `ether dst X`.
        none_only();
        Token inner_tok = Peek();
        Dir inner = ParseDir();
        if (inner == Dir::kNone) ExpectWordIs("host", kw);
        return ParseMac(inner, inner_tok, kw);
    }
    if (k == "mpls") {
        none_only();
        return ParseMpls(kw);
    }
    if (k == "observation") {
        none_only();
        bool domain = AcceptWord("domain");
        if (!domain) ExpectWordIs("point", kw);
        ExpectWordIs("id", kw);
        FieldRef f = domain ? FLOW_FILTER_FIELD(observation_domain, "observation_domain")
                            : FLOW_FILTER_FIELD(observation_point, "observation_point");
        return ParseNumeric(Dir::kNone, dir_tok, kw, f, {}, ~uint64_t{0}, true);
    }
    if (k == "client" || k == "server" || k == "app") {
        none_only();
        ExpectWordIs("latency", kw);
        // NOTE: nfdump 1.7.1 compares the stored microseconds with the number as given,
        // though its manual says milliseconds; flowkit does the same so results agree.
        FieldRef f = k == "client"   ? FLOW_FILTER_FIELD(client_nw_delay_us, "client_latency_us")
                     : k == "server" ? FLOW_FILTER_FIELD(server_nw_delay_us, "server_latency_us")
                                     : FLOW_FILTER_FIELD(appl_latency_us, "app_latency_us");
        return ParseNumeric(Dir::kNone, dir_tok, kw, f, {}, ~uint64_t{0}, false);
    }
    if (k == "payload") {
        // TODO: FlowRecord keeps no payload bytes, so payload content/regex/ja3 cannot be
        // evaluated; they are rejected instead of silently matching nothing.
        Fail(kw, "'payload' filters are not supported: flowkit records carry no payload");
    }
    if (k == "asa") {
        none_only();
        return ParseAsaEvent(kw);
    }
    if (k == "xip" || k == "nip") {
        return ParseAddress(dir, dir_tok, FLOW_ADDR(xlate_src), FLOW_ADDR(xlate_dst), "xlate_src",
                            "xlate_dst", true);
    }
    if (k == "xnet") {
        return ParseNet(dir, dir_tok, FLOW_ADDR(xlate_src), FLOW_ADDR(xlate_dst), "xlate_src",
                        "xlate_dst");
    }
    if (k == "xport" || k == "nport") {
        return ParsePort(dir, dir_tok, FLOW_FILTER_FIELD(xlate_src_port, "xlate_src_port"),
                         FLOW_FILTER_FIELD(xlate_dst_port, "xlate_dst_port"));
    }
    if (k == "nat" || k == "xlate") {
        // 1.7.5+ spellings: nat ip / nat net / nat port / nat pblock, plus nat event.
        if (AcceptWord("ip")) {
            return ParseAddress(dir, dir_tok, FLOW_ADDR(xlate_src), FLOW_ADDR(xlate_dst),
                                "xlate_src", "xlate_dst", true);
        }
        if (AcceptWord("net")) {
            return ParseNet(dir, dir_tok, FLOW_ADDR(xlate_src), FLOW_ADDR(xlate_dst), "xlate_src",
                            "xlate_dst");
        }
        if (AcceptWord("port")) {
            return ParsePort(dir, dir_tok, FLOW_FILTER_FIELD(xlate_src_port, "xlate_src_port"),
                             FLOW_FILTER_FIELD(xlate_dst_port, "xlate_dst_port"));
        }
        none_only();
        if (AcceptWord("pblock")) return ParsePblock(kw);
        ExpectWordIs("event", kw);
        return ParseNatEvent(kw);
    }
    if (k == "ingress" || k == "egress") {
        none_only();
        return ParseAcl(kw, k == "ingress");
    }
    if (k == "pblock") {
        none_only();
        return ParsePblock(kw);
    }
    if (k == "flowlabel") {
        none_only();
        ExpectWord(kw, "a label name");
        // NOTE: nfdump parses `flowlabel X` but never matches a record with it; labels are
        // attached with `(expr) %NAME` instead.
        return Node::Const(false);
    }
    if (k == "sampled") {
        none_only();
        return FieldTest(Field(FLOW_ADDR(flags), 1, "sampled", 1, 1), Cmp::kEq, 1);
    }
    if (k == "less" || k == "greater") {
        Fail(kw, "tcpdump's '" + kw.text +
                     "' tests packet length, which flows do not have; "
                     "use 'bpp' (bytes per packet) or 'bytes' instead");
    }
    if (k == "first" || k == "last") {
        // 1.7.5+: `first seen > 2024-07-11T09:15:00[.mmm]`, in local time as nfdump reads it.
        none_only();
        ExpectWordIs("seen", kw);
        return ParseSeen(kw, k == "first");
    }
    if (k == "ttl" || k == "min" || k == "max") {
        // 1.7.5+: `min ttl`, `max ttl`; plain `ttl` matches either.
        none_only();
        if (k != "ttl") ExpectWordIs("ttl", kw);
        FieldRef min = FLOW_FILTER_FIELD(min_ttl, "min_ttl");
        FieldRef max = FLOW_FILTER_FIELD(max_ttl, "max_ttl");
        if (k == "min") return ParseNumeric(Dir::kNone, dir_tok, kw, min, {}, 255, true);
        if (k == "max") return ParseNumeric(Dir::kNone, dir_tok, kw, max, {}, 255, true);
        return ParseNumeric(Dir::kSrcOrDst, dir_tok, kw, min, max, 255, true);
    }
    if (k == "ethertype") {
        none_only();
        return ParseNumeric(Dir::kNone, dir_tok, kw, FLOW_FILTER_FIELD(ether_type, "ether_type"),
                            {}, 65535, true);
    }
    if (dir != Dir::kNone) {
        Fail(kw, "unknown primitive " + Describe(kw) + " after '" + dir_tok.text +
                     "'; expected e.g. ip, host, net, port, as, mask, vlan, mac or tos");
    }
    Fail(kw, "unknown filter keyword " + Describe(kw) +
                 "; expected a primitive such as proto, host, net, port, flags, bytes or any");
}

std::unique_ptr<Node> Parser::ParseAddress(Dir dir, const Token& dir_tok, uint16_t src_off,
                                           uint16_t dst_off, const char* src_name,
                                           const char* dst_name, bool allow_names) {
    const Token kw = cur_kw_;
    if (PeekWord("in") && Peek(1).kind == Tok::kLBracket) {
        Next();
        std::vector<IpNet> list = ParseIpList(kw, allow_names);
        uint32_t index = static_cast<uint32_t>(tables_.ip_lists.size());
        tables_.ip_lists.push_back(std::move(list));
        return BySide(dir, dir_tok, kw, [&](int side) {
            Test t;
            t.kind = TestKind::kIpList;
            t.addr_offset = side ? dst_off : src_off;
            t.addr_name = side ? dst_name : src_name;
            t.list = index;
            return Node::Leaf(t);
        });
    }
    std::vector<IpNet> nets;
    ParseAddressEntry(ExpectWord(kw, "an IP address"), allow_names, &nets);
    // Console "basic" filters write lists with commas and no brackets: `ip a,b/24,c`.
    while (Peek().kind == Tok::kComma) {
        CheckListSize(Next(), kw, nets.size());
        ParseAddressEntry(ExpectWord(kw, "an IP address after ','"), allow_names, &nets);
    }
    return BySide(dir, dir_tok, kw, [&](int side) {
        std::vector<std::unique_ptr<Node>> kids;
        for (const IpNet& net : nets) {
            kids.push_back(IpTest(side ? dst_off : src_off, side ? dst_name : src_name, net));
        }
        return AnyOf(std::move(kids));
    });
}

// One address (or host name, or `a/bits` network) whose word `value` was just consumed.
void Parser::ParseAddressEntry(const Token& value, bool allow_names, std::vector<IpNet>* out) {
    ParsedAddr a = ParseAddressWord(value.text);
    if (Peek().kind == Tok::kSlash) {
        // flowkit accepts `ip 10.0.0.0/8` as a network; nfdump wants `net` for that.
        Next();
        out->push_back(ParseNetBits(value, a));
        return;
    }
    switch (a.kind) {
        case AddrKind::kV4:
        case AddrKind::kV6:
            out->push_back(MakeNet(a.addr, 128, a.kind == AddrKind::kV6));
            return;
        case AddrKind::kV4Part:
        case AddrKind::kV6Part:
            Fail(value, "incomplete IP address '" + value.text + "'" + kExpectAddress);
        case AddrKind::kName:
            if (!allow_names) {
                Fail(value, "invalid IP address '" + value.text + "'" + kExpectAddress +
                                "; host names are not allowed here");
            }
            for (const ParsedAddr& r : Resolve(value)) {
                out->push_back(MakeNet(r.addr, 128, r.kind == AddrKind::kV6));
            }
            return;
        case AddrKind::kInvalid:
            Fail(value, "invalid IP address '" + value.text + "'" + kExpectAddress);
    }
}

std::vector<ParsedAddr> Parser::Resolve(const Token& name) {
    if (!options_.resolve_names) {
        Fail(name,
             "host name '" + name.text + "' not allowed: name resolution is off" + kExpectAddress);
    }
    std::vector<ParsedAddr> out;
    std::string error;
    if (!ResolveHost(name.text, &out, &error)) {
        Fail(name, "cannot resolve host name '" + name.text + "': " + error + kExpectAddress);
    }
    return out;
}

// Reads the prefix length after '/' (or a dotted IPv4 mask) for address `a`.
IpNet Parser::ParseNetBits(const Token& value, const ParsedAddr& a) {
    const Token& bits_tok = ExpectWord(value, "a prefix length");
    bool v4 = IsV4Kind(a.kind);
    if (a.kind == AddrKind::kInvalid || a.kind == AddrKind::kName) {
        Fail(value, "invalid network address '" + value.text + "'" + kExpectNet);
    }
    int bits = 0;
    if (v4 && bits_tok.text.find('.') != std::string::npos) {
        ParsedAddr m = ParseAddressWord(bits_tok.text);
        if (m.kind != AddrKind::kV4 || !NetmaskBits(m.addr.v4(), &bits)) {
            Fail(bits_tok, "invalid netmask '" + bits_tok.text +
                               "'; expected a contiguous mask such as 255.255.255.0");
        }
    } else {
        uint64_t n = 0;
        std::string why;
        uint64_t max = v4 ? 32 : 128;
        if (!ParseNumber(bits_tok.text, &n, &why)) {
            Fail(bits_tok, "invalid prefix length '" + bits_tok.text + "': " + why +
                               "; expected 0.." + std::to_string(max));
        }
        if (n > max) {
            Fail(bits_tok, "too many netbits '" + bits_tok.text + "' for an IPv" +
                               (v4 ? "4" : "6") + " address; expected 0.." + std::to_string(max));
        }
        bits = static_cast<int>(n);
    }
    return MakeNet(a.addr, v4 ? 96 + bits : bits, !v4);
}

// nfdump's net forms (a/bits, a mask) plus tcpdump's (`a mask m`, classful `net 10`). The
// address is masked here, so `net 192.168.1.5/24` and `net 192.168.1.0/24` compile alike.
std::unique_ptr<Node> Parser::ParseNet(Dir dir, const Token& dir_tok, uint16_t src_off,
                                       uint16_t dst_off, const char* src_name,
                                       const char* dst_name) {
    const Token kw = cur_kw_;
    if (PeekWord("in") && Peek(1).kind == Tok::kLBracket) {
        return ParseAddress(dir, dir_tok, src_off, dst_off, src_name, dst_name, false);
    }
    std::vector<IpNet> nets;
    nets.push_back(ParseNetEntry(ExpectWord(kw, "a network such as 10.0.0.0/8")));
    while (Peek().kind == Tok::kComma) {
        CheckListSize(Next(), kw, nets.size());
        nets.push_back(ParseNetEntry(ExpectWord(kw, "a network after ','")));
    }
    return BySide(dir, dir_tok, kw, [&](int side) {
        std::vector<std::unique_ptr<Node>> kids;
        for (const IpNet& net : nets) {
            kids.push_back(IpTest(side ? dst_off : src_off, side ? dst_name : src_name, net));
        }
        return AnyOf(std::move(kids));
    });
}

IpNet Parser::ParseNetEntry(const Token& value) {
    ParsedAddr a = ParseAddressWord(value.text);
    if (a.kind == AddrKind::kInvalid || a.kind == AddrKind::kName) {
        Fail(value, "invalid network address '" + value.text + "'" + kExpectNet);
    }
    if (Peek().kind == Tok::kSlash) {
        Next();
        return ParseNetBits(value, a);
    }
    if (IsV4Kind(a.kind) &&
        (PeekWord("mask") ||
         (Peek().kind == Tok::kWord && ParseAddressWord(Peek().text).kind == AddrKind::kV4))) {
        // `net 192.168.1.0 255.255.255.0`, or tcpdump's `net 192.168.1.0 mask 255.255.255.0`.
        AcceptWord("mask");
        return ParseNetBits(value, a);
    }
    if (a.kind == AddrKind::kV6 || a.kind == AddrKind::kV6Part) {
        if (Peek().kind == Tok::kWord && ParseAddressWord(Peek().text).kind == AddrKind::kV6) {
            Fail(Peek(), "netmask '" + Peek().text + "' is valid only for IPv4; expected " +
                             value.text + "/<bits>");
        }
        // Without a length the address is exact, or as long as the groups given.
        return MakeNet(a.addr, a.kind == AddrKind::kV6 ? 128 : 16 * CountGroups(value.text), true);
    }
    // tcpdump: `net 10` = 10.0.0.0/8, `net 192.168` = 192.168.0.0/16.
    return MakeNet(a.addr, 96 + 8 * a.v4_parts, false);
}

int Parser::CountGroups(const std::string& text) {
    return static_cast<int>(std::count(text.begin(), text.end(), ':')) + 1;
}

std::unique_ptr<Node> Parser::ParseSingleAddress(const Token& kw, uint16_t off, const char* name) {
    if (PeekWord("in") && Peek(1).kind == Tok::kLBracket) {
        Next();
        std::vector<IpNet> list = ParseIpList(kw, false);
        Test t;
        t.kind = TestKind::kIpList;
        t.addr_offset = off;
        t.addr_name = name;
        t.list = static_cast<uint32_t>(tables_.ip_lists.size());
        tables_.ip_lists.push_back(std::move(list));
        return Node::Leaf(t);
    }
    const Token& value = ExpectWord(kw, "an IP address");
    ParsedAddr a = ParseAddressWord(value.text);
    if (Peek().kind == Tok::kSlash) {
        Next();
        return IpTest(off, name, ParseNetBits(value, a));
    }
    if (a.kind == AddrKind::kV4Part || a.kind == AddrKind::kV6Part) {
        Fail(value, "incomplete IP address '" + value.text + "'" + kExpectAddress);
    }
    if (a.kind != AddrKind::kV4 && a.kind != AddrKind::kV6) {
        Fail(value, "invalid IP address '" + value.text + "'" + kExpectAddress +
                        "; host names are not allowed here");
    }
    return IpTest(off, name, MakeNet(a.addr, 128, a.kind == AddrKind::kV6));
}

// `[` entries `]` with spaces and/or single commas between entries (B28: `a/32, b/24`).
// A leading, doubled or trailing comma is an error rather than an empty entry.
std::vector<IpNet> Parser::ParseIpList(const Token& kw, bool allow_names) {
    Expect(Tok::kLBracket, "'[' to start the address list");
    std::vector<IpNet> list;
    bool need_entry = true;
    for (;;) {
        const Token& tok = Peek();
        if (tok.kind == Tok::kRBracket) {
            if (list.empty()) {
                Fail(tok, "empty address list after '" + kw.text +
                              " in' at ']'; expected at least one address or network");
            }
            if (need_entry) Unexpected(tok, "an address after ','");
            Next();
            return list;
        }
        if (tok.kind == Tok::kComma) {
            if (need_entry) Unexpected(tok, "an address or network");
            Next();
            need_entry = true;
            continue;
        }
        if (tok.kind != Tok::kWord) {
            Unexpected(tok, "an address, a network, ',' or ']'");
        }
        CheckListSize(tok, kw, list.size());
        ParseAddressEntry(Next(), allow_names, &list);
        need_entry = false;
    }
}

std::vector<uint64_t> Parser::ParseNumberList(const Token& kw, uint64_t max) {
    Expect(Tok::kLBracket, "'[' to start the list");
    std::vector<uint64_t> list;
    bool need_entry = true;
    for (;;) {
        const Token& tok = Peek();
        if (tok.kind == Tok::kRBracket) {
            if (list.empty()) {
                Fail(tok,
                     "empty list after '" + kw.text + " in' at ']'; expected at least one value");
            }
            if (need_entry) Unexpected(tok, "a number after ','");
            Next();
            break;
        }
        if (tok.kind == Tok::kComma) {
            if (need_entry) Unexpected(tok, "a number");
            Next();
            need_entry = true;
            continue;
        }
        CheckListSize(tok, kw, list.size());
        list.push_back(ParseValue(Next(), max, kw.text.c_str()));
        need_entry = false;
    }
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    return list;
}

// Also used for xport/nport. Order matters: `in pblock` and `in [` before comparators, and a
// dash or a comma after the value selects tcpdump's range and list forms.
std::unique_ptr<Node> Parser::ParsePort(Dir dir, const Token& dir_tok, FieldRef src, FieldRef dst) {
    const Token kw = cur_kw_;
    if (PeekWord("in") && PeekWord("pblock", 1)) {
        Next();
        Next();
        return BySide(dir, dir_tok, kw, [&](int side) {
            Test t;
            t.kind = TestKind::kPortInBlock;
            t.field = side ? dst : src;
            return Node::Leaf(t);
        });
    }
    if (PeekWord("in")) {
        Next();
        return ParseListTail(dir, dir_tok, kw, src, dst, 65535);
    }
    if (PeekWord("not") || Peek().kind == Tok::kBang) {
        // tcpdump habit: `port not 53` = `not port 53`. Counted in a loop, not by recursion,
        // and bounded like '(' and `not`: `port not not ... 53` once overflowed the stack.
        int nots = 0;
        while (PeekWord("not") || Peek().kind == Tok::kBang) {
            const Token& tok = Next();
            if (++nots > kMaxDepth) FailTooDeep(tok);
        }
        std::unique_ptr<Node> node = ParsePort(dir, dir_tok, src, dst);
        for (int i = 0; i < nots; ++i) node = Node::Not(std::move(node));
        return node;
    }
    Cmp cmp = Cmp::kEq;
    bool has_cmp = AcceptCmp(&cmp);
    const Token& value = ExpectWord(kw, "a port number");
    if (!has_cmp && value.text.find('-') != std::string::npos) {
        return ParsePortRange(dir, dir_tok, value, src, dst);
    }
    uint64_t port = ParseValue(value, 65535, "port");
    if (!has_cmp && Peek().kind == Tok::kComma) {
        // `port 80,443`: a list written without brackets.
        std::vector<uint64_t> list{port};
        while (Peek().kind == Tok::kComma) {
            CheckListSize(Next(), kw, list.size());
            list.push_back(ParseValue(ExpectWord(kw, "a port number after ','"), 65535, "port"));
        }
        return MakeList(dir, dir_tok, kw, src, dst, std::move(list));
    }
    return BySide(dir, dir_tok, kw,
                  [&](int side) { return FieldTest(side ? dst : src, cmp, port); });
}

std::unique_ptr<Node> Parser::ParsePortRange(Dir dir, const Token& dir_tok, const Token& value,
                                             FieldRef src, FieldRef dst) {
    size_t dash = value.text.find('-');
    if (dash == std::string::npos || dash == 0 || dash + 1 == value.text.size()) {
        Fail(value, "invalid port range '" + value.text + "'; expected e.g. 1024-2048");
    }
    Token lo_tok = value;
    lo_tok.text = value.text.substr(0, dash);
    Token hi_tok = value;
    hi_tok.text = value.text.substr(dash + 1);
    uint64_t lo = ParseValue(lo_tok, 65535, "port");
    uint64_t hi = ParseValue(hi_tok, 65535, "port");
    if (lo > hi) {
        Fail(value, "port range '" + value.text + "' is empty; expected start <= end");
    }
    Token kw = value;
    kw.text = "portrange";
    return BySide(dir, dir_tok, kw, [&](int side) {
        const FieldRef& f = side ? dst : src;
        return And(FieldTest(f, Cmp::kGe, lo), FieldTest(f, Cmp::kLe, hi));
    });
}

std::unique_ptr<Node> Parser::ParseListTail(Dir dir, const Token& dir_tok, const Token& kw,
                                            FieldRef src, FieldRef dst, uint64_t max) {
    return MakeList(dir, dir_tok, kw, src, dst, ParseNumberList(kw, max));
}

std::unique_ptr<Node> Parser::MakeList(Dir dir, const Token& dir_tok, const Token& kw, FieldRef src,
                                       FieldRef dst, std::vector<uint64_t> list) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    uint32_t index = static_cast<uint32_t>(tables_.u64_lists.size());
    tables_.u64_lists.push_back(std::move(list));
    auto make = [&](int side) {
        Test t;
        t.kind = TestKind::kFieldList;
        t.field = side ? dst : src;
        t.list = index;
        return Node::Leaf(t);
    };
    if (dst.width == 0) {
        if (dir != Dir::kNone) BadDir(dir_tok, kw, "none");
        return make(0);
    }
    return BySide(dir, dir_tok, kw, make);
}

std::unique_ptr<Node> Parser::ParseNumeric(Dir dir, const Token& dir_tok, const Token& kw,
                                           FieldRef src, FieldRef dst, uint64_t max,
                                           bool allow_list) {
    if (allow_list && PeekWord("in") && Peek(1).kind == Tok::kLBracket) {
        Next();
        return ParseListTail(dir, dir_tok, kw, src, dst, max);
    }
    Cmp cmp = Cmp::kEq;
    AcceptCmp(&cmp);
    uint64_t value = ParseValue(ExpectWord(kw, "a number"), max, kw.text.c_str());
    if (dst.width == 0) {
        if (dir != Dir::kNone) BadDir(dir_tok, kw, "none");
        return FieldTest(src, cmp, value);
    }
    return BySide(dir, dir_tok, kw,
                  [&](int side) { return FieldTest(side ? dst : src, cmp, value); });
}

std::unique_ptr<Node> Parser::ParseProto(const Token& kw, FieldRef field) {
    const Token& value = ExpectWord(kw, "a protocol name or number");
    uint64_t number = 0;
    std::string why;
    if (!ParseNumber(value.text, &number, &why)) {
        int p = ProtoNumber(value.text);
        if (p < 0) {
            Fail(value, "unknown protocol '" + value.text +
                            "' (expected a name such as tcp, udp, icmp or a number 0..255)");
        }
        number = static_cast<uint64_t>(p);
    } else if (number > 255) {
        Fail(value, "protocol number '" + value.text + "' out of range; expected 0..255");
    }
    return FieldTest(field, Cmp::kEq, number);
}

std::unique_ptr<Node> Parser::ParseBareProto(const Token& kw, uint8_t proto) {
    if (proto == kProtoIcmp && (PeekWord("type") || PeekWord("code"))) {
        Token sub = Next();
        return ParseIcmp(sub, Lower(sub.text) == "type");
    }
    std::unique_ptr<Node> node = ProtoIs(proto);
    // tcpdump: `tcp port 80`, `udp src port 53`: the protocol qualifies what follows.
    if (!AtExprEnd() && Peek().kind == Tok::kWord && !PeekWord("not")) {
        std::string next = Lower(Peek().text);
        for (const auto& bare : kBareProtos) {
            // `tcp udp ...` means nothing, and would recurse once per word.
            if (next == bare.name)
                Unexpected(Peek(), "a primitive or 'and'/'or' after '" + kw.text + "'");
        }
        return And(std::move(node), ParsePrimitive());
    }
    return node;
}

std::unique_ptr<Node> Parser::ParseIcmp(const Token& kw, bool type) {
    Cmp cmp = Cmp::kEq;
    AcceptCmp(&cmp);
    uint64_t v = ParseValue(ExpectWord(kw, "a number"), 255, type ? "ICMP type" : "ICMP code");
    // ICMP type and code live in dst_port as type << 8 | code (NetFlow v5 convention).
    FieldRef f = type ? Field(FLOW_ADDR(dst_port), 2, "icmp_type", 8, 0xff)
                      : Field(FLOW_ADDR(dst_port), 2, "icmp_code", 0, 0xff);
    return And(Or(ProtoIs(kProtoIcmp), ProtoIs(kProtoIcmp6)), FieldTest(f, cmp, v));
}

// `flags` takes letters (a mask test) or a number (a plain compare). Both imply TCP, so the
// tree is `proto == 6 and <test>`; code generation turns the letter test into "none set"
// under an odd number of `not`s, as nfdump evaluates it.
std::unique_ptr<Node> Parser::ParseFlags(const Token& kw) {
    FieldRef field = FLOW_FILTER_FIELD(tcp_flags, "tcp_flags");
    Cmp cmp = Cmp::kEq;
    bool has_cmp = AcceptCmp(&cmp);
    const Token& value = ExpectWord(kw, "TCP flag letters (F S R P A U X) or a number");
    uint64_t number = 0;
    std::string why;
    if (has_cmp || ParseNumber(value.text, &number, &why)) {
        number = ParseValue(value, 255, "flags");
        return And(ProtoIs(kProtoTcp), FieldTest(field, cmp, number));
    }
    uint64_t mask = 0;
    for (char c : value.text) {
        switch (c) {
            case 'F':
            case 'f':
                mask |= 0x01;
                break;
            case 'S':
            case 's':
                mask |= 0x02;
                break;
            case 'R':
            case 'r':
                mask |= 0x04;
                break;
            case 'P':
            case 'p':
                mask |= 0x08;
                break;
            case 'A':
            case 'a':
                mask |= 0x10;
                break;
            case 'U':
            case 'u':
                mask |= 0x20;
                break;
            case 'X':
            case 'x':
                mask |= 0x3f;
                break;
            default:
                Fail(value, std::string("invalid TCP flag '") + c + "' in '" + value.text +
                                "'; expected the letters F S R P A U, or X for all six");
        }
    }
    Test t;
    t.kind = TestKind::kFlagsAll;
    t.field = field;
    t.value = mask;
    return And(ProtoIs(kProtoTcp), Node::Leaf(t));
}

// The four MAC fields of NetFlow v9 (IN_SRC 56, OUT_DST 57, IN_DST 80, OUT_SRC 81): `in` and
// `out` pick the observation side, `src` and `dst` the address role, both together one field.
std::unique_ptr<Node> Parser::ParseMac(Dir dir, const Token& dir_tok, const Token& kw) {
    const Token& value = ExpectWord(kw, "a MAC address");
    uint64_t mac = 0;
    if (!ParseMacWord(value.text, &mac)) {
        Fail(value, "invalid MAC address '" + value.text + "' (expected e.g. 00:11:22:33:44:55)");
    }
    FieldRef in_src = FLOW_FILTER_FIELD(in_src_mac, "in_src_mac");
    FieldRef in_dst = FLOW_FILTER_FIELD(in_dst_mac, "in_dst_mac");
    FieldRef out_src = FLOW_FILTER_FIELD(out_src_mac, "out_src_mac");
    FieldRef out_dst = FLOW_FILTER_FIELD(out_dst_mac, "out_dst_mac");
    std::vector<FieldRef> fields;
    switch (dir) {
        case Dir::kNone:
        case Dir::kSrcOrDst:
            fields = {in_src, in_dst, out_src, out_dst};
            break;
        case Dir::kIn:
            fields = {in_src, in_dst};
            break;
        case Dir::kOut:
            fields = {out_src, out_dst};
            break;
        case Dir::kSrc:
            fields = {in_src, out_src};
            break;
        case Dir::kDst:
            fields = {in_dst, out_dst};
            break;
        case Dir::kInSrc:
            fields = {in_src};
            break;
        case Dir::kInDst:
            fields = {in_dst};
            break;
        case Dir::kOutSrc:
            fields = {out_src};
            break;
        case Dir::kOutDst:
            fields = {out_dst};
            break;
        default:
            BadDir(dir_tok, kw, "in, out, src, dst, in src, in dst, out src, out dst");
    }
    std::vector<std::unique_ptr<Node>> kids;
    for (const FieldRef& f : fields) kids.push_back(FieldTest(f, Cmp::kEq, mac));
    return AnyOf(std::move(kids));
}

std::unique_ptr<Node> Parser::ParseMpls(const Token& kw) {
    const Token& what = ExpectWord(kw, "label1..label10, exp1..exp10, eos or any");
    std::string w = Lower(what.text);
    constexpr uint64_t kMaxLabel = 0xfffff;  // 20-bit label (RFC 3032 section 2.1)
    size_t base = offsetof(FlowRecord, mpls);
    auto index_of = [&](size_t prefix) {
        uint64_t n = 0;
        std::string why;
        std::string digits = w.substr(prefix);
        if (digits.empty() || !ParseNumber(digits, &n, &why) || n < 1 || n > 10) {
            Fail(what, "MPLS label number in '" + what.text + "' out of range; expected 1..10");
        }
        return static_cast<size_t>(n - 1);
    };
    if (w.rfind("label", 0) == 0) {
        size_t i = index_of(5);
        FieldRef f = ArrayField<uint32_t>(base, i, "mpls_label", 4, kMaxLabel);
        return ParseNumeric(Dir::kNone, what, what, f, {}, kMaxLabel, false);
    }
    if (w.rfind("exp", 0) == 0) {
        size_t i = index_of(3);
        FieldRef f = ArrayField<uint32_t>(base, i, "mpls_exp", 1, 7);
        return ParseNumeric(Dir::kNone, what, what, f, {}, 7, false);
    }
    if (w == "eos" || w == "any") {
        Test t;
        t.kind = w == "eos" ? TestKind::kMplsEos : TestKind::kMplsAny;
        if (w == "eos") AcceptCmp(&t.cmp);
        t.value = ParseValue(ExpectWord(what, "a label number"), kMaxLabel, "MPLS label");
        return Node::Leaf(t);
    }
    Fail(what, "unknown MPLS option '" + what.text + "' (expected labelN, expN, eos or any)");
}

std::unique_ptr<Node> Parser::ParseIdent(const Token& kw) {
    const Token& value = Peek();
    if (value.kind != Tok::kWord && value.kind != Tok::kString) {
        Unexpected(value, "an ident name after '" + kw.text + "'");
    }
    Next();
    if (value.text.empty()) Fail(value, "empty ident ''; expected a name such as upstream1");
    if (HasControl(value.text)) {
        Fail(value, "ident '" + value.text + "' has control characters; expected printable text");
    }
    Test t;
    t.kind = TestKind::kIdent;
    auto it = std::find(tables_.idents.begin(), tables_.idents.end(), value.text);
    t.list = static_cast<uint32_t>(it - tables_.idents.begin());
    if (it == tables_.idents.end()) tables_.idents.push_back(value.text);
    return Node::Leaf(t);
}

std::unique_ptr<Node> Parser::ParseSeen(const Token& kw, bool first) {
    Cmp cmp = Cmp::kEq;
    AcceptCmp(&cmp);
    const Token& value = ExpectWord(kw, "a time such as 2024-07-11T09:15:00");
    int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0, ms = 0;
    char sep = 0;
    int used = 0;
    int n = std::sscanf(value.text.c_str(), "%4d-%2d-%2d%c%2d:%2d:%2d%n", &year, &mon, &day, &sep,
                        &hour, &min, &sec, &used);
    bool ok = n == 7 && (sep == 'T' || sep == 't');
    std::string rest = ok ? value.text.substr(static_cast<size_t>(used)) : "";
    if (ok && !rest.empty()) {
        // Optional milliseconds: exactly ".mmm".
        ok = rest.size() == 4 && rest[0] == '.' &&
             std::isdigit(static_cast<unsigned char>(rest[1])) &&
             std::isdigit(static_cast<unsigned char>(rest[2])) &&
             std::isdigit(static_cast<unsigned char>(rest[3]));
        if (ok) ms = std::stoi(rest.substr(1));
    }
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = mon - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;
    tm.tm_isdst = -1;
    ok = ok && mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && hour <= 23 && min <= 59 &&
         sec <= 60 && year >= 1970;
    std::time_t t = ok ? std::mktime(&tm) : -1;
    if (t < 0) {
        Fail(value, "invalid time '" + value.text + "' (expected YYYY-MM-DDThh:mm:ss[.mmm], " +
                        "local time)");
    }
    Test test;
    test.kind = TestKind::kField;
    test.field =
        first ? FLOW_FILTER_FIELD(first_ms, "first_ms") : FLOW_FILTER_FIELD(last_ms, "last_ms");
    test.cmp = cmp;
    test.value = static_cast<uint64_t>(t) * 1000 + static_cast<uint64_t>(ms);
    return Node::Leaf(test);
}

std::unique_ptr<Node> Parser::ParseComputed(const Token& kw, TestKind kind) {
    Test t;
    t.kind = kind;
    AcceptCmp(&t.cmp);
    t.value = ParseValue(ExpectWord(kw, "a number"), ~uint64_t{0}, kw.text.c_str());
    return Node::Leaf(t);
}

std::unique_ptr<Node> Parser::ParseFwdStat(const Token& kw) {
    FieldRef f = FLOW_FILTER_FIELD(fwd_status, "fwd_status");
    const Token& value = ExpectWord(kw, "a forwarding status number or name");
    std::string w = Lower(value.text);
    for (const auto& n : kFwdNames) {
        if (w == n.name) return FieldTest(f, Cmp::kEq, n.id);
    }
    return FieldTest(f, Cmp::kEq, ParseValue(value, 255, "forwarding status"));
}

std::unique_ptr<Node> Parser::ParseFlowDir(const Token& kw) {
    FieldRef f = FLOW_FILTER_FIELD(dir, "dir");
    const Token& value = ExpectWord(kw, "ingress, egress or a number");
    std::string w = Lower(value.text);
    if (w == "ingress") return FieldTest(f, Cmp::kEq, 0);
    if (w == "egress") return FieldTest(f, Cmp::kEq, 1);
    return FieldTest(f, Cmp::kEq, ParseValue(value, 255, "flow direction"));
}

std::unique_ptr<Node> Parser::ParseAsaEvent(const Token& kw) {
    FieldRef event = FLOW_FILTER_FIELD(fw_event, "fw_event");
    FieldRef xevent = FLOW_FILTER_FIELD(fw_xevent, "fw_xevent");
    if (AcceptWord("xevent")) {
        return ParseNumeric(Dir::kNone, kw, kw, xevent, {}, 65535, false);
    }
    ExpectWordIs("event", kw);
    if (AcceptWord("denied")) {
        const Token& why = ExpectWord(kw, "ingress, egress, interface, nosyn or a number");
        std::string w = Lower(why.text);
        uint64_t x = w == "ingress"     ? 1001
                     : w == "egress"    ? 1002
                     : w == "interface" ? 1003
                     : w == "nosyn"     ? 1004
                                        : ParseValue(why, 65535, "extended event");
        return And(FieldTest(event, Cmp::kEq, kAsaDeny), FieldTest(xevent, Cmp::kEq, x));
    }
    Cmp cmp = Cmp::kEq;
    bool has_cmp = AcceptCmp(&cmp);
    const Token& value = ExpectWord(kw, "an event name or number");
    std::string w = Lower(value.text);
    if (!has_cmp) {
        if (w == "ignore") return FieldTest(event, Cmp::kEq, kAsaIgnore);
        if (w == "create") return FieldTest(event, Cmp::kEq, kAsaCreate);
        if (w == "term" || w == "delete") return FieldTest(event, Cmp::kEq, kAsaDelete);
        if (w == "deny") return FieldTest(event, Cmp::kEq, kAsaDeny);
        if (w == "alert") return FieldTest(event, Cmp::kEq, kAsaAlert);
        if (w == "update") return FieldTest(event, Cmp::kEq, kAsaUpdate);
        uint64_t dummy = 0;
        std::string why;
        if (!ParseNumber(value.text, &dummy, &why)) {
            Fail(value, "unknown asa event '" + value.text +
                            "' (expected ignore, create, term, delete, deny, alert, update)");
        }
    }
    return FieldTest(event, cmp, ParseValue(value, 255, "asa event"));
}

std::unique_ptr<Node> Parser::ParseNatEvent(const Token& kw) {
    FieldRef event = FLOW_FILTER_FIELD(nat_event, "nat_event");
    Cmp cmp = Cmp::kEq;
    bool has_cmp = AcceptCmp(&cmp);
    const Token& value = ExpectWord(kw, "add, delete or a number");
    std::string w = Lower(value.text);
    if (!has_cmp) {
        if (w == "invalid") return FieldTest(event, Cmp::kEq, kNatInvalid);
        if (w == "add" || w == "create") return FieldTest(event, Cmp::kEq, kNatAdd);
        if (w == "delete") return FieldTest(event, Cmp::kEq, kNatDelete);
        uint64_t dummy = 0;
        std::string why;
        if (!ParseNumber(value.text, &dummy, &why)) {
            Fail(value, "unknown nat event '" + value.text + "' (expected add or delete)");
        }
    }
    return FieldTest(event, cmp, ParseValue(value, 255, "nat event"));
}

std::unique_ptr<Node> Parser::ParseAcl(const Token& kw, bool ingress) {
    if (AcceptWord("vrf")) {
        FieldRef f = ingress ? FLOW_FILTER_FIELD(ingress_vrf, "ingress_vrf")
                             : FLOW_FILTER_FIELD(egress_vrf, "egress_vrf");
        return ParseNumeric(Dir::kNone, kw, kw, f, {}, 0xffffffff, true);
    }
    const Token& what = ExpectWord(kw, "acl, ace, xace or vrf");
    std::string w = Lower(what.text);
    size_t index = w == "acl" ? 0 : w == "ace" ? 1 : w == "xace" ? 2 : 3;
    if (index == 3) {
        Fail(what,
             "expected acl, ace, xace or vrf after '" + kw.text + "', not '" + what.text + "'");
    }
    // NOTE: nfdump 1.7.1 cannot parse `egress acl` (a bug); flowkit accepts all three.
    size_t base = ingress ? offsetof(FlowRecord, ingress_acl) : offsetof(FlowRecord, egress_acl);
    static const char* const kNames[2][3] = {
        {"egress_acl", "egress_ace", "egress_xace"},
        {"ingress_acl", "ingress_ace", "ingress_xace"},
    };
    FieldRef f = ArrayField<uint32_t>(base, index, kNames[ingress ? 1 : 0][index]);
    return ParseNumeric(Dir::kNone, what, what, f, {}, 0xffffffff, true);
}

std::unique_ptr<Node> Parser::ParsePblock(const Token& kw) {
    const Token& what = ExpectWord(kw, "start, end, step or size");
    std::string w = Lower(what.text);
    FieldRef f;
    if (w == "start") {
        f = FLOW_FILTER_FIELD(block_start, "block_start");
    } else if (w == "end") {
        f = FLOW_FILTER_FIELD(block_end, "block_end");
    } else if (w == "step") {
        f = FLOW_FILTER_FIELD(block_step, "block_step");
    } else if (w == "size") {
        f = FLOW_FILTER_FIELD(block_size, "block_size");
    } else {
        Fail(what, "expected start, end, step or size after 'pblock', not '" + what.text + "'");
    }
    return ParseNumeric(Dir::kNone, what, what, f, {}, 65535, true);
}

}  // namespace flow::filter::detail
