// SPDX-License-Identifier: BSD-2-Clause
// NfFileReader on whole files of either layout: the input is the file. Inputs whose size
// is a multiple of 4 are read with two blocks of prefetching (the background-thread path),
// the rest on the caller's thread.
#include "nffile_fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    flow::fuzz::ReadWholeFile(data, size, size % 4 == 0 ? 2 : 0);
    return 0;
}
