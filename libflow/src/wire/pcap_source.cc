// SPDX-License-Identifier: BSD-2-Clause
// PcapUdpReader: libpcap reads the file (pcap or pcapng); we strip the link header, IPv4
// (RFC 791) or IPv6 (RFC 8200) with its extension headers, and UDP (RFC 768), all through
// ByteReader. Fragments are counted and skipped: export datagrams are rarely fragmented and
// reassembly is not worth its state here.
#include "flow/pcap_source.h"

#include <pcap/pcap.h>

#include <string>

#include "wire/byte_reader.h"

namespace flow::wire {

namespace {

using detail::ByteReader;

// Link types as libpcap reports them (pcap_datalink: DLT_* values).
constexpr int kLinkNull = 0;  // BSD loopback, 4-byte host-order family
constexpr int kLinkEthernet = 1;
constexpr int kLinkRaw = 12;  // DLT_RAW on Linux (LINKTYPE_RAW 101 in files)
constexpr int kLinkRawOpenBsd = 14;
constexpr int kLinkLoop = 108;  // OpenBSD loopback, network-order family
constexpr int kLinkSll = 113;
constexpr int kLinkIpv4 = 228;
constexpr int kLinkIpv6 = 229;
constexpr int kLinkSll2 = 276;

constexpr uint16_t kEtherIpv4 = 0x0800;
constexpr uint16_t kEtherIpv6 = 0x86dd;
constexpr int kMaxVlanTags = 4;
constexpr int kMaxIpv6ExtensionHeaders = 8;
constexpr uint8_t kProtoUdp = 17;

enum class Outcome { kDatagram, kNotIp, kNotUdp, kFragment, kTruncated, kUnsupportedLink };

bool IsVlanTag(uint16_t ether_type) {
    return ether_type == 0x8100 || ether_type == 0x88a8 || ether_type == 0x9100;
}

// Positions `r` at the IP header of the frame. Returns kDatagram when it did.
Outcome StripLink(int link, ByteReader* r) {
    uint16_t ether_type = 0;
    switch (link) {
        case kLinkEthernet:
            if (!r->Skip(12) || !r->U16(&ether_type)) return Outcome::kTruncated;
            for (int i = 0; i < kMaxVlanTags && IsVlanTag(ether_type); ++i) {
                if (!r->Skip(2) || !r->U16(&ether_type)) return Outcome::kTruncated;
            }
            return ether_type == kEtherIpv4 || ether_type == kEtherIpv6 ? Outcome::kDatagram
                                                                        : Outcome::kNotIp;
        case kLinkSll:  // 16 bytes, protocol type last
            if (!r->Skip(14) || !r->U16(&ether_type)) return Outcome::kTruncated;
            return ether_type == kEtherIpv4 || ether_type == kEtherIpv6 ? Outcome::kDatagram
                                                                        : Outcome::kNotIp;
        case kLinkSll2:  // 20 bytes, protocol type first
            if (!r->U16(&ether_type) || !r->Skip(18)) return Outcome::kTruncated;
            return ether_type == kEtherIpv4 || ether_type == kEtherIpv6 ? Outcome::kDatagram
                                                                        : Outcome::kNotIp;
        case kLinkNull:
        case kLinkLoop:  // the family's encoding varies by OS; the IP version nibble decides
            return r->Skip(4) ? Outcome::kDatagram : Outcome::kTruncated;
        case kLinkRaw:
        case kLinkRawOpenBsd:
        case kLinkIpv4:
        case kLinkIpv6:
            return Outcome::kDatagram;
        default:
            return Outcome::kUnsupportedLink;
    }
}

// Parses IP and UDP at `r`; on success fills the addresses and points `*udp` at the payload.
Outcome ParseIpUdp(ByteReader r, UdpDatagram* out, ByteReader* udp) {
    uint8_t first = 0;
    if (!ByteReader(r).U8(&first)) return Outcome::kTruncated;
    ByteReader transport;
    const int version = first >> 4;
    if (version == 4) {
        uint8_t ver_ihl = 0, tos = 0, ttl = 0, proto = 0;
        uint16_t total = 0, ident = 0, frag = 0, checksum = 0;
        uint32_t src = 0, dst = 0;
        if (!(r.U8(&ver_ihl) && r.U8(&tos) && r.U16(&total) && r.U16(&ident) && r.U16(&frag) &&
              r.U8(&ttl) && r.U8(&proto) && r.U16(&checksum) && r.U32(&src) && r.U32(&dst))) {
            return Outcome::kTruncated;
        }
        const size_t header = size_t{ver_ihl & 0x0fu} * 4;
        if (header < 20 || total < header || !r.Skip(header - 20)) return Outcome::kTruncated;
        if ((frag & 0x3fff) != 0) return Outcome::kFragment;  // MF set or non-zero offset
        if (proto != kProtoUdp) return Outcome::kNotUdp;
        // Ethernet pads short frames: the IP total length bounds the packet.
        const size_t body = total - header;
        if (!r.Sub(body < r.remaining() ? body : r.remaining(), &transport)) {
            return Outcome::kTruncated;
        }
        out->source = Endpoint::V4(src);
        out->destination = Endpoint::V4(dst);
    } else if (version == 6) {
        uint32_t flow = 0;
        uint16_t payload_length = 0;
        uint8_t next = 0, hops = 0;
        const uint8_t* src = nullptr;
        const uint8_t* dst = nullptr;
        if (!(r.U32(&flow) && r.U16(&payload_length) && r.U8(&next) && r.U8(&hops) &&
              r.Bytes(16, &src) && r.Bytes(16, &dst))) {
            return Outcome::kTruncated;
        }
        // A zero payload length is a jumbogram; we take what was captured.
        ByteReader payload;
        const size_t avail =
            payload_length == 0 || payload_length > r.remaining() ? r.remaining() : payload_length;
        (void)r.Sub(avail, &payload);
        for (int i = 0; i < kMaxIpv6ExtensionHeaders; ++i) {
            if (next == 44) return Outcome::kFragment;
            if (next != 0 && next != 43 && next != 60) break;  // hop-by-hop, routing, dest
            uint8_t following = 0, ext_len = 0;
            if (!payload.U8(&following) || !payload.U8(&ext_len) ||
                !payload.Skip(size_t{ext_len} * 8 + 6)) {
                return Outcome::kTruncated;
            }
            next = following;
        }
        if (next != kProtoUdp) return Outcome::kNotUdp;
        transport = payload;
        out->source = Endpoint::V6(src);
        out->destination = Endpoint::V6(dst);
    } else {
        return Outcome::kNotIp;
    }

    uint16_t src_port = 0, dst_port = 0, length = 0, checksum = 0;
    if (!(transport.U16(&src_port) && transport.U16(&dst_port) && transport.U16(&length) &&
          transport.U16(&checksum))) {
        return Outcome::kTruncated;
    }
    out->source.port = src_port;
    out->destination.port = dst_port;
    // UDP length 0 occurs with IPv6 jumbograms; otherwise it bounds the payload, and a
    // payload cut by the snap length is not a datagram we can decode faithfully.
    if (length != 0) {
        if (length < 8) return Outcome::kTruncated;
        if (length - 8u > transport.remaining()) return Outcome::kTruncated;
        (void)transport.Sub(length - 8u, udp);
    } else {
        *udp = transport;
    }
    return Outcome::kDatagram;
}

}  // namespace

PcapUdpReader::PcapUdpReader(void* handle, int link_type)
    : handle_(handle), link_type_(link_type) {}

PcapUdpReader::~PcapUdpReader() {
    if (handle_ != nullptr) pcap_close(static_cast<pcap_t*>(handle_));
}

Result<std::unique_ptr<PcapUdpReader>> PcapUdpReader::Open(const std::string& path) {
    char error[PCAP_ERRBUF_SIZE] = {};
    pcap_t* handle = pcap_open_offline(path.c_str(), error);
    if (handle == nullptr) return Status::IoError("pcap '" + path + "': " + error);
    return std::unique_ptr<PcapUdpReader>(new PcapUdpReader(handle, pcap_datalink(handle)));
}

Result<bool> PcapUdpReader::Next(UdpDatagram* out) {
    if (handle_ == nullptr) return false;
    auto* handle = static_cast<pcap_t*>(handle_);
    while (true) {
        pcap_pkthdr* header = nullptr;
        const u_char* frame = nullptr;
        const int rc = pcap_next_ex(handle, &header, &frame);
        if (rc == PCAP_ERROR_BREAK) return false;  // end of file
        if (rc != 1) {
            std::string reason = pcap_geterr(handle);
            pcap_close(handle);
            handle_ = nullptr;
            return Status::IoError("pcap: read error: " + reason);
        }
        ++counters_.frames;

        ByteReader r(frame, header->caplen);
        UdpDatagram datagram;
        ByteReader payload;
        Outcome outcome = StripLink(link_type_, &r);
        if (outcome == Outcome::kDatagram) outcome = ParseIpUdp(r, &datagram, &payload);
        switch (outcome) {
            case Outcome::kDatagram:
                break;
            case Outcome::kNotIp:
                ++counters_.not_ip;
                continue;
            case Outcome::kNotUdp:
                ++counters_.not_udp;
                continue;
            case Outcome::kFragment:
                ++counters_.fragments;
                continue;
            case Outcome::kTruncated:
                ++counters_.truncated;
                continue;
            case Outcome::kUnsupportedLink:
                ++counters_.unsupported_link;
                continue;
        }
        datagram.payload = payload.current();
        datagram.length = payload.remaining();
        datagram.timestamp_ms = static_cast<uint64_t>(header->ts.tv_sec) * 1000 +
                                static_cast<uint64_t>(header->ts.tv_usec) / 1000;
        *out = datagram;
        ++counters_.datagrams;
        return true;
    }
}

}  // namespace flow::wire
