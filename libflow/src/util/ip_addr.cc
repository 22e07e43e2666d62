// SPDX-License-Identifier: BSD-2-Clause
// Conversions between IpAddr's host-order halves and network byte order.
#include "flow/record.h"

namespace flow {

namespace {

uint64_t LoadBigEndian64(const uint8_t* p) {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
    return v;
}

void StoreBigEndian64(uint64_t v, uint8_t* p) {
    for (int i = 7; i >= 0; --i) {
        p[i] = static_cast<uint8_t>(v);
        v >>= 8;
    }
}

}  // namespace

IpAddr IpAddr::V6(const uint8_t* bytes) {
    return IpAddr{LoadBigEndian64(bytes), LoadBigEndian64(bytes + 8)};
}

void IpAddr::ToBytes(uint8_t* out) const {
    StoreBigEndian64(hi, out);
    StoreBigEndian64(lo, out + 8);
}

}  // namespace flow
