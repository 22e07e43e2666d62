// SPDX-License-Identifier: BSD-2-Clause
// sFlow version 5 (sflow.org "sFlow Version 5", July 2004; XDR encoding, RFC 4506) into
// FlowRecords the way sfcapd 1.7.1 stores them (spec nffile-format §3.7): every flow sample is
// one record, time-stamped when it is received, its packets set to the sampling rate and its
// bytes to rate × frame length. Addresses, ports and flags come from the sampled packet
// header (§5.2 sampled_header) or the sampled_ipv4/ipv6 records; VLANs, next hops, masks and
// AS numbers from the extended switch/router/gateway records. Counter samples are counted.
// sFlow versions 2 and 4 (RFC 3176) carry the same information without length fields: their
// samples and records are read field by field (DecodeSamplesV2V4 below), into the same records.
#include "wire/sflow.h"

#include <iterator>
#include <string>

namespace flow::wire::detail {

namespace {

//  Datagram (§5.3 sample_datagram_v5)       flow_sample (§5.2)         flow_sample_expanded
//  +0  version            u32 (5)           sequence       u32         sequence        u32
//  +4  agent address type u32 (1 v4, 2 v6)  source id      u32         source id type  u32
//  +8  agent address      4 or 16 bytes     sampling rate  u32         source id index u32
//      sub-agent id       u32               sample pool    u32         sampling rate   u32
//      sequence number    u32               drops          u32         sample pool     u32
//      uptime             u32 ms            input          u32 (2+30)  drops           u32
//      number of samples  u32               output         u32 (2+30)  input format    u32
//      samples: { format u32 (enterprise    record count   u32         input value     u32
//                 << 12 | format),          records: { format u32,     output format   u32
//                 length u32, data }                   length u32,     output value    u32
//                                                      data }          record count, records
constexpr uint32_t kAddressIpv4 = 1;
constexpr uint32_t kAddressIpv6 = 2;

// Sample formats (enterprise 0).
constexpr uint32_t kFlowSample = 1;
constexpr uint32_t kCounterSample = 2;
constexpr uint32_t kFlowSampleExpanded = 3;
constexpr uint32_t kCounterSampleExpanded = 4;

// Flow record formats (enterprise 0), §5.2 and the extensions in the same document.
constexpr uint32_t kRecordHeader = 1;         // sampled_header
constexpr uint32_t kRecordEthernet = 2;       // sampled_ethernet
constexpr uint32_t kRecordIpv4 = 3;           // sampled_ipv4
constexpr uint32_t kRecordIpv6 = 4;           // sampled_ipv6
constexpr uint32_t kRecordExtSwitch = 1001;   // extended_switch
constexpr uint32_t kRecordExtRouter = 1002;   // extended_router
constexpr uint32_t kRecordExtGateway = 1003;  // extended_gateway

// sFlow v2/v4 (RFC 3176): a flow sample's packet_data tag, its extended data tags, and the
// counter block versions of a counters sample with the bytes each takes (the generic
// interface counters are 88 bytes; Ethernet, Token Ring and 100BaseVG add their own after
// them; a VLAN block is 28 bytes on its own).
constexpr uint32_t kV4PacketHeader = 1;
constexpr uint32_t kV4PacketIpv4 = 2;
constexpr uint32_t kV4PacketIpv6 = 3;
constexpr uint32_t kV4ExtSwitch = 1;
constexpr uint32_t kV4ExtRouter = 2;
constexpr uint32_t kV4ExtGateway = 3;
constexpr uint32_t kV4ExtUser = 4;
constexpr uint32_t kV4ExtUrl = 5;
constexpr size_t kV4SampledIpv4Bytes = 32;
constexpr size_t kV4SampledIpv6Bytes = 56;
constexpr size_t kV4CounterBytes[] = {0, 88, 88 + 52, 88 + 72, 88, 88 + 80, 88, 28};

// sampled_header protocols (§5.2 header_protocol).
constexpr uint32_t kHeaderEthernet = 1;
constexpr uint32_t kHeaderIpv4 = 11;
constexpr uint32_t kHeaderIpv6 = 12;
// The last protocol the sFlow v5 specification names (IEEE 802.11 A-MSDU subframe); values
// outside 1..17 mean a damaged or unknown sample, which sfcapd 1.7.1 does not store either.
constexpr uint32_t kHeaderLastKnown = 17;

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr uint16_t kEther8021Q = 0x8100;
constexpr uint16_t kEther8021AD = 0x88a8;
constexpr uint16_t kEtherQinQOld = 0x9100;
constexpr uint16_t kEtherMplsUnicast = 0x8847;
constexpr uint16_t kEtherMplsMulticast = 0x8848;
constexpr uint16_t kEtherMaxLength = 1500;  // type fields up to here are 802.3 lengths

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIcmpv6 = 58;

// A sampled frame may carry at most this many VLAN tags or IPv6 extension headers before we
// stop looking; real traffic has two tags and a handful of extension headers at most.
constexpr int kMaxVlanTags = 8;
constexpr int kMaxIpv6Extensions = 8;

// Agents whose sequence numbers one exporter (UDP source + sub-agent id) tracks.
constexpr size_t kMaxSflowAgentsPerExporter = 64;

// What one flow sample says about its packet, filled record by record in wire order; a later
// record overwrites what an earlier one set, as sfcapd does.
struct Sample {
    uint32_t rate = 0;
    uint32_t input = 0;
    uint32_t output = 0;
    uint32_t frame_length = 0;  // bytes of the sampled packet (header record frame_length)

    uint8_t family = 0;  // 0 (no IP decoded), 4 or 6
    IpAddr src;
    IpAddr dst;
    uint8_t proto = 0;
    uint8_t tos = 0;
    uint8_t tcp_flags = 0;
    uint16_t src_port = 0;
    uint16_t dst_port = 0;

    uint64_t src_mac = 0;
    uint64_t dst_mac = 0;
    uint32_t mpls[10] = {};  // label << 4 | exp << 1 | bottom of stack, outermost first
    uint8_t mpls_count = 0;
    uint32_t in_vlan = 0;
    uint32_t out_vlan = 0;

    uint8_t next_hop_family = 0;  // from extended_router
    IpAddr next_hop;
    uint8_t src_mask = 0;
    uint8_t dst_mask = 0;
    uint8_t bgp_next_hop_family = 0;  // from extended_gateway
    IpAddr bgp_next_hop;
    uint32_t src_as = 0;
    uint32_t dst_as = 0;
};

uint64_t Mac(const uint8_t* p) { return LoadBigEndian(p, 6); }

// An sFlow `address` (§5.1): type u32, then 4 or 16 bytes. Type 0 ("unknown") has no bytes.
bool ReadAddress(ByteReader* r, uint8_t* family, IpAddr* addr) {
    uint32_t type = 0;
    if (!r->U32(&type)) return false;
    if (type == kAddressIpv4) {
        uint32_t v4 = 0;
        if (!r->U32(&v4)) return false;
        *family = 4;
        *addr = IpAddr::V4(v4);
        return true;
    }
    if (type == kAddressIpv6) {
        if (!r->Ipv6(&addr->hi, &addr->lo)) return false;
        *family = 6;
        return true;
    }
    *family = 0;
    *addr = IpAddr{};
    return type == 0;
}

// Ports, TCP flags or ICMP type/code of the transport header at `r`. Headers are cut off at
// the agent's header length, so whatever is missing simply stays 0.
void DecodeTransport(uint8_t proto, ByteReader r, Sample* s) {
    if (proto == kProtoTcp || proto == kProtoUdp) {
        uint16_t sport = 0, dport = 0;
        if (!r.U16(&sport) || !r.U16(&dport)) return;
        s->src_port = sport;
        s->dst_port = dport;
        uint8_t flags = 0;
        // TCP flags are byte 13 of the TCP header (RFC 9293 §3.1).
        if (proto == kProtoTcp && r.Skip(9) && r.U8(&flags)) s->tcp_flags = flags;
        return;
    }
    if (proto == kProtoIcmp || proto == kProtoIcmpv6) {
        uint8_t type = 0, code = 0;
        if (!r.U8(&type) || !r.U8(&code)) return;
        // NOTE: sfcapd 1.7.1 puts the ICMP type into the source port and the code into the
        // destination port (ICMPv6: neither), so nfdump shows "0.0"; we store type << 8 | code
        // in the destination port, as nfdump does for NetFlow and as its icmp-type filter
        // expects.
        s->src_port = 0;
        s->dst_port = static_cast<uint16_t>(type << 8 | code);
    }
}

// RFC 791 header at `r`.
void DecodeIpv4(ByteReader r, Sample* s) {
    uint8_t version_ihl = 0, tos = 0, ttl = 0, proto = 0;
    uint16_t total_length = 0, id = 0, fragment = 0, checksum = 0;
    uint32_t src = 0, dst = 0;
    if (!(r.U8(&version_ihl) && r.U8(&tos) && r.U16(&total_length) && r.U16(&id) &&
          r.U16(&fragment) && r.U8(&ttl) && r.U8(&proto) && r.U16(&checksum) && r.U32(&src) &&
          r.U32(&dst))) {
        return;
    }
    const size_t header_length = size_t{version_ihl & 0x0fu} * 4;
    if ((version_ihl >> 4) != 4 || header_length < 20) return;

    s->family = 4;
    s->src = IpAddr::V4(src);
    s->dst = IpAddr::V4(dst);
    s->proto = proto;
    s->tos = tos;
    s->src_port = s->dst_port = 0;
    s->tcp_flags = 0;
    // Only the first fragment carries the transport header.
    if ((fragment & 0x1fff) != 0) return;
    if (!r.Skip(header_length - 20)) return;
    // TODO: IP-in-IP, GRE and VXLAN payloads are stored as the outer packet, as sfcapd 1.7.1
    // does; the inner addresses (EXtunIPv4/6 in later nfdump) are not decoded.
    DecodeTransport(proto, r, s);
}

// RFC 8200 header at `r`, skipping hop-by-hop, routing, fragment, AH and destination options
// extension headers to reach the transport header.
void DecodeIpv6(ByteReader r, Sample* s) {
    uint32_t first_word = 0;
    uint16_t payload_length = 0;
    uint8_t next = 0, hop_limit = 0;
    IpAddr src, dst;
    if (!(r.U32(&first_word) && r.U16(&payload_length) && r.U8(&next) && r.U8(&hop_limit) &&
          r.Ipv6(&src.hi, &src.lo) && r.Ipv6(&dst.hi, &dst.lo))) {
        return;
    }
    if ((first_word >> 28) != 6) return;

    s->family = 6;
    s->src = src;
    s->dst = dst;
    s->tos = static_cast<uint8_t>(first_word >> 20);  // traffic class
    s->src_port = s->dst_port = 0;
    s->tcp_flags = 0;
    for (int i = 0; i < kMaxIpv6Extensions; ++i) {
        if (next != 0 && next != 43 && next != 44 && next != 51 && next != 60) break;
        uint8_t following = 0, length = 0;
        ByteReader peek = r;
        if (!peek.U8(&following) || !peek.U8(&length)) break;
        size_t skip = next == 51 ? (size_t{length} + 2) * 4 : (size_t{length} + 1) * 8;
        if (next == 44) {
            // Fragment header (RFC 8200 §4.5): fixed 8 bytes; a non-first fragment has no
            // transport header.
            uint16_t offset = 0;
            skip = 8;
            if (!peek.U16(&offset)) break;
            if ((offset >> 3) != 0) {
                s->proto = following;
                return;
            }
        }
        next = following;
        if (!r.Skip(skip)) {
            s->proto = next;
            return;
        }
    }
    s->proto = next;
    DecodeTransport(next, r, s);
}

// An MPLS label stack (RFC 3032 §2.1: label 20 bits, TC 3, bottom of stack 1, TTL 8) and the
// IPv4 or IPv6 packet under it, told apart by its version nibble as RFC 3032 leaves the
// payload type to the label.
void DecodeMpls(ByteReader r, Sample* s) {
    s->mpls_count = 0;
    while (true) {
        uint32_t entry = 0;
        if (!r.U32(&entry)) return;
        if (s->mpls_count < std::size(s->mpls)) s->mpls[s->mpls_count++] = entry >> 8;
        if ((entry & 0x100u) != 0) break;
    }
    uint8_t version = 0;
    if (!ByteReader(r).U8(&version)) return;
    if ((version >> 4) == 4) DecodeIpv4(r, s);
    if ((version >> 4) == 6) DecodeIpv6(r, s);
}

// An Ethernet II / 802.3 frame at `r`: MACs, VLAN tags (the last tag wins, as with sfcapd's
// QinQ handling), then IPv4 or IPv6.
void DecodeEthernet(ByteReader r, Sample* s) {
    const uint8_t* macs = nullptr;
    uint16_t type = 0;
    if (!r.Bytes(12, &macs) || !r.U16(&type)) return;
    s->dst_mac = Mac(macs);
    s->src_mac = Mac(macs + 6);
    for (int i = 0; i < kMaxVlanTags; ++i) {
        if (type != kEther8021Q && type != kEther8021AD && type != kEtherQinQOld) break;
        uint16_t tci = 0;
        if (!r.U16(&tci) || !r.U16(&type)) return;
        s->in_vlan = tci & 0x0fffu;
    }
    if (type == kEtherMplsUnicast || type == kEtherMplsMulticast) {
        DecodeMpls(r, s);
        return;
    }
    if (type <= kEtherMaxLength) {
        // 802.3 with 802.2 LLC: only SNAP (AA AA 03, OUI, type) leads to IP.
        const uint8_t* llc = nullptr;
        if (!r.Bytes(6, &llc) || llc[0] != 0xaa || llc[1] != 0xaa || llc[2] != 0x03) return;
        if (!r.U16(&type)) return;
    }
    if (type == kEtherIpv4) DecodeIpv4(r, s);
    if (type == kEtherIpv6) DecodeIpv6(r, s);
}

// Each Read* below reads one flow record from `r` and returns false when `r` is shorter than
// its layout (the sample is then dropped). In version 5 `r` holds exactly the record; in
// versions 2 and 4, which have no record lengths, it is the rest of the datagram and the
// record is consumed from it.

// XDR opaque data of `length` bytes are padded to a multiple of 4.
size_t Padded(uint32_t length) { return (size_t{length} + 3) & ~size_t{3}; }

// An XDR string (length u32, bytes, padding): skipped.
bool SkipString(ByteReader* r) {
    uint32_t length = 0;
    return r->U32(&length) && r->Skip(Padded(length));
}

bool ReadHeaderRecord(ByteReader* r, uint32_t version, Sample* s) {
    // Version 5 added the count of bytes stripped from the frame before sampling.
    uint32_t protocol = 0, frame_length = 0, stripped = 0, header_length = 0;
    if (!(r->U32(&protocol) && r->U32(&frame_length) && (version < 5 || r->U32(&stripped)) &&
          r->U32(&header_length))) {
        return false;
    }
    if (protocol == 0 || protocol > kHeaderLastKnown) return false;
    ByteReader header;
    if (!r->Sub(header_length, &header)) return false;
    if (version < 5 && !r->Skip(Padded(header_length) - header_length)) return false;
    s->frame_length = frame_length;
    if (protocol == kHeaderEthernet) DecodeEthernet(header, s);
    if (protocol == kHeaderIpv4) DecodeIpv4(header, s);
    if (protocol == kHeaderIpv6) DecodeIpv6(header, s);
    // TODO: 802.11, PPP, MPLS and the other header protocols of §5.2 are not decoded: such a
    // sample is stored with its interfaces and counters but without addresses.
    return true;
}

bool ReadEthernetRecord(ByteReader* r, Sample* s) {
    // length u32, src mac, dst mac (XDR opaque[6], padded to 8 bytes each), type u32.
    uint32_t length = 0, type = 0;
    const uint8_t* src = nullptr;
    const uint8_t* dst = nullptr;
    if (!(r->U32(&length) && r->Bytes(8, &src) && r->Bytes(8, &dst) && r->U32(&type))) {
        return false;
    }
    s->src_mac = Mac(src);
    s->dst_mac = Mac(dst);
    return true;
}

bool ReadIpRecord(ByteReader* r, bool v6, Sample* s) {
    // length, protocol, src, dst, src_port, dst_port, tcp_flags, tos/priority: all u32 but
    // the addresses.
    uint32_t length = 0, proto = 0, sport = 0, dport = 0, flags = 0, tos = 0;
    IpAddr src, dst;
    if (!r->U32(&length) || !r->U32(&proto)) return false;
    if (v6) {
        if (!r->Ipv6(&src.hi, &src.lo) || !r->Ipv6(&dst.hi, &dst.lo)) return false;
    } else {
        uint32_t a = 0, b = 0;
        if (!r->U32(&a) || !r->U32(&b)) return false;
        src = IpAddr::V4(a);
        dst = IpAddr::V4(b);
    }
    if (!(r->U32(&sport) && r->U32(&dport) && r->U32(&flags) && r->U32(&tos))) return false;
    s->family = v6 ? 6 : 4;
    s->src = src;
    s->dst = dst;
    s->frame_length = length;
    s->proto = static_cast<uint8_t>(proto);
    s->tos = static_cast<uint8_t>(tos);
    s->src_port = static_cast<uint16_t>(sport);
    s->dst_port = static_cast<uint16_t>(dport);
    s->tcp_flags = s->proto == kProtoTcp ? static_cast<uint8_t>(flags) : 0;
    return true;
}

bool ReadSwitchRecord(ByteReader* r, Sample* s) {
    uint32_t src_vlan = 0, src_priority = 0, dst_vlan = 0, dst_priority = 0;
    if (!(r->U32(&src_vlan) && r->U32(&src_priority) && r->U32(&dst_vlan) &&
          r->U32(&dst_priority))) {
        return false;
    }
    s->in_vlan = src_vlan;
    s->out_vlan = dst_vlan;
    return true;
}

bool ReadRouterRecord(ByteReader* r, Sample* s) {
    uint8_t family = 0;
    IpAddr next_hop;
    uint32_t src_mask = 0, dst_mask = 0;
    if (!ReadAddress(r, &family, &next_hop) || !r->U32(&src_mask) || !r->U32(&dst_mask)) {
        return false;
    }
    s->next_hop_family = family;
    s->next_hop = next_hop;
    s->src_mask = static_cast<uint8_t>(src_mask);
    s->dst_mask = static_cast<uint8_t>(dst_mask);
    return true;
}

bool ReadGatewayRecord(ByteReader* r, uint32_t version, Sample* s) {
    // Version 5: next hop, router AS, source AS, source peer AS, AS path segments { type,
    // count, AS[count] }, communities { count, u32[count] }, local preference. Version 4
    // has no next hop; version 2 neither, and its path is one list { count, AS[count] }
    // with no communities or local preference after it.
    uint8_t family = 0;
    IpAddr next_hop;
    if (version >= 5 && !ReadAddress(r, &family, &next_hop)) return false;
    uint32_t router_as = 0, src_as = 0, peer_as = 0, segments = 0;
    if (!(r->U32(&router_as) && r->U32(&src_as) && r->U32(&peer_as) && r->U32(&segments))) {
        return false;
    }
    // The destination AS is the last AS of the path (0 for an empty path).
    uint32_t dst_as = 0;
    auto read_path = [&](uint32_t count) {
        if (count > r->remaining() / 4) return false;
        for (uint32_t j = 0; j < count; ++j) (void)r->U32(&dst_as);
        return true;
    };
    if (version == 2) {
        if (!read_path(segments)) return false;
    } else {
        for (uint32_t i = 0; i < segments; ++i) {
            uint32_t type = 0, count = 0;
            if (!r->U32(&type) || !r->U32(&count) || !read_path(count)) return false;
        }
    }
    // Version 5 records end here for us (the record's length covers the rest).
    if (version == 4) {
        uint32_t communities = 0, local_pref = 0;
        if (!r->U32(&communities) || communities > r->remaining() / 4 ||
            !r->Skip(size_t{communities} * 4) || !r->U32(&local_pref)) {
            return false;
        }
    }
    s->bgp_next_hop_family = family;
    s->bgp_next_hop = next_hop;
    s->src_as = src_as;
    s->dst_as = dst_as;
    return true;
}

// Dispatches one flow record. Unknown formats and other enterprises are skipped.
bool ReadFlowRecord(uint32_t format, ByteReader body, Sample* s) {
    switch (format) {
        case kRecordHeader:
            return ReadHeaderRecord(&body, 5, s);
        case kRecordEthernet:
            return ReadEthernetRecord(&body, s);
        case kRecordIpv4:
            return ReadIpRecord(&body, false, s);
        case kRecordIpv6:
            return ReadIpRecord(&body, true, s);
        case kRecordExtSwitch:
            return ReadSwitchRecord(&body, s);
        case kRecordExtRouter:
            return ReadRouterRecord(&body, s);
        case kRecordExtGateway:
            return ReadGatewayRecord(&body, 5, s);
        default:
            // TODO: extended user/URL/MPLS/NAT/tunnel records (1004-1012) are skipped; sfcapd
            // 1.7.1 stores none of them either.
            return true;
    }
}

void ToRecord(const Sample& s, FlowRecord* r) {
    r->Set(kExGenericFlow);
    r->proto = s.proto;
    r->tcp_flags = s.tcp_flags;
    r->src_port = s.src_port;
    r->dst_port = s.dst_port;
    r->src_tos = s.tos;
    // sfcapd: every record stands for `rate` packets of this size.
    r->packets = s.rate;
    r->bytes = uint64_t{s.rate} * s.frame_length;
    r->flags |= kFlagSampled;
    // A sample without an IP packet (ARP, unknown header protocol) still gets an IPv4
    // element with 0.0.0.0, as sfcapd writes it.
    r->Set(s.family == 6 ? kExIpv6Flow : kExIpv4Flow);
    r->src_addr = s.src;
    r->dst_addr = s.dst;

    // sfcapd writes these four elements for every sample, zero or not.
    r->Set(kExFlowMisc);
    r->input = s.input;
    r->output = s.output;
    r->src_mask = s.src_mask;
    r->dst_mask = s.dst_mask;
    r->Set(kExVlan);
    // nfdump's VLAN element holds 16 bits.
    r->src_vlan = static_cast<uint16_t>(s.in_vlan);
    r->dst_vlan = static_cast<uint16_t>(s.out_vlan);
    r->Set(kExAsRouting);
    r->src_as = s.src_as;
    r->dst_as = s.dst_as;
    r->Set(kExMacAddr);
    r->in_src_mac = s.src_mac;
    r->out_dst_mac = s.dst_mac;

    if (s.next_hop_family != 0) {
        r->Set(s.next_hop_family == 4 ? kExIpNextHopV4 : kExIpNextHopV6);
        r->ip_next_hop = s.next_hop;
    }
    if (s.mpls_count > 0) {
        r->Set(kExMplsLabel);
        for (size_t i = 0; i < s.mpls_count; ++i) r->mpls[i] = s.mpls[i];
    }
    if (s.bgp_next_hop_family != 0) {
        r->Set(s.bgp_next_hop_family == 4 ? kExBgpNextHopV4 : kExBgpNextHopV6);
        r->bgp_next_hop = s.bgp_next_hop;
    }
}

struct DatagramHeader {
    uint32_t version = 0;
    uint8_t agent_family = 0;
    IpAddr agent;
    uint32_t sub_agent = 0;
    uint32_t sequence = 0;
    uint32_t uptime_ms = 0;
    uint32_t samples = 0;
};

// Per-datagram decoding state: finds or creates the agent's exporter when it is first needed,
// so that an agent that only ever sends counters gets no exporter record (as with sfcapd).
class DatagramDecoder {
public:
    DatagramDecoder(DecoderState* st, const DatagramHeader& h, const Endpoint& from,
                    uint64_t now_ms, std::vector<FlowRecord>* out)
        : st_(st), h_(h), from_(from), now_ms_(now_ms), out_(out) {
        ex_ = st_->FindExporter(from_, kSflowExporterVersion, h_.sub_agent);
        if (ex_ != nullptr) Seen();
    }

    void Count(DecodeError e) { st_->Count(ex_, e); }

    // Decodes one flow sample; `expanded` selects the §5.2 expanded layout. Returns false
    // when the sample is malformed (counted; the caller goes on with the next sample).
    bool FlowSample(ByteReader r, bool expanded) {
        Sample s;
        uint32_t sequence = 0, pool = 0, drops = 0, count = 0;
        bool ok = false;
        if (expanded) {
            uint32_t source_type = 0, source_index = 0, in_format = 0, out_format = 0;
            ok = r.U32(&sequence) && r.U32(&source_type) && r.U32(&source_index) &&
                 r.U32(&s.rate) && r.U32(&pool) && r.U32(&drops) && r.U32(&in_format) &&
                 r.U32(&s.input) && r.U32(&out_format) && r.U32(&s.output) && r.U32(&count);
        } else {
            uint32_t source = 0;
            ok = r.U32(&sequence) && r.U32(&source) && r.U32(&s.rate) && r.U32(&pool) &&
                 r.U32(&drops) && r.U32(&s.input) && r.U32(&s.output) && r.U32(&count);
            // The top two bits are the interface format (§5.2: 0 ifIndex, 1 discarded,
            // 2 several interfaces); the value is in the lower 30.
            s.input &= 0x3fffffffu;
            s.output &= 0x3fffffffu;
        }
        if (!ok || count > kMaxSflowFlowRecords || count > r.remaining() / 8) {
            Count(DecodeError::kRecordTruncated);
            return false;
        }
        for (uint32_t i = 0; i < count; ++i) {
            uint32_t format = 0, length = 0;
            ByteReader body;
            if (!r.U32(&format) || !r.U32(&length) || !r.Sub(length, &body)) {
                Count(DecodeError::kRecordTruncated);
                return false;
            }
            // Records of other enterprises (format >> 12 != 0) are skipped.
            if ((format >> 12) == 0 && !ReadFlowRecord(format, body, &s)) {
                Count(DecodeError::kRecordTruncated);
                return false;
            }
        }

        Emit(s);
        return true;
    }

    // Decodes one version 2 or 4 flow sample (RFC 3176 flow_sample) from the rest of the
    // datagram, consuming it from `r`. Returns false when the sample is malformed or holds
    // extended data of a type whose length is unknown (counted): the datagram cannot be
    // read past it.
    bool FlowSampleV2V4(ByteReader* r) {
        Sample s;
        uint32_t sequence = 0, source = 0, pool = 0, drops = 0, tag = 0, extended = 0;
        // Interfaces are whole u32 here (v5 took two bits for a format); stored as read,
        // the multiple-outputs bit of the output included.
        bool ok = r->U32(&sequence) && r->U32(&source) && r->U32(&s.rate) && r->U32(&pool) &&
                  r->U32(&drops) && r->U32(&s.input) && r->U32(&s.output) && r->U32(&tag);
        if (ok) {
            ByteReader fixed;
            switch (tag) {
                case kV4PacketHeader:
                    ok = ReadHeaderRecord(r, h_.version, &s);
                    break;
                case kV4PacketIpv4:
                    ok = r->Sub(kV4SampledIpv4Bytes, &fixed) && ReadIpRecord(&fixed, false, &s);
                    break;
                case kV4PacketIpv6:
                    ok = r->Sub(kV4SampledIpv6Bytes, &fixed) && ReadIpRecord(&fixed, true, &s);
                    break;
                default:
                    ok = false;
                    break;
            }
        }
        ok = ok && r->U32(&extended);
        for (uint32_t i = 0; ok && i < extended; ++i) {
            uint32_t type = 0, direction = 0;
            ok = r->U32(&type);
            if (!ok) break;
            switch (type) {
                case kV4ExtSwitch:
                    ok = ReadSwitchRecord(r, &s);
                    break;
                case kV4ExtRouter:
                    ok = ReadRouterRecord(r, &s);
                    break;
                case kV4ExtGateway:
                    ok = ReadGatewayRecord(r, h_.version, &s);
                    break;
                case kV4ExtUser:  // source and destination user names: not stored
                    ok = SkipString(r) && SkipString(r);
                    break;
                case kV4ExtUrl:  // direction and URL: not stored
                    ok = r->U32(&direction) && SkipString(r);
                    break;
                default:
                    ok = false;
                    break;
            }
        }
        if (!ok) {
            Count(DecodeError::kRecordTruncated);
            return false;
        }
        Emit(s);
        return true;
    }

private:
    // The record of a decoded flow sample, under the agent's exporter (made on its first
    // flow sample).
    void Emit(const Sample& s) {
        if (ex_ == nullptr) AddExporter(s.rate);
        if (ex_ == nullptr) return;
        FlowRecord& rec = out_->emplace_back();
        ToRecord(s, &rec);
        Finish(&rec);
        ++st_->counters.sflow_flow_samples;
    }

    // Sequence numbers are per agent (§5.3: "incremented with each sample datagram
    // generated by a sub-agent within an agent"). The exporter is the UDP source, which may
    // relay several agents with the same sub-agent id; each gets its own expectation. The
    // first datagram of an agent only synchronises.
    void Seen() {
        ++ex_->info.counters.packets;
        ++ex_->info.interval.packets;
        const bool v6 = h_.agent_family == 6;
        for (SflowAgentSequence& a : ex_->sflow_agents) {
            if (a.agent != h_.agent || a.v6 != v6) continue;
            if (h_.sequence != a.next) {
                ++ex_->info.counters.sequence_failures;
                ++ex_->info.interval.sequence_failures;
            }
            a.next = h_.sequence + 1;
            return;
        }
        // Bounded like the exporter's samplers; agents beyond the bound are not checked.
        if (ex_->sflow_agents.size() < kMaxSflowAgentsPerExporter) {
            ex_->sflow_agents.push_back({h_.agent, v6, h_.sequence + 1});
        }
    }

    void AddExporter(uint32_t rate) {
        ex_ = st_->FindOrAddExporter(from_, kSflowExporterVersion, h_.sub_agent, now_ms_);
        if (ex_ == nullptr) return;
        // sfcapd describes each agent with one sampler, taken from its first flow sample.
        st_->UpsertSampler(ex_, kSamplerGeneric, 0, 1, rate > 1 ? rate - 1 : 0);
        Seen();
    }

    void Finish(FlowRecord* r) {
        r->nfversion = static_cast<uint8_t>(0x80 | h_.version);
        r->exporter_sysid = ex_->info.sysid;
        r->first_ms = r->last_ms = r->received_ms = now_ms_;
        r->received_from = ex_->info.address.addr;
        r->Set(ex_->info.address.v6 ? kExIpReceivedV6 : kExIpReceivedV4);
        ++ex_->info.counters.flows;
        ++ex_->info.interval.flows;
    }

    DecoderState* st_;
    const DatagramHeader& h_;
    const Endpoint& from_;
    uint64_t now_ms_;
    std::vector<FlowRecord>* out_;
    ExporterState* ex_ = nullptr;
};

// The samples of a version 2 or 4 datagram, which carry no lengths: each is read field by
// field, and the first one that cannot be read ends the datagram (what follows it cannot be
// found). The records of the samples before it are kept.
Status DecodeSamplesV2V4(DecoderState* st, DatagramDecoder* dd, const DatagramHeader& h,
                         ByteReader* data) {
    // Messages are built only for a datagram that fails.
    auto where = [&](uint32_t i) {
        return "sflow v" + std::to_string(h.version) + ": sample " + std::to_string(i + 1) +
               " of " + std::to_string(h.samples);
    };
    // A flow sample takes at least 52 bytes and a counters sample 48.
    if (h.samples > kMaxSflowSamples || h.samples > data->remaining() / 48) {
        dd->Count(DecodeError::kBadRecordCount);
        return Status::Malformed("sflow v" + std::to_string(h.version) + ": " +
                                 std::to_string(h.samples) + " samples cannot fit " +
                                 std::to_string(data->remaining()) + " bytes");
    }
    for (uint32_t i = 0; i < h.samples; ++i) {
        uint32_t type = 0;
        if (!data->U32(&type)) {
            dd->Count(DecodeError::kRecordsTruncated);
            return Status::Truncated(where(i) + " is cut off");
        }
        if (type == kFlowSample) {
            if (!dd->FlowSampleV2V4(data)) {
                return Status::Malformed(where(i) +
                                         ": a flow sample that is cut off or holds data of "
                                         "an unknown type");
            }
            continue;
        }
        if (type != kCounterSample) {
            dd->Count(DecodeError::kRecordTruncated);
            return Status::Malformed(where(i) + " has the unknown type " + std::to_string(type));
        }
        // counters_sample: sequence, source id, interval, counter block version and block.
        uint32_t sequence = 0, source = 0, interval = 0, block = 0;
        if (!(data->U32(&sequence) && data->U32(&source) && data->U32(&interval) &&
              data->U32(&block)) ||
            block == 0 || block >= std::size(kV4CounterBytes) ||
            !data->Skip(kV4CounterBytes[block])) {
            dd->Count(DecodeError::kRecordTruncated);
            return Status::Malformed(where(i) +
                                     ": a counters sample that is cut off or of the unknown "
                                     "counter block version " +
                                     std::to_string(block));
        }
        ++st->counters.sflow_counter_samples;
    }
    return Status::Ok();
}

}  // namespace

Status DecodeSflow(DecoderState* st, ByteReader data, const Endpoint& from, uint64_t now_ms,
                   std::vector<FlowRecord>* out) {
    DatagramHeader h;
    if (!data.U32(&h.version)) {
        ++st->counters.rejected;
        st->Count(nullptr, DecodeError::kTruncatedHeader);
        return Status::Truncated("sflow: datagram of " + std::to_string(data.size()) +
                                 " bytes has no version");
    }
    if (h.version != 2 && h.version != 4 && h.version != 5) {
        ++st->counters.rejected;
        st->Count(nullptr, DecodeError::kUnknownVersion);
        return Status::Unsupported("sflow: version " + std::to_string(h.version) +
                                   " is not supported (2, 4 and 5 are)");
    }
    uint32_t agent_type = 0;
    if (!data.U32(&agent_type)) {
        ++st->counters.rejected;
        st->Count(nullptr, DecodeError::kTruncatedHeader);
        return Status::Truncated("sflow: datagram header cut off after the version");
    }
    if (agent_type != kAddressIpv4 && agent_type != kAddressIpv6) {
        ++st->counters.rejected;
        st->Count(nullptr, DecodeError::kTruncatedHeader);
        return Status::Malformed("sflow: agent address type " + std::to_string(agent_type) +
                                 " (expected 1 for IPv4 or 2 for IPv6)");
    }
    // Versions 2 and 4 have no sub-agent id; their agents count as sub-agent 0.
    const size_t agent_length = agent_type == kAddressIpv4 ? 4 : 16;
    const uint8_t* agent = nullptr;
    if (!(data.Bytes(agent_length, &agent) && (h.version < 5 || data.U32(&h.sub_agent)) &&
          data.U32(&h.sequence) && data.U32(&h.uptime_ms) && data.U32(&h.samples))) {
        ++st->counters.rejected;
        st->Count(nullptr, DecodeError::kTruncatedHeader);
        return Status::Truncated("sflow: datagram header needs " +
                                 std::to_string((h.version < 5 ? 20 : 24) + agent_length) +
                                 " bytes, datagram has " + std::to_string(data.size()));
    }
    h.agent_family = agent_type == kAddressIpv4 ? 4 : 6;
    h.agent = agent_type == kAddressIpv4 ? IpAddr::V4(LoadBigEndian32(agent)) : IpAddr::V6(agent);

    DatagramDecoder dd(st, h, from, now_ms, out);
    if (h.version < 5) return DecodeSamplesV2V4(st, &dd, h, &data);
    if (h.samples > kMaxSflowSamples || h.samples > data.remaining() / 8) {
        dd.Count(DecodeError::kBadRecordCount);
        return Status::Malformed("sflow: " + std::to_string(h.samples) + " samples cannot fit " +
                                 std::to_string(data.remaining()) + " bytes");
    }
    size_t bad_samples = 0;
    for (uint32_t i = 0; i < h.samples; ++i) {
        uint32_t format = 0, length = 0;
        ByteReader body;
        if (!data.U32(&format) || !data.U32(&length) || !data.Sub(length, &body)) {
            dd.Count(DecodeError::kRecordsTruncated);
            return Status::Truncated("sflow: sample " + std::to_string(i + 1) + " of " +
                                     std::to_string(h.samples) + " runs past the datagram (" +
                                     std::to_string(length) + " bytes announced)");
        }
        if ((format >> 12) != 0) continue;  // another enterprise's sample: skipped
        switch (format & 0xfffu) {
            case kFlowSample:
            case kFlowSampleExpanded:
                if (!dd.FlowSample(body, format == kFlowSampleExpanded)) ++bad_samples;
                break;
            case kCounterSample:
            case kCounterSampleExpanded:
                ++st->counters.sflow_counter_samples;
                break;
            default:
                break;
        }
    }
    if (bad_samples > 0) {
        return Status::Malformed("sflow: " + std::to_string(bad_samples) + " of " +
                                 std::to_string(h.samples) +
                                 " samples hold a flow record that does not fit");
    }
    return Status::Ok();
}

}  // namespace flow::wire::detail
