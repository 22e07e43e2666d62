// SPDX-License-Identifier: BSD-2-Clause
// nfcapd's -m metric exporter: per flow source, the flows, packets and bytes of the last
// interval by protocol class, sent as one binary message to a UNIX stream socket (where
// nfdump's nfinflux or nfexporter listen). The layout below was observed from nfcapd 1.7.1
// (see docs/compatibility.md for what was and was not established). Not for --prometheus.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace flowcapd {

// One message, in host byte order (sender and reader share the host):
//
//   +0  u16 prefix       0x0140 in every message nfcapd 1.7.1 sent
//   +2  u16 size         bytes after this 24-byte header: 232 * count
//   +4  u16 count        metric records that follow
//   +6  u16 interval     seconds the counts cover
//   +8  u64 timestamp    send time, ms since the epoch
//   +16 u64 uptime       seconds since start-up (nfcapd 1.7.1 sends another number here)
//   +24 count x 232-byte records:
//       +0   char[128]   ident of the flow source, NUL padded
//       +128 u64         exporter id: sysid of the source's first exporter << 16
//       +136 u64 x 4     flows     tcp, udp, icmp (1 and 58), other
//       +168 u64 x 4     bytes     tcp, udp, icmp, other
//       +200 u64 x 4     packets   tcp, udp, icmp, other
inline constexpr uint16_t kMetricPrefix = 0x0140;
inline constexpr size_t kMetricHeaderBytes = 24;
inline constexpr size_t kMetricRecordBytes = 232;
inline constexpr size_t kMetricIdentBytes = 128;
// The size field has 16 bits: a message holds at most this many records; more sources go
// into further messages.
inline constexpr size_t kMaxMetricRecords = 0xffff / kMetricRecordBytes;

// The counts of one flow source over one interval.
struct MetricRecord {
    std::string ident;
    uint64_t exporter_id = 0;
    uint64_t flows[4] = {};  // tcp, udp, icmp, other
    uint64_t bytes[4] = {};
    uint64_t packets[4] = {};
};

// The messages for `records` (one per kMaxMetricRecords), in the layout above.
std::vector<std::string> EncodeMetricMessages(const std::vector<MetricRecord>& records,
                                              uint16_t interval_s, uint64_t now_ms,
                                              uint64_t uptime_s);

// Sends messages to the UNIX socket `path`: a new connection per message, as nfcapd does,
// never blocking (a listener that is absent or whose backlog is full costs the message,
// which is counted and logged once per run of failures). Not thread-safe.
class MetricSocket {
public:
    explicit MetricSocket(std::string path) : path_(std::move(path)) {}

    // True when a connection could be opened now (used once at start-up for a log line).
    bool Probe();
    // Sends every message; false when one could not be sent.
    bool Send(const std::vector<std::string>& messages);

    uint64_t failures() const { return failures_; }

private:
    bool SendOne(const std::string& message);

    std::string path_;
    uint64_t failures_ = 0;
    bool failing_ = false;
};

}  // namespace flowcapd
