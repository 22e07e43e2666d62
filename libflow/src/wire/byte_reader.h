// SPDX-License-Identifier: BSD-2-Clause
// ByteReader: the one bounds-checked way the wire decoders read packet bytes. A view over a
// byte range plus an offset, with big-endian integer reads that fail instead of overrunning.
// Integers are assembled from bytes; nothing is cast to a struct or a wider type.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace flow::wire::detail {

inline uint16_t LoadBigEndian16(const uint8_t* p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

inline uint32_t LoadBigEndian32(const uint8_t* p) {
    return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

// Big-endian load of `n` bytes (0..8) at `p`. Caller guarantees `n` readable bytes.
inline uint64_t LoadBigEndian(const uint8_t* p, size_t n) {
    // The usual widths without the byte loop: this runs once per field of every record.
    switch (n) {
        case 1:
            return p[0];
        case 2:
            return LoadBigEndian16(p);
        case 4:
            return LoadBigEndian32(p);
        case 8:
            return (uint64_t{LoadBigEndian32(p)} << 32) | LoadBigEndian32(p + 4);
        default:
            break;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | p[i];
    return v;
}

// A read cursor over `[data, data + size)`. Every read checks `n <= remaining()` before
// touching memory and leaves the cursor unchanged when it fails. The bytes must outlive the
// reader; copying a reader copies the cursor, not the bytes. We use uint8_t rather than
// std::byte because every caller does arithmetic on the values.
class ByteReader {
public:
    ByteReader() = default;
    ByteReader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
    explicit ByteReader(std::span<const uint8_t> bytes)
        : data_(bytes.data()), size_(bytes.size()) {}

    size_t size() const { return size_; }
    size_t offset() const { return offset_; }
    size_t remaining() const { return size_ - offset_; }
    bool empty() const { return offset_ == size_; }
    // The unread bytes; valid for remaining() bytes.
    const uint8_t* current() const { return data_ + offset_; }

    bool U8(uint8_t* v) {
        if (remaining() < 1) return false;
        *v = data_[offset_++];
        return true;
    }

    bool U16(uint16_t* v) {
        if (remaining() < 2) return false;
        *v = LoadBigEndian16(data_ + offset_);
        offset_ += 2;
        return true;
    }

    bool U32(uint32_t* v) {
        if (remaining() < 4) return false;
        *v = LoadBigEndian32(data_ + offset_);
        offset_ += 4;
        return true;
    }

    bool U64(uint64_t* v) {
        if (remaining() < 8) return false;
        *v = LoadBigEndian(data_ + offset_, 8);
        offset_ += 8;
        return true;
    }

    // An unsigned integer of `n` bytes (1..8). Wider values keep their low-order 8 bytes.
    bool UInt(size_t n, uint64_t* v) {
        if (n > remaining()) return false;
        const size_t skip = n > 8 ? n - 8 : 0;
        *v = LoadBigEndian(data_ + offset_ + skip, n - skip);
        offset_ += n;
        return true;
    }

    // 16 network-order bytes of an IPv6 address, as two host-order halves.
    bool Ipv6(uint64_t* hi, uint64_t* lo) {
        if (remaining() < 16) return false;
        *hi = LoadBigEndian(data_ + offset_, 8);
        *lo = LoadBigEndian(data_ + offset_ + 8, 8);
        offset_ += 16;
        return true;
    }

    // Points `*p` at the next `n` bytes and consumes them.
    bool Bytes(size_t n, const uint8_t** p) {
        if (n > remaining()) return false;
        *p = data_ + offset_;
        offset_ += n;
        return true;
    }

    bool Skip(size_t n) {
        if (n > remaining()) return false;
        offset_ += n;
        return true;
    }

    // A reader over the next `n` bytes (e.g. one set or record); consumes them here.
    bool Sub(size_t n, ByteReader* sub) {
        if (n > remaining()) return false;
        *sub = ByteReader(data_ + offset_, n);
        offset_ += n;
        return true;
    }

    // Reads an IPFIX variable-length prefix (RFC 7011 §7): one byte < 255, or 255 followed
    // by a 16-bit length.
    bool VarLength(size_t* n) {
        uint8_t short_len = 0;
        if (!U8(&short_len)) return false;
        if (short_len < 255) {
            *n = short_len;
            return true;
        }
        uint16_t long_len = 0;
        if (!U16(&long_len)) {
            --offset_;
            return false;
        }
        *n = long_len;
        return true;
    }

private:
    const uint8_t* data_ = nullptr;
    size_t size_ = 0;
    size_t offset_ = 0;
};

}  // namespace flow::wire::detail
