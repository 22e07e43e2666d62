// SPDX-License-Identifier: BSD-2-Clause
// PcapUdpReader on captures written here (pcap and pcapng, every supported link type, VLAN
// tags, IPv6 extension headers, fragments, non-UDP) and on corpus captures.
#include "flow/pcap_source.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "unit/wire/wire_builder.h"

using flow::wire::PcapUdpReader;
using flow::wire::UdpDatagram;
using wiretest::Writer;

namespace {

namespace fs = std::filesystem;

// Little-endian helpers for the capture file headers.
void Le32(std::vector<uint8_t>* b, uint32_t v) {
    for (int i = 0; i < 4; ++i) b->push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void Le16(std::vector<uint8_t>* b, uint16_t v) {
    b->push_back(static_cast<uint8_t>(v));
    b->push_back(static_cast<uint8_t>(v >> 8));
}

std::vector<uint8_t> Udp(uint16_t sport, uint16_t dport, const std::string& payload) {
    Writer w;
    w.U16(sport).U16(dport).U16(8 + payload.size()).U16(0).Text(payload);
    return w.bytes();
}

std::vector<uint8_t> Ipv4(const std::vector<uint8_t>& l4, uint8_t proto, uint16_t frag = 0,
                          uint8_t last_octet = 7) {
    Writer w;
    w.U8(0x45).U8(0).U16(20 + l4.size()).U16(1).U16(frag).U8(64).U8(proto).U16(0);
    w.Ip4(192, 0, 2, last_octet).Ip4(192, 0, 2, 100).Raw(l4);
    return w.bytes();
}

std::vector<uint8_t> Ipv6(const std::vector<uint8_t>& l4, bool with_hop_by_hop) {
    Writer w;
    w.U32(0x60000000)
        .U16(l4.size() + (with_hop_by_hop ? 8 : 0))
        .U8(with_hop_by_hop ? 0 : 17)
        .U8(64);
    w.U32(0x20010db8).Zeros(11).U8(0x07).U32(0x20010db8).Zeros(11).U8(0x64);
    if (with_hop_by_hop) w.U8(17).U8(0).Zeros(6);
    w.Raw(l4);
    return w.bytes();
}

std::vector<uint8_t> Ethernet(const std::vector<uint8_t>& ip, uint16_t type, int vlans = 0) {
    Writer w;
    w.Zeros(12);
    for (int i = 0; i < vlans; ++i) w.U16(i == 0 ? 0x88a8 : 0x8100).U16(100 + i);
    w.U16(type).Raw(ip);
    return w.bytes();
}

// A classic little-endian pcap file with `link` and the given frames.
std::string WritePcap(const std::string& name, uint32_t link,
                      const std::vector<std::vector<uint8_t>>& frames) {
    std::vector<uint8_t> b;
    Le32(&b, 0xa1b2c3d4);
    Le16(&b, 2);
    Le16(&b, 4);
    Le32(&b, 0);
    Le32(&b, 0);
    Le32(&b, 65535);
    Le32(&b, link);
    uint32_t t = 1700000000;
    for (const auto& f : frames) {
        Le32(&b, t++);
        Le32(&b, 250000);
        Le32(&b, f.size());
        Le32(&b, f.size());
        b.insert(b.end(), f.begin(), f.end());
    }
    const std::string path =
        (fs::temp_directory_path() / ("wire_pcap_" + std::to_string(getpid()) + "_" + name))
            .string();
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return path;
}

// A pcapng file: section header, one interface of `link`, enhanced packet blocks.
std::string WritePcapng(const std::string& name, uint16_t link,
                        const std::vector<std::vector<uint8_t>>& frames) {
    std::vector<uint8_t> b;
    Le32(&b, 0x0a0d0d0a);
    Le32(&b, 28);
    Le32(&b, 0x1a2b3c4d);
    Le16(&b, 1);
    Le16(&b, 0);
    Le32(&b, 0xffffffff);
    Le32(&b, 0xffffffff);
    Le32(&b, 28);
    Le32(&b, 1);
    Le32(&b, 20);
    Le16(&b, link);
    Le16(&b, 0);
    Le32(&b, 65535);
    Le32(&b, 20);
    for (const auto& f : frames) {
        const uint32_t padded = (f.size() + 3) & ~3u;
        const uint32_t len = 32 + padded;
        Le32(&b, 6);
        Le32(&b, len);
        Le32(&b, 0);
        const uint64_t us = 1700000000ull * 1000000 + 500000;
        Le32(&b, static_cast<uint32_t>(us >> 32));
        Le32(&b, static_cast<uint32_t>(us));
        Le32(&b, f.size());
        Le32(&b, f.size());
        b.insert(b.end(), f.begin(), f.end());
        b.insert(b.end(), padded - f.size(), 0);
        Le32(&b, len);
    }
    const std::string path =
        (fs::temp_directory_path() / ("wire_pcapng_" + std::to_string(getpid()) + "_" + name))
            .string();
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    return path;
}

std::vector<std::string> ReadAll(const std::string& path, flow::wire::PcapCounters* counters,
                                 std::vector<UdpDatagram>* meta = nullptr) {
    auto reader = PcapUdpReader::Open(path);
    REQUIRE(reader.ok());
    std::vector<std::string> payloads;
    UdpDatagram d;
    while (true) {
        auto more = (*reader)->Next(&d);
        REQUIRE(more.ok());
        if (!more.value()) break;
        payloads.emplace_back(reinterpret_cast<const char*>(d.payload), d.length);
        if (meta != nullptr) meta->push_back(d);
    }
    *counters = (*reader)->counters();
    std::remove(path.c_str());
    return payloads;
}

}  // namespace

TEST_CASE("Pcap reader yields UDP payloads over Ethernet with VLAN tags", "[wire][pcap]") {
    const auto udp = Udp(40000, 2055, "hello");
    auto cut = Ethernet(Ipv4(udp, 17), 0x0800);
    cut.resize(40);  // snapped inside the UDP payload
    const std::vector<std::vector<uint8_t>> frames = {
        Ethernet(Ipv4(udp, 17), 0x0800),
        Ethernet(Ipv4(udp, 17), 0x0800, 2),           // QinQ
        Ethernet(Ipv4(Udp(1, 2, "tcp"), 6), 0x0800),  // not UDP
        Ethernet(Ipv4(udp, 17, 0x2000), 0x0800),      // more fragments
        Ethernet(Ipv4(udp, 17, 0x0010), 0x0800),      // later fragment
        Ethernet({1, 2, 3}, 0x0806),                  // ARP
        Ethernet(Ipv6(Udp(40001, 4739, "six"), true), 0x86dd),
        cut,
    };
    flow::wire::PcapCounters c;
    std::vector<UdpDatagram> meta;
    auto payloads = ReadAll(WritePcap("eth", 1, frames), &c, &meta);
    REQUIRE(payloads.size() == 3);
    CHECK(payloads[0] == "hello");
    CHECK(payloads[1] == "hello");
    CHECK(payloads[2] == "six");
    CHECK(meta[0].source.ToString() == "192.0.2.7");
    CHECK(meta[0].source.port == 40000);
    CHECK(meta[0].destination.port == 2055);
    CHECK(meta[0].timestamp_ms == 1700000000250ull);
    CHECK(meta[2].source.v6);
    CHECK(meta[2].source.ToString() == "2001:db8::7");
    CHECK(c.frames == 8);
    CHECK(c.datagrams == 3);
    CHECK(c.not_udp == 1);
    CHECK(c.fragments == 2);
    CHECK(c.not_ip == 1);
    CHECK(c.truncated == 1);
}

TEST_CASE("Pcap reader handles cooked, raw and loopback link types", "[wire][pcap]") {
    const auto ip = Ipv4(Udp(9, 9995, "v5"), 17);
    Writer sll;
    sll.U16(0).U16(1).U16(6).Zeros(8).U16(0x0800).Raw(ip);
    Writer sll2;
    sll2.U16(0x0800).U16(0).U32(1).U16(1).U8(0).U8(6).Zeros(8).Raw(ip);
    Writer null;
    null.U8(2).U8(0).U8(0).U8(0).Raw(ip);  // AF_INET, host order
    auto [name, link, frame] = GENERATE_COPY(table<std::string, uint32_t, std::vector<uint8_t>>({
        {"sll", 113, sll.bytes()},
        {"sll2", 276, sll2.bytes()},
        {"raw", 101, ip},
        {"ipv4", 228, ip},
        {"null", 0, null.bytes()},
    }));
    CAPTURE(name);
    flow::wire::PcapCounters c;
    auto payloads = ReadAll(WritePcap(name, link, {frame}), &c);
    REQUIRE(payloads.size() == 1);
    CHECK(payloads[0] == "v5");
}

TEST_CASE("Pcap reader reads pcapng and refuses what is not a capture", "[wire][pcap]") {
    flow::wire::PcapCounters c;
    auto payloads =
        ReadAll(WritePcapng("ng", 1, {Ethernet(Ipv4(Udp(1, 2055, "ng"), 17), 0x0800)}), &c);
    REQUIRE(payloads.size() == 1);
    CHECK(payloads[0] == "ng");

    auto missing = PcapUdpReader::Open("/nonexistent/capture.pcap");
    CHECK(missing.status().code() == flow::StatusCode::kIoError);
    const std::string junk = (fs::temp_directory_path() / "wire_not_a_pcap").string();
    std::ofstream(junk) << "definitely not a capture file";
    auto bad = PcapUdpReader::Open(junk);
    CHECK_FALSE(bad.ok());
    std::remove(junk.c_str());
}

TEST_CASE("Pcap reader on corpus captures", "[wire][pcap][corpus]") {
    const fs::path corpus = FLOWKIT_CORPUS_DIR;
    if (!fs::exists(corpus / "groups.tsv")) {
        WARN("corpus not found at " << corpus << ": skipped");
        return;
    }
    auto count = [&](const std::string& file, flow::wire::PcapCounters* c) {
        auto reader = PcapUdpReader::Open((corpus / file).string());
        REQUIRE(reader.ok());
        UdpDatagram d;
        size_t n = 0;
        bool v6 = false;
        while ((*reader)->Next(&d).value()) {
            ++n;
            v6 |= d.source.v6;
        }
        *c = (*reader)->counters();
        return std::pair{n, v6};
    };
    flow::wire::PcapCounters c;
    // 66 IPFIX datagrams over IPv6 plus a BGP session (TCP) in the same capture.
    auto [ipfix, v6] = count("ipfix/pmacct__501-IPFIXv10-BGP-IPv6-CISCO-MPLS__traffic-00.pcap", &c);
    CHECK(v6);
    CHECK(c.not_udp > 0);
    CHECK(ipfix >= 66);
    // Fragmented IPv4 traffic is counted, not decoded.
    (void)count("pcap-traffic/loghub__ipv4frags.pcap", &c);
    CHECK(c.fragments > 0);
    // pcapng.
    auto [gre, unused] = count("pcap-traffic/ndpi__gre.pcapng", &c);
    CHECK(c.frames > 0);
    (void)gre;
    (void)unused;
}
