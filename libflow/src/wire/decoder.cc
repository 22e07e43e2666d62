// SPDX-License-Identifier: BSD-2-Clause
// flow::wire::Decoder and the state shared by all versions: version dispatch, the exporter
// table (nffile-format §3.1), samplers (§3.5), held early data and the post-processing that
// turns a template's raw values into a record as nfcapd 1.7 stores it (§3.3/§3.4).
#include <algorithm>
#include <bit>
#include <cstring>
#include <string>
#include <utility>

#include "flow/wire.h"
#include "nffile/layout.h"
#include "nffile/records.h"
#include "wire/decoder_state.h"
#include "wire/sflow.h"

namespace flow::wire {

namespace detail {

namespace {

// Seconds between the NTP era-0 epoch (1900) and the UNIX epoch.
constexpr uint64_t kNtpToUnixSeconds = 2208988800ull;

// RFC 7011 §6.1.9/§6.1.10: 32-bit seconds since 1900, 32-bit binary fraction.
uint64_t NtpToUnixMs(uint64_t ntp) {
    const uint64_t seconds = ntp >> 32;
    if (seconds < kNtpToUnixSeconds) return 0;
    const uint64_t fraction_ms = ((ntp & 0xffffffffull) * 1000) >> 32;
    return (seconds - kNtpToUnixSeconds) * 1000 + fraction_ms;
}

// Time of an uptime stamp relative to the header's sysUptime. The difference is taken as a
// signed 32-bit value so that both an uptime wrap and a stamp slightly after the header's
// uptime (B10: Juniper) stay within a few seconds of the export time.
uint64_t UptimeToUnixMs(const MessageContext& ctx, uint64_t stamp) {
    const auto behind = static_cast<int32_t>(ctx.uptime_ms - static_cast<uint32_t>(stamp));
    return static_cast<uint64_t>(static_cast<int64_t>(ctx.export_ms) - behind);
}

void ComputeTimes(const Scratch& s, const MessageContext& ctx, const ExporterState& ex,
                  uint64_t* first_ms, uint64_t* last_ms) {
    // Candidates in nfcapd's order of precedence; absolute milliseconds (#152/#153) are
    // copied as they are and win over every derived value of the same end.
    uint64_t first = 0;
    uint64_t last = 0;
    const bool uptime = s.Has(kSlotFirstUptime) || s.Has(kSlotLastUptime);
    if (uptime && ctx.protocol == Protocol::kV9) {
        if (s.Has(kSlotFirstUptime)) first = UptimeToUnixMs(ctx, s.value[kSlotFirstUptime]);
        if (s.Has(kSlotLastUptime)) last = UptimeToUnixMs(ctx, s.value[kSlotLastUptime]);
    } else if (uptime && (s.Has(kSlotSysInitMs) || ex.has_sys_init)) {
        // IPFIX carries uptime stamps relative to systemInitTimeMilliseconds (#160), either
        // in the record itself or learned from option data. NOTE: nfcapd 1.7.1 swaps first
        // and last here; 1.7.8 and we do not.
        const uint64_t base = s.Has(kSlotSysInitMs) ? s.value[kSlotSysInitMs] : ex.sys_init_ms;
        if (s.Has(kSlotFirstUptime)) first = base + s.value[kSlotFirstUptime];
        if (s.Has(kSlotLastUptime)) last = base + s.value[kSlotLastUptime];
    } else if (s.Has(kSlotFirstSec) || s.Has(kSlotLastSec)) {
        if (s.Has(kSlotFirstSec)) first = s.value[kSlotFirstSec] * 1000;
        if (s.Has(kSlotLastSec)) last = s.value[kSlotLastSec] * 1000;
    } else if (s.Has(kSlotFirstDeltaUs) || s.Has(kSlotLastDeltaUs)) {
        if (s.Has(kSlotFirstDeltaUs)) first = ctx.export_ms - s.value[kSlotFirstDeltaUs] / 1000;
        if (s.Has(kSlotLastDeltaUs)) last = ctx.export_ms - s.value[kSlotLastDeltaUs] / 1000;
    } else {
        // NOTE: nfdump 1.7 maps none of #154..#157 and stores 1970 (B16); we decode them.
        if (s.Has(kSlotFirstNs)) first = NtpToUnixMs(s.value[kSlotFirstNs]);
        if (s.Has(kSlotLastNs)) last = NtpToUnixMs(s.value[kSlotLastNs]);
        if (s.Has(kSlotFirstUs)) first = NtpToUnixMs(s.value[kSlotFirstUs]);
        if (s.Has(kSlotLastUs)) last = NtpToUnixMs(s.value[kSlotLastUs]);
    }
    if (s.Has(kSlotFirstMs)) first = s.value[kSlotFirstMs];
    if (s.Has(kSlotLastMs)) last = s.value[kSlotLastMs];
    if (first != 0 && last == 0 && s.Has(kSlotDurationMs)) last = first + s.value[kSlotDurationMs];

    // NOTE: a template with a start but no end time (B13) gets end = start instead of the
    // epoch, so durations are 0 rather than hugely negative.
    const uint64_t end_slots = (uint64_t{1} << kSlotLastUptime) | (uint64_t{1} << kSlotLastSec) |
                               (uint64_t{1} << kSlotLastMs) | (uint64_t{1} << kSlotLastUs) |
                               (uint64_t{1} << kSlotLastNs) | (uint64_t{1} << kSlotLastDeltaUs) |
                               (uint64_t{1} << kSlotDurationMs);
    if (first != 0 && last == 0 && (s.seen & end_slots) == 0) last = first;
    *first_ms = first;
    *last_ms = last;
}

// ComputeTimes() for the usual NetFlow v9 record, which carries both uptime stamps
// (#22, #21) and no absolute millisecond time (#152, #153) or duration (#161): inline in the
// decoder's per-record loop, where the call and the tests of the other time fields cost
// about 20 instructions a flow. Every other record goes to ComputeTimes().
inline void ComputeTimesFast(const Scratch& s, const MessageContext& ctx, const ExporterState& ex,
                             uint64_t* first_ms, uint64_t* last_ms) {
    constexpr uint64_t kUptimes =
        (uint64_t{1} << kSlotFirstUptime) | (uint64_t{1} << kSlotLastUptime);
    constexpr uint64_t kOthers = (uint64_t{1} << kSlotFirstMs) | (uint64_t{1} << kSlotLastMs) |
                                 (uint64_t{1} << kSlotDurationMs);
    if (ctx.protocol == Protocol::kV9 && (s.seen & (kUptimes | kOthers)) == kUptimes) {
        *first_ms = UptimeToUnixMs(ctx, s.value[kSlotFirstUptime]);
        *last_ms = UptimeToUnixMs(ctx, s.value[kSlotLastUptime]);
        return;
    }
    ComputeTimes(s, ctx, ex, first_ms, last_ms);
}

void ApplyIcmp(const Scratch& s, bool has_icmp_field, uint8_t proto, uint16_t* src_port,
               uint16_t* dst_port) {
    if (proto != 1 && proto != 58) return;
    if (s.Has(kSlotIcmpTypeCode)) {
        *dst_port = static_cast<uint16_t>(s.value[kSlotIcmpTypeCode]);
    } else if (s.Has(kSlotIcmpType) || s.Has(kSlotIcmpCode)) {
        *dst_port = static_cast<uint16_t>((s.Get(kSlotIcmpType) & 0xff) << 8 |
                                          (s.Get(kSlotIcmpCode) & 0xff));
    } else if (!has_icmp_field && *src_port != 0) {
        // Some exporters put type/code into the source port, byte-swapped; nfcapd moves it
        // (spec §3.2). When the template has a dedicated ICMP field this never applies.
        *dst_port = static_cast<uint16_t>((*src_port >> 8) | (*src_port << 8));
        *src_port = 0;
    }
    // Otherwise the exporter's destination port already holds type << 8 | code (B26: Cisco
    // v9); unlike nfcapd 1.7.1 we keep it.
}

}  // namespace

size_t DecoderState::KeyHash::operator()(const Key& k) const {
    uint64_t h = k.hi * 0x9e3779b97f4a7c15ull;
    h ^= k.lo + 0x7f4a7c159e3779b9ull + (h << 6) + (h >> 2);
    h ^= (uint64_t{k.id} << 17) ^ (uint64_t{k.version} << 1) ^ (k.v6 ? 1 : 0);
    return static_cast<size_t>(h * 0xff51afd7ed558ccdull);
}

ExporterState* DecoderState::FindExporter(const Endpoint& from, uint16_t version, uint32_t id) {
    auto it = index_.find(Key{from.addr.hi, from.addr.lo, id, version, from.v6});
    return it == index_.end() ? nullptr : exporters[it->second].get();
}

ExporterState* DecoderState::FindOrAddExporter(const Endpoint& from, uint16_t version, uint32_t id,
                                               uint64_t now_ms) {
    const Key key{from.addr.hi, from.addr.lo, id, version, from.v6};
    auto it = index_.find(key);
    if (it != index_.end()) return exporters[it->second].get();
    if (exporters.size() >= kMaxExporters) {
        ++counters.errors[static_cast<size_t>(DecodeError::kExporterLimit)];
        return nullptr;
    }

    auto ex = std::make_unique<ExporterState>();
    ex->info.sysid = static_cast<uint16_t>(exporters.size() + 1);
    ex->info.version = version;
    ex->info.id = id;
    ex->info.address = from;
    ex->info.first_seen_ms = now_ms;
    ExporterState* raw = ex.get();
    index_.emplace(key, exporters.size());
    exporters.push_back(std::move(ex));
    events.push_back({DecoderEvent::Kind::kNewExporter, raw->info.sysid, 0});

    // nfcapd -s N / -s -N become samplers of every exporter (spec §3.5).
    const int32_t rate = options.default_sampling;
    if (rate > 1) {
        UpsertSampler(raw, kSamplerDefault, 0, 1, static_cast<uint32_t>(rate - 1));
    } else if (rate < -1) {
        UpsertSampler(raw, kSamplerForced, 0, 1, static_cast<uint32_t>(-(int64_t{rate}) - 1));
    }
    return raw;
}

void DecoderState::UpsertSampler(ExporterState* ex, int64_t id, uint16_t algorithm,
                                 uint32_t packet_interval, uint32_t space_interval) {
    const SamplerInfo wanted{ex->info.sysid, id, algorithm, std::max(packet_interval, 1u),
                             space_interval};
    for (size_t index : ex->samplers) {
        if (samplers[index].id != id) continue;
        if (samplers[index] == wanted) return;
        samplers[index] = wanted;
        // One queued change per sampler is enough: the caller writes the current values.
        const bool queued = std::any_of(events.begin(), events.end(), [&](const DecoderEvent& e) {
            return e.kind != DecoderEvent::Kind::kNewExporter && e.sampler_index == index;
        });
        if (!queued)
            events.push_back({DecoderEvent::Kind::kSamplerChanged, wanted.exporter_sysid, index});
        return;
    }
    if (ex->samplers.size() >= kMaxSamplersPerExporter) {
        ex->Count(DecodeError::kSamplerLimit);
        return;
    }
    const size_t index = samplers.size();
    samplers.push_back(wanted);
    ex->samplers.push_back(index);
    if (id == kSamplerGeneric) ex->generic_sampler = static_cast<int64_t>(index);
    if (id == kSamplerDefault) ex->default_sampler = static_cast<int64_t>(index);
    if (id == kSamplerForced) ex->forced_sampler = static_cast<int64_t>(index);
    events.push_back({DecoderEvent::Kind::kNewSampler, wanted.exporter_sysid, index});
}

bool DecoderState::StoreTemplate(ExporterState* ex, CompiledTemplate&& t) {
    auto it = ex->templates.find(t.id);
    CompileDirect(ex->info.sysid, ex->info.address.addr, ex->info.address.v6, &t);
    if (it != ex->templates.end()) {
        it->second = std::move(t);
        ++ex->info.counters.templates_learned;
        return true;
    }
    if (ex->templates.size() >= kMaxTemplatesPerExporter || total_templates >= kMaxTemplatesTotal) {
        ex->Count(DecodeError::kTemplateLimit);
        return false;
    }
    ex->templates.emplace(t.id, std::move(t));
    ++total_templates;
    ++ex->info.counters.templates_learned;
    return true;
}

bool DecoderState::RefreshTemplate(ExporterState* ex, uint16_t id, bool options_template,
                                   size_t scope_count, std::span<const FieldSpec> fields) {
    auto it = ex->templates.find(id);
    if (it == ex->templates.end()) return false;
    const CompiledTemplate& t = it->second;
    if (t.is_options != options_template || t.scope_count != scope_count ||
        !std::equal(t.fields.begin(), t.fields.end(), fields.begin(), fields.end())) {
        return false;
    }
    ++ex->info.counters.templates_learned;
    return true;
}

void DecoderState::RemoveTemplate(ExporterState* ex, uint16_t id) {
    if (ex->templates.erase(id) == 0) return;
    --total_templates;
    ++ex->info.counters.templates_withdrawn;
}

void DecoderState::RemoveAllTemplates(ExporterState* ex, bool options_templates) {
    for (auto it = ex->templates.begin(); it != ex->templates.end();) {
        if (it->second.is_options != options_templates) {
            ++it;
            continue;
        }
        it = ex->templates.erase(it);
        --total_templates;
        ++ex->info.counters.templates_withdrawn;
    }
}

void DecoderState::Count(ExporterState* ex, DecodeError e) {
    if (ex != nullptr) {
        ex->Count(e);
    } else {
        ++counters.errors[static_cast<size_t>(e)];
    }
}

void DecoderState::ProcessOptionRecord(ExporterState* ex) {
    const Scratch& s = scratch_;
    ++ex->info.counters.option_records;
    if (s.Has(kSlotSysInitMs)) {
        ex->has_sys_init = true;
        ex->sys_init_ms = s.value[kSlotSysInitMs];
    }

    // Sampling (spec §3.3): #305/#306 give packet and space intervals directly; #50 (v9
    // random interval) and #34 (samplingInterval) give N of "1 out of N".
    uint32_t packet = 1;
    uint32_t space = 0;
    if (s.Has(kSlotPacketInterval) || s.Has(kSlotSpaceInterval)) {
        packet = static_cast<uint32_t>(s.Get(kSlotPacketInterval));
        space = static_cast<uint32_t>(s.Get(kSlotSpaceInterval));
        if (packet == 0) packet = 1;
    } else if (s.Has(kSlotSamplerRandom) || s.Has(kSlotSamplingInterval)) {
        const uint64_t n = s.Has(kSlotSamplerRandom) ? s.value[kSlotSamplerRandom]
                                                     : s.value[kSlotSamplingInterval];
        if (n == 0) return;
        space = static_cast<uint32_t>(std::min<uint64_t>(n, 0xffffffffu) - 1);
    } else {
        return;
    }
    const auto algorithm = static_cast<uint16_t>(s.Get(kSlotSamplingAlgorithm));
    const int64_t id =
        s.Has(kSlotSamplerId) ? static_cast<int64_t>(s.value[kSlotSamplerId]) : kSamplerGeneric;
    UpsertSampler(ex, id, algorithm, packet, space);
}

void DecoderState::SamplingFactor(const ExporterState* ex, int64_t sampler_id, bool has_sampler_id,
                                  uint64_t inline_interval, uint64_t* num, uint64_t* den) const {
    // Sampler precedence (spec §3.5): forced, the record's own sampler id, an interval in
    // the record itself (B17, Huawei), the exporter's generic sampler, the -s default.
    if (ex->samplers.empty() && inline_interval <= 1) return;  // the usual case: none
    const SamplerInfo* sampler = nullptr;
    if (ex->forced_sampler >= 0) {
        sampler = &samplers[ex->forced_sampler];
    } else {
        if (has_sampler_id) {
            for (size_t index : ex->samplers) {
                if (samplers[index].id == sampler_id) {
                    sampler = &samplers[index];
                    break;
                }
            }
        }
        if (sampler == nullptr && inline_interval > 1) {
            *num = inline_interval;
        } else if (sampler == nullptr && ex->generic_sampler >= 0) {
            sampler = &samplers[ex->generic_sampler];
        } else if (sampler == nullptr && ex->default_sampler >= 0) {
            sampler = &samplers[ex->default_sampler];
        }
    }
    if (sampler != nullptr && sampler->space_interval > 0) {
        *num = uint64_t{sampler->packet_interval} + sampler->space_interval;
        *den = sampler->packet_interval;
    }
}

void DecoderState::FinishCommon(ExporterState* ex, const MessageContext& ctx, int64_t sampler_id,
                                bool has_sampler_id, uint64_t inline_interval, FlowRecord* r) {
    r->nfversion = ctx.nfversion;
    r->exporter_sysid = ex->info.sysid;
    r->received_ms = ctx.received_ms;
    r->received_from = ex->info.address.addr;
    r->Set(ex->info.address.v6 ? kExIpReceivedV6 : kExIpReceivedV4);

    uint64_t multiplier_num = 1;
    uint64_t multiplier_den = 1;
    SamplingFactor(ex, sampler_id, has_sampler_id, inline_interval, &multiplier_num,
                   &multiplier_den);
    if (multiplier_num != multiplier_den) {
        r->packets = r->packets * multiplier_num / multiplier_den;
        r->bytes = r->bytes * multiplier_num / multiplier_den;
        r->out_packets = r->out_packets * multiplier_num / multiplier_den;
        r->out_bytes = r->out_bytes * multiplier_num / multiplier_den;
        r->flags |= kFlagSampled;
    }
    ++ex->info.counters.flows;
    ++ex->info.interval.flows;
}

void DecoderState::FinishFlow(ExporterState* ex, const CompiledTemplate& t,
                              const MessageContext& ctx, FlowRecord* r) {
    const Scratch& s = scratch_;
    r->present |= t.present;

    // nfdump keeps one family per record: IPv4 when its addresses are non-zero.
    if (t.both_families) {
        if (r->src_addr.lo != 0 || r->dst_addr.lo != 0) {
            r->Set(kExIpv4Flow);
        } else {
            r->src_addr = IpAddr{s.Get(kSlotSrc6Hi), s.Get(kSlotSrc6Lo)};
            r->dst_addr = IpAddr{s.Get(kSlotDst6Hi), s.Get(kSlotDst6Lo)};
            r->Set(kExIpv6Flow);
        }
    }

    // Next hops sent in both families: the non-zero one, IPv4 when both are zero.
    if (t.both_next_hops) {
        if (r->ip_next_hop.lo != 0 ||
            (s.Get(kSlotIpNextHop6Hi) == 0 && s.Get(kSlotIpNextHop6Lo) == 0)) {
            r->Set(kExIpNextHopV4);
        } else {
            r->ip_next_hop = IpAddr{s.value[kSlotIpNextHop6Hi], s.Get(kSlotIpNextHop6Lo)};
            r->Set(kExIpNextHopV6);
        }
    }
    if (t.both_bgp_next_hops) {
        if (r->bgp_next_hop.lo != 0 ||
            (s.Get(kSlotBgpNextHop6Hi) == 0 && s.Get(kSlotBgpNextHop6Lo) == 0)) {
            r->Set(kExBgpNextHopV4);
        } else {
            r->bgp_next_hop = IpAddr{s.value[kSlotBgpNextHop6Hi], s.Get(kSlotBgpNextHop6Lo)};
            r->Set(kExBgpNextHopV6);
        }
    }

    r->engine_type =
        static_cast<uint8_t>(s.Has(kSlotEngineType) ? s.value[kSlotEngineType] : ctx.engine_type);
    r->engine_id =
        static_cast<uint8_t>(s.Has(kSlotEngineId) ? s.value[kSlotEngineId] : ctx.engine_id);
    ComputeTimes(s, ctx, *ex, &r->first_ms, &r->last_ms);
    ApplyIcmp(s, t.has_icmp_field, r->proto, &r->src_port, &r->dst_port);

    if (r->Has(kExLatency)) {
        r->client_nw_delay_us += s.Get(kSlotClientDelaySec) * 1000000;
        r->server_nw_delay_us += s.Get(kSlotServerDelaySec) * 1000000;
        r->appl_latency_us += s.Get(kSlotApplLatencySec) * 1000000;
    }

    // NSEL/NEL events: the event time (#323) is the flow's time when no other is given;
    // without it the event time is the start time.
    if (s.Has(kSlotEventTimeMs)) {
        const uint64_t event = s.value[kSlotEventTimeMs];
        if (r->first_ms == 0) r->first_ms = event;
        if (r->last_ms == 0) r->last_ms = event;
    }
    if (r->Has(kExNselCommon) || r->Has(kExNatCommon)) {
        r->event_ms = s.Has(kSlotEventTimeMs) ? s.value[kSlotEventTimeMs] : r->first_ms;
        r->flags |= kFlagEvent;
    }

    if (r->flows == 0) r->flows = 1;
    if (r->Has(kExObservation) && r->observation_domain == 0) r->observation_domain = ctx.domain;

    FinishCommon(ex, ctx, static_cast<int64_t>(s.Get(kSlotSamplerId)), s.Has(kSlotSamplerId),
                 s.Get(kSlotSamplingInterval), r);
}

void DecoderState::FlushPending(std::vector<FlowRecord>* records) {
    for (const FlowRecord& r : *records) {
        const size_t n = nffile::EncodeV3(r, encoded->Reserve(nffile::kMaxV3RecordSize));
        encoded->Commit(n) = FlowCounts::Of(r);
    }
    records->clear();
}

// TODO: flowcapd -f on 300k generated v9 flows (callgrind, uncompressed) spends about 519
// instructions per flow in user space (635 before the changes of 2026-12-05 noon, 1,160 before
// the direct path): about 320 here (some 150 moving the bench template's 18 fields, 30 of
// them the two uptime stamps into scratch slots; 30 copying the skeleton; the rest times,
// engine ids, counts and the FlowCounts each flow hands to the writer), 70 in the writer's
// per-flow loop (39 of them stat counting), 58 parsing the message and its sets and, with
// -f, 44 reading the pcap. With -y, liblz4's LZ4_compress_default adds about 845 a flow (1,369
// in all against nfcapd's 2,770 for the same flows): most of flowcapd's user time, and why
// it stays above half of nfcapd's CPU per flow with -y. Acceleration 2 saves only 36 of
// them for 2.4 % larger files; SSSE3 byte shuffles of 16-byte chunks instead of the moves
// took more instructions (19 shuffles for 17 fields, which land far apart in the V3 record).
size_t DecoderState::DecodeDirect(ExporterState* ex, const CompiledTemplate& t, ByteReader body,
                                  const MessageContext& ctx) {
    using nffile::Load16;
    using nffile::Load64;
    using nffile::Store16;
    using nffile::Store64;
    const DirectPlan& d = t.direct;
    const Scratch& s = scratch_;
    const size_t size = d.skeleton.size();
    size_t records = 0;
    // RunMoves' loops inline, with the end of each kind's moves found once per set instead
    // of once per record (the call and those loads were about 40 instructions a flow).
    const FieldMove* moves = d.moves.data();
    auto end_of = [&](FixedKind kind) { return moves + d.moves_end[static_cast<size_t>(kind)]; };
    const FieldMove* const u8_end = end_of(FixedKind::kU8);
    const FieldMove* const u16_end = end_of(FixedKind::kU16);
    const FieldMove* const u32_end = end_of(FixedKind::kU32);
    const FieldMove* const u64_end = end_of(FixedKind::kU64);
    const FieldMove* const u16to32_end = end_of(FixedKind::kU16To32);
    const FieldMove* const u32to64_end = end_of(FixedKind::kU32To64);
    const FieldMove* const scratch_end = end_of(FixedKind::kScratch32);
    const FieldMove* const pairs = d.pairs.data();
    const FieldMove* const pair8_end = pairs + d.pairs_end[0];
    const FieldMove* const pair16_end = pairs + d.pairs_end[1];
    const FieldMove* const pair32_end = pairs + d.pairs_end[2];
    const uint8_t* rec = nullptr;
    while (body.Bytes(t.min_record_length, &rec)) {
        uint8_t* o = encoded->Reserve(size);
        std::memcpy(o, d.skeleton.data(), size);
        const FieldMove* m = pairs;
        for (; m != pair8_end; ++m) std::memcpy(o + m->to, rec + m->from, 2);
        for (; m != pair16_end; ++m) {
            // Fields a, b: (a << 16 | b) from the wire, (b << 16 | a) little-endian.
            const uint32_t v = std::rotl(LoadBigEndian32(rec + m->from), 16);
            std::memcpy(o + m->to, &v, 4);
        }
        for (; m != pair32_end; ++m) {
            const uint64_t v = std::rotl(LoadBigEndian(rec + m->from, 8), 32);
            std::memcpy(o + m->to, &v, 8);
        }
        m = moves;
        for (; m != u8_end; ++m) o[m->to] = rec[m->from];
        for (; m != u16_end; ++m) {
            const uint16_t v = LoadBigEndian16(rec + m->from);
            std::memcpy(o + m->to, &v, 2);
        }
        for (; m != u32_end; ++m) {
            const uint32_t v = LoadBigEndian32(rec + m->from);
            std::memcpy(o + m->to, &v, 4);
        }
        for (; m != u64_end; ++m) {
            const uint64_t v = LoadBigEndian(rec + m->from, 8);
            std::memcpy(o + m->to, &v, 8);
        }
        for (; m != u16to32_end; ++m) {
            const uint32_t v = LoadBigEndian16(rec + m->from);
            std::memcpy(o + m->to, &v, 4);
        }
        for (; m != u32to64_end; ++m) {
            const uint64_t v = LoadBigEndian32(rec + m->from);
            std::memcpy(o + m->to, &v, 8);
        }
        uint64_t seen = 0;
        for (; m != scratch_end; ++m) {
            scratch_.value[m->to] = LoadBigEndian32(rec + m->from);
            seen |= uint64_t{1} << m->to;
        }
        scratch_.seen = seen;
        for (const FixedOp& f : d.other_ops) {
            RunOp(f.op, rec + f.offset, f.op.length, o, nullptr, &scratch_, nullptr, 0);
        }

        // What FinishFlow and FinishCommon do to a FlowRecord of these elements, on the V3
        // record's bytes (EncodeV3's layout: header, EXgenericFlow, EXcntFlow).
        o[6] = static_cast<uint8_t>(s.Has(kSlotEngineType) ? s.value[kSlotEngineType]
                                                           : ctx.engine_type);
        o[7] = static_cast<uint8_t>(s.Has(kSlotEngineId) ? s.value[kSlotEngineId] : ctx.engine_id);
        o[11] = ctx.nfversion;
        uint8_t* g = o + d.generic;
        FlowCounts& c = encoded->Commit(size);
        ComputeTimesFast(s, ctx, *ex, &c.first_ms, &c.last_ms);
        Store64(g, c.first_ms);
        Store64(g + 8, c.last_ms);
        Store64(g + 16, ctx.received_ms);
        c.proto = g[44];
        if (c.proto == 1 || c.proto == 58) {
            uint16_t src_port = Load16(g + 40);
            uint16_t dst_port = Load16(g + 42);
            ApplyIcmp(s, t.has_icmp_field, c.proto, &src_port, &dst_port);
            Store16(g + 40, src_port);
            Store16(g + 42, dst_port);
        }
        c.packets = Load64(g + 24);
        c.bytes = Load64(g + 32);
        if (d.counts != 0) {
            uint8_t* n = o + d.counts;
            c.flows = Load64(n);
            if (c.flows == 0) {
                c.flows = 1;
                Store64(n, 1);
            }
            c.out_packets = Load64(n + 8);
            c.out_bytes = Load64(n + 16);
        }
        uint64_t num = 1;
        uint64_t den = 1;
        // SamplingFactor's own first test, here to spare the call in the usual case (no
        // sampler known, no interval in the record).
        if (!ex->samplers.empty() || s.Get(kSlotSamplingInterval) > 1) {
            SamplingFactor(ex, static_cast<int64_t>(s.Get(kSlotSamplerId)),
                           s.Has(kSlotSamplerId), s.Get(kSlotSamplingInterval), &num, &den);
        }
        if (num != den) {
            c.packets = c.packets * num / den;
            c.bytes = c.bytes * num / den;
            c.out_packets = c.out_packets * num / den;
            c.out_bytes = c.out_bytes * num / den;
            Store64(g + 24, c.packets);
            Store64(g + 32, c.bytes);
            if (d.counts != 0) {
                Store64(o + d.counts + 8, c.out_packets);
                Store64(o + d.counts + 16, c.out_bytes);
            }
            o[10] |= kFlagSampled;
        }
        ++ex->info.counters.flows;
        ++ex->info.interval.flows;
        ++records;
    }
    return records;
}

size_t DecoderState::DecodeDataSet(ExporterState* ex, const CompiledTemplate& t, ByteReader body,
                                   const MessageContext& ctx, std::vector<FlowRecord>* out) {
    if (encoded != nullptr && t.direct.ok) {
        FlushPending(out);
        return DecodeDirect(ex, t, body, ctx);
    }
    size_t records = 0;
    // Bytes after the last whole record are padding (RFC 3954 §5.3, RFC 7011 §3.3.1).
    while (body.remaining() >= t.min_record_length) {
        scratch_.seen = 0;
        // NOTE: like nfcapd, a data template in which no field is understood yields no
        // flows (there would be nothing but the exporter to store); its records are still
        // walked so IPFIX sequence numbers stay right.
        if (t.is_options || !t.yields_flows) {
            option_sink_.Clear();
            if (!RunTemplate(t, &body, &option_sink_, &scratch_)) {
                ex->Count(DecodeError::kRecordTruncated);
                break;
            }
            if (t.is_options) ProcessOptionRecord(ex);
            ++records;
            continue;
        }
        // NOTE: flowcapd takes DecodeDirect above for the templates it can (CompileDirect);
        // this path remains for Decode() and for templates with per-record families, lists,
        // variable-length fields or NSEL/NAT/latency post-processing.
        FlowRecord& r = out->emplace_back();
        if (!RunTemplate(t, &body, &r, &scratch_, &ex->templates)) {
            out->pop_back();
            ex->Count(DecodeError::kRecordTruncated);
            break;
        }
        FinishFlow(ex, t, ctx, &r);
        ++records;
    }
    return records;
}

size_t DecoderState::ProcessDataSet(ExporterState* ex, uint16_t set_id, ByteReader body,
                                    const MessageContext& ctx, std::vector<FlowRecord>* out,
                                    bool* known) {
    auto it = ex->templates.find(set_id);
    *known = it != ex->templates.end();
    if (!*known) {
        HoldSet(ex, set_id, body, ctx);
        return 0;
    }
    return DecodeDataSet(ex, it->second, body, ctx, out);
}

void DecoderState::HoldSet(ExporterState* ex, uint16_t template_id, ByteReader body,
                           const MessageContext& ctx) {
    ++ex->info.counters.no_template_sets;
    if (!options.hold_early_data) return;
    const size_t n = body.remaining();
    if (n > kMaxHeldBytesPerExporter) {
        ex->Count(DecodeError::kHeldDataDropped);
        return;
    }
    // Oldest first out: a template that never comes must not pin memory.
    while (!ex->held.empty() && (ex->held.size() >= kMaxHeldSetsPerExporter ||
                                 ex->held_bytes + n > kMaxHeldBytesPerExporter ||
                                 total_held_bytes + n > kMaxHeldBytesTotal)) {
        ex->held_bytes -= ex->held.front().body.size();
        total_held_bytes -= ex->held.front().body.size();
        ex->held.pop_front();
        ex->Count(DecodeError::kHeldDataDropped);
    }
    if (total_held_bytes + n > kMaxHeldBytesTotal) {
        ex->Count(DecodeError::kHeldDataDropped);
        return;
    }
    HeldSet& held = ex->held.emplace_back();
    held.template_id = template_id;
    held.context = ctx;
    held.body.assign(body.current(), body.current() + n);
    ex->held_bytes += n;
    total_held_bytes += n;
    ++ex->info.counters.held_sets;
}

void DecoderState::ReplayHeld(ExporterState* ex, std::vector<FlowRecord>* out) {
    for (auto it = ex->held.begin(); it != ex->held.end();) {
        auto t = ex->templates.find(it->template_id);
        if (t == ex->templates.end()) {
            ++it;
            continue;
        }
        ByteReader body(it->body.data(), it->body.size());
        DecodeDataSet(ex, t->second, body, it->context, out);
        ++ex->info.counters.held_sets_decoded;
        ex->held_bytes -= it->body.size();
        total_held_bytes -= it->body.size();
        it = ex->held.erase(it);
    }
}

}  // namespace detail

Decoder::Decoder(DecoderOptions options)
    : state_(std::make_unique<detail::DecoderState>(options)) {}

Decoder::~Decoder() = default;
Decoder::Decoder(Decoder&&) noexcept = default;
Decoder& Decoder::operator=(Decoder&&) noexcept = default;

Status Decoder::Decode(const uint8_t* data, size_t len, const Endpoint& exporter, uint64_t now_ms,
                       std::vector<FlowRecord>* out) {
    detail::DecoderState& st = *state_;
    ++st.counters.datagrams;
    detail::ByteReader reader(data, data == nullptr ? 0 : len);
    uint16_t version = 0;
    if (!detail::ByteReader(reader).U16(&version)) {
        ++st.counters.rejected;
        st.Count(nullptr, DecodeError::kTruncatedHeader);
        return Status::Truncated("datagram: " + std::to_string(len) + " bytes, no version");
    }
    switch (version) {
        case 1:
        case 5:
        case 7:
            return detail::DecodeNetflowV5(&st, reader, exporter, now_ms, out);
        case 9:
            return detail::DecodeNetflowV9(&st, reader, exporter, now_ms, out);
        case 10:
            return detail::DecodeIpfix(&st, reader, exporter, now_ms, out);
        case 0:
            // sFlow starts with a 32-bit version (2, 4 or 5), so its first 16 bits are 0.
            return detail::DecodeSflow(&st, reader, exporter, now_ms, out);
        default:
            ++st.counters.rejected;
            st.Count(nullptr, DecodeError::kUnknownVersion);
            return Status::Unsupported("datagram: unknown version " + std::to_string(version));
    }
}

size_t Decoder::exporter_count() const { return state_->exporters.size(); }

const ExporterInfo& Decoder::exporter(size_t index) const { return state_->exporters[index]->info; }

const ExporterInfo* Decoder::FindExporter(uint16_t sysid) const {
    if (sysid == 0 || sysid > state_->exporters.size()) return nullptr;
    return &state_->exporters[sysid - 1]->info;
}

size_t Decoder::sampler_count() const { return state_->samplers.size(); }

const SamplerInfo& Decoder::sampler(size_t index) const { return state_->samplers[index]; }

void Decoder::TakeEvents(std::vector<DecoderEvent>* out) {
    out->insert(out->end(), state_->events.begin(), state_->events.end());
    state_->events.clear();
}

void Decoder::ResetIntervalCounters() {
    for (auto& ex : state_->exporters) ex->info.interval = IntervalCounters{};
}

Status Decoder::DecodeEncoded(const uint8_t* data, size_t len, const Endpoint& exporter,
                              uint64_t now_ms, EncodedFlows* out) {
    detail::DecoderState& st = *state_;
    st.encoded = out;
    st.pending.clear();
    Status s = Decode(data, len, exporter, now_ms, &st.pending);
    st.FlushPending(&st.pending);
    st.encoded = nullptr;
    return s;
}

const DecoderCounters& Decoder::counters() const { return state_->counters; }

const DecoderOptions& Decoder::options() const { return state_->options; }

}  // namespace flow::wire
