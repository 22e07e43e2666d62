// SPDX-License-Identifier: BSD-2-Clause
// Exporter and sampler descriptions as nfdump files carry them next to the flows: who sent
// the flows a record's exporter_sysid refers to, and how the exporter sampled. In-memory
// forms only; the nffile module reads and writes their on-disk records.
#pragma once

#include <cstdint>

#include "flow/record.h"

namespace flow {

// One exporter (NetFlow/IPFIX/sFlow source) of a file. Records point at it by sysid.
struct ExporterInfo {
    uint16_t sysid = 0;    // what FlowRecord::exporter_sysid refers to (>= 1)
    uint32_t version = 0;  // 1, 5, 7, 9, 10 or 9999 for sFlow
    IpAddr ip;             // exporter address; v4 in lo like every IpAddr
    bool is_v6 = false;    // family of `ip`
    uint32_t id = 0;       // v5: engine_type << 8 | engine_id; v9: source id; IPFIX: domain

    // Exporter statistics (record type 8) summed over the file, 0 when none was seen.
    uint64_t packets = 0;            // export packets received
    uint64_t flows = 0;              // flows decoded
    uint64_t sequence_failures = 0;  // sequence number errors

    bool operator==(const ExporterInfo&) const = default;
};

// One exporter statistics entry (record type 8): deltas for one file.
struct ExporterStats {
    uint32_t sysid = 0;
    uint32_t sequence_failures = 0;
    uint64_t packets = 0;
    uint64_t flows = 0;

    bool operator==(const ExporterStats&) const = default;
};

// A sampler of an exporter (layout 2 record type 15; layout 1 type 9 is converted).
// Effective multiplier = (packet_interval + space_interval) / packet_interval.
struct SamplerInfo {
    // Ids with a fixed meaning; any other id is the exporter's selector id.
    static constexpr int64_t kGeneric = -1;  // from #34/#35 options or the v5 header
    static constexpr int64_t kDefault = -2;  // collector default (`nfcapd -s N`)
    static constexpr int64_t kForced = -3;   // forced by the collector (`nfcapd -s -N`)

    uint16_t exporter_sysid = 0;
    uint16_t algorithm = 0;
    int64_t id = kGeneric;
    uint32_t packet_interval = 1;
    uint32_t space_interval = 0;

    bool operator==(const SamplerInfo&) const = default;
};

}  // namespace flow
