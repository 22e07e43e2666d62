// SPDX-License-Identifier: BSD-2-Clause
// V3 flow records (record type 11) of layout 2 files: spec nffile-format.md §2.6, element
// catalogue and version variants. Elements are decoded by (id, length) so that every layout
// nfdump 1.7.0 ... 1.7.8 wrote is accepted; unknown ones are skipped by length.
#include <array>
#include <bit>
#include <cstring>

#include "nffile/layout.h"
#include "nffile/records.h"

namespace flow::nffile {

namespace {

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
constexpr uint16_t kFixedLength[kExMaxElement] = {
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

IpAddr LoadV6(const uint8_t* p) { return IpAddr{Load64(p), Load64(p + 8)}; }
void StoreV6(uint8_t* p, const IpAddr& a) {
    Store64(p, a.hi);
    Store64(p + 8, a.lo);
}

// A record may carry an address element in both families (some exporters send both).
// The rule nfdump 1.7.8 applies to the flow addresses, used for every such pair: IPv4 wins
// unless it is empty. Returns whether the element just read (`src`,
// `dst`, of the family opposite to `other`) is kept; `other` is then dropped.
bool TakePair(FlowRecord* r, ElementId other, const IpAddr& src, const IpAddr& dst, IpAddr* cur_src,
              IpAddr* cur_dst) {
    if (r->Has(other)) {
        const bool incoming_v4 = other == kExBgpNextHopV6 || other == kExIpNextHopV6 ||
                                 other == kExIpReceivedV6 || other == kExNatXlateIpv6 ||
                                 other == kExTunIpv6;
        const bool incoming_empty = src.IsZero() && dst.IsZero();
        const bool current_empty = cur_src->IsZero() && cur_dst->IsZero();  // the IPv4 one
        const bool take = incoming_v4 ? !incoming_empty : current_empty;
        if (!take) return false;
        r->Unset(other);
    }
    *cur_src = src;
    *cur_dst = dst;
    return true;
}

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

// Decodes element `id` of `elen` bytes (its 4-byte header included, the length already
// checked against the record) whose payload is at `e`.
[[gnu::always_inline]] inline void DecodeElement(uint16_t id, uint16_t elen, const uint8_t* e,
                                                 const V3Options& options, FlowRecord& r,
                                                 FlowAddresses& a, ReadCounters* counters) {
    bool known = true;
    switch (id) {
        case 0:  // deleted element (nfdump blanks duplicates this way)
            return;
        case kExGenericFlow:
            if (elen != kLenGeneric) goto bad_length;
            r.first_ms = Load64(e);
            r.last_ms = Load64(e + 8);
            r.received_ms = Load64(e + 16);
            r.packets = Load64(e + 24);
            r.bytes = Load64(e + 32);
            r.src_port = Load16(e + 40);
            r.dst_port = Load16(e + 42);
            r.proto = e[44];
            r.tcp_flags = e[45];
            r.fwd_status = e[46];
            r.src_tos = e[47];
            break;
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
        case kExFlowMisc:
            if (elen != kLenMisc) goto bad_length;
            r.input = Load32(e);
            r.output = Load32(e + 4);
            r.src_mask = e[8];
            r.dst_mask = e[9];
            r.dir = e[10];
            r.dst_tos = e[11];
            r.biflow_dir = e[12];
            r.end_reason = e[13];
            // 1.7.1-1.7.4 keep the reverse TCP flags here; later versions write 0.
            r.rev_tcp_flags = e[14];
            break;
        case kExCntFlow:
            if (elen != kLenCnt) goto bad_length;
            r.flows = Load64(e);
            r.out_packets = Load64(e + 8);
            r.out_bytes = Load64(e + 16);
            break;
        case kExVlan:
            if (elen != kLenVlan) goto bad_length;
            r.src_vlan = Load32(e);
            r.dst_vlan = Load32(e + 4);
            break;
        case kExAsRouting:
            if (elen != kLenAs) goto bad_length;
            r.src_as = Load32(e);
            r.dst_as = Load32(e + 4);
            break;
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
        case kExMplsLabel:
            if (elen != kLenMpls) goto bad_length;
            for (int k = 0; k < 10; ++k) r.mpls[k] = Load32(e + 4 * k);
            break;
        case kExMacAddr:
            if (elen != kLenMac) goto bad_length;
            r.in_src_mac = Load64(e);
            r.out_dst_mac = Load64(e + 8);
            r.in_dst_mac = Load64(e + 16);
            r.out_src_mac = Load64(e + 24);
            break;
        case kExAsAdjacent:
            if (elen != kLenAsAdj) goto bad_length;
            r.next_as = Load32(e);
            r.prev_as = Load32(e + 4);
            break;
        case kExLatency:
            if (elen != kLenLatency) goto bad_length;
            r.client_nw_delay_us = Load64(e);
            r.server_nw_delay_us = Load64(e + 8);
            r.appl_latency_us = Load64(e + 16);
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
        case kExObservation:
            if (elen != kLenObservation) goto bad_length;
            r.observation_point = Load64(e);
            r.observation_domain = Load32(e + 8);
            break;
        case kExVrf:
            if (elen != kLenVrf) goto bad_length;
            r.egress_vrf = Load32(e);
            r.ingress_vrf = Load32(e + 4);
            break;
        case kExLayer2:
            if (elen != kLenLayer2) goto bad_length;
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
            if (elen != kLenFlowId) goto bad_length;
            r.flow_id = Load64(e);
            break;
        case kExIpInfo:
            if (elen != kLenIpInfo) goto bad_length;
            if (options.ipinfo_v175) {
                r.min_ttl = r.max_ttl = e[0];
                r.fragment_flags = e[1];
            } else {
                r.fragment_flags = e[1];
                r.min_ttl = e[2];
                r.max_ttl = e[3];
            }
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
    r.engine_type = p[6];
    r.engine_id = p[7];
    r.exporter_sysid = Load16(p + 8);
    // 0x80 is nfdump's in-memory "passed filter" bit that 1.7.0-1.7.7 leak into files.
    r.flags = p[10] & 0x7f;
    r.nfversion = p[11];
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
// headers, decoded for the same elements), or null.
[[gnu::always_inline]] inline const V3ShapeCache::Shape* FindShape(
    const V3ShapeCache& cache, const uint8_t* p, size_t len, uint16_t num_elements,
    uint64_t elements) {
    for (const V3ShapeCache::Shape& s : cache.shapes) {
        if (s.size != len || s.count != num_elements || s.elements != elements) continue;
        // Four headers a step: the list is padded with the record's first four bytes (type
        // and size), equal whenever the size is.
        uint32_t differ = 0;
        for (uint32_t i = 0; i < s.count; i += 4) {
            differ |= (Load32(p + s.offset[i]) ^ s.header[i]) |
                      (Load32(p + s.offset[i + 1]) ^ s.header[i + 1]) |
                      (Load32(p + s.offset[i + 2]) ^ s.header[i + 2]) |
                      (Load32(p + s.offset[i + 3]) ^ s.header[i + 3]);
        }
        if (differ == 0) return &s;
    }
    return nullptr;
}

// Elements whose decode sets exactly their own presence bit whatever their values, and
// which need nothing of the other elements: a list of these alone (with the generic element
// and at most one address family) decodes to the same presence bits every time.
constexpr uint64_t kPlainElements =
    uint64_t{1} << kExGenericFlow | uint64_t{1} << kExIpv4Flow | uint64_t{1} << kExIpv6Flow |
    uint64_t{1} << kExFlowMisc | uint64_t{1} << kExCntFlow | uint64_t{1} << kExVlan |
    uint64_t{1} << kExAsRouting | uint64_t{1} << kExMplsLabel | uint64_t{1} << kExMacAddr |
    uint64_t{1} << kExAsAdjacent | uint64_t{1} << kExLatency | uint64_t{1} << kExObservation |
    uint64_t{1} << kExLayer2 | uint64_t{1} << kExFlowId | uint64_t{1} << kExIpInfo;

// The presence bits of a record decoded from list `s` when they do not depend on its
// values, else 0.
uint64_t PlainPresence(const V3ShapeCache::Shape& s) {
    uint64_t ids = 0;
    for (uint32_t k = 0; k < s.decode_count; ++k) {
        // The header as Load32 read it: the id in the low half, the length in the high.
        const uint32_t header = s.header[s.decode[k]];
        const uint16_t id = static_cast<uint16_t>(header);
        const uint16_t elen = static_cast<uint16_t>(header >> 16);
        if (id >= kExMaxElement || ((kPlainElements >> id) & 1) == 0 ||
            kFixedLength[id] != elen || ((ids >> id) & 1) != 0) {
            return 0;
        }
        ids |= uint64_t{1} << id;
    }
    const uint64_t both = uint64_t{1} << kExIpv4Flow | uint64_t{1} << kExIpv6Flow;
    if ((ids & both) == both || ((ids >> kExGenericFlow) & 1) == 0) return 0;
    return ids;
}

// What FindShape gave for a record, when the caller looked it up already.
struct ShapeLookup {
    bool done = false;
    const V3ShapeCache::Shape* shape = nullptr;
};

// The decoder. kReset: `out` starts from the empty record. Otherwise only the presence bits
// are cleared and every field the record's elements own is overwritten; the caller checks
// that the previous record carried no element this one lacks (see DecodeV3Over).
// Elements outside options.elements are stepped over (ReaderOptions::elements).
// Stepping over an element costs about 30 instructions (bounds, length and mask tests), and
// a record of nfcapd's has six or so. Records of one exporter template carry the same
// elements at the same offsets, so with options.shapes a record found there (its element
// headers compared, four instructions each) decodes only the elements it is read for, at
// the offsets cached; a record not found is walked and its list cached.
template <bool kReset>
Decoded DecodeV3Impl(const uint8_t* p, size_t len, const V3Options& options, FlowRecord* out,
                     ReadCounters* counters, const char** error, ShapeLookup lookup = {}) {
    if (len < kV3HeaderSize) {
        *error = "V3 record shorter than its 12-byte header";
        return Decoded::kCorrupt;
    }
    FlowRecord& r = *out;
    if constexpr (kReset) {
        ResetRecord(&r);
    } else {
        r.present = 0;
    }
    const uint16_t num_elements = Load16(p + 4);
    DecodeRecordHeader(p, r);

    FlowAddresses a;
    V3ShapeCache* cache = options.shapes;
    const V3ShapeCache::Shape* shape =
        lookup.done ? lookup.shape
        : cache != nullptr ? FindShape(*cache, p, len, num_elements, options.elements)
                           : nullptr;
    if (shape != nullptr) {
        DecodeListed(p, *shape, options, r, a, counters);
    } else {
        // The list this walk finds, cached when the record is whole and not too long.
        V3ShapeCache::Shape found;
        const bool caching =
            cache != nullptr && num_elements <= V3ShapeCache::kMaxElements && len <= UINT16_MAX;
        size_t off = kV3HeaderSize;
        for (uint32_t i = 0; i < num_elements; ++i) {
            const size_t left = len - off;
            if (left < kElementHeaderSize) {
                *error = "V3 element header beyond the record end";
                return Decoded::kCorrupt;
            }
            const uint16_t id = Load16(p + off);
            const uint16_t elen = Load16(p + off + 2);
            // One unsigned test for both bounds: a length below the element header (which
            // would keep the walk from advancing) wraps around and fails it too.
            if (static_cast<size_t>(elen) - kElementHeaderSize > left - kElementHeaderSize) {
                *error = elen < kElementHeaderSize ? "V3 element length below 4"
                                                   : "V3 element extends beyond the record end";
                return Decoded::kCorrupt;
            }
            const uint8_t* e = p + off + kElementHeaderSize;
            if (caching) {
                found.offset[i] = static_cast<uint16_t>(off);
                found.header[i] = Load32(p + off);
            }
            off += elen;
            if (SkipElement(id, elen, options)) continue;
            if (caching) found.decode[found.decode_count++] = static_cast<uint8_t>(i);
            DecodeElement(id, elen, e, options, r, a, counters);
        }
        if (caching) {
            for (uint32_t i = num_elements; i % 4 != 0; ++i) {
                found.offset[i] = 0;
                found.header[i] = Load32(p);
            }
            found.elements = options.elements;
            found.size = static_cast<uint16_t>(len);
            found.count = num_elements;
            found.present = PlainPresence(found);
            cache->shapes[cache->next] = found;
            cache->next = (cache->next + 1) % V3ShapeCache::kShapes;
        }
    }
    bool have_v4 = a.have_v4;
    bool have_v6 = a.have_v6;
    const uint32_t v4_src = a.v4_src;
    const uint32_t v4_dst = a.v4_dst;
    const IpAddr& v6_src = a.v6_src;
    const IpAddr& v6_dst = a.v6_dst;

    if (have_v4 && have_v6) {
        // nfdump 1.7.8's rule: the layer-2 IP version decides, else IPv4 unless it is empty.
        bool use_v4 = (v4_src | v4_dst) != 0;
        if (r.Has(kExLayer2) && (r.ip_version == 4 || r.ip_version == 6)) {
            use_v4 = r.ip_version == 4;
        }
        have_v4 = use_v4;
        have_v6 = !use_v4;
    }
    if (have_v4) {
        r.src_addr = IpAddr::V4(v4_src);
        r.dst_addr = IpAddr::V4(v4_dst);
        r.Set(kExIpv4Flow);
    } else if (have_v6) {
        r.src_addr = v6_src;
        r.dst_addr = v6_dst;
        r.Set(kExIpv6Flow);
    }

    // Event records (NSEL/NEL) may carry no flow times: they start at the event time (as
    // nfdump does) and, when no end is stored either, end there too, so the duration is 0
    // rather than a negative wrap.
    if (r.first_ms == 0 && (r.Has(kExNselCommon) || r.Has(kExNatCommon))) {
        r.first_ms = r.event_ms;
        if (r.last_ms == 0) r.last_ms = r.event_ms;
    }
    return Decoded::kFlow;
}

// Gives the fields of element `id` their empty values, except fields an element in
// `present` shares (the two address families of one address, the event time). False for
// the generic element, whose absence changes how the decoder sets the flow times.
bool ClearElement(FlowRecord* out, uint32_t id, uint64_t present) {
    FlowRecord& r = *out;
    auto none_of = [present](ElementId a, ElementId b) {
        return ((present >> a) & 1u) == 0 && ((present >> b) & 1u) == 0;
    };
    switch (id) {
        case kExIpv4Flow:
        case kExIpv6Flow:
            if (none_of(kExIpv4Flow, kExIpv6Flow)) r.src_addr = r.dst_addr = IpAddr();
            return true;
        case kExFlowMisc:
            r.input = r.output = 0;
            r.src_mask = r.dst_mask = r.dir = r.dst_tos = 0;
            r.biflow_dir = r.end_reason = r.rev_tcp_flags = 0;
            return true;
        case kExCntFlow:
            r.flows = 1;
            r.out_packets = r.out_bytes = 0;
            return true;
        case kExVlan:
            r.src_vlan = r.dst_vlan = 0;
            return true;
        case kExAsRouting:
            r.src_as = r.dst_as = 0;
            return true;
        case kExBgpNextHopV4:
        case kExBgpNextHopV6:
            if (none_of(kExBgpNextHopV4, kExBgpNextHopV6)) r.bgp_next_hop = IpAddr();
            return true;
        case kExIpNextHopV4:
        case kExIpNextHopV6:
            if (none_of(kExIpNextHopV4, kExIpNextHopV6)) r.ip_next_hop = IpAddr();
            return true;
        case kExIpReceivedV4:
        case kExIpReceivedV6:
            if (none_of(kExIpReceivedV4, kExIpReceivedV6)) r.received_from = IpAddr();
            return true;
        case kExMplsLabel:
            std::memset(r.mpls, 0, sizeof(r.mpls));
            return true;
        case kExMacAddr:
            r.in_src_mac = r.out_dst_mac = r.in_dst_mac = r.out_src_mac = 0;
            return true;
        case kExAsAdjacent:
            r.next_as = r.prev_as = 0;
            return true;
        case kExLatency:
            r.client_nw_delay_us = r.server_nw_delay_us = r.appl_latency_us = 0;
            return true;
        case kExSamplerInfo:
            r.selector_id = 0;
            return true;
        case kExNselCommon:
            r.conn_id = 0;
            r.fw_xevent = 0;
            r.fw_event = 0;
            if (none_of(kExNselCommon, kExNatCommon)) r.event_ms = 0;
            return true;
        case kExNatXlateIpv4:
        case kExNatXlateIpv6:
            if (none_of(kExNatXlateIpv4, kExNatXlateIpv6)) r.xlate_src = r.xlate_dst = IpAddr();
            return true;
        case kExNatXlatePort:
            r.xlate_src_port = r.xlate_dst_port = 0;
            return true;
        case kExNselAcl:
            std::memset(r.ingress_acl, 0, sizeof(r.ingress_acl));
            std::memset(r.egress_acl, 0, sizeof(r.egress_acl));
            return true;
        case kExNselUser:
            std::memset(r.username, 0, sizeof(r.username));
            return true;
        case kExNatCommon:
            // The VRF ids of the 1.7.0 layout belong to kExVrf, set when they are not 0.
            r.nat_pool_id = 0;
            r.nat_event = 0;
            if (none_of(kExNselCommon, kExNatCommon)) r.event_ms = 0;
            return true;
        case kExNatPortBlock:
            r.block_start = r.block_end = r.block_step = r.block_size = 0;
            return true;
        case kExNbarApp:
            r.nbar_len = 0;
            std::memset(r.nbar_app, 0, sizeof(r.nbar_app));
            return true;
        case kExTunIpv4:
        case kExTunIpv6:
            if (none_of(kExTunIpv4, kExTunIpv6)) {
                r.tun_src = r.tun_dst = IpAddr();
                r.tun_proto = 0;
            }
            return true;
        case kExObservation:
            r.observation_point = 0;
            r.observation_domain = 0;
            return true;
        case kExVrf:
            r.egress_vrf = r.ingress_vrf = 0;
            return true;
        case kExLayer2:
            r.vlan_id = r.customer_vlan_id = r.post_vlan_id = r.post_customer_vlan_id = 0;
            r.phys_ingress = r.phys_egress = 0;
            r.vxlan = 0;
            r.ether_type = 0;
            r.ip_version = 0;
            return true;
        case kExFlowId:
            r.flow_id = 0;
            return true;
        case kExIpInfo:
            r.fragment_flags = r.min_ttl = r.max_ttl = 0;
            return true;
        default:
            return false;  // the generic element, or a bit the decoder never sets
    }
}

}  // namespace

uint64_t V3ElementsNeeded(uint64_t wanted) {
    auto bit = [](ElementId id) { return uint64_t{1} << id; };
    auto pair = [&](ElementId a, ElementId b) {
        if (wanted & (bit(a) | bit(b))) wanted |= bit(a) | bit(b);
    };
    if (wanted & (bit(kExIpv4Flow) | bit(kExIpv6Flow))) wanted |= bit(kExLayer2);
    if (wanted & bit(kExGenericFlow)) wanted |= bit(kExNselCommon) | bit(kExNatCommon);
    if (wanted & bit(kExVrf)) wanted |= bit(kExNatCommon);
    pair(kExIpv4Flow, kExIpv6Flow);
    pair(kExBgpNextHopV4, kExBgpNextHopV6);
    pair(kExIpNextHopV4, kExIpNextHopV6);
    pair(kExIpReceivedV4, kExIpReceivedV6);
    pair(kExNselCommon, kExNatCommon);  // both write the event time
    pair(kExNatXlateIpv4, kExNatXlateIpv6);
    pair(kExTunIpv4, kExTunIpv6);
    return wanted;
}

Decoded DecodeV3(const uint8_t* p, size_t len, const V3Options& options, FlowRecord* out,
                 ReadCounters* counters, const char** error) {
    return DecodeV3Impl<true>(p, len, options, out, counters, error);
}

Decoded DecodeV3Over(const uint8_t* p, size_t len, const V3Options& options, FlowRecord* out,
                     ReadCounters* counters, const char** error) {
    // Every field belongs to an element (the presence bit says which), is written whole
    // when that element is decoded and holds its empty value otherwise. So overwriting the
    // elements this record carries and clearing those only the previous record carried
    // leaves no stale field. The time fixup below the element loop reads first_ms and needs
    // the generic element to have rewritten it; without it the record decodes again from
    // empty, the unknown-element count of the first pass undone.
    ShapeLookup lookup;
    if (options.shapes != nullptr && len >= kV3HeaderSize) {
        lookup.done = true;
        lookup.shape = FindShape(*options.shapes, p, len, Load16(p + 4), options.elements);
        const V3ShapeCache::Shape* s = lookup.shape;
        if (s != nullptr && s->present != 0 && out->present == s->present) {
            // The record has the elements of the last one, which their list decodes to the
            // same presence bits: every field they own is overwritten and no other field
            // is set, with nothing to clear or choose.
            FlowRecord& r = *out;
            DecodeRecordHeader(p, r);
            FlowAddresses a;
            DecodeListed(p, *s, options, r, a, counters);
            if (a.have_v4) {
                r.src_addr = IpAddr::V4(a.v4_src);
                r.dst_addr = IpAddr::V4(a.v4_dst);
            } else if (a.have_v6) {
                r.src_addr = a.v6_src;
                r.dst_addr = a.v6_dst;
            }
            return Decoded::kFlow;
        }
    }
    const uint64_t before = out->present;
    const uint64_t unknown = counters->unknown_elements;
    Decoded d = DecodeV3Impl<false>(p, len, options, out, counters, error, lookup);
    if (d == Decoded::kFlow && out->Has(kExGenericFlow)) {
        // Fields of elements the caller does not read may stay as they are.
        uint64_t stale = before & ~out->present & options.elements;
        bool cleared = true;
        while (stale != 0 && cleared) {
            const int id = __builtin_ctzll(stale);
            stale &= stale - 1;
            cleared = ClearElement(out, static_cast<uint32_t>(id), out->present);
        }
        if (cleared) return d;
    }
    counters->unknown_elements = unknown;
    return DecodeV3Impl<true>(p, len, options, out, counters, error);
}

namespace {

// Elements EncodeV3 can write, in output order: ascending ids, then the exporter address
// last as nfcapd writes it.
constexpr ElementId kEncodeOrder[] = {
    kExGenericFlow, kExIpv4Flow,   kExIpv6Flow,     kExFlowMisc,     kExCntFlow,
    kExVlan,        kExAsRouting,  kExBgpNextHopV4, kExBgpNextHopV6, kExIpNextHopV4,
    kExIpNextHopV6, kExMplsLabel,  kExMacAddr,      kExAsAdjacent,   kExLatency,
    kExSamplerInfo, kExNselCommon, kExNatXlateIpv4, kExNatXlateIpv6, kExNatXlatePort,
    kExNselAcl,     kExNselUser,   kExNatCommon,    kExNatPortBlock, kExNbarApp,
    kExTunIpv4,     kExTunIpv6,    kExObservation,  kExVrf,          kExLayer2,
    kExFlowId,      kExIpInfo,     kExIpReceivedV4, kExIpReceivedV6,
};

// Presence bits of the elements in kEncodeOrder: the writer walks the set bits of a record
// instead of asking for every element in turn (two groups, as the exporter address is last).
constexpr uint64_t EncodeBits() {
    uint64_t bits = 0;
    for (ElementId id : kEncodeOrder) bits |= uint64_t{1} << id;
    return bits;
}
constexpr uint64_t kReceivedBits =
    (uint64_t{1} << kExIpReceivedV4) | (uint64_t{1} << kExIpReceivedV6);
constexpr uint64_t kLeadingBits = EncodeBits() & ~kReceivedBits;
static_assert(kExIpReceivedV4 < kExIpReceivedV6, "the exporter address keeps its order");

// Element lengths as EncodeV3 writes them (the newest layout of each); kExNbarApp varies.
constexpr std::array<uint16_t, kExMaxElement> EncodeLengths() {
    std::array<uint16_t, kExMaxElement> len{};
    for (size_t i = 0; i < len.size(); ++i) len[i] = kFixedLength[i];
    len[kExSamplerInfo] = kLenSampler;
    len[kExNatCommon] = kLenNat;
    return len;
}
constexpr std::array<uint16_t, kExMaxElement> kEncodeLength = EncodeLengths();

uint16_t EncodedLength(const FlowRecord& r, ElementId id) {
    if (id == kExNbarApp) {
        const size_t n = r.nbar_len < sizeof(r.nbar_app) ? r.nbar_len : sizeof(r.nbar_app);
        return static_cast<uint16_t>(kElementHeaderSize + n);
    }
    return kEncodeLength[id];
}

// Clears an element's payload before its fields go in, so padding bytes are zero; the
// length is a constant for each element, so the clearing is a few stores, not a call.
template <ElementId id>
void Pad(uint8_t* e) {
    std::memset(e, 0, kEncodeLength[id] - kElementHeaderSize);
}

void EncodeElement(const FlowRecord& r, ElementId id, uint8_t* e) {
    switch (id) {
        case kExGenericFlow:
            Pad<kExGenericFlow>(e);
            Store64(e, r.first_ms);
            Store64(e + 8, r.last_ms);
            Store64(e + 16, r.received_ms);
            Store64(e + 24, r.packets);
            Store64(e + 32, r.bytes);
            Store16(e + 40, r.src_port);
            Store16(e + 42, r.dst_port);
            e[44] = r.proto;
            e[45] = r.tcp_flags;
            e[46] = r.fwd_status;
            e[47] = r.src_tos;
            break;
        case kExIpv4Flow:
            Pad<kExIpv4Flow>(e);
            Store32(e, r.src_addr.v4());
            Store32(e + 4, r.dst_addr.v4());
            break;
        case kExIpv6Flow:
            Pad<kExIpv6Flow>(e);
            StoreV6(e, r.src_addr);
            StoreV6(e + 16, r.dst_addr);
            break;
        case kExFlowMisc:
            Pad<kExFlowMisc>(e);
            Store32(e, r.input);
            Store32(e + 4, r.output);
            e[8] = r.src_mask;
            e[9] = r.dst_mask;
            e[10] = r.dir;
            e[11] = r.dst_tos;
            e[12] = r.biflow_dir;
            e[13] = r.end_reason;
            e[14] = r.rev_tcp_flags;
            break;
        case kExCntFlow:
            Pad<kExCntFlow>(e);
            Store64(e, r.flows);
            Store64(e + 8, r.out_packets);
            Store64(e + 16, r.out_bytes);
            break;
        case kExVlan:
            Pad<kExVlan>(e);
            Store32(e, r.src_vlan);
            Store32(e + 4, r.dst_vlan);
            break;
        case kExAsRouting:
            Pad<kExAsRouting>(e);
            Store32(e, r.src_as);
            Store32(e + 4, r.dst_as);
            break;
        case kExBgpNextHopV4:
            Pad<kExBgpNextHopV4>(e);
            Store32(e, r.bgp_next_hop.v4());
            break;
        case kExBgpNextHopV6:
            Pad<kExBgpNextHopV6>(e);
            StoreV6(e, r.bgp_next_hop);
            break;
        case kExIpNextHopV4:
            Pad<kExIpNextHopV4>(e);
            Store32(e, r.ip_next_hop.v4());
            break;
        case kExIpNextHopV6:
            Pad<kExIpNextHopV6>(e);
            StoreV6(e, r.ip_next_hop);
            break;
        case kExIpReceivedV4:
            Pad<kExIpReceivedV4>(e);
            Store32(e, r.received_from.v4());
            break;
        case kExIpReceivedV6:
            Pad<kExIpReceivedV6>(e);
            StoreV6(e, r.received_from);
            break;
        case kExMplsLabel:
            Pad<kExMplsLabel>(e);
            for (int k = 0; k < 10; ++k) Store32(e + 4 * k, r.mpls[k]);
            break;
        case kExMacAddr:
            Pad<kExMacAddr>(e);
            Store64(e, r.in_src_mac);
            Store64(e + 8, r.out_dst_mac);
            Store64(e + 16, r.in_dst_mac);
            Store64(e + 24, r.out_src_mac);
            break;
        case kExAsAdjacent:
            Pad<kExAsAdjacent>(e);
            Store32(e, r.next_as);
            Store32(e + 4, r.prev_as);
            break;
        case kExLatency:
            Pad<kExLatency>(e);
            Store64(e, r.client_nw_delay_us);
            Store64(e + 8, r.server_nw_delay_us);
            Store64(e + 16, r.appl_latency_us);
            break;
        case kExSamplerInfo:
            Pad<kExSamplerInfo>(e);
            Store64(e, static_cast<uint64_t>(r.selector_id));
            Store16(e + 8, r.exporter_sysid);
            break;
        case kExNselCommon:
            Pad<kExNselCommon>(e);
            Store64(e, r.event_ms);
            Store32(e + 8, r.conn_id);
            Store16(e + 12, r.fw_xevent);
            e[14] = r.fw_event;
            break;
        case kExNatXlateIpv4:
            Pad<kExNatXlateIpv4>(e);
            Store32(e, r.xlate_src.v4());
            Store32(e + 4, r.xlate_dst.v4());
            break;
        case kExNatXlateIpv6:
            Pad<kExNatXlateIpv6>(e);
            StoreV6(e, r.xlate_src);
            StoreV6(e + 16, r.xlate_dst);
            break;
        case kExNatXlatePort:
            Pad<kExNatXlatePort>(e);
            Store16(e, r.xlate_src_port);
            Store16(e + 2, r.xlate_dst_port);
            break;
        case kExNselAcl:
            Pad<kExNselAcl>(e);
            for (int k = 0; k < 3; ++k) Store32Be(e + 4 * k, r.ingress_acl[k]);
            for (int k = 0; k < 3; ++k) Store32Be(e + 12 + 4 * k, r.egress_acl[k]);
            break;
        case kExNselUser:
            Pad<kExNselUser>(e);
            std::memcpy(e, r.username, kUserNameBytes);
            e[kUserNameBytes - 1] = 0;
            break;
        case kExNatCommon:
            Pad<kExNatCommon>(e);
            Store64(e, r.event_ms);
            Store32(e + 8, r.nat_pool_id);
            e[12] = r.nat_event;
            break;
        case kExNatPortBlock:
            Pad<kExNatPortBlock>(e);
            Store16(e, r.block_start);
            Store16(e + 2, r.block_end);
            Store16(e + 4, r.block_step);
            Store16(e + 6, r.block_size);
            break;
        case kExNbarApp:
            std::memcpy(e, r.nbar_app, EncodedLength(r, id) - kElementHeaderSize);
            break;
        case kExTunIpv4:
            Pad<kExTunIpv4>(e);
            Store32(e, r.tun_src.v4());
            Store32(e + 4, r.tun_dst.v4());
            Store32(e + 8, r.tun_proto);
            break;
        case kExTunIpv6:
            Pad<kExTunIpv6>(e);
            StoreV6(e, r.tun_src);
            StoreV6(e + 16, r.tun_dst);
            Store32(e + 32, r.tun_proto);
            break;
        case kExObservation:
            Pad<kExObservation>(e);
            Store64(e, r.observation_point);
            Store32(e + 8, r.observation_domain);
            break;
        case kExVrf:
            Pad<kExVrf>(e);
            Store32(e, r.egress_vrf);
            Store32(e + 4, r.ingress_vrf);
            break;
        case kExLayer2:
            Pad<kExLayer2>(e);
            Store16(e, r.vlan_id);
            Store16(e + 2, r.customer_vlan_id);
            Store16(e + 4, r.post_vlan_id);
            Store16(e + 6, r.post_customer_vlan_id);
            Store32(e + 8, r.phys_ingress);
            Store32(e + 12, r.phys_egress);
            Store64(e + 16, r.vxlan);
            Store16(e + 24, r.ether_type);
            e[26] = r.ip_version;
            break;
        case kExFlowId:
            Pad<kExFlowId>(e);
            Store64(e, r.flow_id);
            break;
        case kExIpInfo:
            Pad<kExIpInfo>(e);
            e[1] = r.fragment_flags;
            e[2] = r.min_ttl;
            e[3] = r.max_ttl;
            break;
        default:
            break;
    }
}

}  // namespace

size_t V3Size(const FlowRecord& rec) {
    size_t size = kV3HeaderSize;
    for (uint64_t m = rec.present & EncodeBits(); m != 0; m &= m - 1) {
        size += EncodedLength(rec, static_cast<ElementId>(std::countr_zero(m)));
    }
    return size;
}

size_t EncodeV3(const FlowRecord& rec, uint8_t* out) {
    size_t off = kV3HeaderSize;
    uint16_t count = 0;
    auto put = [&](uint64_t bits) {
        for (uint64_t m = bits; m != 0; m &= m - 1) {
            const auto id = static_cast<ElementId>(std::countr_zero(m));
            const uint16_t elen = EncodedLength(rec, id);
            Store16(out + off, id);
            Store16(out + off + 2, elen);
            // Padding bytes must be zero: EncodeElement clears the payload first.
            EncodeElement(rec, id, out + off + kElementHeaderSize);
            off += elen;
            ++count;
        }
    };
    put(rec.present & kLeadingBits);
    put(rec.present & kReceivedBits);
    Store16(out, kRecV3);
    Store16(out + 2, static_cast<uint16_t>(off));
    Store16(out + 4, count);
    out[6] = rec.engine_type;
    out[7] = rec.engine_id;
    Store16(out + 8, rec.exporter_sysid);
    out[10] = rec.flags;
    out[11] = rec.nfversion;
    return off;
}

}  // namespace flow::nffile
