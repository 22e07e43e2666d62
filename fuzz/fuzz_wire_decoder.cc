// SPDX-License-Identifier: BSD-2-Clause
// The whole Decoder: one datagram of any version, dispatched on its own header as a
// collector would, so every decoder behind Decoder (sFlow included once it is there) is
// covered without a target of its own.
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    flow::fuzz::DecodeOne(data, size);
    return 0;
}
