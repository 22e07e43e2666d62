// SPDX-License-Identifier: BSD-2-Clause
// nfdump file reader bugs found by fuzz/fuzz_nffile_block, one test each, holding the right
// behaviour. The reproducer of each is kept in fuzz/seeds/fuzz_nffile_block/.
#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "flow/nffile.h"
#include "unit/nffile/nffile_test_util.h"

using namespace flow;

namespace {

void PutLe(std::vector<uint8_t>* b, uint64_t v, int n) {
    for (int i = 0; i < n; ++i) b->push_back(static_cast<uint8_t>(v >> (8 * i)));
}

// One address extension pair of layout 1 (nffile-format §1.6): the IPv4 and IPv6 forms of
// the same element, their payload sizes and where the reader stores the value.
struct AddressPair {
    uint16_t v4_id;
    uint16_t v6_id;
    size_t v4_size;
    size_t v6_size;
    ElementId v4_element;
    ElementId v6_element;
    IpAddr FlowRecord::*field;
};

// A layout 1 file with one extension map naming both forms of `pair` and one IPv4 common
// record carrying `v4` (repeated to fill the extension) and 2001:db8::1 (likewise).
std::string FileWithBothFamilies(const AddressPair& pair, uint32_t v4) {
    std::vector<uint8_t> records;
    // Extension map 0: ids, 0 terminator, padded to a multiple of 4 bytes.
    const size_t slots = (8 + 2 * 3) % 4 == 0 ? 3 : 4;
    PutLe(&records, 2, 2);
    PutLe(&records, 8 + 2 * slots, 2);
    PutLe(&records, 0, 2);
    PutLe(&records, pair.v4_size + pair.v6_size, 2);
    PutLe(&records, pair.v4_id, 2);
    PutLe(&records, pair.v6_id, 2);
    for (size_t i = 2; i < slots; ++i) PutLe(&records, 0, 2);
    // Common record (type 10), IPv4, 32-bit counters, map 0.
    const size_t rec_size = 32 + 8 + 8 + pair.v4_size + pair.v6_size;
    PutLe(&records, 10, 2);
    PutLe(&records, rec_size, 2);
    records.push_back(0);   // flags
    records.push_back(9);   // nfversion
    PutLe(&records, 0, 2);  // map id
    PutLe(&records, 0, 4);  // msec first, last
    PutLe(&records, 1700000000, 4);
    PutLe(&records, 1700000001, 4);
    records.insert(records.end(), {0, 0x1b, 6, 0});  // fwd status, tcp flags, proto, tos
    PutLe(&records, 40000, 2);
    PutLe(&records, 443, 2);
    PutLe(&records, 1, 2);  // exporter sysid
    records.insert(records.end(), {0, 0});
    PutLe(&records, 0x0a000001, 4);  // 10.0.0.1 -> 10.0.0.2
    PutLe(&records, 0x0a000002, 4);
    PutLe(&records, 5, 4);     // packets
    PutLe(&records, 1500, 4);  // bytes
    for (size_t i = 0; i < pair.v4_size; i += 4) PutLe(&records, v4, 4);
    for (size_t i = 0; i < pair.v6_size; i += 16) {
        PutLe(&records, 0x20010db800000000ull, 8);  // nfdump stores IPv6 as two host u64
        PutLe(&records, 1, 8);
    }

    std::vector<uint8_t> file;
    PutLe(&file, 0xA50C, 2);
    PutLe(&file, 1, 2);  // layout 1
    PutLe(&file, 0, 4);  // flags: uncompressed
    PutLe(&file, 1, 4);  // NumBlocks
    file.resize(140 + 136, 0);
    PutLe(&file, 2, 4);  // block: records
    PutLe(&file, records.size(), 4);
    PutLe(&file, 2, 2);  // block type 2
    PutLe(&file, 0, 2);
    file.insert(file.end(), records.begin(), records.end());

    const std::string path = flow::testing::ScratchDir() + "/both-families-" +
                             std::to_string(pair.v4_id) + "-" + std::to_string(v4);
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(file.data()), static_cast<long>(file.size()));
    return path;
}

FlowRecord ReadOnlyRecord(const std::string& path) {
    auto r = NfFileReader::Open(path);
    REQUIRE(r.ok());
    Result<bool> more = (*r)->NextBlock();
    REQUIRE(more.ok());
    REQUIRE(*more);
    FlowRecord rec;
    REQUIRE((*r)->NextRecord(&rec));
    return rec;
}

}  // namespace

TEST_CASE("A layout 1 record naming both address families of one element keeps one",
          "[nffile][layout1][regression][fuzz]") {
    // Guards the documented NextRecord() rule for layout 1: a map listing e.g. extensions 9
    // and 10 (IPv4 and IPv6 next hop) gave a record with both presence bits but one value, so
    // `flowdump -w` wrote an IPv4 element holding the low bits of the IPv6 address.
    const AddressPair pair = GENERATE(
        AddressPair{9, 10, 4, 16, kExIpNextHopV4, kExIpNextHopV6, &FlowRecord::ip_next_hop},
        AddressPair{11, 12, 4, 16, kExBgpNextHopV4, kExBgpNextHopV6, &FlowRecord::bgp_next_hop},
        AddressPair{23, 24, 4, 16, kExIpReceivedV4, kExIpReceivedV6, &FlowRecord::received_from},
        AddressPair{39, 40, 8, 32, kExNatXlateIpv4, kExNatXlateIpv6, &FlowRecord::xlate_src});
    CAPTURE(pair.v4_id, pair.v6_id);

    SECTION("IPv4 wins when it is not zero") {
        const FlowRecord rec = ReadOnlyRecord(FileWithBothFamilies(pair, 0xc0000201));
        CHECK(rec.Has(pair.v4_element));
        CHECK_FALSE(rec.Has(pair.v6_element));
        CHECK(rec.*pair.field == IpAddr::V4(0xc0000201));
    }
    SECTION("IPv6 is kept when the IPv4 form is zero") {
        const FlowRecord rec = ReadOnlyRecord(FileWithBothFamilies(pair, 0));
        CHECK_FALSE(rec.Has(pair.v4_element));
        CHECK(rec.Has(pair.v6_element));
        CHECK(rec.*pair.field == IpAddr{0x20010db800000000ull, 1});
    }
}
