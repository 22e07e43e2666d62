// SPDX-License-Identifier: BSD-2-Clause
// NfFileReader: header, stat record and appendix of both file layouts (spec
// nffile-format.md §1.1, §1.2, §2.1, §2.4), then the records of each data block (§1.4, §2.5).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "flow/nffile.h"
#include "nffile/block_source.h"
#include "nffile/codec.h"
#include "nffile/layout.h"
#include "nffile/reader_impl.h"
#include "nffile/records.h"
#include "nffile/v3_decode.h"

namespace flow {

using namespace nffile;

namespace {

Result<size_t> ReadFully(int fd, uint8_t* buf, size_t n, uint64_t offset) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = ::pread(fd, buf + got, n - got, static_cast<off_t>(offset + got));
        if (r < 0) {
            if (errno == EINTR) continue;
            return Status::IoError(std::string("read: ") + std::strerror(errno));
        }
        if (r == 0) break;
        got += static_cast<size_t>(r);
    }
    return got;
}

// Stat record layout shared by both layouts: 15 u64 counters first.
void LoadCounters(const uint8_t* p, StatRecord* s) {
    uint64_t* fields[] = {&s->num_flows,   &s->num_bytes,    &s->num_packets,  &s->flows_tcp,
                          &s->flows_udp,   &s->flows_icmp,   &s->flows_other,  &s->bytes_tcp,
                          &s->bytes_udp,   &s->bytes_icmp,   &s->bytes_other,  &s->packets_tcp,
                          &s->packets_udp, &s->packets_icmp, &s->packets_other};
    for (size_t i = 0; i < 15; ++i) *fields[i] = Load64(p + 8 * i);
}

std::string IdentFrom(const uint8_t* p, size_t max) {
    size_t n = 0;
    while (n < max && p[n] != 0) ++n;
    return std::string(reinterpret_cast<const char*>(p), n);
}

}  // namespace

// Hands extension map record `p[0..len)` to ReaderOptions::on_extension_map as stored: its
// ids up to the first 0 or the record's end.
void NfFileReader::Impl::ReportExtensionMap(const uint8_t* p, size_t len) {
    constexpr size_t kHeader = 8;  // type, size, map id, extension size
    ExtensionMapRecord map;
    map.size = static_cast<uint16_t>(len);
    if (len >= kHeader) {
        map.map_id = Load16(p + 4);
        map.extension_size = Load16(p + 6);
        for (size_t at = kHeader; at + 2 <= len && Load16(p + at) != 0; at += 2) {
            map.ids.push_back(Load16(p + at));
        }
    }
    on_extension_map_(map);
}

Status NfFileReader::Impl::Open(const std::string& path, const ReaderOptions& options) {
    info_.path = path;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        std::string msg = path + ": " + std::strerror(err);
        return err == ENOENT ? Status::NotFound(msg) : Status::IoError(msg);
    }
    struct stat st;
    if (::fstat(fd, &st) != 0) {
        Status s = Status::IoError(path + ": " + std::strerror(errno));
        ::close(fd);
        return s;
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return Status::InvalidArgument(path + ": not a regular file");
    }
    info_.file_size = static_cast<uint64_t>(st.st_size);

    uint8_t head[kHeaderV1Size + kStatV1Size];
    Result<size_t> got = ReadFully(fd, head, sizeof(head), 0);
    if (!got.ok()) {
        ::close(fd);
        return Status::IoError(path + ": " + got.status().message());
    }
    if (*got < 4) {
        ::close(fd);
        return Status::Truncated(path + ": file shorter than a file header");
    }
    const uint16_t magic = Load16(head);
    const uint16_t version = Load16(head + 2);
    Status s;
    if (magic == ByteSwap(kMagic)) {
        s = Status::Unsupported(path + ": file written on a big-endian host (swapped magic)");
    } else if (magic != kMagic) {
        s = Status::Malformed(path + ": not an nfdump file (bad magic)");
    } else if (version == kLayout1) {
        s = OpenV1(fd, head, *got);
        info_.created = static_cast<int64_t>(st.st_mtime);
    } else if (version == kLayout2) {
        s = *got < kHeaderV2Size ? Status::Truncated(path + ": file header cut short")
                                 : OpenV2(fd, head);
    } else {
        s = Status::Unsupported(path + ": unknown file layout " + std::to_string(version));
    }
    if (!s.ok()) {
        ::close(fd);
        return s;
    }

    v3_options_.ipinfo_v175 = (info_.nfd_version & 0xFFFFFF00u) == 0xF1070500u;
    v3_options_.elements = V3ElementsNeeded(options.elements);
    v3_options_.shapes = &shapes_;
    shapes_.elements = v3_options_.elements;
    on_extension_map_ = options.on_extension_map;
    reuse_record_ = options.reuse_record;
    range_.path = path;
    range_.codec = info_.codec;
    range_.layout = info_.layout;
    range_.may_map = info_.closed;
    range_.claims = options.block_claims;
    auto source = std::make_unique<BlockSource>(fd, range_);
    source_ = source.get();
    const int depth = options.prefetch_blocks > 8 ? 8 : options.prefetch_blocks;
    if (depth > 0) {
        stream_ = std::make_unique<BlockPrefetcher>(std::move(source), depth);
    } else {
        stream_ = std::make_unique<SyncBlockStream>(std::move(source));
    }
    return Status::Ok();
}

Status NfFileReader::Impl::OpenV1(int fd, const uint8_t* head, size_t head_len) {
    (void)fd;
    if (head_len < kHeaderV1Size + kStatV1Size) {
        return Status::Truncated(info_.path + ": layout 1 header and stat record cut short");
    }
    info_.layout = 1;
    const uint32_t flags = Load32(head + 4);
    // Only one codec bit is ever set; nfdump checks them in this order.
    if (flags & kFlagV1Lzo) {
        info_.codec = Codec::kLzo;
    } else if (flags & kFlagV1Bz2) {
        info_.codec = Codec::kBz2;
    } else if (flags & kFlagV1Lz4) {
        info_.codec = Codec::kLz4;
    }
    info_.anonymized = (flags & kFlagV1Anonymized) != 0;
    info_.num_blocks = Load32(head + 8);
    info_.ident = IdentFrom(head + 12, kIdentV1Size);

    const uint8_t* st = head + kHeaderV1Size;
    LoadCounters(st, &info_.stat);
    const uint32_t first_s = Load32(st + 120);
    const uint32_t last_s = Load32(st + 124);
    info_.stat.first_ms = uint64_t{first_s} * 1000 + Load16(st + 128);
    info_.stat.last_ms = uint64_t{last_s} * 1000 + Load16(st + 130);
    info_.stat.sequence_failures = Load32(st + 132);
    info_.has_stat = true;
    // The header is rewritten at close only; an unclosed 1.6 file keeps NumBlocks 0 and the
    // stat record's initial first_seen 0x7fffffff.
    info_.closed = info_.num_blocks != 0 || first_s != 0x7fffffffu;

    // nfdump 1.6 ignores NumBlocks and reads to the end of the file; so do we, but fewer
    // blocks than the header announces mean the file was cut.
    range_.start = kHeaderV1Size + kStatV1Size;
    range_.limit = info_.file_size;
    range_.min_blocks = info_.num_blocks;
    return Status::Ok();
}

Status NfFileReader::Impl::OpenV2(int fd, const uint8_t* head) {
    info_.layout = 2;
    info_.nfd_version = Load32(head + 4);
    info_.created = static_cast<int64_t>(Load64(head + 8));
    const uint8_t compression = head[16];
    if (compression > static_cast<uint8_t>(Codec::kZstd)) {
        return Status::Unsupported(info_.path + ": unknown compression " +
                                   std::to_string(compression));
    }
    info_.codec = static_cast<Codec>(compression);
    if (head[17] != 0) {
        return Status::Unsupported(info_.path + ": encrypted files are not supported");
    }
    info_.appendix_blocks = Load16(head + 18);
    info_.creator = Load32(head + 20);
    info_.appendix_offset = Load64(head + 24);
    info_.num_blocks = Load32(head + 36);

    const bool appendix_usable =
        info_.appendix_offset >= kHeaderV2Size && info_.appendix_offset < info_.file_size;
    info_.closed = info_.num_blocks != 0 || info_.appendix_offset != 0;
    range_.start = kHeaderV2Size;
    range_.limit = appendix_usable ? info_.appendix_offset : info_.file_size;
    if (info_.closed) {
        // nfdump 1.7 reads exactly NumBlocks blocks; fewer before the appendix is damage.
        range_.max_blocks = info_.num_blocks;
        range_.min_blocks = info_.num_blocks;
        if (info_.num_blocks == 0) range_.limit = range_.start;
    }
    if (appendix_usable && info_.appendix_blocks > 0) ReadAppendix(fd);
    return Status::Ok();
}

void NfFileReader::Impl::ReadAppendix(int fd) {
    // A damaged appendix leaves has_stat false and the ident empty, as nfdump carries on
    // without it; the data blocks may still be fine.
    BlockRange range;
    range.path = info_.path;
    range.codec = info_.codec;
    range.start = info_.appendix_offset;
    range.limit = info_.file_size;
    range.max_blocks = info_.appendix_blocks;
    int dup_fd = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup_fd < 0) return;
    BlockSource source(dup_fd, range);
    Block block;
    for (;;) {
        Result<bool> r = source.Next(&block);
        if (!r.ok() || !*r || !block.damage.ok()) return;
        ++info_.appendix_blocks_read;
        info_.appendix_records += block.num_records;
        const uint8_t* p = block.payload;
        size_t off = 0;
        for (uint32_t i = 0; i < block.num_records; ++i) {
            if (block.size - off < 4) return;
            const uint16_t type = Load16(p + off);
            const uint16_t size = Load16(p + off + 2);
            if (size < 4 || size > block.size - off) return;
            const uint8_t* rec = p + off;
            if (type == kRecIdent && size < kMaxIdentRecordSize + 1) {
                info_.ident = IdentFrom(rec + 4, size - 4);
            } else if (type == kRecStat && size >= 4 + kStatV2Size) {
                LoadCounters(rec + 4, &info_.stat);
                info_.stat.first_ms = Load64(rec + 4 + 120);
                info_.stat.last_ms = Load64(rec + 4 + 128);
                info_.stat.sequence_failures = Load64(rec + 4 + 136);
                info_.has_stat = true;
            }
            off += size;
        }
    }
}

Result<bool> NfFileReader::Impl::NextBlock() {
    if (!pending_.ok()) {
        Status s = std::move(pending_);
        pending_ = Status::Ok();
        return s;
    }
    if (finished_) return false;
    stored_ = nullptr;  // points into the block that is replaced now
    whole_ = nullptr;   // so may a record of the next block at the same address
    Result<const Block*> r = stream_->Next();
    counters_.skipped_blocks = source_->skipped();
    if (!r.ok()) {
        finished_ = true;
        block_ = nullptr;
        return r.status();
    }
    block_ = *r;
    if (block_ == nullptr) {
        finished_ = true;
        return false;
    }
    if (!block_->damage.ok()) {
        // Nothing of this block is readable; the next call reads the block after it.
        block_number_ = block_->number;
        Status damage = block_->damage;
        block_ = nullptr;
        return damage;
    }
    rec_offset_ = 0;
    rec_index_ = 0;
    block_number_ = block_->number;
    ++counters_.blocks;
    counters_.block_records += block_->num_records;
    counters_.bytes_read += block_->size;  // nfdump counts the decompressed bytes
    counters_.stored_bytes += block_->stored_size;
    return true;
}

void NfFileReader::Impl::Corrupt(const char* what, size_t record_offset) {
    pending_ = Status::Malformed(info_.path + ": block " + std::to_string(block_->number) +
                                 " record " + std::to_string(rec_index_) + " at block offset " +
                                 std::to_string(record_offset) + ": " + what);
    rec_index_ = block_->num_records;
}

Decoded NfFileReader::Impl::OtherRecord(uint16_t type, const uint8_t* p, uint16_t size,
                                        FlowRecord* out, const char** error) {
    Decoded d = Decoded::kSkipped;
    switch (type) {
        case kRecCommon:
        case kRecCommonV0:
            d = DecodeV1Common(p, size, type == kRecCommonV0, maps_, out, &counters_, error);
            last_out_ = nullptr;
            break;
        case kRecExtensionMap:
            ++counters_.extension_maps;
            maps_.Add(p, size, &counters_);
            if (on_extension_map_) ReportExtensionMap(p, size);
            break;
        case kRecExporterInfo:
            HandleExporter(p, size);
            break;
        case kRecExporterStats:
            HandleExporterStats(p, size);
            break;
        case kRecSamplerV1: {
            SamplerInfo s;
            if (DecodeSamplerV1(p, size, &s, error)) {
                HandleSampler(s);
            } else {
                d = Decoded::kCorrupt;
            }
            break;
        }
        case kRecSampler: {
            SamplerInfo s;
            if (DecodeSampler(p, size, &s, error)) {
                HandleSampler(s);
            } else {
                d = Decoded::kCorrupt;
            }
            break;
        }
        // TODO: NBAR application, interface-name and VRF-name tables (types 12-14) are
        // not exposed; tools cannot print application or interface names.
        case kRecNbarTable:
        case kRecIfNameTable:
        case kRecVrfNameTable:
        case kRecSlack:
            break;
        default:
            ++counters_.unknown_records;
            break;
    }
    return d;
}

Decoded NfFileReader::Impl::DecodeV3At(const uint8_t* p, uint16_t size, FlowRecord* out,
                                       const char** error) {
    Decoded d;
    // DecodeV3Over, its fast path inline; what that looked up serves the rest.
    v3::ShapeLookup lookup;
    if (out == last_out_ && v3::DecodeV3Listed(p, size, v3_options_, out, &lookup)) {
        d = Decoded::kFlow;  // `out` stays the record to decode over next
    } else {
        d = out == last_out_
                ? v3::DecodeV3Rest(p, size, v3_options_, out, &counters_, error, lookup)
                : DecodeV3(p, size, v3_options_, out, &counters_, error);
        last_out_ = reuse_record_ && d == Decoded::kFlow ? out : nullptr;
    }
    stored_ = p;
    return d;
}

bool NfFileReader::Impl::NextRecordWalk(FlowRecord* out) {
    if (block_ == nullptr) return false;
    const uint8_t* data = block_->payload;
    const size_t block_size = block_->size;
    while (rec_index_ < block_->num_records) {
        const size_t off = rec_offset_;
        const size_t left = block_size - off;
        if (left < 4) {
            Corrupt("record header beyond the block end", off);
            return false;
        }
        const uint8_t* p = data + off;
        const uint16_t type = Load16(p);
        const uint16_t size = Load16(p + 2);
        // One unsigned test for both bounds: a size below 4 wraps around and fails it too.
        if (size_t{size} - 4 > left - 4) {
            Corrupt(size < 4 ? "record size below 4" : "record extends beyond the block end", off);
            return false;
        }
        rec_offset_ += size;
        ++rec_index_;

        const char* error = nullptr;
        Decoded d = Decoded::kSkipped;
        switch (type) {
            case kRecV3:
                d = DecodeV3At(p, size, out, &error);
                break;
            default:
                // Every other record type: rare, and kept out of this loop's code.
                d = OtherRecord(type, p, size, out, &error);
                stored_ = nullptr;
                break;
        }
        if (d == Decoded::kFlow) {
            ++counters_.flow_records;
            return true;
        }
        if (d == Decoded::kCorrupt) {
            Corrupt(error, off);
            return false;
        }
    }
    return false;
}

void NfFileReader::Impl::DecodeWhole(FlowRecord* out) {
    // Nothing to do for other record types (stored_ is null), a record decoded whole the
    // first time, or one this call decoded already.
    if (stored_ == nullptr || v3_options_.elements == kAllElements || stored_ == whole_) return;
    // The record decoded once already: no error and the same unknown elements this time.
    ReadCounters scratch = counters_;
    V3Options whole = v3_options_;
    whole.elements = kAllElements;
    whole.shapes = nullptr;  // its lists are those of the partial decodes
    const char* error = nullptr;
    (void)DecodeV3(stored_, Load16(stored_ + 2), whole, out, &scratch, &error);
    whole_ = stored_;
    // The next record may be decoded over this one: its fields are all valid.
    last_out_ = reuse_record_ ? out : nullptr;
}

ExporterInfo* NfFileReader::Impl::ExporterFor(uint16_t sysid, bool create) {
    if (sysid >= exporter_index_.size()) {
        if (!create) return nullptr;
        // Sized to the largest sysid seen (collectors number exporters from 1), not to all
        // 65536, which would cost every run a 256 KiB clear.
        exporter_index_.resize(size_t{sysid} + 1, 0);
    }
    uint32_t& slot = exporter_index_[sysid];
    if (slot == 0) {
        if (!create) return nullptr;
        ExporterInfo x;
        x.sysid = sysid;
        exporters_.push_back(x);
        slot = static_cast<uint32_t>(exporters_.size());
    }
    return &exporters_[slot - 1];
}

void NfFileReader::Impl::HandleExporter(const uint8_t* p, size_t len) {
    ExporterInfo x;
    const char* error = nullptr;
    if (!DecodeExporter(p, len, &x, &error)) {
        ++counters_.unknown_records;
        return;
    }
    // A later record for the same sysid replaces the description but keeps the statistics.
    ExporterInfo* e = ExporterFor(x.sysid, true);
    x.packets = e->packets;
    x.flows = e->flows;
    x.sequence_failures = e->sequence_failures;
    *e = x;
}

void NfFileReader::Impl::HandleExporterStats(const uint8_t* p, size_t len) {
    stats_scratch_.clear();
    const char* error = nullptr;
    if (!DecodeExporterStats(p, len, &stats_scratch_, &error)) {
        ++counters_.unknown_records;
        return;
    }
    for (const ExporterStats& s : stats_scratch_) {
        if (s.sysid > 0xFFFF) continue;
        ExporterInfo* e = ExporterFor(static_cast<uint16_t>(s.sysid), true);
        e->packets += s.packets;
        e->flows += s.flows;
        e->sequence_failures += s.sequence_failures;
    }
}

void NfFileReader::Impl::HandleSampler(const SamplerInfo& s) {
    for (SamplerInfo& known : samplers_) {
        if (known.exporter_sysid == s.exporter_sysid && known.id == s.id) {
            known = s;
            return;
        }
    }
    samplers_.push_back(s);
}

Result<std::unique_ptr<NfFileReader>> NfFileReader::Open(const std::string& path,
                                                         const ReaderOptions& options) {
    auto impl = std::make_unique<Impl>();
    Status s = impl->Open(path, options);
    if (!s.ok()) return s;
    return std::unique_ptr<NfFileReader>(new NfFileReader(std::move(impl)));
}

NfFileReader::NfFileReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NfFileReader::~NfFileReader() = default;

const FileInfo& NfFileReader::info() const { return impl_->info_; }
Result<bool> NfFileReader::NextBlock() { return impl_->NextBlock(); }
bool NfFileReader::NextRecord(FlowRecord* out) { return impl_->NextRecord(out); }
void NfFileReader::DecodeWhole(FlowRecord* out) { impl_->DecodeWhole(out); }
std::span<const uint8_t> NfFileReader::StoredRecord() const { return impl_->StoredRecord(); }
const std::vector<ExporterInfo>& NfFileReader::exporters() const { return impl_->exporters_; }
const std::vector<SamplerInfo>& NfFileReader::samplers() const { return impl_->samplers_; }
const ReadCounters& NfFileReader::counters() const { return impl_->counters_; }
uint32_t NfFileReader::block_number() const { return impl_->block_number_; }

const ExporterInfo* NfFileReader::FindExporter(uint16_t sysid) const {
    if (sysid >= impl_->exporter_index_.size()) return nullptr;
    const uint32_t slot = impl_->exporter_index_[sysid];
    return slot == 0 ? nullptr : &impl_->exporters_[slot - 1];
}

const char* CodecName(Codec codec) {
    switch (codec) {
        case Codec::kNone:
            return "none";
        case Codec::kLzo:
            return "lzo";
        case Codec::kBz2:
            return "bz2";
        case Codec::kLz4:
            return "lz4";
        case Codec::kZstd:
            return "zstd";
    }
    return "unknown";
}

Result<Codec> ParseCodec(std::string_view name) {
    std::string n;
    for (char c : name) n.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c));
    if (n == "none") return Codec::kNone;
    if (n == "lzo") return Codec::kLzo;
    if (n == "bz2" || n == "bzip2") return Codec::kBz2;
    if (n == "lz4") return Codec::kLz4;
    if (n == "zstd") return Codec::kZstd;
    return Status::InvalidArgument("unknown compression '" + std::string(name) + "'");
}

}  // namespace flow
