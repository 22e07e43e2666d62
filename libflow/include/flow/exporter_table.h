// SPDX-License-Identifier: BSD-2-Clause
// Exporters and samplers as the wire decoders learn them: the identity nfcapd gives a flow
// sender (address, protocol version, engine/source id), its sysid, its counters and its
// sampling configuration. Plain data; the collector turns it into exporter, exporter-stats
// and sampler records of nfdump files. Decoding itself lives in flow/wire.h.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "flow/record.h"
#include "flow/status.h"

namespace flow::wire {

// The sender of a datagram. `addr` follows IpAddr's convention (IPv4 in the low 32 bits of
// `lo`); `v6` says the family. The port is informational: nfcapd identifies an exporter by
// address, version and id only, and so do we.
struct Endpoint {
    IpAddr addr;
    bool v6 = false;
    uint16_t port = 0;

    static Endpoint V4(uint32_t host_order, uint16_t port = 0);
    // `bytes` is 16 network-order bytes. An IPv4-mapped address (::ffff:a.b.c.d, what a
    // dual-stack socket reports for IPv4 senders) becomes the IPv4 endpoint a.b.c.d.
    static Endpoint V6(const uint8_t* bytes, uint16_t port = 0);
    // From a `struct sockaddr_in` / `sockaddr_in6` of `len` bytes (as recvfrom fills it).
    // Returns InvalidArgument for another family or a short `len`.
    static Result<Endpoint> FromSockaddr(const void* sockaddr, size_t len);

    // "192.0.2.1" or "2001:db8::1" (no port).
    std::string ToString() const;

    bool operator==(const Endpoint&) const = default;
};

// Why part of a datagram was not decoded. Each kind has a stable snake_case id
// (DecodeErrorName) used for counters and logs. Append new kinds at the end; never renumber
// or rename one: operators graph these ids.
enum class DecodeError : uint8_t {
    kTruncatedHeader = 0,    // truncated_header: shorter than the version's header
    kUnknownVersion,         // unknown_version: not NetFlow v1/v5/v7/v9 or IPFIX
    kBadRecordCount,         // bad_record_count: v1/v5/v7 count 0 or above the maximum
    kRecordsTruncated,       // records_truncated: v1/v5/v7 datagram shorter than count says
    kMessageLengthMismatch,  // ipfix_message_length_mismatch: header length vs datagram
    kSetTooShort,            // set_length_too_short: set length < 4 (ends the datagram)
    kSetExceedsMessage,      // set_length_exceeds_message
    kReservedSetId,          // reserved_set_id: v9 id 2..255, IPFIX id 0,1,4..255 (skipped)
    kTemplateTruncated,      // template_truncated: a template record runs past its set
    kTemplateInvalid,        // template_invalid: field length 0, bad scope, id < 256
    kTemplateTooManyFields,  // template_too_many_fields: above kMaxFieldsPerTemplate
    kTemplateLimit,          // template_limit_reached: kMaxTemplatesPerExporter/Total
    kRecordTruncated,        // data_record_truncated: variable-length value past the set
    kHeldDataDropped,        // held_data_dropped: early data discarded (bound or no template)
    kExporterLimit,          // exporter_limit_reached: kMaxExporters, datagram dropped
    kSamplerLimit,           // sampler_limit_reached: kMaxSamplersPerExporter
    kCount,                  // number of kinds, not a kind
};
inline constexpr size_t kDecodeErrorCount = static_cast<size_t>(DecodeError::kCount);

// The stable id of `error`, e.g. "set_length_exceeds_message".
std::string_view DecodeErrorName(DecodeError error);

// Counters of one exporter. All monotonic except through Decoder::ResetIntervalCounters,
// which zeroes only ExporterInfo::interval.
struct ExporterCounters {
    uint64_t packets = 0;              // datagrams accepted from this exporter
    uint64_t flows = 0;                // flow records produced
    uint64_t sequence_failures = 0;    // one per datagram whose sequence number was unexpected
    uint64_t no_template_sets = 0;     // data sets that arrived before (or without) a template
    uint64_t held_sets = 0;            // ... of those, kept to decode once the template arrives
    uint64_t held_sets_decoded = 0;    // ... of those, decoded later
    uint64_t templates_learned = 0;    // template records accepted (incl. replacements)
    uint64_t templates_withdrawn = 0;  // templates removed by IPFIX withdrawal
    uint64_t option_records = 0;       // option data records processed
    std::array<uint64_t, kDecodeErrorCount> errors{};  // indexed by DecodeError

    uint64_t error(DecodeError e) const { return errors[static_cast<size_t>(e)]; }
};

// What the per-file exporter-stats record needs: counts since the last reset.
struct IntervalCounters {
    uint64_t packets = 0;
    uint64_t flows = 0;
    uint64_t sequence_failures = 0;
};

// One exporter = (sender address, protocol version, id), as nfcapd keys it (spec §3.1).
struct ExporterInfo {
    uint16_t sysid = 0;    // assigned from 1 in order of first sight, never reused
    uint16_t version = 0;  // 1, 5, 7, 9 or 10
    uint32_t id = 0;       // v1: 0; v5/v7: engine_type << 8 | engine_id; v9: source id;
                           // IPFIX: observation domain
    Endpoint address;      // the sender, port of the first datagram seen
    uint64_t first_seen_ms = 0;
    ExporterCounters counters;
    IntervalCounters interval;
};

// Sampler ids with special meaning (nfdump 1.7 sampler record, spec §2.8 / §3.5).
inline constexpr int64_t kSamplerGeneric = -1;  // #34/#35 option data or the v5 header
inline constexpr int64_t kSamplerDefault = -2;  // nfcapd -s N (used if nothing else is known)
inline constexpr int64_t kSamplerForced = -3;   // nfcapd -s -N (overrides the exporter)

// One sampler of one exporter. Effective multiplier is
// (packet_interval + space_interval) / packet_interval.
struct SamplerInfo {
    uint16_t exporter_sysid = 0;
    int64_t id = 0;                // selector id (#302/#48) or one of kSampler*
    uint16_t algorithm = 0;        // #304/#35/#49, or the v5 header mode bits
    uint32_t packet_interval = 1;  // #305; 1 when only an interval was given
    uint32_t space_interval = 0;   // #306; interval - 1 for "1 out of N"

    bool operator==(const SamplerInfo&) const = default;
};

}  // namespace flow::wire
