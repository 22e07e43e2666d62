// SPDX-License-Identifier: BSD-2-Clause
// sFlow decoder (sFlow Version 5, and RFC 3176's versions 2 and 4) through the Decoder: the
// input's first three bytes are forced to 0 and its fourth to a version the decoder reads
// (the fourth byte modulo 3 picks 2, 4 or 5; v5 datagrams keep their 5), so every input
// reaches the sFlow samples and records.
#include <vector>

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> datagram(data, data + size);
    static const uint8_t kVersions[] = {2, 4, 5};
    for (size_t i = 0; i < 3 && i < datagram.size(); ++i) datagram[i] = 0;
    if (datagram.size() > 3) datagram[3] = kVersions[datagram[3] % 3];
    flow::fuzz::DecodeOne(datagram.data(), datagram.size());
    return 0;
}
