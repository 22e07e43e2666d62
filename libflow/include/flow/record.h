// SPDX-License-Identifier: BSD-2-Clause
// FlowRecord: the one in-memory flow type every part of flowkit shares. It holds every
// field an nfdump 1.7 V3 record can carry, flat and fixed-size, so decoders fill it in place
// and the filter, aggregation and output read it without allocation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace flow {

// An IPv4 or IPv6 address in the form nfdump keeps in memory: two host-order 64-bit halves,
// high half first. An IPv4 address a.b.c.d is hi = 0, lo = 0x00000000aabbccdd; whether a
// field is v4 or v6 is decided by the record (FlowRecord::Has / the element present), not by
// the value, exactly as nfdump's files do.
struct IpAddr {
    uint64_t hi = 0;
    uint64_t lo = 0;

    static IpAddr V4(uint32_t host_order) { return IpAddr{0, host_order}; }
    // `bytes` is 16 network-order bytes.
    static IpAddr V6(const uint8_t* bytes);
    uint32_t v4() const { return static_cast<uint32_t>(lo); }
    // Writes 16 network-order bytes.
    void ToBytes(uint8_t* out) const;
    bool IsZero() const { return hi == 0 && lo == 0; }

    bool operator==(const IpAddr&) const = default;
    auto operator<=>(const IpAddr&) const = default;
};

// Element ids of nfdump 1.7's V3 record (catalogue of nfdump 1.7.8). FlowRecord keeps one
// presence bit per id so writers emit exactly the elements a record carries.
enum ElementId : uint8_t {
    kExGenericFlow = 1,
    kExIpv4Flow = 2,
    kExIpv6Flow = 3,
    kExFlowMisc = 4,
    kExCntFlow = 5,
    kExVlan = 6,
    kExAsRouting = 7,
    kExBgpNextHopV4 = 8,
    kExBgpNextHopV6 = 9,
    kExIpNextHopV4 = 10,
    kExIpNextHopV6 = 11,
    kExIpReceivedV4 = 12,
    kExIpReceivedV6 = 13,
    kExMplsLabel = 14,
    kExMacAddr = 15,
    kExAsAdjacent = 16,
    kExLatency = 17,
    kExSamplerInfo = 18,
    kExNselCommon = 19,
    kExNatXlateIpv4 = 20,
    kExNatXlateIpv6 = 21,
    kExNatXlatePort = 22,
    kExNselAcl = 23,
    kExNselUser = 24,
    kExNatCommon = 25,
    kExNatPortBlock = 26,
    kExNbarApp = 27,
    kExInPayload = 29,
    kExOutPayload = 30,
    kExTunIpv4 = 31,
    kExTunIpv6 = 32,
    kExObservation = 33,
    kExInmonMeta = 34,
    kExInmonFrame = 35,
    kExVrf = 36,
    kExPfInfo = 37,
    kExLayer2 = 38,
    kExFlowId = 39,
    kExNokiaNat = 40,
    kExNokiaNatString = 41,
    kExIpInfo = 42,
    kExMaxElement = 43,
};

// V3 header flag bits.
inline constexpr uint8_t kFlagEvent = 0x01;
inline constexpr uint8_t kFlagSampled = 0x02;
inline constexpr uint8_t kFlagAnon = 0x04;

// One flow. Plain data: copy freely. Fields of an element whose presence bit is clear are
// zero (Clear() guarantees it), so readers may use a field without testing presence when
// zero is the right "absent" value, as nfdump's output does.
struct FlowRecord {
    uint64_t present = 0;  // bit (1 << ElementId) per element carried

    // V3 header.
    uint8_t engine_type = 0;
    uint8_t engine_id = 0;
    uint16_t exporter_sysid = 0;
    uint8_t flags = 0;       // kFlag*
    uint8_t nfversion = 0;   // 1, 5, 9, 10, 0x80|sflow version

    // EXgenericFlow.
    uint64_t first_ms = 0;     // UNIX epoch milliseconds, UTC
    uint64_t last_ms = 0;
    uint64_t received_ms = 0;  // when the collector received it
    uint64_t packets = 0;      // in direction
    uint64_t bytes = 0;
    uint16_t src_port = 0;
    uint16_t dst_port = 0;     // ICMP: type << 8 | code
    uint8_t proto = 0;
    uint8_t tcp_flags = 0;
    uint8_t fwd_status = 0;
    uint8_t src_tos = 0;

    // EXipv4Flow / EXipv6Flow: which one is present says the family.
    IpAddr src_addr;
    IpAddr dst_addr;

    // EXflowMisc.
    uint32_t input = 0;   // ifIndex
    uint32_t output = 0;
    uint8_t src_mask = 0;
    uint8_t dst_mask = 0;
    uint8_t dir = 0;
    uint8_t dst_tos = 0;
    uint8_t biflow_dir = 0;
    uint8_t end_reason = 0;
    uint8_t rev_tcp_flags = 0;  // byte 14 in 1.7.1-1.7.4

    // EXcntFlow.
    uint64_t flows = 1;
    uint64_t out_packets = 0;
    uint64_t out_bytes = 0;

    // EXvLan.
    uint32_t src_vlan = 0;
    uint32_t dst_vlan = 0;

    // EXasRouting, EXasAdjacent.
    uint32_t src_as = 0;
    uint32_t dst_as = 0;
    uint32_t next_as = 0;
    uint32_t prev_as = 0;

    // Next hops and exporter (router) address; v4 vs v6 by the element present.
    IpAddr bgp_next_hop;
    IpAddr ip_next_hop;
    IpAddr received_from;  // EXipReceivedV4/V6: the exporter's address

    // EXmplsLabel: label << 4 | exp << 1 | bottom-of-stack, as on the wire (3 bytes).
    uint32_t mpls[10] = {};

    // EXmacAddr: 48-bit values.
    uint64_t in_src_mac = 0;
    uint64_t out_dst_mac = 0;
    uint64_t in_dst_mac = 0;
    uint64_t out_src_mac = 0;

    // EXlatency, microseconds.
    uint64_t client_nw_delay_us = 0;
    uint64_t server_nw_delay_us = 0;
    uint64_t appl_latency_us = 0;

    // EXsamplerInfo.
    int64_t selector_id = 0;

    // EXnselCommon / EXnatCommon.
    uint64_t event_ms = 0;
    uint32_t conn_id = 0;
    uint16_t fw_xevent = 0;
    uint8_t fw_event = 0;
    uint8_t nat_event = 0;
    uint32_t nat_pool_id = 0;

    // EXnatXlate*: v4 vs v6 by the element present.
    IpAddr xlate_src;
    IpAddr xlate_dst;
    uint16_t xlate_src_port = 0;
    uint16_t xlate_dst_port = 0;

    // EXnselAcl, EXnselUser.
    uint32_t ingress_acl[3] = {};
    uint32_t egress_acl[3] = {};
    char username[66] = {};

    // EXnatPortBlock.
    uint16_t block_start = 0;
    uint16_t block_end = 0;
    uint16_t block_step = 0;
    uint16_t block_size = 0;

    // EXtunIPv4/6.
    IpAddr tun_src;
    IpAddr tun_dst;
    uint32_t tun_proto = 0;

    // EXobservation.
    uint64_t observation_point = 0;
    uint32_t observation_domain = 0;

    // EXvrf.
    uint32_t egress_vrf = 0;
    uint32_t ingress_vrf = 0;

    // EXlayer2.
    uint16_t vlan_id = 0;
    uint16_t customer_vlan_id = 0;
    uint16_t post_vlan_id = 0;
    uint16_t post_customer_vlan_id = 0;
    uint32_t phys_ingress = 0;
    uint32_t phys_egress = 0;
    uint64_t vxlan = 0;
    uint16_t ether_type = 0;
    uint8_t ip_version = 0;

    // EXflowId.
    uint64_t flow_id = 0;

    // EXipInfo.
    uint8_t fragment_flags = 0;
    uint8_t min_ttl = 0;
    uint8_t max_ttl = 0;

    // EXnbarApp: application id bytes as received (up to 8 kept).
    uint8_t nbar_len = 0;
    uint8_t nbar_app[8] = {};

    bool Has(ElementId id) const { return (present >> id) & 1u; }
    void Set(ElementId id) { present |= uint64_t{1} << id; }
    void Unset(ElementId id) { present &= ~(uint64_t{1} << id); }
    bool IsV6() const { return Has(kExIpv6Flow); }

    // Resets every field to its absent value.
    void Clear() { *this = FlowRecord(); }
};

// Every element bit of FlowRecord::present, for masks of the elements a reader decodes.
inline constexpr uint64_t kAllElements = ~uint64_t{0};

// The elements (bits 1 << ElementId) whose fields lie in bytes [offset, offset + width) of a
// FlowRecord, so that a reader of those bytes can ask for just those elements to be decoded.
// The header fields (engine, exporter sysid, flags, nfversion) belong to no element and give
// 0; bytes of `present` itself, or past the record, give kAllElements. Both address families
// of a field count (kExIpv4Flow and kExIpv6Flow for src_addr).
uint64_t ElementsOfFieldBytes(size_t offset, size_t width);

}  // namespace flow
