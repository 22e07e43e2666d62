// SPDX-License-Identifier: BSD-2-Clause
// A flat open-addressing hash table (linear probing, power-of-two capacity, at most half
// full) for the aggregation and statistics counters: keys are small fixed-size structs, the
// slots live in one array, and a lookup of a present key touches one or two cache lines.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace flow::aggregate::detail {

// Starts loading the cache line of `p`. GCC 12 at -O2 silently deletes __builtin_prefetch
// (and _mm_prefetch) of an address that an inlined accessor computed from loaded pointers,
// such as a key in a chunk, so on x86 the instruction is written out.
inline void Prefetch(const void* p) {
#if defined(__x86_64__) || defined(__i386__)
    asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
    __builtin_prefetch(p);
#endif
}

// 64-bit mix (the murmur3 finaliser constants), good enough to spread packed keys.
inline uint64_t Mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

// Key needs operator== and a Hash() member returning uint64_t. Value must be
// default-constructible. Slots are never erased.
template <class Key, class Value>
class FlatTable {
public:
    struct Slot {
        Key key{};
        Value value{};
        bool used = false;
    };

    explicit FlatTable(size_t initial_capacity = 1024) {
        size_t cap = 16;
        while (cap < initial_capacity) cap <<= 1;
        slots_.resize(cap);
        mask_ = cap - 1;
    }

    // The value of `key`, inserted default-constructed when absent.
    Value& FindOrInsert(const Key& key) {
        if ((size_ + 1) * 2 > slots_.size()) Grow();
        size_t i = key.Hash() & mask_;
        for (;;) {
            Slot& s = slots_[i];
            if (!s.used) {
                s.used = true;
                s.key = key;
                ++size_;
                return s.value;
            }
            if (s.key == key) return s.value;
            i = (i + 1) & mask_;
        }
    }

    // The value of `key`, or null when absent. The pointer is valid until the next insert.
    Value* Find(const Key& key) {
        size_t i = key.Hash() & mask_;
        for (;;) {
            Slot& s = slots_[i];
            if (!s.used) return nullptr;
            if (s.key == key) return &s.value;
            i = (i + 1) & mask_;
        }
    }

    size_t size() const { return size_; }
    const std::vector<Slot>& slots() const { return slots_; }

private:
    void Grow() {
        std::vector<Slot> old;
        old.swap(slots_);
        slots_.resize(old.size() * 2);
        mask_ = slots_.size() - 1;
        for (Slot& s : old) {
            if (!s.used) continue;
            size_t i = s.key.Hash() & mask_;
            while (slots_[i].used) i = (i + 1) & mask_;
            slots_[i] = s;
        }
    }

    std::vector<Slot> slots_;
    size_t mask_ = 0;
    size_t size_ = 0;
};

}  // namespace flow::aggregate::detail
