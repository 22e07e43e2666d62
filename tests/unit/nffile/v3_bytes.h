// SPDX-License-Identifier: BSD-2-Clause
// V3 flow records as bytes for the decoder tests: one encoded by EncodeV3, or one built
// element by element for layouts EncodeV3 never writes (two address families, the 1.7.0 NAT
// element, odd lengths).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "flow/record.h"
#include "nffile/layout.h"
#include "nffile/records.h"

namespace flow::nffile::testing {

using Bytes = std::vector<uint8_t>;

inline Bytes Encode(const FlowRecord& r) {
    Bytes b(kMaxV3RecordSize);
    b.resize(EncodeV3(r, b.data()));
    return b;
}

// `elements` holds (id, payload) pairs; the header names NetFlow version 9 and nothing else.
inline Bytes RawV3(const std::vector<std::pair<uint16_t, Bytes>>& elements) {
    Bytes b(kV3HeaderSize, 0);
    for (const auto& [id, payload] : elements) {
        const size_t at = b.size();
        b.resize(at + kElementHeaderSize + payload.size());
        Store16(b.data() + at, id);
        Store16(b.data() + at + 2, static_cast<uint16_t>(kElementHeaderSize + payload.size()));
        std::memcpy(b.data() + at + kElementHeaderSize, payload.data(), payload.size());
    }
    Store16(b.data(), kRecV3);
    Store16(b.data() + 2, static_cast<uint16_t>(b.size()));
    Store16(b.data() + 4, static_cast<uint16_t>(elements.size()));
    b[11] = 9;
    return b;
}

// The bytes of file `path` (empty when it cannot be read).
inline Bytes FileBytes(const std::string& path) {
    Bytes out;
    FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) return out;
    int c;
    while ((c = std::fgetc(f)) != EOF) out.push_back(static_cast<uint8_t>(c));
    std::fclose(f);
    return out;
}

// Writes `bytes` to `path`; false when it could not.
inline bool WriteFileBytes(const std::string& path, const Bytes& bytes) {
    FILE* f = std::fopen(path.c_str(), "wb");
    if (f == nullptr) return false;
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size();
    return std::fclose(f) == 0 && ok;
}

// The file offsets of the V3 records of the first V3 block of layout 2 file `file`, as
// their sizes chain them (empty when the file holds no V3 block), and in `*block_at` (when
// not null) the offset of that block's header.
inline std::vector<size_t> FirstBlockV3Records(const Bytes& file, size_t* block_at = nullptr) {
    std::vector<size_t> out;
    size_t at = kHeaderV2Size;
    while (at + kBlockHeaderSize <= file.size() && Load16(file.data() + at + 8) != kBlockV3) {
        at += kBlockHeaderSize + Load32(file.data() + at + 4);
    }
    if (block_at != nullptr) *block_at = at;
    if (at + kBlockHeaderSize > file.size()) return out;
    const size_t block_end = at + kBlockHeaderSize + Load32(file.data() + at + 4);
    for (size_t p = at + kBlockHeaderSize; p + 4 <= block_end && p + 4 <= file.size();
         p += Load16(file.data() + p + 2)) {
        if (Load16(file.data() + p) == kRecV3) out.push_back(p);
        if (Load16(file.data() + p + 2) == 0) break;
    }
    return out;
}

}  // namespace flow::nffile::testing
