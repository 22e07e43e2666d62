// SPDX-License-Identifier: BSD-2-Clause
// V3 flow records (record type 11) of layout 2 files: spec nffile-format.md §2.6, element
// catalogue and version variants. Elements are decoded by (id, length) so that every layout
// nfdump 1.7.0 ... 1.7.8 wrote is accepted; unknown ones are skipped by length.
#include <array>
#include <bit>
#include <cstring>

#include "nffile/layout.h"
#include "nffile/records.h"
#include "nffile/v3_decode.h"

namespace flow::nffile {

namespace v3 {

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

}  // namespace v3

using namespace v3;

namespace {

void StoreV6(uint8_t* p, const IpAddr& a) {
    Store64(p, a.hi);
    Store64(p + 8, a.lo);
}


// The elements a list may decode for its records to decode to the same presence bits every
// time: the listed ones, and at most one flow address family.
constexpr uint64_t kPlainElements =
    kListedElements | uint64_t{1} << kExIpv4Flow | uint64_t{1} << kExIpv6Flow;

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

// Fills the fast path's lists of `s`, whose `present` is set (PlainPresence).
void ListPlain(V3ShapeCache::Shape* s) {
    s->listed_count = 0;
    s->family = 0;
    for (uint32_t k = 0; k < s->decode_count; ++k) {
        const uint8_t i = s->decode[k];
        const uint16_t id = static_cast<uint16_t>(s->header[i]);
        const uint16_t at = static_cast<uint16_t>(s->offset[i] + kElementHeaderSize);
        if (id == kExGenericFlow) {
            s->generic_at = at;
        } else if (id == kExIpv4Flow || id == kExIpv6Flow) {
            s->family = id == kExIpv4Flow ? 4 : 6;
            s->address_at = at;
        } else {
            s->listed_id[s->listed_count] = static_cast<uint8_t>(id);
            s->listed_at[s->listed_count++] = at;
        }
    }
    constexpr uint64_t kFamilies = uint64_t{1} << kExIpv4Flow | uint64_t{1} << kExIpv6Flow;
    s->present_flipped = s->family != 0 ? s->present ^ kFamilies : s->present;
}

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
[[gnu::always_inline]] inline Decoded DecodeV3Impl(const uint8_t* p, size_t len,
                                                  const V3Options& options, FlowRecord* out,
                                                  ReadCounters* counters, const char** error,
                                                  ShapeLookup lookup = {}) {
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
    if (cache != nullptr && !cache->Serves(options.elements)) {
        *cache = V3ShapeCache{};
        cache->elements = options.elements;
    }
    const V3ShapeCache::Shape* shape =
        lookup.done ? lookup.shape
        : cache != nullptr ? FindShape(*cache, p, SizeCount(len, num_elements))
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
        if (off != len) {
            // Bytes no element holds: the record's size or element count is wrong, and
            // which one is unknown (nfdump refuses such a record too).
            *error = "V3 record longer than its elements";
            return Decoded::kCorrupt;
        }
        if (caching) {
            for (uint32_t i = num_elements; i < 4 || i % 4 != 0; ++i) {
                found.offset[i] = 0;
                found.header[i] = Load32(p);
            }
            found.size_count = SizeCount(len, num_elements);
            found.present = PlainPresence(found);
            if (found.present != 0) ListPlain(&found);
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
    if (DecodeV3Listed(p, len, options, out, &lookup)) return Decoded::kFlow;
    return DecodeV3Rest(p, len, options, out, counters, error, lookup);
}

Decoded v3::DecodeV3Rest(const uint8_t* p, size_t len, const V3Options& options,
                         FlowRecord* out, ReadCounters* counters, const char** error,
                         const ShapeLookup& lookup) {
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
