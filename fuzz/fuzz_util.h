// SPDX-License-Identifier: BSD-2-Clause
// Helpers shared by the fuzz targets: feeding a datagram to a fresh Decoder and checking the
// promises wire.h makes about its output. A broken promise aborts, so libFuzzer keeps the
// input as a crash like any sanitizer report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "flow/wire.h"

namespace flow::fuzz {

// Aborts with `what` when `ok` is false; used for API contracts the sanitizers cannot see.
inline void Expect(bool ok, const char* what) {
    if (ok) return;
    std::fprintf(stderr, "fuzz contract broken: %s\n", what);
    std::abort();
}

// A loopback exporter; `n` picks one of a few so several exporters can share a Decoder.
inline wire::Endpoint LoopbackExporter(unsigned n) {
    wire::Endpoint e;
    if (n & 4) {
        e.v6 = true;
        e.addr = IpAddr{0, 1};  // ::1
    } else {
        e.addr = IpAddr::V4(0x7f000001u + (n & 3));  // 127.0.0.1 .. 127.0.0.4
    }
    e.port = static_cast<uint16_t>(2055 + (n & 3));
    return e;
}

// Checks what Decode promises about records, exporters, samplers and events.
inline void CheckDecoderState(wire::Decoder& decoder, const std::vector<FlowRecord>& out) {
    for (const FlowRecord& r : out) {
        Expect(decoder.FindExporter(r.exporter_sysid) != nullptr,
               "record names an exporter sysid the decoder does not know");
    }
    for (size_t i = 0; i < decoder.exporter_count(); ++i) {
        Expect(decoder.exporter(i).sysid == i + 1, "exporter(i).sysid != i + 1");
    }
    std::vector<wire::DecoderEvent> events;
    decoder.TakeEvents(&events);
    for (const wire::DecoderEvent& e : events) {
        Expect(decoder.FindExporter(e.sysid) != nullptr, "event names an unknown exporter");
        if (e.kind != wire::DecoderEvent::Kind::kNewExporter) {
            Expect(e.sampler_index < decoder.sampler_count(), "event names an unknown sampler");
        }
    }
    for (size_t i = 0; i < decoder.sampler_count(); ++i) {
        Expect(decoder.FindExporter(decoder.sampler(i).exporter_sysid) != nullptr,
               "sampler of an unknown exporter");
    }
}

// Decodes `data` as one datagram from 127.0.0.1 in a fresh Decoder.
inline void DecodeOne(const uint8_t* data, size_t len) {
    wire::Decoder decoder;
    std::vector<FlowRecord> out;
    (void)decoder.Decode(data, len, LoopbackExporter(0), 1700000000000ull, &out);
    CheckDecoderState(decoder, out);
}

}  // namespace flow::fuzz
