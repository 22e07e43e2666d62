// SPDX-License-Identifier: BSD-2-Clause
// Decoding only some elements of a V3 record (ReaderOptions::elements, V3Options::elements):
// the fields of the decoded elements must be what a whole decode gives, whatever record came
// before; ElementsOfFieldBytes must name every field's owner; a filter must match a record
// decoded with just Filter::elements_read() as it matches the whole record.
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <vector>

#include "flow/filter.h"
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

constexpr uint64_t Bit(ElementId id) { return uint64_t{1} << id; }

// A V3 record of the given (id, payload) elements, engine type 3, exporter sysid 256.
Bytes Raw(const std::vector<std::pair<uint16_t, Bytes>>& elements) {
    Bytes b = flow::nffile::testing::RawV3(elements);
    b[6] = 3;
    b[9] = 1;
    return b;
}

Bytes Generic(uint64_t first_ms) {
    Bytes g(48, 0);
    Store64(g.data(), first_ms);
    Store64(g.data() + 8, first_ms + 10);
    Store64(g.data() + 24, 7);
    Store64(g.data() + 32, 700);
    Store16(g.data() + 42, 22);
    g[44] = 6;
    return g;
}

// The records of the tests: the encoder's varied records and hand-made layouts with both
// address families, the 1.7.0 NAT element, event times standing in for flow times, odd and
// unknown elements.
std::vector<Bytes> Records() {
    std::vector<Bytes> records;
    for (uint32_t i = 0; i < 96; ++i) records.push_back(Encode(MakeRecord(i)));
    const Bytes v4 = {10, 0, 0, 1, 10, 0, 0, 2};
    const Bytes zero_v4(8, 0);
    const Bytes v6(32, 0x20);
    Bytes nat_old(24, 0);
    Store64(nat_old.data(), 4000);
    Store32(nat_old.data() + 8, 7);
    Store32(nat_old.data() + 12, 8);
    Bytes layer2_v6(32, 0);
    layer2_v6[26] = 6;
    Bytes nsel(16, 0);
    Store64(nsel.data(), 3000);
    records.push_back(Raw({{kExGenericFlow, Generic(5000)}, {kExIpv4Flow, v4}, {kExIpv6Flow, v6}}));
    records.push_back(
        Raw({{kExGenericFlow, Generic(5000)}, {kExIpv4Flow, zero_v4}, {kExIpv6Flow, v6}}));
    records.push_back(Raw({{kExGenericFlow, Generic(5000)},
                           {kExIpv4Flow, v4},
                           {kExIpv6Flow, v6},
                           {kExLayer2, layer2_v6}}));
    records.push_back(Raw({{kExGenericFlow, Generic(0)}, {kExNatCommon, nat_old}}));
    records.push_back(
        Raw({{kExGenericFlow, Generic(0)}, {kExIpv4Flow, v4}, {kExNselCommon, nsel}}));
    records.push_back(Raw({{kExGenericFlow, Generic(6000)},
                           {kExIpNextHopV4, {1, 2, 3, 4}},
                           {kExIpNextHopV6, v6}}));
    records.push_back(Raw({{kExGenericFlow, Generic(6000)}, {kExFlowMisc, Bytes(9, 0x55)}}));
    records.push_back(Raw({{kExGenericFlow, Generic(6000)}, {kExNbarApp, Bytes(3, 0x11)}}));
    records.push_back(Raw({{kExGenericFlow, Generic(7000)}, {99, Bytes(8, 7)}, {0, Bytes(4, 0)}}));
    records.push_back(Raw({{kExIpv4Flow, v4}, {kExCntFlow, Bytes(24, 1)}}));  // no generic
    return records;
}

// The bytes of `a` and `b` that belong to the header fields or to elements all in
// `elements` are equal, and so are those elements' presence bits.
void CheckOwnedFieldsSame(const FlowRecord& a, const FlowRecord& b, uint64_t elements) {
    CHECK((a.present & elements) == (b.present & elements));
    const auto* pa = reinterpret_cast<const uint8_t*>(&a);
    const auto* pb = reinterpret_cast<const uint8_t*>(&b);
    for (size_t i = sizeof(uint64_t); i < sizeof(FlowRecord); ++i) {
        const uint64_t owner = ElementsOfFieldBytes(i, 1);
        if ((owner & ~elements) != 0) continue;
        CAPTURE(i, owner);
        CHECK(pa[i] == pb[i]);
    }
}

Decoded Whole(const Bytes& record, FlowRecord* out, ReadCounters* counters) {
    const char* error = nullptr;
    return DecodeV3(record.data(), record.size(), V3Options{}, out, counters, &error);
}

}  // namespace

TEST_CASE("ElementsOfFieldBytes names the owners of a record's fields", "[nffile]") {
    CHECK(ElementsOfFieldBytes(offsetof(FlowRecord, proto), 1) == Bit(kExGenericFlow));
    CHECK(ElementsOfFieldBytes(offsetof(FlowRecord, src_addr), 16) ==
          (Bit(kExIpv4Flow) | Bit(kExIpv6Flow)));
    CHECK(ElementsOfFieldBytes(offsetof(FlowRecord, out_bytes), 8) == Bit(kExCntFlow));
    CHECK(ElementsOfFieldBytes(offsetof(FlowRecord, event_ms), 8) ==
          (Bit(kExNselCommon) | Bit(kExNatCommon)));
    CHECK(ElementsOfFieldBytes(offsetof(FlowRecord, nbar_app), 8) == Bit(kExNbarApp));
    CHECK(ElementsOfFieldBytes(offsetof(FlowRecord, exporter_sysid), 2) == 0);
    // A range over two elements' fields, `present` itself and bytes past the record.
    CHECK(ElementsOfFieldBytes(offsetof(FlowRecord, src_tos), 32) ==
          (Bit(kExGenericFlow) | Bit(kExIpv4Flow) | Bit(kExIpv6Flow)));
    CHECK(ElementsOfFieldBytes(0, 8) == kAllElements);
    CHECK(ElementsOfFieldBytes(sizeof(FlowRecord) - 1, 2) == kAllElements);
}

TEST_CASE("an element decoded writes only the fields ElementsOfFieldBytes gives it",
          "[nffile]") {
    // Decoding a record with and without one element (from empty) differs only in bytes
    // that element owns or helps decide (V3ElementsNeeded).
    for (const Bytes& record : Records()) {
        FlowRecord whole;
        ReadCounters counters;
        REQUIRE(Whole(record, &whole, &counters) == Decoded::kFlow);
        for (uint32_t id = 1; id < kExMaxElement; ++id) {
            const uint64_t bit = uint64_t{1} << id;
            V3Options without;
            without.elements = V3ElementsNeeded(kAllElements & ~bit) & ~bit;
            FlowRecord partial;
            const char* error = nullptr;
            REQUIRE(DecodeV3(record.data(), record.size(), without, &partial, &counters, &error) ==
                    Decoded::kFlow);
            const auto* pw = reinterpret_cast<const uint8_t*>(&whole);
            const auto* pp = reinterpret_cast<const uint8_t*>(&partial);
            for (size_t i = sizeof(uint64_t); i < sizeof(FlowRecord); ++i) {
                if (pw[i] == pp[i]) continue;
                // Owned by the element, or by one whose value it decides.
                CAPTURE(id, i);
                CHECK((V3ElementsNeeded(ElementsOfFieldBytes(i, 1)) & bit) != 0);
            }
        }
    }
}

TEST_CASE("a record decoded with some elements has their fields as decoded whole",
          "[nffile]") {
    const std::vector<Bytes> records = Records();
    std::vector<uint64_t> masks = {Bit(kExGenericFlow) | Bit(kExCntFlow),
                                   Bit(kExIpv4Flow) | Bit(kExGenericFlow),
                                   Bit(kExVrf) | Bit(kExGenericFlow),
                                   Bit(kExIpNextHopV4) | Bit(kExGenericFlow)};
    for (uint32_t id = 1; id < kExMaxElement; ++id) {
        masks.push_back(Bit(kExGenericFlow) | uint64_t{1} << id);
    }
    for (uint64_t wanted : masks) {
        V3Options partial;
        partial.elements = V3ElementsNeeded(wanted);
        CAPTURE(wanted);
        // Every record decoded over every other, partly and, in between, whole (as the
        // reader's DecodeWhole() does for a record that passed the filter).
        for (size_t a = 0; a < records.size(); ++a) {
            for (size_t b = 0; b < records.size(); b += 7) {
                CAPTURE(a, b);
                FlowRecord reused;
                ReadCounters counters;
                const char* error = nullptr;
                REQUIRE(DecodeV3(records[a].data(), records[a].size(), partial, &reused,
                                 &counters, &error) == Decoded::kFlow);
                FlowRecord fresh;
                ReadCounters fresh_counters;
                REQUIRE(Whole(records[a], &fresh, &fresh_counters) == Decoded::kFlow);
                CheckOwnedFieldsSame(reused, fresh, partial.elements);
                CHECK(counters.unknown_elements == fresh_counters.unknown_elements);

                for (const Bytes* next : {&records[b], &records[a], &records[b]}) {
                    counters.unknown_elements = 0;
                    fresh_counters.unknown_elements = 0;
                    REQUIRE(DecodeV3Over(next->data(), next->size(), partial, &reused, &counters,
                                         &error) == Decoded::kFlow);
                    REQUIRE(Whole(*next, &fresh, &fresh_counters) == Decoded::kFlow);
                    CheckOwnedFieldsSame(reused, fresh, partial.elements);
                    CHECK(counters.unknown_elements == fresh_counters.unknown_elements);
                }
                REQUIRE(Whole(records[a], &reused, &counters) == Decoded::kFlow);
                REQUIRE(DecodeV3Over(records[b].data(), records[b].size(), partial, &reused,
                                     &counters, &error) == Decoded::kFlow);
                REQUIRE(Whole(records[b], &fresh, &fresh_counters) == Decoded::kFlow);
                CheckOwnedFieldsSame(reused, fresh, partial.elements);
            }
        }
    }
}

TEST_CASE("a filter matches a record decoded with its elements as the whole record",
          "[nffile]") {
    const std::vector<std::string> texts = {
        "proto 132",
        "proto tcp and dst port 22",
        "src ip 10.0.0.1 or dst net 10.0.0.0/8",
        "inet6",
        "ipv4 and not proto udp",
        "src as 64512 or dst as 3",
        "next ip 1.2.3.4",
        "bgpnext ip 0.0.0.0",
        "router ip 1.2.3.4",
        "duration > 5 and bpp < 200",
        "pps > 10 or bps > 1000",
        "flags S and not flags R",
        "in if 3 or out if 5",
        "src mask 24",
        "vlan 10",
        "in src mac 00:11:22:33:44:55",
        "mpls label1 100",
        "engine-type 3",
        "flows > 1",
        "out bytes > 0",
        "tos 4",
        "nat event add",
        "egress vrf 7",
        "ingress vrf 8",
        "src nip 10.0.0.1",
        "port in [22 80 443]",
        "bytes > 500 and packets < 20",
    };
    const std::vector<Bytes> records = Records();
    for (const std::string& text : texts) {
        Result<filter::Filter> f = filter::Filter::Compile(text);
        CAPTURE(text);
        INFO(f.status().message());
        REQUIRE(f.ok());
        V3Options partial;
        partial.elements = V3ElementsNeeded(f->elements_read());
        CHECK(partial.elements != kAllElements);
        for (size_t a = 0; a < records.size(); ++a) {
            const size_t b = (a * 7 + 3) % records.size();
            CAPTURE(a, b);
            FlowRecord reused;
            ReadCounters counters;
            const char* error = nullptr;
            REQUIRE(DecodeV3(records[b].data(), records[b].size(), V3Options{}, &reused,
                             &counters, &error) == Decoded::kFlow);
            REQUIRE(DecodeV3Over(records[a].data(), records[a].size(), partial, &reused,
                                 &counters, &error) == Decoded::kFlow);
            FlowRecord fresh;
            REQUIRE(Whole(records[a], &fresh, &counters) == Decoded::kFlow);
            CHECK(f->Match(reused) == f->Match(fresh));
        }
    }
    Result<filter::Filter> any = filter::Filter::Compile("any");
    REQUIRE(any.ok());
    CHECK(any->elements_read() == 0);
    Result<filter::Filter> proto = filter::Filter::Compile("proto tcp");
    REQUIRE(proto.ok());
    CHECK(proto->elements_read() == Bit(kExGenericFlow));
}

TEST_CASE("a file read with some elements gives every record whole after DecodeWhole",
          "[nffile]") {
    const std::string path = ScratchDir() + "/partial_decode.nf";
    {
        auto w = NfFileWriter::Create(path, Codec::kNone, "partial-decode");
        REQUIRE(w.ok());
        for (uint32_t i = 0; i < 3000; ++i) REQUIRE((*w)->Append(MakeRecord(i)).ok());
        REQUIRE((*w)->Close().ok());
    }
    const ReadOutcome want = ReadWholeFile(path);
    REQUIRE(want.status.ok());
    REQUIRE(want.records.size() == 3000);
    for (bool reuse : {false, true}) {
        CAPTURE(reuse);
        ReaderOptions ro;
        ro.reuse_record = reuse;
        ro.elements = Bit(kExGenericFlow) | Bit(kExCntFlow);
        auto reader = NfFileReader::Open(path, ro);
        REQUIRE(reader.ok());
        NfFileReader& r = **reader;
        FlowRecord rec;
        size_t n = 0;
        for (;;) {
            Result<bool> more = r.NextBlock();
            REQUIRE(more.ok());
            if (!*more) break;
            while (r.NextRecord(&rec)) {
                REQUIRE(n < want.records.size());
                CAPTURE(n);
                CheckOwnedFieldsSame(rec, want.records[n], ro.elements);
                // Every third record whole, the next decoded partly over it.
                if (n % 3 == 0) {
                    r.DecodeWhole(&rec);
                    CHECK(std::memcmp(&rec, &want.records[n], sizeof(FlowRecord)) == 0);
                }
                ++n;
            }
        }
        CHECK(n == want.records.size());
        CHECK(r.counters().unknown_elements == want.counters.unknown_elements);
    }
    std::remove(path.c_str());
}

// Blocks decompressed into a reused buffer put each block's first record at the same
// address: a DecodeWhole() of block n's first record must not make block n + 1's look done.
TEST_CASE("DecodeWhole decodes the first record of every block whole", "[nffile]") {
    const std::string path = ScratchDir() + "/partial_decode_blocks.nf";
    constexpr uint32_t kRecords = 40000;
    for (Codec codec : {Codec::kLz4, Codec::kNone}) {
        CAPTURE(CodecName(codec));
        {
            auto w = NfFileWriter::Create(path, codec, "partial-decode-blocks");
            REQUIRE(w.ok());
            for (uint32_t i = 0; i < kRecords; ++i) REQUIRE((*w)->Append(MakeRecord(i)).ok());
            REQUIRE((*w)->Close().ok());
        }
        const ReadOutcome want = ReadWholeFile(path);
        REQUIRE(want.status.ok());
        REQUIRE(want.records.size() == kRecords);
        ReaderOptions ro;
        ro.reuse_record = true;
        ro.elements = Bit(kExGenericFlow);
        auto reader = NfFileReader::Open(path, ro);
        REQUIRE(reader.ok());
        NfFileReader& r = **reader;
        FlowRecord rec;
        size_t n = 0;
        uint32_t blocks = 0;
        for (;;) {
            Result<bool> more = r.NextBlock();
            REQUIRE(more.ok());
            if (!*more) break;
            ++blocks;
            bool first = true;
            while (r.NextRecord(&rec)) {
                REQUIRE(n < want.records.size());
                CAPTURE(n);
                if (first) {
                    r.DecodeWhole(&rec);
                    CHECK(std::memcmp(&rec, &want.records[n], sizeof(FlowRecord)) == 0);
                    first = false;
                }
                ++n;
            }
        }
        CHECK(n == want.records.size());
        CHECK(blocks >= 3);
    }
    std::remove(path.c_str());
}
