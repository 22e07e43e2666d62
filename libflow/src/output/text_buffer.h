// SPDX-License-Identifier: BSD-2-Clause
// Append helpers over fmt::memory_buffer for the record printers: padded strings and
// integers written by hand, so one printed line costs no allocation once the buffer has
// grown, and no printf parsing.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include <fmt/format.h>

namespace flow::output::detail {

using Buffer = fmt::memory_buffer;

inline void Put(Buffer& b, std::string_view s) { b.append(s.data(), s.data() + s.size()); }

inline void PutChar(Buffer& b, char c) { b.push_back(c); }

inline void PutSpaces(Buffer& b, size_t n) {
    size_t old = b.size();
    b.resize(old + n);
    std::memset(b.data() + old, ' ', n);
}

// "%*s": right-aligned in `width`, never truncated.
inline void PutRight(Buffer& b, std::string_view s, size_t width) {
    if (s.size() < width) PutSpaces(b, width - s.size());
    Put(b, s);
}

// "%-*s": left-aligned in `width`, never truncated.
inline void PutLeft(Buffer& b, std::string_view s, size_t width) {
    Put(b, s);
    if (s.size() < width) PutSpaces(b, width - s.size());
}

// Decimal digits of `v` into `out` (at least 20 bytes); returns the length.
inline size_t UintText(uint64_t v, char* out) {
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (size_t i = 0; i < n; ++i) out[i] = tmp[n - 1 - i];
    return n;
}

// "%llu", "%*llu" (right) or "%-*llu" (left).
inline void PutUint(Buffer& b, uint64_t v, size_t width = 0, bool left = false) {
    char tmp[20];
    size_t n = UintText(v, tmp);
    if (left) {
        PutLeft(b, std::string_view(tmp, n), width);
    } else {
        PutRight(b, std::string_view(tmp, n), width);
    }
}

inline void PutInt(Buffer& b, int64_t v) {
    if (v < 0) {
        PutChar(b, '-');
        PutUint(b, static_cast<uint64_t>(0) - static_cast<uint64_t>(v));
    } else {
        PutUint(b, static_cast<uint64_t>(v));
    }
}

// "%llu.%03llu" of a millisecond count (seconds with three decimals).
inline void PutMillisAsSeconds(Buffer& b, uint64_t ms) {
    PutUint(b, ms / 1000);
    PutChar(b, '.');
    uint64_t frac = ms % 1000;
    PutChar(b, static_cast<char>('0' + frac / 100));
    PutChar(b, static_cast<char>('0' + frac / 10 % 10));
    PutChar(b, static_cast<char>('0' + frac % 10));
}

// Lower-case hex without leading zeros ("%x").
inline void PutHex(Buffer& b, uint64_t v, size_t min_digits = 1) {
    static constexpr char kHex[] = "0123456789abcdef";
    char tmp[16];
    size_t n = 0;
    do {
        tmp[n++] = kHex[v & 0xf];
        v >>= 4;
    } while (v != 0);
    while (n < min_digits && n < sizeof(tmp)) tmp[n++] = '0';
    for (size_t i = 0; i < n; ++i) PutChar(b, tmp[n - 1 - i]);
}

}  // namespace flow::output::detail
