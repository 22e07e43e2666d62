// SPDX-License-Identifier: BSD-2-Clause
// Block reading and prefetching. Block framing: spec nffile-format.md §1.3, §2.2, §2.3.
#include "nffile/block_source.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "nffile/layout.h"

namespace flow::nffile {

namespace {

// Reads exactly `n` bytes at `offset` unless the file ends; returns the bytes read.
Result<size_t> ReadAt(int fd, uint8_t* buf, size_t n, uint64_t offset) {
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

// Faults in the pages of a mapped block on the prefetch thread, so that the consumer finds
// them mapped. One read per page; the kernel maps neighbouring pages of the page cache too.
void TouchPages(const Block& block) {
    constexpr size_t kPage = 4096;
    const uint8_t* p = block.payload;
    uint8_t sum = 0;
    for (size_t i = 0; i < block.size; i += kPage) {
        sum ^= *static_cast<const volatile uint8_t*>(p + i);
    }
    if (block.size != 0) sum ^= *static_cast<const volatile uint8_t*>(p + block.size - 1);
    (void)sum;
}

}  // namespace

Block::Block() : data(new uint8_t[kMaxBlockPayload]) {}

BlockSource::BlockSource(int fd, BlockRange range)
    : fd_(fd), range_(std::move(range)), pos_(range_.start), codec_(range_.codec) {
    if (range_.codec != Codec::kNone) stored_.reset(new uint8_t[kMaxBlockPayload]);
    if (range_.may_map && range_.limit > range_.start) {
        // Uncompressed blocks are decoded where they lie, compressed ones decompressed from
        // where they lie: mapping the file saves copying every byte out of the page cache,
        // a third of the CPU time of a plain read of uncompressed blocks and about a tenth
        // of reading LZ4 blocks.
        // NOTE: a mapped file that another process shortens while it is read ends the
        // reader with SIGBUS; may_map is set only for closed files for that reason.
        void* m = ::mmap(nullptr, range_.limit, PROT_READ, MAP_PRIVATE, fd_, 0);
        if (m != MAP_FAILED) {
            map_ = static_cast<const uint8_t*>(m);
            map_size_ = range_.limit;
            (void)::madvise(m, map_size_, MADV_SEQUENTIAL);
        }
    }
}

BlockSource::~BlockSource() {
    if (map_ != nullptr) ::munmap(const_cast<uint8_t*>(map_), map_size_);
    if (fd_ >= 0) ::close(fd_);
}

void BlockSource::Populate(const uint8_t* p, size_t n) {
#ifdef MADV_POPULATE_READ
    // One call maps the block's pages, where touching them takes a fault per few pages.
    // Kernels before 5.14 refuse it; the pages then fault in when they are read.
    if (!populate_ || n == 0) return;
    constexpr uintptr_t kPage = 4096;
    const uintptr_t start = reinterpret_cast<uintptr_t>(p) & ~(kPage - 1);
    const uintptr_t end = reinterpret_cast<uintptr_t>(p) + n;
    if (::madvise(reinterpret_cast<void*>(start), end - start, MADV_POPULATE_READ) != 0) {
        populate_ = false;
    }
#else
    (void)p;
    (void)n;
    populate_ = false;
#endif
}

void BlockSource::ReleaseBefore(uint64_t end) {
    // The page holding `end` may hold the start of a block still in use: it goes with the
    // next call. Every page of the mapping is released once, at least kReleaseBytes at a
    // time: in a process of two threads every release interrupts the other core to flush
    // its TLB, and releasing each block's pages alone cost a tenth of reading uncompressed
    // files.
    constexpr uint64_t kPage = 4096;
    constexpr uint64_t kReleaseBytes = uint64_t{4} << 20;
    end &= ~(kPage - 1);
    if (end < released_ + kReleaseBytes) return;
    (void)::madvise(const_cast<uint8_t*>(map_) + released_, end - released_, MADV_DONTNEED);
    released_ = end;
}

Result<size_t> BlockSource::Fetch(uint8_t* buf, size_t n, uint64_t offset, const uint8_t** out) {
    if (map_ != nullptr) {
        // Callers check offset + n against range_.limit, the size of the mapping.
        *out = map_ + offset;
        return n;
    }
    *out = buf;
    return ReadAt(fd_, buf, n, offset);
}

Status BlockSource::Fail(Status status) {
    done_ = true;
    const std::string where = range_.path + ": block " + std::to_string(count_ + 1) +
                              " at offset " + std::to_string(pos_) + ": ";
    switch (status.code()) {
        case StatusCode::kTruncated:
            return Status::Truncated(where + status.message());
        case StatusCode::kIoError:
            return Status::IoError(where + status.message());
        case StatusCode::kUnsupported:
            return Status::Unsupported(where + status.message());
        default:
            return Status::Malformed(where + status.message());
    }
}

Result<bool> BlockSource::Next(Block* block) {
    // The block this one replaces is done with, and so are the blocks before it (blocks
    // are handed out and used in file order): their pages leave the process (they stay in
    // the page cache), so a mapped file does not count its whole size as our memory.
    if (map_ != nullptr && block->payload >= map_ && block->payload < map_ + map_size_) {
        ReleaseBefore(static_cast<uint64_t>(block->payload - map_) + block->size);
        block->payload = nullptr;
    }
    for (;;) {
        if (done_) return false;
        if (range_.max_blocks != 0 && count_ == range_.max_blocks) {
            done_ = true;
            return false;
        }
        if (pos_ == range_.limit) {
            if (count_ < range_.min_blocks) {
                return Fail(
                    Status::Truncated("header announces " + std::to_string(range_.min_blocks) +
                                      " data blocks, only " + std::to_string(count_) + " present"));
            }
            done_ = true;
            return false;
        }
        if (range_.limit - pos_ < kBlockHeaderSize) {
            return Fail(Status::Truncated("block header cut short (" +
                                          std::to_string(range_.limit - pos_) + " bytes left)"));
        }

        uint8_t header_buf[kBlockHeaderSize];
        const uint8_t* header = header_buf;
        // A reader that shares the file with another (claims) reads the header with pread:
        // most blocks it steps over, and reading their headers through the mapping would
        // map pages around each (fault-around) that stay until the reader next takes a
        // block, tens of MB when the other reader has run ahead.
        Result<size_t> got = map_ != nullptr && range_.claims != nullptr
                                 ? ReadAt(fd_, header_buf, sizeof(header_buf), pos_)
                                 : Fetch(header_buf, sizeof(header_buf), pos_, &header);
        if (!got.ok()) return Fail(got.status());
        if (*got < sizeof(header_buf)) {
            return Fail(Status::Truncated("file ends inside the block header"));
        }
        uint32_t num_records = Load32(header);
        const uint32_t stored = Load32(header + 4);
        const uint16_t type = Load16(header + 8);
        if (stored == 0 || stored > kMaxBlockPayload) {
            return Fail(Status::Malformed("impossible block size " + std::to_string(stored)));
        }
        if (stored > range_.limit - pos_ - kBlockHeaderSize) {
            return Fail(Status::Truncated(
                "block payload of " + std::to_string(stored) + " bytes exceeds the " +
                std::to_string(range_.limit - pos_ - kBlockHeaderSize) + " bytes left"));
        }
        const uint64_t payload_at = pos_ + kBlockHeaderSize;

        const bool decodable = type == kBlockV1 || (type == kBlockV3 && range_.layout == 2);
        // Types 1-4 are the ones nfdump ever wrote; any other type is a damaged header. Its
        // length still frames it, so it is handed on as a damaged block (reported, no
        // records) and the blocks after it are read.
        const bool unknown = type < 1 || type > 4;
        if (!decodable && !unknown) {
            // nfdump 1.5 blocks (type 1), histograms (1.6 type 3 in layout 1) and arrays
            // (type 4): skipped without decompressing, as nfdump skips them.
            skipped_.fetch_add(1, std::memory_order_relaxed);
            ++count_;
            pos_ = payload_at + stored;
            continue;
        }
        if (num_records == 0 && !unknown) {
            return Fail(Status::Malformed("block holds 0 records"));
        }
        bool other = false;  // another reader of the same file takes this block
        if (range_.claims != nullptr) {
            // Claims only grow, and this reader's next one exceeds its last, so the block
            // claimed is this one or one further on.
            if (claimed_ == kUnclaimed) {
                claimed_ = range_.claims->fetch_add(1, std::memory_order_relaxed);
            }
            other = decodable_++ != claimed_;
            if (!other) claimed_ = kUnclaimed;
        }
        if (other) {
            ++count_;
            pos_ = payload_at + stored;
            continue;
        }

        if (unknown) {
            ++count_;
            block->number = count_;
            block->num_records = 0;
            block->type = type;
            block->offset = pos_;
            block->size = 0;
            block->stored_size = stored;
            block->payload = block->data.get();
            block->damage = Status::Malformed(range_.path + ": block " + std::to_string(count_) +
                                              " at offset " + std::to_string(pos_) +
                                              ": unknown block type " + std::to_string(type) +
                                              ", its " + std::to_string(stored) + " bytes skipped");
            pos_ = payload_at + stored;
            return true;
        }
        uint8_t* in = range_.codec == Codec::kNone ? block->data.get() : stored_.get();
        const uint8_t* payload = nullptr;
        got = Fetch(in, stored, payload_at, &payload);
        if (!got.ok()) return Fail(got.status());
        if (*got < stored) return Fail(Status::Truncated("file ends inside the block payload"));

        size_t size = stored;
        block->damage = Status::Ok();
        if (range_.codec != Codec::kNone) {
            if (map_ != nullptr) Populate(payload, stored);
            Result<size_t> n =
                codec_.Decompress(payload, stored, block->data.get(), kMaxBlockPayload);
            // The stored bytes are done with once decompressed.
            if (map_ != nullptr) ReleaseBefore(payload_at + stored);
            if (n.ok()) {
                size = *n;
            } else {
                // Damaged bytes inside one block: the framing around it is intact, so the
                // block is handed on empty with its error and reading goes on after it.
                block->damage = Status::Malformed(range_.path + ": block " +
                                                  std::to_string(count_ + 1) + " at offset " +
                                                  std::to_string(pos_) + ": " +
                                                  n.status().message());
                num_records = 0;
                size = 0;
            }
            payload = block->data.get();
        }

        ++count_;
        block->number = count_;
        block->num_records = num_records;
        block->type = type;
        block->offset = pos_;
        block->size = size;
        block->stored_size = stored;
        block->payload = payload;
        if (map_ != nullptr && range_.codec == Codec::kNone) Populate(payload, size);
        pos_ = payload_at + stored;
        return true;
    }
}

SyncBlockStream::SyncBlockStream(std::unique_ptr<BlockSource> source)
    : source_(std::move(source)) {}

Result<const Block*> SyncBlockStream::Next() {
    if (done_) return static_cast<const Block*>(nullptr);
    Result<bool> r = source_->Next(&block_);
    if (!r.ok()) {
        done_ = true;
        return r.status();
    }
    if (!*r) {
        done_ = true;
        return static_cast<const Block*>(nullptr);
    }
    return static_cast<const Block*>(&block_);
}

BlockPrefetcher::BlockPrefetcher(std::unique_ptr<BlockSource> source, int depth)
    : source_(std::move(source)), slots_(static_cast<size_t>(depth < 2 ? 2 : depth)) {}

BlockPrefetcher::~BlockPrefetcher() {
    {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void BlockPrefetcher::Run() {
    const size_t depth = slots_.size();
    for (;;) {
        size_t index;
        {
            std::unique_lock<std::mutex> lock(mu_);
            cv_.wait(lock, [&] { return stop_ || filled_ < depth; });
            if (stop_) return;
            index = (head_ + filled_) % depth;
        }
        // The slot is ours alone until it is published below.
        Slot& slot = slots_[index];
        Result<bool> r = source_->Next(&slot.block);
        if (r.ok() && *r && source_->mapped() && !source_->populates()) TouchPages(slot.block);
        slot.status = r.ok() ? Status::Ok() : r.status();
        slot.end = r.ok() && !*r;
        const bool terminal = !r.ok() || !*r;
        {
            std::lock_guard<std::mutex> lock(mu_);
            ++filled_;
        }
        cv_.notify_all();
        if (terminal) return;
    }
}

Result<const Block*> BlockPrefetcher::Next() {
    if (finished_) return static_cast<const Block*>(nullptr);
    if (!thread_.joinable()) thread_ = std::thread([this] { Run(); });

    const size_t depth = slots_.size();
    Slot* slot;
    {
        std::unique_lock<std::mutex> lock(mu_);
        if (holding_) {
            head_ = (head_ + 1) % depth;
            --filled_;
            holding_ = false;
            cv_.notify_all();
        }
        cv_.wait(lock, [&] { return filled_ > 0; });
        slot = &slots_[head_];
        holding_ = true;
    }
    if (!slot->status.ok()) {
        finished_ = true;
        return slot->status;
    }
    if (slot->end) {
        finished_ = true;
        return static_cast<const Block*>(nullptr);
    }
    return static_cast<const Block*>(&slot->block);
}

}  // namespace flow::nffile
