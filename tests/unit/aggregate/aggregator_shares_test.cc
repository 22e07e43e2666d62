// SPDX-License-Identifier: BSD-2-Clause
// Aggregator shares (flowdump's -s record on two threads): two aggregators offered the same
// records each keep a disjoint half of the groups, and once joined hand out exactly what one
// aggregator given every record does: the same groups with the same counters, in the same
// order, ties (equal order values) in first-seen order across the shares.
#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <tuple>
#include <vector>

#include "flow/aggregate.h"
#include "aggregate/group_records.h"

using flow::FlowRecord;
using flow::IpAddr;
using flow::aggregate::AggregateSpec;
using flow::aggregate::Aggregator;
using flow::aggregate::RecordOrder;
using flow::aggregate::RecordOrderSpec;

namespace {

// Flows over about `tuples` five-tuples, both families; counters from a few values each, so
// that many groups tie on every order.
std::vector<FlowRecord> TiedFlows(size_t n, uint64_t tuples) {
    flow::aggregate::testing::XorShift next{0x9e3779b97f4a7c15ULL};
    std::vector<FlowRecord> out;
    for (size_t i = 0; i < n; ++i) {
        FlowRecord r;
        r.Set(flow::kExGenericFlow);
        const uint64_t x = next();
        const uint64_t host = x % tuples;
        if (host % 5 == 0) {
            r.Set(flow::kExIpv6Flow);
            r.src_addr = IpAddr{0x20010db800000000ULL, host};
            r.dst_addr = IpAddr{0x20010db8ffff0000ULL, host % 7};
        } else {
            r.Set(flow::kExIpv4Flow);
            r.src_addr = IpAddr::V4(0x0a000000u + static_cast<uint32_t>(host));
            r.dst_addr = IpAddr::V4(0xc0a80000u + static_cast<uint32_t>(host % 9));
        }
        r.proto = host % 3 == 0 ? 17 : 6;
        r.src_port = static_cast<uint16_t>(1024 + host % 50000);
        r.dst_port = 443;
        const uint64_t y = next();
        r.tcp_flags = static_cast<uint8_t>(1u << (y % 6));
        r.packets = 1 + (y >> 8) % 3;
        r.bytes = 100 * (1 + (y >> 16) % 3);
        r.first_ms = 1796119200000ULL + ((y >> 24) % 4) * 1000;
        r.last_ms = r.first_ms + ((y >> 32) % 3) * 1000;
        out.push_back(r);
    }
    return out;
}

AggregateSpec FiveTuple() {
    AggregateSpec spec;
    spec.five_tuple = true;
    return spec;
}

using Row = std::tuple<uint64_t, uint64_t, uint64_t, uint64_t, uint16_t, uint16_t, uint8_t,
                       uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint8_t>;

Row RowOf(const FlowRecord& r) {
    return {r.src_addr.hi, r.src_addr.lo, r.dst_addr.hi, r.dst_addr.lo, r.src_port,
            r.dst_port,    r.proto,       r.flows,       r.packets,     r.bytes,
            r.first_ms,    r.last_ms,     r.tcp_flags};
}

std::vector<Row> Rows(const Aggregator& a, const RecordOrderSpec& order, size_t limit) {
    std::vector<Row> out;
    a.ForEach(order, limit, [&](const FlowRecord& g) {
        out.push_back(RowOf(g));
        return true;
    });
    return out;
}

// Every record offered to both shares; each kept by exactly one. Returns share 0, joined.
Aggregator Shared(const std::vector<FlowRecord>& flows, size_t* kept_by_first = nullptr) {
    Aggregator a(FiveTuple(), 0, 2);
    Aggregator b(FiveTuple(), 1, 2);
    size_t first = 0;
    for (const FlowRecord& r : flows) {
        const bool in_a = a.Offer(r, {});
        const bool in_b = b.Offer(r, {});
        REQUIRE(in_a != in_b);
        first += in_a ? 1 : 0;
    }
    if (kept_by_first != nullptr) *kept_by_first = first;
    a.Join(std::move(b));
    return a;
}

}  // namespace

TEST_CASE("aggregator shares: joined groups print as one aggregator's", "[aggregate]") {
    const std::vector<FlowRecord> flows = TiedFlows(60000, 9000);
    Aggregator serial(FiveTuple());
    for (const FlowRecord& r : flows) serial.Add(r);
    size_t first = 0;
    Aggregator joined = Shared(flows, &first);
    // The halves are about even.
    CHECK(first > flows.size() * 2 / 5);
    CHECK(first < flows.size() * 3 / 5);
    REQUIRE(joined.size() == serial.size());

    const RecordOrderSpec orders[] = {
        {RecordOrder::kNone, false},  {RecordOrder::kBytes, false}, {RecordOrder::kPackets, false},
        {RecordOrder::kFlows, false}, {RecordOrder::kTstart, true}, {RecordOrder::kTend, false},
        {RecordOrder::kBps, false},   {RecordOrder::kBytes, true},
    };
    for (const RecordOrderSpec& order : orders) {
        for (size_t limit : {size_t{0}, size_t{1}, size_t{10}, size_t{1000}, size_t{100000}}) {
            INFO("order " << static_cast<int>(order.order) << " ascending " << order.ascending
                          << " limit " << limit);
            CHECK(Rows(joined, order, limit) == Rows(serial, order, limit));
        }
    }
    // Groups() hands out the same.
    const auto groups = joined.Groups({RecordOrder::kBytes, false}, 50);
    const std::vector<Row> rows = Rows(serial, {RecordOrder::kBytes, false}, 50);
    REQUIRE(groups.size() == rows.size());
    for (size_t i = 0; i < rows.size(); ++i) CHECK(RowOf(*groups[i]) == rows[i]);
}

TEST_CASE("aggregator shares: ties across the shares in first-seen order", "[aggregate]") {
    // One flow per five-tuple, all with the same counters: every group ties on every order,
    // so the print order is the order the flows came in, alternating between the shares.
    std::vector<FlowRecord> flows;
    for (uint32_t i = 0; i < 64; ++i) {
        FlowRecord r;
        r.Set(flow::kExGenericFlow);
        r.Set(flow::kExIpv4Flow);
        r.src_addr = IpAddr::V4(0x0a000001u + i * 7919);
        r.dst_addr = IpAddr::V4(0xc0a80001u);
        r.proto = 6;
        r.src_port = static_cast<uint16_t>(40000 + i);
        r.dst_port = 443;
        r.packets = 3;
        r.bytes = 300;
        r.first_ms = 1796119200000ULL;
        r.last_ms = r.first_ms + 1000;
        flows.push_back(r);
    }
    Aggregator a(FiveTuple(), 0, 2);
    Aggregator b(FiveTuple(), 1, 2);
    std::vector<int> share_of;
    for (const FlowRecord& r : flows) {
        const bool in_a = a.Offer(r, {});
        const bool in_b = b.Offer(r, {});
        REQUIRE(in_a != in_b);
        share_of.push_back(in_a ? 0 : 1);
    }
    // The shares interleave (else a merge that takes one share first would pass).
    size_t switches = 0;
    for (size_t i = 1; i < share_of.size(); ++i) switches += share_of[i] != share_of[i - 1];
    REQUIRE(switches > 10);
    a.Join(std::move(b));
    for (const RecordOrderSpec order :
         {RecordOrderSpec{RecordOrder::kBytes, false}, RecordOrderSpec{RecordOrder::kNone, false},
          RecordOrderSpec{RecordOrder::kTstart, true}}) {
        for (size_t limit : {size_t{0}, size_t{5}, size_t{40}}) {
            const std::vector<Row> rows = Rows(a, order, limit);
            REQUIRE(rows.size() == (limit == 0 ? flows.size() : limit));
            for (size_t i = 0; i < rows.size(); ++i) {
                INFO("order " << static_cast<int>(order.order) << " limit " << limit << " row "
                              << i);
                CHECK(std::get<5>(rows[i]) == 443);
                CHECK(std::get<4>(rows[i]) == flows[i].src_port);
            }
        }
    }
}

TEST_CASE("aggregator shares: the memory bound holds one aggregator's memory", "[aggregate]") {
    for (size_t tuples : {size_t{10}, size_t{3000}, size_t{200000}}) {
        const std::vector<FlowRecord> flows = TiedFlows(300000, tuples);
        Aggregator serial(FiveTuple());
        for (const FlowRecord& r : flows) serial.Add(r);
        Aggregator joined = Shared(flows);
        INFO("tuples " << tuples << " groups " << serial.size());
        CHECK(joined.joined_memory_bound() >= serial.memory_bytes());
        // Not far above it either: the serial rerun near the limit stays rare.
        CHECK(joined.joined_memory_bound() <= serial.memory_bytes() + (size_t{5} << 20));
    }
}

TEST_CASE("aggregator shares: only five-tuple groups are shareable", "[aggregate]") {
    AggregateSpec spec = FiveTuple();
    CHECK(Aggregator::Shareable(spec));
    spec.bidirectional = true;
    CHECK_FALSE(Aggregator::Shareable(spec));
    AggregateSpec each;
    each.each_record = true;
    CHECK_FALSE(Aggregator::Shareable(each));
    CHECK_FALSE(Aggregator::Shareable(AggregateSpec{}));
}
