// SPDX-License-Identifier: BSD-2-Clause
// Internal state behind flow::wire::Decoder, shared by the per-version decoders: the
// exporter table with its templates, samplers, sequence tracking and held early data, plus
// the record post-processing (times, ICMP, sampling) common to NetFlow v9 and IPFIX.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "flow/exporter_table.h"
#include "flow/record.h"
#include "flow/status.h"
#include "flow/wire.h"
#include "wire/byte_reader.h"
#include "wire/template.h"

namespace flow::wire::detail {

// Header facts of one message that records decoded from it need.
struct MessageContext {
    Protocol protocol = Protocol::kV9;
    uint8_t nfversion = 0;    // stored in FlowRecord::nfversion
    uint8_t engine_type = 0;  // defaults when the record has no #38/#39
    uint8_t engine_id = 0;
    uint32_t domain = 0;     // v9 source id / IPFIX observation domain
    uint32_t uptime_ms = 0;  // v9 sysUptime
    uint64_t export_ms = 0;  // header export time (unix_secs * 1000)
    uint64_t received_ms = 0;
};

// A data set kept because its template was unknown when it arrived.
struct HeldSet {
    uint16_t template_id = 0;
    MessageContext context;
    std::vector<uint8_t> body;  // the set's records, without the 4-byte set header
};

// sFlow: the next datagram sequence number expected from one agent (address + sub-agent id
// are the exporter's, so only the address is kept).
struct SflowAgentSequence {
    IpAddr agent;
    bool v6 = false;
    uint32_t next = 0;
};

struct ExporterState {
    ExporterInfo info;
    TemplateMap templates;
    std::vector<size_t> samplers;  // indices into DecoderState::samplers
    int64_t generic_sampler = -1;  // index of this exporter's id -1 sampler, or -1
    int64_t default_sampler = -1;  // id -2
    int64_t forced_sampler = -1;   // id -3

    bool sequence_valid = false;  // false until the first message synchronises
    uint32_t next_sequence = 0;   // sequence number the next message should carry
    // sFlow agents seen through this exporter (usually one; several behind a relay).
    std::vector<SflowAgentSequence> sflow_agents;

    bool has_sys_init = false;  // #160 learned from option data (IPFIX time base)
    uint64_t sys_init_ms = 0;

    std::deque<HeldSet> held;
    size_t held_bytes = 0;

    void Count(DecodeError e) { ++info.counters.errors[static_cast<size_t>(e)]; }
};

class DecoderState {
public:
    explicit DecoderState(DecoderOptions opts) : options(opts) {}

    // The exporter (`from`, `version`, `id`), created on first sight. Returns nullptr when
    // the table is full (counted as exporter_limit_reached).
    ExporterState* FindOrAddExporter(const Endpoint& from, uint16_t version, uint32_t id,
                                     uint64_t now_ms);
    // The exporter (`from`, `version`, `id`) if it is known, else nullptr; creates nothing.
    ExporterState* FindExporter(const Endpoint& from, uint16_t version, uint32_t id);

    // Creates or updates sampler `id` of `ex`; queues the matching event on a change.
    void UpsertSampler(ExporterState* ex, int64_t id, uint16_t algorithm, uint32_t packet_interval,
                       uint32_t space_interval);

    // Stores a compiled template for `ex`, replacing one with the same id. Returns false
    // (and counts template_limit_reached) if a limit would be exceeded.
    bool StoreTemplate(ExporterState* ex, CompiledTemplate&& t);
    // True (counted as learned, as StoreTemplate counts it) when `ex` already has template
    // `id` from exactly these field specifiers: exporters repeat their templates every few
    // datagrams, and the compiled one stays. False when it is new or differs: compile it.
    bool RefreshTemplate(ExporterState* ex, uint16_t id, bool options_template, size_t scope_count,
                         std::span<const FieldSpec> fields);
    void RemoveTemplate(ExporterState* ex, uint16_t id);
    // Withdraws all data templates (`options` false) or all options templates of `ex`.
    void RemoveAllTemplates(ExporterState* ex, bool options_templates);

    // Decodes the records of one data set body with `t`, appending flows to `out`.
    // Returns the number of data records consumed (flows and option records).
    size_t DecodeDataSet(ExporterState* ex, const CompiledTemplate& t, ByteReader body,
                         const MessageContext& ctx, std::vector<FlowRecord>* out);

    // Decodes data set `set_id` with its template, or holds it when the template is not
    // known yet. Returns the records decoded; `*known` says whether a template was found.
    size_t ProcessDataSet(ExporterState* ex, uint16_t set_id, ByteReader body,
                          const MessageContext& ctx, std::vector<FlowRecord>* out, bool* known);

    // Keeps a data set whose template is unknown, within the hold limits.
    void HoldSet(ExporterState* ex, uint16_t template_id, ByteReader body,
                 const MessageContext& ctx);
    // Decodes every held set of `ex` whose template is now known.
    void ReplayHeld(ExporterState* ex, std::vector<FlowRecord>* out);

    // Counts `e` on `ex`, or on the decoder when no exporter is known yet.
    void Count(ExporterState* ex, DecodeError e);

    // Adds the common trailer of every record: exporter, receive time, version, sampling.
    void FinishCommon(ExporterState* ex, const MessageContext& ctx, int64_t sampler_id,
                      bool has_sampler_id, uint64_t inline_interval, FlowRecord* r);

    // Decoder::DecodeEncoded: while `encoded` is set, data sets of templates with a direct
    // plan go straight into it; the FlowRecords other paths append to their `out` (which
    // is then `pending`) are encoded into it first, so the order stays that of Decode.
    // FlushPending encodes and clears `records`.
    void FlushPending(std::vector<FlowRecord>* records);
    EncodedFlows* encoded = nullptr;
    std::vector<FlowRecord> pending;

    DecoderOptions options;
    DecoderCounters counters;
    std::vector<std::unique_ptr<ExporterState>> exporters;  // exporters[sysid - 1]
    std::vector<SamplerInfo> samplers;
    std::vector<DecoderEvent> events;
    size_t total_templates = 0;
    size_t total_held_bytes = 0;

private:
    struct Key {
        uint64_t hi = 0;
        uint64_t lo = 0;
        uint32_t id = 0;
        uint16_t version = 0;
        bool v6 = false;
        bool operator==(const Key&) const = default;
    };
    struct KeyHash {
        size_t operator()(const Key& k) const;
    };

    void FinishFlow(ExporterState* ex, const CompiledTemplate& t, const MessageContext& ctx,
                    FlowRecord* r);
    // The factor num / den that counters are scaled by (spec §3.5); 1 / 1 for none.
    void SamplingFactor(const ExporterState* ex, int64_t sampler_id, bool has_sampler_id,
                        uint64_t inline_interval, uint64_t* num, uint64_t* den) const;
    // The records of one data set by t.direct into `encoded`.
    size_t DecodeDirect(ExporterState* ex, const CompiledTemplate& t, ByteReader body,
                        const MessageContext& ctx);
    void ProcessOptionRecord(ExporterState* ex);

    std::unordered_map<Key, size_t, KeyHash> index_;
    Scratch scratch_{};
    FlowRecord option_sink_;  // target of option records (their ops only write scratch)
};

// Per-version entry points; `data` is the whole UDP payload.
Status DecodeNetflowV5(DecoderState* st, ByteReader data, const Endpoint& from, uint64_t now_ms,
                       std::vector<FlowRecord>* out);
Status DecodeNetflowV9(DecoderState* st, ByteReader data, const Endpoint& from, uint64_t now_ms,
                       std::vector<FlowRecord>* out);
Status DecodeIpfix(DecoderState* st, ByteReader data, const Endpoint& from, uint64_t now_ms,
                   std::vector<FlowRecord>* out);

}  // namespace flow::wire::detail
