// SPDX-License-Identifier: BSD-2-Clause
// Stat record accounting: spec nffile-format.md §3.6 and §2.4.
#include "flow/stat.h"

#include <algorithm>

#include "flow/encoded.h"
#include "flow/record.h"
#include "nffile/stat_accumulate.h"

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

void AccumulateStat(const FlowRecord& rec, StatRecord* s, StatRule rule) {
    nffile::AccumulateFlow(rec, s, rule);
}

void AccumulateStat(const FlowCounts& counts, StatRecord* s, StatRule rule) {
    nffile::AccumulateFlow(counts, s, rule);
}

void FinishStat(StatRecord* s) {
    if (s->first_ms == StatRecord::kUnsetFirstMs) s->first_ms = 0;
}

}  // namespace flow
