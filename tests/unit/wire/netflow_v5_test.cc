// SPDX-License-Identifier: BSD-2-Clause
// NetFlow v1/v5/v7 decoding from hand-built datagrams: fields and presence as nfcapd 1.7
// stores them, time arithmetic with uptime wraps, the ICMP quirk, header sampling,
// sequence failures and malformed counts.
#include <catch2/catch.hpp>

#include "flow/wire.h"
#include "unit/wire/wire_builder.h"

using flow::FlowRecord;
using flow::wire::DecodeError;
using flow::wire::Decoder;
using flow::wire::DecoderEvent;
using flow::wire::Endpoint;
using wiretest::Writer;

namespace {

constexpr uint64_t kNow = 1700000100000;
const Endpoint kExporter = Endpoint::V4(0xc0000207, 2055);  // 192.0.2.7

struct V5Record {
    uint32_t src = 0x0a000001;
    uint32_t dst = 0xc0a80102;
    uint32_t nexthop = 0;
    uint16_t input = 0;
    uint16_t output = 0;
    uint32_t packets = 10;
    uint32_t bytes = 1000;
    uint32_t first = 90000;
    uint32_t last = 95000;
    uint16_t src_port = 1234;
    uint16_t dst_port = 80;
    uint8_t tcp_flags = 0x1b;
    uint8_t proto = 6;
    uint8_t tos = 0x10;
    uint16_t src_as = 0;
    uint16_t dst_as = 0;
};

Writer V5Header(uint16_t count, uint32_t uptime, uint32_t secs, uint32_t nsecs, uint32_t seq,
                uint8_t engine_type = 1, uint8_t engine_id = 2, uint16_t sampling = 0) {
    Writer w;
    w.U16(5)
        .U16(count)
        .U32(uptime)
        .U32(secs)
        .U32(nsecs)
        .U32(seq)
        .U8(engine_type)
        .U8(engine_id)
        .U16(sampling);
    return w;
}

void AppendV5(Writer* w, const V5Record& r) {
    w->U32(r.src)
        .U32(r.dst)
        .U32(r.nexthop)
        .U16(r.input)
        .U16(r.output)
        .U32(r.packets)
        .U32(r.bytes)
        .U32(r.first)
        .U32(r.last)
        .U16(r.src_port)
        .U16(r.dst_port)
        .U8(0)
        .U8(r.tcp_flags)
        .U8(r.proto)
        .U8(r.tos)
        .U16(r.src_as)
        .U16(r.dst_as)
        .U8(24)
        .U8(16)
        .U16(0);
}

std::vector<FlowRecord> DecodeOne(Decoder* d, const std::vector<uint8_t>& bytes,
                                  flow::Status* status = nullptr) {
    std::vector<FlowRecord> out;
    auto st = d->Decode(bytes.data(), bytes.size(), kExporter, kNow, &out);
    if (status != nullptr) *status = st;
    return out;
}

}  // namespace

TEST_CASE("v5 record is stored with the elements nfcapd 1.7 writes", "[wire][v5]") {
    Decoder d;
    Writer w = V5Header(2, 100000, 1700000000, 500000000, 7);
    V5Record plain;
    AppendV5(&w, plain);
    V5Record routed;
    routed.input = 3;
    routed.output = 4;
    routed.src_as = 65001;
    routed.dst_as = 65002;
    routed.nexthop = 0x0a0000fe;
    AppendV5(&w, routed);
    flow::Status st;
    auto out = DecodeOne(&d, w.bytes(), &st);
    REQUIRE(st.ok());
    REQUIRE(out.size() == 2);

    const FlowRecord& a = out[0];
    CHECK(a.present == ((1ull << flow::kExGenericFlow) | (1ull << flow::kExIpv4Flow) |
                        (1ull << flow::kExIpReceivedV4)));
    CHECK(a.src_addr == flow::IpAddr::V4(0x0a000001));
    CHECK(a.dst_addr == flow::IpAddr::V4(0xc0a80102));
    CHECK(a.packets == 10);
    CHECK(a.bytes == 1000);
    CHECK(a.src_port == 1234);
    CHECK(a.dst_port == 80);
    CHECK(a.proto == 6);
    CHECK(a.tcp_flags == 0x1b);
    CHECK(a.src_tos == 0x10);
    CHECK(a.src_mask == 0);  // 1.7 drops v5 masks
    CHECK(a.engine_type == 1);
    CHECK(a.engine_id == 2);
    CHECK(a.nfversion == 5);
    CHECK(a.exporter_sysid == 1);
    CHECK(a.received_ms == kNow);
    CHECK(a.received_from == flow::IpAddr::V4(0xc0000207));
    CHECK(a.flags == 0);

    const FlowRecord& b = out[1];
    CHECK(b.Has(flow::kExFlowMisc));
    CHECK(b.input == 3);
    CHECK(b.output == 4);
    CHECK(b.Has(flow::kExAsRouting));
    CHECK(b.src_as == 65001);
    CHECK(b.dst_as == 65002);
    CHECK(b.Has(flow::kExIpNextHopV4));
    CHECK(b.ip_next_hop == flow::IpAddr::V4(0x0a0000fe));

    REQUIRE(d.exporter_count() == 1);
    CHECK(d.exporter(0).version == 5);
    CHECK(d.exporter(0).id == 0x0102);
    CHECK(d.exporter(0).counters.flows == 2);
    CHECK(d.exporter(0).counters.packets == 1);
    std::vector<DecoderEvent> events;
    d.TakeEvents(&events);
    REQUIRE(events.size() == 1);
    CHECK(events[0].kind == DecoderEvent::Kind::kNewExporter);
    CHECK(events[0].sysid == 1);
}

TEST_CASE("v5 times follow boot time and both uptime wrap rules", "[wire][v5]") {
    // boot = 1700000000 s + 0.5 s - 100 s of uptime.
    constexpr uint64_t kBoot = 1700000000500ull - 100000;
    constexpr uint64_t kWrap = 1ull << 32;
    auto [uptime, first, last, want_first, want_last] =
        GENERATE(table<uint32_t, uint32_t, uint32_t, uint64_t, uint64_t>({
            // ordinary flow
            {100000, 90000, 95000, kBoot + 90000, kBoot + 95000},
            // uptime wrapped between start and end: start moves back 2^32 ms
            {100000, 4294960000u, 5000, kBoot - kWrap + 4294960000u, kBoot + 5000},
            // end a little after sysUptime (within 100 s): taken as is
            {100000, 99000, 150000, kBoot + 99000, kBoot + 150000},
            // end far after sysUptime: the counter wrapped after the flow ended
            {1000, 4294960000u, 4294967000u, 1700000000500ull - 1000 + 4294960000u - kWrap,
             1700000000500ull - 1000 + 4294967000u - kWrap},
        }));
    CAPTURE(uptime, first, last);
    Decoder d;
    Writer w = V5Header(1, uptime, 1700000000, 500000000, 1);
    V5Record r;
    r.first = first;
    r.last = last;
    AppendV5(&w, r);
    auto out = DecodeOne(&d, w.bytes());
    REQUIRE(out.size() == 1);
    CHECK(out[0].first_ms == want_first);
    CHECK(out[0].last_ms == want_last);
}

TEST_CASE("v5 ICMP type/code in the source port moves byte-swapped to the dst port",
          "[wire][v5][regression]") {
    Decoder d;
    Writer w = V5Header(2, 100000, 1700000000, 0, 1);
    V5Record quirk;
    quirk.proto = 1;
    quirk.src_port = 0x0803;  // exporter put code 8, type 3 here, swapped
    quirk.dst_port = 0;
    AppendV5(&w, quirk);
    V5Record normal;
    normal.proto = 1;
    normal.src_port = 0;
    normal.dst_port = 0x0800;  // echo request the usual way
    AppendV5(&w, normal);
    auto out = DecodeOne(&d, w.bytes());
    REQUIRE(out.size() == 2);
    CHECK(out[0].src_port == 0);
    CHECK(out[0].dst_port == 0x0308);
    CHECK(out[1].src_port == 0);
    CHECK(out[1].dst_port == 0x0800);
}

TEST_CASE("v5 header sampling multiplies counters and creates a generic sampler",
          "[wire][v5][sampling]") {
    Decoder d;
    // mode 1, interval 100 (softflowd's 0x4064).
    Writer w = V5Header(1, 100000, 1700000000, 0, 1, 0, 0, 0x4064);
    V5Record r;
    r.packets = 3;
    r.bytes = 180;
    AppendV5(&w, r);
    auto out = DecodeOne(&d, w.bytes());
    REQUIRE(out.size() == 1);
    CHECK(out[0].packets == 300);
    CHECK(out[0].bytes == 18000);
    CHECK((out[0].flags & flow::kFlagSampled) != 0);
    REQUIRE(d.sampler_count() == 1);
    CHECK(d.sampler(0).id == flow::wire::kSamplerGeneric);
    CHECK(d.sampler(0).algorithm == 1);
    CHECK(d.sampler(0).packet_interval == 1);
    CHECK(d.sampler(0).space_interval == 99);
    CHECK(d.sampler(0).exporter_sysid == 1);
    std::vector<DecoderEvent> events;
    d.TakeEvents(&events);
    REQUIRE(events.size() == 2);
    CHECK(events[1].kind == DecoderEvent::Kind::kNewSampler);
    CHECK(events[1].sampler_index == 0);

    // The same interval again changes nothing and queues nothing.
    (void)DecodeOne(&d, w.bytes());
    events.clear();
    d.TakeEvents(&events);
    CHECK(events.empty());
}

TEST_CASE("nfcapd -s default and forced sampling apply to v5", "[wire][v5][sampling]") {
    flow::wire::DecoderOptions forced;
    forced.default_sampling = -10;
    Decoder d(forced);
    Writer w = V5Header(1, 100000, 1700000000, 0, 1, 0, 0, 0x4064);
    AppendV5(&w, V5Record{});
    auto out = DecodeOne(&d, w.bytes());
    REQUIRE(out.size() == 1);
    CHECK(out[0].packets == 100);  // forced 1:10 wins over the header's 1:100

    flow::wire::DecoderOptions fallback;
    fallback.default_sampling = 10;
    Decoder e(fallback);
    Writer plain = V5Header(1, 100000, 1700000000, 0, 1);
    AppendV5(&plain, V5Record{});
    out = DecodeOne(&e, plain.bytes());
    REQUIRE(out.size() == 1);
    CHECK(out[0].packets == 100);
    REQUIRE(e.sampler_count() == 1);
    CHECK(e.sampler(0).id == flow::wire::kSamplerDefault);
}

TEST_CASE("v5 sequence gaps count one failure per datagram", "[wire][v5][sequence]") {
    Decoder d;
    auto send = [&](uint32_t seq, uint16_t count) {
        Writer w = V5Header(count, 100000, 1700000000, 0, seq);
        for (uint16_t i = 0; i < count; ++i) AppendV5(&w, V5Record{});
        (void)DecodeOne(&d, w.bytes());
    };
    send(100, 2);  // synchronises
    send(102, 3);  // expected
    send(105, 1);  // expected
    send(200, 1);  // gap
    send(201, 1);  // expected again
    CHECK(d.exporter(0).counters.sequence_failures == 1);
    CHECK(d.exporter(0).interval.sequence_failures == 1);
    CHECK(d.exporter(0).counters.packets == 5);
    d.ResetIntervalCounters();
    CHECK(d.exporter(0).interval.sequence_failures == 0);
    CHECK(d.exporter(0).interval.flows == 0);
    CHECK(d.exporter(0).counters.flows == 8);
}

TEST_CASE("v5 count larger than the datagram is truncated data", "[wire][v5][malformed]") {
    Decoder d;
    Writer w = V5Header(3, 100000, 1700000000, 0, 1);
    AppendV5(&w, V5Record{});
    AppendV5(&w, V5Record{});
    flow::Status st;
    auto out = DecodeOne(&d, w.bytes(), &st);
    CHECK(st.code() == flow::StatusCode::kTruncated);
    CHECK_THAT(st.message(), Catch::Contains("count 3"));
    CHECK(out.empty());
    CHECK(d.exporter(0).counters.error(DecodeError::kRecordsTruncated) == 1);

    Writer huge = V5Header(55582, 100000, 1700000000, 0, 1);
    AppendV5(&huge, V5Record{});
    out = DecodeOne(&d, huge.bytes(), &st);
    CHECK(st.code() == flow::StatusCode::kMalformed);
    CHECK(out.empty());
    CHECK(d.exporter(0).counters.error(DecodeError::kBadRecordCount) == 1);
}

TEST_CASE("v5 exports with different engine ids are different exporters", "[wire][v5]") {
    Decoder d;
    for (uint8_t engine : {2, 3, 2}) {
        Writer w = V5Header(1, 100000, 1700000000, 0, 1, 0, engine);
        AppendV5(&w, V5Record{});
        auto out = DecodeOne(&d, w.bytes());
        REQUIRE(out.size() == 1);
        CHECK(out[0].exporter_sysid == (engine == 2 ? 1 : 2));
    }
    CHECK(d.exporter_count() == 2);
    CHECK(d.FindExporter(2)->id == 3);
    CHECK(d.FindExporter(3) == nullptr);
}

TEST_CASE("v5 datagrams concatenated in one payload are all decoded", "[wire][v5]") {
    Decoder d;
    Writer w = V5Header(1, 100000, 1700000000, 0, 10);
    AppendV5(&w, V5Record{});
    Writer second = V5Header(2, 100000, 1700000000, 0, 11);
    AppendV5(&second, V5Record{});
    AppendV5(&second, V5Record{});
    w.Raw(second.bytes());
    flow::Status st;
    auto out = DecodeOne(&d, w.bytes(), &st);
    CHECK(st.ok());
    CHECK(out.size() == 3);
    CHECK(d.exporter(0).counters.sequence_failures == 0);
}

TEST_CASE("v1 records decode with the v1 layout and no tolerance on wraps", "[wire][v1]") {
    Decoder d;
    Writer w;
    w.U16(1).U16(1).U32(100000).U32(1700000000).U32(0);
    w.U32(0x0a000001)
        .U32(0x0a000002)
        .U32(0)
        .U16(1)
        .U16(2)
        .U32(5)
        .U32(500)
        .U32(90000)
        .U32(150000)
        .U16(53)
        .U16(33000)
        .U16(0)
        .U8(17)
        .U8(0)
        .U8(0)
        .Zeros(7);
    auto out = DecodeOne(&d, w.bytes());
    REQUIRE(out.size() == 1);
    CHECK(out[0].nfversion == 1);
    CHECK(out[0].proto == 17);
    CHECK(out[0].src_port == 53);
    CHECK(out[0].input == 1);
    // Last 50 s after sysUptime: v1 has no tolerance, so it is taken as a wrap.
    CHECK(out[0].last_ms == 1700000000000ull - 100000 + 150000 - (1ull << 32));
    CHECK(d.exporter(0).version == 1);
    CHECK(d.exporter(0).id == 0);
}
