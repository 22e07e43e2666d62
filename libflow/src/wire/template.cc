// SPDX-License-Identifier: BSD-2-Clause
// Template compilation: maps NetFlow v9 field types (RFC 3954 §8) and IPFIX information
// elements (RFC 7012 §4, IANA registry) onto FlowRecord the way nfcapd 1.7 does (spec
// nffile-format §3.3/§3.4), restricted to the elements nfdump 1.7.1 knows (ids < 37).
#include "wire/template.h"

#include <array>
#include <cstddef>

namespace flow::wire::detail {

namespace {

enum class TargetKind : uint8_t {
    kNone,   // not understood: skipped by length
    kUInt,   // unsigned integer member
    kIpv4,   // IpAddr member, 4-byte address
    kIpv6,   // IpAddr member, 16-byte address
    kSlot,   // scratch slot
    kBytes,  // char array member
    kAcl,    // three u32 ACL ids (NSEL)
};

struct Target {
    TargetKind kind = TargetKind::kNone;
    uint8_t element = 0;  // ElementId marked present; 0 for none
    uint16_t offset = 0;  // member offset, or Slot for kSlot
    uint8_t width = 0;    // member width (kUInt) or capacity (kBytes)
    uint16_t aux = kNoAux;
};

constexpr Target UInt(ElementId e, size_t offset, size_t width) {
    return {TargetKind::kUInt, e, static_cast<uint16_t>(offset), static_cast<uint8_t>(width)};
}

constexpr Target Ip4(ElementId e, size_t offset) {
    return {TargetKind::kIpv4, e, static_cast<uint16_t>(offset), 8};
}

constexpr Target Ip6(ElementId e, size_t offset) {
    return {TargetKind::kIpv6, e, static_cast<uint16_t>(offset), 8};
}

// `e` is the element the field implies even though it goes to scratch first (times and ICMP
// type/code live in EXgenericFlow).
constexpr Target ToSlot(Slot slot, ElementId e = static_cast<ElementId>(0)) {
    return {TargetKind::kSlot, e, slot, 8};
}

// Field types both NetFlow v9 and IPFIX give the same meaning.
Target MapCommon(uint16_t id) {
    switch (id) {
        case 1:   // IN_BYTES / octetDeltaCount
        case 85:  // octetTotalCount
            return UInt(kExGenericFlow, offsetof(FlowRecord, bytes), 8);
        case 2:    // IN_PKTS / packetDeltaCount
        case 86:   // packetTotalCount
        case 298:  // initiatorPackets
            return UInt(kExGenericFlow, offsetof(FlowRecord, packets), 8);
        case 3:
            return UInt(kExCntFlow, offsetof(FlowRecord, flows), 8);
        case 4:
            return UInt(kExGenericFlow, offsetof(FlowRecord, proto), 1);
        case 5:
            return UInt(kExGenericFlow, offsetof(FlowRecord, src_tos), 1);
        case 6:  // IPFIX may send 2 bytes; the classic flags are the low byte
            return UInt(kExGenericFlow, offsetof(FlowRecord, tcp_flags), 1);
        case 7:
            return UInt(kExGenericFlow, offsetof(FlowRecord, src_port), 2);
        case 8:
            return Ip4(kExIpv4Flow, offsetof(FlowRecord, src_addr));
        case 9:
        case 29:
            return UInt(kExFlowMisc, offsetof(FlowRecord, src_mask), 1);
        case 10:
            return UInt(kExFlowMisc, offsetof(FlowRecord, input), 4);
        case 11:
            return UInt(kExGenericFlow, offsetof(FlowRecord, dst_port), 2);
        case 12:
            return Ip4(kExIpv4Flow, offsetof(FlowRecord, dst_addr));
        case 13:
        case 30:
            return UInt(kExFlowMisc, offsetof(FlowRecord, dst_mask), 1);
        case 14:
            return UInt(kExFlowMisc, offsetof(FlowRecord, output), 4);
        case 15:
            return Ip4(kExIpNextHopV4, offsetof(FlowRecord, ip_next_hop));
        case 16:
            return UInt(kExAsRouting, offsetof(FlowRecord, src_as), 4);
        case 17:
            return UInt(kExAsRouting, offsetof(FlowRecord, dst_as), 4);
        case 18:
            return Ip4(kExBgpNextHopV4, offsetof(FlowRecord, bgp_next_hop));
        case 21:
            return ToSlot(kSlotLastUptime, kExGenericFlow);
        case 22:
            return ToSlot(kSlotFirstUptime, kExGenericFlow);
        case 23:   // OUT_BYTES / postOctetDeltaCount
        case 171:  // postOctetTotalCount
            return UInt(kExCntFlow, offsetof(FlowRecord, out_bytes), 8);
        case 24:   // OUT_PKTS / postPacketDeltaCount
        case 172:  // postPacketTotalCount
        case 299:  // responderPackets
            return UInt(kExCntFlow, offsetof(FlowRecord, out_packets), 8);
        case 27:
            return Ip6(kExIpv6Flow, offsetof(FlowRecord, src_addr));
        case 28:
            return Ip6(kExIpv6Flow, offsetof(FlowRecord, dst_addr));
        case 32:   // ICMP_TYPE: type << 8 | code
        case 139:  // icmpTypeCodeIPv6
            return ToSlot(kSlotIcmpTypeCode, kExGenericFlow);
        case 34:
            return ToSlot(kSlotSamplingInterval);
        case 35:
            return ToSlot(kSlotSamplingAlgorithm);
        case 38:
            return ToSlot(kSlotEngineType);
        case 39:
            return ToSlot(kSlotEngineId);
        case 48:
        case 302:
            return ToSlot(kSlotSamplerId);
        case 55:
            return UInt(kExFlowMisc, offsetof(FlowRecord, dst_tos), 1);
        case 56:
            return UInt(kExMacAddr, offsetof(FlowRecord, in_src_mac), 8);
        case 57:
            return UInt(kExMacAddr, offsetof(FlowRecord, out_dst_mac), 8);
        case 58:
            return UInt(kExVlan, offsetof(FlowRecord, src_vlan), 4);
        case 59:  // 1.7.1 stores it correctly (1.7.5+ writes it into srcVlan)
            return UInt(kExVlan, offsetof(FlowRecord, dst_vlan), 4);
        case 61:
            return UInt(kExFlowMisc, offsetof(FlowRecord, dir), 1);
        case 62:
            return Ip6(kExIpNextHopV6, offsetof(FlowRecord, ip_next_hop));
        case 63:
            return Ip6(kExBgpNextHopV6, offsetof(FlowRecord, bgp_next_hop));
        case 80:
            return UInt(kExMacAddr, offsetof(FlowRecord, in_dst_mac), 8);
        case 81:
            return UInt(kExMacAddr, offsetof(FlowRecord, out_src_mac), 8);
        case 89:
            return UInt(kExGenericFlow, offsetof(FlowRecord, fwd_status), 1);
        case 95:
            return {TargetKind::kBytes, kExNbarApp, offsetof(FlowRecord, nbar_app),
                    sizeof(FlowRecord::nbar_app), offsetof(FlowRecord, nbar_len)};
        case 136:
            return UInt(kExFlowMisc, offsetof(FlowRecord, end_reason), 1);
        case 150:
            return ToSlot(kSlotFirstSec, kExGenericFlow);
        case 151:
            return ToSlot(kSlotLastSec, kExGenericFlow);
        case 152:
            return ToSlot(kSlotFirstMs, kExGenericFlow);
        case 153:
            return ToSlot(kSlotLastMs, kExGenericFlow);
        case 154:
            return ToSlot(kSlotFirstUs, kExGenericFlow);
        case 155:
            return ToSlot(kSlotLastUs, kExGenericFlow);
        case 156:
            return ToSlot(kSlotFirstNs, kExGenericFlow);
        case 157:
            return ToSlot(kSlotLastNs, kExGenericFlow);
        case 160:
            return ToSlot(kSlotSysInitMs);
        case 176:  // icmpTypeIPv4
        case 178:  // icmpTypeIPv6
            return ToSlot(kSlotIcmpType, kExGenericFlow);
        case 177:
        case 179:
            return ToSlot(kSlotIcmpCode, kExGenericFlow);
        case 225:
            return Ip4(kExNatXlateIpv4, offsetof(FlowRecord, xlate_src));
        case 226:
            return Ip4(kExNatXlateIpv4, offsetof(FlowRecord, xlate_dst));
        case 227:
            return UInt(kExNatXlatePort, offsetof(FlowRecord, xlate_src_port), 2);
        case 228:
            return UInt(kExNatXlatePort, offsetof(FlowRecord, xlate_dst_port), 2);
        case 230:
            return UInt(kExNatCommon, offsetof(FlowRecord, nat_event), 1);
        case 234:
            return UInt(kExVrf, offsetof(FlowRecord, ingress_vrf), 4);
        case 235:
            return UInt(kExVrf, offsetof(FlowRecord, egress_vrf), 4);
        case 283:
            return UInt(kExNatCommon, offsetof(FlowRecord, nat_pool_id), 4);
        case 323:
            return ToSlot(kSlotEventTimeMs);
        case 361:
            return UInt(kExNatPortBlock, offsetof(FlowRecord, block_start), 2);
        case 362:
            return UInt(kExNatPortBlock, offsetof(FlowRecord, block_end), 2);
        case 363:
            return UInt(kExNatPortBlock, offsetof(FlowRecord, block_step), 2);
        case 364:
            return UInt(kExNatPortBlock, offsetof(FlowRecord, block_size), 2);
        default:
            break;
    }
    if (id >= 70 && id <= 79) {
        return UInt(kExMplsLabel, offsetof(FlowRecord, mpls) + 4 * (id - 70), 4);
    }
    return {};
}

// NetFlow v9 only: Cisco ASA NSEL, NEL and nprobe ids, which IPFIX either numbers
// differently or carries as enterprise elements.
Target MapV9(uint16_t id) {
    switch (id) {
        case 128:
            return UInt(kExAsAdjacent, offsetof(FlowRecord, next_as), 4);
        case 129:
            return UInt(kExAsAdjacent, offsetof(FlowRecord, prev_as), 4);
        case 148:  // NSEL connection id (IPFIX: flowId, an element 1.7.1 lacks)
            return UInt(kExNselCommon, offsetof(FlowRecord, conn_id), 4);
        case 231:  // ASA forward bytes
            return UInt(kExGenericFlow, offsetof(FlowRecord, bytes), 8);
        case 232:  // ASA reverse bytes
            return UInt(kExCntFlow, offsetof(FlowRecord, out_bytes), 8);
        case 233:
        case 40005:
            return UInt(kExNselCommon, offsetof(FlowRecord, fw_event), 1);
        case 243:  // dot1qVlanId: 1.7.1 has no EXlayer2 and stores it as the source VLAN
            return UInt(kExVlan, offsetof(FlowRecord, src_vlan), 4);
        case 281:
            return Ip6(kExNatXlateIpv6, offsetof(FlowRecord, xlate_src));
        case 282:
            return Ip6(kExNatXlateIpv6, offsetof(FlowRecord, xlate_dst));
        case 33000:
            return {TargetKind::kAcl, kExNselAcl, offsetof(FlowRecord, ingress_acl), 4};
        case 33001:
            return {TargetKind::kAcl, kExNselAcl, offsetof(FlowRecord, egress_acl), 4};
        case 33002:
            return UInt(kExNselCommon, offsetof(FlowRecord, fw_xevent), 2);
        case 40000:
            return {TargetKind::kBytes, kExNselUser, offsetof(FlowRecord, username),
                    sizeof(FlowRecord::username) - 1, kNoAux};
        case 40001:
            return Ip4(kExNatXlateIpv4, offsetof(FlowRecord, xlate_src));
        case 40002:
            return Ip4(kExNatXlateIpv4, offsetof(FlowRecord, xlate_dst));
        case 40003:
            return UInt(kExNatXlatePort, offsetof(FlowRecord, xlate_src_port), 2);
        case 40004:
            return UInt(kExNatXlatePort, offsetof(FlowRecord, xlate_dst_port), 2);
        case 57554:  // nprobe client network delay, seconds
            return ToSlot(kSlotClientDelaySec, kExLatency);
        case 57555:  // ... microseconds
            return UInt(kExLatency, offsetof(FlowRecord, client_nw_delay_us), 8);
        case 57556:
            return ToSlot(kSlotServerDelaySec, kExLatency);
        case 57557:
            return UInt(kExLatency, offsetof(FlowRecord, server_nw_delay_us), 8);
        case 57558:
            return ToSlot(kSlotApplLatencySec, kExLatency);
        case 57559:
            return UInt(kExLatency, offsetof(FlowRecord, appl_latency_us), 8);
        default:
            return MapCommon(id);
    }
}

// IPFIX (RFC 7012 / IANA) elements that differ from v9, and enterprise elements.
Target MapIpfix(uint16_t id, uint32_t pen) {
    if (pen == kPenReverse) {
        // RFC 5103 reverse counters become the out direction.
        switch (id) {
            case 1:
            case 85:
                return UInt(kExCntFlow, offsetof(FlowRecord, out_bytes), 8);
            case 2:
            case 86:
                return UInt(kExCntFlow, offsetof(FlowRecord, out_packets), 8);
            default:
                return {};
        }
    }
    if (pen == 9) {
        // Cisco: client/server address and server port of application visibility.
        // TODO: Cisco 8337/8338 (client/server bytes) are skipped; nfdump 1.7.8 maps them.
        switch (id) {
            case 12236:
                return Ip4(kExIpv4Flow, offsetof(FlowRecord, src_addr));
            case 12237:
                return Ip4(kExIpv4Flow, offsetof(FlowRecord, dst_addr));
            case 12241:
                return UInt(kExGenericFlow, offsetof(FlowRecord, dst_port), 2);
            default:
                return {};
        }
    }
    if (pen != 0) return {};
    switch (id) {
        case 138:
            return UInt(kExObservation, offsetof(FlowRecord, observation_point), 8);
        case 149:
            return UInt(kExObservation, offsetof(FlowRecord, observation_domain), 4);
        case 158:
            return ToSlot(kSlotFirstDeltaUs, kExGenericFlow);
        case 159:
            return ToSlot(kSlotLastDeltaUs, kExGenericFlow);
        case 161:
            return ToSlot(kSlotDurationMs, kExGenericFlow);
        case 180:  // udpSourcePort
        case 182:  // tcpSourcePort
            return UInt(kExGenericFlow, offsetof(FlowRecord, src_port), 2);
        case 181:
        case 183:
            return UInt(kExGenericFlow, offsetof(FlowRecord, dst_port), 2);
        case 278:  // connectionCountNew
            return UInt(kExCntFlow, offsetof(FlowRecord, flows), 8);
        default:
            return MapCommon(id);
    }
}

Target Lookup(Protocol protocol, const FieldSpec& f) {
    if (protocol == Protocol::kIpfix) return MapIpfix(f.id, f.pen);
    return MapV9(f.id);
}

// Appends ops, merging consecutive fixed-length skips so unused fields cost one bounds check.
class OpBuilder {
public:
    explicit OpBuilder(CompiledTemplate* t) : t_(t) {}

    void Skip(uint16_t length) {
        if (length == 0) return;
        t_->min_record_length += length == kVarLength ? 1 : length;
        if (length == kVarLength) {
            t_->variable = true;
            t_->ops.push_back({OpKind::kSkip, 0, kVarLength, 0, kNoAux});
            return;
        }
        if (!t_->ops.empty()) {
            FieldOp& last = t_->ops.back();
            if (last.kind == OpKind::kSkip && last.length != kVarLength &&
                size_t{last.length} + length < kVarLength) {
                last.length = static_cast<uint16_t>(last.length + length);
                return;
            }
        }
        t_->ops.push_back({OpKind::kSkip, 0, length, 0, kNoAux});
    }

    void Add(OpKind kind, uint16_t length, uint16_t dst, uint8_t width, uint16_t aux = kNoAux) {
        if (length == 0) return;
        t_->min_record_length += length == kVarLength ? 1 : length;
        if (length == kVarLength) t_->variable = true;
        t_->ops.push_back({kind, width, length, dst, aux});
    }

private:
    CompiledTemplate* t_;
};

// Sets t->grouped and its moves when no two fixed ops write the same byte of FlowRecord or
// the same scratch slot (see CompiledTemplate::grouped). Templates that send one element
// twice (#1 and #85 both into bytes) keep the ordered path, where the last one wins.
void Group(CompiledTemplate* t) {
    t->grouped = false;
    t->moves.clear();
    t->other_ops.clear();
    std::array<bool, sizeof(FlowRecord)> written{};
    uint64_t slots = 0;
    auto claim = [&](size_t at, size_t n) {
        if (at + n > written.size()) return false;
        for (size_t i = at; i < at + n; ++i) {
            if (written[i]) return false;
            written[i] = true;
        }
        return true;
    };
    auto claim_slot = [&](size_t slot) {
        const uint64_t bit = uint64_t{1} << slot;
        if ((slots & bit) != 0) return false;
        slots |= bit;
        return true;
    };
    for (const FixedOp& f : t->fixed_ops) {
        bool ok = true;
        if (f.kind == FixedKind::kScratch32) {
            ok = claim_slot(f.dst);
        } else if (f.kind != FixedKind::kOther) {
            ok = claim(f.dst, MemberWidth(f.kind));
        } else {
            switch (f.op.kind) {
                case OpKind::kStore:
                    ok = claim(f.op.dst, f.op.width);
                    break;
                case OpKind::kScratch:
                    ok = claim_slot(f.op.dst);
                    break;
                case OpKind::kBytes:
                    ok = claim(f.op.dst, f.op.width) && (f.op.aux == kNoAux || claim(f.op.aux, 1));
                    break;
                default:  // a list writes whatever its templates hold
                    ok = false;
                    break;
            }
        }
        if (!ok) return;
    }
    for (size_t k = 0; k < kFixedKindCount; ++k) {
        for (const FixedOp& f : t->fixed_ops) {
            if (static_cast<size_t>(f.kind) == k) t->moves.push_back({f.offset, f.dst});
        }
        t->moves_end[k] = static_cast<uint16_t>(t->moves.size());
    }
    for (const FixedOp& f : t->fixed_ops) {
        if (f.kind == FixedKind::kOther) t->other_ops.push_back(f);
    }
    t->grouped = true;
}

// Fills t->fixed_ops when every field has a fixed length (see FixedOp).
void BuildFixedOps(CompiledTemplate* t) {
    t->fixed_ops.clear();
    if (t->variable) return;
    size_t offset = 0;
    for (const FieldOp& op : t->ops) {
        const size_t at = offset;
        offset += op.length;
        if (op.kind == OpKind::kSkip) continue;
        FixedOp f;
        f.offset = static_cast<uint16_t>(at);
        f.dst = op.dst;
        f.op = op;
        if (op.kind == OpKind::kStore) {
            if (op.length == 1 && op.width == 1) f.kind = FixedKind::kU8;
            if (op.length == 2 && op.width == 2) f.kind = FixedKind::kU16;
            if (op.length == 4 && op.width == 4) f.kind = FixedKind::kU32;
            if (op.length == 8 && op.width == 8) f.kind = FixedKind::kU64;
            if (op.length == 2 && op.width == 4) f.kind = FixedKind::kU16To32;
            if (op.length == 4 && op.width == 8) f.kind = FixedKind::kU32To64;
        }
        if (op.kind == OpKind::kScratch && op.length == 4) f.kind = FixedKind::kScratch32;
        t->fixed_ops.push_back(f);
    }
    Group(t);
}

bool IsListField(Protocol protocol, const FieldSpec& f) {
    return protocol == Protocol::kIpfix && f.pen == 0 && (f.id == 292 || f.id == 293);
}

bool IsIcmpField(const FieldSpec& f) {
    return f.pen == 0 && (f.id == 32 || f.id == 139 || (f.id >= 176 && f.id <= 179));
}

}  // namespace

bool CompileDataTemplate(Protocol protocol, uint16_t id, std::span<const FieldSpec> fields,
                         CompiledTemplate* out) {
    CompiledTemplate t;
    t.id = id;
    t.field_count = static_cast<uint16_t>(fields.size());
    t.fields.assign(fields.begin(), fields.end());

    // An exporter that sends both address families in one template gets its IPv6 addresses
    // parked in scratch; which family the record keeps is decided per record.
    uint64_t v4_elements = 0;
    uint64_t v6_elements = 0;
    for (const FieldSpec& f : fields) {
        const Target tg = Lookup(protocol, f);
        if (tg.kind == TargetKind::kIpv4 && f.length == 4) v4_elements |= uint64_t{1} << tg.element;
        if (tg.kind == TargetKind::kIpv6 && f.length == 16)
            v6_elements |= uint64_t{1} << tg.element;
        t.has_icmp_field |= IsIcmpField(f);
    }
    auto both = [&](ElementId v4, ElementId v6) {
        return ((v4_elements >> v4) & 1u) != 0 && ((v6_elements >> v6) & 1u) != 0;
    };
    t.both_families = both(kExIpv4Flow, kExIpv6Flow);
    t.both_next_hops = both(kExIpNextHopV4, kExIpNextHopV6);
    t.both_bgp_next_hops = both(kExBgpNextHopV4, kExBgpNextHopV6);
    // Elements whose family is decided per record; their presence bits are set then.
    uint64_t deferred = 0;
    if (t.both_families) deferred |= (uint64_t{1} << kExIpv4Flow) | (uint64_t{1} << kExIpv6Flow);
    if (t.both_next_hops) {
        deferred |= (uint64_t{1} << kExIpNextHopV4) | (uint64_t{1} << kExIpNextHopV6);
    }
    if (t.both_bgp_next_hops) {
        deferred |= (uint64_t{1} << kExBgpNextHopV4) | (uint64_t{1} << kExBgpNextHopV6);
    }

    OpBuilder ops(&t);
    for (const FieldSpec& f : fields) {
        const Target tg = Lookup(protocol, f);
        if (IsListField(protocol, f)) {
            ops.Add(OpKind::kSubList, f.length, f.id == 293 ? 1 : 0, 0);
            continue;
        }
        bool used = true;
        switch (tg.kind) {
            case TargetKind::kNone:
                used = false;
                break;
            case TargetKind::kUInt:
                ops.Add(OpKind::kStore, f.length, tg.offset, tg.width);
                break;
            case TargetKind::kSlot:
                ops.Add(OpKind::kScratch, f.length, tg.offset, 8);
                break;
            case TargetKind::kBytes:
                ops.Add(OpKind::kBytes, f.length, tg.offset, tg.width, tg.aux);
                break;
            case TargetKind::kIpv4:
                if (f.length != 4) {
                    used = false;
                    break;
                }
                ops.Add(OpKind::kStore, 4, tg.offset + offsetof(IpAddr, lo), 8);
                break;
            case TargetKind::kIpv6:
                if (f.length != 16) {
                    used = false;
                } else if ((deferred >> tg.element) & 1u) {
                    // Parked in scratch; FinishFlow picks the family per record.
                    Slot hi = kSlotSrc6Hi;
                    if (tg.offset == offsetof(FlowRecord, dst_addr)) hi = kSlotDst6Hi;
                    if (tg.element == kExIpNextHopV6) hi = kSlotIpNextHop6Hi;
                    if (tg.element == kExBgpNextHopV6) hi = kSlotBgpNextHop6Hi;
                    ops.Add(OpKind::kScratch, 8, hi, 8);
                    ops.Add(OpKind::kScratch, 8, static_cast<uint16_t>(hi + 1), 8);
                } else {
                    ops.Add(OpKind::kStore, 8, tg.offset + offsetof(IpAddr, hi), 8);
                    ops.Add(OpKind::kStore, 8, tg.offset + offsetof(IpAddr, lo), 8);
                }
                break;
            case TargetKind::kAcl:
                if (f.length == 12) {
                    for (int i = 0; i < 3; ++i) {
                        ops.Add(OpKind::kStore, 4, static_cast<uint16_t>(tg.offset + 4 * i), 4);
                    }
                } else if (f.length == 4) {
                    ops.Add(OpKind::kStore, 4, tg.offset, 4);
                } else {
                    used = false;
                }
                break;
        }
        if (!used) {
            ops.Skip(f.length);
            continue;
        }
        if (tg.element != 0 && ((deferred >> tg.element) & 1u) == 0) {
            t.present |= uint64_t{1} << tg.element;
        }
    }
    if (t.min_record_length == 0) return false;
    t.yields_flows = t.present != 0 || deferred != 0;
    BuildFixedOps(&t);
    *out = std::move(t);
    return true;
}

void RunList(bool multi, const uint8_t* p, size_t len, FlowRecord* record, Scratch* scratch,
             const TemplateMap* templates, int depth) {
    // RFC 6313 §4.5.2/§4.5.3: a semantic byte, then (multi) repeated template id + length +
    // records, or (single) one template id followed by its records.
    ByteReader r(p, len);
    uint8_t semantic = 0;
    if (!r.U8(&semantic)) return;
    while (!r.empty()) {
        uint16_t id = 0;
        ByteReader records;
        if (multi) {
            uint16_t length = 0;
            if (!r.U16(&id) || !r.U16(&length) || length < 4 || !r.Sub(length - 4u, &records)) {
                return;
            }
        } else {
            if (!r.U16(&id)) return;
            records = r;
            (void)r.Skip(r.remaining());
        }
        auto it = templates->find(id);
        if (it == templates->end() || it->second.is_options) continue;
        const CompiledTemplate& t = it->second;
        while (records.remaining() >= t.min_record_length) {
            if (!RunTemplate(t, &records, record, scratch, templates, depth)) break;
            record->present |= t.present;
        }
    }
}

// TODO: option data naming NBAR applications (#95/#96/#94), interfaces (#10/#83) and VRFs
// (#234/#236) is only counted (option_records); nfcapd turns it into array records of the
// file, so flowdump cannot show those names for our files yet.
bool CompileOptionsTemplate(uint16_t id, std::span<const FieldSpec> fields, size_t scope_count,
                            CompiledTemplate* out) {
    CompiledTemplate t;
    t.id = id;
    t.is_options = true;
    t.field_count = static_cast<uint16_t>(fields.size());
    t.fields.assign(fields.begin(), fields.end());
    t.scope_count = scope_count;
    OpBuilder ops(&t);
    for (size_t i = 0; i < fields.size(); ++i) {
        const FieldSpec& f = fields[i];
        // Scope fields of v9 carry scope types (1 = system, 2 = interface ...), not field
        // types, so they must never be looked up as elements.
        int slot = -1;
        if (i >= scope_count && f.pen == 0) {
            switch (f.id) {
                case 34:
                    slot = kSlotSamplingInterval;
                    break;
                case 35:
                case 49:
                case 304:
                    slot = kSlotSamplingAlgorithm;
                    break;
                case 48:
                case 302:
                    slot = kSlotSamplerId;
                    break;
                case 50:
                    slot = kSlotSamplerRandom;
                    break;
                case 305:
                    slot = kSlotPacketInterval;
                    break;
                case 306:
                    slot = kSlotSpaceInterval;
                    break;
                case 160:
                    slot = kSlotSysInitMs;
                    break;
                default:
                    break;
            }
        }
        if (slot < 0 || f.length == kVarLength) {
            ops.Skip(f.length);
        } else {
            ops.Add(OpKind::kScratch, f.length, static_cast<uint16_t>(slot), 8);
        }
    }
    if (t.min_record_length == 0) return false;
    BuildFixedOps(&t);
    *out = std::move(t);
    return true;
}

}  // namespace flow::wire::detail
