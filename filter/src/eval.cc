// SPDX-License-Identifier: BSD-2-Clause
// The evaluator: runs a compiled program over one FlowRecord. This is the per-record hot
// path, so it reads fields by offset, allocates nothing and makes no virtual calls.
#include <algorithm>
#include <cstring>

#include "program.h"

namespace flow::filter::detail {
namespace {

inline bool Compare(Cmp cmp, uint64_t a, uint64_t b) {
    switch (cmp) {
        case Cmp::kEq:
            return a == b;
        case Cmp::kGt:
            return a > b;
        case Cmp::kLt:
            return a < b;
        case Cmp::kGe:
            return a >= b;
        case Cmp::kLe:
            return a <= b;
    }
    return false;
}

// FlowRecord is standard-layout; offsets come from offsetof, and memcpy keeps the loads
// free of aliasing and alignment assumptions.
inline uint64_t Load(const unsigned char* base, uint16_t offset, uint8_t width) {
    switch (width) {
        case 1:
            return base[offset];
        case 2: {
            uint16_t v;
            std::memcpy(&v, base + offset, sizeof(v));
            return v;
        }
        case 4: {
            uint32_t v;
            std::memcpy(&v, base + offset, sizeof(v));
            return v;
        }
        default: {
            uint64_t v;
            std::memcpy(&v, base + offset, sizeof(v));
            return v;
        }
    }
}

inline uint64_t FieldValue(const unsigned char* base, const Insn& in) {
    return (Load(base, in.offset, in.width) >> in.shift) & in.mask;
}

inline IpAddr LoadIp(const unsigned char* base, uint16_t offset) {
    IpAddr a;
    std::memcpy(&a, base + offset, sizeof(a));
    return a;
}

inline uint64_t DurationMs(const FlowRecord& rec) {
    return rec.last_ms >= rec.first_ms ? rec.last_ms - rec.first_ms : 0;
}

// nfdump's rates: integer division, 0 when the flow lasted 0 ms. 128-bit products keep
// 8000 * bytes from overflowing.
inline uint64_t Rate(uint64_t count, uint64_t factor, uint64_t duration_ms) {
    if (duration_ms == 0) return 0;
    unsigned __int128 v = static_cast<unsigned __int128>(count) * factor / duration_ms;
    return v > ~uint64_t{0} ? ~uint64_t{0} : static_cast<uint64_t>(v);
}

bool InIpList(const std::vector<IpGroup>& groups, const IpAddr& addr) {
    for (const IpGroup& g : groups) {
        IpAddr masked{addr.hi & g.mask.hi, addr.lo & g.mask.lo};
        if (std::binary_search(g.values.begin(), g.values.end(), masked)) return true;
    }
    return false;
}

bool InList(const std::vector<uint64_t>& list, uint64_t v) {
    if (list.size() <= 8) return std::find(list.begin(), list.end(), v) != list.end();
    return std::binary_search(list.begin(), list.end(), v);
}

constexpr uint32_t kMplsLabelMask = 0xfffff;

// The first entry with the bottom-of-stack bit ends the stack. Without one the test fails
// for every comparator (nfdump 1.7.1 compares a sentinel there, so `mpls eos > N` matched).
bool MplsEos(const FlowRecord& rec, Cmp cmp, uint64_t value) {
    for (uint32_t entry : rec.mpls) {
        if (entry & 1) return Compare(cmp, (entry >> 4) & kMplsLabelMask, value);
    }
    return false;
}

// An all-zero entry is an absent label (label 0 with its bottom-of-stack bit is non-zero).
bool MplsAny(const FlowRecord& rec, uint64_t value) {
    for (uint32_t entry : rec.mpls) {
        if (entry == 0) return false;
        if (((entry >> 4) & kMplsLabelMask) == value) return true;
        if (entry & 1) return false;
    }
    return false;
}

// A field of `in`'s width at its offset, shifted and masked, in its comparison's range.
template <typename T>
[[gnu::always_inline]] inline bool InRange(const unsigned char* base, const Insn& in) {
    T v;
    std::memcpy(&v, base + in.offset, sizeof(v));
    return ((uint64_t{v} >> in.shift) & in.mask) - in.range_lo <= in.range_span;
}

// The tests other than field comparisons, flags, addresses and the family: kept out of the
// evaluation loop, which then needs fewer registers saved on every call.
[[gnu::noinline]] bool TestOther(const Program& p, const Insn& in, const FlowRecord& rec,
                                 uint64_t count, const uint8_t* idents) {
    const auto* base = reinterpret_cast<const unsigned char*>(&rec);
    switch (in.op) {
        case Op::kIpList:
            return InIpList(p.ip_lists[in.aux], LoadIp(base, in.offset));
        case Op::kFieldList:
            return InList(p.u64_lists[in.aux], FieldValue(base, in));
        case Op::kDuration:
            return Compare(in.cmp, DurationMs(rec), in.value);
        case Op::kPps:
            return Compare(in.cmp, Rate(rec.packets, 1000, DurationMs(rec)), in.value);
        case Op::kBps:
            return Compare(in.cmp, Rate(rec.bytes, 8000, DurationMs(rec)), in.value);
        case Op::kBpp:
            return Compare(in.cmp, rec.packets ? rec.bytes / rec.packets : 0, in.value);
        case Op::kMplsEos:
            return MplsEos(rec, in.cmp, in.value);
        case Op::kMplsAny:
            return MplsAny(rec, in.value);
        case Op::kPortInBlock: {
            uint64_t port = FieldValue(base, in);
            return port >= rec.block_start && port <= rec.block_end;
        }
        case Op::kCount:
            return Compare(in.cmp, count, in.value);
        case Op::kIdent:
            return idents[in.aux] != 0;
        default:
            return false;  // the loop's own tests
    }
}

// Labels need one more register and a store per failed test; compiling the loop twice keeps
// that out of the common, unlabelled case.
template <bool kLabels>
bool RunImpl(const Program& p, const FlowRecord& rec, uint64_t count, const uint8_t* idents,
             int32_t* label) {
    const auto* base = reinterpret_cast<const unsigned char*>(&rec);
    const Insn* code = p.insns.data();
    int32_t label_index = -1;
    int32_t i = p.start;
    while (i >= 0) {
        const Insn& in = code[i];
        bool r = false;
        switch (in.op) {
            case Op::kField8:
                r = InRange<uint8_t>(base, in);
                break;
            case Op::kField16:
                r = InRange<uint16_t>(base, in);
                break;
            case Op::kField32:
                r = InRange<uint32_t>(base, in);
                break;
            case Op::kField64:
                r = InRange<uint64_t>(base, in);
                break;
            case Op::kFlagsAll:
                r = (FieldValue(base, in) & in.value) == in.value;
                break;
            case Op::kFlagsAny:
                r = (FieldValue(base, in) & in.value) != 0;
                break;
            case Op::kIp: {
                IpAddr a = LoadIp(base, in.offset);
                r = (a.lo & in.mask) == in.value && (a.hi & in.mask_hi) == in.value_hi;
                break;
            }
            case Op::kIsV6:
                r = rec.IsV6();
                break;
            case Op::kSetLabel:
                label_index = static_cast<int32_t>(in.aux);
                i = in.on_true;
                continue;
            default:
                r = TestOther(p, in, rec, count, idents);
                break;
        }
        // nfdump's rule: a test that fails on the evaluated path drops the label seen so far.
        if constexpr (kLabels) {
            if (!r) label_index = -1;
        }
        i = r ? in.on_true : in.on_false;
    }
    if (label != nullptr) *label = i == kAccept ? label_index : -1;
    return i == kAccept;
}

}  // namespace

bool Run(const Program& program, const FlowRecord& rec, uint64_t count, const uint8_t* idents) {
    return RunImpl<false>(program, rec, count, idents, nullptr);
}

bool Run(const Program& program, const FlowRecord& rec, uint64_t count, const uint8_t* idents,
         int32_t* label) {
    if (label != nullptr && program.has_labels) {
        return RunImpl<true>(program, rec, count, idents, label);
    }
    if (label != nullptr) *label = -1;
    return RunImpl<false>(program, rec, count, idents, nullptr);
}

}  // namespace flow::filter::detail
