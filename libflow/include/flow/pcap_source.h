// SPDX-License-Identifier: BSD-2-Clause
// Reading export datagrams from a capture file instead of a socket: PcapUdpReader walks a
// pcap or pcapng file with libpcap and yields the UDP payloads of unfragmented IPv4/IPv6
// packets with their sender. Used by `flowcapd -f` and by tests; it does not reassemble.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "flow/exporter_table.h"
#include "flow/status.h"

namespace flow::wire {

// One UDP datagram of a capture. `payload` points into the reader's buffer and is valid
// until the next Next() call or the reader's destruction.
struct UdpDatagram {
    Endpoint source;       // sender address and UDP source port
    Endpoint destination;  // receiver address and UDP destination port
    const uint8_t* payload = nullptr;
    size_t length = 0;
    uint64_t timestamp_ms = 0;  // capture time, UNIX epoch ms
};

// What the reader saw and skipped, for a summary line.
struct PcapCounters {
    uint64_t frames = 0;            // every frame read
    uint64_t datagrams = 0;         // UDP datagrams yielded
    uint64_t not_ip = 0;            // link payload is not IPv4/IPv6 (ARP, LLDP, ...)
    uint64_t not_udp = 0;           // IP but another protocol (TCP, ICMP, ...)
    uint64_t fragments = 0;         // IPv4 fragments / IPv6 fragment header: skipped
    uint64_t truncated = 0;         // frame cut short by the snap length or malformed headers
    uint64_t unsupported_link = 0;  // frames of a link type we do not parse
};

// Supported link types: Ethernet (with 802.1Q/802.1ad tags), Linux cooked SLL and SLL2, raw
// IP (DLT_RAW, LINKTYPE_IPV4/IPV6) and BSD null/loopback. Not thread-safe.
class PcapUdpReader {
public:
    // Opens `path` (pcap or pcapng). Returns IoError with libpcap's reason when the file is
    // missing or not a capture.
    static Result<std::unique_ptr<PcapUdpReader>> Open(const std::string& path);
    ~PcapUdpReader();
    PcapUdpReader(const PcapUdpReader&) = delete;
    PcapUdpReader& operator=(const PcapUdpReader&) = delete;

    // Fills `out` with the next UDP datagram and returns true; returns false at the end of
    // the file. A read error of libpcap is returned as IoError (the reader is then at end).
    Result<bool> Next(UdpDatagram* out);

    const PcapCounters& counters() const { return counters_; }
    // The capture's link type (DLT_* value).
    int link_type() const { return link_type_; }

private:
    PcapUdpReader(void* handle, int link_type);

    void* handle_ = nullptr;  // pcap_t*, kept opaque so users need not include pcap.h
    int link_type_ = 0;
    PcapCounters counters_;
};

}  // namespace flow::wire
