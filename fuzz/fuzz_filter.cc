// SPDX-License-Identifier: BSD-2-Clause
// The filter compiler and evaluator: the input is filter text. Compile() must return a
// Result (never crash, never throw anything but bad_alloc), agree with Check(), compile the
// same text to the same program twice, and a compiled filter must evaluate three fixed
// records (IPv4 TCP, IPv6 UDP, ICMP NAT event) with and without labels and idents. Host
// names are not resolved: the fuzzer must not send DNS queries.
#include <string_view>
#include <vector>

#include "flow/filter.h"
#include "fuzz_util.h"

namespace {

std::vector<flow::FlowRecord> MakeRecords() {
    std::vector<flow::FlowRecord> v(3);
    flow::FlowRecord& tcp = v[0];
    tcp.present = (uint64_t{1} << flow::kExMaxElement) - 1;
    tcp.present &= ~(uint64_t{1} << flow::kExIpv6Flow);
    tcp.nfversion = 9;
    tcp.first_ms = 1720689300000ull;
    tcp.last_ms = tcp.first_ms + 1500;
    tcp.packets = 10;
    tcp.bytes = 5200;
    tcp.src_port = 51234;
    tcp.dst_port = 80;
    tcp.proto = 6;
    tcp.tcp_flags = 0x1b;
    tcp.src_addr = flow::IpAddr::V4(0xc0a8010a);  // 192.168.1.10
    tcp.dst_addr = flow::IpAddr::V4(0x0a000001);  // 10.0.0.1
    tcp.input = 1;
    tcp.output = 2;
    tcp.src_mask = 24;
    tcp.dst_mask = 8;
    tcp.src_as = 65001;
    tcp.dst_as = 65002;
    tcp.src_vlan = 10;
    tcp.dst_vlan = 20;
    tcp.ip_next_hop = flow::IpAddr::V4(0xc0a80101);
    tcp.in_src_mac = 0x001122334455ull;
    tcp.mpls[0] = 0x12345;

    flow::FlowRecord& udp = v[1];
    udp.present = (uint64_t{1} << flow::kExGenericFlow) | (uint64_t{1} << flow::kExIpv6Flow) |
                  (uint64_t{1} << flow::kExCntFlow) | (uint64_t{1} << flow::kExLatency);
    udp.nfversion = 10;
    const uint8_t src6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    const uint8_t dst6[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53};
    udp.src_addr = flow::IpAddr::V6(src6);
    udp.dst_addr = flow::IpAddr::V6(dst6);
    udp.proto = 17;
    udp.src_port = 40000;
    udp.dst_port = 53;
    udp.packets = 1;
    udp.bytes = 64;
    udp.out_packets = 1;
    udp.out_bytes = 128;
    udp.client_nw_delay_us = 1200;

    flow::FlowRecord& icmp = v[2];
    icmp.present = (uint64_t{1} << flow::kExGenericFlow) | (uint64_t{1} << flow::kExIpv4Flow) |
                   (uint64_t{1} << flow::kExNselCommon) | (uint64_t{1} << flow::kExNatCommon) |
                   (uint64_t{1} << flow::kExNatXlateIpv4) | (uint64_t{1} << flow::kExNatXlatePort);
    icmp.flags = flow::kFlagEvent;
    icmp.proto = 1;
    icmp.dst_port = 0x0800;
    icmp.src_addr = flow::IpAddr::V4(0xac100505);
    icmp.dst_addr = flow::IpAddr::V4(0x08080808);
    icmp.fw_event = 1;
    icmp.nat_event = 1;
    icmp.xlate_src = flow::IpAddr::V4(0xcb007101);
    icmp.xlate_src_port = 1024;
    icmp.packets = 4;
    icmp.bytes = 336;
    return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::vector<flow::FlowRecord> records = MakeRecords();
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    flow::filter::CompileOptions options;
    options.resolve_names = false;
    options.ident = "fuzz";

    flow::Result<flow::filter::Filter> compiled = flow::filter::Filter::Compile(text, options);
    const flow::Status checked = flow::filter::Filter::Check(text, options);
    flow::fuzz::Expect(compiled.ok() == checked.ok(), "Check() and Compile() disagree");
    if (!compiled.ok()) {
        flow::fuzz::Expect(!compiled.status().message().empty(), "error without a message");
        return 0;
    }

    flow::filter::Filter& filter = *compiled;
    const std::string program = filter.Dump();
    flow::Result<flow::filter::Filter> again = flow::filter::Filter::Compile(text, options);
    flow::fuzz::Expect(again.ok() && again->Dump() == program, "same text, another program");

    for (int pass = 0; pass < 2; ++pass) {
        uint64_t count = 0;
        for (const flow::FlowRecord& rec : records) {
            flow::filter::MatchContext ctx;
            ctx.count = ++count;
            std::string_view label;
            const bool plain = filter.Match(rec, ctx);
            const bool labelled = filter.Match(rec, ctx, &label);
            flow::fuzz::Expect(plain == labelled, "label form of Match() disagrees");
            if (filter.matches_all()) flow::fuzz::Expect(plain, "matches_all() but no match");
        }
        filter.SetIdent("other-ident");
    }
    return 0;
}
