// SPDX-License-Identifier: BSD-2-Clause
// FlowCache: idle and active timeouts, TCP FIN/RST, eviction of the least recently seen
// flow, 1:N sampling, fragments joining their flow, and the index staying consistent
// through many inserts and deletions.
#include <catch2/catch.hpp>
#include <cstdint>
#include <map>
#include <random>
#include <tuple>
#include <vector>

#include "flow/probe.h"

using flow::FlowRecord;
using flow::probe::CacheOptions;
using flow::probe::EndReason;
using flow::probe::FlowCache;
using flow::probe::Packet;

namespace {

class Collect : public flow::probe::FlowSink {
public:
    void OnFlow(const FlowRecord& r) override { flows.push_back(r); }
    std::vector<FlowRecord> flows;
};

Packet Udp(uint64_t t_ms, uint32_t src, uint16_t sport, uint16_t dport, uint32_t bytes = 100) {
    Packet p;
    p.time_ms = t_ms;
    p.src = flow::IpAddr::V4(src);
    p.dst = flow::IpAddr::V4(0xc0000201);
    p.proto = 17;
    p.src_port = sport;
    p.dst_port = dport;
    p.ip_bytes = bytes;
    return p;
}

Packet Tcp(uint64_t t_ms, uint16_t sport, uint8_t flags) {
    Packet p = Udp(t_ms, 0x0a000001, sport, 443, 40);
    p.proto = 6;
    p.tcp_flags = flags;
    return p;
}

EndReason Reason(const FlowRecord& r) { return static_cast<EndReason>(r.end_reason); }

}  // namespace

TEST_CASE("Packets of one flow add up and an idle flow ends at the inactive timeout",
          "[probe][cache]") {
    CacheOptions o;
    o.inactive_timeout_s = 15;
    o.input_if = 7;
    Collect sink;
    FlowCache cache(o, &sink);
    cache.Add(Udp(1000, 0x0a000001, 5000, 53, 60));
    cache.Add(Udp(2500, 0x0a000001, 5000, 53, 80));
    cache.Expire(17499);  // 14.999 s idle: still open
    CHECK(sink.flows.empty());
    cache.Expire(17500);
    REQUIRE(sink.flows.size() == 1);
    const FlowRecord& r = sink.flows[0];
    CHECK(r.packets == 2);
    CHECK(r.bytes == 140);
    CHECK(r.first_ms == 1000);
    CHECK(r.last_ms == 2500);
    CHECK(r.src_port == 5000);
    CHECK(r.dst_port == 53);
    CHECK(r.proto == 17);
    CHECK(r.input == 7);
    CHECK(r.Has(flow::kExIpv4Flow));
    CHECK_FALSE(r.Has(flow::kExVlan));
    CHECK(Reason(r) == EndReason::kIdle);
    CHECK(cache.size() == 0);
}

TEST_CASE("A long flow is cut at the active timeout and goes on in a new flow", "[probe][cache]") {
    CacheOptions o;
    o.active_timeout_s = 10;
    o.inactive_timeout_s = 5;
    Collect sink;
    FlowCache cache(o, &sink);
    for (uint64_t t = 0; t <= 25000; t += 1000) cache.Add(Udp(100000 + t, 1, 1, 2));
    REQUIRE(sink.flows.size() == 2);
    CHECK(Reason(sink.flows[0]) == EndReason::kActive);
    CHECK(sink.flows[0].first_ms == 100000);
    CHECK(sink.flows[0].last_ms == 109000);
    CHECK(sink.flows[0].packets == 10);
    CHECK(sink.flows[1].first_ms == 110000);
    CHECK(sink.flows[1].packets == 10);
    cache.Flush();
    REQUIRE(sink.flows.size() == 3);
    CHECK(Reason(sink.flows[2]) == EndReason::kForced);
    CHECK(sink.flows[2].packets == 6);
}

TEST_CASE("A quiet flow past the active timeout is ended by the sweep", "[probe][cache]") {
    CacheOptions o;
    o.active_timeout_s = 10;
    o.inactive_timeout_s = 60;
    Collect sink;
    FlowCache cache(o, &sink);
    cache.Add(Udp(1000, 1, 1, 2));
    cache.Add(Udp(9000, 1, 1, 2));
    cache.Expire(10999);
    CHECK(sink.flows.empty());
    cache.Expire(11000);
    REQUIRE(sink.flows.size() == 1);
    CHECK(Reason(sink.flows[0]) == EndReason::kActive);
}

TEST_CASE("TCP FIN or RST ends the flow with the packet counted", "[probe][cache]") {
    const uint8_t flag = GENERATE(uint8_t{0x01}, uint8_t{0x04}, uint8_t{0x11});
    CAPTURE(flag);
    Collect sink;
    FlowCache cache(CacheOptions(), &sink);
    cache.Add(Tcp(1000, 40000, 0x02));
    cache.Add(Tcp(1100, 40000, 0x10));
    cache.Add(Tcp(1200, 40000, flag));
    REQUIRE(sink.flows.size() == 1);
    CHECK(Reason(sink.flows[0]) == EndReason::kEndOfFlow);
    CHECK(sink.flows[0].packets == 3);
    CHECK(sink.flows[0].tcp_flags == (0x12 | flag));
    CHECK(cache.size() == 0);
    // A packet after the end starts a new flow.
    cache.Add(Tcp(1300, 40000, 0x10));
    CHECK(cache.size() == 1);
}

TEST_CASE("A full cache evicts the least recently seen flow", "[probe][cache]") {
    CacheOptions o;
    o.max_flows = 2;
    Collect sink;
    FlowCache cache(o, &sink);
    cache.Add(Udp(1000, 1, 1, 1));
    cache.Add(Udp(1001, 2, 2, 2));
    cache.Add(Udp(1002, 1, 1, 1));  // flow 1 is now the most recent
    cache.Add(Udp(1003, 3, 3, 3));
    REQUIRE(sink.flows.size() == 1);
    CHECK(sink.flows[0].src_addr == flow::IpAddr::V4(2));
    CHECK(Reason(sink.flows[0]) == EndReason::kLackOfResources);
    CHECK(cache.counters().evicted == 1);
    CHECK(cache.size() == 2);
}

TEST_CASE("1:N sampling counts every Nth packet", "[probe][cache]") {
    CacheOptions o;
    o.sampling = 3;
    Collect sink;
    FlowCache cache(o, &sink);
    for (int i = 0; i < 10; ++i) cache.Add(Udp(1000 + i, 1, 1, 2, 100));
    cache.Flush();
    REQUIRE(sink.flows.size() == 1);
    CHECK(sink.flows[0].packets == 4);  // packets 1, 4, 7 and 10
    CHECK(sink.flows[0].bytes == 400);
    CHECK(cache.counters().packets == 10);
    CHECK(cache.counters().sampled_out == 6);
}

TEST_CASE("Later fragments join the flow of their first fragment", "[probe][cache]") {
    Collect sink;
    FlowCache cache(CacheOptions(), &sink);
    Packet first = Udp(1000, 1, 5353, 53, 1500);
    first.fragment = first.first_fragment = true;
    first.fragment_id = 77;
    Packet later = Udp(1001, 1, 0, 0, 300);
    later.fragment = true;
    later.fragment_id = 77;
    Packet stray = later;
    stray.fragment_id = 78;  // its first fragment was never seen
    cache.Add(first);
    cache.Add(later);
    cache.Add(stray);
    cache.Flush();
    std::map<uint16_t, FlowRecord> by_port;
    for (const auto& r : sink.flows) by_port[r.dst_port] = r;
    REQUIRE(sink.flows.size() == 2);
    CHECK(by_port[53].packets == 2);
    CHECK(by_port[53].bytes == 1800);
    CHECK(by_port[0].packets == 1);
    CHECK(cache.counters().fragments_unmatched == 1);
}

TEST_CASE("VLAN, ToS and family are part of the key", "[probe][cache]") {
    Collect sink;
    FlowCache cache(CacheOptions(), &sink);
    Packet a = Udp(1000, 1, 1, 2);
    Packet b = a;
    b.vlan = 10;
    b.inner_vlan = 20;
    Packet c = a;
    c.tos = 0xb8;
    Packet d = a;
    d.v6 = true;
    for (const Packet& p : {a, b, c, d, a, b}) cache.Add(p);
    CHECK(cache.size() == 4);
    cache.Flush();
    REQUIRE(sink.flows.size() == 4);
    for (const auto& r : sink.flows) {
        if (r.Has(flow::kExVlan)) {
            CHECK(r.src_vlan == 10);
            CHECK(r.dst_vlan == 20);
            CHECK(r.packets == 2);
        }
    }
}

TEST_CASE("The index stays consistent through many inserts and deletions", "[probe][cache]") {
    CacheOptions o;
    o.max_flows = 257;
    Collect sink;
    FlowCache cache(o, &sink);
    std::mt19937 rng(5);
    std::map<uint16_t, uint64_t> sent;  // source port -> packets
    for (uint64_t i = 0; i < 20000; ++i) {
        const auto port = static_cast<uint16_t>(rng() % 200);
        const bool fin = rng() % 7 == 0;
        cache.Add(Tcp(1000 + i, port, fin ? 0x01 : 0x10));
        ++sent[port];
    }
    cache.Flush();
    std::map<uint16_t, uint64_t> got;
    for (const auto& r : sink.flows) got[r.src_port] += r.packets;
    CHECK(got == sent);
    CHECK(cache.counters().evicted == 0);
    CHECK(cache.size() == 0);
}

TEST_CASE("A capture that steps back in time keeps each flow's own packet times",
          "[probe][cache][regression]") {
    // Guards merged captures (ipfixprobe__tls.pcap): flow times once took the cache clock,
    // so a flow of the earlier part got the later part's time as its end.
    Collect sink;
    FlowCache cache(CacheOptions(), &sink);
    cache.Add(Udp(1599461560000, 1, 1, 2));  // 2020
    cache.Add(Udp(1445324973611, 3, 3, 4));  // 2015, after it in the file
    cache.Add(Udp(1445324973712, 3, 3, 4));
    cache.Flush();
    REQUIRE(sink.flows.size() == 2);
    const FlowRecord& old = sink.flows[0].src_port == 3 ? sink.flows[0] : sink.flows[1];
    CHECK(old.first_ms == 1445324973611);
    CHECK(old.last_ms == 1445324973712);
    CHECK(old.packets == 2);
}
