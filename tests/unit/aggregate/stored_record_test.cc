// SPDX-License-Identifier: BSD-2-Clause
// -a, -s record and -O keep a group's first record as its file stores it (Aggregator::Add's
// `stored`, NfFileReader::StoredRecord()) and read only the keys, counters and times of the
// records handed with it (Aggregator::elements_read()). Their groups must be those of the
// same records decoded whole and added alone, whatever the stored record's element order
// and elements, and no field of a partly decoded record may reach a group.
#include <catch2/catch.hpp>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "aggregate/group_records.h"
#include "flow/aggregate.h"
#include "flow/nffile.h"
#include "nffile/layout.h"
#include "nffile/nffile_test_util.h"
#include "nffile/records.h"
#include "nffile/v3_bytes.h"

using flow::FlowRecord;
using flow::IpAddr;
using flow::aggregate::AggregateSpec;
using flow::aggregate::Aggregator;
using flow::aggregate::RecordOrder;
using flow::aggregate::RecordOrderSpec;
using flow::aggregate::testing::Blank;
using flow::aggregate::testing::Full;
using flow::aggregate::testing::Handed;
using flow::nffile::testing::Bytes;
using flow::testing::AllFields;

namespace {

using Elements = std::vector<std::pair<uint16_t, Bytes>>;

// The elements of V3 record `b` in their order: (id, payload).
Elements Split(const Bytes& b) {
    Elements out;
    size_t off = flow::nffile::kV3HeaderSize;
    for (uint16_t i = 0; i < flow::nffile::Load16(b.data() + 4); ++i) {
        const uint16_t id = flow::nffile::Load16(b.data() + off);
        const uint16_t len = flow::nffile::Load16(b.data() + off + 2);
        out.emplace_back(id, Bytes(b.begin() + static_cast<long>(off) + 4,
                                   b.begin() + static_cast<long>(off + len)));
        off += len;
    }
    return out;
}

// A V3 record of `elements` with the header fields (engine, exporter, flags, version) of
// `like`.
Bytes Join(const Bytes& like, const Elements& elements) {
    Bytes out = flow::nffile::testing::RawV3(elements);
    std::memcpy(out.data() + 6, like.data() + 6, 6);
    return out;
}

size_t Find(const Elements& e, uint16_t id) {
    for (size_t i = 0; i < e.size(); ++i) {
        if (e[i].first == id) return i;
    }
    FAIL("no element " << id);
    return 0;
}

FlowRecord DecodeAll(const Bytes& b) {
    FlowRecord r = Blank();
    flow::ReadCounters counters;
    const char* error = nullptr;
    REQUIRE(flow::nffile::DecodeV3(b.data(), b.size(), flow::nffile::V3Options{}, &r, &counters,
                                   &error) == flow::nffile::Decoded::kFlow);
    return r;
}

// What the reader hands out when it decodes only `elements`: those decoded, the fields of
// the others left from some earlier record (here: made up).
FlowRecord DecodeOnly(const Bytes& b, uint64_t elements) {
    FlowRecord r = Blank();
    flow::ReadCounters counters;
    const char* error = nullptr;
    flow::nffile::V3Options options;
    options.elements = flow::nffile::V3ElementsNeeded(elements);
    REQUIRE(flow::nffile::DecodeV3(b.data(), b.size(), options, &r, &counters, &error) ==
            flow::nffile::Decoded::kFlow);
    r.input = 999;
    r.src_mask = 31;
    r.src_as = 777;
    r.src_vlan = 4000;
    r.ip_next_hop = IpAddr::V4(0x01010101);
    r.received_from = IpAddr::V4(0x02020202);
    r.mpls[0] = 0x123450;
    r.event_ms = 1;
    return r;
}

// The elements of a typical collector's record (nfcapd's from NetFlow v9), the rest unset.
FlowRecord Typical(bool v6, uint16_t src_port) {
    FlowRecord r = Full(v6, src_port);
    r.present = 0;
    for (flow::ElementId id :
         {flow::kExGenericFlow, v6 ? flow::kExIpv6Flow : flow::kExIpv4Flow, flow::kExFlowMisc,
          flow::kExCntFlow, flow::kExAsRouting, v6 ? flow::kExIpNextHopV6 : flow::kExIpNextHopV4,
          v6 ? flow::kExIpReceivedV6 : flow::kExIpReceivedV4}) {
        r.Set(id);
    }
    return r;
}

// `first`, `other_port`, `first` with other counters, times and flags (merged into its
// group), and `first` again.
std::vector<FlowRecord> Variants(const FlowRecord& first, const FlowRecord& other_port) {
    FlowRecord a = first;
    FlowRecord b = a;
    b.packets = 3;
    b.bytes = 4500;
    b.out_packets = 1;
    b.out_bytes = 99;
    b.flows = 1;
    b.tcp_flags = 0x01;
    b.first_ms = a.first_ms - 5000;
    b.last_ms = a.last_ms + 7000;
    FlowRecord c = other_port;
    c.bytes = 1;
    return {a, c, b, a};
}

// The records above for a record with every element (longer than the 256 bytes a group's
// counter element must lie in) and for one with a collector's usual few.
std::vector<FlowRecord> Variants(bool v6) {
    std::vector<FlowRecord> out = Variants(Full(v6, 1000), Full(v6, 1001));
    for (const FlowRecord& r : Variants(Typical(v6, 2000), Typical(v6, 2001))) out.push_back(r);
    return out;
}

// Element layouts a file may store, made from EncodeV3's (generic flow element first, then
// the rest by id).
const std::vector<std::string> kLayouts = {
    "as written by flowkit",
    "address element first (as nfcapd writes it)",
    "generic flow element last",
    "no counter element",
    "counter element with 0 flows",
    "an unknown element between the others",
    "no address element",
    "both address families",
    "no generic flow element",
};

Bytes Layout(const std::string& name, const FlowRecord& r) {
    const Bytes plain = flow::nffile::testing::Encode(r);
    Elements e = Split(plain);
    const uint16_t address = r.IsV6() ? flow::kExIpv6Flow : flow::kExIpv4Flow;
    if (name == "address element first (as nfcapd writes it)") {
        const size_t i = Find(e, address);
        auto moved = e[i];
        e.erase(e.begin() + static_cast<long>(i));
        e.insert(e.begin(), moved);
    } else if (name == "generic flow element last") {
        auto moved = e[Find(e, flow::kExGenericFlow)];
        e.erase(e.begin());
        e.push_back(moved);
    } else if (name == "no counter element") {
        e.erase(e.begin() + static_cast<long>(Find(e, flow::kExCntFlow)));
    } else if (name == "counter element with 0 flows") {
        std::memset(e[Find(e, flow::kExCntFlow)].second.data(), 0, 8);
    } else if (name == "an unknown element between the others") {
        e.insert(e.begin() + 3, {250, Bytes(8, 0x5a)});
    } else if (name == "no address element") {
        e.erase(e.begin() + static_cast<long>(Find(e, address)));
    } else if (name == "both address families") {
        e.insert(e.begin() + 2, {r.IsV6() ? flow::kExIpv4Flow : flow::kExIpv6Flow,
                                 Bytes(r.IsV6() ? 8 : 32, 0)});
    } else if (name == "no generic flow element") {
        e.erase(e.begin() + static_cast<long>(Find(e, flow::kExGenericFlow)));
    }
    return Join(plain, e);
}

void CheckSameGroups(const AggregateSpec& spec, const std::string& layout) {
    Aggregator whole(spec);
    Aggregator stored(spec);
    const uint64_t elements = stored.elements_read();
    REQUIRE(elements != flow::kAllElements);
    for (bool v6 : {false, true}) {
        for (const FlowRecord& r : Variants(v6)) {
            const Bytes b = Layout(layout, r);
            whole.Add(DecodeAll(b));
            stored.Add(DecodeOnly(b, elements), b);
        }
    }
    REQUIRE(stored.size() == whole.size());
    for (const RecordOrderSpec& order :
         {RecordOrderSpec{}, RecordOrderSpec{RecordOrder::kBytes, false}}) {
        const std::vector<FlowRecord> want = Handed(whole, order);
        const std::vector<FlowRecord> got = Handed(stored, order);
        REQUIRE(got.size() == want.size());
        for (size_t i = 0; i < got.size(); ++i) {
            INFO("group " << i);
            CHECK(AllFields(got[i]) == AllFields(want[i]));
        }
    }
}

}  // namespace

TEST_CASE("groups of -a made from stored records are those of whole records", "[aggregate]") {
    AggregateSpec spec;
    spec.five_tuple = true;
    for (const std::string& layout : kLayouts) {
        SECTION(layout) { CheckSameGroups(spec, layout); }
    }
}

TEST_CASE("records kept for -O from stored records are those of whole records", "[aggregate]") {
    AggregateSpec spec;
    spec.each_record = true;
    for (const std::string& layout : kLayouts) {
        SECTION(layout) { CheckSameGroups(spec, layout); }
    }
}

TEST_CASE("aggregations by -A, -b and -B read whole records", "[aggregate]") {
    AggregateSpec bidir;
    bidir.five_tuple = true;
    bidir.bidirectional = true;
    CHECK(Aggregator(bidir).elements_read() == flow::kAllElements);
    auto keys = flow::aggregate::ParseAggregateSpec("srcip,dstport");
    REQUIRE(keys.ok());
    CHECK(Aggregator(*keys).elements_read() == flow::kAllElements);
}

TEST_CASE("StoredRecord gives the bytes of V3 records that decode alone", "[nffile]") {
    using flow::NfFileReader;
    using flow::NfFileWriter;
    const std::string dir = flow::testing::ScratchDir();
    std::vector<FlowRecord> in;
    for (uint32_t i = 0; i < 50; ++i) in.push_back(flow::testing::MakeRecord(i));
    auto write = [&](const std::string& path, uint32_t nfd_version) {
        flow::WriterOptions options;
        options.nfd_version = nfd_version;
        auto w = NfFileWriter::Create(path, flow::Codec::kLz4, "stored", options);
        REQUIRE(w.ok());
        for (const FlowRecord& r : in) REQUIRE((*w)->Append(r).ok());
        REQUIRE((*w)->Close().ok());
    };

    SECTION("a 1.7 file: every flow record, until the next block") {
        const std::string path = dir + "/stored-171";
        write(path, 0x01070100);
        auto reader = NfFileReader::Open(path);
        REQUIRE(reader.ok());
        NfFileReader& r = **reader;
        CHECK(r.StoredRecord().empty());
        REQUIRE(*r.NextBlock());
        CHECK(r.StoredRecord().empty());
        FlowRecord rec;
        size_t n = 0;
        while (r.NextRecord(&rec)) {
            const std::span<const uint8_t> s = r.StoredRecord();
            REQUIRE(!s.empty());
            CHECK(s.size() == flow::nffile::Load16(s.data() + 2));
            CHECK(AllFields(DecodeAll(Bytes(s.begin(), s.end()))) == AllFields(rec));
            ++n;
        }
        CHECK(n == in.size());
        CHECK(!*r.NextBlock());
        CHECK(r.StoredRecord().empty());
    }
    // The first flow record of `path` comes without its bytes.
    auto check_none = [](const std::string& path) {
        auto reader = NfFileReader::Open(path);
        REQUIRE(reader.ok());
        REQUIRE(*(*reader)->NextBlock());
        FlowRecord rec;
        REQUIRE((*reader)->NextRecord(&rec));
        CHECK((*reader)->StoredRecord().empty());
    };
    SECTION("a 1.7.5 file, whose IP info element decodes by an option: none") {
        const std::string path = dir + "/stored-175";
        write(path, 0xF1070500);
        check_none(path);
    }
    SECTION("a 1.6 file (layout 1): none") {
        const std::string path = flow::testing::CorpusDir() + "/nffile/generated/nf1625-lz4";
        if (!flow::testing::FileExists(path)) {
            WARN("skipped: " << path << " not found");
            return;
        }
        check_none(path);
    }
}
