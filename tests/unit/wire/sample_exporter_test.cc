// SPDX-License-Identifier: BSD-2-Clause
// The sample traffic generator: deterministic per seed, and its datagrams decode without
// errors into the promised number of plausible flows for every version.
#include "flow/sample_exporter.h"

#include <catch2/catch.hpp>
#include <numeric>

#include "flow/wire.h"

using flow::FlowRecord;
using flow::wire::Decoder;
using flow::wire::GenerateSampleTraffic;
using flow::wire::SampleOptions;

namespace {

uint64_t ErrorTotal(const flow::wire::ExporterCounters& c) {
    return std::accumulate(c.errors.begin(), c.errors.end(), uint64_t{0});
}

}  // namespace

TEST_CASE("Sample traffic is deterministic per seed", "[wire][sample]") {
    SampleOptions a;
    a.version = 10;
    a.seed = 42;
    SampleOptions b = a;
    b.seed = 43;
    const auto first = GenerateSampleTraffic(a);
    const auto again = GenerateSampleTraffic(a);
    const auto other = GenerateSampleTraffic(b);
    REQUIRE(first.size() == again.size());
    for (size_t i = 0; i < first.size(); ++i) CHECK(first[i].bytes == again[i].bytes);
    CHECK(first[1].bytes != other[1].bytes);
    SampleOptions bad;
    bad.version = 8;
    CHECK(GenerateSampleTraffic(bad).empty());
}

TEST_CASE("Sample traffic decodes cleanly into the requested flows", "[wire][sample]") {
    auto [version, sampling] = GENERATE(
        table<uint16_t, uint32_t>({{5, 0}, {9, 0}, {10, 0}, {5, 100}, {9, 100}, {10, 100}}));
    CAPTURE(version, sampling);
    SampleOptions opt;
    opt.version = version;
    opt.flows = 500;
    opt.seed = 7;
    opt.sampling_interval = sampling;
    const auto datagrams = GenerateSampleTraffic(opt);
    REQUIRE(datagrams.size() > 3);

    Decoder decoder;
    std::vector<FlowRecord> out;
    std::vector<FlowRecord> all;
    const auto from = flow::wire::Endpoint::V4(0xc0000201);
    for (const auto& d : datagrams) {
        out.clear();
        auto st = decoder.Decode(d.bytes.data(), d.bytes.size(), from, d.export_time_ms, &out);
        REQUIRE(st.ok());
        CHECK(out.size() == d.flows);
        CHECK(d.bytes.size() <= 1464);  // a full v5 datagram; v9/IPFIX stay below 1400
        all.insert(all.end(), out.begin(), out.end());
    }
    REQUIRE(all.size() == 500);
    REQUIRE(decoder.exporter_count() == 1);
    const auto& counters = decoder.exporter(0).counters;
    CHECK(counters.sequence_failures == 0);
    CHECK(ErrorTotal(counters) == 0);
    CHECK(counters.no_template_sets == 0);

    size_t v6 = 0;
    size_t icmp = 0;
    const uint64_t start = opt.export_time_ms;
    const uint64_t end = datagrams.back().export_time_ms;
    for (const auto& r : all) {
        v6 += r.IsV6();
        CHECK(r.first_ms <= r.last_ms);
        CHECK(r.last_ms + 61000 >= start);
        CHECK(r.last_ms <= end);
        CHECK(r.packets >= 1);
        CHECK(r.bytes >= 40 * r.packets);
        if (r.proto == 1 || r.proto == 58) {
            ++icmp;
            CHECK(r.src_port == 0);
            CHECK((r.dst_port >> 8) <= 129);
        }
        if (sampling > 1) {
            CHECK((r.flags & flow::kFlagSampled) != 0);
            CHECK(r.packets % sampling == 0);
        } else {
            CHECK(r.flags == 0);
        }
    }
    if (version == 5) {
        CHECK(v6 == 0);
    } else {
        CHECK(v6 > 50);
        CHECK(v6 < 250);
    }
    CHECK(icmp > 0);
    CHECK(decoder.sampler_count() == (sampling > 1 ? 1u : 0u));
}
