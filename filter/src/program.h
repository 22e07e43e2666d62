// SPDX-License-Identifier: BSD-2-Clause
// The compiled form of a filter: a flat array of instructions, each a test with a jump for
// true and one for false. Jumps only go forward, so evaluation always ends; it runs in one
// loop with a switch, without allocation or virtual calls.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "ast.h"
#include "flow/record.h"

namespace flow::filter::detail {

enum class Op : uint8_t {
    kField8,  // (u8 at offset >> shift) & mask <cmp> value
    kField16,
    kField32,
    kField64,
    kFlagsAll,   // (field & value) == value
    kFlagsAny,   // (field & value) != 0 (a flags test under `not`, as nfdump evaluates it)
    kIp,         // IpAddr at offset, masked, == value (value_hi/value, mask_hi/mask)
    kIpList,     // IpAddr at offset in ip_lists[aux]
    kFieldList,  // field (as kField*) in u64_lists[aux]
    kDuration,
    kPps,
    kBps,
    kBpp,
    kMplsEos,
    kMplsAny,
    kPortInBlock,  // block_start <= field <= block_end
    kIsV6,
    kCount,
    kIdent,     // ident result slot aux (set by Filter::SetIdent)
    kSetLabel,  // remember label aux, continue at on_true
};

// Jump targets below zero end the evaluation.
inline constexpr int32_t kAccept = -1;
inline constexpr int32_t kReject = -2;

struct Insn {
    Op op = Op::kField8;
    Cmp cmp = Cmp::kEq;
    uint8_t width = 0;  // field width in bytes for kFieldList / kFlags* / kPortInBlock
    uint8_t shift = 0;
    uint16_t offset = 0;
    int32_t on_true = kAccept;
    int32_t on_false = kReject;
    uint32_t aux = 0;
    uint64_t mask = ~uint64_t{0};
    uint64_t value = 0;
    uint64_t mask_hi = 0;   // kIp only
    uint64_t value_hi = 0;  // kIp only
    // kField*: the comparison as a range, set by Generate(): the field's value v passes when
    // v - range_lo <= range_span (unsigned), one test whatever `cmp` is.
    uint64_t range_lo = 0;
    uint64_t range_span = 0;
};

// One test of the fast form (Program::fast): the 8-byte word at `offset` of the record
// passes when (word & mask) - lo <= span, unsigned. A field, flags, family or address-half
// test is one such word test (the field's bits masked in place, the range shifted to them),
// so the fast evaluator runs one kind of instruction and needs no switch. The jumps are byte
// offsets into Program::fast (64-bit, so that they address without widening), or
// kFastAccept / kFastReject, which are above every offset.
struct FastInsn {
    uint64_t mask = 0;
    uint64_t lo = 0;
    uint64_t span = 0;
    uint64_t on_true = 0;
    uint64_t on_false = 0;
    uint16_t offset = 0;  // offset + 8 <= sizeof(FlowRecord)
};

inline constexpr uint64_t kFastReject = ~uint64_t{1};
inline constexpr uint64_t kFastAccept = ~uint64_t{0};

// Which evaluator a program takes (Program::fast_form).
enum class FastForm : uint8_t {
    kNone,     // the general one, Run()
    kOneTest,  // Program::fast holds one test, passing records match: PassesTest()
    kJumps,    // Program::fast from fast_start: RunFast()
    // Program::fast holds tests that all pass for a record to match (RunChain()), or, with
    // Program::fast_negate, tests one of which passes (each kept inverted): and-chains and
    // or-chains run with no jump that depends on the record.
    kChain,
};

// An ip list grouped by prefix mask, each group's masked addresses sorted for binary search.
struct IpGroup {
    IpAddr mask;
    std::vector<IpAddr> values;
};

struct Program {
    std::string text;  // the filter as given
    std::vector<Insn> insns;
    std::vector<std::string> descriptions;  // one per insn, for Dump()
    int32_t start = kAccept;
    std::vector<std::vector<IpGroup>> ip_lists;
    std::vector<std::vector<uint64_t>> u64_lists;
    std::vector<std::string> idents;
    std::vector<std::string> labels;
    bool uses_count = false;
    bool uses_ident = false;
    bool has_labels = false;
    // The record elements the instructions read (FlowRecord::present bits), see
    // Filter::elements_read().
    uint64_t elements = 0;
    // The fast form of the program, built by Generate() when every instruction is a field,
    // flags, address or family test (no lists, rates, count, ident or labels): the same
    // jumps over word tests, an address test taking one per half it constrains; fast_start
    // is its entry (a byte offset into `fast`). A program of one test becomes one test that
    // passing records match (a test whose failure matches is inverted).
    FastForm fast_form = FastForm::kNone;
    std::vector<FastInsn> fast;
    uint64_t fast_start = 0;
    bool fast_negate = false;  // kChain: the record matches when a test fails
};

// The record elements whose fields `in` reads.
uint64_t ElementsRead(const Insn& in);

// Turns an optimised tree into a program. `tables` is moved into the program. `fast`: build
// the fast form where the program allows (tests turn it off to compare the evaluators).
std::unique_ptr<Program> Generate(const Node& root, Tables tables, std::string text,
                                  bool fast = true);

// Evaluates `program` on `rec`. `idents` holds one result byte per ident slot. When
// `label` is not null it receives the label index of the match, or -1.
bool Run(const Program& program, const FlowRecord& rec, uint64_t count, const uint8_t* idents,
         int32_t* label);
// The same without the label (a smaller function: most filters are run this way).
bool Run(const Program& program, const FlowRecord& rec, uint64_t count, const uint8_t* idents);

// True if `rec` passes the word test `in`.
[[gnu::always_inline]] inline bool PassesTest(const FastInsn& in, const FlowRecord& rec) {
    uint64_t word;
    std::memcpy(&word, reinterpret_cast<const unsigned char*>(&rec) + in.offset, sizeof(word));
    return (word & in.mask) - in.lo <= in.span;
}

// Evaluates the fast form kJumps on `rec`: the result Run() gives for the same program.
// Inline so that Filter::Match() runs it without a further call.
[[gnu::always_inline]] inline bool RunFast(const Program& program, const FlowRecord& rec) {
    const auto* code = reinterpret_cast<const unsigned char*>(program.fast.data());
    uint64_t at = program.fast_start;
    do {
        const auto& in = *reinterpret_cast<const FastInsn*>(code + at);
        at = PassesTest(in, rec) ? in.on_true : in.on_false;
    } while (at < kFastReject);
    return at == kFastAccept;
}

// Evaluates the fast form kChain on `rec`: every test runs, whatever the others gave, so
// that the only jump is the loop's, taken the same number of times for every record.
[[gnu::always_inline]] inline bool RunChain(const Program& program, const FlowRecord& rec) {
    bool all = true;
    for (const FastInsn& in : program.fast) all &= PassesTest(in, rec);
    return all != program.fast_negate;
}

// The program as text, one instruction a line.
std::string DumpProgram(const Program& program);

}  // namespace flow::filter::detail
