// SPDX-License-Identifier: BSD-2-Clause
// Hostile and broken input: every prefix and every single-byte flip of valid v5, v9 and
// IPFIX datagrams, random garbage, and the limits on exporters and templates. The decoder
// must return a Status and count, never crash or grow without bound. Run these under
// ASan/UBSan (FLOWKIT_SANITIZE=ON) to make "never crash" mean "never touch a wrong byte".
#include <catch2/catch.hpp>
#include <random>

#include "flow/wire.h"
#include "unit/wire/wire_builder.h"

using flow::FlowRecord;
using flow::wire::DecodeError;
using flow::wire::Decoder;
using flow::wire::Endpoint;
using wiretest::Writer;

namespace {

const Endpoint kExporter = Endpoint::V4(0xc0000263);

std::vector<uint8_t> ValidV5() {
    Writer w;
    w.U16(5).U16(2).U32(100000).U32(1700000000).U32(0).U32(1).U8(0).U8(0).U16(0x4064);
    for (int i = 0; i < 2; ++i) {
        w.U32(0x0a000001)
            .U32(0x0a000002)
            .U32(0x0a0000fe)
            .U16(1)
            .U16(2)
            .U32(3)
            .U32(300)
            .U32(90000)
            .U32(95000)
            .U16(1)
            .U16(2)
            .U8(0)
            .U8(0x12)
            .U8(6)
            .U8(0)
            .U16(1)
            .U16(2)
            .U8(8)
            .U8(8)
            .U16(0);
    }
    return w.bytes();
}

std::vector<uint8_t> ValidV9() {
    Writer w = wiretest::V9Header(1000, 1700000000, 1, 0);
    wiretest::V9OptionsTemplate(&w, 256, {{1, 4}}, {{48, 1}, {50, 4}});
    const size_t opt = w.BeginSet(256);
    w.U32(0).U8(1).U32(10).Zeros(3);
    w.EndSet(opt);
    wiretest::V9Template(
        &w, 260,
        {{8, 4}, {12, 4}, {22, 4}, {21, 4}, {1, 4}, {2, 4}, {48, 1}, {95, 4}, {40000, 20}});
    const size_t set = w.BeginSet(260);
    for (int i = 0; i < 3; ++i) {
        w.Ip4(192, 0, 2, 1)
            .Ip4(198, 51, 100, 1)
            .U32(500)
            .U32(900)
            .U32(64)
            .U32(1)
            .U8(1)
            .U32(0x0300000d)
            .Text("alice")
            .Zeros(15);
    }
    w.EndSet(set);
    return w.bytes();
}

std::vector<uint8_t> ValidIpfix() {
    Writer w = wiretest::IpfixHeader(1700000000, 0, 1);
    wiretest::IpfixOptionsTemplate(&w, 256, {{149, 4}}, {{34, 4}, {35, 1}});
    const size_t opt = w.BeginSet(256);
    w.U32(1).U32(100).U8(2);
    w.EndSet(opt);
    wiretest::IpfixTemplate(
        &w, 257,
        {{27, 16}, {28, 16}, {96, 65535}, {1, 8, 29305}, {1, 8}, {152, 8}, {153, 8}, {293, 65535}});
    wiretest::IpfixTemplate(&w, 258, {{56, 6}});
    const size_t set = w.BeginSet(257);
    for (int i = 0; i < 2; ++i) {
        w.U32(0x20010db8)
            .Zeros(12)
            .U32(0x20010db8)
            .Zeros(12)
            .U8(4)
            .Text("http")
            .U64(10)
            .U64(20)
            .U64(1700000000000ull)
            .U64(1700000001000ull);
        w.U8(1 + 4 + 6).U8(3).U16(258).U16(10).U48(0x0000aabbccddull);
    }
    w.EndSet(set);
    return wiretest::IpfixDone(w);
}

// Feeds `bytes` to a decoder that has already seen the full valid datagram (so templates
// are known and the damage reaches the data path).
void Feed(Decoder* d, const std::vector<uint8_t>& bytes, std::vector<FlowRecord>* out) {
    out->clear();
    (void)d->Decode(bytes.data(), bytes.size(), kExporter, 1700000000000ull, out);
    for (const auto& r : *out) {
        // Whatever survives is a well-formed record of this exporter.
        REQUIRE(r.exporter_sysid >= 1);
        REQUIRE(r.exporter_sysid <= d->exporter_count());
    }
}

}  // namespace

TEST_CASE("Every prefix of a valid datagram is decoded or rejected with a status",
          "[wire][robustness]") {
    auto [name, valid] = GENERATE(table<const char*, std::vector<uint8_t>>({
        {"v5", ValidV5()},
        {"v9", ValidV9()},
        {"ipfix", ValidIpfix()},
    }));
    CAPTURE(name);
    Decoder d;
    std::vector<FlowRecord> out;
    Feed(&d, valid, &out);
    const size_t full = out.size();
    REQUIRE(full >= 2);
    size_t failures = 0;
    for (size_t len = 0; len < valid.size(); ++len) {
        std::vector<uint8_t> prefix(valid.begin(), valid.begin() + len);
        out.clear();
        auto st = d.Decode(prefix.data(), prefix.size(), kExporter, 1700000000000ull, &out);
        CHECK(out.size() <= full);
        if (!st.ok()) ++failures;
    }
    // A cut datagram is noticed unless the cut falls exactly after a whole v9 flowset.
    CHECK(failures >= valid.size() / 2);
    // Nothing was learned from the damaged copies that breaks the valid one.
    Feed(&d, valid, &out);
    CHECK(out.size() == full);
}

TEST_CASE("Every single-byte change of a valid datagram is survived", "[wire][robustness]") {
    auto [name, valid] = GENERATE(table<const char*, std::vector<uint8_t>>({
        {"v5", ValidV5()},
        {"v9", ValidV9()},
        {"ipfix", ValidIpfix()},
    }));
    CAPTURE(name);
    std::vector<FlowRecord> out;
    for (size_t at = 0; at < valid.size(); ++at) {
        for (uint8_t value :
             {uint8_t{0x00}, uint8_t{0xff}, static_cast<uint8_t>(valid[at] ^ 0x80)}) {
            Decoder d;
            Feed(&d, valid, &out);
            auto damaged = valid;
            damaged[at] = value;
            Feed(&d, damaged, &out);
            // Bounded: a datagram can never yield more records than it has bytes.
            CHECK(out.size() <= damaged.size());
        }
    }
}

TEST_CASE("Random garbage never crashes and is counted", "[wire][robustness]") {
    std::mt19937_64 rng(20240601);
    Decoder d;
    std::vector<FlowRecord> out;
    size_t rejected_before = 0;
    for (int i = 0; i < 3000; ++i) {
        std::vector<uint8_t> bytes(rng() % 1500);
        for (auto& b : bytes) b = static_cast<uint8_t>(rng());
        // Half of them get a plausible version so they reach the set parsers.
        if (bytes.size() >= 2 && i % 2 == 0) {
            const uint16_t versions[] = {1, 5, 7, 9, 10};
            const uint16_t v = versions[rng() % 5];
            bytes[0] = static_cast<uint8_t>(v >> 8);
            bytes[1] = static_cast<uint8_t>(v);
        }
        Endpoint from = Endpoint::V4(0xc0000200 | static_cast<uint32_t>(rng() % 4));
        out.clear();
        (void)d.Decode(bytes.data(), bytes.size(), from, 1700000000000ull, &out);
        CHECK(out.size() <= bytes.size());
    }
    CHECK(d.counters().datagrams == 3000);
    CHECK(d.counters().rejected > rejected_before);
    CHECK(d.counters().error(DecodeError::kUnknownVersion) > 0);
    CHECK(d.exporter_count() > 0);
}

TEST_CASE("Empty and tiny datagrams are truncated headers", "[wire][robustness]") {
    Decoder d;
    std::vector<FlowRecord> out;
    CHECK(d.Decode(nullptr, 0, kExporter, 0, &out).code() == flow::StatusCode::kTruncated);
    const uint8_t one[] = {0};
    CHECK(d.Decode(one, 1, kExporter, 0, &out).code() == flow::StatusCode::kTruncated);
    const uint8_t v9[] = {0, 9, 0, 1, 0, 0};
    CHECK(d.Decode(v9, sizeof v9, kExporter, 0, &out).code() == flow::StatusCode::kTruncated);
    const uint8_t v77[] = {0, 77, 0, 1};
    CHECK(d.Decode(v77, sizeof v77, kExporter, 0, &out).code() == flow::StatusCode::kUnsupported);
    CHECK(d.counters().error(DecodeError::kTruncatedHeader) == 3);
    CHECK(d.counters().error(DecodeError::kUnknownVersion) == 1);
    CHECK(d.counters().rejected == 4);
    CHECK(d.exporter_count() == 0);
}

TEST_CASE("Template count per exporter is bounded", "[wire][robustness][limits]") {
    Decoder d;
    std::vector<FlowRecord> out;
    uint16_t id = 256;
    for (int msg = 0; msg < 12; ++msg) {
        Writer w = wiretest::IpfixHeader(1700000000, 0, 0);
        const size_t set = w.BeginSet(2);
        for (int i = 0; i < 50; ++i) w.U16(id++).U16(1).U16(8).U16(4);
        w.EndSet(set);
        auto msg_bytes = wiretest::IpfixDone(w);
        out.clear();
        (void)d.Decode(msg_bytes.data(), msg_bytes.size(), kExporter, 0, &out);
    }
    CHECK(d.exporter(0).counters.templates_learned == flow::wire::kMaxTemplatesPerExporter);
    CHECK(d.exporter(0).counters.error(DecodeError::kTemplateLimit) ==
          600 - flow::wire::kMaxTemplatesPerExporter);
}

TEST_CASE("Exporter table is bounded", "[wire][robustness][limits]") {
    Decoder d;
    std::vector<FlowRecord> out;
    Writer w = wiretest::V9Header(1000, 1700000000, 1, 0);
    for (uint32_t i = 0; i <= flow::wire::kMaxExporters; ++i) {
        out.clear();
        auto st = d.Decode(w.bytes().data(), w.size(), Endpoint::V4(0x0a000000 + i), 0, &out);
        if (i < flow::wire::kMaxExporters) {
            REQUIRE(st.ok());
        } else {
            CHECK(st.code() == flow::StatusCode::kUnsupported);
        }
    }
    CHECK(d.exporter_count() == flow::wire::kMaxExporters);
    CHECK(d.counters().error(DecodeError::kExporterLimit) == 1);
    CHECK(d.exporter(flow::wire::kMaxExporters - 1).sysid == flow::wire::kMaxExporters);
}

TEST_CASE("Truncated sets at every length are counted, never decoded past the end",
          "[wire][robustness]") {
    // One v9 data flowset whose declared length is every value from 0 to beyond the packet.
    Decoder d;
    std::vector<FlowRecord> out;
    Writer t = wiretest::V9Header(1000, 1700000000, 1, 0);
    wiretest::V9Template(&t, 300, {{8, 4}, {12, 4}, {1, 4}});
    (void)d.Decode(t.bytes().data(), t.size(), kExporter, 0, &out);
    for (uint16_t declared = 0; declared < 64; ++declared) {
        CAPTURE(declared);
        Writer w = wiretest::V9Header(1000, 1700000000, 2, 0);
        w.U16(300).U16(declared);
        for (int i = 0; i < 3; ++i) w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U32(1);
        out.clear();
        auto st = d.Decode(w.bytes().data(), w.size(), kExporter, 0, &out);
        const size_t body = declared >= 4 ? declared - 4u : 0;
        if (declared < 4) {
            CHECK_FALSE(st.ok());
            CHECK(out.empty());
        } else if (declared <= 4 + 36) {
            CHECK(out.size() == body / 12);
        } else {
            CHECK(st.code() == flow::StatusCode::kTruncated);
            CHECK(out.empty());
        }
    }
}
