// SPDX-License-Identifier: BSD-2-Clause
// NfFileReader's state, for reader.cc and for the record loops that run inline in their
// caller: NextRecord() and the ScanBlock() template. Internal to flowkit: a tool that calls
// ScanBlock() includes this header (its target adds libflow/src to its include path).
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "flow/nffile.h"
#include "nffile/block_source.h"
#include "nffile/layout.h"
#include "nffile/records.h"
#include "nffile/v3_decode.h"

namespace flow {

// Cache-line aligned: the two threads of a scan each own a reader, whose per-record fields
// must not share a line with the other's.
class alignas(64) NfFileReader::Impl {
public:
    Status Open(const std::string& path, const ReaderOptions& options);
    Result<bool> NextBlock();
    // The common case inline (a V3 record like the last, decoded from its cached list);
    // everything else in NextRecordWalk, which starts over at the same record.
    [[gnu::always_inline]] inline bool NextRecord(FlowRecord* out);
    [[gnu::noinline]] bool NextRecordWalk(FlowRecord* out);
    // NfFileReader::ScanBlock.
    template <class Visit>
    [[gnu::always_inline]] inline void ScanBlock(FlowRecord* out, Visit& visit);
    // Decodes the V3 record `p` into `out` (over it when it is the last record decoded)
    // and notes it for DecodeWhole.
    nffile::Decoded DecodeV3At(const uint8_t* p, uint16_t size, FlowRecord* out,
                               const char** error);
    // Decodes or handles a record of a type other than V3 (layout 1 records, exporters,
    // samplers, tables), out of NextRecord's loop.
    [[gnu::noinline]] nffile::Decoded OtherRecord(uint16_t type, const uint8_t* p, uint16_t size,
                                                  FlowRecord* out, const char** error);
    void DecodeWhole(FlowRecord* out);
    std::span<const uint8_t> StoredRecord() const {
        // Records of 1.7.5's files decode with an option of their own (ipinfo_v175).
        if (stored_ == nullptr || v3_options_.ipinfo_v175) return {};
        return {stored_, nffile::Load16(stored_ + 2)};  // its size field, checked when read
    }

    FileInfo info_;
    ReadCounters counters_;
    std::vector<ExporterInfo> exporters_;
    std::vector<SamplerInfo> samplers_;
    // sysid -> index + 1 into exporters_ (0 = none); grows with the exporters seen.
    std::vector<uint32_t> exporter_index_;
    uint32_t block_number_ = 0;

private:
    Status OpenV1(int fd, const uint8_t* head, size_t head_len);
    Status OpenV2(int fd, const uint8_t* head);
    void ReadAppendix(int fd);
    void Corrupt(const char* what, size_t record_offset);
    void HandleExporter(const uint8_t* p, size_t len);
    void HandleExporterStats(const uint8_t* p, size_t len);
    void HandleSampler(const SamplerInfo& s);
    void ReportExtensionMap(const uint8_t* p, size_t len);
    ExporterInfo* ExporterFor(uint16_t sysid, bool create);

    nffile::BlockRange range_;
    nffile::BlockSource* source_ = nullptr;  // owned by stream_
    std::unique_ptr<nffile::BlockStream> stream_;
    nffile::V3Options v3_options_;
    nffile::V3ShapeCache shapes_;  // v3_options_.shapes
    nffile::ExtensionMaps maps_;
    std::vector<ExporterStats> stats_scratch_;

    // With ReaderOptions::reuse_record: the record the last V3 decode filled, which the
    // next one may overwrite element by element (DecodeV3Over).
    bool reuse_record_ = false;
    FlowRecord* last_out_ = nullptr;
    // The V3 record NextRecord() returned last, or null (see NfFileReader::StoredRecord).
    // Without some elements (ReaderOptions::elements) it is decoded in part until
    // DecodeWhole() decodes it whole and notes it in `whole_`.
    const uint8_t* stored_ = nullptr;
    const uint8_t* whole_ = nullptr;
    const nffile::Block* block_ = nullptr;
    size_t rec_offset_ = 0;
    uint32_t rec_index_ = 0;
    bool finished_ = false;
    Status pending_;  // record-level corruption, returned by the next NextBlock()
    std::function<void(const ExtensionMapRecord&)> on_extension_map_;
};

inline bool NfFileReader::Impl::NextRecord(FlowRecord* out) {
    // Its own few registers and no call on the way: the general loop below saves six
    // registers and a stack frame on every call, a tenth of what a record costs here. A
    // record the cached lists do not take goes there from the start, its list looked up
    // once more: handing over what this lookup found kept two more registers live through
    // it, whose saving cost every record 12 instructions.
    nffile::v3::ShapeLookup lookup;
    if (block_ != nullptr && rec_index_ < block_->num_records && out == last_out_) {
        const size_t off = rec_offset_;
        const size_t left = block_->size - off;
        const uint8_t* p = block_->payload + off;
        if (left >= 4 && nffile::Load16(p) == nffile::kRecV3) {
            const uint16_t size = nffile::Load16(p + 2);
            if (size_t{size} - 4 <= left - 4) {
                if (!nffile::v3::DecodeV3Listed(p, size, v3_options_, out, &lookup)) {
                    return NextRecordWalk(out);
                }
                rec_offset_ = off + size;
                ++rec_index_;
                stored_ = p;
                ++counters_.flow_records;
                return true;
            }
        }
    }
    return NextRecordWalk(out);
}

template <class Visit>
inline void NfFileReader::Impl::ScanBlock(FlowRecord* out, Visit& visit) {
    // NextRecord()'s fast path with the loop's state in locals: no call, and no member
    // written back, per record but for `stored_` (DecodeWhole reads it).
    if (block_ == nullptr) return;
    const uint8_t* const data = block_->payload;
    const size_t size = block_->size;
    const uint32_t count = block_->num_records;
    const nffile::V3ShapeCache* const cache =
        v3_options_.shapes != nullptr && v3_options_.shapes->Serves(v3_options_.elements)
            ? v3_options_.shapes
            : nullptr;
    size_t off = rec_offset_;
    uint32_t index = rec_index_;
    uint64_t flows = 0;  // flow records taken here, not yet in counters_
    while (index < count) {
        const uint8_t* const p = data + off;
        const size_t left = size - off;
        const nffile::V3ShapeCache::Shape* s = nullptr;
        uint16_t record_size = 0;
        // A size below the V3 header's matches no cached list.
        if (out == last_out_ && cache != nullptr && left >= nffile::kV3HeaderSize &&
            nffile::Load16(p) == nffile::kRecV3 && (record_size = nffile::Load16(p + 2)) <= left &&
            (s = nffile::v3::FindShape(*cache, p, nffile::Load32(p + 2))) != nullptr &&
            nffile::v3::DecodeFromShape(p, *s, v3_options_, out)) {
            off += record_size;
            ++index;
            ++flows;
            stored_ = p;
        } else {
            rec_offset_ = off;
            rec_index_ = index;
            const bool got = NextRecordWalk(out);
            off = rec_offset_;
            index = rec_index_;
            if (!got) break;  // the block's end or a corrupt record (see Corrupt)
        }
        if (!visit(static_cast<const FlowRecord&>(*out))) break;
    }
    rec_offset_ = off;
    rec_index_ = index;
    counters_.flow_records += flows;
}

template <class Visit>
inline void NfFileReader::ScanBlock(FlowRecord* out, Visit&& visit) {
    impl_->ScanBlock(out, visit);
}

}  // namespace flow
