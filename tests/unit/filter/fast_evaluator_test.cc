// SPDX-License-Identifier: BSD-2-Clause
// The fast evaluator (plain field, flags, address and family tests) against the general one:
// every filter compiled both ways must give the same answer on every record, generated
// records with values the filters test for mixed with random bytes.
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "unit/filter/test_util.h"

namespace flow::filter::testing {
namespace {

// Filters the fast form takes: operators' everyday filters, every comparator, flags under
// `not`, both families, shifted and masked fields, and/or/not nests.
const std::vector<std::string>& FastFilters() {
    static const std::vector<std::string> filters = {
        "proto 132",
        "proto tcp",
        "not proto tcp",
        "proto tcp or proto udp",
        "port 53",
        "not port 53",
        "port not 53",
        "src port 80",
        "dst port 22",
        "port > 1024",
        "port >= 1024",
        "port < 100",
        "port <= 80",
        "port > 65535",
        "port < 0",
        "port 80-90",
        "portrange 1-100",
        "proto tcp and dst port 22",
        "proto tcp and (port 80 or port 443)",
        "proto tcp and port 80 or port 53",
        "(proto tcp or proto udp) and port 53",
        "host 10.0.0.1",
        "src host 10.0.0.1",
        "dst ip 192.168.1.10",
        "not host 10.0.0.1",
        "src and dst ip 10.0.0.1",
        "net 10.0.0.0/8",
        "net 10/8",
        "src net 192.168.0.0/16",
        "dst net 10.0.0.0/8 and not (port 22)",
        "net 0.0.0.0/0",
        "net 192.168.1.0 255.255.255.0",
        "host 2001:db8::1",
        "net 2001:db8::/32",
        "net 2001:db8:1::/48",
        "src net 2001:db8:0:1::/64",
        "net 2001:db8::/65",
        "net ::/0",
        "ip 2001:db8:1::10 or host 10.0.0.1",
        "next ip 192.168.1.1",
        "router ip 127.0.0.10",
        "bgpnext ip 0.0.0.0",
        "ipv4",
        "ipv6",
        "not ipv6 and port 53",
        "inet6 and net 2001:db8::/32",
        "flags S",
        "flags SA",
        "flags A and not flags S",
        "not flags AF",
        "flags S and not flags AFRPU",
        "flags 0x02",
        "flags = 27",
        "flags > 20",
        "tos 40",
        "tos > 10",
        "src tos 40",
        "dst tos < 8",
        "packets > 100",
        "packets >= 1k",
        "bytes < 100",
        "bytes > 1G",
        "out packets 0",
        "flows 1",
        "icmp-type 8",
        "icmp-type 3 and icmp-code 3",
        "icmp-code 0",
        "mask 24",
        "src mask 24",
        "dst mask 8",
        "vlan 10",
        "src vlan 10",
        "if 1",
        "in if 1",
        "out if 2",
        "as 65001",
        "dst as 15169",
        "next as 0",
        "mac 00:11:22:33:44:55",
        "in src mac 00:11:22:33:44:55",
        "engine-type 0",
        "engine-id > 0",
        "sysid 1",
        "nfversion 9",
        "dir 0",
        "ttl > 64",
        "min ttl < 10",
        "max ttl 255",
        "ethertype 0x86dd",
        "sampled",
        "not sampled and proto udp",
        "(dst port 443 or src port 443) and proto tcp and not src host 10.1.2.3",
        "not src host 192.168.0.1 and dst net 192.168.0.0/24",
        " (dst ip 192.168.1.10 or dst net 10.0.0.0/8) and (src port 80 or src port 443)",
        "(port 22 or port 53) and (host 10.0.0.1 or net 2001:db8::/32) and not flags R",
        "not (proto tcp and (flags S or flags F)) or tos 0",
    };
    return filters;
}

// Filters with no fast form: both compilations take the general evaluator.
const std::vector<std::string>& GeneralFilters() {
    static const std::vector<std::string> filters = {
        "port in [80 443 22]",
        "not (port 53 or port 80 or port 443)",  // a list
        "ip in [192.168.1.10 10.0.0.1]",
        "duration > 1000",
        "bps > 1M",
        "pps > 100",
        "bpp 1500",
        "count < 3",
        "(proto tcp) %web or port 53",
        "proto tcp and ip in [10.0.0.0/8]",
    };
    return filters;
}

IpAddr PickAddress(std::mt19937_64& rng) {
    static const char* const kAddresses[] = {
        "10.0.0.1",    "10.1.2.3",      "192.168.1.10", "192.168.0.1",     "192.0.2.1",
        "127.0.0.10",  "0.0.0.0",       "255.255.255.255", "2001:db8::1", "2001:db8:1::10",
        "2001:db8:0:1::5", "2001:db8:0:1:8000::", "fe80::1", "::",         "::ffff:10.0.0.1",
    };
    constexpr size_t kCount = sizeof(kAddresses) / sizeof(kAddresses[0]);
    return ParseIp(kAddresses[rng() % kCount]);
}

template <typename T>
T Pick(std::mt19937_64& rng, std::initializer_list<T> values) {
    return *(values.begin() + rng() % values.size());
}

// A record of random bytes, then, each with even odds, fields set to values the filters
// test for (and the family bits made consistent with the addresses half the time).
FlowRecord RandomRecord(std::mt19937_64& rng) {
    FlowRecord r;
    auto* bytes = reinterpret_cast<unsigned char*>(&r);
    for (size_t i = 0; i < sizeof(r); ++i) bytes[i] = static_cast<unsigned char>(rng());
    auto coin = [&rng] { return (rng() & 1) != 0; };
    if (coin()) r.proto = Pick<uint8_t>(rng, {1, 6, 17, 58, 132});
    if (coin()) r.src_port = Pick<uint16_t>(rng, {0, 22, 53, 80, 90, 100, 443, 1024, 65535});
    if (coin()) r.dst_port = Pick<uint16_t>(rng, {0, 22, 53, 80, 443, 1025, 0x0303, 0x0800});
    if (coin()) r.src_addr = PickAddress(rng);
    if (coin()) r.dst_addr = PickAddress(rng);
    if (coin()) r.ip_next_hop = PickAddress(rng);
    if (coin()) r.received_from = PickAddress(rng);
    if (coin()) r.bgp_next_hop = PickAddress(rng);
    if (coin()) r.tcp_flags = Pick<uint8_t>(rng, {0, 0x02, 0x12, 0x10, 0x11, 0x1b, 0x04});
    if (coin()) r.src_tos = Pick<uint8_t>(rng, {0, 40, 184, 7});
    if (coin()) r.packets = Pick<uint64_t>(rng, {0, 1, 10, 100, 101, 1000, 2000000});
    if (coin()) r.bytes = Pick<uint64_t>(rng, {0, 64, 99, 100, 5900000, 2000000000});
    if (coin()) r.out_packets = 0;
    if (coin()) r.flows = 1;
    if (coin()) r.src_mask = Pick<uint8_t>(rng, {0, 8, 24, 64});
    if (coin()) r.dst_mask = Pick<uint8_t>(rng, {0, 8, 24, 64});
    if (coin()) r.src_vlan = Pick<uint32_t>(rng, {0, 10, 20});
    if (coin()) r.input = Pick<uint32_t>(rng, {0, 1, 2});
    if (coin()) r.output = Pick<uint32_t>(rng, {0, 1, 2});
    if (coin()) r.src_as = Pick<uint32_t>(rng, {0, 65001, 15169});
    if (coin()) r.dst_as = Pick<uint32_t>(rng, {0, 65001, 15169});
    if (coin()) r.next_as = 0;
    if (coin()) r.in_src_mac = 0x001122334455;
    if (coin()) r.engine_type = 0;
    if (coin()) r.exporter_sysid = 1;
    if (coin()) r.nfversion = Pick<uint8_t>(rng, {5, 9, 10});
    if (coin()) r.dir = 0;
    if (coin()) r.flags = Pick<uint8_t>(rng, {0, 1, 2, 3});
    if (coin()) r.min_ttl = Pick<uint8_t>(rng, {1, 9, 64, 65});
    if (coin()) r.max_ttl = Pick<uint8_t>(rng, {64, 255});
    if (coin()) r.ether_type = 0x86dd;
    if (coin()) {
        r.Unset(kExIpv4Flow);
        r.Unset(kExIpv6Flow);
        r.Set(r.src_addr.hi != 0 ? kExIpv6Flow : kExIpv4Flow);
    }
    return r;
}

std::vector<FlowRecord> TestRecords() {
    std::vector<FlowRecord> records;
    for (const SampleRow& row : SampleRows()) {
        FlowRecord r = MakeFlow(row.src, row.dst, row.proto, row.sport, row.dport);
        r.tcp_flags = row.flags;
        r.src_tos = row.tos;
        r.packets = row.packets;
        r.bytes = row.bytes;
        records.push_back(r);
    }
    records.push_back(FlowRecord());
    std::mt19937_64 rng(20261205);
    for (int i = 0; i < 4000; ++i) records.push_back(RandomRecord(rng));
    return records;
}

void CheckSameAnswers(const std::string& text, const std::vector<FlowRecord>& records,
                      bool expect_fast) {
    INFO("filter: " << text);
    Filter fast = MustCompile(text);
    CompileOptions general_only;
    general_only.fast_evaluator = false;
    Filter general = MustCompile(text, general_only);
    CHECK(fast.fast_evaluator() == expect_fast);
    REQUIRE_FALSE(general.fast_evaluator());
    size_t matched = 0;
    size_t differ = 0;
    for (const FlowRecord& r : records) {
        const bool want = general.Match(r);
        matched += want ? 1 : 0;
        if (fast.Match(r) != want) ++differ;
        MatchContext ctx{7};
        if (fast.Match(r, ctx) != general.Match(r, ctx)) ++differ;
        std::string_view fast_label = "x";
        std::string_view general_label = "y";
        if (fast.Match(r, ctx, &fast_label) != general.Match(r, ctx, &general_label) ||
            fast_label != general_label) {
            ++differ;
        }
    }
    CHECK(differ == 0);
    INFO("matched " << matched << " of " << records.size());
}

TEST_CASE("filter fast evaluator: same answers as the general one", "[filter][fast]") {
    const std::vector<FlowRecord> records = TestRecords();
    for (const std::string& text : FastFilters()) CheckSameAnswers(text, records, true);
    for (const std::string& text : GeneralFilters()) CheckSameAnswers(text, records, false);
}

TEST_CASE("filter fast evaluator: a filter that tests for something passes some records",
          "[filter][fast]") {
    // Guards the generator: a filter every record passes (or none) compares little.
    const std::vector<FlowRecord> records = TestRecords();
    for (const char* text : {"proto tcp and dst port 22", "host 10.0.0.1", "net 2001:db8::/32",
                             "flags SA", "not port 53", "sampled"}) {
        INFO("filter: " << text);
        Filter f = MustCompile(text);
        size_t n = 0;
        for (const FlowRecord& r : records) n += f.Match(r) ? 1 : 0;
        CHECK(n > 0);
        CHECK(n < records.size());
    }
}

// And- and or-chains of tests run every test with no jump that depends on the record
// (FastForm::kChain); the answers are compared with the general evaluator's above.
TEST_CASE("filter fast evaluator: and- and or-chains take the chain form", "[filter][fast]") {
    for (const char* text : {"proto tcp and dst port 22", "port 53", "not port 53",
                             "proto tcp or proto udp", "src port 80 and dst port > 1024",
                             "not (proto tcp and dst port 22)", "proto udp and not port 53"}) {
        INFO("filter: " << text);
        CHECK(std::string(MustCompile(text).evaluator_name()) == "chain");
    }
    CHECK(std::string(MustCompile("proto 132").evaluator_name()) == "one-test");
    // A mix of and and or jumps on the first test that decides.
    CHECK(std::string(MustCompile("proto tcp and (port 22 or port 80)").evaluator_name()) ==
          "jumps");
    CompileOptions general_only;
    general_only.fast_evaluator = false;
    CHECK(std::string(MustCompile("port 53", general_only).evaluator_name()) == "general");
}

TEST_CASE("filter fast evaluator: constant filters keep the general path", "[filter][fast]") {
    CHECK_FALSE(MustCompile("").fast_evaluator());
    CHECK_FALSE(MustCompile("any").fast_evaluator());
    CHECK_FALSE(MustCompile("port > 65535 and port < 0").Match(FlowRecord()));
}

}  // namespace
}  // namespace flow::filter::testing
