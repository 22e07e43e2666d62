// SPDX-License-Identifier: BSD-2-Clause
// sFlow v5 decoder (sflow.org sFlow Version 5) through the Decoder: the input's first four
// bytes are forced to the 32-bit version 5 that starts every sFlow v5 datagram, so every
// input reaches the sFlow samples and records.
#include <vector>

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> datagram(data, data + size);
    static const uint8_t kVersion5[] = {0, 0, 0, 5};
    for (size_t i = 0; i < 4 && i < datagram.size(); ++i) datagram[i] = kVersion5[i];
    flow::fuzz::DecodeOne(datagram.data(), datagram.size());
    return 0;
}
