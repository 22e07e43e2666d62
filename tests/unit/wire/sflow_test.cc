// SPDX-License-Identifier: BSD-2-Clause
// sFlow v5 decoding: every sFlow capture and payload of the shared corpus (G67-G80) with flow
// counts and field values checked against what Debian's sfcapd 1.7.1 stored for the same
// datagrams (nffile/generated/sf171-none, sf171-v6agent) and tshark 4.0's decoding; then
// hand-built datagrams for the rules the corpus does not exercise, and truncated, damaged and
// garbage datagrams, which must give a Status and never a crash.
#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "flow/pcap_source.h"
#include "flow/wire.h"
#include "wire/wire_builder.h"

namespace {

namespace fs = std::filesystem;
using flow::FlowRecord;
using flow::IpAddr;
using flow::StatusCode;
using flow::wire::DecodeError;
using flow::wire::Decoder;
using flow::wire::DecoderEvent;
using flow::wire::Endpoint;
using wiretest::Writer;

const fs::path kCorpus = FLOWKIT_CORPUS_DIR;

IpAddr V4(const char* text) {
    in_addr a{};
    REQUIRE(inet_pton(AF_INET, text, &a) == 1);
    return IpAddr::V4(ntohl(a.s_addr));
}

IpAddr V6(const char* text) {
    uint8_t b[16];
    REQUIRE(inet_pton(AF_INET6, text, b) == 1);
    return IpAddr::V6(b);
}

struct Datagram {
    Endpoint from;
    std::vector<uint8_t> payload;
};

// The UDP payloads of a corpus file: every datagram of a pcap, or a raw payload file as one
// datagram from 127.0.0.1.
std::vector<Datagram> Load(const fs::path& path) {
    std::vector<Datagram> out;
    if (path.extension() == ".bin") {
        std::ifstream in(path, std::ios::binary);
        Datagram d;
        d.from = Endpoint::V4(0x7f000001);
        d.payload.assign(std::istreambuf_iterator<char>(in), {});
        out.push_back(d);
        return out;
    }
    auto reader = flow::wire::PcapUdpReader::Open(path.string());
    REQUIRE(reader.ok());
    flow::wire::UdpDatagram u;
    while (true) {
        auto more = (*reader)->Next(&u);
        REQUIRE(more.ok());
        if (!*more) break;
        out.push_back({u.source, std::vector<uint8_t>(u.payload, u.payload + u.length)});
    }
    return out;
}

struct GroupResult {
    std::vector<FlowRecord> flows;
    size_t bad_datagrams = 0;
};

GroupResult DecodeFile(const std::string& relative, Decoder* decoder) {
    GroupResult result;
    std::vector<FlowRecord> out;
    for (const Datagram& d : Load(kCorpus / relative)) {
        out.clear();
        const flow::Status s =
            decoder->Decode(d.payload.data(), d.payload.size(), d.from, 1700000000000, &out);
        if (!s.ok()) ++result.bad_datagrams;
        result.flows.insert(result.flows.end(), out.begin(), out.end());
    }
    return result;
}

bool HaveCorpus() {
    if (fs::exists(kCorpus / "groups.tsv")) return true;
    WARN("corpus not found at " << kCorpus << ": sFlow corpus tests skipped");
    return false;
}

// What every sFlow record carries, whatever its content (sfcapd's element set); `version`
// is the datagram's.
void CheckCommon(const FlowRecord& r, uint64_t received_ms = 1700000000000, uint32_t version = 5) {
    CHECK(r.nfversion == (0x80 | version));
    CHECK(r.flags == flow::kFlagSampled);
    CHECK(r.first_ms == received_ms);
    CHECK(r.last_ms == r.first_ms);
    CHECK(r.received_ms == r.first_ms);
    for (auto e : {flow::kExGenericFlow, flow::kExFlowMisc, flow::kExVlan, flow::kExAsRouting,
                   flow::kExMacAddr}) {
        CAPTURE(int{e});
        CHECK(r.Has(e));
    }
    CHECK(r.Has(flow::kExIpReceivedV4) != r.Has(flow::kExIpReceivedV6));
    CHECK(r.Has(flow::kExIpv4Flow) != r.Has(flow::kExIpv6Flow));
}

}  // namespace

TEST_CASE("sFlow corpus files decode to the flows sfcapd 1.7.1 stores", "[sflow][corpus]") {
    if (!HaveCorpus()) return;
    // Group, file, flows (sf171-none / sf171-v6agent counts), datagrams with an error.
    struct Row {
        const char* group;
        const char* file;
        size_t flows;
        size_t bad;
    };
    auto row = GENERATE(table<const char*, const char*, size_t, size_t>({
        {"G67", "sflow/akvorado__data-1140.pcap", 5, 0},
        {"G68", "sflow/akvorado__data-local-interface.pcap", 1, 0},
        {"G69", "sflow/akvorado__data-encap-vxlan.pcap", 1, 0},
        {"G70", "sflow/akvorado__data-icmpv4.pcap", 1, 0},
        {"G71", "sflow/akvorado__data-icmpv6.pcap", 1, 0},
        {"G72", "sflow/akvorado__data-qinq.pcap", 1, 0},
        {"G73", "sflow/akvorado__data-sflow-expanded-sample.pcap", 1, 0},
        {"G74", "sflow/akvorado__data-sflow-ipv4-data.pcap", 1, 0},
        {"G75", "sflow/tcpdump__sflow-print-v6.pcap", 13, 0},
        {"G76", "sflow/tcpdump__sflow_print-segv.pcap", 0, 1},
        {"G77", "sflow/ndpi__sflow.pcap", 1, 0},
        {"G78", "raw-payload/sflow/telegraf__sflow_v5_example__sflow_v5.bin", 0, 0},
        {"G79", "raw-payload/sflow/telegraf__sflow_issue_15918__message.bin", 6, 0},
        {"G80", "raw-payload/sflow/telegraf__sflow_issue_18876__message.bin", 0, 0},
    }));
    const Row r{std::get<0>(row), std::get<1>(row), std::get<2>(row), std::get<3>(row)};
    CAPTURE(r.group, r.file);
    Decoder decoder;
    const GroupResult got = DecodeFile(r.file, &decoder);
    CHECK(got.flows.size() == r.flows);
    CHECK(got.bad_datagrams == r.bad);
    for (const FlowRecord& f : got.flows) CheckCommon(f);
    // Agents that sent only counters get no exporter, as with sfcapd.
    CHECK(decoder.exporter_count() == (r.flows > 0 ? 1u : 0u));
    if (r.flows > 0) {
        CHECK(decoder.exporter(0).version == 9999);
        CHECK(decoder.exporter(0).counters.flows == r.flows);
        CHECK(decoder.exporter(0).counters.sequence_failures == 0);
        CHECK(decoder.counters().sflow_flow_samples == r.flows);
    }
}

TEST_CASE("sFlow corpus flows hold the field values sfcapd 1.7.1 and tshark show",
          "[sflow][corpus]") {
    if (!HaveCorpus()) return;

    SECTION("G67: IPv4 with extended switch, router and gateway records") {
        Decoder decoder;
        const auto flows = DecodeFile("sflow/akvorado__data-1140.pcap", &decoder).flows;
        REQUIRE(flows.size() == 5);
        const FlowRecord& f = flows[1];
        CHECK(f.Has(flow::kExIpv4Flow));
        CHECK(f.src_addr == V4("104.26.8.24"));
        CHECK(f.dst_addr == V4("45.90.161.46"));
        CHECK(f.proto == 6);
        CHECK(f.src_port == 443);
        CHECK(f.dst_port == 56876);
        CHECK(f.tcp_flags == 0x18);
        CHECK(f.packets == 1024);
        CHECK(f.bytes == 1024u * 439);  // rate × frame length
        CHECK(f.input == 49001);
        CHECK(f.output == 25);
        CHECK(f.src_mask == 20);
        CHECK(f.dst_mask == 27);
        CHECK(f.src_vlan == 65535);  // 4294967295 on the wire, 16 bits stored
        CHECK(f.dst_vlan == 100);
        CHECK(f.src_as == 13335);
        CHECK(f.dst_as == 0);  // empty AS path
        CHECK(f.Has(flow::kExIpNextHopV4));
        CHECK(f.ip_next_hop == V4("45.90.161.46"));
        CHECK(f.Has(flow::kExBgpNextHopV4));
        CHECK(f.bgp_next_hop == V4("0.0.0.0"));
        CHECK(f.in_src_mac == 0xc4ca2bae3437ull);
        CHECK(f.out_dst_mac == 0xae18b04b268aull);
        CHECK(f.received_from == V4("192.0.2.100"));

        const FlowRecord& v6 = flows[0];
        CHECK(v6.Has(flow::kExIpv6Flow));
        CHECK(v6.src_addr == V6("2a0c:8880:2:0:185:21:130:38"));
        CHECK(v6.dst_addr == V6("2a0c:8880:2:0:185:21:130:39"));
        CHECK(v6.src_port == 46026);
        CHECK(v6.dst_port == 22);
        CHECK(v6.src_tos == 8);  // IPv6 traffic class
        CHECK(v6.bytes == 1024u * 1518);
        CHECK(v6.src_vlan == 100);
        CHECK(v6.dst_vlan == 100);
        CHECK_FALSE(v6.Has(flow::kExIpNextHopV4));

        // One sampler from the first flow sample: 1 out of 1024.
        REQUIRE(decoder.sampler_count() == 1);
        CHECK(decoder.sampler(0).id == flow::wire::kSamplerGeneric);
        CHECK(decoder.sampler(0).packet_interval == 1);
        CHECK(decoder.sampler(0).space_interval == 1023);
        CHECK(decoder.exporter(0).id == 0);
    }

    SECTION("G68: the internal interface 0x3fffffff is kept") {
        Decoder decoder;
        const auto flows = DecodeFile("sflow/akvorado__data-local-interface.pcap", &decoder).flows;
        REQUIRE(flows.size() == 1);
        CHECK(flows[0].input == 27);
        CHECK(flows[0].output == 0x3fffffff);
    }

    SECTION("G69: a VXLAN packet is stored as its outer UDP header, sub-agent 1402") {
        Decoder decoder;
        const auto flows = DecodeFile("sflow/akvorado__data-encap-vxlan.pcap", &decoder).flows;
        REQUIRE(flows.size() == 1);
        CHECK(flows[0].src_addr == V4("192.168.108.40"));
        CHECK(flows[0].dst_addr == V4("192.168.15.14"));
        CHECK(flows[0].proto == 17);
        CHECK(flows[0].src_port == 45833);
        CHECK(flows[0].dst_port == 4789);
        CHECK(flows[0].packets == 1);
        CHECK(flows[0].bytes == 172);
        CHECK(flows[0].in_src_mac == 0x0017087d7742ull);
        CHECK(decoder.exporter(0).id == 1402);
    }

    SECTION("G70/G71: ICMP type and code go to the destination port") {
        Decoder decoder;
        const auto v4 = DecodeFile("sflow/akvorado__data-icmpv4.pcap", &decoder).flows;
        REQUIRE(v4.size() == 1);
        CHECK(v4[0].proto == 1);
        CHECK(v4[0].src_addr == V4("203.0.113.4"));
        CHECK(v4[0].src_port == 0);
        CHECK(v4[0].dst_port == 0x0800);  // echo request (tshark: type 8, code 0)
        CHECK(v4[0].bytes == 102);
        const auto v6 = DecodeFile("sflow/akvorado__data-icmpv6.pcap", &decoder).flows;
        REQUIRE(v6.size() == 1);
        CHECK(v6[0].proto == 58);
        CHECK(v6[0].src_addr == V6("fe80::d05b:45ff:feee:5ecf"));
        CHECK(v6[0].dst_addr == V6("2001:db8::"));
        CHECK(v6[0].dst_port == 135 << 8);  // neighbour solicitation
        CHECK(v6[0].bytes == 90);
    }

    SECTION("G72: QinQ tags, the inner VLAN is stored; expanded interfaces") {
        Decoder decoder;
        const auto flows = DecodeFile("sflow/akvorado__data-qinq.pcap", &decoder).flows;
        REQUIRE(flows.size() == 1);
        CHECK(flows[0].src_vlan == 1493);  // tags 1062 (outer) and 1493
        CHECK(flows[0].dst_vlan == 0);
        CHECK(flows[0].src_addr == V4("49.49.49.2"));
        CHECK(flows[0].dst_addr == V4("49.49.49.109"));
        CHECK(flows[0].src_port == 32017);
        CHECK(flows[0].dst_port == 443);
        CHECK(flows[0].tcp_flags == 0x10);
        CHECK(flows[0].packets == 4096);
        CHECK(flows[0].bytes == 4096u * 106);
        CHECK(flows[0].input == 369098852);
        CHECK(flows[0].output == 369098851);
        CHECK(decoder.exporter(0).id == 100);
    }

    SECTION("G73: AS path, BGP and IP next hop, masks from an expanded sample") {
        Decoder decoder;
        const auto flows =
            DecodeFile("sflow/akvorado__data-sflow-expanded-sample.pcap", &decoder).flows;
        REQUIRE(flows.size() == 1);
        const FlowRecord& f = flows[0];
        CHECK(f.src_as == 203476);
        CHECK(f.dst_as == 203361);  // last AS of the path 8218 29605 203361
        CHECK(f.bgp_next_hop == V4("54.54.54.54"));
        CHECK(f.ip_next_hop == V4("54.54.54.54"));
        CHECK(f.src_mask == 32);
        CHECK(f.dst_mask == 22);
        CHECK(f.src_vlan == 809);  // from the 802.1Q tag of the header
        CHECK(f.src_tos == 8);
        CHECK(f.input == 29001);
        CHECK(f.output == 1285816721);
        CHECK(f.packets == 1000);
        CHECK(f.bytes == 126000);
    }

    SECTION("G74: the sampled IPv4 record's length wins over the header's frame length") {
        Decoder decoder;
        const auto flows = DecodeFile("sflow/akvorado__data-sflow-ipv4-data.pcap", &decoder).flows;
        REQUIRE(flows.size() == 1);
        const FlowRecord& f = flows[0];
        CHECK(f.src_addr == V4("50.50.50.50"));
        CHECK(f.dst_addr == V4("51.51.51.51"));
        CHECK(f.src_port == 46622);
        CHECK(f.dst_port == 58631);
        CHECK(f.packets == 256);
        CHECK(f.bytes == 256u * 1344);  // header says 1390, sampled_ipv4 1344
        CHECK(f.input == 0);
        CHECK(f.output == 182);
        CHECK(f.src_vlan == 0);
        CHECK(f.dst_vlan == 3001);
        CHECK(f.in_src_mac == 0x00fec8990547ull);
        CHECK(f.out_dst_mac == 0x01005e2aaa04ull);
        CHECK(decoder.exporter(0).id == 1);
    }

    SECTION("G75: IPv6 agent, counters between flow samples, sequence in order") {
        Decoder decoder;
        const auto flows = DecodeFile("sflow/tcpdump__sflow-print-v6.pcap", &decoder).flows;
        REQUIRE(flows.size() == 13);
        // The UDP source is IPv6 (30::1:1:1), so is the stored exporter.
        CHECK(flows[0].Has(flow::kExIpReceivedV6));
        CHECK(flows[0].received_from == V6("30::1:1:1"));
        CHECK(flows[0].src_addr == V4("10.10.10.2"));
        CHECK(flows[0].dst_addr == V4("50.1.1.2"));
        CHECK(flows[0].proto == 63);
        CHECK(flows[0].input == 7001);
        CHECK(flows[0].output == 0);  // 0x80000000: format 2, value 0
        CHECK(flows[0].bytes == 64);
        CHECK(flows[1].bytes == 250);
        CHECK(flows[2].bytes == 500);
        CHECK(decoder.counters().sflow_counter_samples == 48);
        CHECK(decoder.exporter(0).counters.sequence_failures == 0);
    }

    SECTION("G77: one flow sample among eight counter samples") {
        Decoder decoder;
        const auto flows = DecodeFile("sflow/ndpi__sflow.pcap", &decoder).flows;
        REQUIRE(flows.size() == 1);
        CHECK(flows[0].src_addr == V4("172.21.32.254"));
        CHECK(flows[0].dst_addr == V4("172.21.32.241"));
        CHECK(flows[0].packets == 2048);
        CHECK(flows[0].bytes == 167936);
        CHECK(flows[0].input == 1048);
        CHECK(flows[0].output == 1043);
        CHECK(flows[0].src_vlan == 32);
        CHECK(decoder.counters().sflow_counter_samples == 8);
    }

    SECTION("G79: six flow samples of one datagram, in order") {
        Decoder decoder;
        const auto flows =
            DecodeFile("raw-payload/sflow/telegraf__sflow_issue_15918__message.bin", &decoder)
                .flows;
        REQUIRE(flows.size() == 6);
        CHECK(flows[0].src_addr == V4("192.168.227.2"));
        CHECK(flows[0].dst_port == 2055);
        CHECK(flows[0].bytes == 257200);
        CHECK(flows[0].src_vlan == 154);
        CHECK(flows[2].Has(flow::kExIpv6Flow));
        CHECK(flows[2].dst_addr == V6("ff02::16"));
        CHECK(flows[5].src_port == 49770);
        CHECK(flows[5].dst_port == 5355);
        CHECK(flows[5].bytes == 18600);
        CHECK(decoder.counters().sflow_counter_samples == 1);
    }
}

// The tcpdump segfault capture: its UDP length says 8 bytes; the frame holds 854 more bytes of
// damaged sFlow. Both the datagram and the whole frame must be refused cleanly.
TEST_CASE("sFlow regression: tcpdump's sflow_print-segv capture is refused without a crash",
          "[sflow][corpus][regression]") {
    if (!HaveCorpus()) return;
    const auto datagrams = Load(kCorpus / "sflow/tcpdump__sflow_print-segv.pcap");
    REQUIRE(datagrams.size() == 1);
    Decoder decoder;
    std::vector<FlowRecord> out;
    const flow::Status s = decoder.Decode(datagrams[0].payload.data(), datagrams[0].payload.size(),
                                          datagrams[0].from, 0, &out);
    CHECK(s.code() == StatusCode::kTruncated);
    CHECK(decoder.counters().error(DecodeError::kTruncatedHeader) == 1);

    std::ifstream in(kCorpus / "sflow/tcpdump__sflow_print-segv.pcap", std::ios::binary);
    const std::vector<uint8_t> file(std::istreambuf_iterator<char>(in), {});
    // pcap file header 24 + record header 16 + Ethernet 14 + IPv4 20 + UDP 8.
    const size_t start = 24 + 16 + 14 + 20 + 8;
    REQUIRE(file.size() > start);
    const flow::Status whole =
        decoder.Decode(file.data() + start, file.size() - start, datagrams[0].from, 0, &out);
    CHECK_FALSE(whole.ok());
    CHECK(out.empty());
}

namespace {

// Hand-built sFlow v5 datagrams.
Writer Header(uint32_t sub_agent, uint32_t sequence, uint32_t samples,
              const char* agent = "192.0.2.1") {
    in_addr a{};
    inet_pton(AF_INET, agent, &a);
    Writer w;
    w.U32(5).U32(1).U32(ntohl(a.s_addr)).U32(sub_agent).U32(sequence).U32(1000).U32(samples);
    return w;
}

void Record(Writer* w, uint32_t format, const Writer& body) {
    w->U32(format).U32(body.size()).Raw(body.bytes());
}

// Ethernet + IPv4 (20 bytes) + `l4`.
Writer Frame(uint8_t proto, const Writer& l4, uint16_t fragment = 0x4000,
             uint16_t ethertype = 0x0800) {
    Writer f;
    f.U48(0x020000000002).U48(0x020000000001).U16(ethertype);
    f.U8(0x45).U8(0x20).U16(20 + l4.size()).U16(1).U16(fragment).U8(64).U8(proto).U16(0);
    f.Ip4(10, 0, 0, 1).Ip4(10, 0, 0, 2).Raw(l4.bytes());
    return f;
}

Writer HeaderRecord(const Writer& frame, uint32_t frame_length) {
    Writer r;
    r.U32(1).U32(frame_length).U32(4).U32(frame.size()).Raw(frame.bytes());
    while (r.size() % 4 != 0) r.U8(0);
    return r;
}

Writer FlowSample(uint32_t rate, const std::vector<std::pair<uint32_t, Writer>>& records) {
    Writer s;
    s.U32(7).U32(3).U32(rate).U32(1000).U32(0).U32(5).U32(6).U32(records.size());
    for (const auto& [format, body] : records) Record(&s, format, body);
    return s;
}

Writer TcpSegment() {
    Writer t;
    t.U16(1234).U16(80).U32(1).U32(2).U8(0x50).U8(0x12).U16(100).U16(0).U16(0);
    return t;
}

struct Run {
    flow::Status status;
    std::vector<FlowRecord> flows;
};

Run DecodeBytes(Decoder* d, const Writer& w, Endpoint from = Endpoint::V4(0x7f000001)) {
    Run r;
    r.status = d->Decode(w.bytes().data(), w.size(), from, 5000, &r.flows);
    return r;
}

}  // namespace

TEST_CASE("sFlow flow sample: sampling rate scales packets and bytes, sampler recorded",
          "[sflow]") {
    Decoder d;
    Writer w = Header(3, 10, 1);
    Record(&w, 1, FlowSample(400, {{1, HeaderRecord(Frame(6, TcpSegment()), 1500)}}));
    const Run run = DecodeBytes(&d, w);
    REQUIRE(run.status.ok());
    REQUIRE(run.flows.size() == 1);
    const FlowRecord& f = run.flows[0];
    CHECK(f.packets == 400);
    CHECK(f.bytes == 400u * 1500);
    CHECK(f.src_addr == V4("10.0.0.1"));
    CHECK(f.src_port == 1234);
    CHECK(f.dst_port == 80);
    CHECK(f.tcp_flags == 0x12);
    CHECK(f.src_tos == 0x20);
    CHECK(f.input == 5);
    CHECK(f.output == 6);
    CHECK(f.in_src_mac == 0x020000000001ull);
    CHECK(f.out_dst_mac == 0x020000000002ull);
    CheckCommon(f, 5000);
    CHECK(f.Has(flow::kExIpReceivedV4));

    std::vector<DecoderEvent> events;
    d.TakeEvents(&events);
    REQUIRE(events.size() == 2);
    CHECK(events[0].kind == DecoderEvent::Kind::kNewExporter);
    CHECK(events[1].kind == DecoderEvent::Kind::kNewSampler);
    CHECK(d.exporter(0).version == 9999);
    CHECK(d.exporter(0).id == 3);
    CHECK(d.sampler(0).space_interval == 399);
}

TEST_CASE("sFlow and NetFlow v5 are told apart by their first two bytes", "[sflow]") {
    Decoder d;
    Writer v5;
    v5.U16(5).U16(1).U32(1000).U32(1700000000).U32(0).U32(1).U8(0).U8(0).U16(0);
    v5.Ip4(10, 0, 0, 1).Ip4(10, 0, 0, 2).U32(0).U16(1).U16(2).U32(3).U32(300).U32(900).U32(1000);
    v5.U16(53).U16(53).U8(0).U8(0).U8(17).U8(0).U16(0).U16(0).U8(0).U8(0).U16(0);
    const Run a = DecodeBytes(&d, v5);
    REQUIRE(a.status.ok());
    REQUIRE(a.flows.size() == 1);
    CHECK(a.flows[0].nfversion == 5);

    Writer sf = Header(0, 1, 1);
    Record(&sf, 1, FlowSample(1, {{1, HeaderRecord(Frame(6, TcpSegment()), 60)}}));
    const Run b = DecodeBytes(&d, sf);
    REQUIRE(b.status.ok());
    REQUIRE(b.flows.size() == 1);
    CHECK(b.flows[0].nfversion == 0x85);
    CHECK(d.exporter_count() == 2);
}

TEST_CASE("sFlow counter samples are counted and create no exporter", "[sflow]") {
    Decoder d;
    Writer w = Header(0, 1, 2);
    Writer counters;
    counters.U32(1).U32(0x01000001).U32(0);  // sequence, source, no records
    Record(&w, 2, counters);
    Record(&w, 4, counters);
    const Run run = DecodeBytes(&d, w);
    CHECK(run.status.ok());
    CHECK(run.flows.empty());
    CHECK(d.exporter_count() == 0);
    CHECK(d.counters().sflow_counter_samples == 2);
}

TEST_CASE("sFlow sequence numbers are checked per agent behind one exporter", "[sflow]") {
    Decoder d;
    auto send = [&](const char* agent, uint32_t sequence) {
        Writer w = Header(0, sequence, 1, agent);
        Record(&w, 1, FlowSample(1, {{1, HeaderRecord(Frame(6, TcpSegment()), 60)}}));
        REQUIRE(DecodeBytes(&d, w).status.ok());
    };
    send("192.0.2.1", 100);
    send("192.0.2.2", 7);  // another agent relayed through the same UDP source
    send("192.0.2.1", 101);
    send("192.0.2.2", 8);
    REQUIRE(d.exporter_count() == 1);
    CHECK(d.exporter(0).counters.sequence_failures == 0);
    send("192.0.2.1", 105);  // four datagrams lost
    CHECK(d.exporter(0).counters.sequence_failures == 1);
    CHECK(d.exporter(0).interval.sequence_failures == 1);
    CHECK(d.exporter(0).counters.packets == 5);
}

TEST_CASE("sFlow samples of different sub-agents are different exporters", "[sflow]") {
    Decoder d;
    for (uint32_t sub : {0u, 1u, 0u}) {
        Writer w = Header(sub, 1, 1);
        Record(&w, 1, FlowSample(2, {{1, HeaderRecord(Frame(6, TcpSegment()), 60)}}));
        REQUIRE(DecodeBytes(&d, w).status.ok());
    }
    REQUIRE(d.exporter_count() == 2);
    CHECK(d.exporter(0).id == 0);
    CHECK(d.exporter(1).id == 1);
    CHECK(d.exporter(0).counters.flows == 2);
}

TEST_CASE("sFlow packet header decoding follows sfcapd", "[sflow]") {
    Decoder d;
    auto one = [&](const Writer& frame, uint32_t frame_length = 100) {
        Writer w = Header(0, 1, 1);
        Record(&w, 1, FlowSample(1, {{1, HeaderRecord(frame, frame_length)}}));
        Run run = DecodeBytes(&d, w);
        REQUIRE(run.status.ok());
        REQUIRE(run.flows.size() == 1);
        return run.flows[0];
    };

    SECTION("a non-first IPv4 fragment has no ports") {
        Writer udp;
        udp.U16(53).U16(5353).U16(8).U16(0);
        const FlowRecord f = one(Frame(17, udp, 0x0010));
        CHECK(f.proto == 17);
        CHECK(f.src_port == 0);
        CHECK(f.dst_port == 0);
    }
    SECTION("ICMP echo reply: type 0 code 0, destination unreachable 3/1") {
        Writer icmp;
        icmp.U8(3).U8(1).U16(0);
        CHECK(one(Frame(1, icmp)).dst_port == 0x0301);
    }
    SECTION("an ARP frame gets an IPv4 element with 0.0.0.0") {
        Writer arp;
        arp.U48(0x020000000002).U48(0x020000000001).U16(0x0806).Zeros(28);
        const FlowRecord f = one(arp);
        CHECK(f.Has(flow::kExIpv4Flow));
        CHECK(f.src_addr.IsZero());
        CHECK(f.proto == 0);
        CHECK(f.in_src_mac == 0x020000000001ull);
    }
    SECTION("802.1ad outer and 802.1Q inner tag: the inner VLAN is stored") {
        Writer f;
        f.U48(0x020000000002).U48(0x020000000001).U16(0x88a8).U16(300).U16(0x8100).U16(42);
        f.U16(0x0800).U8(0x45).U8(0).U16(40).U16(1).U16(0).U8(64).U8(6).U16(0);
        f.Ip4(10, 9, 9, 9).Ip4(10, 8, 8, 8).Raw(TcpSegment().bytes());
        const FlowRecord r = one(f);
        CHECK(r.src_vlan == 42);
        CHECK(r.src_addr == V4("10.9.9.9"));
        CHECK(r.dst_port == 80);
    }
    SECTION("an MPLS label stack is stored and the IPv4 packet under it decoded") {
        Writer f;
        f.U48(0x020000000002).U48(0x020000000001).U16(0x8847);
        f.U32((100u << 12) | 64).U32((200u << 12) | (5u << 9) | 0x100 | 64);
        f.U8(0x45).U8(0).U16(40).U16(1).U16(0).U8(64).U8(6).U16(0);
        f.Ip4(10, 9, 9, 9).Ip4(10, 8, 8, 8).Raw(TcpSegment().bytes());
        const FlowRecord r = one(f);
        CHECK(r.Has(flow::kExMplsLabel));
        CHECK(r.mpls[0] == 100u << 4);
        CHECK(r.mpls[1] == (200u << 4 | 5u << 1 | 1));
        CHECK(r.mpls[2] == 0);
        CHECK(r.src_addr == V4("10.9.9.9"));
        CHECK(r.dst_port == 80);
    }
    SECTION("a header cut inside the TCP header keeps what is there") {
        Writer ports;
        ports.U16(4000).U16(443);  // only the ports fit the sampled header
        const FlowRecord f = one(Frame(6, ports));
        CHECK(f.src_port == 4000);
        CHECK(f.dst_port == 443);
        CHECK(f.tcp_flags == 0);
    }
}

TEST_CASE("sFlow extended gateway: destination AS is the last AS of the path", "[sflow]") {
    Decoder d;
    Writer gw;
    gw.U32(1).Ip4(9, 9, 9, 9).U32(65000).U32(64512).U32(65001);
    gw.U32(2).U32(2).U32(2).U32(100).U32(200).U32(1).U32(1).U32(300);  // two segments
    gw.U32(0).U32(50);  // no communities, local preference
    Writer w = Header(0, 1, 1);
    Record(&w, 1, FlowSample(1, {{1, HeaderRecord(Frame(6, TcpSegment()), 60)}, {1003, gw}}));
    const Run run = DecodeBytes(&d, w);
    REQUIRE(run.status.ok());
    REQUIRE(run.flows.size() == 1);
    CHECK(run.flows[0].src_as == 64512);
    CHECK(run.flows[0].dst_as == 300);
    CHECK(run.flows[0].Has(flow::kExBgpNextHopV4));
    CHECK(run.flows[0].bgp_next_hop == V4("9.9.9.9"));
}

TEST_CASE("sFlow malformed datagrams are refused with their reason and counted", "[sflow]") {
    Decoder d;

    SECTION("sFlow versions other than 2, 4 and 5 are unsupported") {
        for (uint32_t version : {1u, 3u, 6u}) {
            Writer w;
            w.U32(version).U32(1).U32(0).U32(0).U32(1).U32(0).U32(0);
            const Run run = DecodeBytes(&d, w);
            CHECK(run.status.code() == StatusCode::kUnsupported);
            CHECK(run.status.message().find("version " + std::to_string(version)) !=
                  std::string::npos);
        }
        CHECK(d.counters().error(DecodeError::kUnknownVersion) == 3);
    }
    SECTION("an agent address type other than 1 or 2") {
        Writer w;
        w.U32(5).U32(7).U32(0).U32(0).U32(1).U32(0).U32(0);
        const Run run = DecodeBytes(&d, w);
        CHECK(run.status.code() == StatusCode::kMalformed);
        CHECK(run.status.message().find("agent address type 7") != std::string::npos);
    }
    SECTION("a sample count that cannot fit the datagram") {
        const Run run = DecodeBytes(&d, Header(0, 1, 0x10000000));
        CHECK(run.status.code() == StatusCode::kMalformed);
        CHECK(d.counters().error(DecodeError::kBadRecordCount) == 1);
    }
    SECTION("a sample running past the datagram keeps the samples before it") {
        Writer w = Header(0, 1, 2);
        Record(&w, 1, FlowSample(1, {{1, HeaderRecord(Frame(6, TcpSegment()), 60)}}));
        w.U32(1).U32(4000).U32(0);
        const Run run = DecodeBytes(&d, w);
        CHECK(run.status.code() == StatusCode::kTruncated);
        CHECK(run.flows.size() == 1);
        CHECK(d.exporter(0).counters.error(DecodeError::kRecordsTruncated) == 1);
    }
    SECTION("a flow record longer than its sample drops that sample only") {
        Writer bad;
        bad.U32(7).U32(3).U32(1).U32(1).U32(0).U32(5).U32(6).U32(1).U32(1).U32(500).U32(0);
        Writer w = Header(0, 1, 3);
        Record(&w, 1, FlowSample(1, {{1, HeaderRecord(Frame(6, TcpSegment()), 60)}}));
        Record(&w, 1, bad);
        Record(&w, 1, FlowSample(2, {{1, HeaderRecord(Frame(6, TcpSegment()), 60)}}));
        const Run run = DecodeBytes(&d, w);
        CHECK(run.status.code() == StatusCode::kMalformed);
        REQUIRE(run.flows.size() == 2);
        CHECK(run.flows[1].packets == 2);
        CHECK(d.exporter(0).counters.error(DecodeError::kRecordTruncated) == 1);
    }
    SECTION("a header record of a protocol outside 1..17 drops that sample, as in sfcapd") {
        auto with_protocol = [](uint32_t protocol) {
            Writer hdr;
            hdr.U32(protocol).U32(60).U32(4).U32(8).Zeros(8);
            return hdr;
        };
        Writer w = Header(0, 1, 4);
        Record(&w, 1, FlowSample(1, {{1, with_protocol(17)}}));  // 802.11 A-MSDU subframe
        Record(&w, 1, FlowSample(2, {{1, with_protocol(18)}}));
        Record(&w, 1, FlowSample(3, {{1, with_protocol(0)}}));
        Record(&w, 1, FlowSample(4, {{1, with_protocol(513)}}));
        const Run run = DecodeBytes(&d, w);
        REQUIRE(run.flows.size() == 1);
        CHECK(run.flows[0].packets == 1);
        CHECK(d.exporter(0).counters.error(DecodeError::kRecordTruncated) == 3);
    }
    SECTION("a header record whose header length exceeds the record") {
        Writer hdr;
        hdr.U32(1).U32(60).U32(4).U32(200).Zeros(16);
        Writer w = Header(0, 1, 1);
        Record(&w, 1, FlowSample(1, {{1, hdr}}));
        const Run run = DecodeBytes(&d, w);
        CHECK(run.status.code() == StatusCode::kMalformed);
        CHECK(run.flows.empty());
    }
    SECTION("an AS path longer than the gateway record") {
        Writer gw;
        gw.U32(1).Ip4(9, 9, 9, 9).U32(1).U32(2).U32(3).U32(1).U32(2).U32(0x40000000);
        Writer w = Header(0, 1, 1);
        Record(&w, 1, FlowSample(1, {{1003, gw}}));
        CHECK(DecodeBytes(&d, w).status.code() == StatusCode::kMalformed);
    }
}

namespace {

// Hand-built sFlow v2 and v4 datagrams (RFC 3176): no sub-agent id, and samples and records
// without lengths.
Writer HeaderV4(uint32_t version, uint32_t sequence, uint32_t samples) {
    Writer w;
    w.U32(version).U32(1).Ip4(192, 0, 2, 7).U32(sequence).U32(1000).U32(samples);
    return w;
}

// A flow sample of rate `rate` whose packet data is an Ethernet header sample of `frame`,
// with the extended data `extended` ({type, body} in order).
Writer FlowSampleV4(uint32_t rate, const Writer& frame,
                    const std::vector<std::pair<uint32_t, Writer>>& extended, uint32_t output = 6) {
    Writer s;
    s.U32(1).U32(7).U32(3).U32(rate).U32(1000).U32(0).U32(5).U32(output);
    s.U32(1).U32(1).U32(1500).U32(frame.size()).Raw(frame.bytes());  // header, Ethernet
    while (s.size() % 4 != 0) s.U8(0);
    s.U32(extended.size());
    for (const auto& [type, body] : extended) s.U32(type).Raw(body.bytes());
    return s;
}

// A counters sample with counter block version `block` of `bytes` bytes.
Writer CountersV4(uint32_t block, size_t bytes) {
    Writer s;
    s.U32(2).U32(9).U32(3).U32(20).U32(block).Zeros(bytes);
    return s;
}

}  // namespace

TEST_CASE("sFlow v4 and v2 datagrams decode as v5 ones do", "[sflow]") {
    Decoder d;
    // A frame of 63 bytes: its header sample is padded to 64 on the wire.
    Writer frame = Frame(6, TcpSegment());
    frame.U8(0xee);
    Writer sw;
    sw.U32(100).U32(0).U32(200).U32(0);
    Writer router;
    router.U32(1).Ip4(10, 9, 9, 9).U32(24).U32(16);
    Writer gw4;  // no next hop; two path segments; communities and local preference
    gw4.U32(65000).U32(64512).U32(65001);
    gw4.U32(2).U32(2).U32(2).U32(100).U32(200).U32(1).U32(1).U32(300);
    gw4.U32(2).U32(1).U32(2).U32(50);
    Writer user;  // "alice" (padded to 8) and an empty name
    user.U32(5).Raw({'a', 'l', 'i', 'c', 'e', 0, 0, 0}).U32(0);
    Writer url;
    url.U32(1).U32(3).Raw({'/', 'x', 'y', 0});

    SECTION("v4: header sample, every extended type, counters before and after") {
        Writer w = HeaderV4(4, 10, 4);
        w.Raw(CountersV4(2, 140).bytes());
        w.Raw(FlowSampleV4(400, frame, {{1, sw}, {2, router}, {3, gw4}, {4, user}, {5, url}},
                           0x80000002)
                  .bytes());
        w.Raw(CountersV4(7, 28).bytes());
        w.Raw(FlowSampleV4(10, frame, {}).bytes());
        const Run run = DecodeBytes(&d, w);
        REQUIRE(run.status.ok());
        REQUIRE(run.flows.size() == 2);
        const FlowRecord& f = run.flows[0];
        CHECK(f.packets == 400);
        CHECK(f.bytes == 400u * 1500);
        CHECK(f.src_addr == V4("10.0.0.1"));
        CHECK(f.dst_addr == V4("10.0.0.2"));
        CHECK(f.src_port == 1234);
        CHECK(f.dst_port == 80);
        CHECK(f.tcp_flags == 0x12);
        CHECK(f.input == 5);
        CHECK(f.output == 0x80000002u);  // stored as sent: v4 has no format bits
        CHECK(f.src_vlan == 100);
        CHECK(f.dst_vlan == 200);
        CHECK(f.ip_next_hop == V4("10.9.9.9"));
        CHECK(f.src_mask == 24);
        CHECK(f.dst_mask == 16);
        CHECK(f.src_as == 64512);
        CHECK(f.dst_as == 300);
        CHECK_FALSE(f.Has(flow::kExBgpNextHopV4));
        CheckCommon(f, 5000, 4);
        CHECK(run.flows[1].packets == 10);
        CHECK(d.counters().sflow_counter_samples == 2);
        CHECK(d.exporter_count() == 1);
        CHECK(d.exporter(0).version == 9999);
        CHECK(d.exporter(0).id == 0);
        CHECK(d.sampler(0).space_interval == 399);
    }
    SECTION("v2: the gateway's path is one list, without communities") {
        Writer gw2;
        gw2.U32(65000).U32(64512).U32(65001).U32(3).U32(100).U32(200).U32(300);
        Writer w = HeaderV4(2, 1, 2);
        w.Raw(FlowSampleV4(1, frame, {{3, gw2}, {1, sw}}).bytes());
        w.Raw(CountersV4(1, 88).bytes());
        const Run run = DecodeBytes(&d, w);
        REQUIRE(run.status.ok());
        REQUIRE(run.flows.size() == 1);
        CHECK(run.flows[0].nfversion == 0x82);
        CHECK(run.flows[0].src_as == 64512);
        CHECK(run.flows[0].dst_as == 300);
        CHECK(run.flows[0].src_vlan == 100);
        CHECK(d.counters().sflow_counter_samples == 1);
    }
    SECTION("sampled IPv4 and IPv6 packet data") {
        Writer w = HeaderV4(4, 1, 2);
        Writer s4;
        s4.U32(1).U32(7).U32(3).U32(8).U32(1000).U32(0).U32(5).U32(6).U32(2);
        s4.U32(900).U32(17).Ip4(10, 1, 1, 1).Ip4(10, 2, 2, 2).U32(53).U32(5353).U32(0).U32(8);
        s4.U32(0);
        Writer s6;
        s6.U32(1).U32(7).U32(3).U32(8).U32(1000).U32(0).U32(5).U32(6).U32(3);
        s6.U32(1200).U32(6).Zeros(15).U8(1).Zeros(15).U8(2).U32(22).U32(40000).U32(0x18);
        s6.U32(0).U32(0);
        w.Raw(s4.bytes()).Raw(s6.bytes());
        const Run run = DecodeBytes(&d, w);
        REQUIRE(run.status.ok());
        REQUIRE(run.flows.size() == 2);
        CHECK(run.flows[0].src_addr == V4("10.1.1.1"));
        CHECK(run.flows[0].dst_port == 5353);
        CHECK(run.flows[0].bytes == 8u * 900);
        CHECK(run.flows[1].Has(flow::kExIpv6Flow));
        CHECK(run.flows[1].dst_addr == V6("::2"));
        CHECK(run.flows[1].tcp_flags == 0x18);
    }
    SECTION("sequence numbers are checked as in v5") {
        for (uint32_t sequence : {1u, 2u, 5u}) {
            Writer w = HeaderV4(4, sequence, 1);
            w.Raw(FlowSampleV4(1, frame, {}).bytes());
            REQUIRE(DecodeBytes(&d, w).status.ok());
        }
        CHECK(d.exporter(0).counters.sequence_failures == 1);
    }
}

TEST_CASE("sFlow v4: a sample that cannot be read ends the datagram, earlier flows kept",
          "[sflow]") {
    Decoder d;
    const Writer frame = Frame(6, TcpSegment());
    SECTION("extended data of an unknown type") {
        Writer odd;
        odd.U32(1);
        Writer w = HeaderV4(4, 1, 3);
        w.Raw(FlowSampleV4(1, frame, {}).bytes());
        w.Raw(FlowSampleV4(2, frame, {{9, odd}}).bytes());
        w.Raw(FlowSampleV4(3, frame, {}).bytes());
        const Run run = DecodeBytes(&d, w);
        CHECK(run.status.code() == StatusCode::kMalformed);
        CHECK(run.status.message().find("sflow v4: sample 2 of 3") != std::string::npos);
        REQUIRE(run.flows.size() == 1);
        CHECK(run.flows[0].packets == 1);
        CHECK(d.exporter(0).counters.error(DecodeError::kRecordTruncated) == 1);
    }
    SECTION("a counter block version without a known length") {
        Writer w = HeaderV4(4, 1, 2);
        w.Raw(CountersV4(8, 28).bytes());
        w.Raw(FlowSampleV4(1, frame, {}).bytes());
        const Run run = DecodeBytes(&d, w);
        CHECK(run.status.code() == StatusCode::kMalformed);
        CHECK(run.status.message().find("counter block version 8") != std::string::npos);
        CHECK(run.flows.empty());
    }
    SECTION("an unknown sample type") {
        Writer w = HeaderV4(2, 1, 2);
        w.Raw(FlowSampleV4(1, frame, {}).bytes());
        w.U32(3).Zeros(60);
        const Run run = DecodeBytes(&d, w);
        CHECK(run.status.code() == StatusCode::kMalformed);
        CHECK(run.status.message().find("unknown type 3") != std::string::npos);
        CHECK(run.flows.size() == 1);
    }
    SECTION("a header sample longer than the datagram") {
        Writer w = HeaderV4(4, 1, 1);
        Writer s = FlowSampleV4(1, frame, {});
        w.Raw(std::vector<uint8_t>(s.bytes().begin(), s.bytes().begin() + 50));
        w.Zeros(4);
        const Run run = DecodeBytes(&d, w);
        CHECK(run.status.code() == StatusCode::kMalformed);
        CHECK(run.flows.empty());
    }
    SECTION("more samples than the datagram can hold") {
        const Run run = DecodeBytes(&d, HeaderV4(4, 1, 3));
        CHECK(run.status.code() == StatusCode::kMalformed);
        CHECK(d.counters().error(DecodeError::kBadRecordCount) == 1);
    }
}

TEST_CASE("sFlow samples and records of other enterprises are skipped", "[sflow]") {
    Decoder d;
    Writer vendor;
    vendor.U32(0xdeadbeef);
    Writer w = Header(0, 1, 2);
    Record(&w, (4413u << 12) | 1, vendor);
    Record(&w, 1,
           FlowSample(
               10, {{(4413u << 12) | 3, vendor}, {1, HeaderRecord(Frame(6, TcpSegment()), 60)}}));
    const Run run = DecodeBytes(&d, w);
    CHECK(run.status.ok());
    REQUIRE(run.flows.size() == 1);
    CHECK(run.flows[0].packets == 10);
}

TEST_CASE("sFlow every prefix and every byte flip of valid datagrams gives a Status",
          "[sflow][robustness]") {
    std::vector<std::vector<uint8_t>> inputs;
    {
        Writer w = Header(0, 1, 2);
        Writer gw;
        gw.U32(1).Ip4(9, 9, 9, 9).U32(1).U32(2).U32(3).U32(1).U32(2).U32(2).U32(100).U32(200);
        gw.U32(1).U32(7).U32(0);
        Writer router;
        router.U32(2).Zeros(16).U32(24).U32(16);
        Record(&w, 3,
               FlowSample(
                   4, {{1, HeaderRecord(Frame(6, TcpSegment()), 60)}, {1003, gw}, {1002, router}}));
        Writer counters;
        counters.U32(1).U32(1).U32(0);
        Record(&w, 2, counters);
        inputs.push_back(w.bytes());
        Writer v4 = HeaderV4(4, 1, 2);
        Writer gw4;
        gw4.U32(1).U32(2).U32(3).U32(1).U32(2).U32(2).U32(100).U32(200).U32(1).U32(7).U32(0);
        Writer user;
        user.U32(2).Raw({'a', 'b', 0, 0}).U32(0);
        v4.Raw(FlowSampleV4(4, Frame(6, TcpSegment()), {{3, gw4}, {4, user}}).bytes());
        v4.Raw(CountersV4(5, 168).bytes());
        inputs.push_back(v4.bytes());
    }
    if (fs::exists(kCorpus / "groups.tsv")) {
        for (const char* f : {"sflow/akvorado__data-1140.pcap", "sflow/akvorado__data-qinq.pcap",
                              "sflow/akvorado__data-sflow-expanded-sample.pcap",
                              "sflow/akvorado__data-sflow-ipv4-data.pcap"}) {
            for (const Datagram& dg : Load(kCorpus / f)) inputs.push_back(dg.payload);
        }
    }
    for (const auto& input : inputs) {
        CAPTURE(input.size());
        Decoder full;
        std::vector<FlowRecord> out;
        REQUIRE(full.Decode(input.data(), input.size(), Endpoint::V4(1), 0, &out).ok());
        const size_t all = out.size();
        for (size_t n = 0; n < input.size(); ++n) {
            Decoder d;
            out.clear();
            const flow::Status s = d.Decode(input.data(), n, Endpoint::V4(1), 0, &out);
            CAPTURE(n);
            CHECK_FALSE(s.ok());
            CHECK(out.size() <= all);
        }
        for (size_t i = 0; i < input.size(); ++i) {
            std::vector<uint8_t> damaged = input;
            damaged[i] ^= 0xff;
            Decoder d;
            out.clear();
            (void)d.Decode(damaged.data(), damaged.size(), Endpoint::V4(1), 0, &out);
        }
    }
}
