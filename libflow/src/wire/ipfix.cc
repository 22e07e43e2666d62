// SPDX-License-Identifier: BSD-2-Clause
// IPFIX, RFC 7011: message header (§3.1), set header (§3.3.2), template and options
// template records (§3.4.1, §3.4.2), template withdrawal (§8.1), variable-length encoding
// (§7) and sequence numbers (§3.1: data records sent before this message). Information
// elements (RFC 7012) are mapped in wire/template.cc, nfcapd-style (spec §3.4).
#include <string>
#include <vector>

#include "wire/decoder_state.h"

namespace flow::wire::detail {

namespace {

constexpr size_t kHeaderLength = 16;
constexpr uint16_t kTemplateSetId = 2;
constexpr uint16_t kOptionsTemplateSetId = 3;
constexpr uint16_t kMinDataSetId = 256;
constexpr uint16_t kEnterpriseBit = 0x8000;

// Reads `count` field specifiers (§3.2): id with the enterprise bit, length, and a PEN when
// the bit is set.
bool ReadFields(ByteReader* r, size_t count, std::vector<FieldSpec>* fields) {
    fields->clear();
    for (size_t i = 0; i < count; ++i) {
        FieldSpec f;
        uint16_t raw_id = 0;
        if (!r->U16(&raw_id) || !r->U16(&f.length)) return false;
        f.id = raw_id & ~kEnterpriseBit;
        if ((raw_id & kEnterpriseBit) != 0 && !r->U32(&f.pen)) return false;
        fields->push_back(f);
    }
    return true;
}

// A template or options template set. Returns true if a template was learned.
bool ParseTemplateSet(DecoderState* st, ExporterState* ex, ByteReader body, bool options) {
    bool learned = false;
    std::vector<FieldSpec> fields;
    // §3.3.1: padding is shorter than the smallest record (4 bytes) and zero.
    while (body.remaining() >= 4) {
        uint16_t id = 0;
        uint16_t count = 0;
        (void)(body.U16(&id) && body.U16(&count));
        if (count == 0) {
            // §8.1: withdrawal. The set's own id as template id withdraws every template of
            // that kind for this observation domain.
            if (id == (options ? kOptionsTemplateSetId : kTemplateSetId)) {
                st->RemoveAllTemplates(ex, options);
            } else if (id >= kMinDataSetId) {
                st->RemoveTemplate(ex, id);
            } else if (id != 0) {
                ex->Count(DecodeError::kTemplateInvalid);
            }
            continue;
        }
        uint16_t scope_count = 0;
        if (options && !body.U16(&scope_count)) {
            ex->Count(DecodeError::kTemplateTruncated);
            st->RemoveTemplate(ex, id);
            break;
        }
        if (count > kMaxFieldsPerTemplate) {
            // Specifiers have 4 or 8 bytes, so the record cannot be skipped without reading
            // it: give up on the rest of the set.
            ex->Count(DecodeError::kTemplateTooManyFields);
            st->RemoveTemplate(ex, id);
            break;
        }
        if (!ReadFields(&body, count, &fields)) {
            // A redefinition cut short also drops the old layout (B08).
            ex->Count(DecodeError::kTemplateTruncated);
            st->RemoveTemplate(ex, id);
            break;
        }
        const bool valid_scope = !options || (scope_count > 0 && scope_count <= count);
        if (id >= kMinDataSetId && valid_scope &&
            st->RefreshTemplate(ex, id, options, options ? scope_count : 0, fields)) {
            learned = true;
            continue;
        }
        CompiledTemplate t;
        bool ok = id >= kMinDataSetId;
        if (ok && options) {
            // §3.4.2.2: the scope field count must be non-zero and within the field count.
            ok = scope_count > 0 && scope_count <= count &&
                 CompileOptionsTemplate(id, fields, scope_count, &t);
        } else if (ok) {
            ok = CompileDataTemplate(Protocol::kIpfix, id, fields, &t);
        }
        if (!ok) {
            ex->Count(DecodeError::kTemplateInvalid);
            st->RemoveTemplate(ex, id);
            continue;
        }
        learned |= st->StoreTemplate(ex, std::move(t));
    }
    return learned;
}

}  // namespace

Status DecodeIpfix(DecoderState* st, ByteReader data, const Endpoint& from, uint64_t now_ms,
                   std::vector<FlowRecord>* out) {
    //  +0 version u16 = 10 | +2 length u16 (whole message) | +4 export time u32 s
    //  +8 sequence u32 (data records sent before) | +12 observation domain u32
    uint16_t version = 0, length = 0;
    uint32_t export_secs = 0, sequence = 0, domain = 0;
    if (!(data.U16(&version) && data.U16(&length) && data.U32(&export_secs) &&
          data.U32(&sequence) && data.U32(&domain))) {
        ++st->counters.rejected;
        st->Count(nullptr, DecodeError::kTruncatedHeader);
        return Status::Truncated("ipfix: header needs " + std::to_string(kHeaderLength) +
                                 " bytes, datagram has " + std::to_string(data.size()));
    }
    if (length < kHeaderLength) {
        ++st->counters.rejected;
        st->Count(nullptr, DecodeError::kMessageLengthMismatch);
        return Status::Malformed("ipfix: message length " + std::to_string(length) +
                                 " shorter than the header");
    }
    ExporterState* ex = st->FindOrAddExporter(from, 10, domain, now_ms);
    if (ex == nullptr) {
        ++st->counters.rejected;
        return Status::Unsupported("ipfix: exporter table full, datagram dropped");
    }
    ++ex->info.counters.packets;
    ++ex->info.interval.packets;

    Status status;
    // Bytes after the message are not ours (RFC 7011 §10.3.1: one message per datagram;
    // nfcapd likewise ignores a second message glued behind the first); a message longer
    // than the datagram was cut in transit (or by a capture's snap length): decode the sets
    // that are complete.
    ByteReader sets;
    if (!data.Sub(length - kHeaderLength, &sets)) {
        ex->Count(DecodeError::kMessageLengthMismatch);
        status = Status::Truncated("ipfix: message length " + std::to_string(length) +
                                   " exceeds the datagram's " + std::to_string(data.size()));
        sets = ByteReader(data.current(), data.remaining());
    }

    MessageContext ctx;
    ctx.protocol = Protocol::kIpfix;
    ctx.nfversion = 10;
    ctx.domain = domain;
    ctx.export_ms = uint64_t{export_secs} * 1000;
    ctx.received_ms = now_ms;

    bool learned = false;
    bool uncounted = false;  // a data set without template: its record count is unknown
    uint32_t records = 0;
    while (!sets.empty()) {
        uint16_t set_id = 0, set_length = 0;
        if (!(sets.U16(&set_id) && sets.U16(&set_length)) || set_length < 4) {
            ex->Count(DecodeError::kSetTooShort);
            if (status.ok()) {
                status = Status::Malformed("ipfix: set " + std::to_string(set_id) + " length " +
                                           std::to_string(set_length) + " < 4");
            }
            uncounted = true;
            break;
        }
        ByteReader body;
        if (!sets.Sub(set_length - 4u, &body)) {
            ex->Count(DecodeError::kSetExceedsMessage);
            if (status.ok()) {
                status = Status::Truncated("ipfix: set " + std::to_string(set_id) + " length " +
                                           std::to_string(set_length) + " exceeds the " +
                                           std::to_string(sets.remaining() + 4) +
                                           " bytes left in the message");
            }
            uncounted = true;
            break;
        }
        if (set_id == kTemplateSetId || set_id == kOptionsTemplateSetId) {
            learned |= ParseTemplateSet(st, ex, body, set_id == kOptionsTemplateSetId);
        } else if (set_id < kMinDataSetId) {
            ex->Count(DecodeError::kReservedSetId);
        } else {
            bool known = false;
            records +=
                static_cast<uint32_t>(st->ProcessDataSet(ex, set_id, body, ctx, out, &known));
            uncounted |= !known;
        }
    }

    // §3.1: the sequence number counts data records (option data included) sent before
    // this message, so template-only messages keep it unchanged. When some records could
    // not be counted the next message only resynchronises.
    if (ex->sequence_valid && sequence != ex->next_sequence) {
        ++ex->info.counters.sequence_failures;
        ++ex->info.interval.sequence_failures;
    }
    ex->sequence_valid = !uncounted;
    ex->next_sequence = sequence + records;

    if (learned && !ex->held.empty()) st->ReplayHeld(ex, out);
    return status;
}

}  // namespace flow::wire::detail
