// SPDX-License-Identifier: BSD-2-Clause
// The reusable parts of flowprobe: a packet parser (link layer to transport header) and a
// flow cache that turns parsed packets into unidirectional flows with NetFlow's timeouts.
// Capture, export and file writing stay in the tool; the encoders are in sample_exporter.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "flow/record.h"

namespace flow::probe {

// Link types (pcap_datalink DLT_* values) ParsePacket understands.
inline constexpr int kLinkNull = 0;  // BSD loopback: 4-byte host-order address family
inline constexpr int kLinkEthernet = 1;
inline constexpr int kLinkRaw = 12;  // DLT_RAW on Linux (LINKTYPE_RAW 101 in files)
inline constexpr int kLinkRawOpenBsd = 14;
inline constexpr int kLinkLoop = 108;  // OpenBSD loopback: network-order family
inline constexpr int kLinkSll = 113;   // Linux cooked v1
inline constexpr int kLinkIpv4 = 228;
inline constexpr int kLinkIpv6 = 229;
inline constexpr int kLinkSll2 = 276;  // Linux cooked v2

// What the parser learned from one frame. Addresses use IpAddr's in-memory form.
struct Packet {
    uint64_t time_ms = 0;  // capture time, UNIX epoch ms
    IpAddr src;
    IpAddr dst;
    bool v6 = false;
    uint8_t proto = 0;        // IP protocol / IPv6 upper-layer header after extensions
    uint8_t tos = 0;          // IPv4 ToS / IPv6 traffic class
    uint8_t tcp_flags = 0;    // TCP only, first fragment only
    uint16_t src_port = 0;    // TCP/UDP/SCTP/UDP-Lite; 0 otherwise
    uint16_t dst_port = 0;    // ICMP/ICMPv6: type << 8 | code, as NetFlow carries it
    uint16_t vlan = 0;        // outer 802.1Q/802.1ad VLAN id, 0 = untagged
    uint16_t inner_vlan = 0;  // second (QinQ customer) VLAN id, 0 = none
    uint32_t ip_bytes = 0;    // IP datagram length (header + payload), what NetFlow counts
    // Fragments (RFC 791 §3.2, RFC 8200 §4.5): the ports are only in the first fragment.
    bool fragment = false;        // part of a fragmented datagram
    bool first_fragment = false;  // offset 0: carries the transport header
    uint32_t fragment_id = 0;     // IPv4 identification / IPv6 fragment identification
};

enum class ParseOutcome {
    kIp,               // `out` holds an IP packet to account
    kNotIp,            // ARP, LLDP, other ethertypes: nothing to account
    kTruncated,        // cut short (snap length) before the headers a flow needs
    kMalformed,        // impossible header values (IHL < 5, version mismatch)
    kUnsupportedLink,  // link type not in the list above
};

// Parses `frame` (`caplen` captured bytes) of link type `link_type` into `out`, through
// VLAN tags (up to 4), IPv4 options and IPv6 extension headers (hop-by-hop, routing,
// destination options, fragment, authentication; up to 8). Bytes are counted from the IP
// header's length field, not the captured length, so a small snap length still counts full
// packets. Never reads beyond `caplen`. Thread-safe (no state).
ParseOutcome ParsePacket(int link_type, const uint8_t* frame, size_t caplen, Packet* out);

// IPFIX flowEndReason (IANA IE 136) values, kept in FlowRecord::end_reason.
enum class EndReason : uint8_t {
    kIdle = 1,
    kActive = 2,
    kEndOfFlow = 3,  // TCP FIN or RST
    kForced = 4,     // shutdown, end of the capture file
    kLackOfResources = 5,
};

struct CacheOptions {
    uint32_t active_timeout_s = 1800;  // a flow older than this is exported and restarted
    uint32_t inactive_timeout_s = 15;  // a flow idle this long is exported
    size_t max_flows = 65536;          // when full, the least recently seen flow is evicted
    uint32_t sampling = 1;             // 1:N deterministic packet sampling (1 = every packet)
    uint32_t input_if = 0;             // ifIndex stored as the flow's input interface
    size_t fragment_slots = 4096;      // remembered first fragments (ports for later ones)
};

// Receives every flow the cache ends. Called synchronously from Add/Expire/Flush.
class FlowSink {
public:
    virtual ~FlowSink() = default;
    // `rec` carries EXgenericFlow, EXipv4Flow or EXipv6Flow, EXflowMisc (input, end_reason)
    // and EXvLan when a VLAN was seen; counters are the sampled ones (not multiplied).
    virtual void OnFlow(const FlowRecord& rec) = 0;
};

struct CacheCounters {
    uint64_t packets = 0;      // packets offered to Add()
    uint64_t sampled_out = 0;  // skipped by 1:N sampling
    uint64_t flows_created = 0;
    uint64_t flows_exported = 0;
    uint64_t evicted = 0;              // ended because the cache was full
    uint64_t fragments_unmatched = 0;  // later fragments whose first fragment was not seen
};

// A fixed-size flow table keyed by addresses, ports, protocol, ToS, VLANs and input
// interface. All memory is allocated by the constructor: Add() never allocates. Time is the
// packets' (or Expire()'s), never the wall clock's, so offline runs are reproducible. When a
// merged capture steps back in time, the clock goes back with it: flows seen "later" wait
// until it passes them again or the end. Not thread-safe.
class FlowCache {
public:
    // `sink` must outlive the cache. Requires: options.max_flows >= 1, sampling >= 1.
    FlowCache(const CacheOptions& options, FlowSink* sink);
    ~FlowCache();
    FlowCache(const FlowCache&) = delete;
    FlowCache& operator=(const FlowCache&) = delete;

    // Accounts one parsed packet: ends timed-out flows first, then updates or creates the
    // packet's flow; a TCP FIN or RST ends the flow right after the packet is counted.
    void Add(const Packet& packet);
    // Sets the clock to `now_ms` and ends every flow idle for `inactive_timeout_s` or older
    // than `active_timeout_s` at that time.
    void Expire(uint64_t now_ms);
    // Ends every flow (shutdown, end of file) with EndReason::kForced.
    void Flush();

    size_t size() const { return used_; }
    uint64_t clock_ms() const { return clock_ms_; }
    const CacheCounters& counters() const { return counters_; }
    const CacheOptions& options() const { return options_; }

private:
    struct Entry;
    struct FragmentSlot;

    uint32_t Find(const Entry& key, uint64_t hash) const;
    uint32_t Insert(const Packet& p, uint64_t hash);
    void End(uint32_t index, EndReason reason);
    void Unlink(uint32_t index);
    void PushBack(uint32_t index);
    void ResolveFragment(Packet* p);

    CacheOptions options_;
    FlowSink* sink_;
    std::vector<Entry> entries_;
    std::vector<uint32_t> table_;  // open addressing, linear probing; kNone when empty
    std::vector<FragmentSlot> fragments_;
    uint32_t free_ = 0;      // head of the free list through Entry::next
    uint32_t head_ = 0;      // least recently seen (kNone when empty)
    uint32_t tail_ = 0;      // most recently seen
    uint32_t age_head_ = 0;  // oldest flow by creation (kNone when empty)
    uint32_t age_tail_ = 0;  // newest flow
    size_t used_ = 0;
    uint64_t clock_ms_ = 0;
    uint64_t sample_counter_ = 0;
    CacheCounters counters_;
    FlowRecord scratch_;  // the record handed to the sink, reused
};

}  // namespace flow::probe
