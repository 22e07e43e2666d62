// SPDX-License-Identifier: BSD-2-Clause
// The 16 flows of the spec's sample data set (spec/nfdump-cli.md Appendix A), built by hand
// as nfcapd 1.7.1 stored them, for the output tests that compare against the spec's verbatim
// nfdump 1.7.1 listings.
#pragma once

#include <arpa/inet.h>

#include <cstdint>
#include <string>
#include <vector>

#include "flow/record.h"

namespace flow::output::testing {

inline IpAddr V4(const char* text) {
    in_addr a{};
    inet_pton(AF_INET, text, &a);
    return IpAddr::V4(ntohl(a.s_addr));
}

inline IpAddr V6(const char* text) {
    uint8_t b[16] = {};
    inet_pton(AF_INET6, text, b);
    return IpAddr::V6(b);
}

// 2024-07-11 09:15:00 UTC, the export time of the sample datagram.
inline constexpr uint64_t kBaseMs = 1720689300000ull;
// When the sample collector received the datagram (2026-12-04 15:09:41.803 UTC).
inline constexpr uint64_t kReceivedMs = 1796396981803ull;

struct SampleRow {
    const char* src;
    const char* dst;
    uint16_t sport, dport;
    uint8_t proto;
    uint64_t packets, bytes;
    uint64_t start_ms, dur_ms;
    uint8_t flags, tos;
    uint32_t src_as, dst_as, in, out;
    const char* next_hop;
    uint8_t src_mask, dst_mask;
    uint32_t src_vlan, dst_vlan;
};

inline const std::vector<SampleRow>& SampleRows() {
    static const std::vector<SampleRow> rows = {
        {"192.168.1.10", "10.0.0.1", 51234, 80, 6, 10, 5200, 0, 1500, 0x1b, 0, 65001, 65002, 1, 2,
         "192.168.1.1",  24,         8,     10, 20},
        {"10.0.0.1", "192.168.1.10", 80, 51234, 6,  8, 12000, 10, 1490, 0x1a, 0, 65002, 65001, 2,
         1,          "10.0.0.254",   8,  24,    20, 10},
        {"192.168.1.11", "8.8.8.8", 40000, 53, 17, 1, 64, 200, 0, 0, 0, 65001, 15169, 1, 3,
         "192.168.1.1",  24,        0,     10, 0},
        {"8.8.8.8", "192.168.1.11", 53, 40000, 17, 1, 128, 250, 0, 0, 0, 15169, 65001, 3,
         1,         "192.168.1.1",  0,  24,    0,  10},
        {"192.168.1.12", "172.16.5.5", 0,  0,  1, 4, 336, 1000, 3000, 0, 0, 65001, 65003, 1, 4,
         "192.168.1.1",  24,           16, 10, 30},
        {"172.16.5.5",
         "192.168.1.12",
         0,
         0,
         1,
         4,
         336,
         1005,
         3000,
         0,
         0,
         65003,
         65001,
         4,
         1,
         "172.16.0.1",
         16,
         24,
         30,
         10},
        {"192.168.1.13", "10.1.2.3", 51000, 443, 6, 5000,          5900000, 2000, 60000, 0x1f,
         0x28,           65001,      65002, 1,   2, "192.168.1.1", 24,      8,    10,    20},
        {"10.1.2.3", "192.168.1.13", 443,  51000, 6,     4200000, 6300000000ull,
         2000,       60000,          0x1b, 0x28,  65002, 65001,   2,
         1,          "10.0.0.254",   8,    24,    20,    10},
        {"192.168.1.14", "10.0.0.2", 1024, 22, 6, 1, 40, 5000, 0, 0x02, 0, 65001, 65002, 1, 2,
         "192.168.1.1",  24,         8,    10, 20},
        {"10.0.0.2", "192.168.1.14", 22, 1024, 6,  1, 40, 5001, 0, 0x14, 0, 65002, 65001, 2,
         1,          "10.0.0.254",   8,  24,   20, 10},
        {"192.168.2.20", "10.0.0.3", 5060,  5060, 17, 120,           96000, 6000, 119000, 0,
         0xb8,           65001,      65004, 5,    6,  "192.168.2.1", 24,    8,    40,     50},
        {"192.168.2.21", "10.0.0.4", 33333, 8080, 6, 30, 20000, 7000, 12345, 0x18, 0, 0, 0, 5, 6,
         "0.0.0.0",      24,         8,     40,   50},
        {"2001:db8:1::10",
         "2001:db8:2::20",
         50000,
         443,
         6,
         20,
         15000,
         3000,
         2500,
         0x1b,
         0,
         65001,
         65002,
         1,
         2,
         "2001:db8:1::1",
         64,
         64,
         0,
         0},
        {"2001:db8:2::20",
         "2001:db8:1::10",
         443,
         50000,
         6,
         25,
         30000,
         3001,
         2499,
         0x1b,
         0,
         65002,
         65001,
         2,
         1,
         "2001:db8:2::1",
         64,
         64,
         0,
         0},
        {"2001:db8:abcd:1234:5678:9abc:def0:1234",
         "2a00:1450:4001:80b::200e",
         44444,
         53,
         17,
         2,
         180,
         4000,
         10,
         0,
         0,
         65001,
         15169,
         1,
         3,
         "fe80::1",
         64,
         64,
         0,
         0},
        {"fe80::1", "ff02::1", 0, 0, 58, 1, 72, 8000, 0, 0, 0, 0, 0, 1, 0, "::", 64, 64, 0, 0},
    };
    return rows;
}

// Record `index` (0-based) of the sample set with every element nfcapd 1.7.1 stored for it.
inline FlowRecord SampleRecord(size_t index) {
    const SampleRow& row = SampleRows().at(index);
    bool v6 = std::string(row.src).find(':') != std::string::npos;
    FlowRecord r;
    r.Set(kExGenericFlow);
    r.Set(v6 ? kExIpv6Flow : kExIpv4Flow);
    r.Set(kExFlowMisc);
    r.Set(kExAsRouting);
    r.Set(v6 ? kExIpNextHopV6 : kExIpNextHopV4);
    r.Set(kExIpReceivedV4);
    r.nfversion = 9;
    r.engine_type = 0;
    r.engine_id = 1;
    r.exporter_sysid = 1;
    r.first_ms = kBaseMs + row.start_ms;
    r.last_ms = r.first_ms + row.dur_ms;
    r.received_ms = kReceivedMs;
    r.packets = row.packets;
    r.bytes = row.bytes;
    r.src_port = row.sport;
    r.dst_port = row.dport;
    r.proto = row.proto;
    r.tcp_flags = row.flags;
    r.src_tos = row.tos;
    r.src_addr = v6 ? V6(row.src) : V4(row.src);
    r.dst_addr = v6 ? V6(row.dst) : V4(row.dst);
    r.input = row.in;
    r.output = row.out;
    r.src_mask = row.src_mask;
    r.dst_mask = row.dst_mask;
    r.src_as = row.src_as;
    r.dst_as = row.dst_as;
    r.ip_next_hop = v6 ? V6(row.next_hop) : V4(row.next_hop);
    r.received_from = V4("127.0.0.1");
    if (!v6) {
        r.Set(kExVlan);
        r.Set(kExMacAddr);
        r.src_vlan = row.src_vlan;
        r.dst_vlan = row.dst_vlan;
        r.in_src_mac = 0x001122334455ull + index / 2;  // 44:55 for #1, 44:57 for #5
        r.out_dst_mac = 0x66778899aabbull;
    }
    return r;
}

inline std::vector<FlowRecord> SampleRecords() {
    std::vector<FlowRecord> out;
    for (size_t i = 0; i < SampleRows().size(); ++i) out.push_back(SampleRecord(i));
    return out;
}

// Everything up to and excluding the last line (the timing line differs between runs).
inline std::string WithoutLastLine(const std::string& text) {
    if (text.empty()) return text;
    size_t end = text.size() - 1;  // the final '\n'
    size_t pos = text.rfind('\n', end - 1);
    return pos == std::string::npos ? std::string() : text.substr(0, pos + 1);
}

}  // namespace flow::output::testing
