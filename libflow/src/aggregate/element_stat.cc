// SPDX-License-Identifier: BSD-2-Clause
// Element statistics (-s): the -s argument parser, the per-record counting into a StatTable
// and the Top-N tables in nfdump 1.7.1's text and csv layouts.
#include <algorithm>
#include <cstddef>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <utility>

#include "aggregate/flat_table.h"
#include "aggregate/stat_table.h"
#include "flow/aggregate.h"
#include "flow/format_util.h"

namespace flow::aggregate {

namespace {

// How a counted value prints.
enum class ValueForm : uint8_t { kNumber, kAddress, kMac, kMpls, kHex, kLatency, kEvent };

struct KindInfo {
    const char* name;
    const char* label;
    StatKind kind;
    ValueForm form;
};

constexpr ValueForm kAddr = ValueForm::kAddress;
constexpr ValueForm kNum = ValueForm::kNumber;

const KindInfo kKinds[] = {
    {"srcip", "Src IP Addr", StatKind::kSrcIp, kAddr},
    {"dstip", "Dst IP Addr", StatKind::kDstIp, kAddr},
    {"ip", "IP Addr", StatKind::kIp, kAddr},
    {"nhip", "Nexthop IP", StatKind::kNextHop, kAddr},
    {"nhbip", "Nexthop BGP IP", StatKind::kBgpNextHop, kAddr},
    {"router", "Router IP", StatKind::kRouter, kAddr},
    {"srcport", "Src Port", StatKind::kSrcPort, kNum},
    {"dstport", "Dst Port", StatKind::kDstPort, kNum},
    {"port", "Port", StatKind::kPort, kNum},
    {"proto", "Protocol", StatKind::kProto, kNum},
    {"srcas", "Src AS", StatKind::kSrcAs, kNum},
    {"dstas", "Dst AS", StatKind::kDstAs, kNum},
    {"as", "AS", StatKind::kAs, kNum},
    {"prevas", "Prev AS", StatKind::kPrevAs, kNum},
    {"nextas", "Next AS", StatKind::kNextAs, kNum},
    {"inif", "Input If", StatKind::kInIf, kNum},
    {"outif", "Output If", StatKind::kOutIf, kNum},
    {"if", "In/Out If", StatKind::kIf, kNum},
    {"srctos", "Tos", StatKind::kSrcTos, kNum},
    {"dsttos", "Dst Tos", StatKind::kDstTos, kNum},
    {"dir", "Dir", StatKind::kDir, kNum},
    {"srcmask", "Src Mask", StatKind::kSrcMask, kNum},
    {"dstmask", "Dst Mask", StatKind::kDstMask, kNum},
    {"mask", "Mask", StatKind::kMask, kNum},
    {"srcvlan", "Src Vlan", StatKind::kSrcVlan, kNum},
    {"dstvlan", "Dst Vlan", StatKind::kDstVlan, kNum},
    {"vlan", "Vlan", StatKind::kVlan, kNum},
    {"insrcmac", "In Src Mac", StatKind::kInSrcMac, ValueForm::kMac},
    {"outdstmac", "Out Dst Mac", StatKind::kOutDstMac, ValueForm::kMac},
    {"indstmac", "In Dst Mac", StatKind::kInDstMac, ValueForm::kMac},
    {"outsrcmac", "Out Src Mac", StatKind::kOutSrcMac, ValueForm::kMac},
    {"srcmac", "Src Mac", StatKind::kSrcMac, ValueForm::kMac},
    {"dstmac", "Dst Mac", StatKind::kDstMac, ValueForm::kMac},
    {"inmac", "In Src Mac", StatKind::kInMac, ValueForm::kMac},
    {"outmac", "Out Src Mac", StatKind::kOutMac, ValueForm::kMac},
    {"mpls1", " MPLS lab 1", StatKind::kMpls1, ValueForm::kMpls},
    {"mpls2", " MPLS lab 2", StatKind::kMpls2, ValueForm::kMpls},
    {"mpls3", " MPLS lab 3", StatKind::kMpls3, ValueForm::kMpls},
    {"mpls4", " MPLS lab 4", StatKind::kMpls4, ValueForm::kMpls},
    {"mpls5", " MPLS lab 5", StatKind::kMpls5, ValueForm::kMpls},
    {"mpls6", " MPLS lab 6", StatKind::kMpls6, ValueForm::kMpls},
    {"mpls7", " MPLS lab 7", StatKind::kMpls7, ValueForm::kMpls},
    {"mpls8", " MPLS lab 8", StatKind::kMpls8, ValueForm::kMpls},
    {"mpls9", " MPLS lab 9", StatKind::kMpls9, ValueForm::kMpls},
    {"mpls10", "MPLS lab 10", StatKind::kMpls10, ValueForm::kMpls},
    {"cl", "Client Latency", StatKind::kClientLatency, ValueForm::kLatency},
    {"sl", "Server Latency", StatKind::kServerLatency, ValueForm::kLatency},
    {"al", "  Appl Latency", StatKind::kApplLatency, ValueForm::kLatency},
    {"ivrf", " I-vrf-ID", StatKind::kInVrf, kNum},
    {"evrf", " E-vrf-ID", StatKind::kOutVrf, kNum},
    {"odid", "obs domainID", StatKind::kObsDomain, ValueForm::kHex},
    {"opid", " obs PointID", StatKind::kObsPoint, ValueForm::kHex},
    {"tos", "Tos", StatKind::kTos, kNum},
    {"event", " Event", StatKind::kEvent, ValueForm::kEvent},
    {"nevent", " Event", StatKind::kEvent, ValueForm::kEvent},
    {"xevent", "X-Event", StatKind::kXEvent, kNum},
    {"xsrcip", "X-Src IP Addr", StatKind::kXlateSrcIp, kAddr},
    {"xdstip", "X-Dst IP Addr", StatKind::kXlateDstIp, kAddr},
    {"xsrcport", " X-Src Port", StatKind::kXlateSrcPort, kNum},
    {"xdstport", " X-Dst Port", StatKind::kXlateDstPort, kNum},
    {"nsrcip", "X-Src IP Addr", StatKind::kXlateSrcIp, kAddr},
    {"ndstip", "X-Dst IP Addr", StatKind::kXlateDstIp, kAddr},
    {"nsrcport", " X-Src Port", StatKind::kXlateSrcPort, kNum},
    {"ndstport", " X-Dst Port", StatKind::kXlateDstPort, kNum},
    {"iacl", "Ingress ACL", StatKind::kInAcl, ValueForm::kHex},
    {"iace", "Ingress ACE", StatKind::kInAce, ValueForm::kHex},
    {"ixace", "Ingress xACE", StatKind::kInXace, ValueForm::kHex},
    {"eacl", "Egress ACL", StatKind::kOutAcl, ValueForm::kHex},
    {"eace", "Egress ACE", StatKind::kOutAce, ValueForm::kHex},
    {"exace", "Egress xACE", StatKind::kOutXace, ValueForm::kHex},
};

const char* const kOrderNames[] = {
    "flows", "packets", "ipkg", "opkg", "bytes", "ibyte", "obyte", "pps",
    "ipps",  "opps",    "bps",  "ibps", "obps",  "bpp",   "ibpp",  "obpp",
};

const KindInfo& Info(StatKind kind) {
    for (const KindInfo& k : kKinds) {
        if (k.kind == kind) return k;
    }
    return kKinds[0];
}

bool EqualNoCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
        if (x != b[i]) return false;
    }
    return true;
}

// Which counters an order's table shows: the in, the out or the in+out ones.
enum class Direction { kIn, kOut, kBoth };

Direction OrderDirection(StatOrder o) {
    switch (o) {
        case StatOrder::kFlows:
        case StatOrder::kInPackets:
        case StatOrder::kInBytes:
        case StatOrder::kInPps:
        case StatOrder::kInBps:
        case StatOrder::kInBpp:
            return Direction::kIn;
        case StatOrder::kOutPackets:
        case StatOrder::kOutBytes:
        case StatOrder::kOutPps:
        case StatOrder::kOutBps:
        case StatOrder::kOutBpp:
            return Direction::kOut;
        default:
            return Direction::kBoth;
    }
}

// One counted value: the address or number in hi/lo, plus the protocol (with :p) in `aux`.
// The address family is not part of the key: nfdump 1.7.1 keys and prints statistics by
// value alone, an address with a zero upper half as IPv4 (so :: is 0.0.0.0 and
// ::ffff:a.b.c.d is a.b.c.d), everything else as IPv6.
struct StatKey {
    uint64_t hi = 0;
    uint64_t lo = 0;
    uint32_t aux = 0;  // proto

    bool operator==(const StatKey&) const = default;
    uint64_t Hash() const {
        return detail::Mix64(hi * 0x9e3779b97f4a7c15ULL ^ lo ^ (uint64_t{aux} << 40));
    }
};

struct StatCounters {
    uint64_t flows = 0;
    uint64_t in_packets = 0;
    uint64_t in_bytes = 0;
    uint64_t out_packets = 0;
    uint64_t out_bytes = 0;
    uint64_t first_ms = UINT64_MAX;
    uint64_t last_ms = 0;
};

// The numbers one row prints, for one direction.
struct RowValues {
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t pps = 0;
    uint64_t bps = 0;
    uint64_t bpp = 0;
};

RowValues Values(const StatCounters& c, Direction dir) {
    RowValues v;
    switch (dir) {
        case Direction::kIn:
            v.packets = c.in_packets;
            v.bytes = c.in_bytes;
            break;
        case Direction::kOut:
            v.packets = c.out_packets;
            v.bytes = c.out_bytes;
            break;
        case Direction::kBoth:
            v.packets = c.in_packets + c.out_packets;
            v.bytes = c.in_bytes + c.out_bytes;
            break;
    }
    uint64_t first = c.first_ms == UINT64_MAX ? 0 : c.first_ms;
    double duration_s = c.last_ms > first ? static_cast<double>(c.last_ms - first) / 1000.0 : 0;
    if (duration_s > 0) {
        v.pps = static_cast<uint64_t>(static_cast<double>(v.packets) / duration_s);
        v.bps = static_cast<uint64_t>(8.0 * static_cast<double>(v.bytes) / duration_s);
    }
    if (v.packets != 0) v.bpp = v.bytes / v.packets;
    return v;
}

uint64_t SortValue(const StatCounters& c, StatOrder o) {
    RowValues v = Values(c, OrderDirection(o));
    switch (o) {
        case StatOrder::kFlows:
            return c.flows;
        case StatOrder::kPackets:
        case StatOrder::kInPackets:
        case StatOrder::kOutPackets:
            return v.packets;
        case StatOrder::kBytes:
        case StatOrder::kInBytes:
        case StatOrder::kOutBytes:
            return v.bytes;
        case StatOrder::kPps:
        case StatOrder::kInPps:
        case StatOrder::kOutPps:
            return v.pps;
        case StatOrder::kBps:
        case StatOrder::kInBps:
        case StatOrder::kOutBps:
            return v.bps;
        default:
            return v.bpp;
    }
}

double Percent(uint64_t part, uint64_t total) {
    if (total == 0) return 0;
    return static_cast<double>(part) * 100.0 / static_cast<double>(total);
}

// Whether the statistic's keys are a number alone (no address, no protocol beside it but the
// protocol statistic's own), so that values below 2^16 can index the table directly.
bool DirectIndexed(const StatSpec& spec) {
    if (spec.kind == StatKind::kProto) return true;
    if (spec.per_proto) return false;
    const ValueForm form = Info(spec.kind).form;
    return form != ValueForm::kAddress;
}

}  // namespace

Result<StatSpec> ParseStatSpec(std::string_view arg) {
    Status bad = Status::InvalidArgument("Unknown stat: '" + std::string(arg) + "'!");
    StatSpec spec;
    std::string_view rest = arg;
    size_t slash = rest.find('/');
    std::string_view name = rest.substr(0, slash);
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (name.size() > 2 && EqualNoCase(name.substr(name.size() - 2), ":p")) {
        spec.per_proto = true;
        name.remove_suffix(2);
    }
    bool found = false;
    for (const KindInfo& k : kKinds) {
        if (EqualNoCase(name, k.name)) {
            spec.kind = k.kind;
            found = true;
            break;
        }
    }
    if (!found) return bad;
    if (spec.kind == StatKind::kProto) spec.per_proto = true;

    bool seen[std::size(kOrderNames)] = {};
    bool ascending[std::size(kOrderNames)] = {};
    bool any = false;
    while (slash != std::string_view::npos) {
        slash = rest.find('/');
        std::string_view word = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        bool asc = false;
        size_t colon = word.find(':');
        if (colon != std::string_view::npos) {
            std::string_view dir = word.substr(colon + 1);
            if (EqualNoCase(dir, "a")) {
                asc = true;
            } else if (!EqualNoCase(dir, "d")) {
                return bad;
            }
            word = word.substr(0, colon);
        }
        size_t i = 0;
        while (i < std::size(kOrderNames) && !EqualNoCase(word, kOrderNames[i])) ++i;
        if (i == std::size(kOrderNames)) return bad;
        seen[i] = true;
        ascending[i] = asc;
        any = true;
    }
    if (!any) seen[0] = true;
    for (size_t i = 0; i < std::size(kOrderNames); ++i) {
        if (seen[i]) spec.orders.push_back({static_cast<StatOrder>(i), ascending[i]});
    }
    return spec;
}

// Cache-line aligned: the scan's two threads each fill their own statistic, whose per-record
// fields (the queue, `queued`) must not share a line with the other's.
struct alignas(64) ElementStat::Impl {
    // The counters of one value, a cache line of their own.
    struct alignas(64) Cell : StatCounters {};
    using Table = detail::StatTable<StatKey, Cell>;
    using Probe = Table::Probe;

    explicit Impl(StatSpec s)
        : spec(std::move(s)),
          table(DirectIndexed(spec)),
          short_below(spec.per_proto ? uint64_t{1} << 24 : uint64_t{1} << 32),
          aux_mask(spec.per_proto ? 0xffu : 0u) {}

    // Where `key` is looked up when it is not directly indexed: as a short key, a number
    // below 2^32 alone (an IPv4 address, an interface) or below 2^24 with the protocol of :p
    // beside it, given as one 32-bit number; otherwise by its hash.
    [[gnu::always_inline]] static uint32_t ShortNumber(const StatKey& key) {
        return static_cast<uint32_t>(key.lo | uint64_t{key.aux} << 24);
    }

    [[gnu::always_inline]] Probe LocateHashed(const StatKey& key) const {
        if (key.hi == 0 && key.lo < short_below) [[likely]] {
            return Table::ShortProbe(ShortNumber(key));
        }
        return Table::LongProbe(key);
    }

    [[gnu::always_inline]] Probe Locate(const StatKey& key) const {
        if (uint32_t* d = table.DirectSlot(key)) return {d, 0, 0};
        return LocateHashed(key);
    }

    // The counts of a value not yet added to its entry: with the queue on (a table too large
    // for the core's caches), a value's entry is found when it is queued and its line
    // prefetched, and the counts are added kQueue values later. An unused Pending adds
    // nothing to entry 1 (which exists whenever the queue is on).
    struct Pending {
        size_t n = 1;      // entry number + 1
        StatCounters add;  // first_ms and last_ms the record's
    };
    static constexpr size_t kQueue = 16;  // a power of two

    StatSpec spec;
    Table table;
    uint64_t short_below;  // keys with hi 0 and lo below this are short (LocateHashed)
    uint32_t aux_mask;     // of the protocol, the part that is in the key
    alignas(64) Pending queue[kQueue];
    size_t queued = 0;  // values queued ever, modulo kQueue the next one to add

    [[gnu::always_inline]] static void AddCounts(const StatCounters& add, StatCounters* c) {
        c->flows += add.flows;
        c->in_packets += add.in_packets;
        c->in_bytes += add.in_bytes;
        c->out_packets += add.out_packets;
        c->out_bytes += add.out_bytes;
        if (add.first_ms < c->first_ms) c->first_ms = add.first_ms;
        if (add.last_ms > c->last_ms) c->last_ms = add.last_ms;
    }

    // The counts one record adds.
    [[gnu::always_inline]] static void AddRecord(const FlowRecord& rec, StatCounters* c) {
        c->flows += rec.flows != 0 ? rec.flows : 1;
        c->in_packets += rec.packets;
        c->in_bytes += rec.bytes;
        c->out_packets += rec.out_packets;
        c->out_bytes += rec.out_bytes;
        if (rec.first_ms < c->first_ms) c->first_ms = rec.first_ms;
        if (rec.last_ms > c->last_ms) c->last_ms = rec.last_ms;
    }

    // The key of the value (hi, lo) of `rec`.
    [[gnu::always_inline]] StatKey KeyOf(const FlowRecord& rec, uint64_t hi, uint64_t lo) const {
        return {hi, lo, rec.proto & aux_mask};
    }

    // Locate() for a statistic of numbers (`kNumber`), which may be directly indexed, or of
    // addresses, which never are.
    template <bool kNumber>
    [[gnu::always_inline]] Probe LocateOf(const StatKey& key) const {
        return kNumber ? Locate(key) : LocateHashed(key);
    }

    // From this many values on the queue is used: their counters take 512 KB, which the
    // blocks the reader decodes keep pushing out of the core's caches (on 10M flows of
    // 9349 addresses -s srcip and -s ip ran faster with the queue, 8192 or fewer values
    // alike, than with it from 16384 on). Tables only grow, so a statistic switches to the
    // queue once and keeps it.
    static constexpr size_t kQueueFrom = 8192;
    bool queue_on = false;

    // Counts the value (hi, lo) of `rec`; `kNumber`: see LocateOf(). The path of a value
    // met before, with the queue off, calls nothing, so it needs no registers saved.
    template <bool kNumber>
    [[gnu::always_inline]] void Count(const FlowRecord& rec, uint64_t hi, uint64_t lo) {
        const StatKey key = KeyOf(rec, hi, lo);
        // LocateOf(), the direct and short lookups each inlined on their own, long keys
        // (IPv6 addresses, numbers of 32 bits or more) out of line.
        size_t n;
        if (uint32_t* d = kNumber ? table.DirectSlot(key) : nullptr) {
            n = table.Find(key, Probe{d, 0, 0});
        } else if (key.hi == 0 && key.lo < short_below) [[likely]] {
            n = table.Find(key, Table::ShortProbe(ShortNumber(key)));
        } else {
            return CountLong(rec, hi, lo);
        }
        if (n == 0) [[unlikely]] return CountNew<kNumber>(rec, hi, lo);
        if (queue_on) [[unlikely]] return Enqueue(rec, n);
        AddRecord(rec, &table.value(n));
    }

    // Count() of a long key.
    [[gnu::noinline]] void CountLong(const FlowRecord& rec, uint64_t hi, uint64_t lo) {
        const StatKey key = KeyOf(rec, hi, lo);
        const Probe probe = Table::LongProbe(key);
        size_t n = table.Find(key, probe);
        if (n == 0) n = Added(key, probe);
        if (queue_on) return Enqueue(rec, n);
        AddRecord(rec, &table.value(n));
    }

    // Count() of a value not in the table.
    template <bool kNumber>
    [[gnu::noinline]] void CountNew(const FlowRecord& rec, uint64_t hi, uint64_t lo) {
        const StatKey key = KeyOf(rec, hi, lo);
        const size_t n = Added(key, LocateOf<kNumber>(key));
        if (queue_on) return Enqueue(rec, n);
        AddRecord(rec, &table.value(n));
    }

    // Inserts `key`, absent, and returns its entry number + 1.
    size_t Added(const StatKey& key, const Probe& probe) {
        table.Insert(key, probe);
        queue_on = table.size() >= kQueueFrom;
        return table.size();
    }

    // Count() with the queue on, of entry number + 1 `n`.
    [[gnu::noinline]] void Enqueue(const FlowRecord& rec, size_t n) {
        Pending& p = queue[queued++ % kQueue];
        AddCounts(p.add, &table.value(p.n));
        p.n = n;
        p.add.flows = rec.flows != 0 ? rec.flows : 1;
        p.add.in_packets = rec.packets;
        p.add.in_bytes = rec.bytes;
        p.add.out_packets = rec.out_packets;
        p.add.out_bytes = rec.out_bytes;
        p.add.first_ms = rec.first_ms;
        p.add.last_ms = rec.last_ms;
        detail::Prefetch(&table.value(n));
    }

    // Adds every pending value to the table.
    void Flush() {
        if (!queue_on) return;
        for (Pending& p : queue) {
            AddCounts(p.add, &table.value(p.n));
            p = Pending{};
        }
    }

    void CountIp(const FlowRecord& rec, const IpAddr& a) { Count<false>(rec, a.hi, a.lo); }

    void CountNumber(const FlowRecord& rec, uint64_t n) { Count<true>(rec, 0, n); }

    void PrintTable(const OrderSpec& order, const StatPrintOptions& options,
                    const output::Summary& totals, std::string* out) const;
};

ElementStat::ElementStat(StatSpec spec) : impl_(std::make_unique<Impl>(std::move(spec))) {}
ElementStat::ElementStat(ElementStat&&) noexcept = default;
ElementStat& ElementStat::operator=(ElementStat&&) noexcept = default;
ElementStat::~ElementStat() = default;

size_t ElementStat::size() const {
    impl_->Flush();
    return impl_->table.size();
}

void ElementStat::Merge(const ElementStat& other) {
    impl_->Flush();
    other.impl_->Flush();
    const Impl::Table& from = other.impl_->table;
    for (size_t i = 0; i < from.size(); ++i) {
        const StatKey& key = from.keys()[i];
        Impl::AddCounts(from.values()[i],
                        &impl_->table.FindOrInsert(key, impl_->Locate(key)));
    }
}

uint64_t ElementStat::elements_read() const {
#define FLOWKIT_ELEMENTS_OF(field) \
    ElementsOfFieldBytes(offsetof(FlowRecord, field), sizeof(FlowRecord::field))
    // The counters and times every statistic adds, and the protocol of :p.
    uint64_t bits = FLOWKIT_ELEMENTS_OF(flows) | FLOWKIT_ELEMENTS_OF(packets) |
                    FLOWKIT_ELEMENTS_OF(bytes) | FLOWKIT_ELEMENTS_OF(out_packets) |
                    FLOWKIT_ELEMENTS_OF(out_bytes) | FLOWKIT_ELEMENTS_OF(first_ms) |
                    FLOWKIT_ELEMENTS_OF(last_ms) | FLOWKIT_ELEMENTS_OF(proto);
    switch (impl_->spec.kind) {
        case StatKind::kSrcIp:
        case StatKind::kDstIp:
        case StatKind::kIp:
            bits |= FLOWKIT_ELEMENTS_OF(src_addr) | FLOWKIT_ELEMENTS_OF(dst_addr);
            break;
        case StatKind::kNextHop:
            bits |= FLOWKIT_ELEMENTS_OF(ip_next_hop);
            break;
        case StatKind::kBgpNextHop:
            bits |= FLOWKIT_ELEMENTS_OF(bgp_next_hop);
            break;
        case StatKind::kRouter:
            bits |= FLOWKIT_ELEMENTS_OF(received_from);
            break;
        case StatKind::kSrcPort:
        case StatKind::kDstPort:
        case StatKind::kPort:
            bits |= FLOWKIT_ELEMENTS_OF(src_port) | FLOWKIT_ELEMENTS_OF(dst_port);
            break;
        case StatKind::kProto:
            break;
        case StatKind::kSrcAs:
        case StatKind::kDstAs:
        case StatKind::kAs:
            bits |= FLOWKIT_ELEMENTS_OF(src_as) | FLOWKIT_ELEMENTS_OF(dst_as);
            break;
        case StatKind::kInIf:
        case StatKind::kOutIf:
        case StatKind::kIf:
            bits |= FLOWKIT_ELEMENTS_OF(input) | FLOWKIT_ELEMENTS_OF(output);
            break;
        case StatKind::kSrcTos:
        case StatKind::kTos:
            bits |= FLOWKIT_ELEMENTS_OF(src_tos);
            break;
        case StatKind::kDstTos:
            bits |= FLOWKIT_ELEMENTS_OF(dst_tos);
            break;
        default:
            return kAllElements;
    }
#undef FLOWKIT_ELEMENTS_OF
    return bits;
}

void ElementStat::Add(const FlowRecord& rec) {
    Impl& s = *impl_;
    switch (s.spec.kind) {
        case StatKind::kSrcIp:
            s.CountIp(rec, rec.src_addr);
            break;
        case StatKind::kDstIp:
            s.CountIp(rec, rec.dst_addr);
            break;
        case StatKind::kIp:
            s.CountIp(rec, rec.src_addr);
            s.CountIp(rec, rec.dst_addr);
            break;
        case StatKind::kNextHop:
            s.CountIp(rec, rec.ip_next_hop);
            break;
        case StatKind::kBgpNextHop:
            s.CountIp(rec, rec.bgp_next_hop);
            break;
        case StatKind::kRouter:
            s.CountIp(rec, rec.received_from);
            break;
        case StatKind::kSrcPort:
            s.CountNumber(rec, rec.src_port);
            break;
        case StatKind::kDstPort:
            s.CountNumber(rec, rec.dst_port);
            break;
        case StatKind::kPort:
            s.CountNumber(rec, rec.src_port);
            s.CountNumber(rec, rec.dst_port);
            break;
        case StatKind::kProto:
            s.CountNumber(rec, rec.proto);
            break;
        case StatKind::kSrcAs:
            s.CountNumber(rec, rec.src_as);
            break;
        case StatKind::kDstAs:
            s.CountNumber(rec, rec.dst_as);
            break;
        case StatKind::kAs:
            s.CountNumber(rec, rec.src_as);
            s.CountNumber(rec, rec.dst_as);
            break;
        case StatKind::kPrevAs:
            s.CountNumber(rec, rec.prev_as);
            break;
        case StatKind::kNextAs:
            s.CountNumber(rec, rec.next_as);
            break;
        case StatKind::kInIf:
            s.CountNumber(rec, rec.input);
            break;
        case StatKind::kOutIf:
            s.CountNumber(rec, rec.output);
            break;
        case StatKind::kIf:
            s.CountNumber(rec, rec.input);
            s.CountNumber(rec, rec.output);
            break;
        case StatKind::kSrcTos:
            s.CountNumber(rec, rec.src_tos);
            break;
        case StatKind::kDstTos:
            s.CountNumber(rec, rec.dst_tos);
            break;
        case StatKind::kDir:
            s.CountNumber(rec, rec.dir);
            break;
        case StatKind::kSrcMask:
            s.CountNumber(rec, rec.src_mask);
            break;
        case StatKind::kDstMask:
            s.CountNumber(rec, rec.dst_mask);
            break;
        case StatKind::kMask:
            s.CountNumber(rec, rec.src_mask);
            s.CountNumber(rec, rec.dst_mask);
            break;
        case StatKind::kSrcVlan:
            s.CountNumber(rec, rec.src_vlan & 0xffffu);
            break;
        case StatKind::kDstVlan:
            s.CountNumber(rec, rec.dst_vlan & 0xffffu);
            break;
        case StatKind::kVlan:
            // 1.7.1 counts vlans in 16 bits.
            s.CountNumber(rec, rec.src_vlan & 0xffffu);
            s.CountNumber(rec, rec.dst_vlan & 0xffffu);
            break;
        case StatKind::kInSrcMac:
            s.CountNumber(rec, rec.in_src_mac);
            break;
        case StatKind::kOutDstMac:
            s.CountNumber(rec, rec.out_dst_mac);
            break;
        case StatKind::kInDstMac:
            s.CountNumber(rec, rec.in_dst_mac);
            break;
        case StatKind::kOutSrcMac:
            s.CountNumber(rec, rec.out_src_mac);
            break;
        case StatKind::kSrcMac:
            s.CountNumber(rec, rec.in_src_mac);
            s.CountNumber(rec, rec.out_src_mac);
            break;
        case StatKind::kDstMac:
            s.CountNumber(rec, rec.in_dst_mac);
            s.CountNumber(rec, rec.out_dst_mac);
            break;
        case StatKind::kInMac:
            // TODO: 1.7.1 counts the second MAC of inmac differently (flows without packets);
            // not reproduced yet.
            s.CountNumber(rec, rec.in_src_mac);
            s.CountNumber(rec, rec.in_dst_mac);
            break;
        case StatKind::kOutMac:
            s.CountNumber(rec, rec.out_src_mac);
            s.CountNumber(rec, rec.out_dst_mac);
            break;
        case StatKind::kMpls1:
        case StatKind::kMpls2:
        case StatKind::kMpls3:
        case StatKind::kMpls4:
        case StatKind::kMpls5:
        case StatKind::kMpls6:
        case StatKind::kMpls7:
        case StatKind::kMpls8:
        case StatKind::kMpls9:
        case StatKind::kMpls10: {
            size_t i = static_cast<size_t>(s.spec.kind) - static_cast<size_t>(StatKind::kMpls1);
            s.CountNumber(rec, rec.mpls[i]);
            break;
        }
        case StatKind::kClientLatency:
            s.CountNumber(rec, rec.client_nw_delay_us);
            break;
        case StatKind::kServerLatency:
            s.CountNumber(rec, rec.server_nw_delay_us);
            break;
        case StatKind::kApplLatency:
            s.CountNumber(rec, rec.appl_latency_us);
            break;
        case StatKind::kInVrf:
            s.CountNumber(rec, rec.ingress_vrf);
            break;
        case StatKind::kOutVrf:
            s.CountNumber(rec, rec.egress_vrf);
            break;
        case StatKind::kObsDomain:
            s.CountNumber(rec, rec.observation_domain);
            break;
        case StatKind::kObsPoint:
            s.CountNumber(rec, rec.observation_point);
            break;
        case StatKind::kTos:
            s.CountNumber(rec, rec.src_tos);
            break;
        case StatKind::kEvent:
            s.CountNumber(rec, rec.Has(kExNselCommon)  ? rec.fw_event
                               : rec.Has(kExNatCommon) ? rec.nat_event
                                                       : 0);
            break;
        case StatKind::kXEvent:
            s.CountNumber(rec, rec.fw_xevent);
            break;
        case StatKind::kXlateSrcIp:
            s.CountIp(rec, rec.xlate_src);
            break;
        case StatKind::kXlateDstIp:
            s.CountIp(rec, rec.xlate_dst);
            break;
        case StatKind::kXlateSrcPort:
            s.CountNumber(rec, rec.xlate_src_port);
            break;
        case StatKind::kXlateDstPort:
            s.CountNumber(rec, rec.xlate_dst_port);
            break;
        case StatKind::kInAcl:
            s.CountNumber(rec, rec.ingress_acl[0]);
            break;
        case StatKind::kInAce:
            s.CountNumber(rec, rec.ingress_acl[1]);
            break;
        case StatKind::kInXace:
            s.CountNumber(rec, rec.ingress_acl[2]);
            break;
        case StatKind::kOutAcl:
            s.CountNumber(rec, rec.egress_acl[0]);
            break;
        case StatKind::kOutAce:
            s.CountNumber(rec, rec.egress_acl[1]);
            break;
        case StatKind::kOutXace:
            s.CountNumber(rec, rec.egress_acl[2]);
            break;
    }
}

void ElementStat::Impl::PrintTable(const OrderSpec& order, const StatPrintOptions& options,
                                   const output::Summary& totals, std::string* out) const {
    StatPrintOptions opt = options;
    if (opt.csv) opt.layout = StatLayout::kCsv;
    opt.csv = opt.layout == StatLayout::kCsv;
    const bool pipe = opt.layout == StatLayout::kPipe;
    const bool json = opt.layout == StatLayout::kJson || opt.layout == StatLayout::kNdjson;
    if (json) opt.long_v6 = true;  // whole addresses
    const KindInfo& info = Info(spec.kind);
    const char* order_name = kOrderNames[static_cast<size_t>(order.order)];
    Direction dir = OrderDirection(order.order);
    bool address = info.form == ValueForm::kAddress;
    int value_width = address && opt.long_v6 ? 39 : 17;
    char line[1024];

    // Rank: (sort value, entry index) pairs; only the first top_n are put in order.
    const std::vector<StatKey>& keys = table.keys();
    const std::vector<Cell>& values = table.values();
    std::vector<std::pair<uint64_t, uint32_t>> rank;
    rank.reserve(table.size());
    // -l/-L compare, strictly, the packets and bytes the row shows: the out counters of an
    // out order (obytes, opps, ...), in + out of packets/bytes/pps/bps/bpp, else the in ones.
    auto within_limits = [&](const StatCounters& c) {
        const RowValues v = Values(c, dir);
        if (opt.packet_limit != 0 && (opt.packets_below ? v.packets >= opt.packet_limit
                                                        : v.packets <= opt.packet_limit)) {
            return false;
        }
        if (opt.byte_limit != 0 &&
            (opt.bytes_below ? v.bytes >= opt.byte_limit : v.bytes <= opt.byte_limit)) {
            return false;
        }
        return true;
    };
    for (size_t i = 0; i < keys.size(); ++i) {
        if (within_limits(values[i])) {
            rank.emplace_back(SortValue(values[i], order.order), i);
        }
    }
    // Ties: nfdump prints them in its heap order; we break them by value, larger first.
    auto key_greater = [&](uint32_t a, uint32_t b) {
        const StatKey& x = keys[a];
        const StatKey& y = keys[b];
        if (x.hi != y.hi) return x.hi > y.hi;
        if (x.lo != y.lo) return x.lo > y.lo;
        return x.aux > y.aux;
    };
    auto before = [&](const std::pair<uint64_t, uint32_t>& a,
                      const std::pair<uint64_t, uint32_t>& b) {
        if (a.first != b.first) return order.ascending ? a.first < b.first : a.first > b.first;
        return key_greater(a.second, b.second);
    };
    size_t n = opt.top_n == 0 ? rank.size() : std::min(opt.top_n, rank.size());
    std::partial_sort(rank.begin(), rank.begin() + static_cast<long>(n), rank.end(), before);

    if (opt.csv) {
        const char* p = dir == Direction::kIn ? "i" : dir == Direction::kOut ? "o" : "";
        std::snprintf(line, sizeof(line),
                      "ts,te,td,pr,val,fl,flP,%spkt,%spktP,%sbyt,%sbytP,%spps,%sbps,%sbpp\n", p, p,
                      p, p, p, p, p);
        out->append(line);
    } else if (!opt.quiet && !pipe && !json) {
        if (opt.top_n == 0) {
            std::snprintf(line, sizeof(line), "Top %s ordered by %s:\n", info.label, order_name);
        } else {
            std::snprintf(line, sizeof(line), "Top %zu %s ordered by %s:\n", opt.top_n, info.label,
                          order_name);
        }
        out->append(line);
        std::snprintf(line, sizeof(line),
                      "Date first seen                 Duration Proto %*s    Flows(%%)     "
                      "Packets(%%)       Bytes(%%)         pps      bps   bpp\n",
                      value_width, info.label);
        out->append(line);
    }

    for (size_t r = 0; r < n; ++r) {
        const StatKey& key = keys[rank[r].second];
        const StatCounters& c = values[rank[r].second];
        RowValues v = Values(c, dir);
        uint64_t first = c.first_ms == UINT64_MAX ? 0 : c.first_ms;
        uint64_t duration_ms = c.last_ms > first ? c.last_ms - first : 0;
        bool v6 = key.hi != 0;

        char value[output::kTextSize];
        uint64_t raw = key.lo;
        if (info.form == ValueForm::kMac) {
            value[output::FormatMac(raw, value)] = '\0';
        } else if (info.form == ValueForm::kMpls) {
            // TODO: 1.7.1 prints (and counts) 12-bit labels with exp and eos 0 here.
            std::snprintf(value, sizeof(value), "%u-%u-%u", static_cast<unsigned>(raw >> 4),
                          static_cast<unsigned>((raw >> 1) & 7), static_cast<unsigned>(raw & 1));
        } else if (info.form == ValueForm::kHex) {
            std::snprintf(value, sizeof(value), "0x%" PRIx64, raw);
        } else if (info.form == ValueForm::kEvent) {
            static const char* const kEvents[] = {"ignore", "CREATE", "DELETE", "DENIED"};
            std::snprintf(value, sizeof(value), "%s", raw < 4 ? kEvents[raw] : "UNKNOWN");
        } else if (info.form == ValueForm::kLatency) {
            value[output::FormatThousandths(raw, value)] = '\0';
        } else if (address) {
            IpAddr a{key.hi, key.lo};
            if (opt.long_v6 || opt.csv) {
                value[output::FormatIp(a, v6, value)] = '\0';
            } else {
                value[output::FormatIpShort(a, v6, value)] = '\0';
            }
        } else {
            std::snprintf(value, sizeof(value), "%" PRIu64, key.lo);
        }
        char proto_text[16];
        if (spec.per_proto && opt.plain) {
            // As nfdump: the number left-aligned in five columns, also in csv.
            std::snprintf(proto_text, sizeof(proto_text), "%-5u", key.aux & 0xffu);
        } else if (spec.per_proto) {
            std::string_view pn = output::ProtoName(static_cast<uint8_t>(key.aux & 0xff));
            std::snprintf(proto_text, sizeof(proto_text), "%.*s", static_cast<int>(pn.size()),
                          pn.data());
        } else {
            std::strcpy(proto_text, "any");
        }
        double fl_p = Percent(c.flows, totals.flows);
        double pk_p = Percent(v.packets, totals.packets);
        double by_p = Percent(v.bytes, totals.bytes);

        if (pipe) {
            // nfdump's pipe row: address statistics give the family (2 or 10) and the
            // address as four 32-bit numbers, each 64-bit half byte-swapped and split high
            // word first (IPv4: three zeros, then the address); other statistics give 0 and
            // the value as one number.
            const uint8_t pr = spec.per_proto ? static_cast<uint8_t>(key.aux & 0xff) : 0;
            int len;
            if (address) {
                const uint64_t hi = __builtin_bswap64(key.hi);
                const uint64_t lo = __builtin_bswap64(key.lo);
                uint32_t w[4] = {static_cast<uint32_t>(hi >> 32), static_cast<uint32_t>(hi),
                                 static_cast<uint32_t>(lo >> 32), static_cast<uint32_t>(lo)};
                if (!v6) w[0] = w[1] = w[2] = 0, w[3] = static_cast<uint32_t>(key.lo);
                len = std::snprintf(line, sizeof(line), "%d|%" PRIu64 "|%" PRIu64 "|%u|%u|%u|%u|%u",
                                    v6 ? 10 : 2, first, c.last_ms, pr, w[0], w[1], w[2], w[3]);
            } else {
                len = std::snprintf(line, sizeof(line), "0|%" PRIu64 "|%" PRIu64 "|%u|%" PRIu64,
                                    first, c.last_ms, pr, raw);
            }
            std::snprintf(line + len, sizeof(line) - static_cast<size_t>(len),
                          "|%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%" PRIu64 "|%" PRIu64
                          "\n",
                          c.flows, v.packets, v.bytes, v.pps, v.bps, v.bpp);
            out->append(line);
            continue;
        }
        char ts[output::kTextSize];
        if (json) {
            // One object per line, the layout nfdump 1.7.2+ prints for -s with -o json or
            // ndjson (and nfsen-ng reads): times with ms, the protocol (0 without :p), the
            // value as a string under the statistic's name, then the counters.
            char te[output::kTextSize];
            ts[output::FormatLocalTime(first, true, 'T', ts)] = '\0';
            te[output::FormatLocalTime(c.last_ms, true, 'T', te)] = '\0';
            if (info.form == ValueForm::kMpls) {
                std::snprintf(value, sizeof(value), "%8u-%u-%u", static_cast<unsigned>(raw >> 4),
                              static_cast<unsigned>((raw >> 1) & 7),
                              static_cast<unsigned>(raw & 1));
            }
            const unsigned pr = spec.per_proto ? (key.aux & 0xffu) : 0;
            std::snprintf(
                line, sizeof(line),
                "{ \"first\" : \"%s\", \"last\" : \"%s\", \"proto\" : %u, \"%s\" : \"%s\", "
                "\"flows\" : %" PRIu64 ", \"packets\" : %" PRIu64 ", \"bytes\" : %" PRIu64
                ", \"pps\" : %" PRIu64 ", \"bps\" : %" PRIu64 ", \"bpp\" : %" PRIu64 "}\n",
                ts, te, pr, info.name, value, c.flows, v.packets, v.bytes, v.pps, v.bps, v.bpp);
            out->append(line);
            continue;
        }
        if (opt.csv) {
            char te[output::kTextSize];
            char td[output::kTextSize];
            ts[output::FormatLocalTime(first, false, ' ', ts)] = '\0';
            te[output::FormatLocalTime(c.last_ms, false, ' ', te)] = '\0';
            td[output::FormatThousandths(duration_ms, td)] = '\0';
            std::snprintf(line, sizeof(line),
                          "%s,%s,%s,%s,%s,%" PRIu64 ",%.1f,%" PRIu64 ",%.1f,%" PRIu64
                          ",%.1f,%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n",
                          ts, te, td, proto_text, value, c.flows, fl_p, v.packets, pk_p, v.bytes,
                          by_p, v.pps, v.bps, v.bpp);
            out->append(line);
            continue;
        }
        char td[output::kTextSize];
        // nfdump's long-address (-6) rows give the duration in plain seconds, 9 wide.
        const bool long_row = opt.long_v6 && address;
        if (opt.plain || long_row) {
            td[output::FormatThousandths(duration_ms, td)] = '\0';
        } else {
            td[output::FormatDuration(duration_ms, td)] = '\0';
        }
        char fl[output::kTextSize], pk[output::kTextSize], by[output::kTextSize];
        char pps[output::kTextSize], bps[output::kTextSize];
        fl[output::FormatCounter(c.flows, opt.plain, false, fl)] = '\0';
        pk[output::FormatCounter(v.packets, opt.plain, false, pk)] = '\0';
        by[output::FormatCounter(v.bytes, opt.plain, false, by)] = '\0';
        pps[output::FormatCounter(v.pps, opt.plain, false, pps)] = '\0';
        bps[output::FormatCounter(v.bps, opt.plain, false, bps)] = '\0';
        ts[output::FormatLocalTime(first, true, ' ', ts)] = '\0';
        // -T: nfdump puts its tag byte right before the padded address.
        const char* tag = opt.tag && address ? "\x01" : "";
        std::snprintf(line, sizeof(line),
                      "%s %*s %-5s %s%*s %8s(%4.1f) %8s(%4.1f) %8s(%4.1f) %8s %8s %5" PRIu64 "\n",
                      ts, long_row ? 9 : 16, td, proto_text, tag, value_width, value, fl, fl_p, pk,
                      pk_p, by, by_p, pps, bps, v.bpp);
        out->append(line);
    }
    if (!json) out->append("\n");
}

size_t ElementStat::memory_bytes() const {
    return impl_->table.memory_bytes() + sizeof(Impl);
}

void ElementStat::Print(const StatPrintOptions& options, const output::Summary& totals,
                        std::string* out) const {
    impl_->Flush();
    for (const OrderSpec& order : impl_->spec.orders) {
        impl_->PrintTable(order, options, totals, out);
    }
}

}  // namespace flow::aggregate
