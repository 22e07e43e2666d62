// SPDX-License-Identifier: BSD-2-Clause
// ParsePacket: link layer (Ethernet with 802.1Q/802.1ad tags, Linux cooked v1/v2, raw IP,
// BSD/OpenBSD loopback), IPv4 (RFC 791) with options, IPv6 (RFC 8200) with its extension
// headers, and the first bytes of TCP (RFC 9293), UDP (RFC 768), SCTP (RFC 9260), ICMP
// (RFC 792) and ICMPv6 (RFC 4443). Everything goes through the bounds-checked ByteReader.
#include <cstdint>

#include "flow/probe.h"
#include "wire/byte_reader.h"

namespace flow::probe {

namespace {

using flow::wire::detail::ByteReader;

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr int kMaxVlanTags = 4;
constexpr int kMaxExtensionHeaders = 8;

constexpr uint8_t kProtoIcmp = 1;
constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kProtoIcmpv6 = 58;
constexpr uint8_t kProtoSctp = 132;
constexpr uint8_t kProtoUdpLite = 136;

bool IsVlanTag(uint16_t ether_type) {
    return ether_type == 0x8100 || ether_type == 0x88a8 || ether_type == 0x9100;
}

ParseOutcome EtherTypeOutcome(uint16_t ether_type) {
    return ether_type == kEtherIpv4 || ether_type == kEtherIpv6 ? ParseOutcome::kIp
                                                                : ParseOutcome::kNotIp;
}

// Positions `r` at the IP header; records the VLAN ids of an Ethernet frame in `out`.
ParseOutcome StripLink(int link, ByteReader* r, Packet* out) {
    uint16_t ether_type = 0;
    switch (link) {
        case kLinkEthernet:
            if (!r->Skip(12) || !r->U16(&ether_type)) return ParseOutcome::kTruncated;
            for (int i = 0; i < kMaxVlanTags && IsVlanTag(ether_type); ++i) {
                uint16_t tci = 0;
                if (!r->U16(&tci) || !r->U16(&ether_type)) return ParseOutcome::kTruncated;
                // 802.1Q: the low 12 bits of the tag control information are the VLAN id.
                if (i == 0) out->vlan = tci & 0x0fff;
                if (i == 1) out->inner_vlan = tci & 0x0fff;
            }
            return EtherTypeOutcome(ether_type);
        case kLinkSll:  // 16 bytes, protocol type last
            if (!r->Skip(14) || !r->U16(&ether_type)) return ParseOutcome::kTruncated;
            return EtherTypeOutcome(ether_type);
        case kLinkSll2:  // 20 bytes, protocol type first
            if (!r->U16(&ether_type) || !r->Skip(18)) return ParseOutcome::kTruncated;
            return EtherTypeOutcome(ether_type);
        case kLinkNull:
        case kLinkLoop:  // the family's value varies by OS; the IP version nibble decides
            return r->Skip(4) ? ParseOutcome::kIp : ParseOutcome::kTruncated;
        case kLinkRaw:
        case kLinkRawOpenBsd:
        case kLinkIpv4:
        case kLinkIpv6:
            return ParseOutcome::kIp;
        default:
            return ParseOutcome::kUnsupportedLink;
    }
}

// Reads ports, ICMP type/code and TCP flags from the transport header at `r`.
ParseOutcome ParseTransport(ByteReader r, Packet* out) {
    switch (out->proto) {
        case kProtoTcp: {
            uint16_t offset_flags = 0;
            if (!r.U16(&out->src_port) || !r.U16(&out->dst_port) || !r.Skip(8) ||
                !r.U16(&offset_flags)) {
                return ParseOutcome::kTruncated;
            }
            // NetFlow's tcpControlBits are the low 8 bits (CWR..FIN).
            out->tcp_flags = static_cast<uint8_t>(offset_flags & 0xff);
            return ParseOutcome::kIp;
        }
        case kProtoUdp:
        case kProtoSctp:
        case kProtoUdpLite:
            if (!r.U16(&out->src_port) || !r.U16(&out->dst_port)) {
                return ParseOutcome::kTruncated;
            }
            return ParseOutcome::kIp;
        case kProtoIcmp:
        case kProtoIcmpv6: {
            uint8_t type = 0, code = 0;
            if (!r.U8(&type) || !r.U8(&code)) return ParseOutcome::kTruncated;
            out->dst_port = static_cast<uint16_t>(type << 8 | code);
            return ParseOutcome::kIp;
        }
        default:
            return ParseOutcome::kIp;  // no ports: addresses and protocol key the flow
    }
}

ParseOutcome ParseIpv4(ByteReader r, Packet* out) {
    uint8_t ver_ihl = 0, tos = 0, ttl = 0, proto = 0;
    uint16_t total = 0, ident = 0, frag = 0, checksum = 0;
    uint32_t src = 0, dst = 0;
    if (!(r.U8(&ver_ihl) && r.U8(&tos) && r.U16(&total) && r.U16(&ident) && r.U16(&frag) &&
          r.U8(&ttl) && r.U8(&proto) && r.U16(&checksum) && r.U32(&src) && r.U32(&dst))) {
        return ParseOutcome::kTruncated;
    }
    const size_t header = size_t{ver_ihl & 0x0fu} * 4;
    if (header < 20 || total < header) return ParseOutcome::kMalformed;
    out->v6 = false;
    out->src = IpAddr::V4(src);
    out->dst = IpAddr::V4(dst);
    out->proto = proto;
    out->tos = tos;
    out->ip_bytes = total;

    // RFC 791 §3.1: flags bit 2 is More Fragments, the low 13 bits the offset in 8 bytes.
    const bool more = (frag & 0x2000) != 0;
    const uint16_t offset = frag & 0x1fff;
    out->fragment = more || offset != 0;
    out->first_fragment = out->fragment && offset == 0;
    out->fragment_id = ident;
    if (offset != 0) return ParseOutcome::kIp;  // no transport header in this fragment

    if (!r.Skip(header - 20)) return ParseOutcome::kTruncated;
    return ParseTransport(r, out);
}

ParseOutcome ParseIpv6(ByteReader r, Packet* out) {
    uint32_t word = 0;
    uint16_t payload_length = 0;
    uint8_t next = 0, hops = 0;
    if (!(r.U32(&word) && r.U16(&payload_length) && r.U8(&next) && r.U8(&hops) &&
          r.Ipv6(&out->src.hi, &out->src.lo) && r.Ipv6(&out->dst.hi, &out->dst.lo))) {
        return ParseOutcome::kTruncated;
    }
    out->v6 = true;
    out->tos = static_cast<uint8_t>(word >> 20);  // traffic class
    // A zero payload length is a jumbogram (RFC 2675); count what the frame holds.
    out->ip_bytes =
        40u + (payload_length != 0 ? payload_length : static_cast<uint32_t>(r.remaining()));

    for (int i = 0; i < kMaxExtensionHeaders; ++i) {
        uint8_t following = 0, length = 0;
        if (next == 44) {  // fragment header, RFC 8200 §4.5: fixed 8 bytes
            uint16_t offset_flags = 0;
            if (!(r.U8(&following) && r.U8(&length) && r.U16(&offset_flags) &&
                  r.U32(&out->fragment_id))) {
                return ParseOutcome::kTruncated;
            }
            const uint16_t offset = offset_flags >> 3;
            const bool more = (offset_flags & 1) != 0;
            out->fragment = more || offset != 0;
            out->first_fragment = out->fragment && offset == 0;
            next = following;
            if (offset != 0) {
                out->proto = next;
                return ParseOutcome::kIp;
            }
            continue;
        }
        if (next == 51) {  // authentication header, RFC 4302: length in 4-byte units - 2
            if (!(r.U8(&following) && r.U8(&length) && r.Skip((size_t{length} + 2) * 4 - 2))) {
                return ParseOutcome::kTruncated;
            }
            next = following;
            continue;
        }
        // Hop-by-hop (0), routing (43), destination options (60), mobility (135): length
        // in 8-byte units not counting the first 8.
        if (next != 0 && next != 43 && next != 60 && next != 135) break;
        if (!(r.U8(&following) && r.U8(&length) && r.Skip(size_t{length} * 8 + 6))) {
            return ParseOutcome::kTruncated;
        }
        next = following;
    }
    out->proto = next;
    return ParseTransport(r, out);
}

}  // namespace

ParseOutcome ParsePacket(int link_type, const uint8_t* frame, size_t caplen, Packet* out) {
    const uint64_t time_ms = out->time_ms;
    *out = Packet();
    out->time_ms = time_ms;

    ByteReader r(frame, caplen);
    ParseOutcome outcome = StripLink(link_type, &r, out);
    if (outcome != ParseOutcome::kIp) return outcome;

    uint8_t first = 0;
    if (!ByteReader(r).U8(&first)) return ParseOutcome::kTruncated;
    switch (first >> 4) {
        case 4:
            return ParseIpv4(r, out);
        case 6:
            return ParseIpv6(r, out);
        default:
            return ParseOutcome::kNotIp;
    }
}

}  // namespace flow::probe
