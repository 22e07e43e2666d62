// SPDX-License-Identifier: BSD-2-Clause
// The element decoder of V3 flow records and its cached-list fast path, shared by
// v3_record.cc (the decoders) and reader.cc, whose record loop runs the fast path inline:
// a call per record costs about as much as the fast path's own bookkeeping.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "nffile/layout.h"
#include "nffile/records.h"

namespace flow::nffile::v3 {

// Element lengths including the 4-byte element header (1.7.8 layouts unless noted).
enum : uint16_t {
    kLenGeneric = 52,
    kLenIpv4 = 12,
    kLenIpv6 = 36,
    kLenMisc = 20,
    kLenCnt = 28,
    kLenVlan = 12,
    kLenAs = 12,
    kLenHopV4 = 8,
    kLenHopV6 = 20,
    kLenMpls = 44,
    kLenMac = 36,
    kLenAsAdj = 12,
    kLenLatency = 28,
    kLenSampler = 20,     // 1.7.2+: selector id u64, sysid u16, pad
    kLenSamplerOld = 16,  // 1.7.0-1.7.1: id i32, interval u32, mode u16, sysid u16
    kLenNsel = 20,
    kLenXlateV4 = 12,
    kLenXlateV6 = 36,
    kLenXlatePort = 8,
    kLenAcl = 28,
    kLenUser = 72,
    kLenNat = 20,     // 1.7.1+
    kLenNatOld = 28,  // 1.7.0: event, egress vrf, ingress vrf, pool, event type
    kLenPortBlock = 12,
    kLenTunV4 = 16,
    kLenTunV6 = 44,
    kLenObservation = 20,
    kLenVrf = 12,
    kLenLayer2 = 36,
    kLenFlowId = 12,
    kLenIpInfo = 8,
};

inline constexpr size_t kUserNameBytes = 66;

// Length of every element with a single layout; 0 for elements with several accepted
// lengths (18, 25), variable length (27) or none we decode.
// clang-format off
inline constexpr uint16_t kFixedLength[kExMaxElement] = {
    0,           kLenGeneric,   kLenIpv4,      kLenIpv6,        kLenMisc,     // 0-4
    kLenCnt,     kLenVlan,      kLenAs,        kLenHopV4,       kLenHopV6,    // 5-9
    kLenHopV4,   kLenHopV6,     kLenHopV4,     kLenHopV6,       kLenMpls,     // 10-14
    kLenMac,     kLenAsAdj,     kLenLatency,   0,               kLenNsel,     // 15-19
    kLenXlateV4, kLenXlateV6,   kLenXlatePort, kLenAcl,         kLenUser,     // 20-24
    0,           kLenPortBlock, 0,             0,               0,            // 25-29
    0,           kLenTunV4,     kLenTunV6,     kLenObservation, 0,            // 30-34
    0,           kLenVrf,       0,             kLenLayer2,      kLenFlowId,   // 35-39
    0,           0,             kLenIpInfo,                                   // 40-42
};
// clang-format on

inline IpAddr LoadV6(const uint8_t* p) { return IpAddr{Load64(p), Load64(p + 8)}; }

// A record may carry an address element in both families (some exporters send both).
// The rule nfdump 1.7.8 applies to the flow addresses, used for every such pair: IPv4 wins
// unless it is empty. Returns whether the element just read (`src`,
// `dst`, of the family opposite to `other`) is kept; `other` is then dropped.
bool TakePair(FlowRecord* r, ElementId other, const IpAddr& src, const IpAddr& dst, IpAddr* cur_src,
              IpAddr* cur_dst);

inline bool TakeAddress(FlowRecord* r, ElementId other, const IpAddr& value, IpAddr* cur) {
    if (!r->Has(other)) {  // the common case: one family only
        *cur = value;
        return true;
    }
    IpAddr no_dst;
    return TakePair(r, other, value, IpAddr(), cur, &no_dst);
}

// The flow addresses of a record as its elements give them: both families may be present
// (spec §2.6), and which one the record keeps is decided after all its elements.
struct FlowAddresses {
    bool have_v4 = false;
    bool have_v6 = false;
    uint32_t v4_src = 0;
    uint32_t v4_dst = 0;
    IpAddr v6_src;
    IpAddr v6_dst;
};

// Elements whose decode writes only their own fields and presence bit, whatever their
// values and the record's other elements: the elements a cached list decodes without
// walking the record (DecodeV3Listed), the flow addresses apart.
inline constexpr uint64_t kListedElements =
    uint64_t{1} << kExGenericFlow | uint64_t{1} << kExFlowMisc | uint64_t{1} << kExCntFlow |
    uint64_t{1} << kExVlan | uint64_t{1} << kExAsRouting | uint64_t{1} << kExMplsLabel |
    uint64_t{1} << kExMacAddr | uint64_t{1} << kExAsAdjacent | uint64_t{1} << kExLatency |
    uint64_t{1} << kExObservation | uint64_t{1} << kExLayer2 | uint64_t{1} << kExFlowId |
    uint64_t{1} << kExIpInfo;

// The bytes of an element's payload that FlowRecord holds in the same order and widths at
// consecutive offsets (host byte order, as nfdump writes them): one copy sets them all.
inline constexpr size_t kGenericFields = 48;  // first_ms .. src_tos
inline constexpr size_t kMiscFields = 15;     // input .. rev_tcp_flags
inline constexpr size_t kCntFields = 24;      // flows, out_packets, out_bytes
static_assert(offsetof(FlowRecord, last_ms) == offsetof(FlowRecord, first_ms) + 8 &&
              offsetof(FlowRecord, received_ms) == offsetof(FlowRecord, first_ms) + 16 &&
              offsetof(FlowRecord, packets) == offsetof(FlowRecord, first_ms) + 24 &&
              offsetof(FlowRecord, bytes) == offsetof(FlowRecord, first_ms) + 32 &&
              offsetof(FlowRecord, src_port) == offsetof(FlowRecord, first_ms) + 40 &&
              offsetof(FlowRecord, dst_port) == offsetof(FlowRecord, first_ms) + 42 &&
              offsetof(FlowRecord, proto) == offsetof(FlowRecord, first_ms) + 44 &&
              offsetof(FlowRecord, tcp_flags) == offsetof(FlowRecord, first_ms) + 45 &&
              offsetof(FlowRecord, fwd_status) == offsetof(FlowRecord, first_ms) + 46 &&
              offsetof(FlowRecord, src_tos) == offsetof(FlowRecord, first_ms) + 47 &&
              sizeof(FlowRecord::src_tos) == 1,
              "FlowRecord's generic flow fields follow the element's layout");
static_assert(offsetof(FlowRecord, output) == offsetof(FlowRecord, input) + 4 &&
              offsetof(FlowRecord, src_mask) == offsetof(FlowRecord, input) + 8 &&
              offsetof(FlowRecord, dst_mask) == offsetof(FlowRecord, input) + 9 &&
              offsetof(FlowRecord, dir) == offsetof(FlowRecord, input) + 10 &&
              offsetof(FlowRecord, dst_tos) == offsetof(FlowRecord, input) + 11 &&
              offsetof(FlowRecord, biflow_dir) == offsetof(FlowRecord, input) + 12 &&
              offsetof(FlowRecord, end_reason) == offsetof(FlowRecord, input) + 13 &&
              offsetof(FlowRecord, rev_tcp_flags) == offsetof(FlowRecord, input) + 14 &&
              sizeof(FlowRecord::rev_tcp_flags) == 1,
              "FlowRecord's flow misc fields follow the element's layout");
static_assert(offsetof(FlowRecord, out_packets) == offsetof(FlowRecord, flows) + 8 &&
              offsetof(FlowRecord, out_bytes) == offsetof(FlowRecord, flows) + 16 &&
              sizeof(FlowRecord::out_bytes) == 8,
              "FlowRecord's counter fields follow the element's layout");
static_assert(std::endian::native == std::endian::little,
              "nfdump files hold host-order fields; flowkit reads them on little-endian hosts");

// Copies `n` payload bytes at `e` over the fields of `r` from byte `at` on.
template <size_t n>
[[gnu::always_inline]] inline void CopyFields(const uint8_t* e, FlowRecord& r, size_t at) {
    std::memcpy(reinterpret_cast<unsigned char*>(&r) + at, e, n);
}

// Writes the fields of element `id` (one of kListedElements, of its one length) from its
// payload at `e`. The presence bit is the caller's.
[[gnu::always_inline]] inline void DecodePlain(uint16_t id, const uint8_t* e,
                                               const V3Options& options, FlowRecord& r) {
    switch (id) {
        case kExGenericFlow:
            // first_ms, last_ms, received_ms, packets, bytes, the ports, proto, tcp_flags,
            // fwd_status and src_tos, as the element lays them out.
            CopyFields<kGenericFields>(e, r, offsetof(FlowRecord, first_ms));
            break;
        case kExFlowMisc:
            // input, output, the masks, dir, dst_tos, biflow_dir, end_reason and byte 14
            // (1.7.1-1.7.4 keep the reverse TCP flags there; later versions write 0).
            CopyFields<kMiscFields>(e, r, offsetof(FlowRecord, input));
            break;
        case kExCntFlow:
            CopyFields<kCntFields>(e, r, offsetof(FlowRecord, flows));  // flows, out packets/bytes
            // A stored flow count of 0 (nfdump -w writes it for records that only carry out
            // counters) is one flow, as nfdump 1.7.1 lists, filters and sums it.
            if (r.flows == 0) r.flows = 1;
            break;
        case kExVlan:
            r.src_vlan = Load32(e);
            r.dst_vlan = Load32(e + 4);
            break;
        case kExAsRouting:
            r.src_as = Load32(e);
            r.dst_as = Load32(e + 4);
            break;
        case kExMplsLabel:
            for (int k = 0; k < 10; ++k) r.mpls[k] = Load32(e + 4 * k);
            break;
        case kExMacAddr:
            r.in_src_mac = Load64(e);
            r.out_dst_mac = Load64(e + 8);
            r.in_dst_mac = Load64(e + 16);
            r.out_src_mac = Load64(e + 24);
            break;
        case kExAsAdjacent:
            r.next_as = Load32(e);
            r.prev_as = Load32(e + 4);
            break;
        case kExLatency:
            r.client_nw_delay_us = Load64(e);
            r.server_nw_delay_us = Load64(e + 8);
            r.appl_latency_us = Load64(e + 16);
            break;
        case kExObservation:
            r.observation_point = Load64(e);
            r.observation_domain = Load32(e + 8);
            break;
        case kExLayer2:
            r.vlan_id = Load16(e);
            r.customer_vlan_id = Load16(e + 2);
            r.post_vlan_id = Load16(e + 4);
            r.post_customer_vlan_id = Load16(e + 6);
            r.phys_ingress = Load32(e + 8);
            r.phys_egress = Load32(e + 12);
            r.vxlan = Load64(e + 16);
            r.ether_type = Load16(e + 24);
            r.ip_version = e[26];
            break;
        case kExFlowId:
            r.flow_id = Load64(e);
            break;
        case kExIpInfo:
            if (options.ipinfo_v175) {
                r.min_ttl = r.max_ttl = e[0];
                r.fragment_flags = e[1];
            } else {
                r.fragment_flags = e[1];
                r.min_ttl = e[2];
                r.max_ttl = e[3];
            }
            break;
        default:
            break;
    }
}

// Decodes element `id` of `elen` bytes (its 4-byte header included, the length already
// checked against the record) whose payload is at `e`.
[[gnu::always_inline]] inline void DecodeElement(uint16_t id, uint16_t elen, const uint8_t* e,
                                                 const V3Options& options, FlowRecord& r,
                                                 FlowAddresses& a, ReadCounters* counters) {
    bool known = true;
    if (id < kExMaxElement && ((kListedElements >> id) & 1) != 0) {
        if (elen != kFixedLength[id]) goto bad_length;
        DecodePlain(id, e, options, r);
        r.Set(static_cast<ElementId>(id));
        return;
    }
    switch (id) {
        case 0:  // deleted element (nfdump blanks duplicates this way)
            return;
        case kExIpv4Flow:
            if (elen != kLenIpv4) goto bad_length;
            a.v4_src = Load32(e);
            a.v4_dst = Load32(e + 4);
            a.have_v4 = true;
            return;  // presence decided after the loop
        case kExIpv6Flow:
            if (elen != kLenIpv6) goto bad_length;
            a.v6_src = LoadV6(e);
            a.v6_dst = LoadV6(e + 16);
            a.have_v6 = true;
            return;
        case kExBgpNextHopV4:
            if (elen != kLenHopV4) goto bad_length;
            if (!TakeAddress(&r, kExBgpNextHopV6, IpAddr::V4(Load32(e)), &r.bgp_next_hop)) {
                return;
            }
            break;
        case kExBgpNextHopV6:
            if (elen != kLenHopV6) goto bad_length;
            if (!TakeAddress(&r, kExBgpNextHopV4, LoadV6(e), &r.bgp_next_hop)) return;
            break;
        case kExIpNextHopV4:
            if (elen != kLenHopV4) goto bad_length;
            if (!TakeAddress(&r, kExIpNextHopV6, IpAddr::V4(Load32(e)), &r.ip_next_hop)) {
                return;
            }
            break;
        case kExIpNextHopV6:
            if (elen != kLenHopV6) goto bad_length;
            if (!TakeAddress(&r, kExIpNextHopV4, LoadV6(e), &r.ip_next_hop)) return;
            break;
        case kExIpReceivedV4:
            if (elen != kLenHopV4) goto bad_length;
            if (!TakeAddress(&r, kExIpReceivedV6, IpAddr::V4(Load32(e)), &r.received_from)) {
                return;
            }
            break;
        case kExIpReceivedV6:
            if (elen != kLenHopV6) goto bad_length;
            if (!TakeAddress(&r, kExIpReceivedV4, LoadV6(e), &r.received_from)) return;
            break;
        case kExSamplerInfo:
            if (elen == kLenSampler) {
                r.selector_id = static_cast<int64_t>(Load64(e));
            } else if (elen == kLenSamplerOld) {
                r.selector_id = static_cast<int32_t>(Load32(e));
            } else {
                known = false;
            }
            break;
        case kExNselCommon:
            if (elen != kLenNsel) goto bad_length;
            r.event_ms = Load64(e);
            r.conn_id = Load32(e + 8);
            r.fw_xevent = Load16(e + 12);
            r.fw_event = e[14];
            break;
        case kExNatXlateIpv4:
            if (elen != kLenXlateV4) goto bad_length;
            if (!TakePair(&r, kExNatXlateIpv6, IpAddr::V4(Load32(e)), IpAddr::V4(Load32(e + 4)),
                          &r.xlate_src, &r.xlate_dst)) {
                return;
            }
            break;
        case kExNatXlateIpv6:
            if (elen != kLenXlateV6) goto bad_length;
            if (!TakePair(&r, kExNatXlateIpv4, LoadV6(e), LoadV6(e + 16), &r.xlate_src,
                          &r.xlate_dst)) {
                return;
            }
            break;
        case kExNatXlatePort:
            if (elen != kLenXlatePort) goto bad_length;
            r.xlate_src_port = Load16(e);
            r.xlate_dst_port = Load16(e + 2);
            break;
        case kExNselAcl:
            if (elen != kLenAcl) goto bad_length;
            // NOTE: nfcapd 1.7 copies the ACL ids in network order and nfdump prints
            // them so; every other V3 number is in host order.
            for (int k = 0; k < 3; ++k) r.ingress_acl[k] = Load32Be(e + 4 * k);
            for (int k = 0; k < 3; ++k) r.egress_acl[k] = Load32Be(e + 12 + 4 * k);
            break;
        case kExNselUser:
            if (elen != kLenUser) goto bad_length;
            std::memcpy(r.username, e, kUserNameBytes);
            r.username[kUserNameBytes - 1] = '\0';
            break;
        case kExNatCommon:
            if (elen == kLenNat) {
                r.event_ms = Load64(e);
                r.nat_pool_id = Load32(e + 8);
                r.nat_event = e[12];
            } else if (elen == kLenNatOld) {
                r.event_ms = Load64(e);
                r.egress_vrf = Load32(e + 8);
                r.ingress_vrf = Load32(e + 12);
                r.nat_pool_id = Load32(e + 16);
                r.nat_event = e[20];
                if (r.egress_vrf != 0 || r.ingress_vrf != 0) r.Set(kExVrf);
            } else {
                known = false;
            }
            break;
        case kExNatPortBlock:
            if (elen != kLenPortBlock) goto bad_length;
            r.block_start = Load16(e);
            r.block_end = Load16(e + 2);
            r.block_step = Load16(e + 4);
            r.block_size = Load16(e + 6);
            break;
        case kExNbarApp: {
            const size_t n = elen - kElementHeaderSize;
            r.nbar_len = static_cast<uint8_t>(n < sizeof(r.nbar_app) ? n : sizeof(r.nbar_app));
            // The bytes past nbar_len stay zero, whatever a longer id left there.
            std::memset(r.nbar_app, 0, sizeof(r.nbar_app));
            std::memcpy(r.nbar_app, e, r.nbar_len);
            break;
        }
        case kExTunIpv4:
            if (elen != kLenTunV4) goto bad_length;
            if (!TakePair(&r, kExTunIpv6, IpAddr::V4(Load32(e)), IpAddr::V4(Load32(e + 4)),
                          &r.tun_src, &r.tun_dst)) {
                return;
            }
            r.tun_proto = Load32(e + 8);
            break;
        case kExTunIpv6:
            if (elen != kLenTunV6) goto bad_length;
            if (!TakePair(&r, kExTunIpv4, LoadV6(e), LoadV6(e + 16), &r.tun_src, &r.tun_dst)) {
                return;
            }
            r.tun_proto = Load32(e + 32);
            break;
        case kExVrf:
            if (elen != kLenVrf) goto bad_length;
            r.egress_vrf = Load32(e);
            r.ingress_vrf = Load32(e + 4);
            break;
        // TODO: payload (29, 30), inmon (34, 35; 34/35 are interface/VRF names in
        // 1.7.1-1.7.2), pf info (37) and Nokia NAT (40, 41) have no FlowRecord fields;
        // they are skipped, so they are lost when such a file is rewritten.
        case kExInPayload:
        case kExOutPayload:
        case 34:
        case 35:
        case kExPfInfo:
        case kExNokiaNat:
        case kExNokiaNatString:
            return;
        default:
            known = false;
            break;
    }
    if (!known) {
        ++counters->unknown_elements;
        return;
    }
    r.Set(static_cast<ElementId>(id));
    return;
bad_length:
    // An element of a length we do not know is a layout we cannot decode: skip it.
    ++counters->unknown_elements;
}

// Whether element `id` of length `elen` is stepped over: the caller does not read it and it
// has the one length it must have. An element of an unexpected length goes through
// DecodeElement, which counts it as before.
inline bool SkipElement(uint16_t id, uint16_t elen, const V3Options& options) {
    return id < kExMaxElement && kFixedLength[id] == elen && ((options.elements >> id) & 1) == 0;
}

// The fields of the V3 record header (after type, size and element count).
[[gnu::always_inline]] inline void DecodeRecordHeader(const uint8_t* p, FlowRecord& r) {
    static_assert(offsetof(FlowRecord, engine_id) == offsetof(FlowRecord, engine_type) + 1 &&
                  offsetof(FlowRecord, exporter_sysid) == offsetof(FlowRecord, engine_type) + 2 &&
                  offsetof(FlowRecord, flags) == offsetof(FlowRecord, engine_type) + 4 &&
                  offsetof(FlowRecord, nfversion) == offsetof(FlowRecord, engine_type) + 5,
                  "FlowRecord's header fields follow the record header's layout");
    // engine_type, engine_id, exporter_sysid, flags and nfversion.
    CopyFields<6>(p + 6, r, offsetof(FlowRecord, engine_type));
    // 0x80 is nfdump's in-memory "passed filter" bit that 1.7.0-1.7.7 leak into files.
    r.flags &= 0x7f;
}

// Decodes the elements cached list `shape` decodes, at its offsets in record `p`.
[[gnu::always_inline]] inline void DecodeListed(const uint8_t* p, const V3ShapeCache::Shape& shape,
                                                const V3Options& options, FlowRecord& r,
                                                FlowAddresses& a, ReadCounters* counters) {
    for (uint32_t k = 0; k < shape.decode_count; ++k) {
        const uint8_t* h = p + shape.offset[shape.decode[k]];
        DecodeElement(Load16(h), Load16(h + 2), h + kElementHeaderSize, options, r, a, counters);
    }
}

// The cached element list of a record like `p` (same size, element count and element
// headers), or null. The cache must serve the decode's elements (V3ShapeCache::Serves).
[[gnu::always_inline]] inline const V3ShapeCache::Shape* FindShape(const V3ShapeCache& cache,
                                                                   const uint8_t* p,
                                                                   uint32_t size_count) {
    for (const V3ShapeCache::Shape& s : cache.shapes) {
        if (s.size_count != size_count) continue;
        // Four headers a step, unrolled: the list is padded to a multiple of four, and at
        // least four, with the record's first four bytes (type and size), equal whenever
        // the size is.
        auto four = [&](uint32_t i) __attribute__((always_inline)) {
            return (Load32(p + s.offset[i]) ^ s.header[i]) |
                   (Load32(p + s.offset[i + 1]) ^ s.header[i + 1]) |
                   (Load32(p + s.offset[i + 2]) ^ s.header[i + 2]) |
                   (Load32(p + s.offset[i + 3]) ^ s.header[i + 3]);
        };
        static_assert(V3ShapeCache::kMaxElements == 16, "four steps of four");
        uint32_t differ = four(0);
        if (s.count() > 4) differ |= four(4);
        if (s.count() > 8) differ |= four(8);
        if (s.count() > 12) differ |= four(12);
        if (differ == 0) return &s;
    }
    return nullptr;
}

// What FindShape gave for a record, when the caller looked it up already.
struct ShapeLookup {
    bool done = false;
    const V3ShapeCache::Shape* shape = nullptr;
};

// Decodes record `p` over `*out` from `shape`, the cached list FindShape gave for it, when
// all the list's elements are plain (see PlainPresence in v3_record.cc) and `*out` holds a
// record of the same elements; false (nothing written) otherwise.
[[gnu::always_inline]] inline bool DecodeFromShape(const uint8_t* p,
                                                   const V3ShapeCache::Shape& shape,
                                                   const V3Options& options, FlowRecord* out) {
    if (shape.present == 0) return false;
    // The record has the elements of the last one, which their list decodes to the same
    // presence bits: every field they own is overwritten and no other field is set, with
    // nothing to clear or choose. The flow address may change family: both families own
    // the same two fields, which either overwrites.
    if (out->present != shape.present && out->present != shape.present_flipped) return false;
    FlowRecord& r = *out;
    r.present = shape.present;
    DecodeRecordHeader(p, r);
    DecodePlain(kExGenericFlow, p + shape.generic_at, options, r);
    for (uint32_t k = 0; k < shape.listed_count; ++k) {
        DecodePlain(shape.listed_id[k], p + shape.listed_at[k], options, r);
    }
    const uint8_t* e = p + shape.address_at;
    if (shape.family == 4) {
        r.src_addr = IpAddr::V4(Load32(e));
        r.dst_addr = IpAddr::V4(Load32(e + 4));
    } else if (shape.family == 6) {
        r.src_addr = LoadV6(e);
        r.dst_addr = LoadV6(e + 16);
    }
    return true;
}

// The fast path of DecodeV3Over: the record decoded from its cached list (DecodeFromShape).
// True when `*out` now holds record `p`; false when the record must go the general way,
// with `*lookup` saying what FindShape found.
[[gnu::always_inline]] inline bool DecodeV3Listed(const uint8_t* p, size_t len,
                                                  const V3Options& options, FlowRecord* out,
                                                  ShapeLookup* lookup) {
    if (options.shapes == nullptr || len < kV3HeaderSize ||
        !options.shapes->Serves(options.elements)) {
        return false;
    }
    lookup->done = true;
    // Bytes 2-5, the size (`len`) and the element count, compared in one step.
    lookup->shape = FindShape(*options.shapes, p, Load32(p + 2));
    return lookup->shape != nullptr && DecodeFromShape(p, *lookup->shape, options, out);
}

// DecodeV3Over for a record DecodeV3Listed did not decode, given what it found.
Decoded DecodeV3Rest(const uint8_t* p, size_t len, const V3Options& options, FlowRecord* out,
                     ReadCounters* counters, const char** error, const ShapeLookup& lookup);

}  // namespace flow::nffile::v3
