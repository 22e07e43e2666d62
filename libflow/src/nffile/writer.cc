// SPDX-License-Identifier: BSD-2-Clause
// NfFileWriter and ChangeIdent: layout 2 files as nfdump 1.7.1 writes them (spec
// nffile-format.md §2.1 header, §2.2 blocks, §2.4 appendix, §2.6 V3 records).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cassert>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <vector>

#include "flow/nffile.h"
#include "nffile/codec.h"
#include "nffile/layout.h"
#include "nffile/records.h"
#include "nffile/stat_accumulate.h"

namespace flow {

using namespace nffile;

namespace {

inline constexpr uint32_t kMinBlockBytes = 4096;
// Records are at most 65535 bytes (u16 size): the buffer keeps that much beyond the block
// size so that a record larger than a small block still fits into an empty one.
inline constexpr uint32_t kRecordSlack = 0xFFFF;
// Room left for the block header inside nfdump's 5 MiB read buffer.
inline constexpr uint32_t kMaxBlockBytes = kMaxBlockPayload - 16 - kRecordSlack;
inline constexpr size_t kMaxStatsPerRecord = (0xFFFF - 8) / kExporterStatEntrySize;
// Disk space kept allocated behind the last complete block for the appendix (block header,
// ident record of at most kMaxIdentLength bytes, stat record; compressed or not), so that a
// full disk cannot keep a file from being closed.
inline constexpr uint64_t kAppendixReserve = 4096;

struct HeaderV2 {
    uint32_t nfd_version = 0;
    int64_t created = 0;
    Codec codec = Codec::kNone;
    uint16_t appendix_blocks = 0;
    uint32_t creator = 0;
    uint64_t appendix_offset = 0;
    uint32_t num_blocks = 0;
};

void EncodeHeaderV2(const HeaderV2& h, uint8_t* out) {
    std::memset(out, 0, kHeaderV2Size);
    Store16(out, kMagic);
    Store16(out + 2, kLayout2);
    Store32(out + 4, h.nfd_version);
    Store64(out + 8, static_cast<uint64_t>(h.created));
    out[16] = static_cast<uint8_t>(h.codec);
    out[17] = 0;  // not encrypted
    Store16(out + 18, h.appendix_blocks);
    Store32(out + 20, h.creator);
    Store64(out + 24, h.appendix_offset);
    Store32(out + 32, 0);  // BlockSize: never used
    Store32(out + 36, h.num_blocks);
}

Status CheckIdent(std::string_view ident) {
    if (ident.size() > kMaxIdentLength) {
        return Status::InvalidArgument("ident longer than " + std::to_string(kMaxIdentLength) +
                                       " bytes");
    }
    if (ident.find('\0') != std::string_view::npos) {
        return Status::InvalidArgument("ident contains a NUL byte");
    }
    return Status::Ok();
}

Status WriteAll(int fd, const uint8_t* p, size_t n, const std::string& path) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return Status::IoError(path + ": write: " + std::strerror(errno));
        }
        p += w;
        n -= static_cast<size_t>(w);
    }
    return Status::Ok();
}

Status PwriteAll(int fd, const uint8_t* p, size_t n, uint64_t offset, const std::string& path) {
    while (n > 0) {
        ssize_t w = ::pwrite(fd, p, n, static_cast<off_t>(offset));
        if (w < 0) {
            if (errno == EINTR) continue;
            return Status::IoError(path + ": write: " + std::strerror(errno));
        }
        p += w;
        n -= static_cast<size_t>(w);
        offset += static_cast<uint64_t>(w);
    }
    return Status::Ok();
}

// The appendix: one block of two records, ident (0x8001, unpadded as 1.7.1 writes it) and
// the 144-byte stat record (0x8002). Returns the whole block, header included.
Result<std::vector<uint8_t>> BuildAppendix(BlockCodec& codec, std::string_view ident,
                                           const StatRecord& stat) {
    std::vector<uint8_t> raw(4 + ident.size() + 1 + 4 + kStatV2Size, 0);
    uint8_t* p = raw.data();
    const uint16_t ident_size = static_cast<uint16_t>(4 + ident.size() + 1);
    Store16(p, kRecIdent);
    Store16(p + 2, ident_size);
    std::memcpy(p + 4, ident.data(), ident.size());
    p += ident_size;
    Store16(p, kRecStat);
    Store16(p + 2, static_cast<uint16_t>(4 + kStatV2Size));
    const uint64_t values[] = {
        stat.num_flows,   stat.num_bytes,         stat.num_packets,   stat.flows_tcp,
        stat.flows_udp,   stat.flows_icmp,        stat.flows_other,   stat.bytes_tcp,
        stat.bytes_udp,   stat.bytes_icmp,        stat.bytes_other,   stat.packets_tcp,
        stat.packets_udp, stat.packets_icmp,      stat.packets_other, stat.first_ms,
        stat.last_ms,     stat.sequence_failures,
    };
    static_assert(sizeof(values) == kStatV2Size);
    for (size_t i = 0; i < 18; ++i) Store64(p + 4 + 8 * i, values[i]);

    std::vector<uint8_t> block(kBlockHeaderSize + codec.MaxCompressedSize(raw.size()));
    Result<size_t> n = codec.Compress(raw.data(), raw.size(), block.data() + kBlockHeaderSize,
                                      block.size() - kBlockHeaderSize);
    if (!n.ok()) return n.status();
    Store32(block.data(), 2);
    Store32(block.data() + 4, static_cast<uint32_t>(*n));
    Store16(block.data() + 8, kBlockV3);
    Store16(block.data() + 10, 0);
    block.resize(kBlockHeaderSize + *n);
    return block;
}

}  // namespace

class NfFileWriter::Impl {
public:
    Impl(std::string path, Codec codec, const WriterOptions& options)
        : path_(std::move(path)), options_(options), codec_(codec, options.level) {}
    ~Impl() {
        if (fd_ >= 0) ::close(fd_);
        if (stream_fd_ >= 0) ::close(stream_fd_);
    }

    Status Create(std::string_view ident);
    Status Reserve(size_t len);
    Status Append(const FlowRecord& rec, bool count);
    Status AppendStored(const FlowRecord& rec, std::span<const uint8_t> stored, bool count);
    // `side`: an exporter or sampler record, kept until its block is on disk (see side_).
    Status AppendRaw(const uint8_t* p, size_t len, bool side = false);
    size_t AppendEncoded(const EncodedFlows& flows, Status* error);
    Status Flush();
    Status Close();
    // Writes the appendix and the final header (after the last block was flushed).
    Status CloseWithAppendix();
    // Truncates the file to `offset` and moves the write position there.
    void RewindTo(uint64_t offset);
    // Allocates kAppendixReserve bytes of disk at pos_ without changing the file size. OK
    // where the file system cannot preallocate (the appendix is then written as space allows).
    Status ReserveAppendix();
    // Empties the block buffer; with `dropped`, its counted flows go to flows_dropped_ (the
    // block could not be written).
    void ClearBlock(bool dropped);
    // An unnamed read-write file in $TMPDIR (else /tmp), or -1 with errno set.
    static int OpenScratchFile();
    // Writes the first `size` bytes of `from` to stream_fd_.
    Status CopyToStream(int from, uint64_t size);

    std::string path_;
    WriterOptions options_;
    BlockCodec codec_;
    std::string ident_;
    StatRecord stat_;          // records in blocks on disk
    StatRecord pending_stat_;  // counted records in buffer_, not yet on disk
    StatRecord accepted_stat_;  // counted records of blocks written or dropped
    uint64_t flows_dropped_ = 0;
    bool closed_ = false;
    int fd_ = -1;
    // With a target that cannot seek (a pipe): that target, while fd_ is a temporary file.
    int stream_fd_ = -1;
    HeaderV2 header_;
    uint64_t pos_ = 0;
    uint32_t blocks_ = 0;

    uint32_t block_bytes_ = 0;
    std::unique_ptr<uint8_t[]> buffer_;  // block header + uncompressed records
    size_t used_ = 0;                    // record bytes in buffer_ after the header
    uint32_t records_ = 0;
    std::vector<uint8_t> compressed_;
    // The exporter and sampler records in buffer_: when the block cannot be written they
    // start the next one, as the flows of later blocks name them.
    std::vector<uint8_t> side_;
    uint32_t side_records_ = 0;
};

Status NfFileWriter::Impl::Create(std::string_view ident) {
    ident_ = std::string(ident);
    stat_.first_ms = StatRecord::kUnsetFirstMs;
    pending_stat_.first_ms = StatRecord::kUnsetFirstMs;
    accepted_stat_.first_ms = StatRecord::kUnsetFirstMs;
    block_bytes_ = std::clamp(options_.block_bytes, kMinBlockBytes, kMaxBlockBytes);
    buffer_.reset(new uint8_t[kBlockHeaderSize + block_bytes_ + kRecordSlack]);
    if (codec_.codec() != Codec::kNone) {
        compressed_.resize(kBlockHeaderSize +
                           codec_.MaxCompressedSize(block_bytes_ + kRecordSlack));
    }

    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0) return Status::IoError(path_ + ": " + std::strerror(errno));
    if (::lseek(fd_, 0, SEEK_CUR) < 0 && errno == ESPIPE) {
        // A pipe, FIFO or socket (-w /dev/stdout | ...): the header is rewritten at the end,
        // which such a target cannot do. The file is built in an unnamed temporary file and
        // copied to it whole at Close(), so that what arrives is a closed file.
        stream_fd_ = fd_;
        fd_ = OpenScratchFile();
        if (fd_ < 0) {
            return Status::IoError(path_ + ": no temporary file to build the file in: " +
                                   std::strerror(errno));
        }
    }
    header_.nfd_version = options_.nfd_version;
    header_.created = static_cast<int64_t>(std::time(nullptr));
    header_.codec = codec_.codec();
    header_.creator = options_.creator;
    // Until Close() the header says "no blocks, no appendix": an unclosed file.
    uint8_t h[kHeaderV2Size];
    EncodeHeaderV2(header_, h);
    Status s = WriteAll(fd_, h, sizeof(h), path_);
    pos_ = kHeaderV2Size;
    if (s.ok()) s = ReserveAppendix();
    return s;
}

Status NfFileWriter::Impl::ReserveAppendix() {
    const int rc = ::fallocate(fd_, FALLOC_FL_KEEP_SIZE, static_cast<off_t>(pos_),
                               static_cast<off_t>(kAppendixReserve));
    // Only a lack of space fails; a file system, pipe or device that cannot preallocate
    // (EOPNOTSUPP, ESPIPE, ENODEV ...) gets the appendix written as space allows.
    if (rc == 0 || (errno != ENOSPC && errno != EDQUOT && errno != EFBIG)) return Status::Ok();
    return Status::IoError(path_ + ": reserving room for the appendix: " + std::strerror(errno));
}

void NfFileWriter::Impl::ClearBlock(bool dropped) {
    if (dropped) {
        flows_dropped_ += pending_stat_.num_flows;
    } else {
        side_.clear();
        side_records_ = 0;
    }
    accepted_stat_.Merge(pending_stat_);
    pending_stat_ = StatRecord();
    pending_stat_.first_ms = StatRecord::kUnsetFirstMs;
    used_ = 0;
    records_ = 0;
}

Status NfFileWriter::Impl::Reserve(size_t len) {
    if (closed_) return Status::InvalidArgument(path_ + ": writer already closed");
    assert(len <= kRecordSlack);
    if (used_ > 0 && used_ + len > block_bytes_) return Flush();
    return Status::Ok();
}

Status NfFileWriter::Impl::Append(const FlowRecord& rec, bool count) {
    if (closed_) return Status::InvalidArgument(path_ + ": writer already closed");
    // Encoded once, behind the block's records (the buffer keeps kRecordSlack bytes past
    // block_bytes_); a record that does not fit is moved to the next block after the flush,
    // so blocks end where sizing the record first would have ended them.
    uint8_t* at = buffer_.get() + kBlockHeaderSize + used_;
    const size_t size = EncodeV3(rec, at);
    assert(size <= kRecordSlack);
    if (used_ > 0 && used_ + size > block_bytes_) {
        Status s = Flush();
        if (!s.ok()) return s;
        std::memmove(buffer_.get() + kBlockHeaderSize + used_, at, size);
    }
    used_ += size;
    ++records_;
    if (count) AccumulateStat(rec, &pending_stat_, options_.stat_rule);
    return Status::Ok();
}

Status NfFileWriter::Impl::AppendStored(const FlowRecord& rec, std::span<const uint8_t> stored,
                                        bool count) {
    if (stored.size() < kV3HeaderSize || stored.size() > kRecordSlack ||
        Load16(stored.data()) != kRecV3 || Load16(stored.data() + 2) != stored.size()) {
        return Status::InvalidArgument(path_ + ": not a V3 record");
    }
    Status s = AppendRaw(stored.data(), stored.size());
    if (s.ok() && count) AccumulateStat(rec, &pending_stat_, options_.stat_rule);
    return s;
}

Status NfFileWriter::Impl::AppendRaw(const uint8_t* p, size_t len, bool side) {
    Status s = Reserve(len);
    // An exporter or sampler record still goes into the block after the failed one (there
    // is room: the block was emptied), where it waits to be written with what follows.
    if (!s.ok() && (!side || closed_)) return s;
    std::memcpy(buffer_.get() + kBlockHeaderSize + used_, p, len);
    used_ += len;
    ++records_;
    if (side) {
        side_.insert(side_.end(), p, p + len);
        ++side_records_;
    }
    return s;
}

size_t NfFileWriter::Impl::AppendEncoded(const EncodedFlows& flows, Status* error) {
    if (closed_ && !flows.empty()) {
        *error = Status::InvalidArgument(path_ + ": writer already closed");
        return flows.size();
    }
    // AppendRaw() per record, with the block test inline: this runs for every flow. The
    // records that go into one block are copied with one memcpy when the block is flushed or
    // the batch ends (a call per record cost about 30 instructions per flow).
    size_t failed = 0;
    const uint8_t* p = flows.data();
    const uint8_t* run = p;  // first record not yet copied into buffer_
    size_t run_at = used_;   // where it goes in buffer_
    for (const FlowCounts& counts : flows.counts()) {
        const size_t size = Load16(p + 2);
        if (used_ > 0 && used_ + size > block_bytes_) {
            std::memcpy(buffer_.get() + kBlockHeaderSize + run_at, run, used_ - run_at);
            Status s = Flush();
            if (!s.ok()) {
                if (failed++ == 0) *error = std::move(s);
                p += size;
                run = p;
                run_at = used_;
                continue;
            }
            run = p;
            run_at = used_;
        }
        p += size;
        used_ += size;
        ++records_;
        AccumulateFlow(counts, &pending_stat_, options_.stat_rule);
    }
    if (used_ > run_at) {
        std::memcpy(buffer_.get() + kBlockHeaderSize + run_at, run, used_ - run_at);
    }
    return failed;
}

Status NfFileWriter::Impl::Flush() {
    if (records_ == 0) return Status::Ok();
    uint8_t* out = buffer_.get();
    size_t stored = used_;
    if (codec_.codec() != Codec::kNone) {
        Result<size_t> n = codec_.Compress(buffer_.get() + kBlockHeaderSize, used_,
                                           compressed_.data() + kBlockHeaderSize,
                                           compressed_.size() - kBlockHeaderSize);
        if (!n.ok()) return Status::Malformed(path_ + ": " + n.status().message());
        out = compressed_.data();
        stored = *n;
    }
    Store32(out, records_);
    Store32(out + 4, static_cast<uint32_t>(stored));
    Store16(out + 8, kBlockV3);
    Store16(out + 10, 0);
    Status s = WriteAll(fd_, out, kBlockHeaderSize + stored, path_);
    const uint64_t end = pos_ + kBlockHeaderSize + stored;
    if (s.ok()) {
        // The block counts as stored only with room for the appendix behind it.
        const uint64_t block_start = pos_;
        pos_ = end;
        s = ReserveAppendix();
        pos_ = block_start;
    }
    if (!s.ok()) {
        // A full disk or a failing device: cut the block off so the file stays a sequence of
        // complete blocks that its stat record describes, and count its flows as dropped.
        // Its exporter and sampler records start the next block.
        RewindTo(pos_);
        (void)ReserveAppendix();
        ClearBlock(true);
        // (No exporter or sampler records: side_.data() may be null, which memcpy may not get
        // even for 0 bytes.)
        if (!side_.empty()) {
            std::memcpy(buffer_.get() + kBlockHeaderSize, side_.data(), side_.size());
        }
        used_ = side_.size();
        records_ = side_records_;
        return s;
    }
    pos_ = end;
    ++blocks_;
    stat_.Merge(pending_stat_);
    ClearBlock(false);
    return Status::Ok();
}

Status NfFileWriter::Impl::Close() {
    if (closed_) return Status::Ok();
    // When the last block cannot be written, the blocks already on disk are still closed
    // properly below if the appendix fits; the error is returned either way.
    Status flushed = Flush();
    closed_ = true;
    if (fd_ < 0) return flushed;
    Status s = CloseWithAppendix();
    return flushed.ok() ? s : flushed;
}

void NfFileWriter::Impl::RewindTo(uint64_t offset) {
    if (::ftruncate(fd_, static_cast<off_t>(offset)) != 0) {
        // Nothing more can be done; the reader stops at the incomplete block.
    }
    ::lseek(fd_, static_cast<off_t>(offset), SEEK_SET);
}

Status NfFileWriter::Impl::CloseWithAppendix() {
    Status s;
    StatRecord stat = stat_;
    FinishStat(&stat);
    Result<std::vector<uint8_t>> appendix = BuildAppendix(codec_, ident_, stat);
    if (!appendix.ok()) return Status::Malformed(path_ + ": " + appendix.status().message());
    assert(appendix->size() <= kAppendixReserve);
    s = WriteAll(fd_, appendix->data(), appendix->size(), path_);
    if (!s.ok()) {
        // Only where the file system could not preallocate the reserve: leave an unclosed
        // file of complete blocks, which flowdump reads to its end; stat() still tells the
        // caller what those blocks hold.
        RewindTo(pos_);
        ::close(fd_);
        fd_ = -1;
        return s;
    }

    header_.appendix_blocks = 1;
    header_.appendix_offset = pos_;
    header_.num_blocks = blocks_;
    pos_ += appendix->size();
    // Give back what is left of the reserve behind the end of the file.
    (void)::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(pos_),
                      static_cast<off_t>(kAppendixReserve));
    uint8_t h[kHeaderV2Size];
    EncodeHeaderV2(header_, h);
    s = PwriteAll(fd_, h, sizeof(h), 0, path_);
    if (!s.ok()) {
        ::close(fd_);
        fd_ = -1;
        return s;
    }
    const int fd = fd_;
    fd_ = -1;
    if (stream_fd_ >= 0) {
        s = CopyToStream(fd, pos_);
        ::close(fd);
        const int stream = stream_fd_;
        stream_fd_ = -1;
        if (::close(stream) != 0 && s.ok()) {
            s = Status::IoError(path_ + ": close: " + std::strerror(errno));
        }
        return s;
    }
    if (::close(fd) != 0) return Status::IoError(path_ + ": close: " + std::strerror(errno));
    return Status::Ok();
}

int NfFileWriter::Impl::OpenScratchFile() {
    const char* dir = std::getenv("TMPDIR");
    std::string where = dir != nullptr && *dir != '\0' ? dir : "/tmp";
    int fd = ::open(where.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)) return fd;
    // File systems without O_TMPFILE: a named file, removed at once.
    std::string name = where + "/flowkit-write.XXXXXX";
    fd = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(name.c_str());
    return fd;
}

Status NfFileWriter::Impl::CopyToStream(int from, uint64_t size) {
    std::vector<uint8_t> buf(size_t{1} << 20);
    for (uint64_t at = 0; at < size;) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), size - at));
        const ssize_t got = ::pread(from, buf.data(), want, static_cast<off_t>(at));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            return Status::IoError(path_ + ": reading the temporary file back: " +
                                   (got < 0 ? std::strerror(errno) : "it ended early"));
        }
        Status s = WriteAll(stream_fd_, buf.data(), static_cast<size_t>(got), path_);
        if (!s.ok()) return s;
        at += static_cast<uint64_t>(got);
    }
    return Status::Ok();
}

Result<std::unique_ptr<NfFileWriter>> NfFileWriter::Create(const std::string& path, Codec codec,
                                                           std::string_view ident,
                                                           const WriterOptions& options) {
    Status s = CheckIdent(ident);
    if (!s.ok()) return s;
    if (!CodecAvailable(codec)) {
        return Status::Unsupported(std::string("codec ") + CodecName(codec) + " not available");
    }
    auto impl = std::make_unique<Impl>(path, codec, options);
    s = impl->Create(ident);
    if (!s.ok()) return s;
    return std::unique_ptr<NfFileWriter>(new NfFileWriter(std::move(impl)));
}

NfFileWriter::NfFileWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

NfFileWriter::~NfFileWriter() {
    if (impl_ && !impl_->closed_) (void)impl_->Close();
}

Status NfFileWriter::Append(const FlowRecord& rec, bool count_in_stat) {
    return impl_->Append(rec, count_in_stat);
}

Status NfFileWriter::AppendStored(const FlowRecord& rec, std::span<const uint8_t> stored,
                                  bool count_in_stat) {
    return impl_->AppendStored(rec, stored, count_in_stat);
}

size_t NfFileWriter::AppendEncoded(const EncodedFlows& flows, Status* error) {
    return impl_->AppendEncoded(flows, error);
}

Status NfFileWriter::AddExporter(const ExporterInfo& exporter) {
    uint8_t rec[kExporterRecordSize];
    EncodeExporter(exporter, rec);
    return impl_->AppendRaw(rec, sizeof(rec), true);
}

Status NfFileWriter::AddSampler(const SamplerInfo& sampler) {
    uint8_t rec[kSamplerRecordSize];
    EncodeSampler(sampler, rec);
    return impl_->AppendRaw(rec, sizeof(rec), true);
}

Status NfFileWriter::AddExporterStats(std::span<const ExporterStats> stats) {
    if (stats.size() > kMaxStatsPerRecord) {
        return Status::InvalidArgument(impl_->path_ + ": more than " +
                                       std::to_string(kMaxStatsPerRecord) +
                                       " exporter stats in one record");
    }
    std::vector<uint8_t> rec(8 + kExporterStatEntrySize * stats.size(), 0);
    Store16(rec.data(), kRecExporterStats);
    Store16(rec.data() + 2, static_cast<uint16_t>(rec.size()));
    Store32(rec.data() + 4, static_cast<uint32_t>(stats.size()));
    for (size_t i = 0; i < stats.size(); ++i) {
        uint8_t* e = rec.data() + 8 + kExporterStatEntrySize * i;
        Store32(e, stats[i].sysid);
        Store32(e + 4, stats[i].sequence_failures);
        Store64(e + 8, stats[i].packets);
        Store64(e + 16, stats[i].flows);
    }
    return impl_->AppendRaw(rec.data(), rec.size());
}

void NfFileWriter::SetSequenceFailures(uint64_t failures) {
    impl_->stat_.sequence_failures = failures;
}

void NfFileWriter::SetStat(const StatRecord& stat) { impl_->stat_ = stat; }
const StatRecord& NfFileWriter::stat() const { return impl_->stat_; }
uint64_t NfFileWriter::flows_dropped() const { return impl_->flows_dropped_; }

StatRecord NfFileWriter::accepted_stat() const {
    StatRecord all = impl_->accepted_stat_;
    all.Merge(impl_->pending_stat_);
    FinishStat(&all);
    return all;
}

Status NfFileWriter::SetIdent(std::string_view ident) {
    Status s = CheckIdent(ident);
    if (s.ok()) impl_->ident_ = std::string(ident);
    return s;
}

Status NfFileWriter::Flush() {
    if (impl_->closed_) return Status::InvalidArgument(impl_->path_ + ": writer already closed");
    return impl_->Flush();
}

Status NfFileWriter::Close() { return impl_->Close(); }
uint32_t NfFileWriter::blocks_written() const { return impl_->blocks_; }
uint64_t NfFileWriter::bytes_written() const { return impl_->pos_; }

namespace {

Status ChangeIdentV1(const std::string& path, std::string_view ident) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Status::IoError(path + ": " + std::strerror(errno));
    uint8_t field[kIdentV1Size] = {};
    std::memcpy(field, ident.data(), ident.size());
    Status s = PwriteAll(fd, field, sizeof(field), 12, path);
    if (::close(fd) != 0 && s.ok()) {
        s = Status::IoError(path + ": close: " + std::strerror(errno));
    }
    return s;
}

// Reads exactly `n` bytes at `offset`; Truncated if the file ends first.
Status PreadAll(int fd, uint8_t* p, size_t n, uint64_t offset, const std::string& path) {
    while (n > 0) {
        ssize_t r = ::pread(fd, p, n, static_cast<off_t>(offset));
        if (r < 0) {
            if (errno == EINTR) continue;
            return Status::IoError(path + ": read: " + std::strerror(errno));
        }
        if (r == 0) return Status::Truncated(path + ": file shrank while rewriting it");
        p += r;
        n -= static_cast<size_t>(r);
        offset += static_cast<uint64_t>(r);
    }
    return Status::Ok();
}

// Copies `len` bytes from the start of `in_fd` to `out_fd`.
Status CopyPrefix(int in_fd, int out_fd, uint64_t len, const std::string& path) {
    std::vector<uint8_t> buf(1u << 20);
    for (uint64_t off = 0; off < len;) {
        const size_t want = static_cast<size_t>(std::min<uint64_t>(buf.size(), len - off));
        Status s = PreadAll(in_fd, buf.data(), want, off, path);
        if (s.ok()) s = WriteAll(out_fd, buf.data(), want, path);
        if (!s.ok()) return s;
        off += want;
    }
    return Status::Ok();
}

// What rewriting a whole file needs, from reading every block of it first: a damaged file
// is reported before anything is written. An unclosed file gets its block count and stat
// record from what the blocks hold.
struct ScannedFile {
    FileInfo info;
    StatRecord stat;
    uint32_t blocks = 0;    // data blocks
    uint64_t data_end = 0;  // where the data blocks end (the appendix starts)
};

Result<ScannedFile> ScanWholeFile(const std::string& path) {
    auto reader = NfFileReader::Open(path);
    if (!reader.ok()) return reader.status();
    ScannedFile out;
    out.info = (*reader)->info();
    StatRecord computed;
    computed.first_ms = StatRecord::kUnsetFirstMs;
    FlowRecord rec;
    for (;;) {
        Result<bool> more = (*reader)->NextBlock();
        if (!more.ok()) return more.status();
        if (!*more) break;
        out.blocks = (*reader)->block_number();
        while ((*reader)->NextRecord(&rec)) AccumulateStat(rec, &computed);
    }
    const FileInfo& info = out.info;
    out.data_end = info.closed && info.appendix_offset != 0 ? info.appendix_offset
                                                            : info.file_size;
    FinishStat(&computed);
    out.stat = info.has_stat ? info.stat : computed;
    if (info.closed && info.num_blocks != 0) out.blocks = info.num_blocks;
    return out;
}

// Replaces `path` by a file that `fill(in_fd, out_fd, tmp_name)` writes: a temporary file in
// the same directory with the same permissions, synced and renamed over `path`. On any
// failure the temporary file is removed and `path` is left as it was.
template <typename Fill>
Status ReplaceFile(const std::string& path, const char* tag, Fill&& fill) {
    int in_fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (in_fd < 0) return Status::IoError(path + ": " + std::strerror(errno));
    struct stat st;
    if (::fstat(in_fd, &st) != 0) {
        Status s = Status::IoError(path + ": " + std::strerror(errno));
        ::close(in_fd);
        return s;
    }
    std::string tmp = path + "." + tag + "-XXXXXX";
    int out_fd = ::mkstemp(tmp.data());
    if (out_fd < 0) {
        Status s = Status::IoError(tmp + ": " + std::strerror(errno));
        ::close(in_fd);
        return s;
    }
    (void)::fchmod(out_fd, st.st_mode & 07777);
    Status s = fill(in_fd, out_fd, tmp);
    ::close(in_fd);
    if (s.ok() && ::fsync(out_fd) != 0) s = Status::IoError(tmp + ": " + std::strerror(errno));
    if (::close(out_fd) != 0 && s.ok()) s = Status::IoError(tmp + ": " + std::strerror(errno));
    if (s.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
        s = Status::IoError(path + ": rename: " + std::strerror(errno));
    }
    if (!s.ok()) ::unlink(tmp.c_str());
    return s;
}

Status WriteHeaderV2(int fd, const FileInfo& info, Codec codec, uint64_t appendix_offset,
                     uint32_t blocks, const std::string& tmp) {
    HeaderV2 h;
    h.nfd_version = info.nfd_version;
    h.created = info.created;
    h.codec = codec;
    h.appendix_blocks = 1;
    h.creator = info.creator;
    h.appendix_offset = appendix_offset;
    h.num_blocks = blocks;
    uint8_t bytes[kHeaderV2Size];
    EncodeHeaderV2(h, bytes);
    return PwriteAll(fd, bytes, sizeof(bytes), 0, tmp);
}


// Copies the blocks between `begin` and `end` of `in_fd` to `out_fd`, each payload
// decompressed with `from` and compressed with `to`; block headers keep their record count,
// type and flags. Returns the number of blocks.
Result<uint32_t> RecompressBlocks(int in_fd, int out_fd, uint64_t begin, uint64_t end,
                                  BlockCodec& from, BlockCodec& to, const std::string& path,
                                  const std::string& tmp) {
    std::vector<uint8_t> stored(kMaxBlockPayload);
    std::vector<uint8_t> raw(kMaxBlockPayload);
    std::vector<uint8_t> packed(kBlockHeaderSize + to.MaxCompressedSize(kMaxBlockPayload));
    uint32_t blocks = 0;
    for (uint64_t off = begin; off < end;) {
        uint8_t header[kBlockHeaderSize];
        if (end - off < kBlockHeaderSize) {
            return Status::Truncated(path + ": block " + std::to_string(blocks + 1) +
                                     ": header cut short");
        }
        Status s = PreadAll(in_fd, header, sizeof(header), off, path);
        if (!s.ok()) return s;
        const uint32_t size = Load32(header + 4);
        if (size == 0 || size > kMaxBlockPayload || size > end - off - kBlockHeaderSize) {
            return Status::Malformed(path + ": block " + std::to_string(blocks + 1) +
                                     ": impossible size " + std::to_string(size));
        }
        s = PreadAll(in_fd, stored.data(), size, off + kBlockHeaderSize, path);
        if (!s.ok()) return s;
        Result<size_t> n = from.Decompress(stored.data(), size, raw.data(), raw.size());
        if (!n.ok()) return n.status();
        Result<size_t> m = to.Compress(raw.data(), *n, packed.data() + kBlockHeaderSize,
                                       packed.size() - kBlockHeaderSize);
        if (!m.ok()) return m.status();
        if (*m > kMaxBlockPayload) {
            return Status::Unsupported(path + ": block " + std::to_string(blocks + 1) +
                                       " would grow past the 5 MiB nfdump reads");
        }
        std::memcpy(packed.data(), header, sizeof(header));
        Store32(packed.data() + 4, static_cast<uint32_t>(*m));
        s = WriteAll(out_fd, packed.data(), kBlockHeaderSize + *m, tmp);
        if (!s.ok()) return s;
        off += kBlockHeaderSize + size;
        ++blocks;
    }
    return blocks;
}

uint32_t V1CodecFlag(Codec codec) {
    switch (codec) {
        case Codec::kLzo:
            return kFlagV1Lzo;
        case Codec::kBz2:
            return kFlagV1Bz2;
        case Codec::kLz4:
            return kFlagV1Lz4;
        default:
            return 0;
    }
}

}  // namespace

Status ChangeIdent(const std::string& path, std::string_view new_ident) {
    Status s = CheckIdent(new_ident);
    if (!s.ok()) return s;
    Result<ScannedFile> scan = ScanWholeFile(path);
    if (!scan.ok()) return scan.status();
    const FileInfo& info = scan->info;
    if (info.layout == 1) return ChangeIdentV1(path, new_ident);

    return ReplaceFile(path, "ident", [&](int in_fd, int out_fd, const std::string& tmp) {
        Status st = CopyPrefix(in_fd, out_fd, scan->data_end, path);
        if (!st.ok()) return st;
        BlockCodec codec(info.codec);
        Result<std::vector<uint8_t>> appendix = BuildAppendix(codec, new_ident, scan->stat);
        if (!appendix.ok()) return appendix.status();
        st = WriteAll(out_fd, appendix->data(), appendix->size(), tmp);
        if (!st.ok()) return st;
        return WriteHeaderV2(out_fd, info, info.codec, scan->data_end, scan->blocks, tmp);
    });
}

Status ChangeCodec(const std::string& path, Codec codec, int level) {
    if (!CodecAvailable(codec)) {
        return Status::Unsupported(std::string("compression ") + CodecName(codec) +
                                   " is not available in this build");
    }
    Result<ScannedFile> scan = ScanWholeFile(path);
    if (!scan.ok()) return scan.status();
    const FileInfo& info = scan->info;
    if (info.layout == 1 && codec == Codec::kZstd) {
        return Status::Unsupported(path + ": a layout 1 (nfdump 1.6) file cannot hold ZSTD "
                                   "blocks; choose none, lzo, bz2 or lz4");
    }
    BlockCodec from(info.codec);
    BlockCodec to(codec, level);
    return ReplaceFile(path, "codec", [&](int in_fd, int out_fd, const std::string& tmp) {
        if (info.layout == 1) {
            // The header and stat record stay; only the codec bit changes, and the block
            // count becomes the real one (an unclosed file said 0).
            uint8_t head[kHeaderV1Size + kStatV1Size];
            Status st = PreadAll(in_fd, head, sizeof(head), 0, path);
            if (!st.ok()) return st;
            st = WriteAll(out_fd, head, sizeof(head), tmp);
            if (!st.ok()) return st;
            Result<uint32_t> blocks = RecompressBlocks(in_fd, out_fd, sizeof(head),
                                                       info.file_size, from, to, path, tmp);
            if (!blocks.ok()) return blocks.status();
            const uint32_t flags =
                (Load32(head + 4) & ~(kFlagV1Lzo | kFlagV1Bz2 | kFlagV1Lz4)) | V1CodecFlag(codec);
            Store32(head + 4, flags);
            Store32(head + 8, *blocks);
            return PwriteAll(out_fd, head, kHeaderV1Size, 0, tmp);
        }
        uint8_t head[kHeaderV2Size] = {};
        Status st = WriteAll(out_fd, head, sizeof(head), tmp);  // written last, below
        if (!st.ok()) return st;
        Result<uint32_t> blocks = RecompressBlocks(in_fd, out_fd, kHeaderV2Size, scan->data_end,
                                                   from, to, path, tmp);
        if (!blocks.ok()) return blocks.status();
        const off_t appendix_offset = ::lseek(out_fd, 0, SEEK_CUR);
        if (appendix_offset < 0) return Status::IoError(tmp + ": " + std::strerror(errno));
        Result<std::vector<uint8_t>> appendix = BuildAppendix(to, info.ident, scan->stat);
        if (!appendix.ok()) return appendix.status();
        st = WriteAll(out_fd, appendix->data(), appendix->size(), tmp);
        if (!st.ok()) return st;
        return WriteHeaderV2(out_fd, info, codec, static_cast<uint64_t>(appendix_offset),
                             *blocks, tmp);
    });
}

}  // namespace flow
