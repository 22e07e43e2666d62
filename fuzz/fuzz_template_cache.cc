// SPDX-License-Identifier: BSD-2-Clause
// The template cache and held early data: one Decoder fed a sequence of datagrams from a few
// loopback exporters, as a collector sees them. Input layout (see docs/hardening.md):
//
//   byte 0: options   bit 0 set = hold_early_data off; bits 1-2 pick default sampling
//   then repeated:    u8 control | u16 length (big-endian) | length bytes of datagram
//                     control bits 0-2 = exporter (127.0.0.1-4 or ::1), bit 6 = reset
//                     interval counters first, bit 7 = version field forced to 9 else 10
//                     only when bit 5 is set (otherwise the bytes are used as they are)
//
// A length running past the input takes what is left.
#include <vector>

#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    static const int32_t kSampling[] = {1, 100, -50, 0};
    flow::wire::DecoderOptions options;
    options.hold_early_data = (data[0] & 1) == 0;
    options.default_sampling = kSampling[(data[0] >> 1) & 3];
    flow::wire::Decoder decoder(options);
    flow::wire::Decoder direct(options);  // the same datagrams through DecodeEncoded

    std::vector<flow::FlowRecord> out;
    flow::EncodedFlows encoded;
    std::vector<uint8_t> datagram;
    uint64_t now_ms = 1700000000000ull;
    size_t pos = 1;
    while (pos + 3 <= size) {
        const uint8_t control = data[pos];
        size_t len = size_t{data[pos + 1]} << 8 | data[pos + 2];
        pos += 3;
        if (len > size - pos) len = size - pos;
        datagram.assign(data + pos, data + pos + len);
        pos += len;

        if ((control & 0x20) && datagram.size() >= 2) {
            datagram[0] = 0;
            datagram[1] = (control & 0x80) ? 9 : 10;
        }
        if (control & 0x40) {
            decoder.ResetIntervalCounters();
            direct.ResetIntervalCounters();
        }
        out.clear();
        (void)decoder.Decode(datagram.data(), datagram.size(),
                             flow::fuzz::LoopbackExporter(control & 7), now_ms, &out);
        flow::fuzz::CheckDecoderState(decoder, out);
        encoded.Clear();
        (void)direct.DecodeEncoded(datagram.data(), datagram.size(),
                                   flow::fuzz::LoopbackExporter(control & 7), now_ms, &encoded);
        flow::fuzz::CheckEncoded(out, encoded);
        now_ms += 1000;
    }
    return 0;
}
