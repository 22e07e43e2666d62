// SPDX-License-Identifier: BSD-2-Clause
// NetFlow v9 decoder (RFC 3954): the input is one datagram whose version field is forced to 9.
// Templates and data in one datagram reach the template code; sequences are the business of
// fuzz_template_cache.
#include <vector>

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::vector<uint8_t> datagram(data, data + size);
    if (datagram.size() >= 2) {
        datagram[0] = 0;
        datagram[1] = 9;
    }
    flow::fuzz::DecodeOne(datagram.data(), datagram.size());
    return 0;
}
