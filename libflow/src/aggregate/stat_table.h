// SPDX-License-Identifier: BSD-2-Clause
// The counter table of an element statistic (-s). Keys and values lie densely in insertion
// order in two arrays (a value is one cache line), found through an index: values below
// 2^16 of keys that are a number alone (ports, protocols, ToS, masks, small interface and AS
// numbers ...) through a direct index of 2^16 entry numbers, all other keys through an
// open-addressing hash index of 8-byte words (linear probing, at most half full). A word
// holds the entry number and 32 check bits: the whole key for a short key (one the caller
// names by a 32-bit number, such as an IPv4 address), so that finding it compares one word
// and reads no key, and a hash tag for any other key, whose entry is then compared. The
// index stays in cache far better than whole slots would, busy keys are met early and so
// lie together at the front, and growing rehashes the index only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <vector>

namespace flow::aggregate::detail {

// Key needs hi and lo (uint64_t), operator== and a Hash() member returning uint64_t. Value
// must be default-constructible. Entries are never erased; there are at most 2^31 - 1.
template <class Key, class Value>
class StatTable {
public:
    static constexpr size_t kDirectSize = size_t{1} << 16;

    // Where a key's entry is looked up: its direct index word (`direct`), or else the hash
    // index from position `hash >> shift_` on, for the word `check | entry number + 1`.
    struct Probe {
        uint32_t* direct = nullptr;
        uint64_t hash = 0;
        uint64_t check = 0;  // the key's 32 check bits << 32, | kLongBit for a long key
    };

    // `direct`: keys whose hi is 0 and lo below 2^16 are wholly given by lo (the caller
    // promises that the rest of such a key is a function of lo), so lo indexes them directly.
    explicit StatTable(bool direct, size_t initial_capacity = 1024) {
        if (direct) direct_ = std::make_unique<uint32_t[]>(kDirectSize);
        size_t cap = 16;
        int bits = 4;
        while (cap < initial_capacity * 2) {
            cap <<= 1;
            ++bits;
        }
        index_.assign(cap, 0);
        mask_ = cap - 1;
        shift_ = 64 - bits;
        keys_.reserve(initial_capacity);
        values_.reserve(initial_capacity);
    }

    // The direct index word of `key`, or null when `key` goes through the hash index.
    uint32_t* DirectSlot(const Key& key) const {
        return direct_ && key.hi == 0 && key.lo < kDirectSize ? &direct_[key.lo] : nullptr;
    }

    // The probe of a short key: `v` names it among all keys the caller gives as short (the
    // same key always the same number, different keys different numbers). A Fibonacci hash:
    // the multiplication spreads neighbouring numbers over the whole index, whose position
    // takes the product's top bits.
    static Probe ShortProbe(uint32_t v) {
        return {nullptr, uint64_t{v} * 0x9e3779b97f4a7c15ULL, uint64_t{v} << 32};
    }

    // The probe of any key through the hash index: its hash places it, 32 bits of the hash
    // are its tag.
    static Probe LongProbe(const Key& key) {
        const uint64_t h = key.Hash();
        return {nullptr, h, h << 32 | kLongBit};
    }

    // The probe of a key that is not short: direct or long. A caller that gives some keys as
    // short must probe every key the same way each time (a key met as short and as long
    // would be two entries).
    Probe Locate(const Key& key) const {
        if (uint32_t* d = DirectSlot(key)) return {d, 0, 0};
        return LongProbe(key);
    }

    // The entry number + 1 of the key `key` probed by `p`, or 0 when absent.
    [[gnu::always_inline]] size_t Find(const Key& key, const Probe& p) const {
        if (p.direct) return *p.direct;
        size_t i = p.hash >> shift_;
        for (;;) {
            const uint64_t s = index_[i];
            // The entry number + 1 when the word's check bits and kind are the probe's: a
            // free word (0) leaves the probe's own check bits, never a number below kLongBit
            // but 0 (a short key 0), which the subtraction wraps.
            const uint64_t n = s ^ p.check;
            if (n - 1 < kLongBit - 1) [[likely]] {
                if (!(p.check & kLongBit) || keys_[n - 1] == key) [[likely]] return n;
            } else if (s == 0) {
                return 0;
            }
            i = (i + 1) & mask_;
        }
    }

    // The value of entry number + 1 `n` (a Find() result other than 0).
    Value& value(size_t n) { return values_[n - 1]; }

    // Adds `key`, absent, probed by `p`, with a default-constructed value. The reference is
    // valid until the next insert.
    Value& Insert(const Key& key, const Probe& p) {
        if (p.direct) {
            *p.direct = Append(key);
            return values_.back();
        }
        if ((hashed_ + 1) * 2 > index_.size()) Grow();
        size_t i = p.hash >> shift_;
        while (index_[i] != 0) i = (i + 1) & mask_;
        index_[i] = p.check | Append(key);
        ++hashed_;
        return values_.back();
    }

    // The value of `key` probed by `p`, inserted default-constructed when absent.
    [[gnu::always_inline]] Value& FindOrInsert(const Key& key, const Probe& p) {
        if (const size_t n = Find(key, p)) [[likely]] return value(n);
        return InsertOutOfLine(key, p);
    }

    Value& FindOrInsert(const Key& key) { return FindOrInsert(key, Locate(key)); }

    size_t size() const { return size_; }
    const std::vector<Key>& keys() const { return keys_; }
    const std::vector<Value>& values() const { return values_; }

    // Bytes held (entries, hash index and direct index).
    size_t memory_bytes() const {
        return keys_.capacity() * sizeof(Key) + values_.capacity() * sizeof(Value) +
               index_.capacity() * sizeof(uint64_t) +
               (direct_ ? kDirectSize * sizeof(uint32_t) : 0);
    }

private:
    // Marks a word of a long key (its check bits a hash tag); a short key's word has it clear.
    static constexpr uint64_t kLongBit = uint64_t{1} << 31;

    [[gnu::noinline]] Value& InsertOutOfLine(const Key& key, const Probe& p) {
        return Insert(key, p);
    }

    uint32_t Append(const Key& key) {
        if (size_ + 1 >= kLongBit) throw std::length_error("statistic table full");
        keys_.push_back(key);
        values_.emplace_back();
        return static_cast<uint32_t>(++size_);
    }

    void Grow() {
        std::vector<uint64_t> old;
        old.swap(index_);
        index_.assign(old.size() * 2, 0);
        mask_ = index_.size() - 1;
        --shift_;
        for (uint64_t s : old) {
            if (s == 0) continue;
            const uint64_t hash = s & kLongBit ? keys_[(s & (kLongBit - 1)) - 1].Hash()
                                               : ShortProbe(static_cast<uint32_t>(s >> 32)).hash;
            size_t i = hash >> shift_;
            while (index_[i] != 0) i = (i + 1) & mask_;
            index_[i] = s;
        }
    }

    std::vector<Key> keys_;
    std::vector<Value> values_;
    std::vector<uint64_t> index_;  // 0: free; else check bits << 32 | kind | entry number + 1
    size_t mask_ = 0;
    int shift_ = 0;                       // 64 - log2(index_.size())
    size_t size_ = 0;                     // entries
    size_t hashed_ = 0;                   // keys in index_
    std::unique_ptr<uint32_t[]> direct_;  // entry number + 1 by lo; 0: absent
};

}  // namespace flow::aggregate::detail
