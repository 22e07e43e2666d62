// SPDX-License-Identifier: BSD-2-Clause
// The body of AccumulateStat (flow/stat.h), shared by stat.cc and the file writer; not part
// of the public API.
#pragma once

#include <algorithm>
#include <cstdint>

#include "flow/stat.h"

namespace flow::nffile {

// AccumulateStat() for a FlowRecord or a FlowCounts, which name the fields alike. Inline for
// the writer's per-flow loop (NfFileWriter::AppendEncoded), where the call cost about 10
// instructions a flow.
template <typename Flow>
inline void AccumulateFlow(const Flow& rec, StatRecord* s, StatRule rule) {
    // nfcapd counts each record it stores as one flow, whatever flow count it carries;
    // nfdump -w adds the record's flow count (an aggregated record's, or an exporter's #3).
    const uint64_t flows = rule == StatRule::kCollector || rec.flows == 0 ? 1 : rec.flows;
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

}  // namespace flow::nffile
