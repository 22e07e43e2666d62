// SPDX-License-Identifier: BSD-2-Clause
// Record codecs of the nffile module: V3 flow records (layout 2, spec §2.6), layout 1
// common records with their extension maps (spec §1.5-§1.7), and the exporter, exporter-stat
// and sampler side records (spec §1.8, §2.8). Decoders never read past the length they are
// given; errors are static strings so that decoding never allocates.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "flow/exporter.h"
#include "flow/nffile.h"
#include "flow/record.h"

namespace flow::nffile {

// What a record decoder did with one record.
enum class Decoded {
    kFlow,     // `out` holds a flow
    kSkipped,  // valid record that produced no flow (counted where relevant)
    kCorrupt,  // the record is impossible; `*error` says why
};

// Resets `r` to FlowRecord's absent values by copying a constant empty record in 64-byte
// pieces: faster than FlowRecord::Clear() (temporary plus copy) or a plain assignment (which
// GCC turns into `rep movs`). FlowRecord is trivially copyable, so a byte copy is valid.
inline void ResetRecord(FlowRecord* r) {
    static_assert(std::is_trivially_copyable_v<FlowRecord>);
    static_assert(sizeof(FlowRecord) >= 64);
    static const FlowRecord kEmpty;
    constexpr size_t n = sizeof(FlowRecord);
    auto* dst = reinterpret_cast<unsigned char*>(r);
    const auto* src = reinterpret_cast<const unsigned char*>(&kEmpty);
    size_t i = 0;
    for (; i + 64 <= n; i += 64) std::memcpy(dst + i, src + i, 64);
    std::memcpy(dst + (n - 64), src + (n - 64), 64);  // the tail, overlapping
}

// Largest V3 record EncodeV3() produces.
inline constexpr size_t kMaxV3RecordSize = 1024;

// The element lists of recently decoded V3 records. Records of one exporter template carry
// the same elements at the same offsets; a record whose size, element count and element
// headers equal a cached list's is decoded from the list without walking its elements.
// Belongs to one reader (one thread).
// A V3 record's size and element count as V3ShapeCache::Shape::size_count holds them.
inline uint32_t SizeCount(size_t size, uint16_t num_elements) {
    return static_cast<uint32_t>(size) | uint32_t{num_elements} << 16;
}

struct V3ShapeCache {
    static constexpr size_t kShapes = 4;        // lists kept, replaced in turn
    static constexpr size_t kMaxElements = 16;  // longer records are always walked
    struct Shape {
        // The record's bytes 2-5 as one host-order word: its size, and its element count
        // shifted 16 bits up (SizeCount()); 0 for an empty slot.
        uint32_t size_count = 0;
        uint16_t count() const { return static_cast<uint16_t>(size_count >> 16); }
        uint8_t decode_count = 0;
        // The presence bits a decode of the list leaves, when it leaves them whatever the
        // values (see DecodeV3Over); else 0.
        uint64_t present = 0;
        uint16_t offset[kMaxElements] = {};  // of each element header, from the record start
        uint32_t header[kMaxElements] = {};  // the header's four bytes (id, length)
        uint8_t decode[kMaxElements];   // the elements decoded (the others are stepped over)
        // With `present`: the payload offsets of the generic element (which such a list
        // always decodes) and of the flow address, the address family (4, 6, or 0 for
        // none), and the other decoded elements by id and payload offset.
        uint64_t present_flipped = 0;  // `present` with the other address family, or `present`
        uint16_t generic_at = 0;
        uint16_t address_at = 0;
        uint8_t family = 0;
        uint8_t listed_count = 0;
        uint8_t listed_id[kMaxElements];
        uint16_t listed_at[kMaxElements];
    };
    Shape shapes[kShapes];
    uint32_t next = 0;  // the slot the next list replaces
    // V3Options::elements the lists were made for: a decode for other elements neither
    // looks them up nor adds to them until it has emptied the cache (Serves()).
    uint64_t elements = 0;
    bool Serves(uint64_t e) const { return elements == e; }
    static_assert(kMaxElements % 4 == 0, "headers are compared four at a time");
};

struct V3Options {
    // EXipInfo (42) is laid out as nfdump 1.7.5 wrote it (ttl, fragment flags, pad).
    bool ipinfo_v175 = false;
    // The elements to decode (bits 1 << ElementId), closed under V3ElementsNeeded(). The
    // others are stepped over when their length is the one they must have (so that unknown
    // and bad-length elements are counted as before); their fields and presence bits are
    // then left as they were (DecodeV3Over) or empty (DecodeV3).
    uint64_t elements = kAllElements;
    // Element lists of earlier records (see V3ShapeCache), or null to walk every record.
    V3ShapeCache* shapes = nullptr;
};

// `wanted` plus the elements the decoder needs to give the fields of `wanted` the values a
// whole decode gives them: both families of an address, the layer-2 element that picks the
// flow address family, the event elements whose time stands in for a missing flow start,
// and nfdump 1.7.0's NAT element that carries the VRF ids.
uint64_t V3ElementsNeeded(uint64_t wanted);

// Decodes the V3 record `p[0..len)` (len = the record's size field, already checked to lie
// inside the block). `out` is overwritten.
Decoded DecodeV3(const uint8_t* p, size_t len, const V3Options& options, FlowRecord* out,
                 ReadCounters* counters, const char** error);

// Same result as DecodeV3, faster when records share their elements: only the fields of the
// elements this record carries are written when the previous record carried no other
// element. Requires: `*out` is the unchanged result of the last DecodeV3/DecodeV3Over call
// that returned kFlow (a record decoded any other way, or changed since, gives wrong
// fields). After kCorrupt `*out` is unspecified and must go through DecodeV3 next.
Decoded DecodeV3Over(const uint8_t* p, size_t len, const V3Options& options, FlowRecord* out,
                     ReadCounters* counters, const char** error);

// Size of the V3 record EncodeV3() writes for `rec` (at most kMaxV3RecordSize).
size_t V3Size(const FlowRecord& rec);
// Writes the V3 record for `rec` at `out` (room for V3Size(rec) bytes); returns its size.
size_t EncodeV3(const FlowRecord& rec, uint8_t* out);

// One layout 1 extension map: the optional extensions of records naming it, in order.
struct ExtensionMap {
    std::vector<uint16_t> ids;
    uint32_t extension_size = 0;  // sum of the extension payload sizes
};

// The maps of one layout 1 file: stream state, a later map with the same id replaces the
// earlier one (spec §1.6).
class ExtensionMaps {
public:
    // Parses and validates the map record `p[0..len)`. Invalid maps are counted in
    // `counters->bad_maps` and ignored (records naming them are then unmapped).
    void Add(const uint8_t* p, size_t len, ReadCounters* counters);
    const ExtensionMap* Find(uint16_t id) const;
    void Clear() { maps_.clear(); }

private:
    std::unordered_map<uint16_t, ExtensionMap> maps_;
};

// Decodes a layout 1 common record (type 10, or type 1 when `v0`) of `len` bytes through
// its extension map. kSkipped (counted as unmapped) when the map is unknown.
Decoded DecodeV1Common(const uint8_t* p, size_t len, bool v0, const ExtensionMaps& maps,
                       FlowRecord* out, ReadCounters* counters, const char** error);

// Side records. Each returns false (with `*error`) when the record is impossible.
bool DecodeExporter(const uint8_t* p, size_t len, ExporterInfo* out, const char** error);
void EncodeExporter(const ExporterInfo& exporter, uint8_t* out);  // kExporterRecordSize bytes
// Appends the entries of an exporter-stats record to `out`.
bool DecodeExporterStats(const uint8_t* p, size_t len, std::vector<ExporterStats>* out,
                         const char** error);
bool DecodeSamplerV1(const uint8_t* p, size_t len, SamplerInfo* out, const char** error);
bool DecodeSampler(const uint8_t* p, size_t len, SamplerInfo* out, const char** error);
void EncodeSampler(const SamplerInfo& sampler, uint8_t* out);  // kSamplerRecordSize bytes

}  // namespace flow::nffile
