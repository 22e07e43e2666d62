// SPDX-License-Identifier: BSD-2-Clause
// IPFIX decoder (RFC 7011): the input is one message whose version field is forced to 10.
// When the first byte is odd the message-length field is also set to the real length, so
// most inputs get past the header check and into the sets; even inputs keep the length the
// fuzzer chose, to test the mismatch handling.
#include <vector>

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const bool fix_length = (data[0] & 1) != 0;
    std::vector<uint8_t> message(data + 1, data + size);
    if (message.size() >= 2) {
        message[0] = 0;
        message[1] = 10;
    }
    if (fix_length && message.size() >= 4 && message.size() <= 0xffff) {
        message[2] = static_cast<uint8_t>(message.size() >> 8);
        message[3] = static_cast<uint8_t>(message.size());
    }
    flow::fuzz::DecodeOne(message.data(), message.size());
    return 0;
}
