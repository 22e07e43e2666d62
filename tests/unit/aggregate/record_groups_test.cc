// SPDX-License-Identifier: BSD-2-Clause
// -a/-b/-s record groups and -O records are kept packed (their first record in the V3
// encoding, counters added in place): every field must come back as it went in, counters
// must add up, Top-N must rank as a full sort does, and memory_bytes() must count the store.
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <vector>

#include "aggregate/group_records.h"
#include "flow/aggregate.h"

using flow::FlowRecord;
using flow::IpAddr;
using flow::aggregate::AggregateSpec;
using flow::aggregate::Aggregator;
using flow::aggregate::RecordOrder;
using flow::aggregate::RecordOrderSpec;
using flow::aggregate::testing::Blank;
using flow::aggregate::testing::Full;
using flow::aggregate::testing::Handed;
using flow::aggregate::testing::Same;

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
