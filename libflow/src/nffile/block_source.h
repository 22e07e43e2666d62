// SPDX-License-Identifier: BSD-2-Clause
// Reading the data blocks of an nfdump file: BlockSource reads one block header and payload
// at a time and decompresses it; BlockPrefetcher runs a BlockSource on a background thread
// into a small ring of reused buffers so that the consumer decodes block n while block n+1
// is read and decompressed. Record decoding is not done here.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "flow/nffile.h"
#include "flow/status.h"
#include "nffile/codec.h"

namespace flow::nffile {

// One decompressed data block. `payload` points at its `size` bytes: into `data` (room for
// kMaxBlockPayload bytes, reused) or, for an uncompressed file the source maps, into the
// mapping (valid while the source lives). Compressed blocks of a mapped file are
// decompressed from the mapping into `data`.
struct Block {
    Block();

    uint32_t number = 0;       // 1-based position among the file's data blocks
    uint32_t num_records = 0;  // from the block header
    uint16_t type = 0;         // kBlockV1 or kBlockV3; other types are skipped by the source
    uint64_t offset = 0;       // file offset of the block header
    size_t size = 0;           // decompressed payload bytes in `data`
    size_t stored_size = 0;    // payload bytes as stored in the file (compressed)
    const uint8_t* payload = nullptr;
    // Not OK for a block whose payload could not be decompressed or whose type is unknown
    // (not 1-4): it holds no records, and the blocks after it are still read (its header
    // gave its length).
    Status damage;
    std::unique_ptr<uint8_t[]> data;
};

// Where the data blocks of a file lie and how they are compressed.
struct BlockRange {
    std::string path;  // for messages
    Codec codec = Codec::kNone;
    int layout = 2;           // layout 1 files: type-3 blocks are 1.6 histograms, skipped
    uint64_t start = 0;       // offset of the first block header
    uint64_t limit = 0;       // blocks must end at or before this offset
    uint32_t max_blocks = 0;  // stop after this many blocks (0: read until `limit`)
    uint32_t min_blocks = 0;  // reaching `limit` with fewer blocks is an error (Truncated)
    // The file may be mapped instead of read: set for files whose writer closed them, which
    // nobody shortens while they are read.
    bool may_map = false;
    // Set: decode only the decodable blocks whose index this reader claimed from the shared
    // counter (fetch_add), one claim at a time, and step over the others by their header
    // (ReaderOptions::block_claims).
    std::atomic<uint64_t>* claims = nullptr;
};

// Reads blocks sequentially from an open file descriptor. Not thread-safe; owns `fd`.
class BlockSource {
public:
    BlockSource(int fd, BlockRange range);
    ~BlockSource();
    BlockSource(const BlockSource&) = delete;
    BlockSource& operator=(const BlockSource&) = delete;

    // Fills `block` with the next decodable block and returns true; false at the end of
    // the data. Errors name the file, block number and offset; after an error the source
    // is finished.
    Result<bool> Next(Block* block);

    // Blocks of types other than 2 and 3 skipped so far. Readable from any thread.
    uint64_t skipped() const { return skipped_.load(std::memory_order_relaxed); }

    // True when blocks point into a mapping of the file rather than into Block::data
    // (uncompressed blocks of a mapped file).
    bool mapped() const { return map_ != nullptr && range_.codec == Codec::kNone; }
    // True while the kernel maps each block's pages for Next() (MADV_POPULATE_READ).
    bool populates() const { return populate_; }

private:
    Status Fail(Status status);
    // Reads `n` bytes at `offset` into `buf`, or points `*out` into the mapping.
    Result<size_t> Fetch(uint8_t* buf, size_t n, uint64_t offset, const uint8_t** out);
    // Asks the kernel to map the pages of `p[0..n)` of the mapping now.
    void Populate(const uint8_t* p, size_t n);
    // Unmaps the pages of the mapping from the last released one up to the page that
    // holds byte `end` (exclusive): the blocks before `end` are done with (also the pages
    // around the headers of blocks stepped over, for a reader that reads headers through
    // the mapping).
    void ReleaseBefore(uint64_t end);

    int fd_;
    BlockRange range_;
    uint64_t pos_;
    uint32_t count_ = 0;
    uint64_t decodable_ = 0;  // decodable blocks met, taken or stepped over
    uint64_t claimed_ = kUnclaimed;  // with range_.claims: the index of the block to take
    static constexpr uint64_t kUnclaimed = ~uint64_t{0};
    bool done_ = false;
    BlockCodec codec_;
    std::unique_ptr<uint8_t[]> stored_;  // compressed payload
    std::atomic<uint64_t> skipped_{0};
    const uint8_t* map_ = nullptr;  // the file's first `map_size_` bytes, or null
    size_t map_size_ = 0;
    uint64_t released_ = 0;  // file offset (page-aligned) below which pages were released
    bool populate_ = true;  // MADV_POPULATE_READ works here
};

// Hands out decoded blocks in file order; the pointer stays valid until the next Next().
class BlockStream {
public:
    virtual ~BlockStream() = default;
    // The next block, nullptr at the end, or the source's error (then finished).
    virtual Result<const Block*> Next() = 0;
};

// Reads on the caller's thread.
class SyncBlockStream final : public BlockStream {
public:
    explicit SyncBlockStream(std::unique_ptr<BlockSource> source);
    Result<const Block*> Next() override;

private:
    std::unique_ptr<BlockSource> source_;
    Block block_;
    bool done_ = false;
};

// Reads and decompresses on a background thread into `depth` reused blocks (2..8); for a
// mapped file the thread touches the pages of the blocks ahead, so that the consumer takes
// no page faults. The thread starts with the first Next() and is stopped and joined by the
// destructor.
class BlockPrefetcher final : public BlockStream {
public:
    BlockPrefetcher(std::unique_ptr<BlockSource> source, int depth);
    ~BlockPrefetcher() override;
    Result<const Block*> Next() override;

private:
    struct Slot {
        Block block;
        Status status;     // error of the source (terminal)
        bool end = false;  // end of data (terminal)
    };

    void Run();

    std::unique_ptr<BlockSource> source_;
    std::vector<Slot> slots_;
    std::mutex mu_;
    std::condition_variable cv_;
    size_t head_ = 0;       // slot the consumer reads next
    size_t filled_ = 0;     // slots produced and not yet released by the consumer
    bool holding_ = false;  // the consumer still uses slot head_ - 1
    bool stop_ = false;
    bool finished_ = false;  // consumer saw a terminal slot
    std::thread thread_;
};

}  // namespace flow::nffile
