// SPDX-License-Identifier: BSD-2-Clause
// SampleExporter: a deterministic generator of realistic NetFlow v5, v9 and IPFIX datagrams
// (templates and data, IPv4 and IPv6) for demos and tests when no captures are at hand.
// Same seed, same bytes. It is a traffic source, not a general-purpose encoder.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace flow::wire {

struct SampleOptions {
    uint64_t seed = 1;
    uint16_t version = 9;                     // 5, 9 or 10
    size_t flows = 300;                       // flows in total over all datagrams
    uint64_t export_time_ms = 1700000000000;  // export time of the first datagram
    uint32_t uptime_ms = 3600000;             // exporter uptime at the first datagram (v5/v9)
    uint32_t source_id = 1;          // v9 source id / IPFIX observation domain / v5 engine id
    uint32_t sampling_interval = 0;  // > 1: announce 1-out-of-N sampling (v5 header, v9/IPFIX
                                     // option template + data)
    double ipv6_share = 0.25;        // fraction of IPv6 flows (v9 and IPFIX only)
};

// One datagram of the generated stream.
struct SampleDatagram {
    std::vector<uint8_t> bytes;
    uint64_t export_time_ms = 0;  // what a collector should pass as now_ms
    size_t flows = 0;             // flow records it carries
};

// Produces the datagram stream described by `options`: for v9/IPFIX the first datagram
// carries the templates (and sampling options), later ones data, with the templates repeated
// every 20 datagrams as real exporters do. Flows have plausible 5-tuples, ports, TCP flags,
// counters and times inside the exporter's uptime. Returns an empty vector for an
// unsupported version.
std::vector<SampleDatagram> GenerateSampleTraffic(const SampleOptions& options);

}  // namespace flow::wire
