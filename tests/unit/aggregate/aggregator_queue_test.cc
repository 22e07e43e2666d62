// SPDX-License-Identifier: BSD-2-Clause
// Aggregator::Add() queues records a few at a time while their groups' memory is loaded: the
// groups must come out as counting each record at once makes them (first-seen order, equal
// counters), through the queue's wrap-around, the index's growth and reads of the groups
// between Add() calls, for -A keys, five-tuple keys and both bidirectional modes.
#include <catch2/catch.hpp>
#include <algorithm>
#include <map>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "flow/aggregate.h"
#include "aggregate/group_records.h"

using flow::FlowRecord;
using flow::IpAddr;
using flow::aggregate::AggregateSpec;
using flow::aggregate::Aggregator;
using flow::aggregate::ParseAggregateSpec;
using flow::aggregate::RecordOrderSpec;

namespace {

// Random flows over a few thousand five-tuples (more groups than the index's first table
// holds), both families, TCP, UDP and ICMP, each five-tuple also seen reversed, server
// ports on either side.
std::vector<FlowRecord> RandomFlows(size_t n) {
    flow::aggregate::testing::XorShift next{0x2545f4914f6cdd1dULL};
    std::vector<FlowRecord> out;
    for (size_t i = 0; i < n; ++i) {
        FlowRecord r;
        r.Set(flow::kExGenericFlow);
        const uint64_t x = next();
        const uint64_t host = x % 1500;
        if (host % 7 == 0) {
            r.Set(flow::kExIpv6Flow);
            r.src_addr = IpAddr{0x20010db800000000ULL, host};
            r.dst_addr = IpAddr{0x20010db8ffff0000ULL, host % 11};
        } else {
            r.Set(flow::kExIpv4Flow);
            r.src_addr = IpAddr::V4(0x0a000000u + static_cast<uint32_t>(host * 37));
            r.dst_addr = IpAddr::V4(0xc0a80000u + static_cast<uint32_t>(host % 13));
        }
        const uint64_t y = next();
        r.proto = y % 5 == 0 ? 1 : y % 3 == 0 ? 17 : 6;
        r.src_port = static_cast<uint16_t>(40000 + host % 900);
        r.dst_port = static_cast<uint16_t>(host % 4 == 0 ? 443 : 53);
        if ((y >> 8) % 2 == 0) {  // the reverse direction
            std::swap(r.src_addr, r.dst_addr);
            std::swap(r.src_port, r.dst_port);
        }
        r.tcp_flags = static_cast<uint8_t>(1u << ((y >> 16) % 6));
        r.flows = (y >> 24) % 4;  // 0 counts as one flow
        if (r.flows > 1) r.Set(flow::kExCntFlow);
        r.packets = 1 + (y >> 32) % 50;
        r.bytes = r.packets * (40 + (y >> 40) % 1400);
        r.out_packets = (y >> 48) % 7;
        r.out_bytes = r.out_packets * 60;
        r.first_ms = 1796119200000ULL + next() % 3600000;
        r.last_ms = r.first_ms + next() % 60000;
        out.push_back(r);
    }
    return out;
}

// A group as the reference counts it.
struct Ref {
    FlowRecord first;  // as stored: -B turned it around when needed
    bool turned = false;
    uint64_t flows = 0, packets = 0, bytes = 0, out_packets = 0, out_bytes = 0;
    uint64_t first_ms = 0, last_ms = 0;
    uint8_t tcp_flags = 0;
};

using Tuple = std::tuple<uint64_t, uint64_t, uint64_t, uint64_t, uint16_t, uint16_t, uint8_t>;

Tuple TupleOf(const FlowRecord& r) {
    return {r.src_addr.hi, r.src_addr.lo, r.dst_addr.hi, r.dst_addr.lo,
            r.src_port,    r.dst_port,    r.proto};
}

Tuple ReverseOf(const FlowRecord& r) {
    return {r.dst_addr.hi, r.dst_addr.lo, r.src_addr.hi, r.src_addr.lo,
            r.dst_port,    r.src_port,    r.proto};
}

// Groups records one at a time, as the aggregation is specified: by the five-tuple or its
// reverse (TCP and UDP only) when bidirectional, -B turning server->client flows first.
class Reference {
public:
    Reference(bool bidirectional, bool swap) : bidir_(bidirectional), swap_(swap) {}

    void Add(FlowRecord r) {
        bool turned = false;
        if (swap_ && (r.proto == 6 || r.proto == 17)) {
            const uint32_t sp = r.src_port, dp = r.dst_port;
            turned = (sp < 1024 && dp >= 1024) || (sp < 32768 && dp >= 32768) ||
                     (sp < 49152 && dp >= 49152);
        }
        if (turned) {
            std::swap(r.src_addr, r.dst_addr);
            std::swap(r.input, r.output);
            std::swap(r.src_as, r.dst_as);
            std::swap(r.src_port, r.dst_port);
            std::swap(r.packets, r.out_packets);
            std::swap(r.bytes, r.out_bytes);
        }
        if (auto it = index_.find(TupleOf(r)); it != index_.end()) {
            Ref& g = groups_[it->second];
            Merge(&g, r, false, !bidir_ || turned == g.turned);
            return;
        }
        if (bidir_ && (r.proto == 6 || r.proto == 17)) {
            if (auto it = index_.find(ReverseOf(r)); it != index_.end()) {
                Ref& g = groups_[it->second];
                Merge(&g, r, true, turned != g.turned);
                return;
            }
        }
        index_.emplace(TupleOf(r), groups_.size());
        Ref g;
        g.first = r;
        g.turned = turned;
        g.first_ms = r.first_ms;
        g.last_ms = r.last_ms;
        Merge(&g, r, false, true);
        groups_.push_back(g);
    }

    const std::vector<Ref>& groups() const { return groups_; }

private:
    static void Merge(Ref* g, const FlowRecord& r, bool reversed, bool or_flags) {
        g->flows += r.flows != 0 ? r.flows : 1;
        g->packets += reversed ? r.out_packets : r.packets;
        g->bytes += reversed ? r.out_bytes : r.bytes;
        g->out_packets += reversed ? r.packets : r.out_packets;
        g->out_bytes += reversed ? r.bytes : r.out_bytes;
        g->first_ms = std::min(g->first_ms, r.first_ms);
        g->last_ms = std::max(g->last_ms, r.last_ms);
        if (or_flags) g->tcp_flags |= r.tcp_flags;
    }

    bool bidir_;
    bool swap_;
    std::map<Tuple, size_t> index_;
    std::vector<Ref> groups_;
};

void CheckSameGroups(const Aggregator& agg, const Reference& ref) {
    const std::vector<const FlowRecord*> got = agg.Groups(RecordOrderSpec{}, 0);
    REQUIRE(got.size() == ref.groups().size());
    for (size_t i = 0; i < got.size(); ++i) {
        CAPTURE(i);
        const FlowRecord& g = *got[i];
        const Ref& want = ref.groups()[i];
        REQUIRE(TupleOf(g) == TupleOf(want.first));
        CHECK(g.flows == want.flows);
        CHECK(g.packets == want.packets);
        CHECK(g.bytes == want.bytes);
        CHECK(g.out_packets == want.out_packets);
        CHECK(g.out_bytes == want.out_bytes);
        CHECK(g.first_ms == want.first_ms);
        CHECK(g.last_ms == want.last_ms);
        CHECK(int{g.tcp_flags} == int{want.tcp_flags});
    }
}

}  // namespace

TEST_CASE("queued five-tuple and bidirectional groups equal those of records counted at once",
          "[aggregate]") {
    const std::vector<FlowRecord> flows = RandomFlows(20000);
    for (int mode = 0; mode < 3; ++mode) {  // -a, -b, -B
        CAPTURE(mode);
        AggregateSpec spec;
        spec.five_tuple = true;
        spec.bidirectional = mode > 0;
        spec.swap_server = mode == 2;
        Aggregator agg(spec);
        Reference ref(spec.bidirectional, spec.swap_server);
        for (size_t i = 0; i < flows.size(); ++i) {
            agg.Add(flows[i]);
            ref.Add(flows[i]);
            // Reads between Add() calls, with records queued: size() at odd counts, the
            // groups themselves once early (a few records past a wrap of the queue).
            if (i % 997 == 0) CHECK(agg.size() == ref.groups().size());
            if (i == 37) CheckSameGroups(agg, ref);
        }
        CHECK(ref.groups().size() > 1000);  // the index grew past its first table
        CheckSameGroups(agg, ref);
        CheckSameGroups(agg, ref);  // a second read, nothing queued
    }
}

TEST_CASE("queued -A groups equal those of records counted at once", "[aggregate]") {
    const std::vector<FlowRecord> flows = RandomFlows(20000);
    for (const char* keys : {"srcip,dstport", "srcip4/24,proto", "dstip,srcport,dstport"}) {
        CAPTURE(keys);
        Aggregator agg(*ParseAggregateSpec(keys));
        // The reference: the key fields the spec names, the counters added at once.
        const bool by_net = std::string(keys) == "srcip4/24,proto";
        const bool by_dst = keys[0] == 'd';
        auto key_of = [&](const FlowRecord& r) {
            const IpAddr a = by_dst ? r.dst_addr : r.src_addr;
            const uint64_t lo = by_net ? a.lo & ~uint64_t{0xff} : a.lo;  // 1.7.1: any family
            const uint64_t x = by_net ? r.proto : by_dst ? r.src_port : r.dst_port;
            const uint64_t y = by_dst ? r.dst_port : 0;
            return std::make_tuple(a.hi, lo, x, y, r.IsV6());
        };
        std::map<decltype(key_of(flows[0])), size_t> index;
        std::vector<Ref> groups;
        auto check = [&] {
            const std::vector<const FlowRecord*> got = agg.Groups(RecordOrderSpec{}, 0);
            REQUIRE(got.size() == groups.size());
            for (size_t i = 0; i < got.size(); ++i) {
                CAPTURE(i);
                CHECK(key_of(*got[i]) == key_of(groups[i].first));
                CHECK(got[i]->flows == groups[i].flows);
                CHECK(got[i]->packets == groups[i].packets);
                CHECK(got[i]->bytes == groups[i].bytes);
                CHECK(got[i]->out_packets == groups[i].out_packets);
                CHECK(got[i]->out_bytes == groups[i].out_bytes);
                CHECK(got[i]->first_ms == groups[i].first_ms);
                CHECK(got[i]->last_ms == groups[i].last_ms);
            }
        };
        for (size_t i = 0; i < flows.size(); ++i) {
            const FlowRecord& r = flows[i];
            agg.Add(r);
            auto [it, added] = index.emplace(key_of(r), groups.size());
            if (added) {
                Ref g;
                g.first = r;
                g.first_ms = r.first_ms;
                g.last_ms = r.last_ms;
                groups.push_back(g);
            }
            Ref& g = groups[it->second];
            g.flows += r.flows != 0 ? r.flows : 1;
            g.packets += r.packets;
            g.bytes += r.bytes;
            g.out_packets += r.out_packets;
            g.out_bytes += r.out_bytes;
            g.first_ms = std::min(g.first_ms, r.first_ms);
            g.last_ms = std::max(g.last_ms, r.last_ms);
            if (i % 997 == 0) CHECK(agg.size() == groups.size());
            if (i == 37) check();
        }
        CHECK(groups.size() > 600);  // the index grew past its first table
        check();
        // ForEach() hands out the same groups.
        size_t n = 0;
        agg.ForEach(RecordOrderSpec{}, 0, [&](const FlowRecord& g) {
            CHECK(g.flows == groups[n].flows);
            return ++n < 100;
        });
        CHECK(n == 100);
    }
}
