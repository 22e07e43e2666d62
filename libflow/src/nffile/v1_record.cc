// SPDX-License-Identifier: BSD-2-Clause
// Layout 1 (nfdump 1.6) flow records: extension maps (spec nffile-format.md §1.6), the
// common record type 10 (§1.5) and its predecessor type 1 (§1.7), converted into FlowRecord
// with the element mapping nfdump 1.7 uses (§1.6 table, last column; §2.9).
#include <cstring>

#include "nffile/layout.h"
#include "nffile/records.h"

namespace flow::nffile {

namespace {

inline constexpr uint16_t kMaxExtensionId = 48;
inline constexpr size_t kMapHeaderSize = 8;  // type, size, map id, extension size

// Payload size per extension id (spec §1.6). 0 for the required part (1-3), the reserved
// ids and 47, whose descriptor says 0 although its struct has 8 bytes.
constexpr uint8_t kExtensionSize[kMaxExtensionId + 1] = {
    0,  0,  0,  0,                     // 0-3
    4,  8,  4,  8,  4,  4,  16, 4,     // 4-11
    16, 4,  4,  8,  4,  8,  4,  8,     // 12-19
    16, 16, 40, 4,  16, 4,  8,  8,     // 20-27
    0,  0,  0,  0,  0,  0,  0,  0, 0,  // 28-36
    20, 4,  8,  32, 24, 24, 72, 0,     // 37-44
    24, 12, 0,  8,                     // 45-48
};

// nfdump 1.7 skips this many bytes for the obsolete extension 47 (see the table above).
inline constexpr size_t kExt47Bytes = 8;

inline constexpr uint8_t kV1FlagIpv6 = 0x01;
inline constexpr uint8_t kV1FlagPackets64 = 0x02;
inline constexpr uint8_t kV1FlagBytes64 = 0x04;
inline constexpr uint8_t kV1FlagEvent = 0x40;
inline constexpr uint8_t kV1FlagSampled = 0x80;

IpAddr LoadV6(const uint8_t* p) { return IpAddr{Load64(p), Load64(p + 8)}; }

// A map may name both forms of one address element (extensions 9/10, 11/12, 23/24, 39/40).
// nfdump never writes that, but a damaged or hostile file can, and the record then kept both
// presence bits for one value. The pair is resolved as the V3 reader resolves it: IPv4
// unless its address is zero. `incoming_v4` says which form was just read; `v4_zero` whether
// the IPv4 value (incoming or already stored) is zero. Returns whether to keep the incoming
// form; `other` (the opposite form) is then dropped.
bool KeepForm(FlowRecord* r, ElementId other, bool incoming_v4, bool v4_zero) {
    if (!r->Has(other)) return true;
    const bool take = incoming_v4 ? !v4_zero : v4_zero;
    if (take) r->Unset(other);
    return take;
}

}  // namespace

void ExtensionMaps::Add(const uint8_t* p, size_t len, ReadCounters* counters) {
    // Validation as nfdump does it: size a multiple of 4, at least one id, the 0 terminator
    // in one of the last two slots, ids known, sizes adding up to the declared total.
    if (len < kMapHeaderSize + 4 || len % 4 != 0) {
        ++counters->bad_maps;
        return;
    }
    uint16_t map_id = Load16(p + 4);
    if (map_id == 0xFFFF) map_id = 0;
    const uint16_t declared = Load16(p + 6);
    const size_t slots = (len - kMapHeaderSize) / 2;

    ExtensionMap map;
    uint32_t sum = 0;
    size_t i = 0;
    for (; i < slots; ++i) {
        const uint16_t id = Load16(p + kMapHeaderSize + 2 * i);
        if (id == 0) break;
        if (id > kMaxExtensionId) {
            ++counters->bad_maps;
            return;
        }
        sum += kExtensionSize[id];
        map.ids.push_back(id);
    }
    if (i == 0 || i == slots || i + 2 < slots || sum != declared) {
        ++counters->bad_maps;
        return;
    }
    map.extension_size = sum;
    maps_[map_id] = std::move(map);
}

const ExtensionMap* ExtensionMaps::Find(uint16_t id) const {
    auto it = maps_.find(id == 0xFFFF ? 0 : id);
    return it == maps_.end() ? nullptr : &it->second;
}

Decoded DecodeV1Common(const uint8_t* p, size_t len, bool v0, const ExtensionMaps& maps,
                       FlowRecord* out, ReadCounters* counters, const char** error) {
    const size_t fixed = v0 ? 28 : 32;
    if (len < fixed) {
        *error = "common record shorter than its fixed part";
        return Decoded::kCorrupt;
    }
    const ExtensionMap* map = maps.Find(Load16(p + 6));
    if (map == nullptr) {
        ++counters->unmapped_records;
        return Decoded::kSkipped;
    }

    FlowRecord& r = *out;
    ResetRecord(&r);
    const uint8_t flags = p[4];
    if (v0) {
        r.exporter_sysid = p[5];
        ++counters->v0_records;
    } else {
        r.nfversion = p[5];
        r.exporter_sysid = Load16(p + 28);
        r.biflow_dir = p[30];
        r.end_reason = p[31];
    }
    if (flags & kV1FlagEvent) r.flags |= kFlagEvent;
    if (flags & kV1FlagSampled) r.flags |= kFlagSampled;
    r.first_ms = uint64_t{Load32(p + 12)} * 1000 + Load16(p + 8);
    r.last_ms = uint64_t{Load32(p + 16)} * 1000 + Load16(p + 10);
    r.fwd_status = p[20];
    r.tcp_flags = p[21];
    r.proto = p[22];
    r.src_tos = p[23];
    r.src_port = Load16(p + 24);
    r.dst_port = Load16(p + 26);
    r.Set(kExGenericFlow);

    // Required part: addresses, then packets and bytes, sized by the flag bits.
    const size_t addr_len = (flags & kV1FlagIpv6) ? 32 : 8;
    const size_t pkt_len = (flags & kV1FlagPackets64) ? 8 : 4;
    const size_t byte_len = (flags & kV1FlagBytes64) ? 8 : 4;
    size_t need = fixed + addr_len + pkt_len + byte_len + map->extension_size;
    for (uint16_t id : map->ids) {
        if (id == 47) need += kExt47Bytes;
    }
    if (need > len) {
        *error = "common record shorter than its extension map requires";
        return Decoded::kCorrupt;
    }

    const uint8_t* q = p + fixed;
    if (flags & kV1FlagIpv6) {
        r.src_addr = LoadV6(q);
        r.dst_addr = LoadV6(q + 16);
        r.Set(kExIpv6Flow);
    } else {
        r.src_addr = IpAddr::V4(Load32(q));
        r.dst_addr = IpAddr::V4(Load32(q + 4));
        r.Set(kExIpv4Flow);
    }
    q += addr_len;
    r.packets = pkt_len == 8 ? Load64(q) : Load32(q);
    q += pkt_len;
    r.bytes = byte_len == 8 ? Load64(q) : Load32(q);
    q += byte_len;

    for (uint16_t id : map->ids) {
        switch (id) {
            case 4:
                r.input = Load16(q);
                r.output = Load16(q + 2);
                r.Set(kExFlowMisc);
                break;
            case 5:
                r.input = Load32(q);
                r.output = Load32(q + 4);
                r.Set(kExFlowMisc);
                break;
            case 6:
                r.src_as = Load16(q);
                r.dst_as = Load16(q + 2);
                r.Set(kExAsRouting);
                break;
            case 7:
                r.src_as = Load32(q);
                r.dst_as = Load32(q + 4);
                r.Set(kExAsRouting);
                break;
            case 8:
                r.dst_tos = q[0];
                r.dir = q[1];
                r.src_mask = q[2];
                r.dst_mask = q[3];
                r.Set(kExFlowMisc);
                break;
            case 9:
                if (KeepForm(&r, kExIpNextHopV6, true, Load32(q) == 0)) {
                    r.ip_next_hop = IpAddr::V4(Load32(q));
                    r.Set(kExIpNextHopV4);
                }
                break;
            case 10:
                if (KeepForm(&r, kExIpNextHopV4, false, r.ip_next_hop.IsZero())) {
                    r.ip_next_hop = LoadV6(q);
                    r.Set(kExIpNextHopV6);
                }
                break;
            case 11:
                if (KeepForm(&r, kExBgpNextHopV6, true, Load32(q) == 0)) {
                    r.bgp_next_hop = IpAddr::V4(Load32(q));
                    r.Set(kExBgpNextHopV4);
                }
                break;
            case 12:
                if (KeepForm(&r, kExBgpNextHopV4, false, r.bgp_next_hop.IsZero())) {
                    r.bgp_next_hop = LoadV6(q);
                    r.Set(kExBgpNextHopV6);
                }
                break;
            case 13:
                r.src_vlan = Load16(q);
                r.dst_vlan = Load16(q + 2);
                r.Set(kExVlan);
                break;
            case 14:
                r.out_packets = Load32(q);
                r.Set(kExCntFlow);
                break;
            case 15:
                r.out_packets = Load64(q);
                r.Set(kExCntFlow);
                break;
            case 16:
                r.out_bytes = Load32(q);
                r.Set(kExCntFlow);
                break;
            case 17:
                r.out_bytes = Load64(q);
                r.Set(kExCntFlow);
                break;
            // A stored flow count of 0 is one flow, as for V3 records (docs/compatibility.md:
            // nfdump 1.7.1 lists 0 for it here but sorts, sums and aggregates it as 1).
            case 18:
                r.flows = Load32(q) != 0 ? Load32(q) : 1;
                r.Set(kExCntFlow);
                break;
            case 19:
                r.flows = Load64(q) != 0 ? Load64(q) : 1;
                r.Set(kExCntFlow);
                break;
            case 20:
                r.in_src_mac = Load64(q);
                r.out_dst_mac = Load64(q + 8);
                r.Set(kExMacAddr);
                break;
            case 21:
                r.in_dst_mac = Load64(q);
                r.out_src_mac = Load64(q + 8);
                r.Set(kExMacAddr);
                break;
            case 22:
                for (int k = 0; k < 10; ++k) r.mpls[k] = Load32(q + 4 * k);
                r.Set(kExMplsLabel);
                break;
            case 23:
                if (KeepForm(&r, kExIpReceivedV6, true, Load32(q) == 0)) {
                    r.received_from = IpAddr::V4(Load32(q));
                    r.Set(kExIpReceivedV4);
                }
                break;
            case 24:
                if (KeepForm(&r, kExIpReceivedV4, false, r.received_from.IsZero())) {
                    r.received_from = LoadV6(q);
                    r.Set(kExIpReceivedV6);
                }
                break;
            case 25:
                r.engine_type = q[2];
                r.engine_id = q[3];
                break;
            case 26:
                r.next_as = Load32(q);
                r.prev_as = Load32(q + 4);
                r.Set(kExAsAdjacent);
                break;
            case 27:
                r.received_ms = Load64(q);
                break;
            case 37:
                // TODO: the ICMP type/code word at offset 12 and the security group tag
                // have no FlowRecord field; dst_port keeps what the collector stored.
                r.event_ms = Load64(q);
                r.conn_id = Load32(q + 8);
                r.fw_event = q[14];
                r.fw_xevent = Load16(q + 16);
                r.Set(kExNselCommon);
                break;
            case 38:
                r.xlate_src_port = Load16(q);
                r.xlate_dst_port = Load16(q + 2);
                r.Set(kExNatXlatePort);
                break;
            case 39:
                if (KeepForm(&r, kExNatXlateIpv6, true, Load32(q) == 0 && Load32(q + 4) == 0)) {
                    r.xlate_src = IpAddr::V4(Load32(q));
                    r.xlate_dst = IpAddr::V4(Load32(q + 4));
                    r.Set(kExNatXlateIpv4);
                }
                break;
            case 40:
                if (KeepForm(&r, kExNatXlateIpv4, false,
                             r.xlate_src.IsZero() && r.xlate_dst.IsZero())) {
                    r.xlate_src = LoadV6(q);
                    r.xlate_dst = LoadV6(q + 16);
                    r.Set(kExNatXlateIpv6);
                }
                break;
            case 41:
                for (int k = 0; k < 3; ++k) r.ingress_acl[k] = Load32(q + 4 * k);
                for (int k = 0; k < 3; ++k) r.egress_acl[k] = Load32(q + 12 + 4 * k);
                r.Set(kExNselAcl);
                break;
            case 42:
            case 43: {
                const size_t n = kExtensionSize[id];
                const size_t keep = n < sizeof(r.username) - 1 ? n : sizeof(r.username) - 1;
                std::memcpy(r.username, q, keep);
                r.username[keep] = '\0';
                r.Set(kExNselUser);
                break;
            }
            case 45:
                r.client_nw_delay_us = Load64(q);
                r.server_nw_delay_us = Load64(q + 8);
                r.appl_latency_us = Load64(q + 16);
                r.Set(kExLatency);
                break;
            case 46:
                // TODO: nfdump 1.7.1 shows this NAT event as the record's event (%evt, -s
                // event) when the NSEL extension is present too; flowkit keeps them apart.
                // nfcapd 1.6 also stores the VRF ids of plain flows here, with NAT event 0
                // (no event has that number): those records carry VRF ids only, as the
                // same flows do in a 1.7 file.
                r.nat_event = q[0];
                r.egress_vrf = Load32(q + 4);
                r.ingress_vrf = Load32(q + 8);
                if (r.nat_event != 0) r.Set(kExNatCommon);
                r.Set(kExVrf);
                break;
            case 47:
                q += kExt47Bytes;
                break;
            case 48:
                r.block_start = Load16(q);
                r.block_end = Load16(q + 2);
                r.block_step = Load16(q + 4);
                r.block_size = Load16(q + 6);
                if (r.block_end == 0 && r.block_size != 0) {
                    r.block_end = static_cast<uint16_t>(r.block_start + r.block_size - 1);
                }
                r.Set(kExNatPortBlock);
                break;
            default:
                break;  // reserved ids with no payload
        }
        q += kExtensionSize[id];
    }
    if (r.biflow_dir != 0 || r.end_reason != 0) r.Set(kExFlowMisc);

    // As for V3 records: event records without a start time use the event time.
    if (r.first_ms == 0 && r.Has(kExNselCommon)) {
        r.first_ms = r.event_ms;
        if (r.last_ms == 0) r.last_ms = r.event_ms;
    }
    return Decoded::kFlow;
}

}  // namespace flow::nffile
