// SPDX-License-Identifier: BSD-2-Clause
// One data block of an nfdump file behind a valid header, so the fuzzer spends its time on
// decompression and record decoding instead of on file headers. Input layout:
//
//   byte 0:    bit 0 = layout 1 (else 2); bits 1-3 = codec (value % 5; zstd is layout 2
//              only and becomes none in layout 1); bit 4 = store the payload compressed
//              with the codec (records are reached), else the payload bytes are handed to
//              the decompressor as they are (decompression bounds are tested)
//   bytes 1-2: record count of the block (little-endian)
//   rest:      block payload
//
// Decompression must stay within the reader's 5 MiB block buffer whatever the payload says.
// The records read are then written with NfFileWriter in the same codec and read back: they
// must come back unchanged (the `flowdump -r hostile -w copy` path).
#include <cstring>
#include <vector>

#include "nffile/codec.h"
#include "nffile/layout.h"
#include "nffile_fuzz_util.h"

namespace {

using namespace flow::nffile;

void AppendLayout2Header(flow::Codec codec, std::vector<uint8_t>* file) {
    uint8_t h[kHeaderV2Size] = {};
    Store16(h, kMagic);
    Store16(h + 2, kLayout2);
    Store32(h + 4, 0x01070100);
    Store64(h + 8, 1700000000);
    h[16] = static_cast<uint8_t>(codec);
    Store32(h + 36, 1);  // NumBlocks; no appendix
    file->insert(file->end(), h, h + sizeof(h));
}

void AppendLayout1Header(flow::Codec codec, std::vector<uint8_t>* file) {
    uint8_t h[kHeaderV1Size + kStatV1Size] = {};
    Store16(h, kMagic);
    Store16(h + 2, kLayout1);
    uint32_t flags = 0;
    if (codec == flow::Codec::kLzo) flags = kFlagV1Lzo;
    if (codec == flow::Codec::kBz2) flags = kFlagV1Bz2;
    if (codec == flow::Codec::kLz4) flags = kFlagV1Lz4;
    Store32(h + 4, flags);
    Store32(h + 8, 1);  // NumBlocks
    std::memcpy(h + 12, "fuzz", 4);
    file->insert(file->end(), h, h + sizeof(h));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 3) return 0;
    const bool layout1 = (data[0] & 1) != 0;
    auto codec = static_cast<flow::Codec>(((data[0] >> 1) & 7) % 5);
    if (layout1 && codec == flow::Codec::kZstd) codec = flow::Codec::kNone;
    const bool compress = (data[0] & 0x10) != 0;
    const uint32_t record_count = Load16(data + 1);
    const uint8_t* payload = data + 3;
    const size_t payload_len = size - 3;

    std::vector<uint8_t> stored;
    if (compress && codec != flow::Codec::kNone) {
        BlockCodec c(codec);
        stored.resize(c.MaxCompressedSize(payload_len));
        flow::Result<size_t> n = c.Compress(payload, payload_len, stored.data(), stored.size());
        flow::fuzz::Expect(n.ok(), "compressing a fuzz payload failed");
        stored.resize(*n);
    } else {
        stored.assign(payload, payload + payload_len);
    }

    std::vector<uint8_t> file;
    if (layout1) {
        AppendLayout1Header(codec, &file);
    } else {
        AppendLayout2Header(codec, &file);
    }
    uint8_t block[kBlockHeaderSize];
    Store32(block, record_count);
    Store32(block + 4, static_cast<uint32_t>(stored.size()));
    Store16(block + 8, layout1 ? kBlockV1 : kBlockV3);
    Store16(block + 10, 0);
    file.insert(file.end(), block, block + sizeof(block));
    file.insert(file.end(), stored.begin(), stored.end());
    std::vector<flow::FlowRecord> records;
    flow::fuzz::ReadWholeFile(file.data(), file.size(), 0, &records);
    if (!records.empty()) flow::fuzz::RoundTrip(records, codec);
    return 0;
}
