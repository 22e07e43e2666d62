// SPDX-License-Identifier: BSD-2-Clause
// Decompression bombs: a block whose payload inflates beyond the 5 MiB block buffer must be
// reported as Malformed by every codec, never written past the buffer (ASan) nor allocated
// at its inflated size. fuzz_nffile_block checks the same on random payloads.
#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "flow/nffile.h"
#include "nffile/codec.h"
#include "nffile/layout.h"
#include "unit/nffile/nffile_test_util.h"

using namespace flow;
using namespace flow::nffile;

TEST_CASE("A block inflating beyond 5 MiB is Malformed for every codec",
          "[nffile][damage][regression]") {
    const Codec codec = GENERATE(Codec::kLzo, Codec::kBz2, Codec::kLz4, Codec::kZstd);
    CAPTURE(CodecName(codec));

    // 5 MiB + 1 KiB of zeros compresses to a few KiB in every codec.
    const std::vector<uint8_t> plain(kMaxBlockPayload + 1024, 0);
    BlockCodec c(codec);
    std::vector<uint8_t> stored(c.MaxCompressedSize(plain.size()));
    Result<size_t> n = c.Compress(plain.data(), plain.size(), stored.data(), stored.size());
    REQUIRE(n.ok());
    stored.resize(*n);
    REQUIRE(stored.size() < 64 * 1024);

    std::vector<uint8_t> file(kHeaderV2Size + kBlockHeaderSize, 0);
    Store16(file.data(), kMagic);
    Store16(file.data() + 2, kLayout2);
    Store32(file.data() + 4, 0x01070100);
    file[16] = static_cast<uint8_t>(codec);
    Store32(file.data() + 36, 1);  // one block, no appendix
    uint8_t* block = file.data() + kHeaderV2Size;
    Store32(block, 1);
    Store32(block + 4, static_cast<uint32_t>(stored.size()));
    Store16(block + 8, kBlockV3);
    file.insert(file.end(), stored.begin(), stored.end());
    const std::string path = flow::testing::ScratchDir() + "/bomb-" + std::string(CodecName(codec));
    std::ofstream(path, std::ios::binary)
        .write(reinterpret_cast<const char*>(file.data()), static_cast<long>(file.size()));

    auto reader = NfFileReader::Open(path);
    REQUIRE(reader.ok());
    Result<bool> more = (*reader)->NextBlock();
    REQUIRE_FALSE(more.ok());
    CHECK(more.status().code() == StatusCode::kMalformed);
    CHECK_THAT(more.status().message(), Catch::Contains("block 1"));
    Result<bool> after = (*reader)->NextBlock();
    CHECK((after.ok() && !*after));
}
