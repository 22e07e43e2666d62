// SPDX-License-Identifier: BSD-2-Clause
// NetFlow v1, v5 and v7 decoders. The first input byte picks the version, which is written
// over the datagram's version field so no mutation is wasted on other decoders.
#include <cstring>
#include <vector>

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    static const uint8_t kVersions[] = {1, 5, 7};
    const uint8_t version = kVersions[data[0] % 3];
    std::vector<uint8_t> datagram(data + 1, data + size);
    if (datagram.size() >= 2) {
        datagram[0] = 0;
        datagram[1] = version;
    }
    flow::fuzz::DecodeOne(datagram.data(), datagram.size());
    return 0;
}
