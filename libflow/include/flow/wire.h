// SPDX-License-Identifier: BSD-2-Clause
// The wire decoders: NetFlow v1/v5/v7, NetFlow v9 (RFC 3954), IPFIX (RFC 7011/7012) and
// sFlow v5 datagrams in, FlowRecords out, filled the way nfcapd/sfcapd 1.7 store them. One
// Decoder holds all state a collector needs across datagrams: exporters, templates, samplers,
// sequence numbers. Sockets, files and rotation are the caller's business.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "flow/encoded.h"
#include "flow/exporter_table.h"
#include "flow/record.h"
#include "flow/status.h"

namespace flow::wire {

// Limits that keep a hostile or broken sender from growing our memory without bound. Data
// beyond a limit is dropped and counted (DecodeError ids in brackets).
inline constexpr size_t kMaxExporters = 8192;              // [exporter_limit_reached]
inline constexpr size_t kMaxTemplatesPerExporter = 512;    // [template_limit_reached]
inline constexpr size_t kMaxTemplatesTotal = 32768;        // [template_limit_reached]
inline constexpr size_t kMaxFieldsPerTemplate = 256;       // [template_too_many_fields]
inline constexpr size_t kMaxSamplersPerExporter = 64;      // [sampler_limit_reached]
inline constexpr size_t kMaxHeldSetsPerExporter = 16;      // [held_data_dropped]
inline constexpr size_t kMaxHeldBytesPerExporter = 65536;  // [held_data_dropped]
inline constexpr size_t kMaxHeldBytesTotal = 16u << 20;    // [held_data_dropped]
inline constexpr size_t kMaxV5Records = 30;                // Cisco's per-datagram maximum
inline constexpr size_t kMaxV1Records = 24;

struct DecoderOptions {
    // nfcapd -s: 1 = no default sampling; N > 1 = assume 1-out-of-N when the exporter
    // announces nothing; -N (N > 1) = force 1-out-of-N over whatever the exporter says.
    int32_t default_sampling = 1;
    // Keep data sets whose template is not known yet (bounded per exporter and in total)
    // and decode them when the template arrives. nfcapd drops such data; set false to get
    // exactly nfcapd's output.
    bool hold_early_data = true;
};

// Counters for datagrams that could not be tied to an exporter (header too short, unknown
// version, exporter table full).
struct DecoderCounters {
    uint64_t datagrams = 0;  // every call of Decode
    uint64_t rejected = 0;   // datagrams dropped before an exporter was known
    std::array<uint64_t, kDecodeErrorCount> errors{};
    uint64_t sflow_flow_samples = 0;     // sFlow flow samples stored as flows
    uint64_t sflow_counter_samples = 0;  // sFlow counter samples: counted, never stored

    uint64_t error(DecodeError e) const { return errors[static_cast<size_t>(e)]; }
};

// Something the caller may need to persist, in the order it happened.
struct DecoderEvent {
    enum class Kind : uint8_t {
        kNewExporter,     // exporter(sysid) appeared: write its exporter record
        kNewSampler,      // sampler(index) appeared: write its sampler record
        kSamplerChanged,  // sampler(index) got new intervals/algorithm: write it again
    };
    Kind kind = Kind::kNewExporter;
    uint16_t sysid = 0;        // the exporter concerned
    size_t sampler_index = 0;  // for the sampler kinds: index for Decoder::sampler()
};

namespace detail {
class DecoderState;
}

// Decodes export datagrams. Not thread-safe: use one Decoder per receiving thread (sysids
// are then per Decoder, as they are per nfcapd process).
class Decoder {
public:
    explicit Decoder(DecoderOptions options = {});
    ~Decoder();
    Decoder(Decoder&&) noexcept;
    Decoder& operator=(Decoder&&) noexcept;
    Decoder(const Decoder&) = delete;
    Decoder& operator=(const Decoder&) = delete;

    // Decodes the UDP payload `data[0..len)` received from `exporter` at `now_ms` (UNIX
    // epoch ms; stored as received_ms) and appends its flows to `out`. Records are complete
    // (presence bits, times, sampling applied, exporter_sysid, received_from). Flows of
    // data sets held earlier and unlocked by a template in this datagram are appended too.
    // The caller owns and clears `out`; reusing it avoids allocation.
    //
    // The version is recognised from the first bytes: a 16-bit 1, 5, 7, 9 or 10 for
    // NetFlow/IPFIX, a 32-bit 5 for sFlow (exporter version 9999, id = sub-agent id; one
    // record per flow sample, times = `now_ms`).
    //
    // Returns OK when the datagram was understood, including data sets skipped for lack of
    // a template. Otherwise Truncated / Malformed / Unsupported with "context: detail";
    // flows decoded before the fault are still appended and the fault is counted under its
    // DecodeError id on the exporter (or on counters() if no exporter was identified).
    // Never reads outside `data[0..len)`; `data` need not outlive the call.
    Status Decode(const uint8_t* data, size_t len, const Endpoint& exporter, uint64_t now_ms,
                  std::vector<FlowRecord>* out);

    // As Decode(), but the flows are appended to `out` as V3 records for
    // NfFileWriter::AppendEncoded(), with their counts: byte for byte what Decode() and
    // NfFileWriter::Append() of each record give, in the same order. Records of fixed-length
    // NetFlow v9 and IPFIX templates of common elements are written straight from the wire
    // into the record (no FlowRecord in between); the others are decoded as by Decode() and
    // encoded after.
    Status DecodeEncoded(const uint8_t* data, size_t len, const Endpoint& exporter, uint64_t now_ms,
                         EncodedFlows* out);

    // Exporters in sysid order: exporter(i).sysid == i + 1. References stay valid until the
    // next Decode call.
    size_t exporter_count() const;
    const ExporterInfo& exporter(size_t index) const;
    // nullptr if no exporter has `sysid`.
    const ExporterInfo* FindExporter(uint16_t sysid) const;

    // Samplers of all exporters in order of first sight; an index never changes meaning.
    size_t sampler_count() const;
    const SamplerInfo& sampler(size_t index) const;

    // Appends the events since the previous call to `out` and forgets them. At most one
    // event per exporter creation and per sampler change is queued, so the queue is bounded
    // by the exporter and sampler limits even if the caller never drains it.
    void TakeEvents(std::vector<DecoderEvent>* out);

    // Zeroes ExporterInfo::interval of every exporter (call when a file is rotated).
    void ResetIntervalCounters();

    const DecoderCounters& counters() const;
    const DecoderOptions& options() const;

private:
    std::unique_ptr<detail::DecoderState> state_;
};

}  // namespace flow::wire
