// SPDX-License-Identifier: BSD-2-Clause
// Exporter info (type 7), exporter stats (type 8) and sampler records (types 9 and 15):
// spec nffile-format.md §1.8 and §2.8. The same layouts serve both file layouts.
#include <cstring>

#include "nffile/layout.h"
#include "nffile/records.h"

namespace flow::nffile {

bool DecodeExporter(const uint8_t* p, size_t len, ExporterInfo* out, const char** error) {
    if (len < kExporterRecordSize) {
        *error = "exporter record shorter than 32 bytes";
        return false;
    }
    ExporterInfo x;
    x.version = Load32(p + 4);
    const uint16_t family = Load16(p + 24);
    x.sysid = Load16(p + 26);
    x.id = Load32(p + 28);
    if (family != 0) {
        // Up to 1.7.7: nfdump's in-memory address union, host order, IPv4 in the u32 at
        // offset 16, and the socket family in the u16 at offset 24.
        x.is_v6 = family != kAfInet;
        if (x.is_v6) {
            x.ip = IpAddr{Load64(p + 8), Load64(p + 16)};
        } else {
            x.ip = IpAddr::V4(Load32(p + 16));
        }
    } else {
        // 1.7.8: 16 network-order bytes, IPv4 as ::ffff:a.b.c.d, and 0 at offset 24.
        IpAddr a = IpAddr::V6(p + 8);
        if (a.hi == 0 && (a.lo >> 32) == 0xffff) {
            x.ip = IpAddr::V4(static_cast<uint32_t>(a.lo));
        } else {
            x.ip = a;
            x.is_v6 = true;
        }
    }
    *out = x;
    return true;
}

void EncodeExporter(const ExporterInfo& x, uint8_t* out) {
    // The legacy encoding: the only one nfdump 1.7.0-1.7.7 understand, 1.7.8 reads it too.
    std::memset(out, 0, kExporterRecordSize);
    Store16(out, kRecExporterInfo);
    Store16(out + 2, kExporterRecordSize);
    Store32(out + 4, x.version);
    if (x.is_v6) {
        Store64(out + 8, x.ip.hi);
        Store64(out + 16, x.ip.lo);
        Store16(out + 24, kAfInet6Linux);
    } else {
        Store32(out + 16, x.ip.v4());
        Store16(out + 24, kAfInet);
    }
    Store16(out + 26, x.sysid);
    Store32(out + 28, x.id);
}

bool DecodeExporterStats(const uint8_t* p, size_t len, std::vector<ExporterStats>* out,
                         const char** error) {
    if (len < 8) {
        *error = "exporter stats record shorter than 8 bytes";
        return false;
    }
    const uint32_t count = Load32(p + 4);
    // Compare against the room instead of multiplying the untrusted count.
    if (count > (len - 8) / kExporterStatEntrySize) {
        *error = "exporter stats count exceeds the record size";
        return false;
    }
    for (uint32_t i = 0; i < count; ++i) {
        const uint8_t* e = p + 8 + kExporterStatEntrySize * i;
        ExporterStats s;
        s.sysid = Load32(e);
        s.sequence_failures = Load32(e + 4);
        s.packets = Load64(e + 8);
        s.flows = Load64(e + 16);
        out->push_back(s);
    }
    return true;
}

bool DecodeSamplerV1(const uint8_t* p, size_t len, SamplerInfo* out, const char** error) {
    if (len < kSamplerV1RecordSize) {
        *error = "sampler record shorter than 16 bytes";
        return false;
    }
    // "1 of interval" maps to packet interval 1, space interval - 1 (spec §2.8).
    SamplerInfo s;
    s.id = static_cast<int32_t>(Load32(p + 4));
    const uint32_t interval = Load32(p + 8);
    s.algorithm = Load16(p + 12);
    s.exporter_sysid = Load16(p + 14);
    s.packet_interval = 1;
    s.space_interval = interval > 0 ? interval - 1 : 0;
    *out = s;
    return true;
}

bool DecodeSampler(const uint8_t* p, size_t len, SamplerInfo* out, const char** error) {
    if (len < kSamplerRecordSize) {
        *error = "sampler record shorter than 24 bytes";
        return false;
    }
    SamplerInfo s;
    s.exporter_sysid = Load16(p + 4);
    s.algorithm = Load16(p + 6);
    s.id = static_cast<int64_t>(Load64(p + 8));
    s.packet_interval = Load32(p + 16);
    s.space_interval = Load32(p + 20);
    *out = s;
    return true;
}

void EncodeSampler(const SamplerInfo& s, uint8_t* out) {
    std::memset(out, 0, kSamplerRecordSize);
    Store16(out, kRecSampler);
    Store16(out + 2, kSamplerRecordSize);
    Store16(out + 4, s.exporter_sysid);
    Store16(out + 6, s.algorithm);
    Store64(out + 8, static_cast<uint64_t>(s.id));
    Store32(out + 16, s.packet_interval);
    Store32(out + 20, s.space_interval);
}

}  // namespace flow::nffile
