// SPDX-License-Identifier: BSD-2-Clause
// IPFIX decoding from hand-built messages: templates and withdrawal (B08), variable-length
// fields (B04), enterprise elements and RFC 5103 reverse counters (B05, B23), options
// sampling (B17), time encodings (B13, B16), sequence numbers (B09), total counters (B21),
// structured data.
#include <catch2/catch.hpp>

#include "flow/aggregate.h"
#include "flow/wire.h"
#include "unit/wire/wire_builder.h"

using flow::FlowRecord;
using flow::wire::DecodeError;
using flow::wire::Decoder;
using flow::wire::Endpoint;
using wiretest::Field;
using wiretest::IpfixDone;
using wiretest::IpfixHeader;
using wiretest::IpfixOptionsTemplate;
using wiretest::IpfixTemplate;
using wiretest::Writer;

namespace {

constexpr uint64_t kNow = 1700000100000;
const Endpoint kExporter = Endpoint::V4(0xc000020a);  // 192.0.2.10

std::vector<FlowRecord> Decode(Decoder* d, const std::vector<uint8_t>& msg,
                               flow::Status* status = nullptr) {
    std::vector<FlowRecord> out;
    auto st = d->Decode(msg.data(), msg.size(), kExporter, kNow, &out);
    if (status != nullptr) *status = st;
    return out;
}

// B01's template: 8(4) 12(4) 7(2) 11(2) 4(1) 1(8) 2(8).
void Template257(Writer* w) {
    IpfixTemplate(w, 257, {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {1, 8}, {2, 8}});
}

void Data257(Writer* w, uint64_t bytes = 1500, uint64_t packets = 3) {
    const size_t set = w->BeginSet(257);
    w->Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U16(1234).U16(80).U8(6).U64(bytes).U64(packets);
    w->EndSet(set);
}

}  // namespace

TEST_CASE("IPFIX template and data decode with absolute millisecond times", "[wire][ipfix]") {
    Decoder d;
    Writer w = IpfixHeader(1700000000, 0, 6);
    IpfixTemplate(&w, 300,
                  {{27, 16},
                   {28, 16},
                   {7, 2},
                   {11, 2},
                   {4, 1},
                   {2, 8},
                   {1, 8},
                   {152, 8},
                   {153, 8},
                   {10, 4},
                   {14, 4},
                   {62, 16}});
    const size_t set = w.BeginSet(300);
    w.U32(0x20010db8)
        .Zeros(11)
        .U8(0x10)
        .U32(0x20010db8)
        .Zeros(11)
        .U8(0x20)
        .U16(51000)
        .U16(443)
        .U8(6)
        .U64(10)
        .U64(1000)
        .U64(1699999990000ull)
        .U64(1699999999500ull)
        .U32(5)
        .U32(6)
        .U32(0x20010db8)
        .Zeros(11)
        .U8(1);
    w.EndSet(set);
    flow::Status st;
    auto out = Decode(&d, IpfixDone(w), &st);
    REQUIRE(st.ok());
    REQUIRE(out.size() == 1);
    const FlowRecord& r = out[0];
    CHECK(r.IsV6());
    CHECK(r.src_addr == flow::IpAddr{0x20010db800000000ull, 0x10});
    CHECK(r.dst_addr == flow::IpAddr{0x20010db800000000ull, 0x20});
    CHECK(r.first_ms == 1699999990000ull);
    CHECK(r.last_ms == 1699999999500ull);
    CHECK(r.packets == 10);
    CHECK(r.bytes == 1000);
    CHECK(r.Has(flow::kExIpNextHopV6));
    CHECK(r.ip_next_hop.lo == 1);
    CHECK(r.nfversion == 10);
    CHECK(r.engine_type == 0);
    CHECK(r.engine_id == 0);
    CHECK(d.exporter(0).id == 6);
    CHECK(d.exporter(0).version == 10);
}

TEST_CASE("IPFIX templates are kept per observation domain", "[wire][ipfix][regression]") {
    // B01 (vflow #167).
    Decoder d;
    Writer a = IpfixHeader(1700000000, 0, 3);
    Template257(&a);
    (void)Decode(&d, IpfixDone(a));
    Writer b = IpfixHeader(1700000000, 0, 4);
    IpfixTemplate(&b, 257, {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {436, 8}, {437, 8}});
    (void)Decode(&d, IpfixDone(b));
    Writer c = IpfixHeader(1700000000, 0, 3);
    Data257(&c);
    auto out = Decode(&d, IpfixDone(c));
    REQUIRE(out.size() == 1);
    CHECK(out[0].bytes == 1500);
    CHECK(out[0].packets == 3);
    CHECK(d.exporter_count() == 2);
}

// B21: an exporter that sends only total counters (85/86, as Juniper SRX does). They are
// stored as the flow's bytes and packets, as nfdump stores them, and aggregation sums them
// like any counter (docs/compatibility.md: flowkit does not turn totals into deltas).
TEST_CASE("IPFIX total counters 85/86 are the flow's volume", "[wire][ipfix][regression]") {
    Decoder d;
    Writer w = IpfixHeader(1700000000, 0, 1);
    IpfixTemplate(&w, 280,
                  {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {85, 8}, {86, 8}, {152, 8}, {153, 8}});
    const size_t set = w.BeginSet(280);
    const uint64_t t = 1699999900000ull;
    for (auto [bytes, packets, at] : {std::tuple{1000, 10, t}, std::tuple{3000, 25, t + 60000}}) {
        w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U16(1234).U16(80).U8(6);
        w.U64(bytes).U64(packets).U64(at).U64(at + 1000);
    }
    w.EndSet(set);
    flow::Status st;
    auto out = Decode(&d, IpfixDone(w), &st);
    REQUIRE(st.ok());
    REQUIRE(out.size() == 2);
    CHECK(out[0].bytes == 1000);
    CHECK(out[0].packets == 10);
    CHECK(out[1].bytes == 3000);
    CHECK(out[1].packets == 25);
    CHECK(out[1].first_ms == t + 60000);

    flow::aggregate::AggregateSpec five;
    five.five_tuple = true;
    flow::aggregate::Aggregator a(five);
    for (const FlowRecord& r : out) a.Add(r);
    auto groups = a.Groups(flow::aggregate::RecordOrderSpec{}, 0);
    REQUIRE(groups.size() == 1);
    CHECK(groups[0]->bytes == 4000);
    CHECK(groups[0]->packets == 35);
    CHECK(groups[0]->flows == 2);
}

TEST_CASE("IPFIX withdrawal is applied in wire order", "[wire][ipfix][templates][regression]") {
    Decoder d;
    SECTION("define then withdraw in one set: later data has no template (B08 case 1)") {
        Writer w = IpfixHeader(1700000000, 0, 0);
        const size_t set = w.BeginSet(2);
        w.U16(256).U16(4).U16(8).U16(4).U16(12).U16(4).U16(1).U16(4).U16(2).U16(4);
        w.U16(256).U16(0);
        w.EndSet(set);
        const size_t data = w.BeginSet(256);
        w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U32(1).U32(1);
        w.EndSet(data);
        auto out = Decode(&d, IpfixDone(w));
        CHECK(out.empty());
        CHECK(d.exporter(0).counters.no_template_sets == 1);
        CHECK(d.exporter(0).counters.templates_withdrawn == 1);
    }
    SECTION("withdraw all with template id 2 (B08 case 4)") {
        Writer w = IpfixHeader(1700000000, 0, 0);
        Template257(&w);
        IpfixTemplate(&w, 258, {{8, 4}, {12, 4}});
        IpfixOptionsTemplate(&w, 259, {{149, 4}}, {{34, 4}});
        const size_t set = w.BeginSet(2);
        w.U16(2).U16(0);
        w.EndSet(set);
        Data257(&w);
        auto out = Decode(&d, IpfixDone(w));
        CHECK(out.empty());
        CHECK(d.exporter(0).counters.templates_withdrawn == 2);
        // The options template is withdrawn only by id 3 in an options template set.
        Writer o = IpfixHeader(1700000000, 0, 0);
        const size_t oset = o.BeginSet(3);
        o.U16(3).U16(0);
        o.EndSet(oset);
        (void)Decode(&d, IpfixDone(o));
        CHECK(d.exporter(0).counters.templates_withdrawn == 3);
    }
    SECTION("a malformed redefinition drops the old layout (B08 case 3)") {
        Writer w = IpfixHeader(1700000000, 0, 0);
        IpfixTemplate(&w, 400, {{8, 4}, {12, 4}});
        (void)Decode(&d, IpfixDone(w));
        Writer bad = IpfixHeader(1700000000, 0, 0);
        const size_t set = bad.BeginSet(2);
        bad.U16(400).U16(3).U16(8).U16(4).U16(12).U16(4);  // 3 announced, 2 present
        bad.EndSet(set);
        const size_t data = bad.BeginSet(400);
        bad.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1);
        bad.EndSet(data);
        auto out = Decode(&d, IpfixDone(bad));
        CHECK(out.empty());
        CHECK(d.exporter(0).counters.error(DecodeError::kTemplateTruncated) == 1);
    }
}

TEST_CASE("IPFIX variable-length fields in both length forms", "[wire][ipfix][regression]") {
    // B04: 8(4) 12(4) 96(var) 82(var) 1(8).
    Decoder d;
    Writer w = IpfixHeader(1700000000, 0, 0);
    IpfixTemplate(&w, 310, {{8, 4}, {12, 4}, {96, 65535}, {82, 65535}, {1, 8}});
    const size_t set = w.BeginSet(310);
    w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 2).U8(5).Text("https").U8(0).U64(1234);
    w.Ip4(192, 0, 2, 3)
        .Ip4(198, 51, 100, 4)
        .U8(255)
        .U16(300)
        .Text(std::string(300, 'a'))
        .U8(3)
        .Text("et0")
        .U64(99);
    w.EndSet(set);
    flow::Status st;
    auto out = Decode(&d, IpfixDone(w), &st);
    REQUIRE(st.ok());
    REQUIRE(out.size() == 2);
    CHECK(out[0].bytes == 1234);
    CHECK(out[0].dst_addr == flow::IpAddr::V4(0xc6336402));
    CHECK(out[1].bytes == 99);
    CHECK(out[1].src_addr == flow::IpAddr::V4(0xc0000203));
}

TEST_CASE("IPFIX enterprise fields are skipped by length and never read as IETF ids",
          "[wire][ipfix][regression]") {
    // B05: 8(4), [E] 1(4) PEN 32473, 12(4), 2(4), 1(4).
    Decoder d;
    Writer w = IpfixHeader(1700000000, 0, 0);
    IpfixTemplate(&w, 320, {{8, 4}, {1, 4, 32473}, {12, 4}, {2, 4}, {1, 4}});
    const size_t set = w.BeginSet(320);
    w.Ip4(192, 0, 2, 9).U32(0xdeadbeef).Ip4(198, 51, 100, 9).U32(7).U32(700);
    w.EndSet(set);
    auto out = Decode(&d, IpfixDone(w));
    REQUIRE(out.size() == 1);
    CHECK(out[0].dst_addr == flow::IpAddr::V4(0xc6336409));
    CHECK(out[0].packets == 7);
    CHECK(out[0].bytes == 700);
}

TEST_CASE("IPFIX RFC 5103 reverse counters become out counters", "[wire][ipfix][regression]") {
    // B23 case 1.
    Decoder d;
    Writer w = IpfixHeader(1700000000, 0, 0);
    IpfixTemplate(&w, 330,
                  {{8, 4},
                   {12, 4},
                   {7, 2},
                   {11, 2},
                   {4, 1},
                   {1, 8},
                   {2, 8},
                   {1, 8, 29305},
                   {2, 8, 29305},
                   {152, 8},
                   {153, 8}});
    const size_t set = w.BeginSet(330);
    w.Ip4(192, 0, 2, 1)
        .Ip4(198, 51, 100, 1)
        .U16(51000)
        .U16(443)
        .U8(6)
        .U64(1000)
        .U64(10)
        .U64(5000)
        .U64(8)
        .U64(1700000000000ull)
        .U64(1700000001000ull);
    w.EndSet(set);
    auto out = Decode(&d, IpfixDone(w));
    REQUIRE(out.size() == 1);
    CHECK(out[0].bytes == 1000);
    CHECK(out[0].packets == 10);
    CHECK(out[0].out_bytes == 5000);
    CHECK(out[0].out_packets == 8);
    CHECK(out[0].Has(flow::kExCntFlow));
}

TEST_CASE("IPFIX samplingInterval in options data scales later records",
          "[wire][ipfix][sampling]") {
    // B17 case 1 (nfdump #231/#237).
    Decoder d;
    Writer w = IpfixHeader(1700000000, 0, 0);
    IpfixOptionsTemplate(&w, 512, {{149, 4}}, {{34, 4}, {35, 1}});
    const size_t opt = w.BeginSet(512);
    w.U32(0).U32(1000).U8(2);
    w.EndSet(opt);
    IpfixTemplate(&w, 513,
                  {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {2, 8}, {1, 8}, {152, 8}, {153, 8}});
    const size_t set = w.BeginSet(513);
    w.Ip4(192, 0, 2, 1)
        .Ip4(198, 51, 100, 1)
        .U16(1)
        .U16(2)
        .U8(17)
        .U64(3)
        .U64(4500)
        .U64(1700000000000ull)
        .U64(1700000000000ull);
    w.EndSet(set);
    auto out = Decode(&d, IpfixDone(w));
    REQUIRE(out.size() == 1);
    CHECK(out[0].packets == 3000);
    CHECK(out[0].bytes == 4500000);
    CHECK((out[0].flags & flow::kFlagSampled) != 0);
    REQUIRE(d.sampler_count() == 1);
    CHECK(d.sampler(0).id == flow::wire::kSamplerGeneric);
    CHECK(d.sampler(0).space_interval == 999);
    CHECK(d.sampler(0).algorithm == 2);
}

TEST_CASE("IPFIX selector id samplers with packet and space intervals", "[wire][ipfix][sampling]") {
    Decoder d;
    Writer w = IpfixHeader(1700000000, 0, 0);
    IpfixOptionsTemplate(&w, 600, {{149, 4}}, {{302, 8}, {304, 2}, {305, 4}, {306, 4}});
    const size_t opt = w.BeginSet(600);
    w.U32(0).U64(5).U16(1).U32(2).U32(6);  // 2 out of every 8 packets: x4
    w.EndSet(opt);
    IpfixTemplate(&w, 601, {{8, 4}, {12, 4}, {2, 4}, {1, 4}, {302, 8}});
    const size_t set = w.BeginSet(601);
    w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U32(5).U32(500).U64(5);
    w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U32(5).U32(500).U64(6);
    w.EndSet(set);
    auto out = Decode(&d, IpfixDone(w));
    REQUIRE(out.size() == 2);
    CHECK(out[0].packets == 20);
    CHECK(out[0].bytes == 2000);
    CHECK(out[1].packets == 5);  // unknown selector, no generic sampler: unscaled
    CHECK(out[1].flags == 0);
    REQUIRE(d.sampler_count() == 1);
    CHECK(d.sampler(0).id == 5);
    CHECK(d.sampler(0).packet_interval == 2);
    CHECK(d.sampler(0).space_interval == 6);
}

TEST_CASE("IPFIX time encodings give epoch milliseconds", "[wire][ipfix][time]") {
    struct Case {
        const char* name;
        std::vector<Field> time_fields;
        std::vector<uint64_t> values;
        uint64_t first;
        uint64_t last;
    };
    // Each: template 8(4) 12(4) <time fields> 1(8) 2(8).
    const std::vector<Case> cases = {
        {"B13 seconds",
         {{150, 4}, {151, 4}},
         {1700000000, 1700000060},
         1700000000000ull,
         1700000060000ull},
        {"B13 start only", {{150, 4}}, {1700000000}, 1700000000000ull, 1700000000000ull},
        {"B16 NTP nanoseconds",
         {{156, 8}, {157, 8}},
         {0xE8FE6F8080000000ull, 0xE8FE6F8400000000ull},
         1700000000500ull,
         1700000004000ull},
        {"delta microseconds",
         {{158, 4}, {159, 4}},
         {3000000, 1000000},
         1699999997000ull,
         1699999999000ull},
        {"start plus duration",
         {{152, 8}, {161, 4}},
         {1699999990000ull, 2500},
         1699999990000ull,
         1699999992500ull},
        {"uptime with init time",
         {{160, 8}, {22, 4}, {21, 4}},
         {1699990000000ull, 5000, 7000},
         1699990005000ull,
         1699990007000ull},
    };
    for (const Case& c : cases) {
        CAPTURE(c.name);
        Decoder d;
        Writer w = IpfixHeader(1700000000, 0, 0);
        const size_t tset = w.BeginSet(2);
        w.U16(700).U16(4 + c.time_fields.size());
        w.U16(8).U16(4).U16(12).U16(4);
        for (const Field& f : c.time_fields) w.U16(f.id).U16(f.length);
        w.U16(1).U16(8).U16(2).U16(8);
        w.EndSet(tset);
        const size_t set = w.BeginSet(700);
        w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1);
        size_t i = 0;
        for (const Field& f : c.time_fields) w.UN(c.values[i++], f.length);
        w.U64(100).U64(1);
        w.EndSet(set);
        auto out = Decode(&d, IpfixDone(w));
        REQUIRE(out.size() == 1);
        CHECK(out[0].first_ms == c.first);
        CHECK(out[0].last_ms == c.last);
    }
}

TEST_CASE("IPFIX uptime stamps use systemInitTime learned from options data",
          "[wire][ipfix][time]") {
    Decoder d;
    Writer w = IpfixHeader(1700000000, 0, 0);
    IpfixOptionsTemplate(&w, 800, {{149, 4}}, {{160, 8}});
    const size_t opt = w.BeginSet(800);
    w.U32(0).U64(1699990000000ull);
    w.EndSet(opt);
    IpfixTemplate(&w, 801, {{8, 4}, {12, 4}, {22, 4}, {21, 4}, {1, 4}});
    const size_t set = w.BeginSet(801);
    w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U32(1000).U32(2000).U32(50);
    w.EndSet(set);
    auto out = Decode(&d, IpfixDone(w));
    REQUIRE(out.size() == 1);
    CHECK(out[0].first_ms == 1699990001000ull);
    CHECK(out[0].last_ms == 1699990002000ull);
}

TEST_CASE("IPFIX sequence counts data records, template-only messages keep it",
          "[wire][ipfix][sequence][regression]") {
    // B09 case 3 (nProbe #208).
    Decoder d;
    Writer setup = IpfixHeader(1700000000, 0, 5);
    Template257(&setup);
    (void)Decode(&d, IpfixDone(setup));
    auto data_msg = [&](uint32_t seq, int records) {
        Writer w = IpfixHeader(1700000000, seq, 5);
        const size_t set = w.BeginSet(257);
        for (int i = 0; i < records; ++i) {
            w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U16(1).U16(2).U8(6).U64(1).U64(1);
        }
        w.EndSet(set);
        return IpfixDone(w);
    };
    (void)Decode(&d, data_msg(0, 10));
    Writer tonly = IpfixHeader(1700000000, 10, 5);
    Template257(&tonly);
    (void)Decode(&d, IpfixDone(tonly));
    (void)Decode(&d, data_msg(10, 5));
    (void)Decode(&d, data_msg(15, 1));
    CHECK(d.exporter(0).counters.sequence_failures == 0);
    (void)Decode(&d, data_msg(40, 1));
    CHECK(d.exporter(0).counters.sequence_failures == 1);
}

TEST_CASE("IPFIX subTemplateMultiList content lands in the record", "[wire][ipfix]") {
    // YAF-style: MAC addresses in a nested template referenced through IE 293.
    Decoder d;
    Writer w = IpfixHeader(1700000000, 0, 0);
    IpfixTemplate(&w, 900, {{56, 6}, {80, 6}});
    IpfixTemplate(&w, 901, {{8, 4}, {12, 4}, {1, 8}, {293, 65535}});
    const size_t set = w.BeginSet(901);
    w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U64(42);
    w.U8(1 + 4 + 12).U8(3).U16(900).U16(4 + 12).U48(0x000c29708609ull).U48(0x000c298dafc3ull);
    w.EndSet(set);
    auto out = Decode(&d, IpfixDone(w));
    REQUIRE(out.size() == 1);
    CHECK(out[0].bytes == 42);
    CHECK(out[0].Has(flow::kExMacAddr));
    CHECK(out[0].in_src_mac == 0x000c29708609ull);
    CHECK(out[0].in_dst_mac == 0x000c298dafc3ull);
}

TEST_CASE("IPFIX message framing errors", "[wire][ipfix][malformed]") {
    Decoder d;
    SECTION("message length larger than the datagram") {
        Writer w = IpfixHeader(1700000000, 0, 0);
        Template257(&w);
        Data257(&w);
        auto msg = IpfixDone(w);
        msg[2] = 0x7f;  // claims ~32 KB
        flow::Status st;
        auto out = Decode(&d, msg, &st);
        CHECK(out.size() == 1);  // the complete sets still decode
        CHECK(st.code() == flow::StatusCode::kTruncated);
        CHECK(d.exporter(0).counters.error(DecodeError::kMessageLengthMismatch) == 1);
    }
    SECTION("message length shorter than a header") {
        Writer w = IpfixHeader(1700000000, 0, 0);
        auto msg = w.bytes();
        msg[3] = 8;
        flow::Status st;
        (void)Decode(&d, msg, &st);
        CHECK(st.code() == flow::StatusCode::kMalformed);
        CHECK(d.counters().error(DecodeError::kMessageLengthMismatch) == 1);
        CHECK(d.exporter_count() == 0);
    }
    SECTION("zero-length set") {
        Writer w = IpfixHeader(1700000000, 0, 0);
        w.U16(256).U16(0);
        flow::Status st;
        (void)Decode(&d, IpfixDone(w), &st);
        CHECK(st.code() == flow::StatusCode::kMalformed);
        CHECK(d.exporter(0).counters.error(DecodeError::kSetTooShort) == 1);
    }
    SECTION("options template with scope count 0") {
        Writer w = IpfixHeader(1700000000, 0, 0);
        const size_t set = w.BeginSet(3);
        w.U16(300).U16(1).U16(0).U16(34).U16(4);
        w.EndSet(set);
        (void)Decode(&d, IpfixDone(w));
        CHECK(d.exporter(0).counters.error(DecodeError::kTemplateInvalid) == 1);
    }
    SECTION("variable-length value running past the set") {
        Writer w = IpfixHeader(1700000000, 0, 0);
        IpfixTemplate(&w, 310, {{8, 4}, {96, 65535}});
        const size_t set = w.BeginSet(310);
        w.Ip4(192, 0, 2, 1).U8(200).Text("short");
        w.EndSet(set);
        flow::Status st;
        auto out = Decode(&d, IpfixDone(w), &st);
        CHECK(out.empty());
        CHECK(d.exporter(0).counters.error(DecodeError::kRecordTruncated) == 1);
    }
}
