// SPDX-License-Identifier: BSD-2-Clause
// Helpers shared by the fuzz targets: feeding a datagram to a fresh Decoder and checking the
// promises wire.h makes about its output, among them that DecodeEncoded gives the records
// Decode gives, encoded. A broken promise aborts, so libFuzzer keeps the
// input as a crash like any sanitizer report.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "flow/encoded.h"
#include "flow/wire.h"
#include "nffile/records.h"

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

// Checks the collector's path against Decode's: `encoded`, from DecodeEncoded of the same
// datagrams in a Decoder of its own, must hold EncodeV3 of each of `records`, in order,
// with their counts.
inline void CheckEncoded(const std::vector<FlowRecord>& records, const EncodedFlows& encoded) {
    Expect(encoded.size() == records.size(), "DecodeEncoded gave another number of flows");
    const uint8_t* p = encoded.data();
    size_t left = encoded.bytes();
    for (size_t i = 0; i < records.size(); ++i) {
        const FlowRecord& r = records[i];
        uint8_t want[nffile::kMaxV3RecordSize];
        const size_t n = nffile::EncodeV3(r, want);
        Expect(left >= 4, "an encoded record's header lies past the end");
        const size_t size = p[2] | size_t{p[3]} << 8;
        Expect(size == n && size <= left, "an encoded record has another size");
        Expect(std::memcmp(p, want, n) == 0, "an encoded record differs from Decode + EncodeV3");
        const FlowCounts& c = encoded.counts()[i];
        Expect(c.flows == r.flows && c.packets == r.packets && c.bytes == r.bytes &&
                   c.out_packets == r.out_packets && c.out_bytes == r.out_bytes &&
                   c.first_ms == r.first_ms && c.last_ms == r.last_ms && c.proto == r.proto,
               "an encoded record's counts differ");
        p += size;
        left -= size;
    }
    Expect(left == 0, "bytes after the last encoded record");
}

// Decodes `data` as one datagram from 127.0.0.1 in a fresh Decoder, and again in another
// through DecodeEncoded (flowcapd's path).
inline void DecodeOne(const uint8_t* data, size_t len) {
    wire::Decoder decoder;
    std::vector<FlowRecord> out;
    (void)decoder.Decode(data, len, LoopbackExporter(0), 1700000000000ull, &out);
    CheckDecoderState(decoder, out);
    wire::Decoder direct;
    EncodedFlows encoded;
    (void)direct.DecodeEncoded(data, len, LoopbackExporter(0), 1700000000000ull, &encoded);
    CheckEncoded(out, encoded);
}

}  // namespace flow::fuzz
