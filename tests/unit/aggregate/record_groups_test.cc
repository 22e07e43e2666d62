// SPDX-License-Identifier: BSD-2-Clause
// -a/-b/-s record groups and -O records are kept packed (their first record in the V3
// encoding, counters added in place): every field must come back as it went in, counters
// must add up, Top-N must rank as a full sort does, and memory_bytes() must count the store.
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <vector>

#include "flow/aggregate.h"

using flow::FlowRecord;
using flow::IpAddr;
using flow::aggregate::AggregateSpec;
using flow::aggregate::Aggregator;
using flow::aggregate::RecordOrder;
using flow::aggregate::RecordOrderSpec;

namespace {

// A default record with zero padding, so whole records compare with memcmp.
FlowRecord Blank() {
    FlowRecord r;
    std::memset(static_cast<void*>(&r), 0, sizeof(r));
    r.flows = 1;
    return r;
}

// A record carrying every element FlowRecord has fields for, each field a distinct value.
FlowRecord Full(bool v6, uint16_t src_port) {
    FlowRecord r = Blank();
    for (int id = flow::kExGenericFlow; id < flow::kExMaxElement; ++id) {
        if (id != 28) r.Set(static_cast<flow::ElementId>(id));  // 28 is no element
    }
    for (flow::ElementId id :
         {flow::kExInPayload, flow::kExOutPayload, flow::kExInmonMeta, flow::kExInmonFrame,
          flow::kExPfInfo, flow::kExNokiaNat, flow::kExNokiaNatString}) {
        r.Unset(id);  // no FlowRecord fields
    }
    // One family per address pair.
    r.Unset(v6 ? flow::kExIpv4Flow : flow::kExIpv6Flow);
    r.Unset(v6 ? flow::kExBgpNextHopV4 : flow::kExBgpNextHopV6);
    r.Unset(v6 ? flow::kExIpNextHopV4 : flow::kExIpNextHopV6);
    r.Unset(v6 ? flow::kExIpReceivedV4 : flow::kExIpReceivedV6);
    r.Unset(v6 ? flow::kExNatXlateIpv4 : flow::kExNatXlateIpv6);
    r.Unset(v6 ? flow::kExTunIpv4 : flow::kExTunIpv6);
    auto addr = [&](uint64_t seed) {
        return v6 ? IpAddr{0x20010db800000000ULL | seed, seed * 977}
                  : IpAddr::V4(0x0a000000u + seed);
    };
    r.engine_type = 3;
    r.engine_id = 4;
    r.exporter_sysid = 5;
    r.flags = flow::kFlagSampled;
    r.nfversion = 10;
    r.first_ms = 1796119200123;
    r.last_ms = 1796119201456;
    r.received_ms = 1796119202789;
    r.packets = 11;
    r.bytes = 12345;
    r.src_port = src_port;
    r.dst_port = 443;
    r.proto = 6;
    r.tcp_flags = 0x12;
    r.fwd_status = 7;
    r.src_tos = 8;
    r.src_addr = addr(1);
    r.dst_addr = addr(2);
    r.input = 13;
    r.output = 14;
    r.src_mask = 24;
    r.dst_mask = 16;
    r.dir = 1;
    r.dst_tos = 9;
    r.biflow_dir = 2;
    r.end_reason = 3;
    r.rev_tcp_flags = 0x10;
    r.flows = 2;
    r.out_packets = 15;
    r.out_bytes = 16000;
    r.src_vlan = 17;
    r.dst_vlan = 18;
    r.src_as = 64500;
    r.dst_as = 64501;
    r.next_as = 64502;
    r.prev_as = 64503;
    r.bgp_next_hop = addr(3);
    r.ip_next_hop = addr(4);
    r.received_from = addr(5);
    for (uint32_t i = 0; i < 10; ++i) r.mpls[i] = (100 + i) << 4;
    r.in_src_mac = 0x0000112233445566ULL;
    r.out_dst_mac = 0x0000212233445566ULL;
    r.in_dst_mac = 0x0000312233445566ULL;
    r.out_src_mac = 0x0000412233445566ULL;
    r.client_nw_delay_us = 19;
    r.server_nw_delay_us = 20;
    r.appl_latency_us = 21;
    r.selector_id = -22;
    r.event_ms = 1796119200999;
    r.conn_id = 23;
    r.fw_xevent = 1001;
    r.fw_event = 2;
    r.nat_event = 3;
    r.nat_pool_id = 24;
    r.xlate_src = addr(6);
    r.xlate_dst = addr(7);
    r.xlate_src_port = 25;
    r.xlate_dst_port = 26;
    for (uint32_t i = 0; i < 3; ++i) r.ingress_acl[i] = 0x01020300u + i;
    for (uint32_t i = 0; i < 3; ++i) r.egress_acl[i] = 0x04050600u + i;
    std::strcpy(r.username, "somebody@example");
    r.block_start = 1024;
    r.block_end = 2047;
    r.block_step = 1;
    r.block_size = 1024;
    r.tun_src = addr(8);
    r.tun_dst = addr(9);
    r.tun_proto = 47;
    r.observation_point = 27;
    r.observation_domain = 28;
    r.egress_vrf = 29;
    r.ingress_vrf = 30;
    r.vlan_id = 31;
    r.customer_vlan_id = 32;
    r.post_vlan_id = 33;
    r.post_customer_vlan_id = 34;
    r.phys_ingress = 35;
    r.phys_egress = 36;
    r.vxlan = 37;
    r.ether_type = 0x0800;
    r.ip_version = v6 ? 6 : 4;
    r.flow_id = 38;
    r.fragment_flags = 1;
    r.min_ttl = 39;
    r.max_ttl = 40;
    r.nbar_len = 4;
    for (uint8_t i = 0; i < 4; ++i) r.nbar_app[i] = static_cast<uint8_t>(0xa0 + i);
    return r;
}

std::vector<FlowRecord> Handed(const Aggregator& agg, const RecordOrderSpec& order = {},
                               size_t limit = 0) {
    std::vector<FlowRecord> out;
    agg.ForEach(order, limit, [&](const FlowRecord& g) {
        out.push_back(g);
        return true;
    });
    return out;
}

bool Same(const FlowRecord& a, const FlowRecord& b) {
    return std::memcmp(&a, &b, sizeof(FlowRecord)) == 0;
}

}  // namespace

TEST_CASE("five-tuple groups and -O records hand back every field of the first record",
          "[aggregate]") {
    FlowRecord no_counts = Full(false, 1001);  // no counter element: flows stays 1
    no_counts.Unset(flow::kExCntFlow);
    no_counts.flows = 1;
    no_counts.out_packets = 0;
    no_counts.out_bytes = 0;
    FlowRecord minimal = Blank();  // no element at all
    minimal.src_port = 0;
    const std::vector<FlowRecord> in = {Full(false, 1000), Full(true, 1000), no_counts, minimal};

    for (int mode = 0; mode < 3; ++mode) {
        CAPTURE(mode);
        AggregateSpec spec;
        spec.five_tuple = mode != 2;
        spec.bidirectional = mode == 1;
        spec.each_record = mode == 2;
        Aggregator agg(spec);
        for (const FlowRecord& r : in) agg.Add(r);
        const std::vector<FlowRecord> out = Handed(agg);
        REQUIRE(out.size() == in.size());
        for (size_t i = 0; i < in.size(); ++i) {
            CAPTURE(i);
            CHECK(Same(out[i], in[i]));
        }
        auto all = agg.Groups(RecordOrderSpec{}, 0);
        REQUIRE(all.size() == in.size());
        CHECK(Same(*all[1], in[1]));
    }
}

TEST_CASE("five-tuple groups add counters into the first record and keep its elements",
          "[aggregate]") {
    AggregateSpec spec;
    spec.five_tuple = true;
    Aggregator agg(spec);
    FlowRecord first = Full(true, 2000);
    first.Unset(flow::kExCntFlow);  // the group's record must not gain the element
    first.flows = 1;
    first.out_packets = 0;
    first.out_bytes = 0;
    FlowRecord second = first;
    second.packets = 5;
    second.bytes = 500;
    second.first_ms = first.first_ms - 1000;
    second.last_ms = first.last_ms + 1000;
    second.tcp_flags = 0x01;
    second.Set(flow::kExCntFlow);
    second.flows = 3;
    second.out_packets = 7;
    second.out_bytes = 700;
    second.src_as = 1;  // a non-key field: the first record's value stays
    agg.Add(first);
    agg.Add(second);
    agg.Add(Full(true, 2001));  // another group

    const std::vector<FlowRecord> out = Handed(agg);
    REQUIRE(out.size() == 2);
    FlowRecord want = first;
    want.flows = 4;
    want.packets = first.packets + 5;
    want.bytes = first.bytes + 500;
    want.out_packets = 7;
    want.out_bytes = 700;
    want.first_ms = second.first_ms;
    want.last_ms = second.last_ms;
    want.tcp_flags = 0x13;
    CHECK(Same(out[0], want));
    CHECK_FALSE(out[0].Has(flow::kExCntFlow));
    CHECK(out[0].src_as == 64500);
    CHECK(Same(out[1], Full(true, 2001)));
}

TEST_CASE("an event record's group keeps its own start time, not the event time",
          "[aggregate][regression]") {
    // The V3 decoder gives NSEL records without a start the event time; a group whose
    // start is 0 must still print 0.
    AggregateSpec spec;
    spec.five_tuple = true;
    Aggregator agg(spec);
    FlowRecord r = Full(false, 3000);
    r.first_ms = 0;
    r.last_ms = 0;
    agg.Add(r);
    const std::vector<FlowRecord> out = Handed(agg);
    REQUIRE(out.size() == 1);
    CHECK(out[0].first_ms == 0);
    CHECK(out[0].last_ms == 0);
}

TEST_CASE("Top-N of five-tuple groups ranks as the full sort does, ties in first-seen order",
          "[aggregate]") {
    std::mt19937 rng(7);
    AggregateSpec spec;
    spec.five_tuple = true;
    Aggregator agg(spec);
    for (int i = 0; i < 5000; ++i) {
        FlowRecord r = Blank();
        r.Set(flow::kExGenericFlow);
        r.Set(flow::kExIpv4Flow);
        r.src_addr = IpAddr::V4(0x0a000000u + rng() % 1500);
        r.dst_port = 80;
        r.proto = 6;
        r.packets = rng() % 4;  // many ties
        r.bytes = rng() % 7;
        r.first_ms = 1000 + rng() % 50;
        r.last_ms = r.first_ms + rng() % 50;
        agg.Add(r);
    }
    REQUIRE(agg.size() > 1000);
    for (RecordOrder o : {RecordOrder::kFlows, RecordOrder::kPackets, RecordOrder::kBytes,
                          RecordOrder::kTstart, RecordOrder::kDuration, RecordOrder::kBpp}) {
        for (bool ascending : {false, true}) {
            CAPTURE(static_cast<int>(o), ascending);
            const RecordOrderSpec order{o, ascending};
            const std::vector<FlowRecord> all = Handed(agg, order, 0);
            const std::vector<FlowRecord> top = Handed(agg, order, 10);
            REQUIRE(top.size() == 10);
            for (size_t i = 0; i < top.size(); ++i) CHECK(Same(top[i], all[i]));
        }
    }
}

TEST_CASE("memory_bytes counts the packed five-tuple groups, and they stay small", "[aggregate]") {
    AggregateSpec spec;
    spec.five_tuple = true;
    Aggregator agg(spec);
    const size_t before = agg.memory_bytes();
    FlowRecord r = Blank();
    for (flow::ElementId id : {flow::kExGenericFlow, flow::kExIpv4Flow, flow::kExFlowMisc,
                               flow::kExAsRouting, flow::kExIpNextHopV4, flow::kExIpReceivedV4}) {
        r.Set(id);
    }
    constexpr uint32_t kGroups = 200000;
    for (uint32_t i = 0; i < kGroups; ++i) {
        r.src_addr = IpAddr::V4(i);
        agg.Add(r);
    }
    REQUIRE(agg.size() == kGroups);
    const size_t per_group = (agg.memory_bytes() - before) / kGroups;
    CAPTURE(per_group);
    // The record (124 bytes and a 28-byte counter element), its handle and index slots.
    CHECK(per_group >= 152);
    CHECK(per_group <= 220);  // a FlowRecord alone is 592
}
