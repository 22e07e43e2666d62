// SPDX-License-Identifier: BSD-2-Clause
// Templates of NetFlow v9 (RFC 3954 §5.2, §6.1) and IPFIX (RFC 7011 §3.4) compiled into flat
// programs: one op per field that either skips bytes, stores an unsigned value into a fixed
// offset of FlowRecord, stores it into a scratch slot for post-processing, or copies bytes.
// Decoding a data record is then one loop over the ops with no lookups.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <unordered_map>
#include <vector>

#include "flow/exporter_table.h"
#include "flow/record.h"
#include "wire/byte_reader.h"

namespace flow::wire::detail {

enum class Protocol : uint8_t { kV9, kIpfix };

// Wire length that announces a variable-length field (RFC 7011 §7).
inline constexpr uint16_t kVarLength = 0xffff;

// Private enterprise number of RFC 5103 reverse information elements.
inline constexpr uint32_t kPenReverse = 29305;

// Values kept aside while a record is decoded, because they feed computations (times,
// ICMP, sampling, engine ids) or compete with another field for the same target.
enum Slot : uint8_t {
    kSlotFirstUptime = 0,    // #22 FIRST_SWITCHED, ms of sysUptime
    kSlotLastUptime,         // #21 LAST_SWITCHED
    kSlotFirstSec,           // #150 flowStartSeconds
    kSlotLastSec,            // #151 flowEndSeconds
    kSlotFirstMs,            // #152 flowStartMilliseconds
    kSlotLastMs,             // #153 flowEndMilliseconds
    kSlotFirstUs,            // #154 flowStartMicroseconds, NTP format
    kSlotLastUs,             // #155
    kSlotFirstNs,            // #156 flowStartNanoseconds, NTP format
    kSlotLastNs,             // #157
    kSlotFirstDeltaUs,       // #158 flowStartDeltaMicroseconds (before export time)
    kSlotLastDeltaUs,        // #159
    kSlotSysInitMs,          // #160 systemInitTimeMilliseconds
    kSlotDurationMs,         // #161 flowDurationMilliseconds
    kSlotIcmpTypeCode,       // #32 / #139 type << 8 | code
    kSlotIcmpType,           // #176 / #178
    kSlotIcmpCode,           // #177 / #179
    kSlotSamplerId,          // #48 / #302
    kSlotSamplingInterval,   // #34 samplingInterval
    kSlotSamplingAlgorithm,  // #35 / #49 / #304
    kSlotSamplerRandom,      // #50 FLOW_SAMPLER_RANDOM_INTERVAL
    kSlotPacketInterval,     // #305 samplingPacketInterval
    kSlotSpaceInterval,      // #306 samplingPacketSpace
    kSlotEngineType,         // #38
    kSlotEngineId,           // #39
    kSlotEventTimeMs,        // #323 observationTimeMilliseconds (NSEL event time)
    kSlotSrc6Hi,             // #27 when the template also carries #8 (family decided later)
    kSlotSrc6Lo,
    kSlotDst6Hi,  // #28 likewise
    kSlotDst6Lo,
    kSlotIpNextHop6Hi,  // #62 when the template also carries #15
    kSlotIpNextHop6Lo,
    kSlotBgpNextHop6Hi,  // #63 when the template also carries #18
    kSlotBgpNextHop6Lo,
    kSlotClientDelaySec,  // nprobe #57554, added to the µs field ×10^6
    kSlotServerDelaySec,  // #57556
    kSlotApplLatencySec,  // #57558
    kSlotCount,
};
static_assert(kSlotCount <= 64, "scratch presence is a 64-bit mask");

struct Scratch {
    uint64_t value[kSlotCount];
    uint64_t seen = 0;  // bit per Slot written by the current record

    bool Has(Slot s) const { return (seen >> s) & 1u; }
    uint64_t Get(Slot s) const { return Has(s) ? value[s] : 0; }
};

enum class OpKind : uint8_t {
    kSkip,     // ignore `length` bytes (or a variable-length value)
    kStore,    // unsigned big-endian value into FlowRecord at `dst`, `width` bytes wide
    kScratch,  // unsigned big-endian value into Scratch slot `dst`
    kBytes,    // raw bytes into a char array of FlowRecord at `dst`, at most `width` bytes;
               // the count copied goes to the byte at `aux` unless aux == kNoAux
    kSubList,  // RFC 6313 subTemplateList (#292, `dst` 0) or subTemplateMultiList (#293,
               // `dst` 1): records of other templates decoded into the same FlowRecord
};
inline constexpr uint16_t kNoAux = 0xffff;

struct FieldOp {
    OpKind kind = OpKind::kSkip;
    uint8_t width = 0;
    uint16_t length = 0;  // wire length, kVarLength for a variable-length field
    uint16_t dst = 0;
    uint16_t aux = kNoAux;

    bool operator==(const FieldOp&) const = default;
};

// The same ops for a template without variable-length fields, where every field sits at a
// fixed offset of the record: one bounds check per record instead of one per field, no
// skips, and the common (wire length, member width) pairs of kStore as their own kinds.
enum class FixedKind : uint8_t {
    kU8,         // 1 byte into a 1-byte member
    kU16,        // 2 into 2
    kU32,        // 4 into 4
    kU64,        // 8 into 8
    kU16To32,    // 2 into 4 (v9 interface indexes)
    kU32To64,    // 4 into 8 (IPv4 addresses into IpAddr::lo, 32-bit counters)
    kScratch32,  // 4 bytes into a scratch slot (uptime stamps)
    kOther,      // anything else: the general op `op`
};

// Width in bytes of the member a FixedKind writes (8 for kU64, kU32To64 and the others).
inline size_t MemberWidth(FixedKind kind) {
    switch (kind) {
        case FixedKind::kU8:
            return 1;
        case FixedKind::kU16:
            return 2;
        case FixedKind::kU32:
        case FixedKind::kU16To32:
            return 4;
        default:
            return 8;
    }
}

struct FixedOp {
    FixedKind kind = FixedKind::kOther;
    uint16_t offset = 0;  // of the field in the record
    uint16_t dst = 0;     // member offset (kStore kinds)
    FieldOp op;
};
inline constexpr size_t kFixedKindCount = static_cast<size_t>(FixedKind::kOther);

// A fixed op of a kind other than kOther, reduced to its two offsets (see
// CompiledTemplate::moves).
struct FieldMove {
    uint16_t from = 0;  // offset of the field in the record
    uint16_t to = 0;    // member offset, or the Slot of kScratch32
};

// One field specifier as it appears on the wire.
struct FieldSpec {
    uint16_t id = 0;      // information element id without the enterprise bit
    uint16_t length = 0;  // kVarLength for variable length (IPFIX, and some v9 exporters)
    uint32_t pen = 0;     // enterprise number, 0 for IETF elements

    bool operator==(const FieldSpec&) const = default;
};

// A grouped data template compiled to write its records straight into nfdump V3 records
// of one exporter (Decoder::DecodeEncoded): the fields go from the wire to their bytes of
// the V3 record, and what FinishFlow does to a FlowRecord is done to those bytes. Only
// templates whose record post-processing is times, ICMP, engine ids, the flow count and
// sampling qualify (see CompileDirect); the others decode through a FlowRecord.
struct DirectPlan {
    bool ok = false;
    // The V3 record of a record whose fields are all empty (flows 1), with the exporter's
    // sysid and address: every record starts as a copy.
    std::vector<uint8_t> skeleton;
    // As CompiledTemplate::moves, but FieldMove::to is an offset in the V3 record and the
    // kind says the bytes stored there; kStore ops of other_ops have dst and width so too.
    std::vector<FieldMove> moves;
    std::array<uint16_t, kFixedKindCount> moves_end{};
    std::vector<FixedOp> other_ops;
    uint16_t generic = 0;  // offset of EXgenericFlow's payload in the V3 record
    uint16_t counts = 0;   // of EXcntFlow's payload; 0 when the record has none
    // Pairs of kU8, kU16 or kU32 moves taken out of `moves` because the second field follows
    // the first both on the wire and in the V3 record (addresses, ports, interfaces, AS
    // numbers, masks): one load and store of both. FieldMove is the first field's; the pairs
    // of 1-, 2- and 4-byte fields end at pairs_end[0], [1] and [2].
    std::vector<FieldMove> pairs;
    std::array<uint16_t, 3> pairs_end{};
};

struct CompiledTemplate {
    uint16_t id = 0;
    bool is_options = false;
    // The field specifiers it was compiled from (scope fields first for options), so that
    // the same template sent again is recognised without compiling it.
    std::vector<FieldSpec> fields;
    size_t scope_count = 0;
    uint16_t field_count = 0;
    size_t min_record_length = 0;     // fixed bytes + 1 per variable-length field
    bool variable = false;            // has a variable-length field
    uint64_t present = 0;             // FlowRecord presence bits every record gets
    bool both_families = false;       // carries IPv4 and IPv6 addresses (v6 go to scratch)
    bool both_next_hops = false;      // likewise #15 and #62
    bool both_bgp_next_hops = false;  // likewise #18 and #63
    bool has_icmp_field = false;      // #32/#139/#176..#179 present: no src-port quirk
    bool yields_flows = false;        // a data template with at least one understood field
    std::vector<FieldOp> ops;
    std::vector<FixedOp> fixed_ops;  // when !variable: the ops but skips, by record offset
    // When no two of the fixed ops write the same byte or scratch slot, their order does not
    // matter, and RunTemplate runs them grouped by kind: one short loop per kind over
    // `moves` (kind k's moves end at moves_end[k], each kind's run right after the one
    // before) instead of one switch per field, then the kOther ops in `other_ops`. A list
    // field (it may write any member) keeps the ordered path.
    bool grouped = false;
    std::vector<FieldMove> moves;
    std::array<uint16_t, kFixedKindCount> moves_end{};
    std::vector<FixedOp> other_ops;
    // Set by CompileDirect for Decoder::DecodeEncoded.
    DirectPlan direct;
};

struct CompiledTemplate;
using TemplateMap = std::unordered_map<uint16_t, CompiledTemplate>;

// How deep structured data may nest (RFC 6313 lists inside lists).
inline constexpr int kMaxListDepth = 3;

// Compiles a data template. `fields` is in wire order. Fields that are not understood are
// skipped by length. Returns false if the template can never yield a record (every field
// has length 0), which is a template_invalid error.
bool CompileDataTemplate(Protocol protocol, uint16_t id, std::span<const FieldSpec> fields,
                         CompiledTemplate* out);

// Compiles an options template: the first `scope_count` fields are scope fields and are
// skipped; of the rest only the sampling ids and #160 are kept (into scratch).
bool CompileOptionsTemplate(uint16_t id, std::span<const FieldSpec> fields, size_t scope_count,
                            CompiledTemplate* out);

// Fills t->direct (see DirectPlan) for the records of exporter `sysid` at `address` (`v6`
// for an IPv6 exporter); t->direct.ok stays false when the template does not qualify.
void CompileDirect(uint16_t sysid, const IpAddr& address, bool v6, CompiledTemplate* t);

// Runs `t` over the next record of `r`, writing into `record` and `scratch` (whose `seen`
// the caller resets). Returns false if a value runs past the end of `r`; the cursor is then
// unspecified and the record incomplete.
// `templates` resolves RFC 6313 lists (nullptr: lists are skipped); `depth` counts nesting.
inline bool RunTemplate(const CompiledTemplate& t, ByteReader* r, FlowRecord* record,
                        Scratch* scratch, const TemplateMap* templates = nullptr, int depth = 0);

// Decodes the content of a subTemplateList (`multi` false) or subTemplateMultiList into
// `record`. Malformed list content is ignored (the enclosing record stays valid, as the
// list's length already delimited it).
void RunList(bool multi, const uint8_t* p, size_t len, FlowRecord* record, Scratch* scratch,
             const TemplateMap* templates, int depth);

// --- implementation of the hot loop ---

inline void StoreUnsigned(uint8_t* dst, uint8_t width, uint64_t v) {
    switch (width) {
        case 1: {
            const auto x = static_cast<uint8_t>(v);
            std::memcpy(dst, &x, 1);
            break;
        }
        case 2: {
            const auto x = static_cast<uint16_t>(v);
            std::memcpy(dst, &x, 2);
            break;
        }
        case 4: {
            const auto x = static_cast<uint32_t>(v);
            std::memcpy(dst, &x, 4);
            break;
        }
        default:
            std::memcpy(dst, &v, 8);
            break;
    }
}

// One op over the `len` bytes at `p` (already bounds-checked).
inline void RunOp(const FieldOp& op, const uint8_t* p, size_t len, uint8_t* base,
                  FlowRecord* record, Scratch* scratch, const TemplateMap* templates, int depth) {
    switch (op.kind) {
        case OpKind::kSkip:
            break;
        case OpKind::kStore: {
            const size_t skip = len > 8 ? len - 8 : 0;
            StoreUnsigned(base + op.dst, op.width, LoadBigEndian(p + skip, len - skip));
            break;
        }
        case OpKind::kScratch: {
            const size_t skip = len > 8 ? len - 8 : 0;
            scratch->value[op.dst] = LoadBigEndian(p + skip, len - skip);
            scratch->seen |= uint64_t{1} << op.dst;
            break;
        }
        case OpKind::kBytes: {
            const size_t n = len < op.width ? len : op.width;
            std::memcpy(base + op.dst, p, n);
            if (op.aux != kNoAux) base[op.aux] = static_cast<uint8_t>(n);
            break;
        }
        case OpKind::kSubList:
            if (templates != nullptr && depth < kMaxListDepth) {
                RunList(op.dst != 0, p, len, record, scratch, templates, depth + 1);
            }
            break;
    }
}

// Grouped fixed ops (see CompiledTemplate::grouped) over the record at `rec`, writing
// members at `base` (a FlowRecord, or a V3 record for a DirectPlan).
inline void RunMoves(const std::vector<FieldMove>& moves,
                     const std::array<uint16_t, kFixedKindCount>& moves_end,
                     const std::vector<FixedOp>& other_ops, const uint8_t* rec, uint8_t* base,
                     FlowRecord* record, Scratch* scratch, const TemplateMap* templates,
                     int depth) {
    const FieldMove* m = moves.data();
    auto end_of = [&](FixedKind kind) {
        return moves.data() + moves_end[static_cast<size_t>(kind)];
    };
    auto run = [&](FixedKind kind, auto move) {
        for (const FieldMove* end = end_of(kind); m != end; ++m) move(rec + m->from, base + m->to);
    };
    run(FixedKind::kU8, [](const uint8_t* p, uint8_t* d) { *d = *p; });
    run(FixedKind::kU16, [](const uint8_t* p, uint8_t* d) {
        const uint16_t v = LoadBigEndian16(p);
        std::memcpy(d, &v, 2);
    });
    run(FixedKind::kU32, [](const uint8_t* p, uint8_t* d) {
        const uint32_t v = LoadBigEndian32(p);
        std::memcpy(d, &v, 4);
    });
    run(FixedKind::kU64, [](const uint8_t* p, uint8_t* d) {
        const uint64_t v = LoadBigEndian(p, 8);
        std::memcpy(d, &v, 8);
    });
    run(FixedKind::kU16To32, [](const uint8_t* p, uint8_t* d) {
        const uint32_t v = LoadBigEndian16(p);
        std::memcpy(d, &v, 4);
    });
    run(FixedKind::kU32To64, [](const uint8_t* p, uint8_t* d) {
        const uint64_t v = LoadBigEndian32(p);
        std::memcpy(d, &v, 8);
    });
    uint64_t seen = scratch->seen;
    for (const FieldMove* end = end_of(FixedKind::kScratch32); m != end; ++m) {
        scratch->value[m->to] = LoadBigEndian32(rec + m->from);
        seen |= uint64_t{1} << m->to;
    }
    scratch->seen = seen;
    for (const FixedOp& f : other_ops) {
        RunOp(f.op, rec + f.offset, f.op.length, base, record, scratch, templates, depth);
    }
}

inline bool RunTemplate(const CompiledTemplate& t, ByteReader* r, FlowRecord* record,
                        Scratch* scratch, const TemplateMap* templates, int depth) {
    auto* base = reinterpret_cast<uint8_t*>(record);
    if (!t.variable) {
        const uint8_t* rec = nullptr;
        if (!r->Bytes(t.min_record_length, &rec)) return false;
        if (t.grouped) {
            RunMoves(t.moves, t.moves_end, t.other_ops, rec, base, record, scratch, templates,
                     depth);
            return true;
        }
        for (const FixedOp& f : t.fixed_ops) {
            const uint8_t* p = rec + f.offset;
            switch (f.kind) {
                case FixedKind::kU8:
                    base[f.dst] = p[0];
                    break;
                case FixedKind::kU16: {
                    const uint16_t v = LoadBigEndian16(p);
                    std::memcpy(base + f.dst, &v, 2);
                    break;
                }
                case FixedKind::kU32: {
                    const uint32_t v = LoadBigEndian32(p);
                    std::memcpy(base + f.dst, &v, 4);
                    break;
                }
                case FixedKind::kU64: {
                    const uint64_t v = LoadBigEndian(p, 8);
                    std::memcpy(base + f.dst, &v, 8);
                    break;
                }
                case FixedKind::kU16To32: {
                    const uint32_t v = LoadBigEndian16(p);
                    std::memcpy(base + f.dst, &v, 4);
                    break;
                }
                case FixedKind::kU32To64: {
                    const uint64_t v = LoadBigEndian32(p);
                    std::memcpy(base + f.dst, &v, 8);
                    break;
                }
                case FixedKind::kScratch32:
                    scratch->value[f.dst] = LoadBigEndian32(p);
                    scratch->seen |= uint64_t{1} << f.dst;
                    break;
                case FixedKind::kOther:
                    RunOp(f.op, p, f.op.length, base, record, scratch, templates, depth);
                    break;
            }
        }
        return true;
    }
    for (const FieldOp& op : t.ops) {
        size_t len = op.length;
        if (len == kVarLength && !r->VarLength(&len)) return false;
        const uint8_t* p = nullptr;
        if (!r->Bytes(len, &p)) return false;
        RunOp(op, p, len, base, record, scratch, templates, depth);
    }
    return true;
}

}  // namespace flow::wire::detail
