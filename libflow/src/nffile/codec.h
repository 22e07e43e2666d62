// SPDX-License-Identifier: BSD-2-Clause
// Block codecs of nfdump files (spec nffile-format.md §2.3): each block payload is one unit of
// the file's codec, without a stored uncompressed length. BlockCodec keeps the per-codec
// state (LZO work memory, zstd contexts) so compressing and decompressing never allocate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "flow/nffile.h"
#include "flow/status.h"

namespace flow::nffile {

class BlockCodec {
public:
    // `level`: zstd level (0 = 3), LZ4: > 0 selects LZ4-HC at that level; ignored otherwise.
    explicit BlockCodec(Codec codec, int level = 0);
    ~BlockCodec();
    BlockCodec(const BlockCodec&) = delete;
    BlockCodec& operator=(const BlockCodec&) = delete;

    Codec codec() const { return codec_; }

    // Upper bound of the compressed size of `in_len` bytes; the output buffer of Compress()
    // must be at least this large.
    size_t MaxCompressedSize(size_t in_len) const;

    // Compresses `in` into `out` (capacity `out_cap`), returns the stored length. A failure
    // is our own bug or out of memory, reported as Malformed with the codec's message.
    Result<size_t> Compress(const uint8_t* in, size_t in_len, uint8_t* out, size_t out_cap);

    // Decompresses `in` into `out` and returns the produced length. Any codec error, input
    // not ending the stream, or output exceeding `out_cap` is Malformed; nothing is written
    // past `out_cap`. For kNone the input is copied.
    Result<size_t> Decompress(const uint8_t* in, size_t in_len, uint8_t* out, size_t out_cap);

private:
    struct ZstdState;

    Codec codec_;
    int level_;
    std::vector<uint8_t> lzo_work_;
    std::unique_ptr<ZstdState> zstd_;
};

// True when `codec` can be compressed and decompressed by this build.
bool CodecAvailable(Codec codec);

}  // namespace flow::nffile
