// SPDX-License-Identifier: BSD-2-Clause
// Stat record accounting: spec nffile-format.md §3.6 and §2.4.
#include "flow/stat.h"

#include <algorithm>

#include "flow/encoded.h"
#include "flow/record.h"

namespace flow {

void StatRecord::Merge(const StatRecord& o) {
    num_flows += o.num_flows;
    num_bytes += o.num_bytes;
    num_packets += o.num_packets;
    flows_tcp += o.flows_tcp;
    flows_udp += o.flows_udp;
    flows_icmp += o.flows_icmp;
    flows_other += o.flows_other;
    bytes_tcp += o.bytes_tcp;
    bytes_udp += o.bytes_udp;
    bytes_icmp += o.bytes_icmp;
    bytes_other += o.bytes_other;
    packets_tcp += o.packets_tcp;
    packets_udp += o.packets_udp;
    packets_icmp += o.packets_icmp;
    packets_other += o.packets_other;
    sequence_failures += o.sequence_failures;
    if (o.first_ms != 0 && (first_ms == 0 || o.first_ms < first_ms)) first_ms = o.first_ms;
    last_ms = std::max(last_ms, o.last_ms);
}

namespace {

// FlowRecord and FlowCounts name the fields alike.
template <typename Flow>
void Accumulate(const Flow& rec, StatRecord* s, StatRule rule) {
    const uint64_t flows = rec.flows != 0 ? rec.flows : 1;
    uint64_t packets = rec.packets;
    uint64_t bytes = rec.bytes;
    s->num_flows += flows;
    s->num_packets += rec.packets + rec.out_packets;
    s->num_bytes += rec.bytes + rec.out_bytes;
    if (rule == StatRule::kNfdump) {
        packets += rec.out_packets;
        bytes += rec.out_bytes;
    }
    switch (rec.proto) {
        case 6:
            s->flows_tcp += flows;
            s->packets_tcp += packets;
            s->bytes_tcp += bytes;
            break;
        case 17:
            s->flows_udp += flows;
            s->packets_udp += packets;
            s->bytes_udp += bytes;
            break;
        case 1:
        case 58:
            s->flows_icmp += flows;
            s->packets_icmp += packets;
            s->bytes_icmp += bytes;
            break;
        default:
            s->flows_other += flows;
            s->packets_other += packets;
            s->bytes_other += bytes;
            break;
    }
    s->first_ms = std::min(s->first_ms, rec.first_ms);
    s->last_ms = std::max(s->last_ms, rec.last_ms);
}

}  // namespace

void AccumulateStat(const FlowRecord& rec, StatRecord* s, StatRule rule) {
    Accumulate(rec, s, rule);
}

void AccumulateStat(const FlowCounts& counts, StatRecord* s, StatRule rule) {
    Accumulate(counts, s, rule);
}

void FinishStat(StatRecord* s) {
    if (s->first_ms == StatRecord::kUnsetFirstMs) s->first_ms = 0;
}

}  // namespace flow
