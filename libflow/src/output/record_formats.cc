// SPDX-License-Identifier: BSD-2-Clause
// The fixed (non-fmt) record layouts of nfdump 1.7.1: the legacy 48-column csv, the pipe
// format, json (pretty, and one-line for ndjson) and the raw element dump. Field order and
// text forms follow what Debian's nfdump 1.7.1 prints (spec/nfdump-cli.md 3.8).
#include <charconv>
#include <cstring>

#include "flow/format_util.h"
#include "output/formats.h"

namespace flow::output::detail {

namespace {

bool IsIcmp(const FlowRecord& rec) { return rec.proto == 1 || rec.proto == 58; }

void PutIp(Buffer& out, const IpAddr& addr, bool v6) {
    char text[kTextSize];
    Put(out, std::string_view(text, FormatIp(addr, v6, text)));
}

void PutTime(Buffer& out, uint64_t ms, bool with_ms, char sep) {
    char text[kTextSize];
    Put(out, std::string_view(text, FormatLocalTime(ms, with_ms, sep, text)));
}

void PutMac(Buffer& out, uint64_t mac) {
    char text[kTextSize];
    Put(out, std::string_view(text, FormatMac(mac, text)));
}

void PutFlags(Buffer& out, uint8_t flags) {
    char text[8];
    FormatTcpFlags(flags, text);
    Put(out, std::string_view(text, sizeof(text)));
}

// "label-exp-bottom" of one MPLS stack entry into `out` (at least 32 bytes).
size_t MplsText(uint32_t v, char* out) {
    size_t n = UintText(v >> 4, out);
    out[n++] = '-';
    n += UintText((v >> 1) & 7, out + n);
    out[n++] = '-';
    n += UintText(v & 1, out + n);
    return n;
}

void PutMpls(Buffer& out, uint32_t v) {
    char text[32];
    Put(out, std::string_view(text, MplsText(v, text)));
}

// "0x%x/0x%x/0x%x" of three ACL ids into `out` (at least 40 bytes).
size_t AclText(const uint32_t* acl, char* out) {
    static constexpr char kHex[] = "0123456789abcdef";
    size_t n = 0;
    for (int i = 0; i < 3; ++i) {
        if (i) out[n++] = '/';
        out[n++] = '0';
        out[n++] = 'x';
        char tmp[8];
        size_t k = 0;
        uint32_t v = acl[i];
        do {
            tmp[k++] = kHex[v & 0xf];
            v >>= 4;
        } while (v != 0);
        while (k > 0) out[n++] = tmp[--k];
    }
    return n;
}

// "%*.3f" of value / 1000.0.
void PutFixed3(Buffer& out, uint64_t value, size_t width) {
    char text[kTextSize];
    PutRight(out, std::string_view(text, FormatThousandths(value, text)), width);
}

std::string_view Username(const FlowRecord& rec) {
    return std::string_view(rec.username, strnlen(rec.username, sizeof(rec.username)));
}

// Firewall (NSEL) and NAT event names as nfdump 1.7.1 prints them.
std::string_view FwEventName(uint8_t event) {
    static constexpr std::string_view kNames[] = {"IGNORE", "CREATE", "DELETE",
                                                  "DENIED", "ALERT",  "UPDATE"};
    return event < 6 ? kNames[event] : "UNKNOW";
}

// Extended firewall event names; empty for ids printed as numbers.
std::string_view FwXeventName(uint16_t xevent) {
    switch (xevent) {
        case 0:
            return "Ignore";
        case 1001:
            return "I-ACL";
        case 1002:
            return "E-ACL";
        case 1003:
            return "Adap";
        case 1004:
            return "No Syn";
        default:
            return "";
    }
}

std::string_view NatEventShortName(uint8_t event) {
    static constexpr std::string_view kNames[] = {"INVALID", "ADD", "DELETE"};
    return event < 3 ? kNames[event] : "UNKNOW";
}

// TODO: only events 1 and 2 were seen in nfdump 1.7.1 output ("NAT translation create",
// "NAT translation delete"); the other texts follow IANA's natEvent registry and may differ
// from what 1.7.1 prints.
std::string_view NatEventLongName(uint8_t event) {
    static constexpr std::string_view kNames[] = {
        "INVALID",
        "NAT translation create",
        "NAT translation delete",
        "NAT Addresses exhausted",
        "NAT44 session create",
        "NAT44 session delete",
        "NAT64 session create",
        "NAT64 session delete",
        "NAT44 BIB create",
        "NAT44 BIB delete",
        "NAT64 BIB create",
        "NAT64 BIB delete",
        "NAT ports exhausted",
        "Quota Exceeded",
        "Address binding create",
        "Address binding delete",
        "Port block allocation",
        "Port block de-allocation",
        "Threshold Reached",
    };
    return event < sizeof(kNames) / sizeof(kNames[0]) ? kNames[event] : "UNKNOWN";
}

// Same wrap-around masking as the fmt %sn token (see fmt_format.cc).
IpAddr Masked(const IpAddr& addr, uint8_t mask, bool v6) {
    if (!v6) return IpAddr::V4(addr.v4() & (0xffffffffu << ((32u - mask) & 31u)));
    if (mask > 64) return IpAddr{addr.hi, addr.lo & (~0ull << ((128u - mask) & 63u))};
    return IpAddr{addr.hi & (~0ull << ((64u - mask) & 63u)), 0};
}

// IPFIX flowEndReason texts of the raw format. TODO: 3 and 5 were not seen in nfdump 1.7.1
// output; their texts follow IANA's registry.
std::string_view EndReasonName(uint8_t reason) {
    switch (reason) {
        case 1:
            return "idle timeout";
        case 2:
            return "active timeout";
        case 3:
            return "end of Flow detected";
        case 4:
            return "forced end";
        case 5:
            return "lack of resources";
        default:
            return "";
    }
}

}  // namespace

void AppendName(Buffer& out, NameStatus (*lookup)(void*, uint16_t, uint32_t, std::string_view*),
                const OutputOptions& options, uint16_t sysid, uint32_t id) {
    if (lookup == nullptr || id == 0) return;
    std::string_view name;
    switch (lookup(options.names.context, sysid, id, &name)) {
        case NameStatus::kNoTable:
            return;
        case NameStatus::kNotFound:
            // NOTE: nfdump 1.7.1 says "ingress" for every lookup, egress and VRFs included.
            Put(out, " <ingress not found>");
            return;
        case NameStatus::kFound:
            PutChar(out, ' ');
            Put(out, name);
            return;
    }
}

// ---- csv -------------------------------------------------------------------------------

std::string_view CsvHeader() {
    return "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out,sas,das,smk,dmk,"
           "dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1,mpls2,mpls3,mpls4,mpls5,mpls6,"
           "mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra,eng,exid,tr";
}

void AppendCsv(Buffer& out, const FlowRecord& r) {
    PutTime(out, r.first_ms, false, ' ');
    PutChar(out, ',');
    PutTime(out, r.last_ms, false, ' ');
    PutChar(out, ',');
    PutFixed3(out, r.last_ms - r.first_ms, 0);
    PutChar(out, ',');
    PutIp(out, r.src_addr, r.IsV6());
    PutChar(out, ',');
    PutIp(out, r.dst_addr, r.IsV6());
    PutChar(out, ',');
    PutUint(out, r.src_port);
    PutChar(out, ',');
    PutUint(out, r.dst_port);
    PutChar(out, ',');
    Put(out, ProtoName(r.proto));
    PutChar(out, ',');
    PutFlags(out, r.tcp_flags);
    for (uint64_t v : {uint64_t{r.fwd_status}, uint64_t{r.src_tos}, r.packets, r.bytes,
                       r.out_packets, r.out_bytes, uint64_t{r.input}, uint64_t{r.output},
                       uint64_t{r.src_as}, uint64_t{r.dst_as}, uint64_t{r.src_mask},
                       uint64_t{r.dst_mask}, uint64_t{r.dst_tos}, uint64_t{r.dir}}) {
        PutChar(out, ',');
        PutUint(out, v);
    }
    PutChar(out, ',');
    PutIp(out, r.ip_next_hop, r.Has(kExIpNextHopV6));
    PutChar(out, ',');
    // NOTE: nfdump 1.7.1 prints the IP next hop here when the BGP next hop is IPv6 (a bug);
    // we print the BGP next hop.
    PutIp(out, r.bgp_next_hop, r.Has(kExBgpNextHopV6));
    PutChar(out, ',');
    // nfdump 1.7.1 keeps VLAN ids in 16 bits (sFlow's 0xffffffff prints as 65535).
    PutUint(out, static_cast<uint16_t>(r.src_vlan));
    PutChar(out, ',');
    PutUint(out, static_cast<uint16_t>(r.dst_vlan));
    for (uint64_t mac : {r.in_src_mac, r.out_dst_mac, r.in_dst_mac, r.out_src_mac}) {
        PutChar(out, ',');
        PutMac(out, mac);
    }
    for (uint32_t label : r.mpls) {
        PutChar(out, ',');
        PutMpls(out, label);
    }
    for (uint64_t us : {r.client_nw_delay_us, r.server_nw_delay_us, r.appl_latency_us}) {
        PutChar(out, ',');
        PutFixed3(out, us, 9);
    }
    PutChar(out, ',');
    PutIp(out, r.received_from, r.Has(kExIpReceivedV6));
    PutChar(out, ',');
    PutUint(out, r.engine_type);
    PutChar(out, '/');
    PutUint(out, r.engine_id);
    PutChar(out, ',');
    PutUint(out, r.exporter_sysid);
    PutChar(out, ',');
    PutTime(out, r.received_ms, true, ' ');
    PutChar(out, '\n');
}

void AppendCsvSummary(Buffer& out, const Summary& summary) {
    Averages avg = ComputeAverages(summary);
    Put(out, "Summary\nflows,bytes,packets,avg_bps,avg_pps,avg_bpp\n");
    PutUint(out, summary.flows);
    for (uint64_t v : {summary.bytes, summary.packets, avg.bps, avg.pps, avg.bpp}) {
        PutChar(out, ',');
        PutUint(out, v);
    }
    PutChar(out, '\n');
}

// ---- pipe ------------------------------------------------------------------------------

void AppendPipe(Buffer& out, const FlowRecord& r) {
    bool v6 = r.IsV6();
    PutUint(out, v6 ? 10 : 2);
    for (uint64_t v : {r.first_ms, r.last_ms, uint64_t{r.proto}}) {
        PutChar(out, '|');
        PutUint(out, v);
    }
    auto words = [&](const IpAddr& a) {
        uint64_t w[4] = {a.hi >> 32, a.hi & 0xffffffff, a.lo >> 32, a.lo & 0xffffffff};
        if (!v6) w[0] = w[1] = w[2] = 0;
        for (uint64_t v : w) {
            PutChar(out, '|');
            PutUint(out, v);
        }
    };
    words(r.src_addr);
    PutChar(out, '|');
    PutUint(out, r.src_port);
    words(r.dst_addr);
    for (uint64_t v :
         {uint64_t{r.dst_port}, uint64_t{r.src_as}, uint64_t{r.dst_as}, uint64_t{r.input},
          uint64_t{r.output}, uint64_t{r.tcp_flags}, uint64_t{r.src_tos}, r.packets, r.bytes}) {
        PutChar(out, '|');
        PutUint(out, v);
    }
    PutChar(out, '\n');
}

// ---- json ------------------------------------------------------------------------------

namespace {

// Upper bound of one json object's bytes apart from its two escaped strings (label and user
// name): about 90 pairs of at most 20 key bytes, 6 bytes of punctuation and 48 value bytes
// (an IPv6 address, a time with a five-digit year) stay below 7 KiB.
constexpr size_t kJsonFixedMax = 16 * 1024;

// The length of the well-formed UTF-8 sequence (RFC 3629: no overlong forms, surrogates
// or code points above U+10FFFF) at the start of `s`, or 0 when it does not start with one.
size_t Utf8SequenceLength(std::string_view s) {
    auto at = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
    const unsigned char b = at(0);
    size_t n = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) {
        n = 2;
    } else if (b >= 0xe0 && b <= 0xef) {
        n = 3;
        if (b == 0xe0) lo = 0xa0;
        if (b == 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
        n = 4;
        if (b == 0xf0) lo = 0x90;
        if (b == 0xf4) hi = 0x8f;
    } else {
        return 0;
    }
    if (s.size() < n || at(1) < lo || at(1) > hi) return 0;
    for (size_t i = 2; i < n; ++i) {
        if (at(i) < 0x80 || at(i) > 0xbf) return 0;
    }
    return n;
}

// Two decimal digits of 0..99 at [2 * i].
constexpr char kDigitPairs[] =
    "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
    "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";

// "%u." of 0..255: four bytes to copy (the digits and a dot, padded) and the digit count.
struct OctetText {
    char text[256][4];
    uint8_t len[256];
    OctetText() {
        for (int i = 0; i < 256; ++i) {
            char* t = text[i];
            uint8_t n = 0;
            if (i >= 100) t[n++] = static_cast<char>('0' + i / 100);
            if (i >= 10) t[n++] = static_cast<char>('0' + i / 10 % 10);
            t[n++] = static_cast<char>('0' + i % 10);
            while (n < 4) t[n++] = '.';
            len[i] = static_cast<uint8_t>(i >= 100 ? 3 : i >= 10 ? 2 : 1);
        }
    }
};
const OctetText kOctets;

// The 8 letters of every tcp flags byte ("CEUAPRSF" or '.').
struct TcpFlagsText {
    char text[256][8];
    TcpFlagsText() {
        for (int i = 0; i < 256; ++i) FormatTcpFlags(static_cast<uint8_t>(i), text[i]);
    }
};
const TcpFlagsText kTcpFlags;

// Writes "key" : value pairs in 1.7.1's pretty layout or (kCompact) on one line, straight
// into memory the caller has reserved (kJsonFixedMax plus the escaped strings). Each key
// after the first carries the separator of the pair before it, so keys are literals of
// known length and no pair counter is kept.
template <bool kCompact>
class JsonWriter {
public:
    explicit JsonWriter(char* p) : p_(p) {}
    char* end() const { return p_; }

    // The opening brace and the first key, "type".
    void Open() { Raw(kOpen); }
    void Close() { Raw(kClose); }

    template <size_t N>
    void Number(const char (&key)[N], uint64_t v) {
        Key(key);
        Uint(v);
    }
    template <size_t N>
    void Text(const char (&key)[N], std::string_view v) {
        Key(key);
        Quoted(v);
    }
    template <size_t N>
    void QuotedNumber(const char (&key)[N], uint64_t v) {
        Key(key);
        *p_++ = '"';
        Uint(v);
        *p_++ = '"';
    }
    // A quoted value from outside data: '"', '\\' and control characters are escaped.
    template <size_t N>
    void Escaped(const char (&key)[N], std::string_view v) {
        Key(key);
        *p_++ = '"';
        for (size_t i = 0; i < v.size(); ++i) {
            const char c = v[i];
            auto u = static_cast<unsigned char>(c);
            if (c == '"' || c == '\\') {
                p_[0] = '\\';
                p_[1] = c;
                p_ += 2;
            } else if (u < 0x20 || u >= 0x80) {
                // A well-formed UTF-8 sequence goes out as it is; any other byte (a user
                // name is whatever the firewall sent) as the code point of its value, so
                // the document stays valid UTF-8 JSON.
                const size_t n = u >= 0x80 ? Utf8SequenceLength(v.substr(i)) : 0;
                if (n != 0) {
                    std::memcpy(p_, v.data() + i, n);
                    p_ += n;
                    i += n - 1;
                    continue;
                }
                static constexpr char kHex[] = "0123456789abcdef";
                std::memcpy(p_, "\\u00", 4);
                p_[4] = kHex[u >> 4];
                p_[5] = kHex[u & 0xf];
                p_ += 6;
            } else {
                *p_++ = c;
            }
        }
        *p_++ = '"';
    }
    template <size_t N>
    void Ip(const char (&key)[N], const IpAddr& a, bool v6) {
        Key(key);
        *p_++ = '"';
        IpText(a, v6);
        *p_++ = '"';
    }
    template <size_t N>
    void Time(const char (&key)[N], uint64_t ms) {
        Key(key);
        *p_++ = '"';
        p_ += FormatLocalTime(ms, true, 'T', p_);
        *p_++ = '"';
    }
    // Event times print "<unknown>.0" when zero, unlike the flow times.
    template <size_t N>
    void EventTime(const char (&key)[N], uint64_t ms) {
        if (ms == 0) {
            Text(key, "<unknown>.0");
        } else {
            Time(key, ms);
        }
    }
    template <size_t N>
    void TcpFlags(const char (&key)[N], uint8_t flags) {
        Key(key);
        *p_++ = '"';
        std::memcpy(p_, kTcpFlags.text[flags], 8);
        p_ += 8;
        *p_++ = '"';
    }
    // A quoted value written in pieces: OpenText(key), the text, CloseText().
    template <size_t N>
    void OpenText(const char (&key)[N]) {
        Key(key);
        *p_++ = '"';
    }
    void CloseText() { *p_++ = '"'; }
    // A key that is not a literal (the mpls keys come from a table).
    void KeyText(std::string_view key) {
        Raw(kSeparator);
        std::memcpy(p_, key.data(), key.size());
        p_ += key.size();
        Raw(kColon);
    }
    void Quoted(std::string_view v) {
        *p_++ = '"';
        std::memcpy(p_, v.data(), v.size());
        p_ += v.size();
        *p_++ = '"';
    }
    void IpText(const IpAddr& a, bool v6) {
        if (v6) {
            p_ += FormatIp(a, true, p_);
            return;
        }
        uint32_t v = a.v4();
        for (int shift = 24; shift > 0; shift -= 8) {
            unsigned b = (v >> shift) & 0xff;
            std::memcpy(p_, kOctets.text[b], 4);  // digits, then '.' in the next byte
            p_ += kOctets.len[b] + 1;
        }
        std::memcpy(p_, kOctets.text[v & 0xff], 4);
        p_ += kOctets.len[v & 0xff];
    }

private:
    // Constant strings: each copy compiles to a few stores.
    static constexpr std::string_view kOpen = kCompact ? "{\"type\":" : "{\n\t\"type\" : ";
    static constexpr std::string_view kClose = kCompact ? "}" : "\n}";
    static constexpr std::string_view kSeparator = kCompact ? ",\"" : ",\n\t\"";
    static constexpr std::string_view kColon = kCompact ? "\":" : "\" : ";

    void Raw(std::string_view s) {
        std::memcpy(p_, s.data(), s.size());
        p_ += s.size();
    }
    template <size_t N>
    void Raw(const char (&s)[N]) {
        std::memcpy(p_, s, N - 1);
        p_ += N - 1;
    }
    template <size_t N>
    void Key(const char (&key)[N]) {
        Raw(kSeparator);
        Raw(key);
        Raw(kColon);
    }
    void Uint(uint64_t v) {
        if (v < 100) {
            if (v < 10) {
                *p_++ = static_cast<char>('0' + v);
            } else {
                std::memcpy(p_, kDigitPairs + 2 * v, 2);
                p_ += 2;
            }
            return;
        }
        p_ = std::to_chars(p_, p_ + 20, v).ptr;
    }

    char* p_;
};

// src_net / dst_net as nfdump 1.7.1's json prints them: empty when both masks are 0; IPv4
// properly masked (mask 0 gives 0.0.0.0); IPv6 the full address for mask 0 and otherwise the
// upper 64 bits whatever the mask is.
template <bool kCompact, size_t N>
void JsonNet(JsonWriter<kCompact>& j, const char (&key)[N], const IpAddr& addr, uint8_t mask,
             const FlowRecord& r) {
    j.OpenText(key);
    if (r.src_mask != 0 || r.dst_mask != 0) {
        if (r.IsV6()) {
            j.IpText(mask == 0 ? addr : IpAddr{addr.hi, 0}, true);
        } else {
            uint64_t bits = mask >= 32 ? 0xffffffffull : ~0ull << (32 - mask);
            j.IpText(IpAddr::V4(static_cast<uint32_t>(addr.v4() & bits)), false);
        }
    }
    j.CloseText();
}

template <bool kCompact>
char* WriteJson(char* out, const FlowRecord& r, const RecordContext& ctx) {
    JsonWriter<kCompact> j(out);
    bool v6 = r.IsV6();
    j.Open();
    j.Quoted((r.flags & kFlagEvent) ? "EVENT" : "FLOW");
    j.Number("sampled", (r.flags & kFlagSampled) ? 1 : 0);
    j.Number("export_sysid", r.exporter_sysid);

    // Elements in ascending id order, the order nfcapd writes them.
    if (r.Has(kExGenericFlow)) {
        j.Time("first", r.first_ms);
        j.Time("last", r.last_ms);
        j.Time("received", r.received_ms);
        j.Number("in_packets", r.packets);
        j.Number("in_bytes", r.bytes);
        j.Number("proto", r.proto);
        if (IsIcmp(r)) {
            j.Number("icmp_type", r.dst_port >> 8);
            j.Number("icmp_code", r.dst_port & 0xff);
        } else {
            j.TcpFlags("tcp_flags", r.tcp_flags);
            j.Number("src_port", r.src_port);
            j.Number("dst_port", r.dst_port);
        }
        j.Number("src_tos", r.src_tos);
    }
    if (r.Has(kExIpv4Flow) && !v6) {
        j.Ip("src4_addr", r.src_addr, false);
        j.Ip("dst4_addr", r.dst_addr, false);
    }
    if (v6) {
        j.Ip("src6_addr", r.src_addr, true);
        j.Ip("dst6_addr", r.dst_addr, true);
    }
    if (r.Has(kExFlowMisc)) {
        j.Number("input_snmp", r.input);
        j.Number("output_snmp", r.output);
        j.Number("src_mask", r.src_mask);
        j.Number("dst_mask", r.dst_mask);
        JsonNet(j, "src_net", r.src_addr, r.src_mask, r);
        JsonNet(j, "dst_net", r.dst_addr, r.dst_mask, r);
        j.Number("fwd_status", r.fwd_status);
        j.Number("direction", r.dir);
        j.Number("dst_tos", r.dst_tos);
    }
    if (r.Has(kExCntFlow)) {
        j.Number("out_packets", r.out_packets);
        j.Number("out_bytes", r.out_bytes);
        j.Number("aggr_flows", r.flows);
    }
    if (r.Has(kExVlan)) {
        j.Number("src_vlan", static_cast<uint16_t>(r.src_vlan));
        j.Number("dst_vlan", static_cast<uint16_t>(r.dst_vlan));
    }
    if (r.Has(kExAsRouting)) {
        j.Number("src_as", r.src_as);
        j.Number("dst_as", r.dst_as);
    }
    if (r.Has(kExBgpNextHopV4)) j.Ip("bgp4_next_hop", r.bgp_next_hop, false);
    if (r.Has(kExBgpNextHopV6)) j.Ip("bgp6_next_hop", r.bgp_next_hop, true);
    if (r.Has(kExIpNextHopV4)) j.Ip("ip4_next_hop", r.ip_next_hop, false);
    if (r.Has(kExIpNextHopV6)) j.Ip("ip6_next_hop", r.ip_next_hop, true);
    if (r.Has(kExIpReceivedV4)) j.Ip("ip4_router", r.received_from, false);
    if (r.Has(kExIpReceivedV6)) j.Ip("ip6_router", r.received_from, true);
    if (r.Has(kExMplsLabel)) {
        static constexpr std::string_view kKeys[] = {"mpls_1", "mpls_2", "mpls_3", "mpls_4",
                                                     "mpls_5", "mpls_6", "mpls_7", "mpls_8",
                                                     "mpls_9", "mpls_10"};
        for (int i = 0; i < 10; ++i) {
            char text[32];
            j.KeyText(kKeys[i]);
            j.Quoted(std::string_view(text, MplsText(r.mpls[i], text)));
        }
    }
    if (r.Has(kExMacAddr)) {
        char text[kTextSize];
        j.Text("in_src_mac", std::string_view(text, FormatMac(r.in_src_mac, text)));
        j.Text("out_dst_mac", std::string_view(text, FormatMac(r.out_dst_mac, text)));
        j.Text("in_dst_mac", std::string_view(text, FormatMac(r.in_dst_mac, text)));
        j.Text("out_src_mac", std::string_view(text, FormatMac(r.out_src_mac, text)));
    }
    if (r.Has(kExAsAdjacent)) {
        j.Number("next_as", r.next_as);
        j.Number("prev_as", r.prev_as);
    }
    if (r.Has(kExLatency)) {
        // TODO: key names and units not verified against 1.7.1 output (no corpus record has
        // latency); microseconds as stored.
        j.Number("cli_latency", r.client_nw_delay_us);
        j.Number("srv_latency", r.server_nw_delay_us);
        j.Number("app_latency", r.appl_latency_us);
    }
    if (r.Has(kExNselCommon)) {
        j.QuotedNumber("connect_id", r.conn_id);
        j.QuotedNumber("event_id", r.fw_event);
        j.Text("event", FwEventName(r.fw_event));
        j.QuotedNumber("xevent_id", r.fw_xevent);
        j.EventTime("t_event", r.event_ms);
    }
    if (r.Has(kExNatXlateIpv4)) {
        j.Ip("src4_xlt_ip", r.xlate_src, false);
        j.Ip("dst4_xlt_ip", r.xlate_dst, false);
    }
    if (r.Has(kExNatXlateIpv6)) {
        j.Ip("src6_xlt_ip", r.xlate_src, true);
        j.Ip("dst6_xlt_ip", r.xlate_dst, true);
    }
    if (r.Has(kExNatXlatePort)) {
        j.QuotedNumber("src_xlt_port", r.xlate_src_port);
        j.QuotedNumber("dst_xlt_port", r.xlate_dst_port);
    }
    if (r.Has(kExNselAcl)) {
        char text[40];
        j.Text("ingress_acl", std::string_view(text, AclText(r.ingress_acl, text)));
        j.Text("egress_acl", std::string_view(text, AclText(r.egress_acl, text)));
    }
    if (r.Has(kExNselUser)) {
        std::string_view name = Username(r);
        j.Escaped("user_name", name.empty() ? "<empty>" : name);
    }
    if (r.Has(kExNatCommon)) {
        j.QuotedNumber("nat_event_id", r.nat_event);
        j.Text("nat_event", NatEventLongName(r.nat_event));
        j.QuotedNumber("ingress_vrf", r.ingress_vrf);
        j.QuotedNumber("egress_vrf", r.egress_vrf);
        // One event time per record: the firewall block above printed it already.
        if (!r.Has(kExNselCommon)) j.EventTime("t_event", r.event_ms);
    }
    if (r.Has(kExNatPortBlock)) {
        j.Number("pblock_start", r.block_start);
        j.Number("pblock_end", r.block_end);
        j.Number("pblock_step", r.block_step);
        j.Number("pblock_size", r.block_size);
    }
    if (r.Has(kExObservation)) {
        // NOTE: the key's spelling is nfdump 1.7.1's.
        j.Number("observationDoaminID", r.observation_domain);
        j.Number("observationPointID", r.observation_point);
    }
    // The NAT block above printed the VRF ids already; nfdump 1.7.1 prints them twice,
    // which makes duplicate keys (docs/compatibility.md).
    if (r.Has(kExVrf) && !r.Has(kExNatCommon)) {
        j.QuotedNumber("ingress_vrf", r.ingress_vrf);
        j.QuotedNumber("egress_vrf", r.egress_vrf);
    }
    // Elements 1.7.1's json does not print: sampler info, NBAR, payload, tunnels, inmon, pf,
    // layer 2, flow id, Nokia NAT, IP info.
    j.Escaped("label", ctx.label.empty() ? "<none>" : ctx.label);
    j.Close();
    return j.end();
}

}  // namespace

void AppendJson(Buffer& out, const FlowRecord& r, const RecordContext& ctx, bool compact) {
    // One capacity check per record: the escaped strings take at most 6 bytes a byte.
    size_t max = kJsonFixedMax + 6 * (ctx.label.size() + sizeof(r.username));
    char* p = out.Reserve(max);
    out.SetEnd(compact ? WriteJson<true>(p, r, ctx) : WriteJson<false>(p, r, ctx));
}

// ---- raw -------------------------------------------------------------------------------

namespace {

// On-disk size of each V3 element of nfdump 1.7 (4-byte element header included), for the
// raw "size" line. 0 for elements of variable size.
constexpr uint16_t kElementSize[kExMaxElement] = {
    0,   // 0 unused
    52,  // kExGenericFlow
    12,  // kExIpv4Flow
    36,  // kExIpv6Flow
    20,  // kExFlowMisc
    28,  // kExCntFlow
    12,  // kExVlan
    12,  // kExAsRouting
    8,   // kExBgpNextHopV4
    20,  // kExBgpNextHopV6
    8,   // kExIpNextHopV4
    20,  // kExIpNextHopV6
    8,   // kExIpReceivedV4
    20,  // kExIpReceivedV6
    44,  // kExMplsLabel
    36,  // kExMacAddr
    12,  // kExAsAdjacent
    28,  // kExLatency
    20,  // kExSamplerInfo
    20,  // kExNselCommon
    12,  // kExNatXlateIpv4
    36,  // kExNatXlateIpv6
    8,   // kExNatXlatePort
    28,  // kExNselAcl
    72,  // kExNselUser
    20,  // kExNatCommon
    12,  // kExNatPortBlock
    0,   // kExNbarApp: variable
    0,   // 28 unused
    0,   // kExInPayload: variable
    0,   // kExOutPayload: variable
    16,  // kExTunIpv4
    40,  // kExTunIpv6
    20,  // kExObservation
    0,   // kExInmonMeta: variable
    0,   // kExInmonFrame: variable
    12,  // kExVrf
    0,   // kExPfInfo
    36,  // kExLayer2
    12,  // kExFlowId
    0,   // kExNokiaNat
    0,   // kExNokiaNatString: variable
    8,   // kExIpInfo
};

class RawWriter {
public:
    explicit RawWriter(Buffer& out) : out_(out) {}

    // "  <label> =  " then the value right-aligned in 16.
    void Line(std::string_view label, std::string_view value) {
        Label(label);
        PutRight(out_, value, 16);
    }
    void Number(std::string_view label, uint64_t v) {
        Label(label);
        PutUint(out_, v, 16);
    }
    // Counters: six blanks then the value right-aligned in 10, so values of more than ten
    // digits push the line longer instead of eating the blanks (as nfdump prints them).
    void Counter(std::string_view label, uint64_t v) {
        Label(label);
        Put(out_, "      ");
        PutUint(out_, v, 10);
    }
    void NumberNote(std::string_view label, uint64_t v, std::string_view note) {
        Number(label, v);
        PutChar(out_, ' ');
        Put(out_, note);
    }
    void Hex2(std::string_view label, uint8_t v, std::string_view note) {
        char text[4] = {'0', 'x', "0123456789abcdef"[v >> 4], "0123456789abcdef"[v & 0xf]};
        Line(label, std::string_view(text, 4));
        PutChar(out_, ' ');
        Put(out_, note);
    }
    void Ip(std::string_view label, const IpAddr& a, bool v6) {
        char text[kTextSize];
        Line(label, std::string_view(text, FormatIp(a, v6, text)));
    }
    void Time(std::string_view label, uint64_t ms) {
        Number(label, ms);
        Put(out_, " [");
        if (ms == 0) {
            Put(out_, "<unknown>.000]");
            return;
        }
        char text[kTextSize];
        Put(out_, std::string_view(text, FormatLocalTime(ms, true, ' ', text)));
        PutChar(out_, ']');
    }
    void End() { PutChar(out_, '\n'); }

    Buffer& out() { return out_; }

    void Label(std::string_view label) {
        Put(out_, "  ");
        PutLeft(out_, label, 13);
        Put(out_, "=  ");
    }

private:
    Buffer& out_;
};

}  // namespace

void AppendRaw(Buffer& out, const FlowRecord& r, const RecordContext& ctx) {
    RawWriter w(out);
    bool v6 = r.IsV6();
    Put(out, "\nFlow Record: \n");
    w.Number("RecordCount", ctx.count);
    w.End();

    std::string_view type = "FLOW";
    char note[64];
    size_t nn = 0;
    auto add = [&](std::string_view part) {
        std::memcpy(note + nn, part.data(), part.size());
        nn += part.size();
    };
    if (r.flags & kFlagEvent) {
        type = "EVENT";
        add(type);
    } else if (r.nfversion != 0) {
        type = (r.nfversion & 0x80) ? "SFLOW" : (r.nfversion & 0x40) ? "PCAP" : "NETFLOW";
        add(type);
        add(" v");
        unsigned v = (r.nfversion & 0xc0) ? (r.nfversion & 0x0f) : r.nfversion;
        nn += UintText(v, note + nn);
    } else {
        add(type);
    }
    if (r.flags & kFlagAnon) add(" Anonymized");
    add(", ");
    add((r.flags & kFlagSampled) ? "Sampled" : "Unsampled");
    w.Hex2("Flags", r.flags, std::string_view(note, nn));
    w.End();

    uint32_t count = 0;
    uint32_t size = 12;  // V3 record header
    for (int id = 1; id < kExMaxElement; ++id) {
        if (!r.Has(static_cast<ElementId>(id))) continue;
        ++count;
        size += kElementSize[id];
        if (id == kExNbarApp) size += (4 + r.nbar_len + 3) & ~3u;
    }
    w.Number("Elements", count);
    Put(out, ": ");
    for (int id = 1; id < kExMaxElement; ++id) {
        if (!r.Has(static_cast<ElementId>(id))) continue;
        PutUint(out, static_cast<uint64_t>(id));
        PutChar(out, ' ');
    }
    w.End();
    // TODO: payload, inmon and Nokia NAT string elements have variable sizes FlowRecord does
    // not keep; they count 0 here.
    w.Number("size", size);
    w.End();
    w.Number("engine type", r.engine_type);
    w.End();
    w.Number("engine ID", r.engine_id);
    w.End();
    w.Number("export sysid", r.exporter_sysid);
    w.End();

    if (r.Has(kExGenericFlow)) {
        w.Time("first", r.first_ms);
        w.End();
        w.Time("last", r.last_ms);
        w.End();
        w.Time("received at", r.received_ms);
        w.End();
        w.NumberNote("proto", r.proto, ProtoName(r.proto));
        w.End();
        // nfdump's raw record shows the TCP flags of TCP flows only (0 for the others, whose
        // flags csv and the listings still print).
        const uint8_t tcp_flags = r.proto == 6 ? r.tcp_flags : 0;
        char flags[8];
        FormatTcpFlags(tcp_flags, flags);
        w.Hex2("tcp flags", tcp_flags, std::string_view(flags, sizeof(flags)));
        w.End();
        if (IsIcmp(r)) {
            // twelve blanks, then "%2u.%-2u type.code"
            w.Label("ICMP");
            Put(out, "            ");
            PutUint(out, r.dst_port >> 8, 2);
            PutChar(out, '.');
            PutUint(out, r.dst_port & 0xff, 2, true);
            Put(out, " type.code");
            w.End();
        } else {
            w.Number("src port", r.src_port);
            w.End();
            w.Number("dst port", r.dst_port);
            w.End();
            w.Number("src tos", r.src_tos);
            w.End();
        }
        w.Counter("in packets", r.packets);
        w.End();
        w.Counter("in bytes", r.bytes);
        w.End();
    }
    if (r.Has(kExIpv4Flow) && !v6) {
        w.Ip("src addr", r.src_addr, false);
        w.End();
        w.Ip("dst addr", r.dst_addr, false);
        w.End();
    }
    if (v6) {
        w.Ip("src addr", r.src_addr, true);
        w.End();
        w.Ip("dst addr", r.dst_addr, true);
        w.End();
    }
    if (r.Has(kExFlowMisc)) {
        const OutputOptions& opts = *ctx.options;
        // Interfaces are "%8u" after 10 spaces (wider values push the line).
        w.Label("input");
        PutSpaces(out, 8);
        PutUint(out, r.input, 8);
        AppendName(out, opts.names.interface_name, opts, r.exporter_sysid, r.input);
        w.End();
        w.Label("output");
        PutSpaces(out, 8);
        PutUint(out, r.output, 8);
        AppendName(out, opts.names.interface_name, opts, r.exporter_sysid, r.output);
        w.End();
        for (int k = 0; k < 2; ++k) {
            uint8_t mask = k == 0 ? r.src_mask : r.dst_mask;
            const IpAddr& a = k == 0 ? r.src_addr : r.dst_addr;
            w.Number(k == 0 ? "src mask" : "dst mask", mask);
            PutChar(out, ' ');
            if (mask != 0) {
                char text[kTextSize];
                Put(out, std::string_view(text, FormatIp(Masked(a, mask, v6), v6, text)));
            }
            PutChar(out, '/');
            PutUint(out, mask);
            w.End();
        }
        w.Number("fwd status", r.fwd_status);
        w.End();
        // NOTE: nfdump 1.7.1 prints the source ToS on this line (a bug); we print dst ToS.
        w.Number("dst tos", r.dst_tos);
        w.End();
        w.Number("direction", r.dir);
        w.End();
        w.Hex2("biFlow Dir", r.biflow_dir, "");
        w.End();
        w.Hex2("end reason", r.end_reason, EndReasonName(r.end_reason));
        w.End();
    }
    if (r.Has(kExCntFlow)) {
        w.Counter("out packets", r.out_packets);
        w.End();
        w.Counter("out bytes", r.out_bytes);
        w.End();
        w.Counter("aggr flows", r.flows);
        w.End();
    }
    if (r.Has(kExVlan)) {
        w.Number("src vlan", static_cast<uint16_t>(r.src_vlan));
        w.End();
        w.Number("dst vlan", static_cast<uint16_t>(r.dst_vlan));
        w.End();
    }
    if (r.Has(kExAsRouting)) {
        // 1.7.1 prints AS numbers 5 wide after 13 spaces, not right-aligned in 16.
        w.Label("src as");
        PutSpaces(out, 11);
        PutUint(out, r.src_as, 5);
        w.End();
        w.Label("dst as");
        PutSpaces(out, 11);
        PutUint(out, r.dst_as, 5);
        w.End();
    }
    if (r.Has(kExBgpNextHopV4) || r.Has(kExBgpNextHopV6)) {
        w.Ip("bgp next hop", r.bgp_next_hop, r.Has(kExBgpNextHopV6));
        w.End();
    }
    if (r.Has(kExIpNextHopV4) || r.Has(kExIpNextHopV6)) {
        w.Ip("ip next hop", r.ip_next_hop, r.Has(kExIpNextHopV6));
        w.End();
    }
    if (r.Has(kExIpReceivedV4) || r.Has(kExIpReceivedV6)) {
        w.Ip("ip exporter", r.received_from, r.Has(kExIpReceivedV6));
        w.End();
    }
    if (r.Has(kExMplsLabel)) {
        // Labels up to the first empty one.
        for (int i = 0; i < 10 && r.mpls[i] != 0; ++i) {
            char label[16] = "MPLS Lbl ";
            label[9] = i + 1 >= 10 ? '1' : ' ';
            label[10] = static_cast<char>('0' + (i + 1) % 10);
            label[11] = '\0';
            char text[32];
            w.Line(std::string_view(label, 11), std::string_view(text, MplsText(r.mpls[i], text)));
            w.End();
        }
    }
    if (r.Has(kExMacAddr)) {
        static constexpr std::string_view kLabels[] = {"in src mac", "out dst mac", "in dst mac",
                                                       "out src mac"};
        const uint64_t macs[] = {r.in_src_mac, r.out_dst_mac, r.in_dst_mac, r.out_src_mac};
        for (int i = 0; i < 4; ++i) {
            Put(out, "  ");
            PutLeft(out, kLabels[i], 13);
            Put(out, "= ");
            PutMac(out, macs[i]);
            w.End();
        }
    }
    if (r.Has(kExAsAdjacent)) {
        w.Number("bgp next as", r.next_as);
        w.End();
        w.Number("bgp prev as", r.prev_as);
        w.End();
    }
    if (r.Has(kExLatency)) {
        // TODO: labels not verified against 1.7.1 output (no corpus record has latency).
        w.Number("cli latency", r.client_nw_delay_us);
        w.End();
        w.Number("srv latency", r.server_nw_delay_us);
        w.End();
        w.Number("app latency", r.appl_latency_us);
        w.End();
    }
    if (r.Has(kExNselCommon)) {
        w.Number("connect ID", r.conn_id);
        w.End();
        w.Number("fw event", r.fw_event);
        Put(out, ": ");
        Put(out, FwEventName(r.fw_event));
        w.End();
        w.Number("fw ext event", r.fw_xevent);
        Put(out, ": ");
        std::string_view xname = FwXeventName(r.fw_xevent);
        if (xname.empty()) {
            PutUint(out, r.fw_xevent);
        } else {
            Put(out, xname);
        }
        w.End();
        w.Time("Event time", r.event_ms);
        w.End();
    }
    if (r.Has(kExNatXlateIpv4) || r.Has(kExNatXlateIpv6)) {
        bool xv6 = r.Has(kExNatXlateIpv6);
        w.Ip("src xlt ip", r.xlate_src, xv6);
        w.End();
        w.Ip("dst xlt ip", r.xlate_dst, xv6);
        w.End();
    }
    if (r.Has(kExNatXlatePort)) {
        w.Number("src xlt port", r.xlate_src_port);
        w.End();
        w.Number("dst xlt port", r.xlate_dst_port);
        w.End();
    }
    if (r.Has(kExNselAcl)) {
        for (int k = 0; k < 2; ++k) {
            char text[40];
            Put(out, k == 0 ? "  Ingress ACL  =       " : "  Egress ACL   =       ");
            Put(out, std::string_view(text, AclText(k == 0 ? r.ingress_acl : r.egress_acl, text)));
            w.End();
        }
    }
    if (r.Has(kExNselUser)) {
        Put(out, "  username     =       ");
        Put(out, Username(r));
        w.End();
    }
    if (r.Has(kExNatCommon)) {
        w.Number("nat event", r.nat_event);
        Put(out, ": ");
        Put(out, NatEventShortName(r.nat_event));
        w.End();
        w.Time("Event time", r.event_ms);
        w.End();
    }
    if (r.Has(kExNatPortBlock)) {
        // TODO: labels not verified against 1.7.1 output (no corpus record has port blocks).
        w.Number("pblock start", r.block_start);
        w.End();
        w.Number("pblock end", r.block_end);
        w.End();
        w.Number("pblock step", r.block_step);
        w.End();
        w.Number("pblock size", r.block_size);
        w.End();
    }
    if (r.Has(kExNbarApp)) {
        uint64_t selector = 0;
        for (size_t i = 1; i < r.nbar_len && i < sizeof(r.nbar_app); ++i) {
            selector = selector << 8 | r.nbar_app[i];
        }
        Put(out, "  app ID       =             ");
        PutUint(out, r.nbar_len ? r.nbar_app[0] : 0, 2);
        Put(out, "..");
        PutUint(out, selector);
        Put(out, ": ");
        std::string_view name;
        const NameLookup& names = ctx.options->names;
        if (names.nbar_name != nullptr && r.nbar_len != 0) {
            name = names.nbar_name(names.context, r.nbar_app, r.nbar_len);
        }
        Put(out, name.empty() ? "<no info>" : name);
        w.End();
    }
    if (r.Has(kExObservation)) {
        Put(out, "  obs domainID =         0x");
        PutHex(out, r.observation_domain, 5);
        w.End();
        Put(out, "  obs pointID  =      0x");
        PutHex(out, r.observation_point, 10);
        w.End();
    }
    if (r.Has(kExVrf)) {
        const OutputOptions& opts = *ctx.options;
        w.Number("ingress VRF", r.ingress_vrf);
        AppendName(out, opts.names.vrf_name, opts, r.exporter_sysid, r.ingress_vrf);
        w.End();
        w.Number("egress VRF", r.egress_vrf);
        AppendName(out, opts.names.vrf_name, opts, r.exporter_sysid, r.egress_vrf);
        w.End();
    }
    // Sampler info, layer 2, IP info, flow id, tunnels, payload: nfdump 1.7.1 prints
    // nothing for them in raw mode ("Unknown extension" on stderr for some).
}

// ---- summary ---------------------------------------------------------------------------

Averages ComputeAverages(const Summary& s) {
    Averages a;
    if (s.last_ms == 0 || s.first_ms == UINT64_MAX) return a;
    // nfdump: duration in double seconds; no averages when it is 0. A negative one (flows
    // stored with their end before their start) still gives bytes per packet; the rates
    // stay 0.
    double duration = (static_cast<double>(s.last_ms) - static_cast<double>(s.first_ms)) / 1000.0;
    if (duration == 0) return a;
    a.bpp = s.packets ? s.bytes / s.packets : 0;
    if (duration < 0) return a;
    a.bps = static_cast<uint64_t>(static_cast<double>(s.bytes << 3) / duration);
    a.pps = static_cast<uint64_t>(static_cast<double>(s.packets) / duration);
    return a;
}

}  // namespace flow::output::detail
