// SPDX-License-Identifier: BSD-2-Clause
// NetFlow v1, v5 and v7 (Cisco's fixed-format exports; no RFC, layouts as documented by
// Cisco and in spec nffile-format §3.2). v7 is stored as v5, as nfcapd does. One datagram
// may hold several header+records units back to back; each is processed in turn.
#include <string>

#include "wire/decoder_state.h"

namespace flow::wire::detail {

namespace {

//  v5 header (24 bytes)                  v5 record (48 bytes)
//  +0  version      u16                  +0  srcaddr  u32   +32 srcport  u16
//  +2  count        u16                  +4  dstaddr  u32   +34 dstport  u16
//  +4  sysUptime    u32 ms               +8  nexthop  u32   +36 pad      u8
//  +8  unix_secs    u32                  +12 input    u16   +37 tcp_flags u8
//  +12 unix_nsecs   u32                  +14 output   u16   +38 prot     u8
//  +16 flow_sequence u32                 +16 dPkts    u32   +39 tos      u8
//  +20 engine_type  u8                   +20 dOctets  u32   +40 src_as   u16
//  +21 engine_id    u8                   +24 First    u32   +42 dst_as   u16
//  +22 sampling     u16 (mode:2 int:14)  +28 Last     u32   +44 masks, pad
// v7 has the same header (bytes 20-23 reserved) and 52-byte records (+ flags, router_sc).
// v1 has a 16-byte header (no sequence, engine, sampling) and 48-byte records with
// pad u16 at +36, then prot +38, tos +39, tcp_flags +40 and no AS numbers.
constexpr size_t kV1HeaderLength = 16;
constexpr size_t kV5HeaderLength = 24;
constexpr size_t kV1RecordLength = 48;
constexpr size_t kV5RecordLength = 48;
constexpr size_t kV7RecordLength = 52;

// A flow ending this far past sysUptime means the uptime counter wrapped after the flow
// ended (Cisco IOS bug CSCei12353, spec §3.2); v1 has no tolerance.
constexpr uint32_t kV5WrapTolerance = 100000;
constexpr uint64_t kUptimeWrap = uint64_t{1} << 32;

struct V5Header {
    uint16_t version = 0;
    uint16_t count = 0;
    uint32_t uptime_ms = 0;
    uint32_t unix_secs = 0;
    uint32_t unix_nsecs = 0;
    uint32_t sequence = 0;
    uint8_t engine_type = 0;
    uint8_t engine_id = 0;
    uint16_t sampling = 0;
};

bool ReadHeader(ByteReader* r, V5Header* h) {
    if (!r->U16(&h->version) || !r->U16(&h->count) || !r->U32(&h->uptime_ms) ||
        !r->U32(&h->unix_secs) || !r->U32(&h->unix_nsecs)) {
        return false;
    }
    if (h->version == 1) return true;
    return r->U32(&h->sequence) && r->U8(&h->engine_type) && r->U8(&h->engine_id) &&
           r->U16(&h->sampling);
}

void DecodeRecord(const V5Header& h, uint64_t boot_ms, ByteReader rec, FlowRecord* r) {
    uint32_t src = 0, dst = 0, nexthop = 0, packets = 0, bytes = 0, first = 0, last = 0;
    uint16_t input = 0, output = 0, src_port = 0, dst_port = 0;
    uint8_t proto = 0, tos = 0, flags = 0;
    // The caller checked the record length, so these reads cannot fail.
    (void)(rec.U32(&src) && rec.U32(&dst) && rec.U32(&nexthop) && rec.U16(&input) &&
           rec.U16(&output) && rec.U32(&packets) && rec.U32(&bytes) && rec.U32(&first) &&
           rec.U32(&last) && rec.U16(&src_port) && rec.U16(&dst_port));
    uint16_t src_as = 0, dst_as = 0;
    if (h.version == 1) {
        (void)(rec.Skip(2) && rec.U8(&proto) && rec.U8(&tos) && rec.U8(&flags));
    } else {
        (void)(rec.Skip(1) && rec.U8(&flags) && rec.U8(&proto) && rec.U8(&tos) &&
               rec.U16(&src_as) && rec.U16(&dst_as));
    }

    r->Set(kExGenericFlow);
    r->Set(kExIpv4Flow);
    r->packets = packets;
    r->bytes = bytes;
    r->src_port = src_port;
    r->dst_port = dst_port;
    r->proto = proto;
    r->src_tos = tos;
    r->tcp_flags = flags;
    r->src_addr = IpAddr::V4(src);
    r->dst_addr = IpAddr::V4(dst);
    // nfcapd 1.7 stores these elements only with non-zero content, and drops the masks.
    if (input != 0 || output != 0) {
        r->Set(kExFlowMisc);
        r->input = input;
        r->output = output;
    }
    if (src_as != 0 || dst_as != 0) {
        r->Set(kExAsRouting);
        r->src_as = src_as;
        r->dst_as = dst_as;
    }
    if (nexthop != 0) {
        r->Set(kExIpNextHopV4);
        r->ip_next_hop = IpAddr::V4(nexthop);
    }

    // First > Last: the uptime counter wrapped during the flow.
    uint64_t start = first > last ? boot_ms - kUptimeWrap + first : boot_ms + first;
    uint64_t end = boot_ms + last;
    const uint32_t tolerance = h.version == 1 ? 0 : kV5WrapTolerance;
    if (last > h.uptime_ms && last - h.uptime_ms > tolerance) {
        start -= kUptimeWrap;
        end -= kUptimeWrap;
    }
    r->first_ms = start;
    r->last_ms = end;

    // Cisco puts ICMP type/code byte-swapped into the source port.
    if (proto == 1 && r->src_port != 0) {
        r->dst_port = static_cast<uint16_t>((r->src_port >> 8) | (r->src_port << 8));
        r->src_port = 0;
    }
    r->engine_type = h.engine_type;
    r->engine_id = h.engine_id;
}

}  // namespace

Status DecodeNetflowV5(DecoderState* st, ByteReader data, const Endpoint& from, uint64_t now_ms,
                       std::vector<FlowRecord>* out) {
    V5Header first;
    if (!ReadHeader(&data, &first)) {
        ++st->counters.rejected;
        st->Count(nullptr, DecodeError::kTruncatedHeader);
        return Status::Truncated(
            "netflow v" + std::to_string(first.version) + ": header needs " +
            std::to_string(first.version == 1 ? kV1HeaderLength : kV5HeaderLength) +
            " bytes, datagram has " + std::to_string(data.size()));
    }
    const uint32_t id =
        first.version == 1 ? 0 : (uint32_t{first.engine_type} << 8) | first.engine_id;
    ExporterState* ex = st->FindOrAddExporter(from, first.version, id, now_ms);
    if (ex == nullptr) {
        ++st->counters.rejected;
        return Status::Unsupported("netflow: exporter table full, datagram dropped");
    }
    ++ex->info.counters.packets;
    ++ex->info.interval.packets;

    const size_t record_length = first.version == 7   ? kV7RecordLength
                                 : first.version == 1 ? kV1RecordLength
                                                      : kV5RecordLength;
    const size_t max_records = first.version == 1 ? kMaxV1Records : kMaxV5Records;
    MessageContext ctx;
    ctx.received_ms = now_ms;
    ctx.nfversion = first.version == 1 ? 1 : 5;

    V5Header h = first;
    while (true) {
        if (h.count > max_records) {
            ex->Count(DecodeError::kBadRecordCount);
            return Status::Malformed("netflow v" + std::to_string(h.version) + ": count " +
                                     std::to_string(h.count) + " above the maximum " +
                                     std::to_string(max_records));
        }
        ByteReader records;
        if (!data.Sub(h.count * record_length, &records)) {
            ex->Count(DecodeError::kRecordsTruncated);
            return Status::Truncated(
                "netflow v" + std::to_string(h.version) + ": count " + std::to_string(h.count) +
                " needs " + std::to_string(h.count * record_length) + " bytes of records, " +
                std::to_string(data.remaining()) + " left");
        }

        // Sequence (spec §3.2): the next header continues from this one's sequence plus its
        // record count; one failure per datagram, the first one only synchronises.
        if (h.version != 1) {
            if (ex->sequence_valid && h.sequence != ex->next_sequence) {
                ++ex->info.counters.sequence_failures;
                ++ex->info.interval.sequence_failures;
            }
            ex->sequence_valid = true;
            ex->next_sequence = h.sequence + h.count;

            const uint16_t interval = h.sampling & 0x3fff;
            if (interval > 0) {
                st->UpsertSampler(ex, kSamplerGeneric, static_cast<uint16_t>(h.sampling >> 14), 1,
                                  interval - 1u);
            }
        }

        const uint64_t boot_ms =
            uint64_t{h.unix_secs} * 1000 + h.unix_nsecs / 1000000 - h.uptime_ms;
        for (size_t i = 0; i < h.count; ++i) {
            ByteReader rec;
            (void)records.Sub(record_length, &rec);
            FlowRecord& r = out->emplace_back();
            DecodeRecord(h, boot_ms, rec, &r);
            st->FinishCommon(ex, ctx, 0, false, 0, &r);
        }

        if (data.empty()) return Status::Ok();
        // Another header may follow (several exports concatenated in one datagram).
        const uint16_t version = h.version;
        if (!ReadHeader(&data, &h) || h.version != version) {
            ex->Count(DecodeError::kBadRecordCount);
            return Status::Malformed("netflow v" + std::to_string(version) +
                                     ": trailing bytes after the records are not a header");
        }
    }
}

}  // namespace flow::wire::detail
