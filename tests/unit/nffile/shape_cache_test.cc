// SPDX-License-Identifier: BSD-2-Clause
// V3ShapeCache: a record decoded from a cached element list must give exactly what walking
// its elements gives, whatever lists the cache holds: records of equal size and element
// count but other elements, more layouts than the cache keeps, partial element sets.
#include <catch2/catch.hpp>
#include <cstring>
#include <vector>

#include "nffile/layout.h"
#include "nffile/nffile_test_util.h"
#include "nffile/records.h"
#include "nffile/v3_bytes.h"

using namespace flow;
using namespace flow::testing;
using namespace flow::nffile;

namespace {

using flow::nffile::testing::Bytes;
using flow::nffile::testing::Encode;
using flow::nffile::testing::RawV3;

Bytes Generic(uint64_t first_ms, uint8_t proto) {
    Bytes g(48, 0);
    Store64(g.data(), first_ms);
    Store64(g.data() + 8, first_ms + 10);
    Store64(g.data() + 24, 3);
    g[44] = proto;
    return g;
}

Bytes Filled(size_t n, uint8_t value) { return Bytes(n, value); }

// Records whose size and element count pair up while their elements differ: a cached
// list matched by size and count alone would decode one as the other.
std::vector<Bytes> LookAlikes() {
    return {
        RawV3({{kExGenericFlow, Generic(1000, 6)}, {kExVlan, Filled(8, 0x11)}}),
        RawV3({{kExGenericFlow, Generic(2000, 17)}, {kExAsRouting, Filled(8, 0x22)}}),
        RawV3({{kExGenericFlow, Generic(3000, 1)}, {kExAsAdjacent, Filled(8, 0x33)}}),
        RawV3({{kExGenericFlow, Generic(4000, 6)}, {kExIpv4Flow, Filled(8, 0x44)}}),
        RawV3({{kExGenericFlow, Generic(5000, 6)}, {kExVrf, Filled(8, 0x55)}}),
        RawV3({{kExVlan, Filled(8, 0x66)}, {kExGenericFlow, Generic(6000, 6)}}),
        RawV3({{kExGenericFlow, Generic(7000, 6)}, {99, Filled(8, 0x77)}}),          // unknown
        RawV3({{kExGenericFlow, Generic(8000, 6)}, {kExMacAddr, Filled(8, 0x88)}}),  // bad length
        RawV3({{kExGenericFlow, Generic(9000, 6)}, {0, Filled(8, 0x99)}}),           // deleted
    };
}

// Decodes `records` in the order `order` gives, over one record with a cache and over
// another without, with element set `elements`; every result must be equal.
void CheckSequence(const std::vector<Bytes>& records, const std::vector<size_t>& order,
                   uint64_t elements) {
    V3ShapeCache cache;
    V3Options cached;
    cached.elements = elements;
    cached.shapes = &cache;
    V3Options walked;
    walked.elements = elements;
    FlowRecord a;
    FlowRecord b;
    ReadCounters ca;
    ReadCounters cb;
    bool first = true;
    for (size_t step = 0; step < order.size(); ++step) {
        const Bytes& r = records[order[step]];
        CAPTURE(step, order[step]);
        const char* error = nullptr;
        const Decoded da = first ? DecodeV3(r.data(), r.size(), cached, &a, &ca, &error)
                                 : DecodeV3Over(r.data(), r.size(), cached, &a, &ca, &error);
        const Decoded db = DecodeV3(r.data(), r.size(), walked, &b, &cb, &error);
        first = false;
        REQUIRE(da == db);
        REQUIRE(da == Decoded::kFlow);
        CHECK(a.present == b.present);
        CHECK(ca.unknown_elements == cb.unknown_elements);
        if (elements == kAllElements) {
            CHECK(std::memcmp(&a, &b, sizeof(FlowRecord)) == 0);
        } else {
            // Fields of elements outside the set may differ (DecodeV3Over leaves them).
            CHECK(a.first_ms == b.first_ms);
            CHECK(a.packets == b.packets);
            CHECK(a.proto == b.proto);
            CHECK(a.src_addr == b.src_addr);
            CHECK(a.src_vlan == b.src_vlan);
        }
    }
}

}  // namespace

TEST_CASE("records found in the shape cache decode as when walked", "[nffile]") {
    std::vector<Bytes> records = LookAlikes();
    for (uint32_t i = 0; i < 24; ++i) records.push_back(Encode(MakeRecord(i)));
    // Records whose presence bits depend on their values, which DecodeV3Over's path for
    // records like the last must not take: both address families (the family kept depends
    // on the addresses and the layer-2 IP version), and an event record without flow times
    // (they come from the event time).
    Bytes v4(8, 0);
    Bytes v6(32, 0x20);
    Bytes zero_v4(8, 0);
    Store32(v4.data(), 0x0a000001);
    Bytes layer2_v6(32, 0);
    layer2_v6[26] = 6;  // ip_version
    Bytes nsel(16, 0);
    Store64(nsel.data(), 1700000000123);
    records.push_back(RawV3({{kExGenericFlow, Generic(1000, 6)}, {kExIpv4Flow, v4},
                             {kExIpv6Flow, v6}}));
    records.push_back(RawV3({{kExGenericFlow, Generic(1000, 6)}, {kExIpv4Flow, zero_v4},
                             {kExIpv6Flow, v6}}));
    records.push_back(RawV3({{kExGenericFlow, Generic(1000, 6)}, {kExIpv4Flow, v4},
                             {kExIpv6Flow, v6}, {kExLayer2, layer2_v6}}));
    // The same elements but the flow address in the other family, or none: a record of
    // one decoded over one of another, from the cache, must not keep the earlier address.
    Bytes vlan(8, 0x31);
    records.push_back(RawV3({{kExGenericFlow, Generic(2000, 6)}, {kExIpv4Flow, v4},
                             {kExVlan, vlan}}));
    records.push_back(RawV3({{kExGenericFlow, Generic(3000, 17)}, {kExIpv6Flow, v6},
                             {kExVlan, vlan}}));
    records.push_back(RawV3({{kExGenericFlow, Generic(4000, 1)}, {kExVlan, vlan}}));
    // No element at all: its list is all padding.
    records.push_back(RawV3({}));
    records.push_back(RawV3({{kExGenericFlow, Generic(0, 6)}, {kExNselCommon, nsel}}));
    records.push_back(RawV3({{kExGenericFlow, Generic(5000, 6)}, {kExNselCommon, nsel}}));
    // Each record twice in a row (the second found in the cache), then every record after
    // every other, which cycles more layouts through the cache than it keeps.
    std::vector<size_t> order;
    for (size_t i = 0; i < records.size(); ++i) order.insert(order.end(), {i, i});
    for (size_t i = 0; i < records.size(); ++i) {
        for (size_t j = 0; j < records.size(); ++j) order.insert(order.end(), {i, j, i});
    }
    const uint64_t generic_vlan =
        V3ElementsNeeded(uint64_t{1} << kExGenericFlow | uint64_t{1} << kExVlan);
    const uint64_t addresses = V3ElementsNeeded(uint64_t{1} << kExIpv4Flow);
    for (uint64_t elements : {kAllElements, generic_vlan, addresses}) {
        CAPTURE(elements);
        CheckSequence(records, order, elements);
    }
}

TEST_CASE("a record of the same size and element count as a cached one is not taken for it",
          "[nffile]") {
    const std::vector<Bytes> records = LookAlikes();
    V3ShapeCache cache;
    V3Options options;
    options.shapes = &cache;
    FlowRecord r;
    ReadCounters counters;
    const char* error = nullptr;
    // VLAN record cached, then the AS record of the same shape.
    REQUIRE(DecodeV3(records[0].data(), records[0].size(), options, &r, &counters, &error) ==
            Decoded::kFlow);
    CHECK(r.src_vlan == 0x11111111u);
    REQUIRE(DecodeV3Over(records[1].data(), records[1].size(), options, &r, &counters, &error) ==
            Decoded::kFlow);
    CHECK_FALSE(r.Has(kExVlan));
    CHECK(r.src_vlan == 0);
    CHECK(r.src_as == 0x22222222u);
    CHECK(r.proto == 17);
}

TEST_CASE("a damaged record is not cached and is reported on every read", "[nffile]") {
    Bytes bad = RawV3({{kExGenericFlow, Generic(1000, 6)}, {kExVlan, Filled(8, 1)}});
    Store16(bad.data() + kV3HeaderSize + 52 + 2, 200);  // the VLAN element overruns the record
    V3ShapeCache cache;
    V3Options options;
    options.shapes = &cache;
    FlowRecord r;
    ReadCounters counters;
    for (int i = 0; i < 3; ++i) {
        const char* error = nullptr;
        CHECK(DecodeV3(bad.data(), bad.size(), options, &r, &counters, &error) ==
              Decoded::kCorrupt);
        CHECK(error != nullptr);
    }
    for (const V3ShapeCache::Shape& s : cache.shapes) CHECK(s.size_count == 0);
}

// Bytes after a record's last element: its size or its element count is wrong. Decoding
// the elements it counts and dropping the rest printed a record of fewer elements than it
// was written with (no addresses, here); it is refused, cached or not.
TEST_CASE("a record longer than its elements is refused", "[nffile]") {
    Bytes whole = RawV3({{kExGenericFlow, Generic(1000, 6)}, {kExIpv4Flow, Filled(8, 7)}});
    Bytes short_count = whole;
    Store16(short_count.data() + 4, 1);  // one element counted, two there
    Bytes padded = RawV3({{kExGenericFlow, Generic(1000, 6)}});
    padded.insert(padded.end(), 4, 0);
    Store16(padded.data() + 2, static_cast<uint16_t>(padded.size()));
    V3ShapeCache cache;
    V3Options options;
    options.shapes = &cache;
    for (const Bytes* bad : {&short_count, &padded}) {
        FlowRecord r;
        ReadCounters counters;
        for (int i = 0; i < 2; ++i) {
            const char* error = nullptr;
            CHECK(DecodeV3(bad->data(), bad->size(), options, &r, &counters, &error) ==
                  Decoded::kCorrupt);
            CHECK_THAT(error, Catch::Equals("V3 record longer than its elements"));
        }
    }
    FlowRecord r;
    ReadCounters counters;
    const char* error = nullptr;
    CHECK(DecodeV3(whole.data(), whole.size(), options, &r, &counters, &error) == Decoded::kFlow);
}
