// SPDX-License-Identifier: BSD-2-Clause
// Which element owns which bytes of a FlowRecord: the fields of one element lie together, in
// element order, so a table of where each element's fields start gives the owner of any byte.
#include <array>
#include <cstddef>

#include "flow/record.h"

namespace flow {

namespace {

constexpr uint64_t Bit(ElementId id) { return uint64_t{1} << id; }

struct Span {
    size_t begin;   // first byte; the span ends where the next one begins
    uint64_t owner; // element bits; 0 for the header fields
};

// clang-format off
constexpr std::array<Span, 31> kSpans = {{
    {offsetof(FlowRecord, engine_type),        0},
    {offsetof(FlowRecord, first_ms),           Bit(kExGenericFlow)},
    {offsetof(FlowRecord, src_addr),           Bit(kExIpv4Flow) | Bit(kExIpv6Flow)},
    {offsetof(FlowRecord, input),              Bit(kExFlowMisc)},
    {offsetof(FlowRecord, flows),              Bit(kExCntFlow)},
    {offsetof(FlowRecord, src_vlan),           Bit(kExVlan)},
    {offsetof(FlowRecord, src_as),             Bit(kExAsRouting)},
    {offsetof(FlowRecord, next_as),            Bit(kExAsAdjacent)},
    {offsetof(FlowRecord, bgp_next_hop),       Bit(kExBgpNextHopV4) | Bit(kExBgpNextHopV6)},
    {offsetof(FlowRecord, ip_next_hop),        Bit(kExIpNextHopV4) | Bit(kExIpNextHopV6)},
    {offsetof(FlowRecord, received_from),      Bit(kExIpReceivedV4) | Bit(kExIpReceivedV6)},
    {offsetof(FlowRecord, mpls),               Bit(kExMplsLabel)},
    {offsetof(FlowRecord, in_src_mac),         Bit(kExMacAddr)},
    {offsetof(FlowRecord, client_nw_delay_us), Bit(kExLatency)},
    {offsetof(FlowRecord, selector_id),        Bit(kExSamplerInfo)},
    // The event time is written by either event element.
    {offsetof(FlowRecord, event_ms),           Bit(kExNselCommon) | Bit(kExNatCommon)},
    {offsetof(FlowRecord, conn_id),            Bit(kExNselCommon)},
    {offsetof(FlowRecord, nat_event),          Bit(kExNatCommon)},
    {offsetof(FlowRecord, xlate_src),          Bit(kExNatXlateIpv4) | Bit(kExNatXlateIpv6)},
    {offsetof(FlowRecord, xlate_src_port),     Bit(kExNatXlatePort)},
    {offsetof(FlowRecord, ingress_acl),        Bit(kExNselAcl)},
    {offsetof(FlowRecord, username),           Bit(kExNselUser)},
    {offsetof(FlowRecord, block_start),        Bit(kExNatPortBlock)},
    {offsetof(FlowRecord, tun_src),            Bit(kExTunIpv4) | Bit(kExTunIpv6)},
    {offsetof(FlowRecord, observation_point),  Bit(kExObservation)},
    // nfdump 1.7.0's NAT element carries the VRF ids too.
    {offsetof(FlowRecord, egress_vrf),         Bit(kExVrf) | Bit(kExNatCommon)},
    {offsetof(FlowRecord, vlan_id),            Bit(kExLayer2)},
    {offsetof(FlowRecord, flow_id),            Bit(kExFlowId)},
    {offsetof(FlowRecord, fragment_flags),     Bit(kExIpInfo)},
    {offsetof(FlowRecord, nbar_len),           Bit(kExNbarApp)},
    {sizeof(FlowRecord),                       kAllElements},  // end marker
}};
// clang-format on

constexpr bool Ascending() {
    for (size_t i = 1; i < kSpans.size(); ++i) {
        if (kSpans[i].begin <= kSpans[i - 1].begin) return false;
    }
    return kSpans[0].begin == sizeof(uint64_t);  // right after `present`
}
static_assert(Ascending(), "FlowRecord's fields moved: update kSpans");

}  // namespace

uint64_t ElementsOfFieldBytes(size_t offset, size_t width) {
    if (offset < kSpans[0].begin || width == 0) return kAllElements;
    const size_t end = offset + width;
    if (end > sizeof(FlowRecord) || end < offset) return kAllElements;
    uint64_t bits = 0;
    for (size_t i = 0; i + 1 < kSpans.size(); ++i) {
        if (offset < kSpans[i + 1].begin && end > kSpans[i].begin) bits |= kSpans[i].owner;
    }
    return bits;
}

}  // namespace flow
