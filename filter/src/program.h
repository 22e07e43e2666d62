// SPDX-License-Identifier: BSD-2-Clause
// The compiled form of a filter: a flat array of instructions, each a test with a jump for
// true and one for false. Jumps only go forward, so evaluation always ends; it runs in one
// loop with a switch, without allocation or virtual calls.
#pragma once

#include <cstdint>
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
};

// The record elements whose fields `in` reads.
uint64_t ElementsRead(const Insn& in);

// Turns an optimised tree into a program. `tables` is moved into the program.
std::unique_ptr<Program> Generate(const Node& root, Tables tables, std::string text);

// Evaluates `program` on `rec`. `idents` holds one result byte per ident slot. When
// `label` is not null it receives the label index of the match, or -1.
bool Run(const Program& program, const FlowRecord& rec, uint64_t count, const uint8_t* idents,
         int32_t* label);
// The same without the label (a smaller function: most filters are run this way).
bool Run(const Program& program, const FlowRecord& rec, uint64_t count, const uint8_t* idents);

// The program as text, one instruction a line.
std::string DumpProgram(const Program& program);

}  // namespace flow::filter::detail
