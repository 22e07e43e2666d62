// SPDX-License-Identifier: BSD-2-Clause
// Decoder::DecodeEncoded (flowcapd's path: templates compiled into direct wire -> V3
// encoders) must give, record for record, the bytes and stat counts of Decode() followed by
// the writer's EncodeV3: for generated v5, v9 and IPFIX traffic, hand-built templates of the
// cases the direct encoder handles or declines, and every capture of the shared corpus.
#include "flow/encoded.h"

#include <catch2/catch.hpp>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "flow/pcap_source.h"
#include "flow/sample_exporter.h"
#include "flow/wire.h"
#include "nffile/records.h"
#include "wire/template.h"
#include "wire_builder.h"

using namespace flow;
using flow::wire::Decoder;
using flow::wire::DecoderOptions;
using flow::wire::Endpoint;
using namespace wiretest;

namespace {

struct Datagram {
    std::vector<uint8_t> bytes;
    Endpoint from;
    uint64_t now_ms = 0;
};

// Two decoders fed the same datagrams, one per path.
class PathPair {
public:
    explicit PathPair(DecoderOptions options = {}) : plain_(options), encoded_(options) {}

    void Feed(const Datagram& d) {
        records_.clear();
        out_.Clear();
        const Status a = plain_.Decode(d.bytes.data(), d.bytes.size(), d.from, d.now_ms, &records_);
        const Status b =
            encoded_.DecodeEncoded(d.bytes.data(), d.bytes.size(), d.from, d.now_ms, &out_);
        CHECK(a.ok() == b.ok());
        REQUIRE(out_.size() == records_.size());
        const uint8_t* p = out_.data();
        for (size_t i = 0; i < records_.size(); ++i) {
            const FlowRecord& r = records_[i];
            uint8_t want[nffile::kMaxV3RecordSize];
            const size_t n = nffile::EncodeV3(r, want);
            const size_t size = p[2] | size_t{p[3]} << 8;
            CAPTURE(flows_, i);
            REQUIRE(size == n);
            CHECK(std::memcmp(p, want, n) == 0);
            const FlowCounts& c = out_.counts()[i];
            CHECK(c.flows == r.flows);
            CHECK(c.packets == r.packets);
            CHECK(c.bytes == r.bytes);
            CHECK(c.out_packets == r.out_packets);
            CHECK(c.out_bytes == r.out_bytes);
            CHECK(c.first_ms == r.first_ms);
            CHECK(c.last_ms == r.last_ms);
            CHECK(c.proto == r.proto);
            p += size;
        }
        CHECK(static_cast<size_t>(p - out_.data()) == out_.bytes());
        flows_ += records_.size();
        REQUIRE(plain_.exporter_count() == encoded_.exporter_count());
        for (size_t i = 0; i < plain_.exporter_count(); ++i) {
            CHECK(plain_.exporter(i).counters.flows == encoded_.exporter(i).counters.flows);
            CHECK(plain_.exporter(i).interval.flows == encoded_.exporter(i).interval.flows);
        }
    }

    size_t flows() const { return flows_; }

private:
    Decoder plain_;
    Decoder encoded_;
    std::vector<FlowRecord> records_;
    EncodedFlows out_;
    size_t flows_ = 0;
};

Endpoint Exporter(bool v6 = false) {
    if (v6) {
        const uint8_t a[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9};
        return Endpoint::V6(a, 2055);
    }
    return Endpoint::V4(0x0a000001, 2055);
}

void FeedSample(uint16_t version, uint32_t sampling, double v6_share, bool v6_exporter) {
    wire::SampleOptions o;
    o.version = version;
    o.flows = 3000;
    o.seed = version * 7 + sampling;
    o.sampling_interval = sampling;
    o.ipv6_share = v6_share;
    PathPair pair;
    for (const wire::SampleDatagram& d : wire::GenerateSampleTraffic(o)) {
        pair.Feed({d.bytes, Exporter(v6_exporter), d.export_time_ms + 5});
    }
    CHECK(pair.flows() == 3000);
}

// The v9 data template of the flows below and one record of it.
constexpr uint32_t kUptime = 3600000;
constexpr uint32_t kSecs = 1700000000;

}  // namespace

TEST_CASE("DecodeEncoded gives the records of Decode for generated v5, v9 and IPFIX traffic",
          "[wire][encoded]") {
    for (uint16_t version : {5, 9, 10}) {
        for (uint32_t sampling : {0u, 100u}) {
            for (bool v6_exporter : {false, true}) {
                CAPTURE(version, sampling, v6_exporter);
                FeedSample(version, sampling, 0.25, v6_exporter);
            }
        }
    }
}

TEST_CASE("DecodeEncoded gives the records of Decode with VLAN and ICMP type fields",
          "[wire][encoded]") {
    for (uint16_t version : {9, 10}) {
        wire::EncoderOptions options;
        options.version = version;
        options.vlan = true;
        options.icmp_type = true;
        options.template_every = 3;
        wire::FlowEncoder enc(options);
        PathPair pair;
        uint64_t now = 1700000000000;
        enc.Begin(now, kUptime, now - kUptime);
        for (int i = 0; i < 500; ++i) {
            wire::EncodeFlow f;
            f.v6 = i % 3 == 0;
            f.src[0] = 10;
            f.src[3] = static_cast<uint8_t>(i);
            f.dst[0] = 192;
            f.dst[15] = static_cast<uint8_t>(i * 7);
            f.proto = i % 5 == 0 ? (f.v6 ? 58 : 1) : (i % 2 ? 6 : 17);
            f.src_port = static_cast<uint16_t>(i % 5 == 0 ? 0 : 1024 + i);
            f.dst_port = static_cast<uint16_t>(i % 5 == 0 ? 0x0800 : 443);
            f.packets = 1 + i;
            f.bytes = 100 * (1 + i);
            f.first_ms = now - 5000 + i;
            f.last_ms = now - 100;
            f.vlan = static_cast<uint16_t>(i);
            f.input = 1;
            f.output = 2;
            if (!enc.Add(f)) {
                pair.Feed({enc.Finish(), Exporter(), now});
                now += 10;
                enc.Begin(now, kUptime, now - kUptime);
                REQUIRE(enc.Add(f));
            }
        }
        pair.Feed({enc.Finish(), Exporter(), now});
        CHECK(pair.flows() == 500);
    }
}

TEST_CASE("DecodeEncoded handles v9 flow counts, out counters, engine ids and samplers",
          "[wire][encoded]") {
    // #3 flows (one record sends 0, which becomes 1), #23/#24 out counters, #38/#39 engine
    // ids, #48 sampler id naming a sampler of the options data, #34 an inline interval on
    // another template, an ICMP record with type/code in its source port, and a template
    // sending IPv4 and IPv6 addresses (per-record family: the FlowRecord path) in the same
    // message as direct ones, so that their order must hold.
    Writer w = V9Header(kUptime, kSecs, 1, 7, 9);
    V9OptionsTemplate(&w, 300, {{1, 4}}, {{48, 1}, {49, 1}, {50, 4}});
    V9Template(&w, 256,
               {{8, 4},
                {12, 4},
                {4, 1},
                {7, 2},
                {11, 2},
                {1, 4},
                {2, 4},
                {3, 4},
                {23, 8},
                {24, 8},
                {38, 1},
                {39, 1},
                {48, 1},
                {21, 4},
                {22, 4}});
    V9Template(&w, 257, {{8, 4}, {12, 4}, {4, 1}, {7, 2}, {11, 2}, {2, 4}, {1, 4}, {34, 4}});
    V9Template(&w, 258, {{8, 4}, {27, 16}, {12, 4}, {28, 16}, {4, 1}, {1, 4}, {2, 4}});
    size_t set = w.BeginSet(300);
    w.U32(1).U8(5).U8(2).U32(10);
    w.EndSet(set);
    set = w.BeginSet(256);
    w.Ip4(10, 0, 0, 1).Ip4(10, 0, 0, 2).U8(6).U16(1000).U16(80).U32(500).U32(5).U32(0);
    w.U64(70).U64(7).U8(1).U8(2).U8(5).U32(kUptime - 100).U32(kUptime - 900);
    w.Ip4(10, 0, 0, 3).Ip4(10, 0, 0, 4).U8(1).U16(0x0803).U16(0).U32(84).U32(1).U32(3);
    w.U64(0).U64(0).U8(0).U8(0).U8(9).U32(kUptime - 10).U32(kUptime - 20);
    w.EndSet(set);
    set = w.BeginSet(258);
    w.Ip4(0, 0, 0, 0).Zeros(15).U8(1).Ip4(0, 0, 0, 0).Zeros(15).U8(2).U8(17).U32(40).U32(1);
    w.Ip4(1, 2, 3, 4).Zeros(16).Ip4(5, 6, 7, 8).Zeros(16).U8(17).U32(41).U32(1);
    w.EndSet(set);
    set = w.BeginSet(257);
    w.Ip4(10, 0, 0, 5).Ip4(10, 0, 0, 6).U8(17).U16(53).U16(5353).U32(3).U32(300).U32(20);
    w.Ip4(10, 0, 0, 7).Ip4(10, 0, 0, 8).U8(58).U16(0x8000).U16(0).U32(1).U32(64).U32(0);
    w.EndSet(set);
    PathPair pair;
    pair.Feed({w.bytes(), Exporter(), uint64_t{kSecs} * 1000 + 3});
    CHECK(pair.flows() == 6);

    // The same data again in the next message: the templates are known, and a forced
    // sampler (-s -N) scales every record.
    DecoderOptions forced;
    forced.default_sampling = -10;
    PathPair sampled(forced);
    sampled.Feed({w.bytes(), Exporter(true), uint64_t{kSecs} * 1000 + 3});
    CHECK(sampled.flows() == 6);
}

// Guards DecodeEncoded's inline time rule for v9 records with both uptime stamps and
// nothing else: absolute millisecond times (#152/#153) must keep their precedence, a lone
// first stamp its end = start rule, and stamps at the epoch (header time 0) stay there.
TEST_CASE("DecodeEncoded gives the times of Decode for v9 uptime and millisecond stamps",
          "[wire][encoded]") {
    Writer w = V9Header(kUptime, 0, 1, 7, 5);
    V9Template(&w, 256, {{8, 4}, {12, 4}, {4, 1}, {1, 4}, {2, 4}, {22, 4}, {21, 4}});
    V9Template(&w, 257, {{8, 4}, {12, 4}, {4, 1}, {1, 4}, {2, 4}, {22, 4}, {21, 4}, {153, 8}});
    V9Template(&w, 258, {{8, 4}, {12, 4}, {4, 1}, {1, 4}, {2, 4}, {22, 4}, {152, 8}, {21, 4}});
    V9Template(&w, 259, {{8, 4}, {12, 4}, {4, 1}, {1, 4}, {2, 4}, {22, 4}});
    size_t set = w.BeginSet(256);
    w.Ip4(10, 0, 0, 1).Ip4(10, 0, 0, 2).U8(6).U32(500).U32(5).U32(kUptime + 5).U32(kUptime);
    w.Ip4(10, 0, 0, 3).Ip4(10, 0, 0, 4).U8(17).U32(84).U32(1).U32(kUptime + 20).U32(kUptime + 40);
    w.EndSet(set);
    set = w.BeginSet(257);
    w.Ip4(10, 0, 0, 5).Ip4(10, 0, 0, 6).U8(6).U32(40).U32(1);
    w.U32(kUptime + 5).U32(kUptime + 9).U64(uint64_t{kSecs} * 1000);
    w.EndSet(set);
    set = w.BeginSet(258);
    w.Ip4(10, 0, 0, 5).Ip4(10, 0, 0, 6).U8(6).U32(40).U32(1);
    w.U32(kUptime + 5).U64(uint64_t{kSecs} * 1000).U32(kUptime + 9);
    w.EndSet(set);
    set = w.BeginSet(259);
    w.Ip4(10, 0, 0, 7).Ip4(10, 0, 0, 8).U8(17).U32(40).U32(1).U32(kUptime + 7);
    w.EndSet(set);
    PathPair pair;
    pair.Feed({w.bytes(), Exporter(), 3});
    CHECK(pair.flows() == 5);
}

// Guards DecodeEncoded's test before SamplingFactor: an interval in the record itself (#34)
// scales the counters also when the exporter announced no sampler.
TEST_CASE("DecodeEncoded scales by a record's own interval without any sampler",
          "[wire][encoded]") {
    Writer w = V9Header(kUptime, kSecs, 1, 7, 2);
    V9Template(&w, 256, {{8, 4}, {12, 4}, {4, 1}, {1, 4}, {2, 4}, {34, 4}, {22, 4}, {21, 4}});
    const size_t set = w.BeginSet(256);
    w.Ip4(10, 0, 0, 1).Ip4(10, 0, 0, 2).U8(6).U32(500).U32(5).U32(100);
    w.U32(kUptime - 100).U32(kUptime - 50);
    w.Ip4(10, 0, 0, 3).Ip4(10, 0, 0, 4).U8(17).U32(84).U32(1).U32(1);
    w.U32(kUptime - 20).U32(kUptime - 10);
    w.EndSet(set);
    PathPair pair;
    pair.Feed({w.bytes(), Exporter(), uint64_t{kSecs} * 1000 + 3});
    CHECK(pair.flows() == 2);
}

TEST_CASE("DecodeEncoded handles IPFIX times, enterprise and variable-length fields",
          "[wire][encoded]") {
    // Template 400: millisecond times, reverse (PEN 29305) counters, a Cisco enterprise
    // address, an unknown enterprise field (skipped), a 3-byte AS. Template 401: uptime
    // times against #160 from options data. Template 402: a variable-length field (NBAR
    // application name; the FlowRecord path). Template 403: #1 and #85 both (a member
    // written twice; not grouped).
    Writer w = IpfixHeader(kSecs, 0, 5);
    IpfixOptionsTemplate(&w, 500, {{149, 4}}, {{160, 8}});
    IpfixTemplate(&w, 400,
                  {{152, 8},
                   {153, 8},
                   {1, 8, 29305},
                   {2, 8, 29305},
                   {12236, 4, 9},
                   {12, 4},
                   {100, 6, 9999},
                   {16, 3},
                   {4, 1},
                   {6, 2},
                   {1, 8},
                   {2, 8}});
    IpfixTemplate(&w, 401, {{8, 4}, {12, 4}, {22, 4}, {21, 4}, {4, 1}, {1, 4}});
    IpfixTemplate(&w, 402, {{8, 4}, {12, 4}, {95, 0xffff}, {4, 1}, {1, 4}});
    IpfixTemplate(&w, 403, {{8, 4}, {12, 4}, {1, 8}, {85, 4}, {4, 1}, {153, 8}});
    size_t set = w.BeginSet(500);
    w.U32(5).U64(uint64_t{kSecs - 7200} * 1000);
    w.EndSet(set);
    set = w.BeginSet(400);
    for (int i = 0; i < 3; ++i) {
        w.U64(uint64_t{kSecs} * 1000 - 5000 + i).U64(uint64_t{kSecs} * 1000 - 10);
        w.U64(900 + i).U64(9).Ip4(192, 0, 2, static_cast<uint8_t>(i)).Ip4(198, 51, 100, 1);
        w.U48(0x123456).U24(65000 + i).U8(6).U16(0x0112).U64(1000 + i).U64(10);
    }
    w.EndSet(set);
    set = w.BeginSet(401);
    w.Ip4(10, 1, 1, 1).Ip4(10, 1, 1, 2).U32(1000).U32(9000).U8(17).U32(77);
    w.EndSet(set);
    set = w.BeginSet(402);
    w.Ip4(10, 2, 2, 1).Ip4(10, 2, 2, 2).U8(4).Text("http").U8(6).U32(99);
    w.Ip4(10, 2, 2, 3).Ip4(10, 2, 2, 4).U8(0).U8(17).U32(98);
    w.EndSet(set);
    set = w.BeginSet(403);
    w.Ip4(10, 3, 3, 1).Ip4(10, 3, 3, 2).U64(123456789).U32(55).U8(6).U64(uint64_t{kSecs} * 1000);
    w.EndSet(set);
    set = w.BeginSet(401);
    w.Ip4(10, 1, 1, 3).Ip4(10, 1, 1, 4).U32(2000).U32(8000).U8(6).U32(78);
    w.EndSet(set);
    PathPair pair;
    pair.Feed({IpfixDone(w), Exporter(), uint64_t{kSecs} * 1000 + 1});
    CHECK(pair.flows() == 8);
}

TEST_CASE("Held data sets are decoded by DecodeEncoded in the order of Decode", "[wire][encoded]") {
    // Data before its template (held), then the template with more data.
    Writer first = V9Header(kUptime, kSecs, 1, 7, 1);
    size_t set = first.BeginSet(256);
    first.Ip4(10, 0, 0, 1).Ip4(10, 0, 0, 2).U8(6).U32(1);
    first.EndSet(set);
    Writer second = V9Header(kUptime, kSecs, 2, 7, 2);
    V9Template(&second, 256, {{8, 4}, {12, 4}, {4, 1}, {2, 4}});
    set = second.BeginSet(256);
    second.Ip4(10, 0, 0, 3).Ip4(10, 0, 0, 4).U8(17).U32(2);
    second.EndSet(set);
    PathPair pair;
    pair.Feed({first.bytes(), Exporter(), uint64_t{kSecs} * 1000});
    pair.Feed({second.bytes(), Exporter(), uint64_t{kSecs} * 1000});
    CHECK(pair.flows() == 2);
}

TEST_CASE("Common templates compile to a direct encoder and the others do not", "[wire][encoded]") {
    using namespace flow::wire::detail;
    auto direct = [](Protocol protocol, std::vector<FieldSpec> fields) {
        CompiledTemplate t;
        REQUIRE(CompileDataTemplate(protocol, 256, fields, &t));
        CompileDirect(1, IpAddr::V4(0x0a000001), false, &t);
        return t.direct.ok;
    };
    // The bench's v9 templates, IPv4 and IPv6.
    CHECK(direct(Protocol::kV9, {{8, 4},
                                 {12, 4},
                                 {7, 2},
                                 {11, 2},
                                 {4, 1},
                                 {6, 1},
                                 {5, 1},
                                 {1, 8},
                                 {2, 8},
                                 {22, 4},
                                 {21, 4},
                                 {15, 4},
                                 {10, 4},
                                 {14, 4},
                                 {16, 4},
                                 {17, 4},
                                 {9, 1},
                                 {13, 1}}));
    CHECK(direct(
        Protocol::kV9,
        {{27, 16}, {28, 16}, {7, 2}, {11, 2}, {4, 1}, {1, 8}, {2, 8}, {22, 4}, {21, 4}, {62, 16}}));
    CHECK(direct(Protocol::kIpfix, {{8, 4}, {12, 4}, {152, 8}, {153, 8}, {1, 8, 29305}}));
    // No generic element; a variable-length field; NSEL event; latency; both families;
    // one member written twice.
    CHECK_FALSE(direct(Protocol::kV9, {{8, 4}, {12, 4}}));
    CHECK_FALSE(direct(Protocol::kIpfix, {{8, 4}, {12, 4}, {4, 1}, {95, 0xffff}}));
    CHECK_FALSE(direct(Protocol::kV9, {{8, 4}, {12, 4}, {4, 1}, {233, 1}}));
    CHECK_FALSE(direct(Protocol::kV9, {{8, 4}, {12, 4}, {4, 1}, {57555, 8}}));
    CHECK_FALSE(direct(Protocol::kV9, {{8, 4}, {27, 16}, {12, 4}, {28, 16}, {4, 1}}));
    CHECK_FALSE(direct(Protocol::kIpfix, {{8, 4}, {12, 4}, {1, 8}, {85, 8}}));
}

// Guards the paired moves of DirectPlan: two fields are moved as one only when the second
// follows the first both on the wire and in the V3 record; the same fields in the other
// order on the wire (or in the order of the bench's template) give Decode's records.
TEST_CASE("Neighbouring fields are moved in pairs and give the records of Decode",
          "[wire][encoded]") {
    using namespace flow::wire::detail;
    const std::vector<FieldSpec> forward = {{8, 4},  {12, 4}, {7, 2},  {11, 2}, {4, 1},  {6, 1},
                                            {5, 1},  {1, 8},  {2, 8},  {22, 4}, {21, 4}, {10, 4},
                                            {14, 4}, {16, 4}, {17, 4}, {9, 1},  {13, 1}, {15, 4}};
    const std::vector<FieldSpec> backward = {{12, 4}, {8, 4},  {11, 2}, {7, 2},  {6, 1},  {4, 1},
                                             {5, 1},  {1, 8},  {2, 8},  {22, 4}, {21, 4}, {14, 4},
                                             {10, 4}, {17, 4}, {16, 4}, {13, 1}, {9, 1},  {15, 4}};
    auto plan = [](const std::vector<FieldSpec>& fields) {
        CompiledTemplate t;
        REQUIRE(CompileDataTemplate(Protocol::kV9, 256, fields, &t));
        CompileDirect(1, IpAddr::V4(0x0a000001), false, &t);
        REQUIRE(t.direct.ok);
        return t.direct;
    };
    const DirectPlan f = plan(forward);
    CAPTURE(f.pairs_end[0], f.pairs_end[1], f.pairs_end[2]);
    CHECK(f.pairs_end[0] == 2);
    CHECK(f.pairs_end[1] == 3);
    CHECK(f.pairs_end[2] == 6);
    CHECK(plan(backward).pairs.empty());

    Writer w = V9Header(kUptime, kSecs, 1, 7, 4);
    V9Template(&w, 256,
               {{8, 4},
                {12, 4},
                {7, 2},
                {11, 2},
                {4, 1},
                {6, 1},
                {5, 1},
                {1, 8},
                {2, 8},
                {22, 4},
                {21, 4},
                {10, 4},
                {14, 4},
                {16, 4},
                {17, 4},
                {9, 1},
                {13, 1},
                {15, 4}});
    V9Template(&w, 257,
               {{12, 4},
                {8, 4},
                {11, 2},
                {7, 2},
                {6, 1},
                {4, 1},
                {5, 1},
                {1, 8},
                {2, 8},
                {22, 4},
                {21, 4},
                {14, 4},
                {10, 4},
                {17, 4},
                {16, 4},
                {13, 1},
                {9, 1},
                {15, 4}});
    for (uint16_t id : {256, 257}) {
        const size_t set = w.BeginSet(id);
        for (uint8_t i = 1; i <= 3; ++i) {
            w.Ip4(10, 1, 2, i).Ip4(192, 168, i, 9).U16(1000 + i).U16(443).U8(6).U8(0x12);
            w.U8(i).U64(1500 * i).U64(3 * i).U32(kUptime - 900).U32(kUptime - 100);
            w.U32(7 + i).U32(70000 + i).U32(64512).U32(4200000000u + i).U8(24).U8(16 + i);
            w.Ip4(10, 255, 0, i);
        }
        w.EndSet(set);
    }
    PathPair pair;
    pair.Feed({w.bytes(), Exporter(), uint64_t{kSecs} * 1000 + 3});
    CHECK(pair.flows() == 6);
}

TEST_CASE("DecodeEncoded gives the records of Decode for every corpus capture", "[wire][encoded]") {
    namespace fs = std::filesystem;
    const fs::path corpus = FLOWKIT_CORPUS_DIR;
    if (!fs::exists(corpus)) {
        WARN("corpus not found at " << corpus << ": test skipped");
        return;
    }
    size_t files = 0;
    size_t flows = 0;
    for (const auto& entry : fs::recursive_directory_iterator(corpus)) {
        const std::string ext = entry.path().extension().string();
        if (!entry.is_regular_file() || (ext != ".pcap" && ext != ".pcapng")) continue;
        auto reader = wire::PcapUdpReader::Open(entry.path().string());
        if (!reader.ok()) continue;
        CAPTURE(entry.path().string());
        PathPair pair;
        wire::UdpDatagram d;
        for (;;) {
            Result<bool> more = (*reader)->Next(&d);
            if (!more.ok() || !*more) break;
            pair.Feed(
                {std::vector<uint8_t>(d.payload, d.payload + d.length), d.source, d.timestamp_ms});
        }
        ++files;
        flows += pair.flows();
    }
    CHECK(files > 50);
    CHECK(flows > 1000);
}
