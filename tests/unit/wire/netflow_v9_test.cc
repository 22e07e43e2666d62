// SPDX-License-Identifier: BSD-2-Clause
// NetFlow v9 decoding from hand-built packets: templates, data before templates, options
// sampling, field mapping cases from spec/bug-cases.md (B01, B07, B08, B10, B12, B22, B23,
// B25, B26), sequence numbers and flowset framing.
#include <catch2/catch.hpp>

#include "flow/wire.h"
#include "unit/wire/wire_builder.h"

using flow::FlowRecord;
using flow::wire::DecodeError;
using flow::wire::Decoder;
using flow::wire::DecoderOptions;
using flow::wire::Endpoint;
using wiretest::Field;
using wiretest::V9Header;
using wiretest::V9OptionsTemplate;
using wiretest::V9Template;
using wiretest::Writer;

namespace {

constexpr uint64_t kNow = 1700000100000;
const Endpoint kExporter = Endpoint::V4(0xc000021e);  // 192.0.2.30

std::vector<FlowRecord> Decode(Decoder* d, const Writer& w, flow::Status* status = nullptr,
                               const Endpoint& from = kExporter) {
    std::vector<FlowRecord> out;
    auto st = d->Decode(w.bytes().data(), w.size(), from, kNow, &out);
    if (status != nullptr) *status = st;
    return out;
}

// Template 260 of B07: 8(4) 12(4) 7(2) 11(2) 4(1) 2(4) 1(4) 48(1).
void Template260(Writer* w) {
    V9Template(w, 260, {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {2, 4}, {1, 4}, {48, 1}});
}

void Data260(Writer* w, uint8_t sampler = 1) {
    const size_t set = w->BeginSet(260);
    w->Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U16(5000).U16(443).U8(6).U32(1).U32(64).U8(sampler);
    w->EndSet(set);
}

}  // namespace

TEST_CASE("v9 template then data decodes with uptime-relative times", "[wire][v9]") {
    Decoder d;
    // B10: LAST_SWITCHED 160 ms after the header's sysUptime is not 49.7 days earlier.
    Writer w = V9Header(66892000, 1664488348, 1, 0x0102);
    V9Template(&w, 256,
               {{8, 4},
                {12, 4},
                {22, 4},
                {21, 4},
                {1, 4},
                {2, 4},
                {10, 2},
                {14, 2},
                {16, 4},
                {17, 4},
                {15, 4},
                {9, 1},
                {13, 1}});
    const size_t set = w.BeginSet(256);
    w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 2).U32(66884992).U32(66892160).U32(1500).U32(3);
    w.U16(7).U16(9).U32(64500).U32(64501).Ip4(192, 0, 2, 254).U8(24).U8(16);
    w.EndSet(set);
    flow::Status st;
    auto out = Decode(&d, w, &st);
    REQUIRE(st.ok());
    REQUIRE(out.size() == 1);
    const FlowRecord& r = out[0];
    CHECK(r.first_ms == 1664488340992ull);  // 2022-09-29 21:52:20.992
    CHECK(r.last_ms == 1664488348160ull);   // 2022-09-29 21:52:28.160
    CHECK(r.bytes == 1500);
    CHECK(r.packets == 3);
    CHECK(r.src_addr == flow::IpAddr::V4(0xc0000201));
    CHECK(r.dst_addr == flow::IpAddr::V4(0xc6336402));
    CHECK(r.input == 7);
    CHECK(r.output == 9);
    CHECK(r.src_as == 64500);
    CHECK(r.dst_as == 64501);
    CHECK(r.ip_next_hop == flow::IpAddr::V4(0xc00002fe));
    CHECK(r.src_mask == 24);
    CHECK(r.dst_mask == 16);
    CHECK(r.engine_type == 1);  // source id bytes 1 and 0
    CHECK(r.engine_id == 2);
    CHECK(r.nfversion == 9);
    const uint64_t want = (1ull << flow::kExGenericFlow) | (1ull << flow::kExIpv4Flow) |
                          (1ull << flow::kExFlowMisc) | (1ull << flow::kExAsRouting) |
                          (1ull << flow::kExIpNextHopV4) | (1ull << flow::kExIpReceivedV4);
    CHECK(r.present == want);
    CHECK(d.exporter(0).version == 9);
    CHECK(d.exporter(0).id == 0x0102);
    CHECK(d.exporter(0).counters.templates_learned == 1);
}

TEST_CASE("v9 options template, options data, template and data in one packet apply in order",
          "[wire][v9][sampling][regression]") {
    // B07: the first packet already produces scaled counters.
    Decoder d;
    Writer w = V9Header(1000, 1700000000, 1, 0);
    V9OptionsTemplate(&w, 256, {{1, 4}}, {{48, 1}, {49, 1}, {50, 4}});
    const size_t opt = w.BeginSet(256);
    w.U32(0).U8(1).U8(2).U32(100).Zeros(2);  // padding to 4 bytes
    w.EndSet(opt);
    Template260(&w);
    Data260(&w);
    auto out = Decode(&d, w);
    REQUIRE(out.size() == 1);
    CHECK(out[0].packets == 100);
    CHECK(out[0].bytes == 6400);
    CHECK((out[0].flags & flow::kFlagSampled) != 0);
    REQUIRE(d.sampler_count() == 1);
    CHECK(d.sampler(0).id == 1);
    CHECK(d.sampler(0).algorithm == 2);
    CHECK(d.sampler(0).space_interval == 99);
    CHECK(d.exporter(0).counters.option_records == 1);
}

TEST_CASE("v9 records pick their sampler by id and fall back to the generic one",
          "[wire][v9][sampling]") {
    Decoder d;
    Writer w = V9Header(1000, 1700000000, 1, 0);
    V9OptionsTemplate(&w, 300, {{1, 4}}, {{48, 2}, {50, 4}});
    const size_t s1 = w.BeginSet(300);
    w.U32(0).U16(1).U32(2000).U32(0).U16(2).U32(4000);
    w.EndSet(s1);
    V9OptionsTemplate(&w, 301, {{1, 4}}, {{34, 4}, {35, 1}});
    const size_t s2 = w.BeginSet(301);
    w.U32(0).U32(10).U8(1).Zeros(3);
    w.EndSet(s2);
    Template260(&w);
    Data260(&w, 1);
    Data260(&w, 2);
    Data260(&w, 9);  // unknown sampler id: the generic #34 sampler applies
    auto out = Decode(&d, w);
    REQUIRE(out.size() == 3);
    CHECK(out[0].packets == 2000);
    CHECK(out[1].packets == 4000);
    CHECK(out[2].packets == 10);
    CHECK(d.sampler_count() == 3);
}

TEST_CASE("v9 interval inside the data record scales that record", "[wire][v9][sampling]") {
    // B17 case 2 (Huawei): samplingInterval in the data template.
    Decoder d;
    Writer w = V9Header(1000, 1700000000, 1, 0);
    V9Template(&w, 270, {{8, 4}, {12, 4}, {2, 4}, {1, 4}, {34, 4}});
    const size_t set = w.BeginSet(270);
    w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U32(1).U32(64).U32(1000);
    w.EndSet(set);
    auto out = Decode(&d, w);
    REQUIRE(out.size() == 1);
    CHECK(out[0].packets == 1000);
    CHECK(out[0].bytes == 64000);
}

TEST_CASE("v9 data before its template is held and decoded when the template arrives",
          "[wire][v9][templates]") {
    Decoder d;
    Writer first = V9Header(1000, 1700000000, 1, 0);
    Data260(&first);
    Data260(&first);
    flow::Status st;
    auto out = Decode(&d, first, &st);
    CHECK(st.ok());
    CHECK(out.empty());
    CHECK(d.exporter(0).counters.no_template_sets == 2);
    CHECK(d.exporter(0).counters.held_sets == 2);

    Writer second = V9Header(2000, 1700000001, 2, 0);
    Template260(&second);
    out = Decode(&d, second);
    CHECK(out.size() == 2);
    CHECK(d.exporter(0).counters.held_sets_decoded == 2);
    CHECK(d.exporter(0).counters.flows == 2);
    // The held records keep the time base of the packet they came in.
    CHECK(out[0].received_ms == kNow);
}

TEST_CASE("v9 data before its template is dropped like nfcapd when holding is off",
          "[wire][v9][templates]") {
    DecoderOptions options;
    options.hold_early_data = false;
    Decoder d(options);
    Writer w = V9Header(1000, 1700000000, 1, 0);
    Data260(&w);  // before the template in the same packet (akvorado data+templates)
    Template260(&w);
    Data260(&w);
    auto out = Decode(&d, w);
    CHECK(out.size() == 1);
    CHECK(d.exporter(0).counters.no_template_sets == 1);
    CHECK(d.exporter(0).counters.held_sets == 0);
}

TEST_CASE("v9 held data is bounded per exporter", "[wire][v9][templates][limits]") {
    Decoder d;
    Writer w = V9Header(1000, 1700000000, 1, 0);
    for (size_t i = 0; i < flow::wire::kMaxHeldSetsPerExporter + 5; ++i) Data260(&w);
    (void)Decode(&d, w);
    CHECK(d.exporter(0).counters.held_sets == flow::wire::kMaxHeldSetsPerExporter + 5);
    CHECK(d.exporter(0).counters.error(DecodeError::kHeldDataDropped) == 5);
    Writer t = V9Header(1000, 1700000000, 2, 0);
    Template260(&t);
    CHECK(Decode(&d, t).size() == flow::wire::kMaxHeldSetsPerExporter);
}

TEST_CASE("v9 templates are kept per source id", "[wire][v9][templates][regression]") {
    // B01: the same template id on two source ids of one device must not mix.
    Decoder d;
    Writer a = V9Header(1000, 1700000000, 1, 3);
    V9Template(&a, 257, {{8, 4}, {12, 4}, {1, 8}, {2, 8}});
    (void)Decode(&d, a);
    Writer b = V9Header(1000, 1700000000, 1, 4);
    V9Template(&b, 257, {{8, 4}, {12, 4}, {2, 8}, {1, 8}});
    (void)Decode(&d, b);
    Writer data = V9Header(1000, 1700000000, 2, 3);
    const size_t set = data.BeginSet(257);
    data.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U64(1500).U64(3);
    data.EndSet(set);
    auto out = Decode(&d, data);
    REQUIRE(out.size() == 1);
    CHECK(out[0].bytes == 1500);
    CHECK(out[0].packets == 3);
    CHECK(d.exporter_count() == 2);
}

TEST_CASE("v9 template replacement switches the layout", "[wire][v9][templates]") {
    Decoder d;
    Writer a = V9Header(1000, 1700000000, 1, 0);
    V9Template(&a, 256, {{8, 4}, {12, 4}, {1, 4}, {2, 4}});
    (void)Decode(&d, a);
    Writer b = V9Header(1000, 1700000000, 2, 0);
    V9Template(&b, 256, {{8, 4}, {12, 4}, {2, 4}, {1, 4}});
    const size_t set = b.BeginSet(256);
    b.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U32(7).U32(700);
    b.EndSet(set);
    auto out = Decode(&d, b);
    REQUIRE(out.size() == 1);
    CHECK(out[0].packets == 7);
    CHECK(out[0].bytes == 700);
    CHECK(d.exporter(0).counters.templates_learned == 2);
}

TEST_CASE("v9 options template reusing a data template id turns its data into options",
          "[wire][v9][templates][regression]") {
    // B08 case 2: data and options templates share one id space.
    Decoder d;
    Writer w = V9Header(1000, 1700000000, 1, 0);
    V9Template(&w, 256, {{8, 4}, {12, 4}, {1, 4}, {2, 4}});
    V9OptionsTemplate(&w, 256, {{1, 4}}, {{34, 4}});
    const size_t set = w.BeginSet(256);
    w.U32(0).U32(50);
    w.EndSet(set);
    auto out = Decode(&d, w);
    CHECK(out.empty());
    CHECK(d.exporter(0).counters.option_records == 1);
    REQUIRE(d.sampler_count() == 1);
    CHECK(d.sampler(0).space_interval == 49);
}

TEST_CASE("v9 ICMP type/code stays in the dst port unless IE 32 says otherwise",
          "[wire][v9][regression]") {
    // B26 (nfdump #415): 1.7.1 printed 0.0 for these.
    Decoder d;
    Writer w = V9Header(1000, 1700000000, 1, 0);
    V9Template(&w, 256, {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {1, 4}, {2, 4}});
    V9Template(&w, 257, {{8, 4}, {12, 4}, {7, 2}, {11, 2}, {4, 1}, {32, 2}});
    const size_t a = w.BeginSet(256);
    w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U16(0).U16(0x0800).U8(1).U32(84).U32(1);
    w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U16(0).U16(0x8100).U8(58).U32(84).U32(1);
    w.EndSet(a);
    const size_t b = w.BeginSet(257);
    w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U16(0).U16(0).U8(1).U16(0x0303);
    w.EndSet(b);
    auto out = Decode(&d, w);
    REQUIRE(out.size() == 3);
    CHECK(out[0].dst_port == 0x0800);
    CHECK(out[1].dst_port == 0x8100);
    CHECK(out[2].dst_port == 0x0303);
}

TEST_CASE("v9 accepts 8-byte counters and times", "[wire][v9][regression]") {
    // B12 (nfdump #80, #22).
    Decoder d;
    Writer w = V9Header(60000, 1700000000, 1, 0);
    V9Template(&w, 256, {{8, 4}, {12, 4}, {22, 8}, {21, 8}, {1, 8}, {2, 8}});
    const size_t set = w.BeginSet(256);
    w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U64(50000).U64(59000).U64(5000000000ull).U64(4000000);
    w.EndSet(set);
    auto out = Decode(&d, w);
    REQUIRE(out.size() == 1);
    CHECK(out[0].first_ms == 1699999990000ull);
    CHECK(out[0].last_ms == 1699999999000ull);
    CHECK(out[0].bytes == 5000000000ull);
    CHECK(out[0].packets == 4000000);
}

TEST_CASE("v9 ASA NSEL counters and events", "[wire][v9][nsel]") {
    // B22: bytes only in 231/232, packets in 298/299.
    Decoder d;
    Writer w = V9Header(1000, 1700000000, 1, 0);
    V9Template(&w, 263,
               {{148, 4},
                {8, 4},
                {7, 2},
                {12, 4},
                {11, 2},
                {4, 1},
                {233, 1},
                {33002, 2},
                {323, 8},
                {231, 4},
                {232, 4},
                {298, 4},
                {299, 4}});
    const size_t set = w.BeginSet(263);
    w.U32(77)
        .Ip4(192, 0, 2, 50)
        .U16(55182)
        .Ip4(198, 51, 100, 60)
        .U16(3128)
        .U8(6)
        .U8(2)
        .U16(2032)
        .U64(1700000050123ull)
        .U32(2877)
        .U32(4167)
        .U32(21)
        .U32(21);
    w.EndSet(set);
    auto out = Decode(&d, w);
    REQUIRE(out.size() == 1);
    const FlowRecord& r = out[0];
    CHECK(r.bytes == 2877);
    CHECK(r.out_bytes == 4167);
    CHECK(r.packets == 21);
    CHECK(r.out_packets == 21);
    CHECK(r.fw_event == 2);
    CHECK(r.fw_xevent == 2032);
    CHECK(r.conn_id == 77);
    CHECK(r.event_ms == 1700000050123ull);
    CHECK(r.first_ms == 1700000050123ull);
    CHECK((r.flags & flow::kFlagEvent) != 0);
    CHECK(r.Has(flow::kExNselCommon));
    CHECK(r.Has(flow::kExCntFlow));
}

TEST_CASE("v9 OUT_BYTES/OUT_PKTS and MPLS labels", "[wire][v9]") {
    // B23 case 2 and B25.
    Decoder d;
    Writer w = V9Header(1000, 1700000000, 1, 0);
    V9Template(&w, 256, {{8, 4}, {12, 4}, {1, 4}, {2, 4}, {23, 4}, {24, 4}, {70, 3}, {71, 3}});
    const size_t set = w.BeginSet(256);
    w.Ip4(192, 0, 2, 1)
        .Ip4(198, 51, 100, 1)
        .U32(1000)
        .U32(10)
        .U32(5000)
        .U32(8)
        .U24(0x03e800)
        .U24(0x01f40b);
    w.EndSet(set);
    auto out = Decode(&d, w);
    REQUIRE(out.size() == 1);
    CHECK(out[0].out_bytes == 5000);
    CHECK(out[0].out_packets == 8);
    CHECK(out[0].mpls[0] >> 4 == 16000);
    CHECK((out[0].mpls[1] >> 4) == 8000);
    CHECK(((out[0].mpls[1] >> 1) & 7) == 5);
    CHECK((out[0].mpls[1] & 1) == 1);
    CHECK(out[0].Has(flow::kExMplsLabel));
}

TEST_CASE("v9 IPv6 flows and dual-family templates keep one family", "[wire][v9]") {
    Decoder d;
    Writer w = V9Header(1000, 1700000000, 1, 0);
    V9Template(&w, 256, {{8, 4}, {12, 4}, {27, 16}, {28, 16}, {1, 4}, {2, 4}});
    const size_t set = w.BeginSet(256);
    w.Ip4(0, 0, 0, 0)
        .Ip4(0, 0, 0, 0)
        .U32(0x20010db8)
        .Zeros(11)
        .U8(1)
        .U32(0x20010db8)
        .Zeros(11)
        .U8(2)
        .U32(100)
        .U32(1);
    w.Ip4(192, 0, 2, 1).Ip4(192, 0, 2, 2).Zeros(32).U32(200).U32(2);
    w.EndSet(set);
    auto out = Decode(&d, w);
    REQUIRE(out.size() == 2);
    CHECK(out[0].IsV6());
    CHECK_FALSE(out[0].Has(flow::kExIpv4Flow));
    CHECK(out[0].src_addr.hi == 0x20010db800000000ull);
    CHECK(out[0].src_addr.lo == 1);
    CHECK(out[0].dst_addr.lo == 2);
    CHECK_FALSE(out[1].IsV6());
    CHECK(out[1].Has(flow::kExIpv4Flow));
    CHECK(out[1].src_addr == flow::IpAddr::V4(0xc0000201));
}

TEST_CASE("v9 sequence counts export packets, template-only ones too", "[wire][v9][sequence]") {
    // B09 case 1 and 4: per source id, template-only packets advance it by one.
    Decoder d;
    auto send = [&](uint32_t seq, uint32_t source, bool data) {
        Writer w = V9Header(1000, 1700000000, seq, source);
        if (data) {
            Data260(&w);
        } else {
            Template260(&w);
        }
        (void)Decode(&d, w);
    };
    send(100, 1, false);
    send(7, 2, false);
    send(101, 1, true);
    send(8, 2, true);
    send(102, 1, true);
    send(9, 2, true);
    CHECK(d.exporter(0).counters.sequence_failures == 0);
    CHECK(d.exporter(1).counters.sequence_failures == 0);
    send(110, 1, true);
    CHECK(d.exporter(0).counters.sequence_failures == 1);
}

TEST_CASE("v9 flowset framing errors are counted and stop the packet", "[wire][v9][malformed]") {
    Decoder d;
    Writer ok = V9Header(1000, 1700000000, 1, 0);
    Template260(&ok);
    (void)Decode(&d, ok);

    SECTION("zero-length flowset with data after it") {
        Writer w = V9Header(1000, 1700000000, 2, 0);
        Data260(&w);
        w.U16(260).U16(0).U32(0xdeadbeef);
        flow::Status st;
        auto out = Decode(&d, w, &st);
        CHECK(out.size() == 1);
        CHECK(st.code() == flow::StatusCode::kMalformed);
        CHECK(d.exporter(0).counters.error(DecodeError::kSetTooShort) == 1);
    }
    SECTION("zero fill after the last flowset is padding") {
        Writer w = V9Header(1000, 1700000000, 2, 0);
        Data260(&w);
        w.Zeros(200);
        flow::Status st;
        auto out = Decode(&d, w, &st);
        CHECK(out.size() == 1);
        CHECK(st.ok());
    }
    SECTION("flowset longer than the packet") {
        Writer w = V9Header(1000, 1700000000, 2, 0);
        w.U16(260).U16(400).Zeros(20);
        flow::Status st;
        auto out = Decode(&d, w, &st);
        CHECK(out.empty());
        CHECK(st.code() == flow::StatusCode::kTruncated);
        CHECK(d.exporter(0).counters.error(DecodeError::kSetExceedsMessage) == 1);
    }
    SECTION("reserved flowset id is skipped") {
        Writer w = V9Header(1000, 1700000000, 2, 0);
        w.U16(5).U16(8).U32(0);
        Data260(&w);
        flow::Status st;
        auto out = Decode(&d, w, &st);
        CHECK(out.size() == 1);
        CHECK(d.exporter(0).counters.error(DecodeError::kReservedSetId) == 1);
    }
    SECTION("template cut short removes the old definition") {
        Writer w = V9Header(1000, 1700000000, 2, 0);
        const size_t set = w.BeginSet(0);
        w.U16(260).U16(8).U16(8).U16(4);  // announces 8 fields, carries 1
        w.EndSet(set);
        Data260(&w);
        auto out = Decode(&d, w);
        CHECK(out.empty());
        CHECK(d.exporter(0).counters.error(DecodeError::kTemplateTruncated) == 1);
    }
    SECTION("too many fields is refused") {
        Writer w = V9Header(1000, 1700000000, 2, 0);
        const size_t set = w.BeginSet(0);
        w.U16(261).U16(flow::wire::kMaxFieldsPerTemplate + 1);
        for (size_t i = 0; i <= flow::wire::kMaxFieldsPerTemplate; ++i) w.U16(1).U16(4);
        w.EndSet(set);
        (void)Decode(&d, w);
        CHECK(d.exporter(0).counters.error(DecodeError::kTemplateTooManyFields) == 1);
    }
}

TEST_CASE("v9 template without any understood field yields no flows", "[wire][v9][templates]") {
    // nfcapd ignores such templates: a record would carry nothing but the exporter.
    Decoder d;
    Writer w = V9Header(1000, 1700000000, 1, 0);
    V9Template(&w, 256, {{84, 8}, {41, 4}});  // sampler name, total packets exported
    const size_t set = w.BeginSet(256);
    w.Text("sampler1").U32(9).Text("sampler2").U32(10);
    w.EndSet(set);
    flow::Status st;
    auto out = Decode(&d, w, &st);
    CHECK(st.ok());
    CHECK(out.empty());
    CHECK(d.exporter(0).counters.no_template_sets == 0);
    CHECK(d.exporter(0).counters.flows == 0);
}

TEST_CASE("v9 templates sent again are recognised by their fields and their kind",
          "[wire][v9][templates]") {
    // Exporters repeat templates; an unchanged one is kept (not compiled again) but still
    // counts as learned. The same field list as an options template (one scope field) is
    // another template, and back as a data template it yields flows again.
    Decoder d;
    auto send = [&](uint32_t sequence, bool options) {
        Writer w = V9Header(1000, 1700000000, sequence, 0);
        if (options) {
            V9OptionsTemplate(&w, 256, {{8, 4}}, {{12, 4}, {1, 4}, {2, 4}});
        } else {
            V9Template(&w, 256, {{8, 4}, {12, 4}, {1, 4}, {2, 4}});
        }
        const size_t set = w.BeginSet(256);
        w.Ip4(192, 0, 2, 1).Ip4(198, 51, 100, 1).U32(700).U32(7);
        w.EndSet(set);
        return Decode(&d, w);
    };
    for (uint32_t sequence = 1; sequence <= 3; ++sequence) {
        auto out = send(sequence, false);
        REQUIRE(out.size() == 1);
        CHECK(out[0].bytes == 700);
        CHECK(out[0].packets == 7);
    }
    CHECK(d.exporter(0).counters.templates_learned == 3);
    CHECK(send(4, true).empty());
    CHECK(d.exporter(0).counters.option_records == 1);
    CHECK(send(5, true).empty());
    CHECK(d.exporter(0).counters.option_records == 2);
    CHECK(send(6, false).size() == 1);
    CHECK(d.exporter(0).counters.templates_learned == 6);
}
