// SPDX-License-Identifier: BSD-2-Clause
// Test-only encoder for hand-built NetFlow v5/v9 and IPFIX datagrams: a byte writer with
// big-endian appends and length patching, plus helpers for headers, sets and templates.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

namespace wiretest {

class Writer {
public:
    Writer& U8(uint64_t v) {
        bytes_.push_back(static_cast<uint8_t>(v));
        return *this;
    }
    Writer& U16(uint64_t v) { return U8(v >> 8).U8(v); }
    Writer& U24(uint64_t v) { return U8(v >> 16).U8(v >> 8).U8(v); }
    Writer& U32(uint64_t v) { return U16(v >> 16).U16(v); }
    Writer& U48(uint64_t v) { return U16(v >> 32).U32(v); }
    Writer& U64(uint64_t v) { return U32(v >> 32).U32(v); }
    // Big-endian value of `n` bytes.
    Writer& UN(uint64_t v, size_t n) {
        for (size_t i = n; i > 0; --i) U8(i > 8 ? 0 : v >> (8 * (i - 1)));
        return *this;
    }
    Writer& Ip4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return U8(a).U8(b).U8(c).U8(d); }
    Writer& Raw(const std::vector<uint8_t>& v) {
        bytes_.insert(bytes_.end(), v.begin(), v.end());
        return *this;
    }
    Writer& Text(const std::string& s) {
        bytes_.insert(bytes_.end(), s.begin(), s.end());
        return *this;
    }
    Writer& Zeros(size_t n) {
        bytes_.insert(bytes_.end(), n, 0);
        return *this;
    }

    size_t size() const { return bytes_.size(); }
    void Patch16(size_t at, uint16_t v) {
        bytes_[at] = static_cast<uint8_t>(v >> 8);
        bytes_[at + 1] = static_cast<uint8_t>(v);
    }
    const std::vector<uint8_t>& bytes() const { return bytes_; }

    // Starts a set/flowset with `id`; EndSet writes its length.
    size_t BeginSet(uint16_t id) {
        const size_t at = size();
        U16(id).U16(0);
        return at;
    }
    void EndSet(size_t at) { Patch16(at + 2, static_cast<uint16_t>(size() - at)); }

private:
    std::vector<uint8_t> bytes_;
};

// Field specifier (id, length[, pen]) for the template helpers.
struct Field {
    uint16_t id;
    uint16_t length;
    uint32_t pen = 0;
};

inline Writer V9Header(uint32_t uptime_ms, uint32_t unix_secs, uint32_t sequence,
                       uint32_t source_id, uint16_t count = 1) {
    Writer w;
    w.U16(9).U16(count).U32(uptime_ms).U32(unix_secs).U32(sequence).U32(source_id);
    return w;
}

inline void V9Template(Writer* w, uint16_t id, std::initializer_list<Field> fields) {
    const size_t set = w->BeginSet(0);
    w->U16(id).U16(fields.size());
    for (const Field& f : fields) w->U16(f.id).U16(f.length);
    w->EndSet(set);
}

inline void V9OptionsTemplate(Writer* w, uint16_t id, std::initializer_list<Field> scopes,
                              std::initializer_list<Field> fields) {
    const size_t set = w->BeginSet(1);
    w->U16(id).U16(scopes.size() * 4).U16(fields.size() * 4);
    for (const Field& f : scopes) w->U16(f.id).U16(f.length);
    for (const Field& f : fields) w->U16(f.id).U16(f.length);
    w->EndSet(set);
}

inline Writer IpfixHeader(uint32_t export_secs, uint32_t sequence, uint32_t domain) {
    Writer w;
    w.U16(10).U16(0).U32(export_secs).U32(sequence).U32(domain);
    return w;
}

// Writes the message length into an IPFIX header built with IpfixHeader.
inline std::vector<uint8_t> IpfixDone(Writer w) {
    w.Patch16(2, static_cast<uint16_t>(w.size()));
    return w.bytes();
}

inline void IpfixFields(Writer* w, std::initializer_list<Field> fields) {
    for (const Field& f : fields) {
        if (f.pen != 0) {
            w->U16(f.id | 0x8000).U16(f.length).U32(f.pen);
        } else {
            w->U16(f.id).U16(f.length);
        }
    }
}

inline void IpfixTemplate(Writer* w, uint16_t id, std::initializer_list<Field> fields) {
    const size_t set = w->BeginSet(2);
    w->U16(id).U16(fields.size());
    IpfixFields(w, fields);
    w->EndSet(set);
}

inline void IpfixOptionsTemplate(Writer* w, uint16_t id, std::initializer_list<Field> scopes,
                                 std::initializer_list<Field> fields) {
    const size_t set = w->BeginSet(3);
    w->U16(id).U16(scopes.size() + fields.size()).U16(scopes.size());
    IpfixFields(w, scopes);
    IpfixFields(w, fields);
    w->EndSet(set);
}

}  // namespace wiretest
