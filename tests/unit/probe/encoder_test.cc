// SPDX-License-Identifier: BSD-2-Clause
// FlowEncoder as flowprobe uses it: what it writes decodes back with flowkit's decoder
// (VLAN, ICMP type/code, exact times, sampling applied), headers count every record,
// sequence numbers follow each version's rule, templates come back on schedule, and v5
// skips IPv6 flows visibly.
#include <catch2/catch.hpp>
#include <cstdint>
#include <vector>

#include "flow/sample_exporter.h"
#include "flow/wire.h"

using flow::FlowRecord;
using flow::wire::EncodeFlow;
using flow::wire::EncoderOptions;
using flow::wire::FlowEncoder;

namespace {

constexpr uint64_t kBoot = 1700000000000;

uint32_t U32(const std::vector<uint8_t>& b, size_t at) {
    return uint32_t{b[at]} << 24 | uint32_t{b[at + 1]} << 16 | uint32_t{b[at + 2]} << 8 | b[at + 3];
}
uint16_t U16(const std::vector<uint8_t>& b, size_t at) {
    return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

EncodeFlow Flow(int i, bool v6 = false) {
    EncodeFlow f;
    f.v6 = v6;
    f.src[0] = 10;
    f.src[3] = static_cast<uint8_t>(i);
    f.dst[0] = v6 ? 0x20 : 192;
    f.dst[15] = 1;
    f.dst[3] = 7;
    f.proto = i % 2 ? 1 : 17;
    f.src_port = i % 2 ? 0 : static_cast<uint16_t>(1000 + i);
    f.dst_port = i % 2 ? 0x0303 : 53;  // ICMP port unreachable
    f.packets = 3;
    f.bytes = 300;
    f.first_ms = kBoot + 5000 + static_cast<uint64_t>(i);
    f.last_ms = f.first_ms + 1234;
    f.input = 4;
    f.vlan = static_cast<uint16_t>(100 + i);
    return f;
}

std::vector<std::vector<uint8_t>> Encode(const EncoderOptions& o, int flows, bool v6 = false) {
    FlowEncoder enc(o);
    std::vector<std::vector<uint8_t>> out;
    const uint64_t now = kBoot + 60000;
    enc.Begin(now, 60000, kBoot);
    for (int i = 0; i < flows; ++i) {
        if (!enc.Add(Flow(i, v6))) {
            out.push_back(enc.Finish());
            enc.Begin(now, 60000, kBoot);
            REQUIRE(enc.Add(Flow(i, v6)));
        }
    }
    out.push_back(enc.Finish());
    return out;
}

}  // namespace

TEST_CASE("Probe flows round-trip through v9 and IPFIX with VLAN, ICMP and sampling",
          "[probe][encoder]") {
    const uint16_t version = GENERATE(uint16_t{9}, uint16_t{10});
    CAPTURE(version);
    EncoderOptions o;
    o.version = version;
    o.vlan = true;
    o.sampling_interval = 4;
    o.sampling_algorithm = 1;
    const auto datagrams = Encode(o, 100);
    REQUIRE(datagrams.size() > 1);

    flow::wire::Decoder decoder;
    std::vector<FlowRecord> all;
    for (const auto& d : datagrams) {
        std::vector<FlowRecord> out;
        REQUIRE(decoder
                    .Decode(d.data(), d.size(), flow::wire::Endpoint::V4(0x7f000001), kBoot + 60000,
                            &out)
                    .ok());
        all.insert(all.end(), out.begin(), out.end());
    }
    REQUIRE(all.size() == 100);
    CHECK(decoder.exporter(0).counters.sequence_failures == 0);
    for (size_t i = 0; i < all.size(); ++i) {
        const EncodeFlow want = Flow(static_cast<int>(i));
        const FlowRecord& r = all[i];
        CAPTURE(i);
        CHECK(r.first_ms == want.first_ms);
        CHECK(r.last_ms == want.last_ms);
        CHECK(r.dst_port == want.dst_port);
        CHECK(r.src_vlan == want.vlan);
        CHECK(r.input == 4);
        CHECK(r.packets == 12);  // 1 out of 4: the collector multiplies
        CHECK(r.bytes == 1200);
    }
}

TEST_CASE("NetFlow v9 count includes templates, options template and options data",
          "[probe][encoder][regression]") {
    // Guards the count of the first datagram with sampling: RFC 3954 §5.1 counts every
    // record; the sample generator used to leave out the options data record.
    EncoderOptions o;
    o.version = 9;
    o.sampling_interval = 10;
    const auto datagrams = Encode(o, 5);
    REQUIRE(datagrams.size() == 1);
    CHECK(U16(datagrams[0], 2) == 2 + 1 + 1 + 5);
}

TEST_CASE("Sequence numbers: v5 flows, v9 datagrams, IPFIX data records", "[probe][encoder]") {
    EncoderOptions o;
    o.sampling_interval = 2;
    o.version = 5;
    auto d = Encode(o, 70);
    REQUIRE(d.size() == 3);
    CHECK(U32(d[1], 16) == 30);
    CHECK(U32(d[2], 16) == 60);
    CHECK(U16(d[2], 22) == (0x4000 | 2));

    o.version = 9;
    d = Encode(o, 200);
    REQUIRE(d.size() > 2);
    CHECK(U32(d[0], 12) == 0);
    CHECK(U32(d[1], 12) == 1);
    CHECK(U32(d[2], 12) == 2);

    o.version = 10;
    d = Encode(o, 200);
    REQUIRE(d.size() > 2);
    // The first message carries the sampling options data record and some flows.
    flow::wire::Decoder decoder;
    std::vector<FlowRecord> out;
    REQUIRE(
        decoder.Decode(d[0].data(), d[0].size(), flow::wire::Endpoint::V4(1), kBoot, &out).ok());
    CHECK(U32(d[0], 8) == 0);
    CHECK(U32(d[1], 8) == out.size() + 1);
}

TEST_CASE("Templates are repeated every N datagrams and after the interval", "[probe][encoder]") {
    EncoderOptions o;
    o.version = 10;
    o.template_every = 3;
    o.template_interval_ms = 10000;
    FlowEncoder enc(o);
    std::vector<bool> with;
    const uint64_t times[] = {0, 1000, 2000, 3000, 4000, 15000, 16000};
    for (uint64_t t : times) {
        enc.Begin(kBoot + t, static_cast<uint32_t>(t), kBoot);
        with.push_back(enc.has_templates());
        REQUIRE(enc.Add(Flow(1)));
        (void)enc.Finish();
    }
    CHECK(with == std::vector<bool>{true, false, false, true, false, true, true});
}

TEST_CASE("NetFlow v5 skips IPv6 flows and counts them", "[probe][encoder]") {
    EncoderOptions o;
    o.version = 5;
    FlowEncoder enc(o);
    enc.Begin(kBoot + 1000, 1000, kBoot);
    CHECK(enc.Add(Flow(1, true)));
    CHECK(enc.Add(Flow(2)));
    const auto& bytes = enc.Finish();
    CHECK(enc.v6_dropped() == 1);
    CHECK(U16(bytes, 2) == 1);
    CHECK(bytes.size() == 24 + 48);
}

TEST_CASE("A datagram filled over minutes and stamped when sent decodes to its flows' times",
          "[probe][encoder][regression]") {
    // Guards flowprobe -r -v 5: a header stamped when the datagram was begun had a sysUptime
    // below later records' Last, and collectors stored those flows 2^32 ms too early.
    const uint16_t version = GENERATE(uint16_t{5}, uint16_t{9}, uint16_t{10});
    CAPTURE(version);
    EncoderOptions o;
    o.version = version;
    FlowEncoder enc(o);
    enc.Begin(kBoot + 5000, 5000, kBoot);
    std::vector<EncodeFlow> flows;
    for (int i = 0; i < 10; ++i) {
        flows.push_back(Flow(i));
        flows.back().last_ms = kBoot + 6000 + static_cast<uint64_t>(i) * 60000;
        REQUIRE(enc.Add(flows.back()));
    }
    const uint64_t sent = kBoot + 600123;  // after the last flow ended
    const uint64_t stamp = version == 9 ? sent / 1000 * 1000 : sent;
    enc.SetExportTime(sent, static_cast<uint32_t>(stamp - kBoot));
    const std::vector<uint8_t> d = enc.Finish();

    CHECK(U32(d, version == 10 ? 4 : 8) == sent / 1000);
    if (version == 5) {
        CHECK(U32(d, 4) == 600123);
        CHECK(U32(d, 12) == 123000000);  // unix_nsecs
        for (size_t i = 0; i < flows.size(); ++i) {
            CAPTURE(i);
            CHECK(U32(d, 24 + 48 * i + 28) <= U32(d, 4));  // Last <= sysUptime
        }
    }
    flow::wire::Decoder decoder;
    std::vector<FlowRecord> out;
    REQUIRE(decoder.Decode(d.data(), d.size(), flow::wire::Endpoint::V4(1), sent, &out).ok());
    REQUIRE(out.size() == flows.size());
    for (size_t i = 0; i < out.size(); ++i) {
        CAPTURE(i);
        CHECK(out[i].first_ms == flows[i].first_ms);
        CHECK(out[i].last_ms == flows[i].last_ms);
    }
}
