// SPDX-License-Identifier: BSD-2-Clause
// SampleExporter: a deterministic generator of realistic NetFlow v5, v9 and IPFIX datagrams
// (templates and data, IPv4 and IPv6) for demos and tests when no captures are at hand.
// Same seed, same bytes. The encoder underneath, FlowEncoder, is public: flowprobe exports
// its flows with it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace flow::wire {

// One flow as FlowEncoder writes it. Addresses are network-order bytes (4 used for IPv4).
struct EncodeFlow {
    bool v6 = false;
    uint8_t src[16] = {};
    uint8_t dst[16] = {};
    uint8_t next_hop[16] = {};
    uint16_t src_port = 0;
    uint16_t dst_port = 0;  // ICMP: type << 8 | code
    uint8_t proto = 0;
    uint8_t tcp_flags = 0;
    uint8_t tos = 0;
    uint64_t packets = 0;  // v5 keeps the low 32 bits
    uint64_t bytes = 0;
    uint64_t first_ms = 0;  // UNIX epoch ms; v5/v9 send it relative to the boot time
    uint64_t last_ms = 0;
    uint32_t input = 0;
    uint32_t output = 0;
    uint32_t src_as = 0;
    uint32_t dst_as = 0;
    uint8_t src_mask = 0;
    uint8_t dst_mask = 0;
    uint16_t vlan = 0;  // sent only when EncoderOptions::vlan is set (v9/IPFIX #58)
};

struct EncoderOptions {
    uint16_t version = 9;               // 5, 9 or 10
    uint32_t source_id = 1;             // v9 source id / IPFIX observation domain / v5 engine id
    uint32_t sampling_interval = 0;     // > 1: announce 1-out-of-N sampling (v5 header, v9/IPFIX
                                        // option template + data, algorithm `sampling_algorithm`)
    uint8_t sampling_algorithm = 2;     // #35: 1 deterministic, 2 random
    bool vlan = false;                  // v9/IPFIX data templates carry vlanId (#58)
    bool icmp_type = false;             // ... and icmpTypeCodeIPv4/IPv6 (#32/#139) = dst_port
                                        // for ICMP flows (0 otherwise), as nfcapd reads ICMPv6
    size_t max_bytes = 1400;            // datagram budget
    uint32_t template_every = 20;       // templates in every Nth datagram (0: first one only)
    uint64_t template_interval_ms = 0;  // also when this long passed since the last (0: off)
};

// Encodes flows into NetFlow v5 (Cisco layout), v9 (RFC 3954) or IPFIX (RFC 7011)
// datagrams: one datagram at a time, templates (and sampling options) repeated on schedule,
// sequence numbers per RFC (v5: flows, v9: datagrams, IPFIX: data records before this
// message). Never allocates after the first datagram. Not thread-safe.
//
//   FlowEncoder enc(options);
//   enc.Begin(now_ms, uptime_ms, boot_ms);
//   while (more) { if (!enc.Add(flow)) { send(enc.Finish()); enc.Begin(...); enc.Add(flow); } }
//   if (enc.flows() > 0) send(enc.Finish());
//
// An exporter that fills a datagram over time calls SetExportTime() before each Finish(), so
// the header tells when the datagram is sent rather than when it was begun.
class FlowEncoder {
public:
    explicit FlowEncoder(const EncoderOptions& options);

    // Starts a datagram stamped `export_ms` with header uptime `uptime_ms`; v5/v9 record times
    // are sent as `first_ms - boot_ms`. Templates go first when they are due.
    void Begin(uint64_t export_ms, uint32_t uptime_ms, uint64_t boot_ms);
    // Replaces the open datagram's header time, set by Begin(), with `export_ms` and
    // `uptime_ms` (v5: sysUptime, unix secs and nsecs; v9: sysUptime and unix secs; IPFIX:
    // export seconds). Record times and the template schedule stay as Begin() set them.
    // NetFlow v5 collectors read a record's Last above the header's sysUptime as a wrapped
    // uptime (nfdump: more than 100 s above), so a v5 header must be no earlier than any Last
    // in the datagram. Requires: Begin() was called since the last Finish().
    void SetExportTime(uint64_t export_ms, uint32_t uptime_ms);
    // Appends `flow`; false (nothing written) when it does not fit the datagram budget (or
    // v5's 30 records). NetFlow v5 cannot carry IPv6: such a flow is skipped and counted in
    // v6_dropped(), and Add returns true.
    bool Add(const EncodeFlow& flow);
    // True when a record of `record_bytes` (plus 4 for a set header, included in
    // `record_bytes`, which is not needed when the open set has the same family) still fits.
    bool Fits(bool v6, size_t record_bytes) const;
    // Completes the header (count, length, sequence) and returns the datagram, valid until
    // the next Begin().
    const std::vector<uint8_t>& Finish();

    size_t flows() const { return flows_; }  // flows in the current datagram
    bool has_templates() const { return templates_in_datagram_; }
    uint64_t v6_dropped() const { return v6_dropped_; }

private:
    void WriteTemplates();
    void CloseSet();

    EncoderOptions options_;
    std::vector<uint8_t> out_;
    uint64_t datagrams_ = 0;
    uint64_t last_template_ms_ = 0;
    uint32_t sequence_ = 0;
    uint64_t boot_ms_ = 0;
    size_t flows_ = 0;
    size_t records_ = 0;  // v9 count: every record of the datagram
    size_t set_ = 0;      // offset of the open data set, 0 = none
    bool set_v6_ = false;
    bool templates_in_datagram_ = false;
    uint64_t v6_dropped_ = 0;
};

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
