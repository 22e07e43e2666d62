// SPDX-License-Identifier: BSD-2-Clause
// Code generation: syntax tree to flat jump program, plus the program's text dump.
// `and`/`or`/`not` become jump targets, never instructions of their own.
#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdio>
#include <map>
#include <utility>

#include "program.h"

namespace flow::filter::detail {
namespace {

class CodeGen {
public:
    CodeGen(Program& program, const Tables& tables) : program_(program), tables_(tables) {}

    // Emits code for `node` that continues at `t` when true and at `f` when false, and
    // returns the entry index. Instructions are emitted in reverse order of execution; the
    // caller renumbers them. `negated` is the parity of enclosing `not`s, which only the
    // TCP flags test looks at (see kFlagsAny).
    int32_t Gen(const Node& node, int32_t t, int32_t f, bool negated) {
        if (node.label >= 0) {
            Insn set;
            set.op = Op::kSetLabel;
            set.aux = static_cast<uint32_t>(node.label);
            set.on_true = t;
            set.on_false = t;
            t = Emit(set, "set label '" + tables_.labels[set.aux] + "'");
            program_.has_labels = true;
        }
        switch (node.kind) {
            case Node::Kind::kNot:
                return Gen(*node.kids[0], f, t, !negated);
            case Node::Kind::kAnd: {
                int32_t next = t;
                for (size_t i = node.kids.size(); i-- > 0;) {
                    next = Gen(*node.kids[i], next, f, negated);
                }
                return next;
            }
            case Node::Kind::kOr: {
                int32_t next = f;
                for (size_t i = node.kids.size(); i-- > 0;) {
                    next = Gen(*node.kids[i], t, next, negated);
                }
                return next;
            }
            case Node::Kind::kTest:
                return GenTest(node.test, t, f, negated);
        }
        return f;
    }

private:
    int32_t GenTest(const Test& test, int32_t t, int32_t f, bool negated) {
        if (test.kind == TestKind::kConst) return test.value ? t : f;
        Insn in;
        in.on_true = t;
        in.on_false = f;
        in.cmp = test.cmp;
        in.value = test.value;
        in.aux = test.list;
        SetField(in, test.field);
        std::string text = DescribeTest(test, tables_);
        switch (test.kind) {
            case TestKind::kConst:
                break;
            case TestKind::kField:
                in.op = test.field.width == 1   ? Op::kField8
                        : test.field.width == 2 ? Op::kField16
                        : test.field.width == 4 ? Op::kField32
                                                : Op::kField64;
                break;
            case TestKind::kFlagsAll:
                // nfdump evaluates a flags test under `not` as "any of them set" before
                // inverting, so `not flags AF` means neither A nor F.
                in.op = negated ? Op::kFlagsAny : Op::kFlagsAll;
                if (negated) text = std::string(test.field.name) + " has any of " + Hex(test.value);
                break;
            case TestKind::kIp:
                in.op = Op::kIp;
                in.offset = test.addr_offset;
                in.value = test.addr.lo;
                in.value_hi = test.addr.hi;
                in.mask = test.mask.lo;
                in.mask_hi = test.mask.hi;
                break;
            case TestKind::kIpList:
                in.op = Op::kIpList;
                in.offset = test.addr_offset;
                in.aux = IpList(test.list);
                break;
            case TestKind::kFieldList:
                in.op = Op::kFieldList;
                in.aux = U64List(test.list);
                break;
            case TestKind::kDuration:
                in.op = Op::kDuration;
                break;
            case TestKind::kPps:
                in.op = Op::kPps;
                break;
            case TestKind::kBps:
                in.op = Op::kBps;
                break;
            case TestKind::kBpp:
                in.op = Op::kBpp;
                break;
            case TestKind::kMplsEos:
                in.op = Op::kMplsEos;
                break;
            case TestKind::kMplsAny:
                in.op = Op::kMplsAny;
                break;
            case TestKind::kPortInBlock:
                in.op = Op::kPortInBlock;
                break;
            case TestKind::kIsV6:
                in.op = Op::kIsV6;
                break;
            case TestKind::kCount:
                in.op = Op::kCount;
                program_.uses_count = true;
                break;
            case TestKind::kIdent:
                in.op = Op::kIdent;
                program_.uses_ident = true;
                break;
        }
        return Emit(in, text);
    }

    static std::string Hex(uint64_t v) {
        char buf[24];
        std::snprintf(buf, sizeof(buf), "0x%02llx", static_cast<unsigned long long>(v));
        return buf;
    }

    static void SetField(Insn& in, const FieldRef& field) {
        in.offset = field.offset;
        in.width = field.width;
        in.shift = field.shift;
        in.mask = field.mask;
    }

    // Tables are copied into the program on first use, so lists dropped by the optimiser
    // cost nothing at run time.
    uint32_t IpList(uint32_t index) {
        auto it = ip_map_.find(index);
        if (it != ip_map_.end()) return it->second;
        std::map<std::pair<uint64_t, uint64_t>, std::vector<IpAddr>> by_mask;
        for (const IpNet& net : tables_.ip_lists[index]) {
            by_mask[{net.mask.hi, net.mask.lo}].push_back(net.addr);
        }
        std::vector<IpGroup> groups;
        for (auto& [mask, values] : by_mask) {
            std::sort(values.begin(), values.end());
            values.erase(std::unique(values.begin(), values.end()), values.end());
            groups.push_back(IpGroup{IpAddr{mask.first, mask.second}, std::move(values)});
        }
        // Larger groups first: a hit there ends the search soonest on average.
        std::stable_sort(groups.begin(), groups.end(), [](const IpGroup& a, const IpGroup& b) {
            return a.values.size() > b.values.size();
        });
        uint32_t out = static_cast<uint32_t>(program_.ip_lists.size());
        program_.ip_lists.push_back(std::move(groups));
        ip_map_[index] = out;
        return out;
    }

    uint32_t U64List(uint32_t index) {
        auto it = u64_map_.find(index);
        if (it != u64_map_.end()) return it->second;
        uint32_t out = static_cast<uint32_t>(program_.u64_lists.size());
        program_.u64_lists.push_back(tables_.u64_lists[index]);
        u64_map_[index] = out;
        return out;
    }

    int32_t Emit(const Insn& in, std::string text) {
        program_.insns.push_back(in);
        program_.descriptions.push_back(std::move(text));
        return static_cast<int32_t>(program_.insns.size() - 1);
    }

    Program& program_;
    const Tables& tables_;
    std::map<uint32_t, uint32_t> ip_map_;
    std::map<uint32_t, uint32_t> u64_map_;
};

// The range of field values `in`'s comparison passes (Insn::range_lo, range_span). A
// comparison no value passes (> the largest, < 0) masks the field to 0 and takes [1, 1].
void SetRange(Insn* in) {
    if (in->op != Op::kField8 && in->op != Op::kField16 && in->op != Op::kField32 &&
        in->op != Op::kField64) {
        return;
    }
    constexpr uint64_t kMax = ~uint64_t{0};
    const uint64_t v = in->value;
    uint64_t lo = 0;
    uint64_t hi = kMax;
    bool none = false;
    switch (in->cmp) {
        case Cmp::kEq:
            lo = hi = v;
            break;
        case Cmp::kGt:
            none = v == kMax;
            lo = v + 1;
            break;
        case Cmp::kLt:
            none = v == 0;
            hi = v - 1;
            break;
        case Cmp::kGe:
            lo = v;
            break;
        case Cmp::kLe:
            hi = v;
            break;
    }
    if (none) {
        in->mask = 0;
        lo = hi = 1;
    }
    in->range_lo = lo;
    in->range_span = hi - lo;
}

// A word test of the fast form before its jumps are known.
struct Word {
    uint16_t offset = 0;
    uint64_t mask = 0;
    uint64_t lo = 0;
    uint64_t span = 0;
};

constexpr Word kNever{0, 0, 1, 0};   // 0 - 1 <= 0 fails
constexpr Word kAlways{0, 0, 0, 0};  // 0 - 0 <= 0 passes

// Where a field of `width` bytes at `offset`, read as (load >> shift) & mask, lies in an
// 8-byte word of the record: the word's offset, the field's bit position in it and the bits
// the field's value can have. The word ends within the record: a field near its end is read
// from a word that starts before the field. Needs a little-endian host.
struct Placement {
    uint16_t offset = 0;
    unsigned shift = 0;
    uint64_t bits = 0;
};

Placement Place(uint16_t offset, unsigned width, unsigned shift, uint64_t mask) {
    constexpr size_t kLastWord = sizeof(FlowRecord) - sizeof(uint64_t);
    Placement pl;
    const uint64_t width_bits = width >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * width)) - 1;
    pl.bits = shift >= 64 ? 0 : mask & (width_bits >> shift);
    pl.offset = static_cast<uint16_t>(std::min<size_t>(offset, kLastWord));
    // bits << shift stays within the word: the field's bytes end at or before the word's.
    pl.shift = pl.bits == 0 ? 0 : shift + 8 * (offset - pl.offset);
    return pl;
}

// The word test passing when the placed field's value is in [lo, hi].
Word RangeWord(const Placement& pl, uint64_t lo, uint64_t hi) {
    hi = std::min(hi, pl.bits);  // the value has no bits outside pl.bits
    if (lo > hi) return kNever;
    return Word{pl.offset, pl.bits << pl.shift, lo << pl.shift, (hi - lo) << pl.shift};
}

// The word tests of `in`, all of which pass exactly when `in` passes; false when the fast
// form has no equivalent of `in`.
bool Words(const Insn& in, std::vector<Word>* out) {
    const unsigned width = in.width == 1 || in.width == 2 || in.width == 4 ? in.width : 8;
    switch (in.op) {
        case Op::kField8:
        case Op::kField16:
        case Op::kField32:
        case Op::kField64: {
            const unsigned field_width = in.op == Op::kField8    ? 1
                                         : in.op == Op::kField16 ? 2
                                         : in.op == Op::kField32 ? 4
                                                                 : 8;
            Placement pl = Place(in.offset, field_width, in.shift, in.mask);
            out->push_back(RangeWord(pl, in.range_lo, in.range_lo + in.range_span));
            return true;
        }
        case Op::kFlagsAll: {
            Placement pl = Place(in.offset, width, in.shift, in.mask);
            if ((in.value & ~pl.bits) != 0) {
                out->push_back(kNever);  // a flag the field cannot hold
            } else {
                const uint64_t v = in.value << pl.shift;
                out->push_back(Word{pl.offset, v, v, 0});
            }
            return true;
        }
        case Op::kFlagsAny: {
            Placement pl = Place(in.offset, width, in.shift, in.mask);
            const uint64_t any = in.value & pl.bits;
            // x != 0 is x - 1 <= 2^64 - 2.
            out->push_back(any == 0 ? kNever
                                    : Word{pl.offset, any << pl.shift, 1, ~uint64_t{0} - 1});
            return true;
        }
        case Op::kIp: {
            const size_t before = out->size();
            const auto half = [&](size_t at, uint64_t mask, uint64_t value) {
                if (mask == 0 && value == 0) return;  // passes for every address
                out->push_back(Word{static_cast<uint16_t>(in.offset + at), mask, value, 0});
            };
            // The low half first: it tells most addresses apart.
            half(offsetof(IpAddr, lo), in.mask, in.value);
            half(offsetof(IpAddr, hi), in.mask_hi, in.value_hi);
            if (out->size() == before) out->push_back(kAlways);
            return true;
        }
        case Op::kIsV6: {
            const uint64_t bit = uint64_t{1} << kExIpv6Flow;
            out->push_back(Word{offsetof(FlowRecord, present), bit, bit, 0});
            return true;
        }
        default:
            return false;
    }
}

// Makes `in` pass exactly the records it failed.
void Invert(FastInsn* in) {
    // The values outside [lo, lo + span] (wrapping) are [lo + span + 1, lo - 1].
    if (in->span == ~uint64_t{0}) {
        in->mask = kNever.mask;
        in->lo = kNever.lo;
        in->span = kNever.span;
    } else {
        in->lo = in->lo + in->span + 1;
        in->span = ~in->span - 1;
    }
}

// Turns a fast form of one test into FastForm::kOneTest: a test that passes exactly the
// records the program accepts.
void OneTest(Program* p) {
    FastInsn& in = p->fast[0];
    if (in.on_true == in.on_false) {
        const Word w = in.on_true == kFastAccept ? kAlways : kNever;
        in.offset = w.offset;
        in.mask = w.mask;
        in.lo = w.lo;
        in.span = w.span;
    } else if (in.on_true == kFastReject) {
        Invert(&in);
    }
    in.on_true = kFastAccept;
    in.on_false = kFastReject;
    p->fast_form = FastForm::kOneTest;
}

// Turns the fast form kJumps into FastForm::kChain when its tests form one chain from
// fast_start: each test either goes on to the next or ends the run at the same end, accept
// throughout (an or-chain) or reject throughout (an and-chain), and the last test's two
// ways are accept and reject. Longer chains keep the jumps, which stop at the first test
// that decides.
void Chain(Program* p) {
    constexpr size_t kMaxChain = 8;
    std::vector<FastInsn> chain;
    uint64_t end = 0;  // the end the tests before the last lead to
    uint64_t at = p->fast_start;
    while (at < kFastReject) {
        if (chain.size() == kMaxChain) return;
        FastInsn in = p->fast[at / sizeof(FastInsn)];
        const bool true_ends = in.on_true >= kFastReject;
        const bool false_ends = in.on_false >= kFastReject;
        if (true_ends && false_ends) {
            if (in.on_true == in.on_false) return;  // a test that decides nothing
            // The last test, made to pass when the record is accepted (an and-chain) or
            // rejected (an or-chain).
            if (in.on_true == kFastReject) Invert(&in);
            if (end == kFastAccept) Invert(&in);
            chain.push_back(in);
            at = kFastAccept;
            break;
        }
        if (!true_ends && !false_ends) return;  // two ways on: not a chain
        const uint64_t ends = true_ends ? in.on_true : in.on_false;
        if (end != 0 && ends != end) return;
        end = ends;
        // Made to pass when the run goes on. The record matches when every test passes and
        // the last accepts (and-chain), or unless every test passes and the last rejects
        // (or-chain: the last kept inverted, the result negated).
        if (true_ends) Invert(&in);
        chain.push_back(in);
        const uint64_t next = true_ends ? in.on_false : in.on_true;
        if (next <= at) return;  // jumps only go forward; anything else is not a chain
        at = next;
    }
    if (at != kFastAccept || chain.size() < 2) return;
    for (FastInsn& in : chain) in.on_true = in.on_false = 0;
    p->fast = std::move(chain);
    p->fast_negate = end == kFastAccept;
    p->fast_start = 0;
    p->fast_form = FastForm::kChain;
}

// Builds p->fast from p->insns when every instruction has word tests. An instruction's tests
// run in order; the first to fail takes its on_false, the last to pass its on_true.
void BuildFast(Program* p) {
    if constexpr (std::endian::native != std::endian::little) return;
    static_assert(sizeof(FlowRecord) <= 0xffff);
    if (p->start < 0 || p->insns.empty()) return;
    std::vector<std::vector<Word>> words(p->insns.size());
    std::vector<uint64_t> first(p->insns.size());  // each instruction's first test
    size_t n = 0;
    for (size_t k = 0; k < p->insns.size(); ++k) {
        if (!Words(p->insns[k], &words[k])) return;
        first[k] = n * sizeof(FastInsn);
        n += words[k].size();
    }
    auto target = [&first](int32_t t) {
        return t == kAccept ? kFastAccept
               : t < 0      ? kFastReject
                            : first[static_cast<size_t>(t)];
    };
    p->fast.reserve(n);
    for (size_t k = 0; k < p->insns.size(); ++k) {
        const Insn& in = p->insns[k];
        for (size_t j = 0; j < words[k].size(); ++j) {
            const Word& w = words[k][j];
            FastInsn f;
            f.offset = w.offset;
            f.mask = w.mask;
            f.lo = w.lo;
            f.span = w.span;
            const bool last = j + 1 == words[k].size();
            f.on_true = last ? target(in.on_true)
                             : (p->fast.size() + 1) * sizeof(FastInsn);
            f.on_false = target(in.on_false);
            p->fast.push_back(f);
        }
    }
    p->fast_start = target(p->start);
    p->fast_form = FastForm::kJumps;
    if (n == 1) {
        OneTest(p);
    } else {
        Chain(p);
    }
}

}  // namespace

std::unique_ptr<Program> Generate(const Node& root, Tables tables, std::string text, bool fast) {
    auto program = std::make_unique<Program>();
    program->text = std::move(text);
    CodeGen gen(*program, tables);
    int32_t entry = gen.Gen(root, kAccept, kReject, false);

    // Reverse the emission order so execution starts at 0 and every jump goes forward.
    const int32_t n = static_cast<int32_t>(program->insns.size());
    auto remap = [n](int32_t target) { return target < 0 ? target : n - 1 - target; };
    std::reverse(program->insns.begin(), program->insns.end());
    std::reverse(program->descriptions.begin(), program->descriptions.end());
    for (Insn& in : program->insns) {
        in.on_true = remap(in.on_true);
        in.on_false = remap(in.on_false);
    }
    program->start = remap(entry);
    for (Insn& in : program->insns) SetRange(&in);
    program->idents = std::move(tables.idents);
    program->labels = std::move(tables.labels);
    for (const Insn& in : program->insns) program->elements |= ElementsRead(in);
    if (fast) BuildFast(program.get());
    return program;
}

uint64_t ElementsRead(const Insn& in) {
    auto bit = [](ElementId id) { return uint64_t{1} << id; };
    auto field = [&in](size_t width) { return ElementsOfFieldBytes(in.offset, width); };
    switch (in.op) {
        case Op::kField8:
            return field(1);
        case Op::kField16:
            return field(2);
        case Op::kField32:
            return field(4);
        case Op::kField64:
            return field(8);
        case Op::kFlagsAll:
        case Op::kFlagsAny:
        case Op::kFieldList:
            return field(in.width);
        case Op::kIp:
        case Op::kIpList:
            return field(sizeof(IpAddr));
        case Op::kDuration:
        case Op::kPps:
        case Op::kBps:
        case Op::kBpp:
            return bit(kExGenericFlow);
        case Op::kMplsEos:
        case Op::kMplsAny:
            return bit(kExMplsLabel);
        case Op::kPortInBlock:
            return field(in.width) | bit(kExNatPortBlock);
        case Op::kIsV6:
            return bit(kExIpv4Flow) | bit(kExIpv6Flow);
        case Op::kCount:
        case Op::kIdent:
        case Op::kSetLabel:
            return 0;
    }
    return kAllElements;
}

std::string DumpProgram(const Program& p) {
    auto target = [](int32_t t) {
        if (t == kAccept) return std::string("ACCEPT");
        if (t == kReject) return std::string("REJECT");
        return std::to_string(t);
    };
    std::string out;
    if (p.insns.empty()) {
        return p.start == kAccept ? "constant: ACCEPT (matches every record)\n"
                                  : "constant: REJECT (matches no record)\n";
    }
    out += "start: " + target(p.start) + "\n";
    for (size_t i = 0; i < p.insns.size(); ++i) {
        const Insn& in = p.insns[i];
        char head[32];
        std::snprintf(head, sizeof(head), "%4zu  ", i);
        out += head + p.descriptions[i];
        if (in.op == Op::kSetLabel) {
            out += "  -> " + target(in.on_true) + "\n";
        } else {
            out += "  ? " + target(in.on_true) + " : " + target(in.on_false) + "\n";
        }
    }
    return out;
}

}  // namespace flow::filter::detail
