// SPDX-License-Identifier: BSD-2-Clause
// Constants of nfdump's on-disk layouts (spec nffile-format.md §1, §2) and the little-endian
// loads and stores the nffile module uses. nfdump dumps native structs; every archive in use
// is little-endian, so the file format is little-endian here and we assemble values from
// bytes instead of casting (files are unaligned, see spec §0).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace flow::nffile {

// Stored identifiers: values are on disk, do not renumber.
inline constexpr uint16_t kMagic = 0xA50C;
inline constexpr uint16_t kLayout1 = 1;
inline constexpr uint16_t kLayout2 = 2;

// Layout 1 (nfdump 1.6): header, then stat record, then blocks.
inline constexpr size_t kHeaderV1Size = 140;
inline constexpr size_t kStatV1Size = 136;
inline constexpr size_t kIdentV1Size = 128;
inline constexpr uint32_t kFlagV1Lzo = 0x01;
inline constexpr uint32_t kFlagV1Anonymized = 0x02;
inline constexpr uint32_t kFlagV1Bz2 = 0x08;
inline constexpr uint32_t kFlagV1Lz4 = 0x10;

// Layout 2 (nfdump 1.7): header, blocks, appendix.
inline constexpr size_t kHeaderV2Size = 40;
inline constexpr size_t kStatV2Size = 144;

// Data block header, both layouts.
inline constexpr size_t kBlockHeaderSize = 12;
inline constexpr uint16_t kBlockV1 = 2;  // layout 1 records (maps + common records)
inline constexpr uint16_t kBlockV3 = 3;  // V3 records (layout 2)
// Largest stored or decompressed block payload we accept: nfdump's 5 MiB buffer.
inline constexpr size_t kMaxBlockPayload = 5u << 20;

// Record types (u16 type + u16 size at the start of every record).
inline constexpr uint16_t kRecCommonV0 = 1;      // layout 1, nfdump <= 1.6.11
inline constexpr uint16_t kRecExtensionMap = 2;  // layout 1
inline constexpr uint16_t kRecExporterInfo = 7;
inline constexpr uint16_t kRecExporterStats = 8;
inline constexpr uint16_t kRecSamplerV1 = 9;  // 16 bytes, layout 1 and 1.7.0
inline constexpr uint16_t kRecCommon = 10;    // layout 1 flow record
inline constexpr uint16_t kRecV3 = 11;        // layout 2 flow record
inline constexpr uint16_t kRecNbarTable = 12;
inline constexpr uint16_t kRecIfNameTable = 13;
inline constexpr uint16_t kRecVrfNameTable = 14;
inline constexpr uint16_t kRecSampler = 15;  // 24 bytes, 1.7.1+
inline constexpr uint16_t kRecSlack = 256;
inline constexpr uint16_t kRecIdent = 0x8001;  // appendix
inline constexpr uint16_t kRecStat = 0x8002;   // appendix

inline constexpr size_t kExporterRecordSize = 32;
inline constexpr size_t kSamplerV1RecordSize = 16;
inline constexpr size_t kSamplerRecordSize = 24;
inline constexpr size_t kExporterStatEntrySize = 24;
inline constexpr size_t kV3HeaderSize = 12;
inline constexpr size_t kElementHeaderSize = 4;
// Appendix ident records of this size or more are rejected by nfdump.
inline constexpr size_t kMaxIdentRecordSize = 127;

inline constexpr uint16_t kAfInet = 2;
inline constexpr uint16_t kAfInet6Linux = 10;

template <typename T>
inline T ByteSwap(T v) {
    if constexpr (sizeof(T) == 2) return static_cast<T>(__builtin_bswap16(v));
    if constexpr (sizeof(T) == 4) return static_cast<T>(__builtin_bswap32(v));
    if constexpr (sizeof(T) == 8) return static_cast<T>(__builtin_bswap64(v));
    return v;
}

template <typename T>
inline T LoadLe(const uint8_t* p) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    if constexpr (std::endian::native == std::endian::big) v = ByteSwap(v);
    return v;
}

inline uint8_t Load8(const uint8_t* p) { return *p; }
inline uint16_t Load16(const uint8_t* p) { return LoadLe<uint16_t>(p); }
inline uint32_t Load32(const uint8_t* p) { return LoadLe<uint32_t>(p); }
inline uint64_t Load64(const uint8_t* p) { return LoadLe<uint64_t>(p); }

template <typename T>
inline void StoreLe(uint8_t* p, T v) {
    if constexpr (std::endian::native == std::endian::big) v = ByteSwap(v);
    std::memcpy(p, &v, sizeof(T));
}

// The few values nfdump 1.7 keeps in network byte order (NSEL ACL ids).
inline uint32_t Load32Be(const uint8_t* p) {
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
inline void Store32Be(uint8_t* p, uint32_t v) {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
}

inline void Store8(uint8_t* p, uint8_t v) { *p = v; }
inline void Store16(uint8_t* p, uint16_t v) { StoreLe<uint16_t>(p, v); }
inline void Store32(uint8_t* p, uint32_t v) { StoreLe<uint32_t>(p, v); }
inline void Store64(uint8_t* p, uint64_t v) { StoreLe<uint64_t>(p, v); }

}  // namespace flow::nffile
