// SPDX-License-Identifier: BSD-2-Clause
// Records for the tests of the packed groups: a blank record that compares with memcmp, one
// carrying every element FlowRecord has fields for, and the groups an Aggregator hands out.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "flow/aggregate.h"

namespace flow::aggregate::testing {

// A xorshift64 generator: the same numbers from the same seed on every machine.
struct XorShift {
    uint64_t state;
    uint64_t operator()() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }
};

// A default record with zero padding, so whole records compare with memcmp.
inline FlowRecord Blank() {
    FlowRecord r;
    std::memset(static_cast<void*>(&r), 0, sizeof(r));
    r.flows = 1;
    return r;
}

// A record carrying every element FlowRecord has fields for, each field a distinct value.
inline FlowRecord Full(bool v6, uint16_t src_port) {
    FlowRecord r = Blank();
    for (int id = flow::kExGenericFlow; id < flow::kExMaxElement; ++id) {
        if (id != 28) r.Set(static_cast<flow::ElementId>(id));  // 28 is no element
    }
    for (flow::ElementId id :
         {flow::kExInPayload, flow::kExOutPayload, flow::kExInmonMeta, flow::kExInmonFrame,
          flow::kExPfInfo, flow::kExNokiaNat, flow::kExNokiaNatString}) {
        r.Unset(id);  // no FlowRecord fields
    }
    // One family per address pair.
    r.Unset(v6 ? flow::kExIpv4Flow : flow::kExIpv6Flow);
    r.Unset(v6 ? flow::kExBgpNextHopV4 : flow::kExBgpNextHopV6);
    r.Unset(v6 ? flow::kExIpNextHopV4 : flow::kExIpNextHopV6);
    r.Unset(v6 ? flow::kExIpReceivedV4 : flow::kExIpReceivedV6);
    r.Unset(v6 ? flow::kExNatXlateIpv4 : flow::kExNatXlateIpv6);
    r.Unset(v6 ? flow::kExTunIpv4 : flow::kExTunIpv6);
    auto addr = [&](uint64_t seed) {
        return v6 ? IpAddr{0x20010db800000000ULL | seed, seed * 977}
                  : IpAddr::V4(0x0a000000u + seed);
    };
    r.engine_type = 3;
    r.engine_id = 4;
    r.exporter_sysid = 5;
    r.flags = flow::kFlagSampled;
    r.nfversion = 10;
    r.first_ms = 1796119200123;
    r.last_ms = 1796119201456;
    r.received_ms = 1796119202789;
    r.packets = 11;
    r.bytes = 12345;
    r.src_port = src_port;
    r.dst_port = 443;
    r.proto = 6;
    r.tcp_flags = 0x12;
    r.fwd_status = 7;
    r.src_tos = 8;
    r.src_addr = addr(1);
    r.dst_addr = addr(2);
    r.input = 13;
    r.output = 14;
    r.src_mask = 24;
    r.dst_mask = 16;
    r.dir = 1;
    r.dst_tos = 9;
    r.biflow_dir = 2;
    r.end_reason = 3;
    r.rev_tcp_flags = 0x10;
    r.flows = 2;
    r.out_packets = 15;
    r.out_bytes = 16000;
    r.src_vlan = 17;
    r.dst_vlan = 18;
    r.src_as = 64500;
    r.dst_as = 64501;
    r.next_as = 64502;
    r.prev_as = 64503;
    r.bgp_next_hop = addr(3);
    r.ip_next_hop = addr(4);
    r.received_from = addr(5);
    for (uint32_t i = 0; i < 10; ++i) r.mpls[i] = (100 + i) << 4;
    r.in_src_mac = 0x0000112233445566ULL;
    r.out_dst_mac = 0x0000212233445566ULL;
    r.in_dst_mac = 0x0000312233445566ULL;
    r.out_src_mac = 0x0000412233445566ULL;
    r.client_nw_delay_us = 19;
    r.server_nw_delay_us = 20;
    r.appl_latency_us = 21;
    r.selector_id = -22;
    r.event_ms = 1796119200999;
    r.conn_id = 23;
    r.fw_xevent = 1001;
    r.fw_event = 2;
    r.nat_event = 3;
    r.nat_pool_id = 24;
    r.xlate_src = addr(6);
    r.xlate_dst = addr(7);
    r.xlate_src_port = 25;
    r.xlate_dst_port = 26;
    for (uint32_t i = 0; i < 3; ++i) r.ingress_acl[i] = 0x01020300u + i;
    for (uint32_t i = 0; i < 3; ++i) r.egress_acl[i] = 0x04050600u + i;
    std::strcpy(r.username, "somebody@example");
    r.block_start = 1024;
    r.block_end = 2047;
    r.block_step = 1;
    r.block_size = 1024;
    r.tun_src = addr(8);
    r.tun_dst = addr(9);
    r.tun_proto = 47;
    r.observation_point = 27;
    r.observation_domain = 28;
    r.egress_vrf = 29;
    r.ingress_vrf = 30;
    r.vlan_id = 31;
    r.customer_vlan_id = 32;
    r.post_vlan_id = 33;
    r.post_customer_vlan_id = 34;
    r.phys_ingress = 35;
    r.phys_egress = 36;
    r.vxlan = 37;
    r.ether_type = 0x0800;
    r.ip_version = v6 ? 6 : 4;
    r.flow_id = 38;
    r.fragment_flags = 1;
    r.min_ttl = 39;
    r.max_ttl = 40;
    r.nbar_len = 4;
    for (uint8_t i = 0; i < 4; ++i) r.nbar_app[i] = static_cast<uint8_t>(0xa0 + i);
    return r;
}

inline std::vector<FlowRecord> Handed(const Aggregator& agg, const RecordOrderSpec& order = {},
                               size_t limit = 0) {
    std::vector<FlowRecord> out;
    agg.ForEach(order, limit, [&](const FlowRecord& g) {
        out.push_back(g);
        return true;
    });
    return out;
}

inline bool Same(const FlowRecord& a, const FlowRecord& b) {
    return std::memcmp(&a, &b, sizeof(FlowRecord)) == 0;
}

}  // namespace flow::aggregate::testing
