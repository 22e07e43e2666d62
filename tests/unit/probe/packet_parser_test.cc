// SPDX-License-Identifier: BSD-2-Clause
// ParsePacket on hand-built frames: link types, VLAN and QinQ tags, IPv4 and IPv6
// fragments, IPv6 extension headers, ICMP/ICMPv6 type and code, and every truncation of a
// valid frame (always an outcome, never a read past the end).
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "flow/probe.h"

using flow::probe::Packet;
using flow::probe::ParseOutcome;
using flow::probe::ParsePacket;

namespace {

using Bytes = std::vector<uint8_t>;

void Put16(Bytes* b, uint16_t v) {
    b->push_back(static_cast<uint8_t>(v >> 8));
    b->push_back(static_cast<uint8_t>(v));
}

Bytes Ethernet(std::initializer_list<uint16_t> tags_then_type) {
    Bytes b(12, 0xaa);
    for (uint16_t v : tags_then_type) Put16(&b, v);
    return b;
}

// IPv4 header (20 bytes, no options) carrying `payload_len` bytes of `proto`.
Bytes Ipv4(uint8_t proto, uint16_t payload_len, uint16_t frag = 0, uint16_t id = 0x1234,
           uint8_t tos = 0) {
    Bytes b = {0x45, tos};
    Put16(&b, 20 + payload_len);
    Put16(&b, id);
    Put16(&b, frag);
    b.insert(b.end(), {64, proto, 0, 0, 10, 0, 0, 1, 192, 0, 2, 7});
    return b;
}

// IPv6 header, next header `next`, `payload_len`.
Bytes Ipv6(uint8_t next, uint16_t payload_len, uint8_t traffic_class = 0) {
    Bytes b = {static_cast<uint8_t>(0x60 | traffic_class >> 4),
               static_cast<uint8_t>(traffic_class << 4), 0, 0};
    Put16(&b, payload_len);
    b.push_back(next);
    b.push_back(64);
    for (int i = 0; i < 16; ++i) b.push_back(i == 0 ? 0x20 : i == 15 ? 1 : 0);
    for (int i = 0; i < 16; ++i) b.push_back(i == 0 ? 0x20 : i == 15 ? 2 : 0);
    return b;
}

Bytes Tcp(uint16_t sport, uint16_t dport, uint8_t flags) {
    Bytes b;
    Put16(&b, sport);
    Put16(&b, dport);
    b.insert(b.end(), 8, 0);
    b.push_back(0x50);
    b.push_back(flags);
    b.insert(b.end(), 6, 0);
    return b;
}

Bytes Udp(uint16_t sport, uint16_t dport, uint16_t payload = 0) {
    Bytes b;
    Put16(&b, sport);
    Put16(&b, dport);
    Put16(&b, 8 + payload);
    Put16(&b, 0);
    b.insert(b.end(), payload, 0x55);
    return b;
}

Bytes Cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

ParseOutcome Parse(int link, const Bytes& frame, Packet* p) {
    return ParsePacket(link, frame.data(), frame.size(), p);
}

}  // namespace

TEST_CASE("Ethernet IPv4 TCP gives addresses, ports, flags and the IP length", "[probe]") {
    const Bytes frame = Cat({Ethernet({0x0800}), Ipv4(6, 20, 0, 1, 0xb8), Tcp(40000, 443, 0x12),
                             Bytes(6, 0)});  // Ethernet padding is not counted
    Packet p;
    REQUIRE(Parse(flow::probe::kLinkEthernet, frame, &p) == ParseOutcome::kIp);
    CHECK_FALSE(p.v6);
    CHECK(p.src == flow::IpAddr::V4(0x0a000001));
    CHECK(p.dst == flow::IpAddr::V4(0xc0000207));
    CHECK(p.proto == 6);
    CHECK(p.src_port == 40000);
    CHECK(p.dst_port == 443);
    CHECK(p.tcp_flags == 0x12);
    CHECK(p.tos == 0xb8);
    CHECK(p.ip_bytes == 40);
    CHECK(p.vlan == 0);
    CHECK_FALSE(p.fragment);
}

TEST_CASE("VLAN and QinQ tags give the outer and inner VLAN ids", "[probe]") {
    Packet p;
    const Bytes single = Cat({Ethernet({0x8100, 0x2064, 0x0800}), Ipv4(17, 8), Udp(53, 5353)});
    REQUIRE(Parse(flow::probe::kLinkEthernet, single, &p) == ParseOutcome::kIp);
    CHECK(p.vlan == 100);  // priority bits (0x2000) are not part of the id
    CHECK(p.inner_vlan == 0);
    CHECK(p.src_port == 53);

    const Bytes qinq =
        Cat({Ethernet({0x88a8, 0x00c8, 0x8100, 0x0fff, 0x86dd}), Ipv6(17, 8), Udp(1, 2)});
    REQUIRE(Parse(flow::probe::kLinkEthernet, qinq, &p) == ParseOutcome::kIp);
    CHECK(p.vlan == 200);
    CHECK(p.inner_vlan == 4095);
    CHECK(p.v6);
    CHECK(p.dst_port == 2);
    CHECK(p.ip_bytes == 48);
}

TEST_CASE("Non-IP ethertypes and unknown link types are not flows", "[probe]") {
    Packet p;
    const Bytes arp = Cat({Ethernet({0x0806}), Bytes(28, 0)});
    CHECK(Parse(flow::probe::kLinkEthernet, arp, &p) == ParseOutcome::kNotIp);
    const Bytes ip = Cat({Ipv4(17, 8), Udp(1, 2)});
    CHECK(Parse(147, ip, &p) == ParseOutcome::kUnsupportedLink);
    const Bytes bad_ihl = {0x43, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8};
    CHECK(Parse(flow::probe::kLinkRaw, bad_ihl, &p) == ParseOutcome::kMalformed);
}

TEST_CASE("Cooked, raw and loopback link types reach the IP header", "[probe]") {
    const Bytes ip = Cat({Ipv4(17, 8), Udp(123, 123)});
    Bytes sll(14, 0);
    Put16(&sll, 0x0800);
    Bytes sll2;
    Put16(&sll2, 0x0800);
    sll2.resize(20, 0);
    const Bytes null_v4 = {2, 0, 0, 0};
    const Bytes loop_v4 = {0, 0, 0, 2};
    auto [link, head] = GENERATE_COPY(table<int, Bytes>({{flow::probe::kLinkSll, sll},
                                                         {flow::probe::kLinkSll2, sll2},
                                                         {flow::probe::kLinkNull, null_v4},
                                                         {flow::probe::kLinkLoop, loop_v4},
                                                         {flow::probe::kLinkRaw, Bytes()},
                                                         {flow::probe::kLinkIpv4, Bytes()}}));
    CAPTURE(link);
    Packet p;
    REQUIRE(Parse(link, Cat({head, ip}), &p) == ParseOutcome::kIp);
    CHECK(p.proto == 17);
    CHECK(p.src_port == 123);
    CHECK(p.ip_bytes == 28);
}

TEST_CASE("ICMP and ICMPv6 type and code go into the destination port", "[probe]") {
    Packet p;
    const Bytes echo = Cat({Ipv4(1, 8), Bytes{8, 0, 0, 0, 0, 1, 0, 1}});
    REQUIRE(Parse(flow::probe::kLinkRaw, echo, &p) == ParseOutcome::kIp);
    CHECK(p.src_port == 0);
    CHECK(p.dst_port == 0x0800);

    const Bytes unreachable = Cat({Ipv6(58, 8), Bytes{1, 4, 0, 0, 0, 0, 0, 0}});
    REQUIRE(Parse(flow::probe::kLinkIpv6, unreachable, &p) == ParseOutcome::kIp);
    CHECK(p.proto == 58);
    CHECK(p.dst_port == 0x0104);  // destination unreachable, port unreachable
}

TEST_CASE("IPv4 fragments: the first has the ports, later ones only the id", "[probe]") {
    Packet p;
    const Bytes first = Cat({Ipv4(17, 1480, 0x2000, 0x4242), Udp(5000, 53, 1472)});
    REQUIRE(Parse(flow::probe::kLinkRaw, first, &p) == ParseOutcome::kIp);
    CHECK(p.fragment);
    CHECK(p.first_fragment);
    CHECK(p.fragment_id == 0x4242);
    CHECK(p.dst_port == 53);

    const Bytes later = Cat({Ipv4(17, 100, 185, 0x4242), Bytes(100, 0x77)});  // offset 1480
    REQUIRE(Parse(flow::probe::kLinkRaw, later, &p) == ParseOutcome::kIp);
    CHECK(p.fragment);
    CHECK_FALSE(p.first_fragment);
    CHECK(p.src_port == 0);
    CHECK(p.dst_port == 0);
    CHECK(p.ip_bytes == 120);
    CHECK(p.proto == 17);
}

TEST_CASE("IPv6 extension headers are walked to the transport header", "[probe]") {
    // hop-by-hop (8 bytes) -> destination options (16 bytes) -> routing (8) -> TCP.
    Bytes ext = {60, 0, 1, 4, 0, 0, 0, 0};
    ext.insert(ext.end(), {43, 1, 1, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
    ext.insert(ext.end(), {6, 0, 0, 0, 0, 0, 0, 0});
    const Bytes tcp = Tcp(1234, 80, 0x02);
    const Bytes frame =
        Cat({Ipv6(0, static_cast<uint16_t>(ext.size() + tcp.size()), 0x28), ext, tcp});
    Packet p;
    REQUIRE(Parse(flow::probe::kLinkIpv6, frame, &p) == ParseOutcome::kIp);
    CHECK(p.proto == 6);
    CHECK(p.src_port == 1234);
    CHECK(p.dst_port == 80);
    CHECK(p.tcp_flags == 0x02);
    CHECK(p.tos == 0x28);
    CHECK(p.ip_bytes == 40 + ext.size() + tcp.size());
}

TEST_CASE("IPv6 fragment headers: first fragment has ports, later ones do not", "[probe]") {
    Packet p;
    const Bytes first_hdr = {17, 0, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef};  // offset 0, M=1
    const Bytes first = Cat({Ipv6(44, 8 + 16), first_hdr, Udp(53, 9999, 8)});
    REQUIRE(Parse(flow::probe::kLinkIpv6, first, &p) == ParseOutcome::kIp);
    CHECK(p.fragment);
    CHECK(p.first_fragment);
    CHECK(p.fragment_id == 0xdeadbeef);
    CHECK(p.proto == 17);
    CHECK(p.src_port == 53);

    const Bytes later_hdr = {17, 0, 0x05, 0xa8, 0xde, 0xad, 0xbe, 0xef};  // offset 181*8, M=0
    const Bytes later = Cat({Ipv6(44, 8 + 50), later_hdr, Bytes(50, 0)});
    REQUIRE(Parse(flow::probe::kLinkIpv6, later, &p) == ParseOutcome::kIp);
    CHECK(p.fragment);
    CHECK_FALSE(p.first_fragment);
    CHECK(p.proto == 17);
    CHECK(p.src_port == 0);
    CHECK(p.ip_bytes == 98);
}

TEST_CASE("Every truncation of valid frames is reported, never read past", "[probe]") {
    Bytes ext = {6, 0, 1, 4, 0, 0, 0, 0};
    const Bytes frames[] = {
        Cat({Ethernet({0x8100, 0x0001, 0x0800}), Ipv4(6, 20), Tcp(1, 2, 0x10)}),
        Cat({Ethernet({0x86dd}), Ipv6(0, 28), ext, Tcp(1, 2, 0x10)}),
        Cat({Ipv6(58, 8), Bytes{128, 0, 0, 0, 0, 0, 0, 0}}),
    };
    const int links[] = {flow::probe::kLinkEthernet, flow::probe::kLinkEthernet,
                         flow::probe::kLinkRaw};
    // Bytes a flow needs: through the TCP flags, or ICMP type and code.
    const size_t needed[] = {18 + 20 + 14, 14 + 40 + 8 + 14, 40 + 2};
    for (size_t f = 0; f < std::size(frames); ++f) {
        Packet p;
        REQUIRE(Parse(links[f], frames[f], &p) == ParseOutcome::kIp);
        for (size_t n = 0; n < frames[f].size(); ++n) {
            CAPTURE(f, n);
            // A copy of exactly n bytes, so a sanitizer catches any read beyond it.
            const Bytes cut(frames[f].begin(), frames[f].begin() + static_cast<long>(n));
            const ParseOutcome o = ParsePacket(links[f], cut.data(), cut.size(), &p);
            CHECK(o == (n < needed[f] ? ParseOutcome::kTruncated : ParseOutcome::kIp));
        }
    }
}
