// SPDX-License-Identifier: BSD-2-Clause
// -A/-a/-O: key parsing with nfdump's messages, grouping of the Appendix A flows, masks with
// 1.7.1's mixed-family quirk, and ordering with -n limits.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "flow/aggregate.h"
#include "aggregate/group_records.h"
#include "unit/output/sample_records.h"

using flow::aggregate::AggField;
using flow::aggregate::Aggregator;
using flow::aggregate::ParseAggregateSpec;
using flow::aggregate::ParseRecordOrder;
using flow::aggregate::RecordOrder;
using flow::aggregate::RecordOrderSpec;
using flow::output::testing::SampleRecord;
using flow::output::testing::SampleRows;

namespace {

void AddSamples(Aggregator* agg) {
    for (size_t i = 0; i < SampleRows().size(); ++i) agg->Add(SampleRecord(i));
}

std::string ErrorOf(const char* arg) {
    auto s = ParseAggregateSpec(arg);
    return s.ok() ? "ok" : s.status().message();
}

}  // namespace

TEST_CASE("ParseAggregateSpec keys and masks and messages") {
    auto s = ParseAggregateSpec("SrcIP4/24,dstport");
    REQUIRE(s.ok());
    REQUIRE(s->keys.size() == 2);
    CHECK(s->keys[0].field == AggField::kSrcIp);
    CHECK(s->keys[0].v4_bits == 24);
    CHECK(s->keys[1].field == AggField::kDstPort);
    CHECK(s->AutoFormat() == "fmt:%ts %td  %sa %dp  %pkt %byt %bps %bpp %fl");

    CHECK(ErrorOf("foo") == "Unknown aggregation field 'foo'");
    CHECK(ErrorOf("srcip,srcip") == "Duplicate aggregation mask: srcip");
    CHECK(ErrorOf("srcip/24") ==
          "Need src4/dst4 or src6/dst6 for IPv4 or IPv6 to aggregate "
          "with explicit netmask: 'srcip/24'");
    CHECK(ErrorOf("srcip4") == "'srcip4' needs number of subnet bits to aggregate");
    CHECK(ErrorOf("srcip4/33") == "Subnet mask length '33' out of range for IPv4");
    CHECK(ErrorOf("dstip6/129") == "Subnet mask length '129' out of range for IPv6");
}

TEST_CASE("ParseRecordOrder names and defaults and directions") {
    CHECK(ParseRecordOrder("bytes")->order == RecordOrder::kBytes);
    CHECK_FALSE(ParseRecordOrder("bytes")->ascending);
    CHECK(ParseRecordOrder("tstart")->ascending);
    CHECK_FALSE(ParseRecordOrder("tstart:d")->ascending);
    CHECK(ParseRecordOrder("flows:a")->ascending);
    CHECK_FALSE(ParseRecordOrder("foo").ok());
    CHECK_FALSE(ParseRecordOrder("bytes:x").ok());
}

TEST_CASE("aggregation by proto and dstport groups the sample flows as spec 4.6 shows") {
    Aggregator agg(*ParseAggregateSpec("proto,dstport"));
    AddSamples(&agg);
    auto top = agg.Groups(RecordOrderSpec{RecordOrder::kBytes, false}, 3);
    REQUIRE(top.size() == 3);
    CHECK(top[0]->dst_port == 51000);
    CHECK(top[0]->flows == 1);
    CHECK(top[1]->dst_port == 443);
    CHECK(top[1]->flows == 2);
    CHECK(top[1]->packets == 5020);
    CHECK(top[1]->proto == 6);
    CHECK(top[1]->src_port == 0);  // not a key: zero
    CHECK(top[1]->tcp_flags == 0);
    CHECK(top[2]->dst_port == 5060);
    CHECK(top[2]->proto == 17);
}

TEST_CASE("five-tuple aggregation keeps the first record and ORs TCP flags in first-seen order") {
    flow::aggregate::AggregateSpec five;
    five.five_tuple = true;
    Aggregator a(five);
    flow::FlowRecord r = SampleRecord(0);
    r.tcp_flags = 0x02;
    a.Add(r);
    r.tcp_flags = 0x10;
    r.first_ms -= 5;
    a.Add(r);
    a.Add(SampleRecord(1));
    REQUIRE(a.size() == 2);
    auto all = a.Groups(RecordOrderSpec{}, 0);
    REQUIRE(all.size() == 2);
    CHECK(all[0]->tcp_flags == 0x12);
    CHECK(all[0]->flows == 2);
    CHECK(all[0]->first_ms == SampleRecord(0).first_ms - 5);
    CHECK(all[1]->src_addr == SampleRecord(1).src_addr);
}

TEST_CASE("srcip4/16 masks the low bits of IPv6 addresses too (1.7.1 quirk)") {
    Aggregator agg(*ParseAggregateSpec("srcip4/16"));
    AddSamples(&agg);
    bool found = false;
    for (const flow::FlowRecord* g : agg.Groups(RecordOrderSpec{}, 0)) {
        if (g->IsV6() && g->src_addr.hi == flow::output::testing::V6("2001:db8:1::10").hi) {
            CHECK(g->src_addr.lo == 0);
            found = true;
        }
        if (!g->IsV6()) CHECK((g->src_addr.lo & 0xffff) == 0);
    }
    CHECK(found);
}

TEST_CASE("bidirectional aggregation pairs a TCP flow with its reverse but not ICMP") {
    flow::aggregate::AggregateSpec spec;
    spec.five_tuple = true;
    spec.bidirectional = true;
    Aggregator agg(spec);
    for (size_t i = 0; i < 6; ++i) agg.Add(SampleRecord(i));  // TCP, UDP and ICMP pairs
    auto all = agg.Groups(RecordOrderSpec{}, 0);
    REQUIRE(all.size() == 4);  // spec 4.4: two merged pairs, two ICMP records
    CHECK(all[0]->flows == 2);
    CHECK(all[0]->packets == 10);
    CHECK(all[0]->out_packets == 8);
    CHECK(all[0]->out_bytes == 12000);
    CHECK(all[1]->flows == 2);
    CHECK(all[2]->flows == 1);
    CHECK(all[3]->flows == 1);
}

TEST_CASE("Aggregated groups keep next-hop elements with zero values unless they are keys") {
    // nfdump prints a zero IPv6 next hop of an aggregated IPv6 flow as `::` (its element
    // travels), an IPv4 one as 0.0.0.0; the value itself is only kept when it is a key.
    flow::FlowRecord r;
    r.Set(flow::kExGenericFlow);
    r.Set(flow::kExIpv6Flow);
    r.Set(flow::kExIpNextHopV6);
    r.Set(flow::kExBgpNextHopV6);
    r.src_addr = flow::output::testing::V6("2001:db8:1::10");
    r.dst_addr = flow::output::testing::V6("2001:db8:2::20");
    r.ip_next_hop = flow::output::testing::V6("2001:db8:ff::1");
    r.bgp_next_hop = flow::output::testing::V6("2001:db8:ff::2");
    r.packets = 3;
    r.bytes = 300;

    Aggregator by_ip(*ParseAggregateSpec("srcip,dstip"));
    by_ip.Add(r);
    auto g = by_ip.Groups(RecordOrderSpec{}, 0);
    REQUIRE(g.size() == 1);
    CHECK(g[0]->Has(flow::kExIpNextHopV6));
    CHECK(g[0]->Has(flow::kExBgpNextHopV6));
    CHECK(g[0]->ip_next_hop == flow::IpAddr{});
    CHECK(g[0]->bgp_next_hop == flow::IpAddr{});

    Aggregator by_next(*ParseAggregateSpec("next"));
    by_next.Add(r);
    g = by_next.Groups(RecordOrderSpec{}, 0);
    REQUIRE(g.size() == 1);
    CHECK(g[0]->ip_next_hop == r.ip_next_hop);
    CHECK(g[0]->bgp_next_hop == flow::IpAddr{});
}

TEST_CASE("Aggregation keys beyond the five-tuple: tos, MPLS, MAC, networks, NAT, ids") {
    auto s = ParseAggregateSpec("tos,mpls2,insrcmac,srcnet,odid,xsrcport");
    REQUIRE(s.ok());
    CHECK(s->AutoFormat() ==
          "fmt:%ts %td  %tos %mpls2 %ismc %sn %odid %xsp  %pkt %byt %bps %bpp %fl");
    // nfdump's limit on the key text, and keys that would not fit the packed key.
    CHECK(ErrorOf("srcip,dstip,srcport,dstport,proto,srcas,dstas,inif,outif,router,tos") ==
          "Aggregate mask format length error");

    // srcnet groups by the record's own network and mask, and keeps that mask.
    Aggregator agg(*ParseAggregateSpec("srcnet"));
    flow::FlowRecord a;
    a.Set(flow::kExGenericFlow);
    a.Set(flow::kExIpv4Flow);
    a.src_addr = flow::IpAddr::V4(0x0a010203u);  // 10.1.2.3/16
    a.src_mask = 16;
    a.packets = 1;
    flow::FlowRecord b = a;
    b.src_addr = flow::IpAddr::V4(0x0a01ff01u);  // 10.1.255.1/16: same network
    flow::FlowRecord c = a;
    c.src_mask = 8;  // 10.0.0.0/8: another group
    agg.Add(a);
    agg.Add(b);
    agg.Add(c);
    auto g = agg.Groups(RecordOrderSpec{}, 0);
    REQUIRE(g.size() == 2);
    CHECK(g[0]->src_addr == flow::IpAddr::V4(0x0a010000u));
    CHECK(g[0]->src_mask == 16);
    CHECK(g[0]->flows == 2);
    CHECK(g[1]->src_addr == flow::IpAddr::V4(0x0a000000u));
    CHECK(g[1]->src_mask == 8);

    // MPLS label keys carry the label stack element; other labels stay zero.
    Aggregator by_label(*ParseAggregateSpec("mpls2"));
    flow::FlowRecord m = a;
    m.Set(flow::kExMplsLabel);
    m.mpls[0] = 0x111;
    m.mpls[1] = 0x222;
    by_label.Add(m);
    g = by_label.Groups(RecordOrderSpec{}, 0);
    REQUIRE(g.size() == 1);
    CHECK(g[0]->Has(flow::kExMplsLabel));
    CHECK(g[0]->mpls[1] == 0x222);
    CHECK(g[0]->mpls[0] == 0);
}

// Regression (newcomer): sfcapd 1.7.1 stores sFlow's "no VLAN" as 0xffffffff, which every
// output prints as 65535; -A srcvlan,dstvlan made it a group of its own beside 65535 where
// nfdump 1.7.1 shows one group.
TEST_CASE("VLAN keys group by the 16 bits every output prints") {
    Aggregator agg(*ParseAggregateSpec("srcvlan,dstvlan"));
    flow::FlowRecord a;
    a.Set(flow::kExGenericFlow);
    a.Set(flow::kExIpv4Flow);
    a.Set(flow::kExVlan);
    a.src_vlan = 0xffffffffu;  // as sfcapd 1.7.1 wrote it
    a.dst_vlan = 100;
    a.packets = 1;
    flow::FlowRecord b = a;
    b.src_vlan = 65535;  // as sfcapd 1.6 and flowcapd write it
    b.dst_vlan = 0x10064u;
    agg.Add(a);
    agg.Add(b);
    auto g = agg.Groups(RecordOrderSpec{}, 0);
    REQUIRE(g.size() == 1);
    CHECK(g[0]->src_vlan == 65535);
    CHECK(g[0]->dst_vlan == 100);
    CHECK(g[0]->flows == 2);
}

TEST_CASE("Aggregated groups and statistic rows add up to the totals on random flows") {
    // spec/bug-cases B32: 100,000 random flows, mixed families and many sources; the rows of
    // every aggregation and of an unlimited -s table must sum to the summary exactly.
    flow::aggregate::testing::XorShift next{0x9e3779b97f4a7c15ULL};
    std::vector<flow::FlowRecord> records;
    flow::output::Summary totals;
    for (int i = 0; i < 100000; ++i) {
        flow::FlowRecord r;
        r.Set(flow::kExGenericFlow);
        const uint64_t x = next();
        if (x % 5 == 0) {
            r.Set(flow::kExIpv6Flow);
            r.src_addr = flow::IpAddr{0x20010db800000000ULL | (x >> 48), next() % 5000};
            r.dst_addr = flow::IpAddr{0x20010db8ffff0000ULL, next() % 300};
        } else {
            r.Set(flow::kExIpv4Flow);
            r.src_addr = flow::IpAddr::V4(0x0a000000u | static_cast<uint32_t>(next() % 20000));
            r.dst_addr = flow::IpAddr::V4(0xc0a80000u | static_cast<uint32_t>(next() % 500));
        }
        r.proto = (x >> 8) % 3 == 0 ? 17 : 6;
        r.src_port = static_cast<uint16_t>(next());
        r.dst_port = static_cast<uint16_t>(next() % 1024);
        r.packets = 1 + next() % 1000;
        r.bytes = r.packets * (40 + next() % 1460);
        r.first_ms = 1720689300000ULL + next() % 3600000;
        r.last_ms = r.first_ms + next() % 60000;
        records.push_back(r);
        totals.Add(r);
    }
    for (const char* keys : {"srcip", "dstip", "srcip,dstport", "proto", "srcip4/24"}) {
        CAPTURE(keys);
        Aggregator agg(*ParseAggregateSpec(keys));
        for (const auto& r : records) agg.Add(r);
        uint64_t flows = 0, packets = 0, bytes = 0;
        for (const flow::FlowRecord* g :
             agg.Groups(RecordOrderSpec{RecordOrder::kBytes, false}, 0)) {
            flows += g->flows;
            packets += g->packets;
            bytes += g->bytes;
        }
        CHECK(flows == totals.flows);
        CHECK(packets == totals.packets);
        CHECK(bytes == totals.bytes);
    }
    // -s srcip -n 0 (csv rows): flows, packets and bytes columns add up; -s ip counts both
    // ends, so exactly twice the totals.
    for (const char* stat_arg : {"srcip/bytes", "ip"}) {
        CAPTURE(stat_arg);
        flow::aggregate::ElementStat stat(*flow::aggregate::ParseStatSpec(stat_arg));
        for (const auto& r : records) stat.Add(r);
        flow::aggregate::StatPrintOptions po;
        po.top_n = 0;
        po.csv = true;
        std::string out;
        stat.Print(po, totals, &out);
        uint64_t flows = 0, packets = 0, bytes = 0;
        size_t pos = out.find('\n') + 1;  // after the column line
        while (pos < out.size() && out[pos] != '\n') {
            size_t end = out.find('\n', pos);
            std::vector<std::string> f;
            size_t a = pos;
            for (size_t b; (b = out.find(',', a)) < end; a = b + 1)
                f.push_back(out.substr(a, b - a));
            f.push_back(out.substr(a, end - a));
            REQUIRE(f.size() == 14);
            flows += std::stoull(f[5]);
            packets += std::stoull(f[7]);
            bytes += std::stoull(f[9]);
            pos = end + 1;
        }
        const uint64_t k = std::string(stat_arg) == "ip" ? 2 : 1;
        CHECK(flows == k * totals.flows);
        CHECK(packets == k * totals.packets);
        CHECK(bytes == k * totals.bytes);
    }
}

TEST_CASE("bidirectional groups OR the TCP flags of records running the first record's way") {
    // Server 52.84.222.189:443, client 10.2.9.1:56137. -B turns server->client records
    // around; the flags still follow the direction the records had in the file.
    auto tcp = [](const char* src, uint16_t sp, const char* dst, uint16_t dp, uint8_t flags) {
        flow::FlowRecord r;
        r.Set(flow::kExGenericFlow);
        r.Set(flow::kExIpv4Flow);
        r.proto = 6;
        r.src_addr = flow::output::testing::V4(src);
        r.dst_addr = flow::output::testing::V4(dst);
        r.src_port = sp;
        r.dst_port = dp;
        r.tcp_flags = flags;
        r.packets = 1;
        r.bytes = 40;
        return r;
    };
    constexpr uint8_t kS = 0x02, kF = 0x01, kR = 0x04, kP = 0x08, kA = 0x10;
    for (bool swap : {false, true}) {
        CAPTURE(swap);
        flow::aggregate::AggregateSpec spec;
        spec.five_tuple = true;
        spec.bidirectional = true;
        spec.swap_server = swap;
        Aggregator agg(spec);
        // Three records server->client: every one's flags count.
        agg.Add(tcp("52.84.222.189", 443, "10.2.9.1", 56137, kS));
        agg.Add(tcp("52.84.222.189", 443, "10.2.9.1", 56137, kA | kP | kS | kF));
        agg.Add(tcp("52.84.222.189", 443, "10.2.9.1", 56137, kS));
        // Server->client first, then client->server: only the first record's flags.
        agg.Add(tcp("104.16.26.241", 443, "10.0.4.3", 59080, kA | kR));
        agg.Add(tcp("10.0.4.3", 59080, "104.16.26.241", 443, kS));
        // Client->server first, then server->client: only the first record's flags.
        agg.Add(tcp("10.3.7.18", 40000, "52.84.222.189", 443, kS));
        agg.Add(tcp("52.84.222.189", 443, "10.3.7.18", 40000, kA | kP | kS | kF));
        auto g = agg.Groups(RecordOrderSpec{}, 0);
        REQUIRE(g.size() == 3);
        CHECK(g[0]->flows == 3);
        CHECK(int{g[0]->tcp_flags} == (kA | kP | kS | kF));
        CHECK(g[1]->flows == 2);
        CHECK(int{g[1]->tcp_flags} == (kA | kR));
        CHECK(g[2]->flows == 2);
        CHECK(int{g[2]->tcp_flags} == kS);
        // -B prints the client first.
        CHECK(g[0]->src_port == (swap ? 56137 : 443));
    }
}

TEST_CASE("aggregation: -A groups past the first storage chunk keep their counters") {
    // -A groups are stored in chunks of 2^14; 40000 groups fill three.
    Aggregator agg(*ParseAggregateSpec("srcport"));
    flow::FlowRecord r = SampleRecord(0);
    for (uint32_t i = 0; i < 100000; ++i) {
        r.src_port = static_cast<uint16_t>(i % 40000);
        r.packets = i % 40000 == 39999 ? 1000000 : 1;
        agg.Add(r);
    }
    CHECK(agg.size() == 40000);
    auto all = agg.Groups(RecordOrderSpec{}, 0);  // first-seen order
    REQUIRE(all.size() == 40000);
    CHECK(all[16384]->src_port == 16384);
    CHECK(all[16384]->flows == 3);
    CHECK(all[39999]->src_port == 39999);
    CHECK(all[39999]->flows == 2);
    auto top = agg.Groups(RecordOrderSpec{RecordOrder::kPackets, false}, 1);
    REQUIRE(top.size() == 1);
    CHECK(top[0]->src_port == 39999);
    CHECK(top[0]->packets == 2000000);
    CHECK(agg.memory_bytes() >= 40000 * 64);
}
