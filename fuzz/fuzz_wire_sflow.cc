// SPDX-License-Identifier: BSD-2-Clause
// sFlow v5 datagrams through the Decoder: the input's first four bytes are forced to the
// 32-bit version 5 that starts every sFlow v5 datagram. NOTE: until the sFlow decoder is
// part of Decoder this only exercises the rejection of an unknown version.
#include <vector>

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> datagram(data, data + size);
    static const uint8_t kVersion5[] = {0, 0, 0, 5};
    for (size_t i = 0; i < 4 && i < datagram.size(); ++i) datagram[i] = kVersion5[i];
    flow::fuzz::DecodeOne(datagram.data(), datagram.size());
    return 0;
}
