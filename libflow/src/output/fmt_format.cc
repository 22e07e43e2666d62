// SPDX-License-Identifier: BSD-2-Clause
// The fmt: output format of nfdump 1.7.1: token table (name, header text, value layout), the
// compiler that turns a format string into token operations, and the per-record writer.
// Value layouts follow what Debian's nfdump 1.7.1 prints (docs: spec/nfdump-cli.md 3.3-3.7).
#include <cctype>
#include <cstring>

#include "flow/format_util.h"
#include "output/formats.h"

namespace flow::output::detail {

namespace {

enum Token : uint16_t {
    kLiteral = 0,
    kTs,
    kTe,
    kTr,
    kTsr,
    kTer,
    kTrr,
    kTd,
    kTds,
    kPr,
    kSa,
    kDa,
    kSap,
    kDap,
    kSn,
    kDn,
    kSp,
    kDp,
    kIt,
    kIc,
    kNh,
    kNhb,
    kRa,
    kSas,
    kDas,
    kNas,
    kPas,
    kIn,
    kOut,
    kInam,
    kOnam,
    kPkt,
    kIpkt,
    kOpkt,
    kByt,
    kIbyt,
    kObyt,
    kFl,
    kFlg,
    kTos,
    kStos,
    kDtos,
    kDir,
    kSmk,
    kDmk,
    kFwd,
    kBfd,
    kEnd,
    kSvln,
    kDvln,
    kIsmc,
    kOdmc,
    kIdmc,
    kOsmc,
    kMpls,
    kMplsAll,
    kBps,
    kPps,
    kBpp,
    kEng,
    kExp,
    kNfv,
    kCnt,
    kLbl,
    kSc,
    kDc,
    kGsa,
    kGda,
    kGsap,
    kGdap,
    kSloc,
    kDloc,
    kNewline,
    kIpl,
    kOpl,
    kNbid,
    kNbnam,
    kJa3,
    kSni,
    kOdid,
    kOpid,
    kIvrf,
    kEvrf,
    kIvrfnam,
    kEvrfnam,
    kCl,
    kSl,
    kAl,
    kNfc,
    kTevt,
    kEvt,
    kXevt,
    kSgt,
    kMsec,
    kIacl,
    kEacl,
    kXsa,
    kXda,
    kXsp,
    kXdp,
    kXsap,
    kXdap,
    kUname,
    kPbstart,
    kPbend,
    kPbstep,
    kPbsize,
};

struct TokenDef {
    std::string_view name;    // without '%'
    std::string_view header;  // column header text
    Token token;
    uint8_t arg;
    bool wide_header;  // gets 23 more leading spaces with -6
};

// Matching tries the entries in this order; a name matches when the character after it is
// not a letter. NOTE: %mpls10 is listed before %mpls1 so that it works; nfdump 1.7.1 lists
// it after and parses "%mpls10" as "%mpls1" + "0" (spec 13.5).
constexpr TokenDef kTokens[] = {
    {"ts", "Date first seen        ", kTs, 0, false},
    {"tfs", "Date first seen        ", kTs, 0, false},
    {"te", "Date last seen         ", kTe, 0, false},
    {"tr", "Date flow received     ", kTr, 0, false},
    {"tsr", "Date first seen (raw)    ", kTsr, 0, false},
    {"ter", "Date last seen (raw)     ", kTer, 0, false},
    {"trr", "Date flow received (raw)  ", kTrr, 0, false},
    {"td", "    Duration    ", kTd, 0, false},
    {"tds", "    Duration    ", kTds, 0, false},
    {"pr", "Proto", kPr, 0, false},
    {"sa", "     Src IP Addr", kSa, 0, true},
    {"da", "     Dst IP Addr", kDa, 0, true},
    {"sap", "     Src IP Addr:Port ", kSap, 0, true},
    {"dap", "     Dst IP Addr:Port ", kDap, 0, true},
    {"sn", "        Src Network", kSn, 0, true},
    {"dn", "        Dst Network", kDn, 0, true},
    {"sp", "Src Pt", kSp, 0, false},
    {"dp", "Dst Pt", kDp, 0, false},
    {"it", "ICMP-T", kIt, 0, false},
    {"ic", "ICMP-C", kIc, 0, false},
    {"nh", "     Next-hop IP", kNh, 0, true},
    {"nhb", " BGP next-hop IP", kNhb, 0, true},
    {"ra", "       Router IP", kRa, 0, true},
    {"sas", "Src AS", kSas, 0, false},
    {"das", "Dst AS", kDas, 0, false},
    {"nas", "Next AS", kNas, 0, false},
    {"pas", "Prev AS", kPas, 0, false},
    {"in", " Input", kIn, 0, false},
    {"out", "Output", kOut, 0, false},
    {"inam", " Input interface name", kInam, 0, false},
    {"onam", "Output interface name", kOnam, 0, false},
    {"pkt", " Packets", kPkt, 0, false},
    {"ipkt", "  In Pkt", kIpkt, 0, false},
    {"opkt", " Out Pkt", kOpkt, 0, false},
    {"byt", "   Bytes", kByt, 0, false},
    {"ibyt", " In Byte", kIbyt, 0, false},
    {"obyt", "Out Byte", kObyt, 0, false},
    {"fl", "Flows", kFl, 0, false},
    {"flg", "   Flags", kFlg, 0, false},
    {"tos", "Tos", kTos, 0, false},
    {"stos", "STos", kStos, 0, false},
    {"dtos", "DTos", kDtos, 0, false},
    {"dir", "Dir", kDir, 0, false},
    {"smk", "SMask", kSmk, 0, false},
    {"dmk", "DMask", kDmk, 0, false},
    {"fwd", "Fwd", kFwd, 0, false},
    {"bfd", "Bfd", kBfd, 0, false},
    {"end", "End", kEnd, 0, false},
    {"svln", "SVlan", kSvln, 0, false},
    {"dvln", "DVlan", kDvln, 0, false},
    {"ismc", "  In src MAC Addr", kIsmc, 0, false},
    {"odmc", " Out dst MAC Addr", kOdmc, 0, false},
    {"idmc", "  In dst MAC Addr", kIdmc, 0, false},
    {"osmc", " Out src MAC Addr", kOsmc, 0, false},
    {"mpls10", " MPLS lbl 10", kMpls, 9, false},
    {"mpls1", " MPLS lbl 1 ", kMpls, 0, false},
    {"mpls2", " MPLS lbl 2 ", kMpls, 1, false},
    {"mpls3", " MPLS lbl 3 ", kMpls, 2, false},
    {"mpls4", " MPLS lbl 4 ", kMpls, 3, false},
    {"mpls5", " MPLS lbl 5 ", kMpls, 4, false},
    {"mpls6", " MPLS lbl 6 ", kMpls, 5, false},
    {"mpls7", " MPLS lbl 7 ", kMpls, 6, false},
    {"mpls8", " MPLS lbl 8 ", kMpls, 7, false},
    {"mpls9", " MPLS lbl 9 ", kMpls, 8, false},
    {"mpls",
     "                                               MPLS labels 1-10                        "
     "                                           ",
     kMplsAll, 0, false},
    {"bps", "     bps", kBps, 0, false},
    {"pps", "     pps", kPps, 0, false},
    {"bpp", "   Bpp", kBpp, 0, false},
    {"eng", " engine", kEng, 0, false},
    {"exp", "Exp ID", kExp, 0, false},
    {"nfv", "Ver", kNfv, 0, false},
    {"cnt", "Count", kCnt, 0, false},
    {"lbl", "           label", kLbl, 0, false},
    {"sc", "SC", kSc, 0, false},
    {"dc", "DC", kDc, 0, false},
    {"gsa", "     Src IP Addr(..)", kGsa, 0, true},
    {"gda", "     Dst IP Addr(..)", kGda, 0, true},
    {"gsap", "     Src IP Addr(..):Port ", kGsap, 0, true},
    {"gdap", "     Dst IP Addr(..):Port ", kGdap, 0, true},
    {"sloc", "Src IP location info", kSloc, 0, false},
    {"dloc", "Src IP location info", kDloc, 0, false},
    {"n", "", kNewline, 0, false},
    {"ipl", "", kIpl, 0, false},
    {"opl", "", kOpl, 0, false},
    {"nbid", "nbar ID", kNbid, 0, false},
    {"nbnam", "nbar name", kNbnam, 0, false},
    {"ja3", "                             ja3", kJa3, 0, false},
    {"sni", "sni name", kSni, 0, false},
    {"odid", "obsDomainID", kOdid, 0, false},
    {"opid", "  obsPointID", kOpid, 0, false},
    {"vrf", "  I-VRF-ID", kIvrf, 0, false},
    {"ivrf", "  I-VRF-ID", kIvrf, 0, false},
    {"evrf", "  E-VRF-ID", kEvrf, 0, false},
    {"ivrfnam", "  I-VRF-Name", kIvrfnam, 0, false},
    {"evrfnam", "  E-VRF-Name", kEvrfnam, 0, false},
    {"cl", "C Latency", kCl, 0, false},
    {"sl", "S latency", kSl, 0, false},
    {"al", "A latency", kAl, 0, false},
    {"nfc", "   Conn-ID", kNfc, 0, false},
    {"tevt", "Event time             ", kTevt, 0, false},
    {"evt", " Event", kEvt, 0, false},
    {"xevt", " XEvent", kXevt, 0, false},
    {"sgt", "  SGT  ", kSgt, 0, false},
    {"msec", "   Event Time", kMsec, 0, false},
    {"iacl", "Ingress ACL                     ", kIacl, 0, false},
    {"eacl", "Egress ACL                      ", kEacl, 0, false},
    {"xsa", "   X-late Src IP", kXsa, 0, false},
    {"xda", "   X-late Dst IP", kXda, 0, false},
    {"xsp", "XsPort", kXsp, 0, false},
    {"xdp", "XdPort", kXdp, 0, false},
    {"xsap", "   X-Src IP Addr:Port ", kXsap, 0, true},
    {"xdap", "   X-Dst IP Addr:Port ", kXdap, 0, true},
    {"uname", "UserName", kUname, 0, false},
    {"nevt", " Event", kEvt, 0, false},
    {"nsa", "   X-late Src IP", kXsa, 0, false},
    {"nda", "   X-late Dst IP", kXda, 0, false},
    {"nsp", "XsPort", kXsp, 0, false},
    {"ndp", "XdPort", kXdp, 0, false},
    {"nsap", "   X-Src IP Addr:Port ", kXsap, 0, true},
    {"ndap", "   X-Dst IP Addr:Port ", kXdap, 0, true},
    {"pbstart", "Pb-Start", kPbstart, 0, false},
    {"pbend", "Pb-End", kPbend, 0, false},
    {"pbstep", "Pb-Step", kPbstep, 0, false},
    {"pbsize", "Pb-Size", kPbsize, 0, false},
};

struct NamedFormat {
    std::string_view name;
    std::string_view text;
};

constexpr NamedFormat kPredefined[] = {
    {"line", "%ts %td %pr %sap -> %dap %pkt %byt %fl"},
    {"gline", "%ts %td %pr %gsap -> %gdap %pkt %byt %fl"},
    {"long", "%ts %td %pr %sap -> %dap %flg %tos %pkt %byt %fl"},
    {"glong", "%ts %td %pr %gsap -> %gdap %flg %tos %pkt %byt %fl"},
    {"extended", "%ts %td %pr %sap -> %dap %flg %tos %pkt %byt %pps %bps %bpp %fl"},
    {"biline", "%ts %td %pr %sap <-> %dap %opkt %ipkt %obyt %ibyt %fl"},
    {"bilong", "%ts %td %pr %sap <-> %dap %flg %tos %opkt %ipkt %obyt %ibyt %fl"},
    {"nsel", "%tevt %evt %xevt %pr %sap -> %dap %xsap -> %xdap %ibyt %obyt"},
    {"nel", "%tevt %nevt %pr %sap -> %dap %nsap -> %ndap"},
};

bool EqualsNoCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

// True when `text` at `pos` holds `name` and the character after it is not a letter.
bool NameAt(std::string_view text, size_t pos, std::string_view name) {
    if (text.compare(pos, name.size(), name) != 0) return false;
    size_t end = pos + name.size();
    return end >= text.size() || !std::isalpha(static_cast<unsigned char>(text[end]));
}

bool IsIcmp(const FlowRecord& rec) { return rec.proto == 1 || rec.proto == 58; }

// Which element decides the family of each address field.
bool NextHopV6(const FlowRecord& rec) { return rec.Has(kExIpNextHopV6); }
bool BgpNextHopV6(const FlowRecord& rec) { return rec.Has(kExBgpNextHopV6); }
bool RouterV6(const FlowRecord& rec) { return rec.Has(kExIpReceivedV6); }
bool XlateV6(const FlowRecord& rec) { return rec.Has(kExNatXlateIpv6); }

// The network of `addr` with `mask` bits, computed the way nfdump 1.7.1 does it on x86:
// the shift counts wrap (32 -> 0, 64 -> 0), so mask 0 leaves IPv4 addresses and the upper
// half of IPv6 addresses unmasked.
IpAddr MaskedAddr(const IpAddr& addr, uint8_t mask, bool v6) {
    if (!v6) {
        uint32_t m = 0xffffffffu << ((32u - mask) & 31u);
        return IpAddr::V4(addr.v4() & m);
    }
    if (mask > 64) {
        return IpAddr{addr.hi, addr.lo & (~0ull << ((128u - mask) & 63u))};
    }
    return IpAddr{addr.hi & (~0ull << ((64u - mask) & 63u)), 0};
}

// The longest of `user`'s names at `pos` of `text` (followed by no letter), or null.
const UserFormat* UserFormatAt(const UserFormats* user, std::string_view text, size_t pos) {
    const UserFormat* found = nullptr;
    if (user == nullptr) return found;
    for (const UserFormat& u : *user) {
        if (!u.name.empty() && NameAt(text, pos, u.name) &&
            (found == nullptr || u.name.size() > found->name.size())) {
            found = &u;
        }
    }
    return found;
}

// Appends `text` to `out` with every %<formatname> replaced by the format's definition,
// a user format's before a built-in one of the same name. Four levels deep at most: a name
// left unexpanded below that (a format naming itself) is then an unknown token.
void ExpandNames(std::string_view text, int depth, const UserFormats* user, std::string* out) {
    for (size_t i = 0; i < text.size();) {
        if (text[i] == '%' && depth < 4) {
            bool is_token = false;
            for (const TokenDef& t : kTokens) {
                if (NameAt(text, i + 1, t.name)) {
                    is_token = true;
                    break;
                }
            }
            std::string_view name;
            std::string_view definition;
            if (const UserFormat* u = is_token ? nullptr : UserFormatAt(user, text, i + 1)) {
                name = u->name;
                definition = u->text;
            } else {
                for (const NamedFormat& nf : kPredefined) {
                    if (!is_token && NameAt(text, i + 1, nf.name)) {
                        name = nf.name;
                        definition = nf.text;
                        break;
                    }
                }
            }
            if (!name.empty()) {
                ExpandNames(definition, depth + 1, user, out);
                i += 1 + name.size();
                continue;
            }
        }
        out->push_back(text[i++]);
    }
}

class LineWriter {
public:
    LineWriter(Buffer& out, const FlowRecord& rec, const RecordContext& ctx, bool long_v6)
        : out_(out), rec_(rec), ctx_(ctx), opts_(*ctx.options), long_v6_(long_v6) {}

    void Write(const FmtFormat::Op& op);

private:
    void Addr(const IpAddr& addr, bool v6) {
        if (opts_.tag_addresses) PutChar(out_, '\x01');
        char text[kTextSize];
        size_t n = long_v6_ ? FormatIp(addr, v6, text) : FormatIpShort(addr, v6, text);
        PutRight(out_, std::string_view(text, n), long_v6_ ? 39 : 16);
    }
    void Port(char sep, uint16_t port) {
        PutChar(out_, sep);
        PutUint(out_, port, 5, true);
    }
    void IcmpText(size_t width, bool left) {
        char text[16];
        size_t n = UintText(rec_.dst_port >> 8, text);
        text[n++] = '.';
        n += UintText(rec_.dst_port & 0xff, text + n);
        if (left) {
            PutLeft(out_, std::string_view(text, n), width);
        } else {
            PutRight(out_, std::string_view(text, n), width);
        }
    }
    void DstPortInAddr() {
        PutChar(out_, rec_.IsV6() ? '.' : ':');
        if (IsIcmp(rec_)) {
            IcmpText(5, true);
        } else {
            PutUint(out_, rec_.dst_port, 5, true);
        }
    }
    void Counter(uint64_t v) {
        char text[kTextSize];
        size_t n = FormatCounter(v, opts_.plain_numbers, true, text);
        PutRight(out_, std::string_view(text, n), 8);
    }
    void Time(uint64_t ms) {
        char text[kTextSize];
        size_t n = FormatLocalTime(ms, true, ' ', text);
        Put(out_, std::string_view(text, n));
    }
    // "%*.3f" of value / 1000.0.
    void Fixed3(uint64_t value, size_t width) {
        char text[kTextSize];
        PutRight(out_, std::string_view(text, FormatThousandths(value, text)), width);
    }
    void Mpls(uint32_t v) {
        PutUint(out_, v >> 4, 8);
        PutChar(out_, '-');
        PutUint(out_, (v >> 1) & 7);
        PutChar(out_, '-');
        PutUint(out_, v & 1);
    }
    void Mac(uint64_t mac) {
        char text[kTextSize];
        Put(out_, std::string_view(text, FormatMac(mac, text)));
    }
    // Duration in ms, unsigned: last before first wraps, as in nfdump.
    uint64_t DurationMs() const { return rec_.last_ms - rec_.first_ms; }
    // Duration in seconds as a double, from the unsigned (possibly wrapped) difference.
    double DurationSeconds() const {
        return static_cast<double>(rec_.last_ms - rec_.first_ms) / 1000.0;
    }
    void Name(NameStatus (*fn)(void*, uint16_t, uint32_t, std::string_view*), uint32_t id) {
        AppendName(out_, fn, opts_, rec_.exporter_sysid, id);
    }

    Buffer& out_;
    const FlowRecord& rec_;
    const RecordContext& ctx_;
    const OutputOptions& opts_;
    bool long_v6_;
};

void LineWriter::Write(const FmtFormat::Op& op) {
    const FlowRecord& r = rec_;
    switch (static_cast<Token>(op.token)) {
        case kLiteral:
            break;
        case kTs:
            Time(r.first_ms);
            break;
        case kTe:
            Time(r.last_ms);
            break;
        case kTr:
            Time(r.received_ms);
            break;
        case kTsr:
            PutMillisAsSeconds(out_, r.first_ms);
            break;
        case kTer:
            // NOTE: 1.7.1 prints the milliseconds modulo 100 here (spec 13.4); we print them.
            PutMillisAsSeconds(out_, r.last_ms);
            break;
        case kTrr:
            PutMillisAsSeconds(out_, r.received_ms);
            break;
        case kTd:
            if (opts_.plain_numbers) {
                Fixed3(DurationMs(), 16);
            } else {
                char text[kTextSize];
                Put(out_, std::string_view(text, FormatDuration(r.last_ms - r.first_ms, text)));
            }
            break;
        case kTds:
            Fixed3(DurationMs(), 16);
            break;
        case kPr:
            if (opts_.plain_numbers) {
                PutUint(out_, r.proto, 5, true);
            } else {
                PutLeft(out_, ProtoName(r.proto), 5);
            }
            break;
        case kSa:
            Addr(r.src_addr, r.IsV6());
            break;
        case kDa:
            Addr(r.dst_addr, r.IsV6());
            break;
        case kSap:
            Addr(r.src_addr, r.IsV6());
            Port(r.IsV6() ? '.' : ':', r.src_port);
            break;
        case kDap:
            Addr(r.dst_addr, r.IsV6());
            DstPortInAddr();
            break;
        case kSn:
            Addr(MaskedAddr(r.src_addr, r.src_mask, r.IsV6()), r.IsV6());
            PutChar(out_, '/');
            PutUint(out_, r.src_mask, 2, true);
            break;
        case kDn:
            Addr(MaskedAddr(r.dst_addr, r.dst_mask, r.IsV6()), r.IsV6());
            PutChar(out_, '/');
            PutUint(out_, r.dst_mask, 2, true);
            break;
        case kSp:
            PutUint(out_, r.src_port, 6);
            break;
        case kDp:
            if (IsIcmp(r)) {
                IcmpText(6, false);
            } else {
                PutUint(out_, r.dst_port, 6);
            }
            break;
        case kIt:
            PutUint(out_, IsIcmp(r) ? r.dst_port >> 8 : 0, 6);
            break;
        case kIc:
            PutUint(out_, IsIcmp(r) ? r.dst_port & 0xff : 0, 6);
            break;
        case kNh:
            Addr(r.ip_next_hop, NextHopV6(r));
            break;
        case kNhb:
            Addr(r.bgp_next_hop, BgpNextHopV6(r));
            break;
        case kRa:
            Addr(r.received_from, RouterV6(r));
            break;
        case kSas:
            PutUint(out_, r.src_as, 6);
            break;
        case kDas:
            PutUint(out_, r.dst_as, 6);
            break;
        case kNas:
            PutChar(out_, ' ');
            PutUint(out_, r.next_as, 6);
            break;
        case kPas:
            PutChar(out_, ' ');
            PutUint(out_, r.prev_as, 6);
            break;
        case kIn:
            PutUint(out_, r.input, 6);
            break;
        case kOut:
            PutUint(out_, r.output, 6);
            break;
        case kInam:
            Name(opts_.names.interface_name, r.input);
            break;
        case kOnam:
            Name(opts_.names.interface_name, r.output);
            break;
        case kPkt:
        case kIpkt:
            Counter(r.packets);
            break;
        case kOpkt:
            Counter(r.out_packets);
            break;
        case kByt:
        case kIbyt:
            Counter(r.bytes);
            break;
        case kObyt:
            Counter(r.out_bytes);
            break;
        case kFl:
            PutUint(out_, r.flows, 5);
            break;
        case kFlg: {
            char text[8];
            if (r.proto == 6) {
                FormatTcpFlags(r.tcp_flags, text);
            } else {
                std::memset(text, '.', sizeof(text));
            }
            Put(out_, std::string_view(text, sizeof(text)));
            break;
        }
        case kTos:
            PutUint(out_, r.src_tos, 3);
            break;
        case kStos:
            PutUint(out_, r.src_tos, 4);
            break;
        case kDtos:
            PutUint(out_, r.dst_tos, 4);
            break;
        case kDir:
            Put(out_, r.dir ? "  E" : "  I");
            break;
        case kSmk:
            PutUint(out_, r.src_mask, 5);
            break;
        case kDmk:
            PutUint(out_, r.dst_mask, 5);
            break;
        case kFwd:
            PutUint(out_, r.fwd_status, 3);
            break;
        case kBfd:
            PutUint(out_, r.biflow_dir, 3);
            break;
        case kEnd:
            PutUint(out_, r.end_reason, 3);
            break;
        case kSvln:
            PutUint(out_, static_cast<uint16_t>(r.src_vlan), 5);
            break;
        case kDvln:
            PutUint(out_, static_cast<uint16_t>(r.dst_vlan), 5);
            break;
        case kIsmc:
            Mac(r.in_src_mac);
            break;
        case kOdmc:
            Mac(r.out_dst_mac);
            break;
        case kIdmc:
            Mac(r.in_dst_mac);
            break;
        case kOsmc:
            Mac(r.out_src_mac);
            break;
        case kMpls:
            Mpls(r.mpls[op.arg]);
            break;
        case kMplsAll:
            for (uint32_t label : r.mpls) {
                Mpls(label);
                PutChar(out_, ' ');
            }
            break;
        case kBps:
        case kPps: {
            double duration = DurationSeconds();
            uint64_t v = 0;
            if (duration != 0) {
                double num = op.token == kBps ? 8.0 * static_cast<double>(r.bytes)
                                              : static_cast<double>(r.packets);
                v = static_cast<uint64_t>(num / duration);
            }
            Counter(v);
            break;
        }
        case kBpp:
            PutUint(out_, r.packets ? r.bytes / r.packets : 0, 6);
            break;
        case kEng:
            PutUint(out_, r.engine_type, 3);
            PutChar(out_, '/');
            PutUint(out_, r.engine_id, 3, true);
            break;
        case kExp:
            PutUint(out_, r.exporter_sysid, 6);
            break;
        case kNfv:
            if (r.flags & kFlagEvent) {
                Put(out_, "EVT");
                PutUint(out_, r.nfversion);
            } else if (r.nfversion == 0) {
                Put(out_, "FLO");
            } else if (r.nfversion & 0x80) {
                Put(out_, "Sv");
                PutUint(out_, r.nfversion & 0x0f);
            } else if (r.nfversion & 0x40) {
                Put(out_, "Pv");
                PutUint(out_, r.nfversion & 0x0f);
            } else {
                Put(out_, "Nv");
                PutUint(out_, r.nfversion);
            }
            break;
        case kCnt:
            PutUint(out_, ctx_.count, 5);
            break;
        case kLbl:
            PutRight(out_, ctx_.label.empty() ? "<none>" : ctx_.label, 16);
            break;
        case kSc:
        case kDc:
            // TODO: no geo DB support; nfdump without one prints "..", as here.
            Put(out_, "..");
            break;
        case kGsa:
            Addr(r.src_addr, r.IsV6());
            Put(out_, "(..)");
            break;
        case kGda:
            Addr(r.dst_addr, r.IsV6());
            Put(out_, "(..)");
            break;
        case kGsap:
            Addr(r.src_addr, r.IsV6());
            Put(out_, "(..)");
            Port(r.IsV6() ? '.' : ':', r.src_port);
            break;
        case kGdap:
            Addr(r.dst_addr, r.IsV6());
            Put(out_, "(..)");
            DstPortInAddr();
            break;
        case kSloc:
        case kDloc:
            // TODO: no geo DB support; without one nfdump prints nothing, as here.
            break;
        case kNewline:
            PutChar(out_, '\n');
            break;
        case kIpl:
        case kOpl:
            // TODO: FlowRecord carries no payload (EXinPayload/EXoutPayload), so nothing is
            // printed; nfdump prints the payload text or a hex dump.
            break;
        case kNbid: {
            uint64_t selector = 0;
            for (size_t i = 1; i < r.nbar_len && i < sizeof(r.nbar_app); ++i) {
                selector = selector << 8 | r.nbar_app[i];
            }
            PutUint(out_, r.nbar_len ? r.nbar_app[0] : 0, 2);
            Put(out_, "..");
            PutUint(out_, selector);
            break;
        }
        case kNbnam: {
            std::string_view name;
            if (opts_.names.nbar_name != nullptr && r.nbar_len != 0) {
                name = opts_.names.nbar_name(opts_.names.context, r.nbar_app, r.nbar_len);
            }
            Put(out_, name.empty() ? "<no info>" : name);
            break;
        }
        case kJa3:
            // TODO: FlowRecord has no JA3 hash (needs the payload); blanks as for none.
            PutSpaces(out_, 32);
            break;
        case kSni:
            // TODO: FlowRecord has no TLS SNI (needs the payload); "%6s" of nothing.
            PutSpaces(out_, 6);
            break;
        case kOdid:
            Put(out_, "0x");
            PutHex(out_, r.observation_domain, 9);
            break;
        case kOpid:
            Put(out_, "0x");
            PutHex(out_, r.observation_point, 10);
            break;
        case kIvrf:
            PutUint(out_, r.ingress_vrf, 10);
            break;
        case kEvrf:
            PutUint(out_, r.egress_vrf, 10);
            break;
        case kIvrfnam:
            Name(opts_.names.vrf_name, r.ingress_vrf);
            break;
        case kEvrfnam:
            Name(opts_.names.vrf_name, r.egress_vrf);
            break;
        case kCl:
            Fixed3(r.client_nw_delay_us, 9);
            break;
        case kSl:
            Fixed3(r.server_nw_delay_us, 9);
            break;
        case kAl:
            Fixed3(r.appl_latency_us, 9);
            break;
        case kNfc:
            PutUint(out_, r.conn_id, 10);
            break;
        case kTevt:
            Time(r.event_ms);
            break;
        case kEvt: {
            static constexpr std::string_view kFw[] = {"IGNORE", "CREATE", "DELETE",
                                                       "DENIED", "ALERT",  "UPDATE"};
            static constexpr std::string_view kNat[] = {"INVALID", "ADD", "DELETE"};
            // A record holding both a firewall and a NAT event (a NAT record of nfcapd 1.6
            // carries both extensions) shows the NAT event, as nfdump 1.7.1 does.
            std::string_view name = "UNKNOW";
            if (r.Has(kExNselCommon) && !r.Has(kExNatCommon)) {
                if (r.fw_event < 6) name = kFw[r.fw_event];
            } else if (r.nat_event < 3) {
                name = kNat[r.nat_event];
            }
            PutRight(out_, name, 7);
            break;
        }
        case kXevt:
            switch (r.fw_xevent) {
                case 0:
                    Put(out_, " Ignore");
                    break;
                case 1001:
                    Put(out_, "  I-ACL");
                    break;
                case 1002:
                    Put(out_, "  E-ACL");
                    break;
                case 1003:
                    Put(out_, "   Adap");
                    break;
                case 1004:
                    Put(out_, " No Syn");
                    break;
                default:
                    PutUint(out_, r.fw_xevent, 7);
            }
            break;
        case kSgt:
            // TODO: FlowRecord has no security group tag; nfdump prints 0 without one.
            PutUint(out_, 0, 5);
            break;
        case kMsec:
            PutUint(out_, r.event_ms, 13);
            break;
        case kIacl:
            for (int i = 0; i < 3; ++i) {
                if (i) PutChar(out_, ' ');
                Put(out_, "0x");
                size_t start = out_.size();
                PutHex(out_, r.ingress_acl[i]);
                size_t n = out_.size() - start;
                if (n < 8) PutSpaces(out_, 8 - n);
            }
            break;
        case kEacl:
            for (int i = 0; i < 3; ++i) {
                if (i) PutChar(out_, ' ');
                PutUint(out_, r.egress_acl[i], 10);
            }
            break;
        case kXsa:
            Addr(r.xlate_src, XlateV6(r));
            break;
        case kXda:
            Addr(r.xlate_dst, XlateV6(r));
            break;
        case kXsp:
            PutUint(out_, r.xlate_src_port, 6);
            break;
        case kXdp:
            PutUint(out_, r.xlate_dst_port, 6);
            break;
        case kXsap:
            Addr(r.xlate_src, XlateV6(r));
            Port(XlateV6(r) ? '.' : ':', r.xlate_src_port);
            break;
        case kXdap:
            Addr(r.xlate_dst, XlateV6(r));
            Port(XlateV6(r) ? '.' : ':', r.xlate_dst_port);
            break;
        case kUname:
            Put(out_, r.username[0]
                          ? std::string_view(r.username, strnlen(r.username, sizeof(r.username)))
                          : std::string_view("<empty>"));
            break;
        case kPbstart:
            PutUint(out_, r.block_start, 7);
            break;
        case kPbend:
            PutUint(out_, r.block_end, 7);
            break;
        case kPbstep:
            PutUint(out_, r.block_step, 7);
            break;
        case kPbsize:
            PutUint(out_, r.block_size, 7);
            break;
    }
}

}  // namespace

std::string_view PredefinedFormat(std::string_view name) {
    for (const NamedFormat& f : kPredefined) {
        if (EqualsNoCase(name, f.name)) return f.text;
    }
    return {};
}

Result<FmtFormat> FmtFormat::Compile(std::string_view text, bool long_v6,
                                     const UserFormats* user) {
    FmtFormat f;
    f.long_v6_ = long_v6;

    // %<formatname> is replaced by that format's text first, as nfdump substitutes them
    // textually. A name is only expanded where no token matches, so "%n" stays a token.
    std::string source;
    ExpandNames(text, 0, user, &source);
    // Formats naming each other several times over grow fast (eight names a level are 4096
    // copies at the fourth); no line needs that much.
    constexpr size_t kMaxExpanded = size_t{64} << 10;
    if (source.size() > kMaxExpanded) {
        return Status::InvalidArgument("Output format too long after expanding its %names (" +
                                       std::to_string(source.size()) + " bytes)");
    }

    std::string_view s = source;
    size_t i = 0;
    while (i < s.size()) {
        if (s[i] != '%') {
            size_t end = s.find('%', i);
            if (end == std::string_view::npos) end = s.size();
            Op op;
            op.token = kLiteral;
            op.lit_off = static_cast<uint32_t>(f.literals_.size());
            op.lit_len = static_cast<uint32_t>(end - i);
            f.literals_.append(s.substr(i, end - i));
            f.ops_.push_back(op);
            f.header_.append(end - i, ' ');
            i = end;
            continue;
        }
        const TokenDef* hit = nullptr;
        for (const TokenDef& t : kTokens) {
            if (NameAt(s, i + 1, t.name)) {
                hit = &t;
                break;
            }
        }
        if (hit == nullptr) {
            return Status::InvalidArgument("Output format parse error at: " +
                                           std::string(s.substr(i)));
        }
        Op op;
        op.token = hit->token;
        op.arg = hit->arg;
        f.ops_.push_back(op);
        if (long_v6 && hit->wide_header) f.header_.append(23, ' ');
        f.header_.append(hit->header);
        i += 1 + hit->name.size();
    }
    return f;
}

bool FmtFormat::uses_count() const {
    for (const Op& op : ops_) {
        if (op.token == kCnt) return true;
    }
    return false;
}

void FmtFormat::Append(Buffer& out, const FlowRecord& rec, const RecordContext& ctx) const {
    LineWriter w(out, rec, ctx, long_v6_);
    for (const Op& op : ops_) {
        if (op.token == kLiteral) {
            Put(out, std::string_view(literals_.data() + op.lit_off, op.lit_len));
        } else {
            w.Write(op);
        }
    }
    PutChar(out, '\n');
}

}  // namespace flow::output::detail
