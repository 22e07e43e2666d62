// SPDX-License-Identifier: BSD-2-Clause
// Layout 1 (nfdump 1.6) files built byte by byte: every extension id, map redefinition, the
// old type-1 common record, side records; decoded values checked field by field, and
// against nfdump 1.7.1's own conversion when it is installed.
#include <catch2/catch.hpp>
#include <cstdio>

#include "nffile/raw_compare.h"

using namespace flow;
using namespace flow::testing;

namespace {

class Bytes {
public:
    void U8(uint64_t v) { b_.push_back(static_cast<uint8_t>(v)); }
    void U16(uint64_t v) { Le(v, 2); }
    void U32(uint64_t v) { Le(v, 4); }
    void U64(uint64_t v) { Le(v, 8); }
    void V6(uint64_t hi, uint64_t lo) {
        U64(hi);
        U64(lo);
    }
    void Text(const std::string& s, size_t width) {
        for (size_t i = 0; i < width; ++i) U8(i < s.size() ? s[i] : 0);
    }
    void Append(const Bytes& o) { b_.insert(b_.end(), o.b_.begin(), o.b_.end()); }
    size_t size() const { return b_.size(); }
    void Patch16(size_t at, uint16_t v) {
        b_[at] = static_cast<uint8_t>(v);
        b_[at + 1] = static_cast<uint8_t>(v >> 8);
    }
    const std::vector<uint8_t>& data() const { return b_; }

private:
    void Le(uint64_t v, int n) {
        for (int i = 0; i < n; ++i) b_.push_back(static_cast<uint8_t>(v >> (8 * i)));
    }
    std::vector<uint8_t> b_;
};

// Extension payload sizes of layout 1 (spec §1.6).
size_t ExtSize(uint16_t id) {
    switch (id) {
        case 4:
        case 6:
        case 8:
        case 9:
        case 11:
        case 13:
        case 14:
        case 16:
        case 18:
        case 23:
        case 25:
        case 38:
            return 4;
        case 5:
        case 7:
        case 15:
        case 17:
        case 19:
        case 26:
        case 27:
        case 39:
        case 48:
            return 8;
        case 10:
        case 12:
        case 20:
        case 21:
        case 24:
            return 16;
        case 22:
            return 40;
        case 37:
            return 20;
        case 40:
            return 32;
        case 41:
        case 42:
        case 45:
            return 24;
        case 43:
            return 72;
        case 46:
            return 12;
        default:
            return 0;
    }
}

Bytes Map(uint16_t map_id, const std::vector<uint16_t>& ids) {
    Bytes m;
    size_t ext = 0;
    for (uint16_t id : ids) ext += ExtSize(id);
    size_t slots = ids.size() + 1;
    if ((8 + 2 * slots) % 4 != 0) ++slots;
    m.U16(2);
    m.U16(8 + 2 * slots);
    m.U16(map_id);
    m.U16(ext);
    for (uint16_t id : ids) m.U16(id);
    for (size_t i = ids.size(); i < slots; ++i) m.U16(0);
    return m;
}

// Map 1, first definition: IPv6 record, 64-bit counters.
const std::vector<uint16_t> kMapA = {5, 7, 8, 10, 12, 13, 15, 17, 19, 20, 21, 22, 24, 25, 26, 27};
// Map 1 redefined: IPv4 record, 32-bit counters, NSEL/NEL extensions.
const std::vector<uint16_t> kMapB = {4, 6, 9, 11, 14, 16, 18, 23, 37, 38, 39, 41, 42, 45, 46, 48};
// Map 2: for the type-1 record.
const std::vector<uint16_t> kMapC = {40, 43};

Bytes RecordA() {
    Bytes r;
    r.U16(10);
    r.U16(0);                         // size, patched
    r.U8(0x01 | 0x02 | 0x04 | 0x80);  // IPv6, 64-bit packets and bytes, sampled
    r.U8(9);                          // nfversion
    r.U16(1);                         // map
    r.U16(123);                       // msec first
    r.U16(456);                       // msec last
    r.U32(1700000000);
    r.U32(1700000010);
    r.U8(1);     // fwd status
    r.U8(0x1b);  // tcp flags
    r.U8(6);     // proto
    r.U8(0x10);  // tos
    r.U16(1234);
    r.U16(80);
    r.U16(1);  // exporter sysid
    r.U8(1);   // biflow dir
    r.U8(2);   // end reason
    r.V6(0x20010db800000001ULL, 0x10);
    r.V6(0x20010db800000002ULL, 0x20);
    r.U64(5000000000ULL);              // packets
    r.U64(7000000000ULL);              // bytes
    r.U32(7);                          // 5: input
    r.U32(8);                          //    output
    r.U32(4200000001u);                // 7: src AS
    r.U32(65002);                      //    dst AS
    r.U8(5);                           // 8: dst tos
    r.U8(1);                           //    direction
    r.U8(48);                          //    src mask
    r.U8(64);                          //    dst mask
    r.V6(0xfe80000000000000ULL, 0x1);  // 10: ip next hop
    r.V6(0xfe80000000000000ULL, 0x2);  // 12: bgp next hop
    r.U16(10);                         // 13: src vlan
    r.U16(20);                         //     dst vlan
    r.U64(11);                         // 15: out packets
    r.U64(1100);                       // 17: out bytes
    r.U64(3);                          // 19: flows
    r.U64(0x001122334455ULL);          // 20: in src mac
    r.U64(0x66778899aabbULL);          //     out dst mac
    r.U64(0x020000000001ULL);          // 21: in dst mac
    r.U64(0x020000000002ULL);          //     out src mac
    for (uint32_t k = 0; k < 10; ++k) r.U32(((100 + k) << 4) | (k % 8) << 1 | (k == 9));  // 22
    r.V6(0xfd00000000000000ULL, 0x99);  // 24: router
    r.U16(0);                           // 25: fill
    r.U8(2);                            //     engine type
    r.U8(3);                            //     engine id
    r.U32(64512);                       // 26: next AS
    r.U32(64513);                       //     prev AS
    r.U64(1700000020123ULL);            // 27: received
    return r;
}

Bytes RecordB() {
    Bytes r;
    r.U16(10);
    r.U16(0);
    r.U8(0x40);  // event, 32-bit counters, IPv4
    r.U8(10);
    r.U16(1);
    r.U16(0);
    r.U16(999);
    r.U32(1700000100);
    r.U32(1700000200);
    r.U8(0);
    r.U8(0);
    r.U8(17);
    r.U8(0);
    r.U16(53);
    r.U16(40000);
    r.U16(2);
    r.U8(0);
    r.U8(0);
    r.U32(0x0a000001u);                                 // src 10.0.0.1
    r.U32(0xc0a80102u);                                 // dst 192.168.1.2
    r.U32(77);                                          // packets
    r.U32(7700);                                        // bytes
    r.U16(3);                                           // 4: input
    r.U16(4);                                           //    output
    r.U16(65001);                                       // 6: src AS
    r.U16(65002);                                       //    dst AS
    r.U32(0x0a0000feu);                                 // 9: next hop
    r.U32(0x0a0000fdu);                                 // 11: bgp next hop
    r.U32(5);                                           // 14: out packets
    r.U32(500);                                         // 16: out bytes
    r.U32(2);                                           // 18: flows
    r.U32(0x7f000002u);                                 // 23: router
    r.U64(1700000150000ULL);                            // 37: event time
    r.U32(4242);                                        //     connection id
    r.U16(0x0800);                                      //     ICMP
    r.U8(2);                                            //     fw event
    r.U8(0);                                            //     fill
    r.U16(1002);                                        //     fw extended event
    r.U16(0);                                           //     security group tag
    r.U16(1111);                                        // 38: xlate src port
    r.U16(2222);                                        //     xlate dst port
    r.U32(0xc6336401u);                                 // 39: xlate src
    r.U32(0x08080808u);                                 //     xlate dst
    for (uint32_t k = 0; k < 6; ++k) r.U32(0x100 + k);  // 41: ACLs
    r.Text("alice", 24);                                // 42: user
    r.U64(1000);                                        // 45: client latency us
    r.U64(2000);                                        //     server
    r.U64(3000);                                        //     application
    r.U8(1);                                            // 46: NAT event
    r.U8(0);
    r.U16(0);
    r.U32(12);    // egress VRF
    r.U32(13);    // ingress VRF
    r.U16(1000);  // 48: block start
    r.U16(0);     //     end (0: start + size - 1)
    r.U16(1);     //     step
    r.U16(100);   //     size
    return r;
}

Bytes RecordV0() {
    Bytes r;
    r.U16(1);
    r.U16(0);
    r.U8(0x00);  // flags
    r.U8(7);     // 8-bit exporter sysid
    r.U16(2);    // map
    r.U16(1);
    r.U16(2);
    r.U32(1600000000);
    r.U32(1600000001);
    r.U8(0);
    r.U8(0x02);
    r.U8(6);
    r.U8(0);
    r.U16(4000);
    r.U16(22);
    r.U32(0x01020304u);
    r.U32(0x05060708u);
    r.U32(9);
    r.U32(900);
    r.V6(0x2001000000000000ULL, 1);    // 40: xlate src
    r.V6(0x2001000000000000ULL, 2);    //     xlate dst
    r.Text(std::string(80, 'u'), 72);  // 43: user, 72 bytes, not terminated
    return r;
}

void Finish(Bytes* rec) { rec->Patch16(2, static_cast<uint16_t>(rec->size())); }

std::string BuildFile(bool with_v0 = true) {
    Bytes block;
    uint32_t records = 0;
    auto add = [&](Bytes r) {
        block.Append(r);
        ++records;
    };
    add(Map(1, kMapA));
    Bytes exporter;
    exporter.U16(7);
    exporter.U16(32);
    exporter.U32(9);
    exporter.U64(0);
    exporter.U32(0x7f000001u);
    exporter.U32(0);
    exporter.U16(2);
    exporter.U16(1);
    exporter.U32(258);
    add(exporter);
    Bytes sampler;
    sampler.U16(9);
    sampler.U16(16);
    sampler.U32(0xffffffffu);  // id -1
    sampler.U32(100);          // 1 in 100
    sampler.U16(1);
    sampler.U16(1);
    add(sampler);
    Bytes a = RecordA();
    Finish(&a);
    add(a);
    add(Map(1, kMapB));  // redefinition of map 1
    add(Map(2, kMapC));
    Bytes b = RecordB();
    Finish(&b);
    add(b);
    if (with_v0) {
        Bytes v0 = RecordV0();
        Finish(&v0);
        add(v0);
        Bytes unmapped = RecordB();
        unmapped.Patch16(6, 9);  // map 9 does not exist: skipped
        Finish(&unmapped);
        add(unmapped);
    }

    Bytes file;
    file.U16(0xA50C);
    file.U16(1);
    file.U32(0);  // flags: uncompressed
    file.U32(1);  // NumBlocks
    file.Text("v1-test", 128);
    const uint64_t stat[15] = {3, 7000009600ULL, 5000000086ULL, 1, 1, 0, 1};
    for (uint64_t v : stat) file.U64(v);
    file.U32(1600000000);
    file.U32(1700000200);
    file.U16(1);
    file.U16(999);
    file.U32(4);
    file.U32(records);
    file.U32(static_cast<uint32_t>(block.size()));
    file.U16(2);
    file.U16(0);
    file.Append(block);

    const std::string path = ScratchDir() + (with_v0 ? "/layout1-handmade" : "/layout1-1.7.1");
    FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    std::fwrite(file.data().data(), 1, file.size(), f);
    std::fclose(f);
    return path;
}

// A layout 1 file named `name` in the scratch directory: an uncompressed header, a zero stat
// record, and `block` (holding `records` records) as its one data block.
std::string WriteBadMapFile(const std::string& name, const Bytes& block, uint32_t records) {
    Bytes file;
    file.U16(0xA50C);
    file.U16(1);
    file.U32(0);
    file.U32(1);
    file.Text("bad-map", 128);
    for (int i = 0; i < 17; ++i) file.U64(0);
    file.U32(records);
    file.U32(static_cast<uint32_t>(block.size()));
    file.U16(2);
    file.U16(0);
    file.Append(block);
    const std::string path = ScratchDir() + "/" + name;
    FILE* f = std::fopen(path.c_str(), "wb");
    REQUIRE(f != nullptr);
    std::fwrite(file.data().data(), 1, file.size(), f);
    std::fclose(f);
    return path;
}

}  // namespace

TEST_CASE(
    "A layout 1 file with every extension, a redefined map and a type-1 record decodes "
    "field by field",
    "[nffile][layout1]") {
    const std::string path = BuildFile();
    ReadOutcome out = ReadWholeFile(path);
    REQUIRE(out.open_status.ok());
    REQUIRE(out.status.ok());
    CHECK(out.info.layout == 1);
    CHECK(out.info.ident == "v1-test");
    CHECK(out.info.stat.num_flows == 3);
    CHECK(out.info.stat.first_ms == 1600000000001ULL);
    CHECK(out.info.stat.last_ms == 1700000200999ULL);
    CHECK(out.info.stat.sequence_failures == 4);
    CHECK(out.counters.unmapped_records == 1);
    CHECK(out.counters.v0_records == 1);
    CHECK(out.counters.bad_maps == 0);
    REQUIRE(out.records.size() == 3);

    const FlowRecord& a = out.records[0];
    CHECK(a.IsV6());
    CHECK(a.flags == kFlagSampled);
    CHECK(a.nfversion == 9);
    CHECK(a.first_ms == 1700000000123ULL);
    CHECK(a.last_ms == 1700000010456ULL);
    CHECK(a.received_ms == 1700000020123ULL);
    CHECK(a.packets == 5000000000ULL);
    CHECK(a.bytes == 7000000000ULL);
    CHECK(a.src_addr == IpAddr{0x20010db800000001ULL, 0x10});
    CHECK(a.dst_addr == IpAddr{0x20010db800000002ULL, 0x20});
    CHECK(a.fwd_status == 1);
    CHECK(a.tcp_flags == 0x1b);
    CHECK(a.src_tos == 0x10);
    CHECK(a.src_port == 1234);
    CHECK(a.dst_port == 80);
    CHECK(a.exporter_sysid == 1);
    CHECK(a.biflow_dir == 1);
    CHECK(a.end_reason == 2);
    CHECK(a.input == 7);
    CHECK(a.output == 8);
    CHECK(a.src_as == 4200000001u);
    CHECK(a.dst_as == 65002);
    CHECK(a.dst_tos == 5);
    CHECK(a.dir == 1);
    CHECK(a.src_mask == 48);
    CHECK(a.dst_mask == 64);
    CHECK(a.Has(kExIpNextHopV6));
    CHECK(a.ip_next_hop == IpAddr{0xfe80000000000000ULL, 1});
    CHECK(a.Has(kExBgpNextHopV6));
    CHECK(a.bgp_next_hop == IpAddr{0xfe80000000000000ULL, 2});
    CHECK(a.src_vlan == 10);
    CHECK(a.dst_vlan == 20);
    CHECK(a.out_packets == 11);
    CHECK(a.out_bytes == 1100);
    CHECK(a.flows == 3);
    CHECK(a.in_src_mac == 0x001122334455ULL);
    CHECK(a.out_dst_mac == 0x66778899aabbULL);
    CHECK(a.in_dst_mac == 0x020000000001ULL);
    CHECK(a.out_src_mac == 0x020000000002ULL);
    CHECK(a.mpls[0] == (100u << 4));
    CHECK(a.mpls[9] == ((109u << 4) | (1u << 1) | 1u));
    CHECK(a.Has(kExIpReceivedV6));
    CHECK(a.received_from == IpAddr{0xfd00000000000000ULL, 0x99});
    CHECK(a.engine_type == 2);
    CHECK(a.engine_id == 3);
    CHECK(a.next_as == 64512);
    CHECK(a.prev_as == 64513);

    const FlowRecord& b = out.records[1];
    CHECK_FALSE(b.IsV6());
    CHECK(b.Has(kExIpv4Flow));
    CHECK(b.flags == kFlagEvent);
    CHECK(b.src_addr.v4() == 0x0a000001u);
    CHECK(b.dst_addr.v4() == 0xc0a80102u);
    CHECK(b.packets == 77);
    CHECK(b.bytes == 7700);
    CHECK(b.input == 3);
    CHECK(b.output == 4);
    CHECK(b.src_as == 65001);
    CHECK(b.dst_as == 65002);
    CHECK(b.Has(kExIpNextHopV4));
    CHECK(b.ip_next_hop.v4() == 0x0a0000feu);
    CHECK(b.bgp_next_hop.v4() == 0x0a0000fdu);
    CHECK(b.out_packets == 5);
    CHECK(b.out_bytes == 500);
    CHECK(b.flows == 2);
    CHECK(b.Has(kExIpReceivedV4));
    CHECK(b.received_from.v4() == 0x7f000002u);
    CHECK(b.event_ms == 1700000150000ULL);
    CHECK(b.conn_id == 4242);
    CHECK(b.fw_event == 2);
    CHECK(b.fw_xevent == 1002);
    CHECK(b.xlate_src_port == 1111);
    CHECK(b.xlate_dst_port == 2222);
    CHECK(b.Has(kExNatXlateIpv4));
    CHECK(b.xlate_src.v4() == 0xc6336401u);
    CHECK(b.xlate_dst.v4() == 0x08080808u);
    CHECK(b.ingress_acl[0] == 0x100);
    CHECK(b.egress_acl[2] == 0x105);
    CHECK(std::string(b.username) == "alice");
    CHECK(b.client_nw_delay_us == 1000);
    CHECK(b.server_nw_delay_us == 2000);
    CHECK(b.appl_latency_us == 3000);
    CHECK(b.nat_event == 1);
    CHECK(b.egress_vrf == 12);
    CHECK(b.ingress_vrf == 13);
    CHECK(b.block_start == 1000);
    CHECK(b.block_end == 1099);
    CHECK(b.block_step == 1);
    CHECK(b.block_size == 100);

    const FlowRecord& v0 = out.records[2];
    CHECK(v0.exporter_sysid == 7);
    CHECK(v0.nfversion == 0);
    CHECK(v0.first_ms == 1600000000001ULL);
    CHECK(v0.last_ms == 1600000001002ULL);
    CHECK(v0.tcp_flags == 0x02);
    CHECK(v0.src_port == 4000);
    CHECK(v0.dst_port == 22);
    CHECK(v0.src_addr.v4() == 0x01020304u);
    CHECK(v0.packets == 9);
    CHECK(v0.bytes == 900);
    CHECK(v0.Has(kExNatXlateIpv6));
    CHECK(v0.xlate_dst == IpAddr{0x2001000000000000ULL, 2});
    CHECK(std::string(v0.username) == std::string(65, 'u'));

    REQUIRE(out.exporters.size() == 1);
    CHECK(out.exporters[0].sysid == 1);
    CHECK(out.exporters[0].ip.v4() == 0x7f000001u);
    CHECK(out.exporters[0].id == 258);
    REQUIRE(out.samplers.size() == 1);
    CHECK(out.samplers[0].id == SamplerInfo::kGeneric);
    CHECK(out.samplers[0].packet_interval == 1);
    CHECK(out.samplers[0].space_interval == 99);
    CHECK(out.samplers[0].algorithm == 1);
    CHECK(out.samplers[0].exporter_sysid == 1);
}

TEST_CASE("A layout 1 map that fails nfdump's checks is ignored and its records skipped",
          "[nffile][layout1]") {
    Bytes block;
    Bytes bad = Map(1, {4, 6});
    bad.Patch16(6, 99);  // extension size does not add up
    block.Append(bad);
    Bytes rec = RecordB();
    Finish(&rec);
    block.Append(rec);

    const std::string path = WriteBadMapFile("layout1-badmap", block, 2);

    ReadOutcome out = ReadWholeFile(path);
    REQUIRE(out.status.ok());
    CHECK(out.counters.bad_maps == 1);
    CHECK(out.counters.unmapped_records == 1);
    CHECK(out.records.empty());
}

TEST_CASE("nfdump 1.7.1 converts the hand-made layout 1 records to the same values",
          "[nffile][layout1][oracle]") {
    if (!HaveNfdump()) {
        WARN("/usr/bin/nfdump not installed; skipped");
        return;
    }
    // Without the type-1 and unmapped records, which 1.7.1 skips. "Flags" is left out:
    // 1.7.1 copies layout 1 flag bits into V3 flags (64-bit bytes shows as "Anonymized").
    const std::string path = BuildFile(false);
    ReadOutcome out = ReadWholeFile(path);
    REQUIRE(out.status.ok());
    REQUIRE(out.records.size() == 2);
    CHECK(CompareRaw(path, out.records, false, {"Flags"}) == 0);
}

TEST_CASE("ReaderOptions::on_extension_map sees every map record in file order, bad ones too",
          "[nffile][layout1]") {
    const std::string path = BuildFile(false);
    std::vector<flow::ExtensionMapRecord> maps;
    flow::ReaderOptions options;
    options.on_extension_map = [&](const flow::ExtensionMapRecord& m) { maps.push_back(m); };
    auto reader = flow::NfFileReader::Open(path, options);
    REQUIRE(reader.ok());
    flow::FlowRecord rec;
    size_t flows = 0;
    for (;;) {
        auto more = (*reader)->NextBlock();
        REQUIRE(more.ok());
        if (!*more) break;
        while ((*reader)->NextRecord(&rec)) ++flows;
    }
    CHECK(flows == 2);
    REQUIRE(maps.size() == 3);
    CHECK(maps[0].map_id == 1);
    CHECK(maps[0].ids == kMapA);
    CHECK(maps[1].map_id == 1);  // the redefinition, as stored
    CHECK(maps[1].ids == kMapB);
    CHECK(maps[2].map_id == 2);
    CHECK(maps[2].ids == kMapC);
    CHECK(maps[2].size == Map(2, kMapC).size());
    uint32_t sum = 0;
    for (uint16_t id : kMapC) sum += static_cast<uint32_t>(ExtSize(id));
    CHECK(maps[2].extension_size == sum);

    // A map nfdump's rules refuse is still reported, with its declared size.
    Bytes block;
    Bytes bad = Map(7, {4, 6});
    bad.Patch16(6, 99);
    block.Append(bad);
    const std::string bad_path = WriteBadMapFile("layout1-badmap-reported", block, 1);
    maps.clear();
    auto bad_reader = flow::NfFileReader::Open(bad_path, options);
    REQUIRE(bad_reader.ok());
    for (;;) {
        auto more = (*bad_reader)->NextBlock();
        REQUIRE(more.ok());
        if (!*more) break;
        while ((*bad_reader)->NextRecord(&rec)) {
        }
    }
    REQUIRE(maps.size() == 1);
    CHECK(maps[0].map_id == 7);
    CHECK(maps[0].extension_size == 99);
    CHECK(maps[0].ids == std::vector<uint16_t>{4, 6});
    CHECK((*bad_reader)->counters().bad_maps == 1);
}

namespace {

// A plain IPv4 common record on map 3 ({18, 46}): `flows` in extension 18, then the NAT
// extension with `nat_event` and VRF ids 21 (egress) and 22 (ingress).
Bytes FlowCountNatRecord(uint32_t flows, uint8_t nat_event) {
    Bytes r;
    r.U16(10);
    r.U16(0);  // size, patched
    r.U8(0);   // IPv4, 32-bit counters
    r.U8(9);
    r.U16(3);  // map
    r.U16(0);
    r.U16(0);
    r.U32(1700000000);
    r.U32(1700000001);
    for (int i = 0; i < 4; ++i) r.U8(0);  // fwd status, tcp flags, proto, tos
    r.U16(1);
    r.U16(2);
    r.U16(1);  // exporter sysid
    r.U8(0);
    r.U8(0);
    r.U32(0x0a000001u);
    r.U32(0x0a000002u);
    r.U32(1);         // packets
    r.U32(60);        // bytes
    r.U32(flows);     // 18
    r.U8(nat_event);  // 46
    r.U8(0);
    r.U16(0);
    r.U32(21);
    r.U32(22);
    Finish(&r);
    return r;
}

}  // namespace

// (No ';' in test names: ctest's test list would split the name there.)
TEST_CASE(
    "A layout 1 NAT extension with NAT event 0 carries the flow's VRF ids only and a stored "
    "flow count of 0 is one flow",
    "[nffile][layout1]") {
    // nfcapd 1.6 stores the VRF ids of plain flows in extension 46; nfcapd 1.7 stores the
    // same flows with a VRF element and no NAT element.
    Bytes block;
    block.Append(Map(3, {18, 46}));
    block.Append(FlowCountNatRecord(0, 0));
    block.Append(FlowCountNatRecord(4, 1));
    const std::string path = WriteBadMapFile("layout1-nat-vrf", block, 3);

    ReadOutcome out = ReadWholeFile(path);
    REQUIRE(out.status.ok());
    REQUIRE(out.records.size() == 2);
    const FlowRecord& plain = out.records[0];
    CHECK(plain.Has(kExVrf));
    CHECK_FALSE(plain.Has(kExNatCommon));
    CHECK(plain.egress_vrf == 21);
    CHECK(plain.ingress_vrf == 22);
    CHECK(plain.flows == 1);  // a stored 0 is one flow
    const FlowRecord& nat = out.records[1];
    CHECK(nat.Has(kExVrf));
    CHECK(nat.Has(kExNatCommon));
    CHECK(nat.nat_event == 1);
    CHECK(nat.ingress_vrf == 22);
    CHECK(nat.flows == 4);
}
