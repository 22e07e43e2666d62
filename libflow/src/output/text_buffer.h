// SPDX-License-Identifier: BSD-2-Clause
// The growable output buffer of the record printers and append helpers over it: padded
// strings and integers written by hand, so a printed line costs no allocation once the
// buffer has grown, and no printf parsing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

namespace flow::output::detail {

// A char buffer that only grows. Appends check the capacity once and copy; the buffer is
// reused for the whole listing (the Printer flushes and clears it in large chunks).
class Buffer {
public:
    using value_type = char;  // for std::back_inserter

    explicit Buffer(size_t capacity = 64 * 1024) : data_(new char[capacity]), capacity_(capacity) {}
    Buffer(Buffer&&) noexcept = default;
    Buffer& operator=(Buffer&&) noexcept = default;

    size_t size() const { return size_; }
    const char* data() const { return data_.get(); }
    char* data() { return data_.get(); }
    void clear() { size_ = 0; }

    void push_back(char c) {
        if (size_ == capacity_) Grow(1);
        data_[size_++] = c;
    }
    void append(const char* begin, const char* end) {
        size_t n = static_cast<size_t>(end - begin);
        if (capacity_ - size_ < n) Grow(n);
        std::memcpy(data_.get() + size_, begin, n);
        size_ += n;
    }
    // Room for `n` more bytes: the caller writes at most `n` bytes from the returned pointer
    // and then calls SetEnd with the end of what it wrote.
    char* Reserve(size_t n) {
        if (capacity_ - size_ < n) Grow(n);
        return data_.get() + size_;
    }
    void SetEnd(const char* end) { size_ = static_cast<size_t>(end - data_.get()); }
    // Grows or shrinks the used size; new bytes are uninitialised.
    void resize(size_t n) {
        if (n > capacity_) Grow(n - size_);
        size_ = n;
    }

private:
    void Grow(size_t extra) {
        size_t want = capacity_ * 2;
        if (want < size_ + extra) want = size_ + extra;
        std::unique_ptr<char[]> bigger(new char[want]);
        std::memcpy(bigger.get(), data_.get(), size_);
        data_ = std::move(bigger);
        capacity_ = want;
    }

    std::unique_ptr<char[]> data_;
    size_t capacity_ = 0;
    size_t size_ = 0;
};

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
