// SPDX-License-Identifier: BSD-2-Clause
// StatRecord: the per-file summary nfdump keeps in every file (flow, packet and byte totals,
// per-protocol buckets, first/last seen, sequence failures) and the rule that updates it.
// The byte layouts live in the nffile module; this header is only the in-memory form.
#pragma once

#include <cstdint>

namespace flow {

struct FlowRecord;
struct FlowCounts;

// The 15 counters of nfdump's stat record plus times and sequence failures. Layout 1 files
// store seconds + milliseconds; they are converted to milliseconds since the UNIX epoch.
struct StatRecord {
    // Initial first_ms of an empty stat, as nfdump 1.7 keeps it until the first flow.
    static constexpr uint64_t kUnsetFirstMs = 0x7fffffffffffffffULL;

    uint64_t num_flows = 0;
    uint64_t num_bytes = 0;    // includes EXcntFlow out bytes (layout 2 rule)
    uint64_t num_packets = 0;  // includes EXcntFlow out packets
    uint64_t flows_tcp = 0;
    uint64_t flows_udp = 0;
    uint64_t flows_icmp = 0;  // protocols 1 and 58
    uint64_t flows_other = 0;
    uint64_t bytes_tcp = 0;  // the buckets count in-direction bytes/packets only
    uint64_t bytes_udp = 0;
    uint64_t bytes_icmp = 0;
    uint64_t bytes_other = 0;
    uint64_t packets_tcp = 0;
    uint64_t packets_udp = 0;
    uint64_t packets_icmp = 0;
    uint64_t packets_other = 0;
    uint64_t first_ms = 0;  // earliest flow start, ms since epoch (0 if none / unknown)
    uint64_t last_ms = 0;   // latest flow end, ms since epoch
    uint64_t sequence_failures = 0;

    bool operator==(const StatRecord&) const = default;

    // Adds every counter of `other` and widens first/last to cover both (a zero first_ms or
    // last_ms in either side counts as "unknown" and does not narrow the window).
    void Merge(const StatRecord& other);
};

// How a stat record counts flows and fills its per-protocol buckets.
enum class StatRule {
    kCollector,  // nfcapd 1.7: one flow per record; buckets count in-direction counters only
    kNfdump,     // nfdump -w 1.7: the records' flow counts; buckets count in + out, like the
                 // totals
};

// Accounts one flow into `stat` the way nfdump 1.7 does: num_flows and the protocol's flow
// bucket grow by 1 (kCollector) or by rec.flows (kNfdump; 1 when 0); the packet and byte
// totals add in and out counters; the protocol buckets (TCP 6, UDP 17, ICMP 1 and 58, other)
// per `rule`; first = min(first_ms), last = max(last_ms). `stat->first_ms` must start at
// StatRecord::kUnsetFirstMs for the min to work; FinishStat() turns an unset value into 0.
// Thread-compatible; no allocation.
void AccumulateStat(const FlowRecord& rec, StatRecord* stat, StatRule rule = StatRule::kCollector);
// The same for a flow known by its counts only (flow/encoded.h).
void AccumulateStat(const FlowCounts& counts, StatRecord* stat,
                    StatRule rule = StatRule::kCollector);

// Replaces an unset first_ms (no flow accounted) by 0, as nfdump 1.7.8 does before writing.
void FinishStat(StatRecord* stat);

}  // namespace flow
