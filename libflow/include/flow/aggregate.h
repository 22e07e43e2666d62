// SPDX-License-Identifier: BSD-2-Clause
// flow::aggregate: nfdump's element statistics (-s TYPE[:p][/ORDER...]) counted in a flat
// hash table while records stream past, and printed as nfdump 1.7.1's Top-N tables (text
// and csv). Flow-record aggregation (-a/-A) is not here yet.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flow/output.h"
#include "flow/record.h"
#include "flow/status.h"

namespace flow::aggregate {

// What one -s statistic counts. Kinds that name two fields (kIp, kPort, ...) count every
// record once for each field.
enum class StatKind : uint8_t {
    kSrcIp, kDstIp, kIp, kNextHop, kBgpNextHop, kRouter,
    kSrcPort, kDstPort, kPort, kProto,
    kSrcAs, kDstAs, kAs, kPrevAs, kNextAs,
    kInIf, kOutIf, kIf,
    kSrcTos, kDstTos, kDir,
    kSrcMask, kDstMask, kMask,
    kSrcVlan, kDstVlan, kVlan,
};

// Sort orders in nfdump's canonical sequence: tables of one -s print in this order.
enum class StatOrder : uint8_t {
    kFlows, kPackets, kInPackets, kOutPackets, kBytes, kInBytes, kOutBytes,
    kPps, kInPps, kOutPps, kBps, kInBps, kOutBps, kBpp, kInBpp, kOutBpp,
};

struct OrderSpec {
    StatOrder order = StatOrder::kFlows;
    bool ascending = false;
};

// One parsed -s argument.
struct StatSpec {
    StatKind kind = StatKind::kSrcIp;
    bool per_proto = false;         // ":p", always on for proto
    std::vector<OrderSpec> orders;  // canonical order, no duplicates, at least one
};

// Parses a -s argument ("srcip", "dstport:p/bytes/flows", "ip/bytes:a"). Fails with
// InvalidArgument and nfdump's message "Unknown stat: '<arg>'!". "record" is not an element
// statistic and fails the same way here.
Result<StatSpec> ParseStatSpec(std::string_view arg);

// How tables are printed.
struct StatPrintOptions {
    size_t top_n = 10;     // -n; 0 = every entry
    bool csv = false;      // -o csv layout
    bool quiet = false;    // -q: no heading, no column header (csv header stays)
    bool plain = false;    // -N
    bool long_v6 = false;  // -6
};

// Counts one statistic. Add() is the per-record path: a key extraction, a hash and a probe
// into a flat open-addressing table, no allocation except when the table grows.
// Thread-compatible.
class ElementStat {
public:
    explicit ElementStat(StatSpec spec);
    ElementStat(ElementStat&&) noexcept;
    ElementStat& operator=(ElementStat&&) noexcept;
    ~ElementStat();

    void Add(const FlowRecord& rec);

    // Distinct values counted.
    size_t size() const;

    // Appends every table of this statistic (one per order) to `out`. Percentages are of
    // `totals` (the passed records' totals). Each table ends with an empty line.
    void Print(const StatPrintOptions& options, const output::Summary& totals,
               std::string* out) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flow::aggregate
