// SPDX-License-Identifier: BSD-2-Clause
// flow::aggregate: nfdump's element statistics (-s TYPE[:p][/ORDER...]) counted in a flat
// hash table while records stream past, and printed as nfdump 1.7.1's Top-N tables (text
// and csv), and flow-record aggregation (-a/-A/-b/-B, -s record) and -O ordering.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
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
    kSrcIp,
    kDstIp,
    kIp,
    kNextHop,
    kBgpNextHop,
    kRouter,
    kSrcPort,
    kDstPort,
    kPort,
    kProto,
    kSrcAs,
    kDstAs,
    kAs,
    kPrevAs,
    kNextAs,
    kInIf,
    kOutIf,
    kIf,
    kSrcTos,
    kDstTos,
    kDir,
    kSrcMask,
    kDstMask,
    kMask,
    kSrcVlan,
    kDstVlan,
    kVlan,
    kInSrcMac,
    kOutDstMac,
    kInDstMac,
    kOutSrcMac,
    kSrcMac,
    kDstMac,
    kInMac,
    kOutMac,
    kMpls1,
    kMpls2,
    kMpls3,
    kMpls4,
    kMpls5,
    kMpls6,
    kMpls7,
    kMpls8,
    kMpls9,
    kMpls10,
    kClientLatency,
    kServerLatency,
    kApplLatency,
    kInVrf,
    kOutVrf,
    kObsDomain,
    kObsPoint,
    kTos,
    kEvent,   // NSEL firewall event, or the NAT event of NAT records
    kXEvent,  // NSEL extended event
    kXlateSrcIp,
    kXlateDstIp,
    kXlateSrcPort,
    kXlateDstPort,
    kInAcl,
    kInAce,
    kInXace,
    kOutAcl,
    kOutAce,
    kOutXace,
};

// Sort orders in nfdump's canonical sequence: tables of one -s print in this order.
enum class StatOrder : uint8_t {
    kFlows,
    kPackets,
    kInPackets,
    kOutPackets,
    kBytes,
    kInBytes,
    kOutBytes,
    kPps,
    kInPps,
    kOutPps,
    kBps,
    kInBps,
    kOutBps,
    kBpp,
    kInBpp,
    kOutBpp,
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

// Layout of the tables: nfdump's text and csv tables, its pipe rows (numbers only: address
// family, times in ms, addresses as four 32-bit words), or one JSON object per row and line
// (kJson and kNdjson alike, the layout of nfdump 1.7.2 and later).
enum class StatLayout : uint8_t { kText, kCsv, kPipe, kJson, kNdjson };

// How tables are printed.
struct StatPrintOptions {
    size_t top_n = 10;     // -n; 0 = every entry
    bool csv = false;      // -o csv layout (same as layout = kCsv)
    StatLayout layout = StatLayout::kText;
    // -l / -L: rows whose packets (bytes) are not above (with *_below: below) the limit are
    // left out of every table. 0 = no limit.
    uint64_t packet_limit = 0;
    bool packets_below = false;
    uint64_t byte_limit = 0;
    bool bytes_below = false;
    bool quiet = false;    // -q: no heading, no column header (csv header stays)
    bool plain = false;    // -N
    bool long_v6 = false;  // -6
    bool tag = false;      // -T: a 0x01 byte before address values in text tables
};

// Counts one statistic. Add() is the per-record path: a key extraction and a hash (none for
// small numbers, which index the table directly), no allocation except when the table grows;
// in a table of many values the counts wait a few records in a queue while their memory is
// fetched. size(), Merge() and Print() add what is queued first. Thread-compatible.
class ElementStat {
public:
    explicit ElementStat(StatSpec spec);
    ElementStat(ElementStat&&) noexcept;
    ElementStat& operator=(ElementStat&&) noexcept;
    ~ElementStat();

    void Add(const FlowRecord& rec);
    // The record elements (bits 1 << ElementId) whose fields Add() reads, for a reader that
    // decodes only those; kAllElements for statistics not listed as narrower.
    uint64_t elements_read() const;
    // Adds the counts of `other`, a statistic of the same spec that counted other records,
    // as if those records had been added here (tables print in an order of their own, so
    // the result does not depend on which records went where).
    void Merge(const ElementStat& other);

    // Distinct values counted.
    size_t size() const;
    // Bytes held by the table (for a memory bound).
    size_t memory_bytes() const;

    // Appends every table of this statistic (one per order) to `out`. Percentages are of
    // `totals` (the passed records' totals). Text, csv and pipe tables end with an empty
    // line; JSON rows are one object per line.
    void Print(const StatPrintOptions& options, const output::Summary& totals,
               std::string* out) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flow::aggregate

namespace flow::aggregate {

// One -A aggregation key field.
enum class AggField : uint8_t {
    kProto,
    kSrcIp,
    kDstIp,
    kSrcPort,
    kDstPort,
    kSrcAs,
    kDstAs,
    kInIf,
    kOutIf,
    kRouter,
    kSrcTos,
    kDstTos,
    kSrcVlan,
    kDstVlan,
    kSrcMask,
    kDstMask,
    kNextAs,
    kPrevAs,
    kNextHop,
    kBgpNextHop,
    kTos,  // the source ToS, printed with %tos
    kMpls1,
    kMpls2,
    kMpls3,
    kMpls4,
    kMpls5,
    kMpls6,
    kMpls7,
    kMpls8,
    kMpls9,
    kMpls10,
    kInSrcMac,
    kOutDstMac,
    kInDstMac,
    kOutSrcMac,
    kSrcNet,  // address masked by the record's own mask; the mask is part of the key
    kDstNet,
    kObsDomain,
    kObsPoint,
    kXlateSrcIp,
    kXlateDstIp,
    kXlateSrcPort,
    kXlateDstPort,
};

struct AggKeySpec {
    AggField field = AggField::kProto;
    int v4_bits = 0;  // srcip4/N: mask applied as 1.7.1 does (see AggregateSpec)
    int v6_bits = 0;  // srcip6/N
};

// The record grouping of one run: -a (five_tuple) or the -A key list.
struct AggregateSpec {
    bool five_tuple = false;
    bool each_record = false;      // no grouping: every record kept as is (-O on a listing)
    bool bidirectional = false;    // -b: a five-tuple and its reverse are one group
    bool swap_server = false;      // -B: as -b, TCP/UDP server->client records swapped first
    std::vector<AggKeySpec> keys;  // command-line order
    // The automatic -o format for -A: "fmt:%ts %td  <tokens> %pkt %byt %bps %bpp %fl".
    std::string AutoFormat() const;
};

// Parses an -A argument ("srcip,dstport", "srcip4/24,proto"). Fails with InvalidArgument and
// nfdump's messages (Unknown aggregation field, Duplicate aggregation mask, subnet errors).
Result<AggregateSpec> ParseAggregateSpec(std::string_view arg);

// -O orders of aggregated records.
enum class RecordOrder : uint8_t {
    kNone,
    kFlows,
    kPackets,
    kInPackets,
    kOutPackets,
    kBytes,
    kInBytes,
    kOutBytes,
    kPps,
    kInPps,
    kOutPps,
    kBps,
    kInBps,
    kOutBps,
    kBpp,
    kInBpp,
    kOutBpp,
    kTstart,
    kTend,
    kDuration,
};

struct RecordOrderSpec {
    RecordOrder order = RecordOrder::kNone;
    bool ascending = false;
};

// Parses an -O argument ("bytes", "tstart", "flows:a"). Fails with InvalidArgument.
Result<RecordOrderSpec> ParseRecordOrder(std::string_view arg);

// The -O orders matching the orders of a parsed "-s record/..." (its kind is ignored), in
// canonical sequence.
std::vector<RecordOrderSpec> RecordOrders(const StatSpec& spec);

// Name of a record order as headings print it ("bytes").
const char* RecordOrderName(RecordOrder order);

// Groups records by an AggregateSpec. Add() packs the key into the words the key list needs
// and probes an index of them; existing groups add counters in place. No group is kept as a
// FlowRecord (592 bytes): -A groups are 64-byte counters (their key fields stay in the
// index) and become records with only their key fields when handed out; -a/-b/-B groups
// (and -s record's) keep their first record in the packed V3 encoding of nfdump files
// (typically 100-170 bytes, the five-tuple key read back from it) with the counters added
// in place and the TCP flags OR-ed, as nfdump 1.7.1 prints them; -O records are kept packed
// the same way. A group is decoded into a FlowRecord only when handed out, so every field
// of the first record comes back unchanged. Add() counts each record a few records later,
// while the memory of its group is loaded (the groups are made in the same order); size(),
// memory_bytes(), Groups() and ForEach() count what is queued first: const as they are, they
// change the object, so no two calls may overlap, not even two const ones.
class Aggregator {
public:
    explicit Aggregator(AggregateSpec spec);
    Aggregator(Aggregator&&) noexcept;
    Aggregator& operator=(Aggregator&&) noexcept;
    ~Aggregator();

    void Add(const FlowRecord& rec);
    // Adds `rec` as above; `stored` is the record as its file stores it
    // (NfFileReader::StoredRecord(), or empty), which a group may keep as it is rather than
    // encoding `rec` again. Only read during the call.
    void Add(const FlowRecord& rec, std::span<const uint8_t> stored);
    // The record elements (bits 1 << ElementId) Add() reads of a record that comes with its
    // stored bytes, for a reader that decodes only those (a group keeps the stored bytes,
    // and decodes them whole where it needs to); records without stored bytes must be
    // decoded whole. kAllElements when Add() always reads whole records (-A, -b, -B).
    uint64_t elements_read() const;

    size_t size() const;
    // Bytes held by the groups and their index (for a memory bound).
    size_t memory_bytes() const;

    // Shares: `shares` aggregators, each on its own thread, are all offered the same
    // records in the same order (Offer()), and each takes only those whose key hash falls in
    // its `share` (0 <= share < shares), so that each holds a disjoint part of the groups.
    // Join() then makes one of them hand out all groups exactly as one aggregator that was
    // given every record would: ties in first-seen order across the shares. For -s record
    // and -a (Shareable()); not -A compact groups, -b/-B or -O.
    static bool Shareable(const AggregateSpec& spec);
    Aggregator(AggregateSpec spec, unsigned share, unsigned shares);
    // Adds `rec` (and `stored`, as Add()) when its key falls in this aggregator's share;
    // false, and nothing kept, when it does not. Every record must be offered to every share.
    bool Offer(const FlowRecord& rec, std::span<const uint8_t> stored);
    // Takes the groups of `other`, another share of the same records (groups in a share are
    // never in another); size(), Groups() and ForEach() then cover all shares joined.
    void Join(Aggregator&& other);
    // An upper bound of memory_bytes() of one aggregator given every record the joined
    // shares were offered (what the serial -s loop compares with its memory limit).
    size_t joined_memory_bound() const;

    // The groups: without an order in first-seen order (nfdump prints hash order), else
    // sorted; at most `limit` (0 = all).
    // The pointers stay valid until the next Groups() call.
    std::vector<const FlowRecord*> Groups(const RecordOrderSpec& order, size_t limit) const;
    // The same groups handed to `fn` one at a time (-A groups are made into records one by
    // one, so printing all of them needs no second copy); stops when `fn` returns false.
    void ForEach(const RecordOrderSpec& order, size_t limit,
                 const std::function<bool(const FlowRecord&)>& fn) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace flow::aggregate
