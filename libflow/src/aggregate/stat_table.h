// SPDX-License-Identifier: BSD-2-Clause
// The counter table of an element statistic (-s). Keys and values lie densely in insertion
// order in two arrays (a value is one cache line), found through an index: values below
// 2^16 of keys that are a number alone (ports, protocols, ToS, masks, small interface and AS
// numbers ...) through a direct index of 2^16 entry numbers, all other keys through an
// open-addressing hash index of 8-byte slots (a 32-bit hash tag and the entry number, linear
// probing, at most half full). The index stays in cache far better than whole slots would,
// busy keys are met early and so lie together at the front, and growing rehashes the index
// only. Prefetch() lets a caller start the memory loads of a key some records ahead of its
// FindOrInsert().
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace flow::aggregate::detail {

// Key needs hi and lo (uint64_t) and operator==. Value must be default-constructible.
// Entries are never erased.
template <class Key, class Value>
class StatTable {
public:
    static constexpr size_t kDirectSize = size_t{1} << 16;

    // `direct`: keys whose hi is 0 and lo below 2^16 are wholly given by lo (the caller
    // promises that the rest of such a key is a function of lo), so lo indexes them directly.
    explicit StatTable(bool direct, size_t initial_capacity = 1024) {
        if (direct) direct_ = std::make_unique<uint32_t[]>(kDirectSize);
        size_t cap = 16;
        while (cap < initial_capacity * 2) cap <<= 1;
        index_.assign(cap, 0);
        mask_ = cap - 1;
        keys_.reserve(initial_capacity);
        values_.reserve(initial_capacity);
    }

    // The direct index word of `key`, or null when `key` goes through the hash index.
    uint32_t* DirectSlot(const Key& key) const {
        return direct_ && key.hi == 0 && key.lo < kDirectSize ? &direct_[key.lo] : nullptr;
    }

    // Stage one of a lookup ahead of time: loads the index word of a key into the cache
    // (`direct` its DirectSlot(), `hash` its hash, unused for direct keys).
    void PrefetchIndex(const uint32_t* direct, uint64_t hash) const {
        if (direct) {
            __builtin_prefetch(direct);
        } else {
            __builtin_prefetch(&index_[hash & mask_]);
        }
    }

    // Stage two: reads the index word and loads the entry it names (when present).
    void PrefetchEntry(const uint32_t* direct, uint64_t hash) const {
        uint32_t n;
        if (direct) {
            n = *direct;
        } else {
            n = static_cast<uint32_t>(index_[hash & mask_]);
            if (n != 0) __builtin_prefetch(&keys_.data()[n - 1]);
        }
        if (n != 0) __builtin_prefetch(&values_.data()[n - 1]);
    }

    // The value of `key` (`direct` its DirectSlot(), `hash` its hash, unused for direct
    // keys), inserted default-constructed when absent. The reference is valid until the next
    // insert.
    [[gnu::always_inline]] Value& FindOrInsert(const Key& key, uint32_t* direct, uint64_t hash) {
        if (direct) {
            if (*direct == 0) [[unlikely]] *direct = Append(key);
            return values_[*direct - 1];
        }
        const uint64_t tag = hash >> 32;
        size_t i = hash & mask_;
        for (;;) {
            const uint64_t s = index_[i];
            if (s == 0) break;
            if ((s >> 32) == tag && keys_[(s & 0xffffffffu) - 1] == key) [[likely]] {
                return values_[(s & 0xffffffffu) - 1];
            }
            i = (i + 1) & mask_;
        }
        return Insert(key, hash, i);
    }

    Value& FindOrInsert(const Key& key) { return FindOrInsert(key, DirectSlot(key), key.Hash()); }

    size_t size() const { return keys_.size(); }
    const std::vector<Key>& keys() const { return keys_; }
    const std::vector<Value>& values() const { return values_; }

    // Bytes held (entries, hash index and direct index).
    size_t memory_bytes() const {
        return keys_.capacity() * sizeof(Key) + values_.capacity() * sizeof(Value) +
               index_.capacity() * sizeof(uint64_t) +
               (direct_ ? kDirectSize * sizeof(uint32_t) : 0);
    }

private:
    // Adds `key` to the hash index at its free slot `i`.
    [[gnu::noinline]] Value& Insert(const Key& key, uint64_t hash, size_t i) {
        if ((hashed_ + 1) * 2 > index_.size()) {
            Grow();
            i = hash & mask_;
            while (index_[i] != 0) i = (i + 1) & mask_;
        }
        index_[i] = (hash >> 32) << 32 | Append(key);
        ++hashed_;
        return values_.back();
    }

    [[gnu::noinline]] uint32_t Append(const Key& key) {
        keys_.push_back(key);
        values_.emplace_back();
        return static_cast<uint32_t>(keys_.size());
    }

    void Grow() {
        std::vector<uint64_t> old;
        old.swap(index_);
        index_.assign(old.size() * 2, 0);
        mask_ = index_.size() - 1;
        for (uint64_t s : old) {
            if (s == 0) continue;
            size_t i = keys_[(s & 0xffffffffu) - 1].Hash() & mask_;
            while (index_[i] != 0) i = (i + 1) & mask_;
            index_[i] = s;
        }
    }

    std::vector<Key> keys_;
    std::vector<Value> values_;
    std::vector<uint64_t> index_;  // 0: free; else hash tag << 32 | entry number + 1
    size_t mask_ = 0;
    size_t hashed_ = 0;                   // keys in index_
    std::unique_ptr<uint32_t[]> direct_;  // entry number + 1 by lo; 0: absent
};

}  // namespace flow::aggregate::detail
