// SPDX-License-Identifier: BSD-2-Clause
// V3 flow records as bytes for the decoder tests: one encoded by EncodeV3, or one built
// element by element for layouts EncodeV3 never writes (two address families, the 1.7.0 NAT
// element, odd lengths).
#pragma once

#include <cstdint>
#include <cstring>
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

}  // namespace flow::nffile::testing
