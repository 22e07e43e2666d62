// SPDX-License-Identifier: BSD-2-Clause
// DecodeV3Over (decoding a record over the previous one, element by element) must give
// exactly what DecodeV3 gives from an empty record, whatever record came before, and the
// reader's reuse_record option must not change what a file reads as.
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
using flow::nffile::testing::FileBytes;
using flow::nffile::testing::FirstBlockV3Records;
using flow::nffile::testing::WriteFileBytes;

Bytes Raw(const std::vector<std::pair<uint16_t, Bytes>>& elements) {
    return flow::nffile::testing::RawV3(elements);
}

Bytes Filled(size_t n, uint8_t value) { return Bytes(n, value); }

Bytes Generic(uint64_t first_ms) {
    Bytes g(48, 0);
    Store64(g.data(), first_ms);
    Store64(g.data() + 8, first_ms + 10);
    g[44] = 6;
    return g;
}

// Decodes `record` both ways; `reused` holds the previous DecodeV3Over result.
void CheckSame(const Bytes& record, FlowRecord* reused, ReadCounters* reused_counters) {
    FlowRecord fresh;
    ReadCounters fresh_counters;
    fresh_counters.unknown_elements = reused_counters->unknown_elements;
    const char* error = nullptr;
    const Decoded want =
        DecodeV3(record.data(), record.size(), V3Options{}, &fresh, &fresh_counters, &error);
    const Decoded got =
        DecodeV3Over(record.data(), record.size(), V3Options{}, reused, reused_counters, &error);
    REQUIRE(got == want);
    REQUIRE(got == Decoded::kFlow);
    CHECK(reused->present == fresh.present);
    CHECK(reused_counters->unknown_elements == fresh_counters.unknown_elements);
    // Both start from the same empty record and write the same fields, padding included.
    CHECK(std::memcmp(reused, &fresh, sizeof(FlowRecord)) == 0);
}

}  // namespace

TEST_CASE("a V3 record decoded over any other equals it decoded from empty", "[nffile]") {
    // MakeRecord() varies the element set with the record number: every ordered pair of
    // these covers records gaining, losing and swapping elements and address families.
    std::vector<Bytes> records;
    for (uint32_t i = 0; i < 96; ++i) records.push_back(Encode(MakeRecord(i)));
    for (size_t a = 0; a < records.size(); ++a) {
        for (size_t b = 0; b < records.size(); ++b) {
            CAPTURE(a, b);
            FlowRecord reused;
            ReadCounters counters;
            CheckSame(records[a], &reused, &counters);
            CheckSame(records[b], &reused, &counters);
        }
    }
}

TEST_CASE("decoding over keeps no field of layouts the encoder never writes", "[nffile]") {
    const Bytes v4 = {10, 0, 0, 1, 10, 0, 0, 2};
    const Bytes v6 = Filled(32, 0x20);
    Bytes nat_old = Filled(24, 0);  // 1.7.0 NAT: event, egress vrf, ingress vrf, pool, type
    Store32(nat_old.data() + 8, 7);
    Store32(nat_old.data() + 12, 8);
    nat_old[20] = 1;
    Bytes nat_old_zero_vrf = Filled(24, 0);
    Store64(nat_old_zero_vrf.data(), 1000);
    const std::vector<Bytes> records = {
        Raw({{kExGenericFlow, Generic(5000)}, {kExIpv4Flow, v4}, {kExIpv6Flow, v6}}),
        Raw({{kExGenericFlow, Generic(5000)}, {kExIpv6Flow, v6}}),
        Raw({{kExGenericFlow, Generic(0)}, {kExNatCommon, nat_old}}),
        Raw({{kExGenericFlow, Generic(0)}, {kExNatCommon, nat_old_zero_vrf}}),
        Raw({{kExGenericFlow, Generic(6000)}, {kExVrf, Filled(8, 3)}}),
        Raw({{kExGenericFlow, Generic(6000)}, {kExNbarApp, Filled(8, 0xee)}}),
        Raw({{kExGenericFlow, Generic(6000)}, {kExNbarApp, Filled(3, 0x11)}}),
        Raw({{kExGenericFlow, Generic(6000)}, {kExSamplerInfo, Filled(12, 0x22)}}),
        Raw({{kExGenericFlow, Generic(6000)}, {kExSamplerInfo, Filled(16, 0x33)}}),
        Raw({{kExGenericFlow, Generic(6000)}, {kExSamplerInfo, Filled(5, 0x44)}}),
        Raw({{kExGenericFlow, Generic(6000)}, {kExFlowMisc, Filled(9, 0x55)}}),  // bad length
        Raw({{kExGenericFlow, Generic(6000)}, {kExTunIpv4, Filled(12, 1)}, {kExTunIpv6, v6}}),
        Raw({{kExGenericFlow, Generic(0)}, {kExNselCommon, Filled(16, 4)}}),
        Raw({{kExIpv4Flow, v4}, {kExNselCommon, Filled(16, 5)}}),  // no generic element
        Raw({{kExIpv4Flow, v4}}),
        Raw({{kExGenericFlow, Generic(7000)},
             {kExIpReceivedV4, {1, 2, 3, 4}},
             {kExIpReceivedV6, v6}}),
        Raw({{kExGenericFlow, Generic(7000)},
             {kExIpInfo, {0, 1, 2, 3}},
             {kExLayer2, Filled(32, 6)}}),
        Raw({{kExGenericFlow, Generic(7000)}, {99, Filled(8, 7)}, {0, Filled(4, 0)}}),
    };
    for (size_t a = 0; a < records.size(); ++a) {
        for (size_t b = 0; b < records.size(); ++b) {
            for (size_t c = 0; c < records.size(); ++c) {
                CAPTURE(a, b, c);
                FlowRecord reused;
                ReadCounters counters;
                CheckSame(records[a], &reused, &counters);
                CheckSame(records[b], &reused, &counters);
                CheckSame(records[c], &reused, &counters);
            }
        }
    }
}

TEST_CASE("a file read with reuse_record gives the same records", "[nffile]") {
    const std::string path = ScratchDir() + "/decode_over.nf";
    {
        auto w = NfFileWriter::Create(path, Codec::kNone, "decode-over");
        REQUIRE(w.ok());
        for (uint32_t i = 0; i < 3000; ++i) REQUIRE((*w)->Append(MakeRecord(i)).ok());
        REQUIRE((*w)->Close().ok());
    }
    for (int prefetch : {0, 2}) {
        CAPTURE(prefetch);
        ReaderOptions plain;
        plain.prefetch_blocks = prefetch;
        ReaderOptions reuse = plain;
        reuse.reuse_record = true;
        const ReadOutcome want = ReadWholeFile(path, plain);
        const ReadOutcome got = ReadWholeFile(path, reuse);
        REQUIRE(want.status.ok());
        REQUIRE(got.status.ok());
        REQUIRE(got.records.size() == 3000);
        REQUIRE(want.records.size() == got.records.size());
        for (size_t i = 0; i < want.records.size(); ++i) {
            CAPTURE(i);
            CHECK(std::memcmp(&want.records[i], &got.records[i], sizeof(FlowRecord)) == 0);
        }
        CHECK(got.counters.unknown_elements == want.counters.unknown_elements);
    }
    std::remove(path.c_str());
}

// The reader decodes a record like the one before it inline and walks every other record
// (reader.cc, NextRecord and NextRecordWalk): a damaged record among records of one layout
// must end the block at the same record, with the same error, either way.
TEST_CASE("a damaged record among records of one layout ends the read the same way",
          "[nffile]") {
    const std::string path = ScratchDir() + "/decode_over_damaged.nf";
    {
        auto w = NfFileWriter::Create(path, Codec::kNone, "decode-over");
        REQUIRE(w.ok());
        for (uint32_t i = 0; i < 400; ++i) {
            FlowRecord r = MakeRecord(7);  // one layout, other values
            r.first_ms += i;
            r.bytes = 1000 + i;
            REQUIRE((*w)->Append(r).ok());
        }
        REQUIRE((*w)->Close().ok());
    }
    const Bytes file = FileBytes(path);
    // The offsets of the flow records of the first V3 block.
    size_t at = 0;  // the block's header
    const std::vector<size_t> flows = FirstBlockV3Records(file, &at);
    REQUIRE(flows.size() == 400);
    // A size below the record header, and one past the block's end.
    for (uint16_t bad : {uint16_t{2}, uint16_t{0xffff}}) {
        for (size_t which : {size_t{1}, size_t{200}, size_t{399}}) {
            CAPTURE(bad, which);
            const std::string damaged = ScratchDir() + "/decode_over_damaged_2.nf";
            Bytes copy = file;
            Store16(copy.data() + flows[which] + 2, bad);
            REQUIRE(WriteFileBytes(damaged, copy));
            ReaderOptions plain;
            ReaderOptions reuse;
            reuse.reuse_record = true;
            ReaderOptions partial = reuse;
            partial.elements = uint64_t{1} << kExGenericFlow;
            const ReadOutcome want = ReadWholeFile(damaged, plain);
            REQUIRE(want.records.size() == which);
            REQUIRE_FALSE(want.status.ok());
            for (const ReaderOptions& o : {reuse, partial}) {
                const ReadOutcome got = ReadWholeFile(damaged, o);
                CHECK(got.records.size() == which);
                CHECK(got.status.message() == want.status.message());
                for (size_t i = 0; i < got.records.size() && i < want.records.size(); ++i) {
                    CHECK(got.records[i].bytes == want.records[i].bytes);
                    CHECK(got.records[i].first_ms == want.records[i].first_ms);
                }
            }
            std::remove(damaged.c_str());
        }
    }
    // A block a byte short: its last record, of the usual size, ends past it.
    {
        const std::string damaged = ScratchDir() + "/decode_over_damaged_3.nf";
        Bytes copy = file;
        Store32(copy.data() + at + 4, Load32(copy.data() + at + 4) - 1);
        REQUIRE(WriteFileBytes(damaged, copy));
        ReaderOptions reuse;
        reuse.reuse_record = true;
        reuse.elements = uint64_t{1} << kExGenericFlow;
        for (const ReaderOptions& o : {ReaderOptions{}, reuse}) {
            const ReadOutcome got = ReadWholeFile(damaged, o);
            CHECK(got.records.size() == 399);
            CHECK_THAT(got.status.message(),
                       Catch::Contains("record extends beyond the block end"));
        }
        std::remove(damaged.c_str());
    }
    std::remove(path.c_str());
}
