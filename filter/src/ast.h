// SPDX-License-Identifier: BSD-2-Clause
// Syntax tree of a parsed filter. Leaves are Tests that already name the FlowRecord field and
// the value to compare, so the optimiser and the code generator need no knowledge of the
// language's keywords. Tables (lists, idents, labels) live beside the tree in Tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "flow/record.h"

namespace flow::filter::detail {

enum class Cmp : uint8_t { kEq, kGt, kLt, kGe, kLe };

// A scalar field of FlowRecord: value = (load(offset, width) >> shift) & mask.
struct FieldRef {
    uint16_t offset = 0;
    uint8_t width = 0;  // bytes: 1, 2, 4 or 8
    uint8_t shift = 0;
    uint64_t mask = ~uint64_t{0};
    const char* name = "";  // for Dump(), e.g. "src_port"

    bool SameAs(const FieldRef& o) const {
        return offset == o.offset && width == o.width && shift == o.shift && mask == o.mask;
    }
};

// Builds a FieldRef for member `m` of FlowRecord.
#define FLOW_FILTER_FIELD(m, name)                                                     \
    ::flow::filter::detail::FieldRef {                                                 \
        static_cast<uint16_t>(offsetof(::flow::FlowRecord, m)),                        \
            static_cast<uint8_t>(sizeof(::flow::FlowRecord::m)), 0, ~uint64_t{0}, name \
    }

enum class TestKind : uint8_t {
    kConst,        // value != 0
    kField,        // field <cmp> value
    kFlagsAll,     // all bits of value set in field; nfdump: under `not`, none of them set
    kIp,           // (address & mask) == addr, 128 bit
    kIpList,       // address in ip list `list`
    kFieldList,    // field in u64 list `list`
    kDuration,     // last_ms - first_ms <cmp> value
    kPps,          // 1000 * packets / duration_ms <cmp> value (0 when duration is 0)
    kBps,          // 8000 * bytes / duration_ms <cmp> value
    kBpp,          // bytes / packets <cmp> value (0 without packets)
    kMplsEos,      // label of the bottom-of-stack entry <cmp> value
    kMplsAny,      // some label in the stack == value
    kPortInBlock,  // block_start <= field <= block_end
    kIsV6,         // the record's addresses are IPv6
    kCount,        // MatchContext::count <cmp> value
    kIdent,        // the current ident equals ident string `list`
};

struct Test {
    TestKind kind = TestKind::kConst;
    Cmp cmp = Cmp::kEq;
    FieldRef field;            // kField, kFlagsAll, kFieldList, kPortInBlock
    uint16_t addr_offset = 0;  // kIp, kIpList: offset of an IpAddr in FlowRecord
    const char* addr_name = "";
    IpAddr addr;           // kIp (already masked)
    IpAddr mask;           // kIp
    bool addr_v6 = false;  // kIp: written as IPv6 (display only; matching is on 128 bits)
    uint64_t value = 0;
    uint32_t list = 0;  // kIpList, kFieldList: table index; kIdent: ident index
};

// One network of an ip list: addresses with (a & mask) == addr.
struct IpNet {
    IpAddr addr;
    IpAddr mask;
    uint8_t bits = 0;  // prefix length counted from bit 127 (v4 /24 = 96 + 24)
    bool v6 = false;   // written as IPv6 (display only)
};

struct Tables {
    std::vector<std::vector<IpNet>> ip_lists;
    std::vector<std::vector<uint64_t>> u64_lists;  // sorted, unique
    std::vector<std::string> idents;
    std::vector<std::string> labels;
};

struct Node {
    enum class Kind : uint8_t { kAnd, kOr, kNot, kTest };

    Kind kind = Kind::kTest;
    Test test;
    std::vector<std::unique_ptr<Node>> kids;
    int32_t label = -1;      // index into Tables::labels, applied when this node is true
    bool has_label = false;  // this node or one below carries a label

    static std::unique_ptr<Node> Leaf(const Test& test);
    static std::unique_ptr<Node> Const(bool value);
    static std::unique_ptr<Node> Not(std::unique_ptr<Node> kid);
    static std::unique_ptr<Node> Join(Kind kind, std::unique_ptr<Node> a, std::unique_ptr<Node> b);
};

// Simplifies the tree in place: flattens nested and/or, folds constants, removes double
// negation, merges `or` chains of equality tests on one field into sorted lists, and puts
// cheap tests first where the result cannot change (no labels below). Recursion depth is
// bounded by the parser's nesting limit.
void Optimize(std::unique_ptr<Node>& node, Tables& tables);

// Rough evaluation cost of a tree, used for ordering.
int Cost(const Node& node);

// Text of one test, e.g. "src_port == 80", for Dump().
std::string DescribeTest(const Test& test, const Tables& tables);

// Text of an address (v4 dotted when hi is 0 and the mask covers the v4 range).
std::string FormatIp(const IpAddr& addr, bool v4);

}  // namespace flow::filter::detail
