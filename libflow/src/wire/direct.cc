// SPDX-License-Identifier: BSD-2-Clause
// CompileDirect: a grouped data template turned into a DirectPlan, whose records are written
// straight into nfdump V3 records (Decoder::DecodeEncoded). Where each field lands in the
// V3 record is not written down a second time here: it is found by encoding marked
// FlowRecords with EncodeV3, so the plan follows the encoder byte for byte.
#include <algorithm>
#include <cstring>
#include <iterator>

#include "nffile/layout.h"
#include "nffile/records.h"
#include "wire/template.h"

namespace flow::wire::detail {

namespace {

constexpr uint64_t Bit(ElementId e) { return uint64_t{1} << e; }

// Elements whose fields FinishFlow either leaves as decoded or fills the way DecodeEncoded
// does (times, receive time, flow count, counters under sampling, ICMP ports). Latency,
// NSEL/NAT events, the observation domain, sampler info and the elements EncodeV3 does not
// copy byte for byte (ACL ids, user name, NBAR) keep the FlowRecord path.
constexpr uint64_t kDirectElements =
    Bit(kExGenericFlow) | Bit(kExIpv4Flow) | Bit(kExIpv6Flow) | Bit(kExFlowMisc) | Bit(kExCntFlow) |
    Bit(kExVlan) | Bit(kExAsRouting) | Bit(kExBgpNextHopV4) | Bit(kExBgpNextHopV6) |
    Bit(kExIpNextHopV4) | Bit(kExIpNextHopV6) | Bit(kExMplsLabel) | Bit(kExMacAddr) |
    Bit(kExAsAdjacent) | Bit(kExVrf) | Bit(kExLayer2) | Bit(kExFlowId) | Bit(kExIpInfo);

// Scratch slots FinishFlow reads for post-processing DecodeEncoded does not do.
constexpr uint64_t kIndirectSlots = []() {
    uint64_t bits = uint64_t{1} << kSlotEventTimeMs;
    for (int s = kSlotSrc6Hi; s <= kSlotApplLatencySec; ++s) bits |= uint64_t{1} << s;
    return bits;
}();

size_t WireLength(FixedKind kind) {
    switch (kind) {
        case FixedKind::kU8:
            return 1;
        case FixedKind::kU16:
        case FixedKind::kU16To32:
            return 2;
        case FixedKind::kU64:
            return 8;
        default:
            return 4;
    }
}

// The kind that loads `length` wire bytes and stores `width` bytes; kOther for the rest.
FixedKind KindOf(size_t length, size_t width) {
    if (length == 1 && width == 1) return FixedKind::kU8;
    if (length == 2 && width == 2) return FixedKind::kU16;
    if (length == 4 && width == 4) return FixedKind::kU32;
    if (length == 8 && width == 8) return FixedKind::kU64;
    if (length == 2 && width == 4) return FixedKind::kU16To32;
    if (length == 4 && width == 8) return FixedKind::kU32To64;
    return FixedKind::kOther;
}

// Finds where EncodeV3 puts the member at FlowRecord offset `dst`, `width` bytes wide, of
// records with the elements `present`: its low bytes in order at `*at`, `*stored` of them
// (an IPv4 address keeps 4 of IpAddr::lo's 8). False when the bytes land otherwise.
bool Locate(uint64_t present, size_t dst, size_t width, uint16_t* at, size_t* stored) {
    if (dst + width > sizeof(FlowRecord)) return false;
    FlowRecord plain;
    std::memset(static_cast<void*>(&plain), 0, sizeof plain);
    plain.present = present;
    FlowRecord marked = plain;
    auto* bytes = reinterpret_cast<uint8_t*>(&marked);
    for (size_t k = 0; k < width; ++k) bytes[dst + k] = static_cast<uint8_t>(0x80 + k);
    uint8_t a[nffile::kMaxV3RecordSize];
    uint8_t b[nffile::kMaxV3RecordSize];
    const size_t n = nffile::EncodeV3(plain, a);
    if (nffile::EncodeV3(marked, b) != n) return false;
    size_t first = n;
    size_t count = 0;
    for (size_t i = 0; i < n; ++i) {
        if (a[i] == b[i]) continue;
        if (first == n) first = i;
        if (i != first + count || b[i] != 0x80 + count || a[i] != 0) return false;
        ++count;
    }
    if (count == 0 || (count != 1 && count != 2 && count != 4 && count != 8)) return false;
    *at = static_cast<uint16_t>(first);
    *stored = count;
    return true;
}

}  // namespace

void CompileDirect(uint16_t sysid, const IpAddr& address, bool v6, CompiledTemplate* t) {
    DirectPlan plan;
    t->direct = DirectPlan();
    if (t->is_options || !t->yields_flows || !t->grouped || t->both_families || t->both_next_hops ||
        t->both_bgp_next_hops) {
        return;
    }
    if ((t->present & ~kDirectElements) != 0 || (t->present & Bit(kExGenericFlow)) == 0) return;

    const uint64_t present = t->present | Bit(v6 ? kExIpReceivedV6 : kExIpReceivedV4);
    FlowRecord empty;
    empty.present = present;
    empty.exporter_sysid = sysid;
    empty.received_from = address;
    plan.skeleton.resize(nffile::kMaxV3RecordSize);
    plan.skeleton.resize(nffile::EncodeV3(empty, plan.skeleton.data()));
    const uint16_t elements = nffile::Load16(plan.skeleton.data() + 4);
    size_t off = nffile::kV3HeaderSize;
    for (uint16_t i = 0; i < elements; ++i) {
        const uint16_t id = nffile::Load16(plan.skeleton.data() + off);
        const auto payload = static_cast<uint16_t>(off + nffile::kElementHeaderSize);
        if (id == kExGenericFlow) plan.generic = payload;
        if (id == kExCntFlow) plan.counts = payload;
        off += nffile::Load16(plan.skeleton.data() + off + 2);
    }

    // The moves by their kind in the V3 record, then grouped by kind in RunMoves' order (the
    // order DecodeDirect runs them in).
    std::vector<FieldMove> by_kind[kFixedKindCount];
    uint64_t slots = 0;
    const FieldMove* m = t->moves.data();
    for (size_t k = 0; k < kFixedKindCount; ++k) {
        const auto kind = static_cast<FixedKind>(k);
        for (const FieldMove* end = t->moves.data() + t->moves_end[k]; m != end; ++m) {
            if (kind == FixedKind::kScratch32) {
                slots |= uint64_t{1} << m->to;
                by_kind[k].push_back(*m);
                continue;
            }
            uint16_t at = 0;
            size_t stored = 0;
            if (!Locate(present, m->to, MemberWidth(kind), &at, &stored)) return;
            const size_t length = WireLength(kind);
            const FixedKind direct = KindOf(length, stored);
            if (direct == FixedKind::kOther) {
                FixedOp f;
                f.offset = m->from;
                f.op = {OpKind::kStore, static_cast<uint8_t>(stored), static_cast<uint16_t>(length),
                        at, kNoAux};
                f.dst = at;
                plan.other_ops.push_back(f);
            } else {
                by_kind[static_cast<size_t>(direct)].push_back({m->from, at});
            }
        }
    }
    for (const FixedOp& f : t->other_ops) {
        if (f.op.kind == OpKind::kScratch) {
            slots |= uint64_t{1} << f.op.dst;
            plan.other_ops.push_back(f);
            continue;
        }
        if (f.op.kind != OpKind::kStore) return;
        uint16_t at = 0;
        size_t stored = 0;
        if (!Locate(present, f.op.dst, f.op.width, &at, &stored)) return;
        FixedOp d = f;
        d.op.dst = at;
        d.op.width = static_cast<uint8_t>(stored);
        d.dst = at;
        plan.other_ops.push_back(d);
    }
    if ((slots & kIndirectSlots) != 0) return;
    const FixedKind paired[] = {FixedKind::kU8, FixedKind::kU16, FixedKind::kU32};
    for (size_t p = 0; p < std::size(paired); ++p) {
        std::vector<FieldMove>& single = by_kind[static_cast<size_t>(paired[p])];
        const size_t width = MemberWidth(paired[p]);
        std::sort(single.begin(), single.end(),
                  [](const FieldMove& a, const FieldMove& b) { return a.from < b.from; });
        std::vector<FieldMove> rest;
        for (size_t i = 0; i < single.size(); ++i) {
            if (i + 1 < single.size() && single[i + 1].from == single[i].from + width &&
                single[i + 1].to == single[i].to + width) {
                plan.pairs.push_back(single[i]);
                ++i;
            } else {
                rest.push_back(single[i]);
            }
        }
        single = std::move(rest);
        plan.pairs_end[p] = static_cast<uint16_t>(plan.pairs.size());
    }
    for (size_t k = 0; k < kFixedKindCount; ++k) {
        plan.moves.insert(plan.moves.end(), by_kind[k].begin(), by_kind[k].end());
        plan.moves_end[k] = static_cast<uint16_t>(plan.moves.size());
    }
    plan.ok = true;
    t->direct = std::move(plan);
}

}  // namespace flow::wire::detail
