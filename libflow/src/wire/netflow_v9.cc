// SPDX-License-Identifier: BSD-2-Clause
// NetFlow version 9, RFC 3954: packet header (§5.1), template flowsets (§5.2), options
// template flowsets (§6.1), data flowsets (§5.3), and nfcapd 1.7's handling of them (spec
// nffile-format §3.3). Field types are mapped in wire/template.cc.
#include <string>
#include <vector>

#include "wire/decoder_state.h"

namespace flow::wire::detail {

namespace {

constexpr size_t kHeaderLength = 20;
constexpr uint16_t kTemplateSetId = 0;
constexpr uint16_t kOptionsTemplateSetId = 1;
constexpr uint16_t kMinDataSetId = 256;

// Zero bytes to the end: the padding some exporters (Palo Alto) leave after the last
// flowset of a fixed-size buffer.
bool AllZero(ByteReader r) {
    uint8_t b = 0;
    while (r.U8(&b)) {
        if (b != 0) return false;
    }
    return true;
}

// Reads `count` (type, length) field specifiers. v9 has no enterprise bit; ids up to 65535
// are vendor types (NSEL 33000+, nprobe 57554+). Length 65535 is a variable-length field,
// an IPFIX convention some v9 exporters (H3C) use too.
bool ReadFields(ByteReader* r, size_t count, std::vector<FieldSpec>* fields) {
    fields->clear();
    for (size_t i = 0; i < count; ++i) {
        FieldSpec f;
        if (!r->U16(&f.id) || !r->U16(&f.length)) return false;
        fields->push_back(f);
    }
    return true;
}

// Template flowset, RFC 3954 §5.2: records of template id, field count, fields.
bool ParseTemplates(DecoderState* st, ExporterState* ex, ByteReader body) {
    bool learned = false;
    std::vector<FieldSpec> fields;
    while (body.remaining() >= 4) {
        uint16_t id = 0;
        uint16_t count = 0;
        (void)(body.U16(&id) && body.U16(&count));
        if (id == 0 && count == 0 && AllZero(body)) break;  // padding
        if (count > kMaxFieldsPerTemplate) {
            ex->Count(DecodeError::kTemplateTooManyFields);
            st->RemoveTemplate(ex, id);
            if (!body.Skip(size_t{count} * 4)) break;
            continue;
        }
        if (!ReadFields(&body, count, &fields)) {
            // A template cut short must not leave its old layout in force (B08).
            ex->Count(DecodeError::kTemplateTruncated);
            st->RemoveTemplate(ex, id);
            break;
        }
        if (id >= kMinDataSetId && st->RefreshTemplate(ex, id, false, 0, fields)) {
            learned = true;
            continue;
        }
        CompiledTemplate t;
        if (id < kMinDataSetId || !CompileDataTemplate(Protocol::kV9, id, fields, &t)) {
            ex->Count(DecodeError::kTemplateInvalid);
            st->RemoveTemplate(ex, id);
            continue;
        }
        learned |= st->StoreTemplate(ex, std::move(t));
    }
    return learned;
}

// Options template flowset, RFC 3954 §6.1: template id, scope length and option length in
// bytes, then scope and option field specifiers.
bool ParseOptionsTemplates(DecoderState* st, ExporterState* ex, ByteReader body) {
    bool learned = false;
    std::vector<FieldSpec> fields;
    while (body.remaining() >= 6) {
        uint16_t id = 0;
        uint16_t scope_length = 0;
        uint16_t option_length = 0;
        (void)(body.U16(&id) && body.U16(&scope_length) && body.U16(&option_length));
        if (id == 0 && scope_length == 0 && option_length == 0) break;  // padding
        if (scope_length % 4 != 0 || option_length % 4 != 0 || id < kMinDataSetId) {
            // The lengths no longer delimit whole specifiers: nothing after can be trusted.
            ex->Count(DecodeError::kTemplateInvalid);
            st->RemoveTemplate(ex, id);
            break;
        }
        const size_t scope_count = scope_length / 4;
        const size_t count = scope_count + option_length / 4;
        if (count > kMaxFieldsPerTemplate) {
            ex->Count(DecodeError::kTemplateTooManyFields);
            st->RemoveTemplate(ex, id);
            if (!body.Skip(count * 4)) break;
            continue;
        }
        if (!ReadFields(&body, count, &fields)) {
            ex->Count(DecodeError::kTemplateTruncated);
            st->RemoveTemplate(ex, id);
            break;
        }
        if (st->RefreshTemplate(ex, id, true, scope_count, fields)) {
            learned = true;
            continue;
        }
        CompiledTemplate t;
        if (!CompileOptionsTemplate(id, fields, scope_count, &t)) {
            ex->Count(DecodeError::kTemplateInvalid);
            st->RemoveTemplate(ex, id);
            continue;
        }
        learned |= st->StoreTemplate(ex, std::move(t));
    }
    return learned;
}

}  // namespace

Status DecodeNetflowV9(DecoderState* st, ByteReader data, const Endpoint& from, uint64_t now_ms,
                       std::vector<FlowRecord>* out) {
    //  +0 version u16 | +2 count u16 | +4 sysUptime u32 ms | +8 unix_secs u32
    //  +12 sequence u32 (export packets) | +16 source id u32
    uint16_t version = 0, count = 0;
    uint32_t uptime = 0, unix_secs = 0, sequence = 0, source_id = 0;
    if (!(data.U16(&version) && data.U16(&count) && data.U32(&uptime) && data.U32(&unix_secs) &&
          data.U32(&sequence) && data.U32(&source_id))) {
        ++st->counters.rejected;
        st->Count(nullptr, DecodeError::kTruncatedHeader);
        return Status::Truncated("netflow v9: header needs " + std::to_string(kHeaderLength) +
                                 " bytes, datagram has " + std::to_string(data.size()));
    }
    ExporterState* ex = st->FindOrAddExporter(from, 9, source_id, now_ms);
    if (ex == nullptr) {
        ++st->counters.rejected;
        return Status::Unsupported("netflow v9: exporter table full, datagram dropped");
    }
    ++ex->info.counters.packets;
    ++ex->info.interval.packets;

    // The sequence counts export packets, template-only ones included (spec §3.3).
    // TODO: a packet reordered by the network counts as a failure (as in nfcapd); a small
    // reorder window would spare exporters behind ECMP paths the false alarm (B09 case 2).
    if (ex->sequence_valid && sequence != ex->next_sequence) {
        ++ex->info.counters.sequence_failures;
        ++ex->info.interval.sequence_failures;
    }
    ex->sequence_valid = true;
    ex->next_sequence = sequence + 1;

    MessageContext ctx;
    ctx.protocol = Protocol::kV9;
    ctx.nfversion = 9;
    ctx.engine_type = static_cast<uint8_t>(source_id >> 8);
    ctx.engine_id = static_cast<uint8_t>(source_id);
    ctx.domain = source_id;
    ctx.uptime_ms = uptime;
    ctx.export_ms = uint64_t{unix_secs} * 1000;
    ctx.received_ms = now_ms;

    Status status;
    bool learned = false;
    // Flowsets are processed strictly in order: a template earlier in the packet applies to
    // data later in it (B07). Trailing bytes shorter than a flowset header are padding.
    while (data.remaining() >= 4) {
        uint16_t set_id = 0, set_length = 0;
        (void)(data.U16(&set_id) && data.U16(&set_length));
        if (set_length < 4) {
            if (set_length == 0 && set_id == 0 && AllZero(data)) break;
            ex->Count(DecodeError::kSetTooShort);
            status = Status::Malformed("netflow v9: flowset " + std::to_string(set_id) +
                                       " length " + std::to_string(set_length) + " < 4");
            break;
        }
        ByteReader body;
        if (!data.Sub(set_length - 4u, &body)) {
            ex->Count(DecodeError::kSetExceedsMessage);
            status = Status::Truncated("netflow v9: flowset " + std::to_string(set_id) +
                                       " length " + std::to_string(set_length) + " exceeds the " +
                                       std::to_string(data.remaining() + 4) + " bytes left");
            break;
        }
        if (set_id == kTemplateSetId) {
            learned |= ParseTemplates(st, ex, body);
        } else if (set_id == kOptionsTemplateSetId) {
            learned |= ParseOptionsTemplates(st, ex, body);
        } else if (set_id < kMinDataSetId) {
            ex->Count(DecodeError::kReservedSetId);
        } else {
            bool known = false;
            st->ProcessDataSet(ex, set_id, body, ctx, out, &known);
        }
    }
    if (learned && !ex->held.empty()) st->ReplayHeld(ex, out);
    return status;
}

}  // namespace flow::wire::detail
