// SPDX-License-Identifier: BSD-2-Clause
// Record aggregation (-a, -A) and -O ordering: key parsing with nfdump 1.7.1's messages, the
// fixed-size packed key, the FlatTable of group indexes and the Top-N selection.
#include <algorithm>
#include <bit>
#include <cassert>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <utility>

#include "aggregate/flat_table.h"
#include "flow/aggregate.h"
#include "nffile/layout.h"
#include "nffile/records.h"

namespace flow::aggregate {

namespace {

struct FieldInfo {
    const char* name;
    const char* token;
    AggField field;
    bool address;
};

const FieldInfo kFields[] = {
    {"proto", "%pr", AggField::kProto, false},
    {"srcip", "%sa", AggField::kSrcIp, true},
    {"dstip", "%da", AggField::kDstIp, true},
    {"srcport", "%sp", AggField::kSrcPort, false},
    {"dstport", "%dp", AggField::kDstPort, false},
    {"srcas", "%sas", AggField::kSrcAs, false},
    {"dstas", "%das", AggField::kDstAs, false},
    {"inif", "%in", AggField::kInIf, false},
    {"outif", "%out", AggField::kOutIf, false},
    {"router", "%ra", AggField::kRouter, true},
    {"srctos", "%stos", AggField::kSrcTos, false},
    {"dsttos", "%dtos", AggField::kDstTos, false},
    {"srcvlan", "%svln", AggField::kSrcVlan, false},
    {"dstvlan", "%dvln", AggField::kDstVlan, false},
    {"srcmask", "%smk", AggField::kSrcMask, false},
    {"dstmask", "%dmk", AggField::kDstMask, false},
    {"nextas", "%nas", AggField::kNextAs, false},
    {"prevas", "%pas", AggField::kPrevAs, false},
    {"next", "%nh", AggField::kNextHop, true},
    {"bgpnext", "%nhb", AggField::kBgpNextHop, true},
    {"tos", "%tos", AggField::kTos, false},
    {"mpls1", "%mpls1", AggField::kMpls1, false},
    {"mpls2", "%mpls2", AggField::kMpls2, false},
    {"mpls3", "%mpls3", AggField::kMpls3, false},
    {"mpls4", "%mpls4", AggField::kMpls4, false},
    {"mpls5", "%mpls5", AggField::kMpls5, false},
    {"mpls6", "%mpls6", AggField::kMpls6, false},
    {"mpls7", "%mpls7", AggField::kMpls7, false},
    {"mpls8", "%mpls8", AggField::kMpls8, false},
    {"mpls9", "%mpls9", AggField::kMpls9, false},
    {"mpls10", "%mpls10", AggField::kMpls10, false},
    {"insrcmac", "%ismc", AggField::kInSrcMac, false},
    {"outdstmac", "%odmc", AggField::kOutDstMac, false},
    {"indstmac", "%idmc", AggField::kInDstMac, false},
    {"outsrcmac", "%osmc", AggField::kOutSrcMac, false},
    {"srcnet", "%sn", AggField::kSrcNet, true},
    {"dstnet", "%dn", AggField::kDstNet, true},
    {"odid", "%odid", AggField::kObsDomain, false},
    {"opid", "%opid", AggField::kObsPoint, false},
    {"xsrcip", "%xsa", AggField::kXlateSrcIp, true},
    {"xdstip", "%xda", AggField::kXlateDstIp, true},
    {"xsrcport", "%xsp", AggField::kXlateSrcPort, false},
    {"xdstport", "%xdp", AggField::kXlateDstPort, false},
};

// The network of `a` with `bits` leading bits, computed as nfdump 1.7.1 groups and prints
// srcnet/dstnet (the shift counts wrap: a mask of 0 keeps an IPv4 address whole and the
// upper half of an IPv6 one), so the groups are nfdump's.
[[gnu::always_inline]] inline IpAddr Network(const IpAddr& a, uint8_t bits, bool v6) {
    if (!v6) return IpAddr::V4(a.v4() & (0xffffffffu << ((32u - bits) & 31u)));
    if (bits > 64) return IpAddr{a.hi, a.lo & (~uint64_t{0} << ((128u - bits) & 63u))};
    return IpAddr{a.hi & (~uint64_t{0} << ((64u - bits) & 63u)), 0};
}

size_t MplsIndex(AggField f) {
    return static_cast<size_t>(f) - static_cast<size_t>(AggField::kMpls1);
}

const FieldInfo& Info(AggField f) {
    for (const FieldInfo& i : kFields) {
        if (i.field == f) return i;
    }
    return kFields[0];
}

std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
    }
    return out;
}

// The packed key: every field in its own word, addresses in two, and a last word of
// address families. nfdump's 64-character limit on the key list keeps any list in it.
constexpr size_t kKeyWords = 24;
constexpr size_t kMaxKeyText = 64;

struct PackedKey {
    uint64_t w[kKeyWords] = {};
};

// The counters of one group, as Ranked() sorts them and an -A group keeps them.
struct GroupCounters {
    uint64_t flows = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t out_packets = 0;
    uint64_t out_bytes = 0;
    uint64_t first_ms = 0;
    uint64_t last_ms = 0;
};

// The -a/-b/-B and -s record groups and the records -O sorts: each group is its first record
// in the V3 encoding of nfdump files (nffile/records.h: what the writer writes and the
// reader reads back field for field), one after the other in 4 MiB chunks, and its counters
// are added in place into that record's generic-flow and counter elements. The record is
// encoded from its FlowRecord (Append), or for -a, -s record and -O copied from the file's
// own bytes with its elements reordered (AppendStored). A typical record
// takes 100-170 bytes there against FlowRecord's 592, and a group adds an 8-byte handle:
//   bits  0-47  offset: chunk << 22 | position in the chunk
//   bits 48-55  offset of the counter element's payload inside the record
//   bit  56     the record had no generic-flow element (it is stored to hold the counters)
//   bit  57     the record had no counter element (likewise)
//   bit  58     -B turned the first record around before it was stored
// A group becomes a FlowRecord again only when it is printed or written.
class RecordStore {
public:
    // Appends `rec` as a new group; its number is size() - 1. `turned`: -B reversed it.
    void Append(const FlowRecord& rec, bool turned = false) {
        const FlowRecord* r = &rec;
        std::optional<FlowRecord> full;  // copied only when needed, never default-filled
        uint64_t missing = 0;
        if (!rec.Has(kExGenericFlow) || !rec.Has(kExCntFlow)) {
            missing =
                (rec.Has(kExGenericFlow) ? 0 : kNoGeneric) | (rec.Has(kExCntFlow) ? 0 : kNoCnt);
            full.emplace(rec);
            full->Set(kExGenericFlow);
            full->Set(kExCntFlow);
            r = &*full;
        }
        uint8_t* p = Room();
        const size_t n = nffile::EncodeV3(*r, p);
        // The counter element follows the generic flow, address and misc elements: its
        // offset is below 256 (12 + 52 + 36 + 20 + 4 at most).
        size_t off = nffile::kV3HeaderSize;
        while (nffile::Load16(p + off) != kExCntFlow) off += nffile::Load16(p + off + 2);
        off += nffile::kElementHeaderSize;
        Commit(n, off, missing | (turned ? kTurned : 0));
    }

    // Appends `rec` as a new group like Append(), from `stored`, the bytes of the V3 record
    // `rec` was decoded from alone (NfFileReader::StoredRecord), copied instead of encoded
    // again. The copy puts the generic flow element first and the address element after it,
    // where Merge() and FiveTuple() look for them (nfcapd writes the address first), and the
    // other elements after them in their order; its counters, times and flags are set from
    // `rec` (its flow count to `flows`), and a counter element is added when the record has
    // none. False, and nothing appended, when the record has no generic flow element, two
    // address elements or a counter element beyond its first 256 bytes; Append() takes those.
    bool AppendStored(const FlowRecord& rec, uint64_t flows, std::span<const uint8_t> stored) {
        using nffile::kElementHeaderSize;
        using nffile::kV3HeaderSize;
        using nffile::Load16;
        const uint8_t* s = stored.data();
        const size_t len = stored.size();
        constexpr size_t kGenericLength = kElementHeaderSize + kGenericBytes;
        constexpr size_t kCntLength = kElementHeaderSize + 24;
        if (len < kV3HeaderSize + kGenericLength ||
            len > nffile::kMaxV3RecordSize - kCntLength) {
            return false;
        }
        const uint16_t count = Load16(s + 4);
        size_t generic = 0;  // offsets in `s` of these elements, 0: none
        size_t address = 0;
        size_t address_length = 0;
        size_t cnt = 0;
        size_t off = kV3HeaderSize;
        for (uint16_t i = 0; i < count; ++i) {
            // An element past the end fails here or at the end (off != len).
            if (off + kElementHeaderSize > len) return false;
            const uint32_t head = nffile::Load32(s + off);  // id, then length
            const uint16_t elen = static_cast<uint16_t>(head >> 16);
            if (elen < kElementHeaderSize) return false;
            switch (static_cast<uint16_t>(head)) {
                case kExGenericFlow:
                    if (elen != kGenericLength || generic != 0) return false;
                    generic = off;
                    break;
                case kExIpv4Flow:
                case kExIpv6Flow:
                    if (address != 0) return false;
                    address = off;
                    address_length = elen;
                    break;
                case kExCntFlow:
                    if (elen != kCntLength || cnt != 0) return false;
                    cnt = off;
                    break;
                default:
                    break;
            }
            off += elen;
        }
        // The address element decoded is the one stored (a record can carry both families).
        const uint64_t family = address != 0 ? uint64_t{1} << Load16(s + address) : 0;
        if (off != len || generic == 0 ||
            (rec.present & (uint64_t{1} << kExIpv4Flow | uint64_t{1} << kExIpv6Flow)) != family) {
            return false;
        }
        // An element before the generic flow or address element moves up by its length.
        auto moved = [&](size_t at) {
            return at + (generic > at ? kGenericLength : 0) + (address > at ? address_length : 0);
        };
        const size_t cnt_at = (cnt != 0 ? moved(cnt) : len) + kElementHeaderSize;
        if (cnt_at > 0xff) return false;

        uint8_t* p = Room();
        std::memcpy(p, s, kV3HeaderSize);
        std::memcpy(p + kV3HeaderSize, s + generic, kGenericLength);
        size_t n = kV3HeaderSize + kGenericLength;
        if (address != 0) {
            std::memcpy(p + n, s + address, address_length);
            n += address_length;
        }
        // The rest in its order: the runs around the two elements taken out.
        size_t run = kV3HeaderSize;
        for (size_t cut : {std::min(generic, address != 0 ? address : generic),
                           std::max(generic, address)}) {
            if (cut < run) continue;
            std::memcpy(p + n, s + run, cut - run);
            n += cut - run;
            run = cut + (cut == generic ? kGenericLength : address_length);
        }
        std::memcpy(p + n, s + run, len - run);
        n += len - run;
        uint64_t missing = 0;
        if (cnt == 0) {
            nffile::Store16(p + n, kExCntFlow);
            nffile::Store16(p + n + 2, kCntLength);
            n += kCntLength;
            nffile::Store16(p + 2, static_cast<uint16_t>(n));
            nffile::Store16(p + 4, static_cast<uint16_t>(count + 1));
            missing = kNoCnt;
        }
        uint8_t* g = p + kGenericPayload;
        nffile::Store64(g, rec.first_ms);
        nffile::Store64(g + 8, rec.last_ms);
        nffile::Store64(g + 24, rec.packets);
        nffile::Store64(g + 32, rec.bytes);
        g[45] = rec.tcp_flags;
        nffile::Store64(p + cnt_at, flows);
        nffile::Store64(p + cnt_at + 8, rec.out_packets);
        nffile::Store64(p + cnt_at + 16, rec.out_bytes);
        Commit(n, cnt_at, missing);
        return true;
    }

    size_t size() const { return handles_.size(); }
    // Batched lookups load a group's memory ahead of its probe in two steps: its handle,
    void PrefetchHandle(size_t i) const { detail::Prefetch(&handles_[i]); }
    // then (a few records later) the lines of its record that FiveTuple() and Merge() touch.
    void PrefetchRecord(size_t i) const {
        const uint64_t h = handles_[i];
        const uint8_t* p = Record(h);
        detail::Prefetch(p);
        detail::Prefetch(p + 64);
        detail::Prefetch(p + (h >> 48 & 0xff) + 23);  // the end of the counters
    }
    // True when -B reversed group `i`'s first record before storing it.
    bool FirstTurned(size_t i) const { return (handles_[i] & kTurned) != 0; }
    size_t memory_bytes() const {
        return chunks_.size() * kChunkBytes + handles_.capacity() * sizeof(uint64_t);
    }
    // The bytes of all groups' records, and memory_bytes() of a store that held `groups`
    // groups of `bytes` bytes, at most (Aggregator::joined_memory_bound()).
    size_t stored_bytes() const { return stored_bytes_; }
    static size_t MemoryBound(size_t groups, size_t bytes) {
        if (groups == 0) return 0;
        // A chunk is left when its next record might not fit: each holds more than
        // kChunkBytes - kMaxV3RecordSize bytes but the last; handles_ doubles from 1.
        const size_t chunks = bytes / (kChunkBytes - nffile::kMaxV3RecordSize) + 1;
        return chunks * kChunkBytes + std::bit_ceil(groups) * sizeof(uint64_t);
    }

    // Adds `rec` to group `i`; `reversed`: rec runs the other way (its in and out counters
    // swap). TCP flags are OR-ed when `or_flags`.
    void Merge(size_t i, const FlowRecord& rec, bool reversed, bool or_flags) {
        const uint64_t h = handles_[i];
        uint8_t* p = Record(h);
        uint8_t* g = p + kGenericPayload;
        uint8_t* c = p + (h >> 48 & 0xff);
        Add64(c, rec.flows != 0 ? rec.flows : 1);
        Add64(g + 24, reversed ? rec.out_packets : rec.packets);
        Add64(g + 32, reversed ? rec.out_bytes : rec.bytes);
        Add64(c + 8, reversed ? rec.packets : rec.out_packets);
        Add64(c + 16, reversed ? rec.bytes : rec.out_bytes);
        if (rec.first_ms < nffile::Load64(g)) nffile::Store64(g, rec.first_ms);
        if (rec.last_ms > nffile::Load64(g + 8)) nffile::Store64(g + 8, rec.last_ms);
        if (or_flags) g[45] |= rec.tcp_flags;
    }

    // The five-tuple key of group `i` as Pack() makes it, read from its first record.
    void FiveTuple(size_t i, uint64_t* key) const {
        const uint8_t* p = Record(handles_[i]);
        const uint8_t* g = p + kGenericPayload;
        key[4] =
            uint64_t{nffile::Load16(g + 40)} << 32 | uint64_t{nffile::Load16(g + 42)} << 16 | g[44];
        // The address element, when there is one, follows the generic flow element.
        const size_t off = kGenericPayload + kGenericBytes;
        const uint16_t id = off < nffile::Load16(p + 2) ? nffile::Load16(p + off) : 0;
        const uint8_t* a = p + off + nffile::kElementHeaderSize;
        if (id == kExIpv4Flow) {
            key[0] = 0;
            key[1] = nffile::Load32(a);
            key[2] = 0;
            key[3] = nffile::Load32(a + 4);
        } else if (id == kExIpv6Flow) {
            key[0] = nffile::Load64(a);
            key[1] = nffile::Load64(a + 8);
            key[2] = nffile::Load64(a + 16);
            key[3] = nffile::Load64(a + 24);
        } else {
            key[0] = key[1] = key[2] = key[3] = 0;
        }
    }

    GroupCounters Counters(size_t i) const {
        const uint64_t h = handles_[i];
        const uint8_t* p = Record(h);
        const uint8_t* g = p + kGenericPayload;
        const uint8_t* c = p + (h >> 48 & 0xff);
        GroupCounters out;
        out.flows = nffile::Load64(c);
        out.packets = nffile::Load64(g + 24);
        out.bytes = nffile::Load64(g + 32);
        out.out_packets = nffile::Load64(c + 8);
        out.out_bytes = nffile::Load64(c + 16);
        out.first_ms = nffile::Load64(g);
        out.last_ms = nffile::Load64(g + 8);
        return out;
    }

    // Group `i` as a record: the first record's fields with the group's counters.
    void Materialize(size_t i, FlowRecord* out) const {
        const uint64_t h = handles_[i];
        const uint8_t* p = Record(h);
        ReadCounters unused;
        const char* error = nullptr;
        const nffile::Decoded d =
            nffile::DecodeV3(p, nffile::Load16(p + 2), nffile::V3Options{}, out, &unused, &error);
        assert(d == nffile::Decoded::kFlow);
        (void)d;
        // The decoder gives event records without a start time the event time; the group's
        // times are what was stored.
        out->first_ms = nffile::Load64(p + kGenericPayload);
        out->last_ms = nffile::Load64(p + kGenericPayload + 8);
        if (h & kNoGeneric) out->Unset(kExGenericFlow);
        if (h & kNoCnt) out->Unset(kExCntFlow);
    }

private:
    static constexpr size_t kChunkBits = 22;
    static constexpr size_t kChunkBytes = size_t{1} << kChunkBits;
    static constexpr uint64_t kNoGeneric = uint64_t{1} << 56;
    static constexpr uint64_t kNoCnt = uint64_t{1} << 57;
    static constexpr uint64_t kTurned = uint64_t{1} << 58;
    // EncodeV3 writes the generic flow element first.
    static constexpr size_t kGenericPayload = nffile::kV3HeaderSize + nffile::kElementHeaderSize;
    static constexpr size_t kGenericBytes = 48;  // its payload
    static_assert(nffile::kMaxV3RecordSize <= kChunkBytes);

    static void Add64(uint8_t* p, uint64_t v) { nffile::Store64(p, nffile::Load64(p) + v); }

    uint8_t* Record(uint64_t h) {
        return chunks_[(h & kOffsetMask) >> kChunkBits].get() + (h & (kChunkBytes - 1));
    }
    const uint8_t* Record(uint64_t h) const {
        return chunks_[(h & kOffsetMask) >> kChunkBits].get() + (h & (kChunkBytes - 1));
    }
    static constexpr uint64_t kOffsetMask = (uint64_t{1} << 48) - 1;

    // Where the next group's record goes, with room for the largest record rather than its
    // size (sizing first walked the elements twice per group).
    uint8_t* Room() {
        if (chunks_.empty() || used_ + nffile::kMaxV3RecordSize > kChunkBytes) NewChunk();
        return chunks_.back().get() + used_;
    }
    [[gnu::noinline]] void NewChunk() {
        chunks_.push_back(std::make_unique_for_overwrite<uint8_t[]>(kChunkBytes));
        used_ = 0;
    }
    // Makes the `n` bytes written at Room() a group: `cnt_at`, the offset of its counter
    // element's payload, and `flags` (kNoGeneric, kNoCnt, kTurned) go into its handle.
    void Commit(size_t n, size_t cnt_at, uint64_t flags) {
        const uint64_t where = (chunks_.size() - 1) << kChunkBits | used_;
        handles_.push_back(where | uint64_t{cnt_at} << 48 | flags);
        used_ += n;
        stored_bytes_ += n;
    }

    std::vector<std::unique_ptr<uint8_t[]>> chunks_;
    size_t used_ = 0;  // bytes used in the last chunk
    size_t stored_bytes_ = 0;
    std::vector<uint64_t> handles_;
};

// The group index: keys of `words` words each, back to back in chunks of kChunkEntries keys
// in the order the groups were made (so a key's entry number is its group's index), and an
// open-addressing table of 8-byte slots (32 hash bits, entry + 1) at most half full. Only the
// words a key list needs are hashed, compared and stored. Chunks, unlike one doubling
// vector, never copy the keys nor hold twice their size while growing. Five-tuple keys are
// not stored at all: they are read back from the groups' first records.
// Aggregator::Add() loads a record's home slot, then the entry it names, some records ahead
// of its probe (Impl's queue), so that these cache misses overlap.
// TODO: with about one five-tuple group per flow (-s record, -a, -b: 9.7M groups of 10M
// flows) the slot table reaches 256 MB and the records 1.5 GB, in 4 KiB pages. perf puts
// about a fifth of -s record/bytes right after the prefetches of the home slot (Enqueue())
// and of the record (Prefetch()), most likely the page walks of their TLB misses; page
// faults take about 1 s of system time at 10M, the reader and AppendStored() most of the
// rest.
// Transparent huge pages (madvise) for these tables saved 0.5 s of user time but cost 3 s
// more of system time clearing the huge pages on the benchmark machine (a VM); populating
// each 4 MiB record chunk in one madvise(MADV_POPULATE_WRITE) call and sizing the slot
// table from the files' flow counts (fewer rehashes) saved nothing measurable there.
class KeyIndex {
public:
    // Keys of `words` words, kept in the index.
    explicit KeyIndex(size_t words) : words_(words) { slots_.assign(1024, 0); }
    // Five-tuple keys of the groups in `records` (entry i is group i), which must outlive
    // the index; the caller appends a group's record when FindOrAdd() adds its key.
    explicit KeyIndex(const RecordStore* records) : words_(5), records_(records) {
        slots_.assign(1024, 0);
    }

    // The hash of key `k`.
    uint64_t Hash(const uint64_t* k) const {
        uint64_t h = 0x9e3779b97f4a7c15ULL;
        for (size_t i = 0; i < words_; ++i) h = detail::Mix64(h ^ k[i]) + 0x632be59bd9b4e019ULL;
        return h;
    }

    // Entry + 1 of the key whose Hash() is `h`, or 0.
    uint32_t Find(const uint64_t* k, uint64_t h) const { return Probe(k, h).second; }

    // Entry + 1 of the key whose Hash() is `h`; when absent it is added as the next entry and
    // *added is set.
    uint32_t FindOrAdd(const uint64_t* k, uint64_t h, bool* added) {
        if ((count_ + 1) * 2 > slots_.size()) Grow();
        auto [pos, entry] = Probe(k, h);
        *added = entry == 0;
        if (entry != 0) return entry;
        if (records_ == nullptr) {
            if ((count_ & (kChunkEntries - 1)) == 0) {
                chunks_.push_back(
                    std::make_unique_for_overwrite<uint64_t[]>(kChunkEntries * words_));
            }
            std::memcpy(Slot(count_), k, words_ * sizeof(uint64_t));
        }
        ++count_;
        slots_[pos] = (h >> 32) << 32 | count_;
        return static_cast<uint32_t>(count_);
    }

    // A batched lookup's first step: loads the home slot of the key whose Hash() is `h`.
    void PrefetchSlot(uint64_t h) const {
        detail::Prefetch(&slots_[(h >> 32) & (slots_.size() - 1)]);
    }
    // Its second: the entry + 1 of the first slot with the key's hash bits (0: none), a guess
    // that is nearly always the key's entry (the 32 bits rarely match another key) and only
    // says what to load next: the probe still compares the key.
    uint32_t Candidate(uint64_t h) const {
        const size_t mask = slots_.size() - 1;
        const uint64_t tag = h >> 32;
        for (size_t i = tag & mask;; i = (i + 1) & mask) {
            const uint64_t s = slots_[i];
            if (s == 0) return 0;
            if ((s >> 32) == tag) return static_cast<uint32_t>(s);
        }
    }
    // Loads the words of entry `i` (0-based). Requires: keys kept in the index.
    void PrefetchKey(size_t i) const {
        const uint64_t* k = Key(i);
        detail::Prefetch(k);
        detail::Prefetch(k + words_ - 1);
    }

    // The slot table's bytes once `count` keys were added.
    static size_t SlotBytes(size_t count) {
        size_t slots = 1024;
        while (count * 2 > slots) slots *= 2;
        return slots * sizeof(uint64_t);
    }
    size_t memory_bytes() const {
        return slots_.capacity() * sizeof(uint64_t) +
               chunks_.size() * kChunkEntries * words_ * sizeof(uint64_t);
    }
    // The words of entry `i` (0-based). Requires: keys kept in the index.
    const uint64_t* Key(size_t i) const {
        return chunks_[i / kChunkEntries].get() + (i % kChunkEntries) * words_;
    }

private:
    static constexpr size_t kTupleWords = 5;

    // Whether entry `i` holds key `k`.
    bool Equal(size_t i, const uint64_t* k) const {
        if (records_ == nullptr) return std::memcmp(Key(i), k, words_ * sizeof(uint64_t)) == 0;
        uint64_t t[kTupleWords];
        records_->FiveTuple(i, t);
        return std::memcmp(t, k, sizeof(t)) == 0;
    }

    static constexpr size_t kChunkEntries = size_t{1} << 15;

    uint64_t* Slot(size_t i) {
        return chunks_[i / kChunkEntries].get() + (i % kChunkEntries) * words_;
    }

    // The slot of the key (or the empty slot where it would go) and its entry + 1 (0 when
    // absent). A key's home slot comes from the 32 hash bits its slot keeps, so that Grow()
    // moves slots without reading keys (for five-tuple keys, a cache miss into a record
    // each).
    std::pair<size_t, uint32_t> Probe(const uint64_t* k, uint64_t h) const {
        const size_t mask = slots_.size() - 1;
        const uint64_t tag = h >> 32;
        for (size_t i = tag & mask;; i = (i + 1) & mask) {
            const uint64_t s = slots_[i];
            if (s == 0) return {i, 0};
            const uint32_t entry = static_cast<uint32_t>(s);
            if ((s >> 32) == tag && Equal(entry - 1, k)) return {i, entry};
        }
    }

    void Grow() {
        std::vector<uint64_t> old;
        old.swap(slots_);
        slots_.assign(old.size() * 2, 0);
        const size_t mask = slots_.size() - 1;
        for (uint64_t s : old) {
            if (s == 0) continue;
            size_t i = (s >> 32) & mask;
            while (slots_[i] != 0) i = (i + 1) & mask;
            slots_[i] = s;
        }
    }

    size_t words_;
    const RecordStore* records_ = nullptr;  // five-tuple keys: read from the groups
    size_t count_ = 0;
    std::vector<uint64_t> slots_;
    std::vector<std::unique_ptr<uint64_t[]>> chunks_;
};

// Words of the packed key for `spec`: the five-tuple's 5, or one per -A field (two per
// address, three per network) and a last word of address families.
size_t KeyWords(const AggregateSpec& spec) {
    if (spec.five_tuple || spec.bidirectional) return 5;
    size_t words = 1;
    for (const AggKeySpec& k : spec.keys) {
        const bool net = k.field == AggField::kSrcNet || k.field == AggField::kDstNet;
        const bool address = k.field == AggField::kSrcIp || k.field == AggField::kDstIp ||
                             k.field == AggField::kRouter || k.field == AggField::kNextHop ||
                             k.field == AggField::kBgpNextHop || k.field == AggField::kXlateSrcIp ||
                             k.field == AggField::kXlateDstIp;
        words += net ? 3 : address ? 2 : 1;
    }
    return std::min(words, kKeyWords);
}

// nfdump 1.7.1's masks: the v4 mask works on the low 64 bits of any address, the v6 mask on
// both halves (spec 2.6 quirk), so mixed families come out odd exactly as there. Given both
// (srcip4/24,srcip6/64), each mask applies to its own family's addresses only.
// Inlined into Pack(), as Network() is: called, its result went through the stack and the
// 16-byte reload waited for the two 8-byte stores (about a tenth of -A srcip,dstip's time).
[[gnu::always_inline]] inline IpAddr Masked(IpAddr a, const AggKeySpec& k, bool v6) {
    const bool both = k.v4_bits > 0 && k.v6_bits > 0;
    if (k.v4_bits > 0 && !(both && v6)) a.lo &= ~uint64_t{0} << (32 - k.v4_bits);
    if (k.v6_bits > 0 && !(both && !v6)) {
        if (k.v6_bits <= 64) {
            a.hi &= k.v6_bits == 64 ? ~uint64_t{0} : ~uint64_t{0} << (64 - k.v6_bits);
            a.lo = 0;
        } else {
            a.lo &= ~uint64_t{0} << (128 - k.v6_bits);
        }
    }
    return a;
}

}  // namespace

std::string AggregateSpec::AutoFormat() const {
    std::string fmt = "fmt:%ts %td ";
    for (const AggKeySpec& k : keys) {
        fmt += ' ';
        fmt += Info(k.field).token;
    }
    fmt += "  %pkt %byt %bps %bpp %fl";
    return fmt;
}

Result<AggregateSpec> ParseAggregateSpec(std::string_view arg) {
    AggregateSpec spec;
    if (arg.size() > kMaxKeyText)
        return Status::InvalidArgument("Aggregate mask format length error");
    std::string all = Lower(arg);
    size_t pos = 0;
    while (pos <= all.size()) {
        size_t comma = all.find(',', pos);
        if (comma == std::string::npos) comma = all.size();
        std::string word = all.substr(pos, comma - pos);
        pos = comma + 1;
        if (word.empty()) continue;

        std::string name = word;
        int bits = -1;
        size_t slash = word.find('/');
        if (slash != std::string::npos) {
            name = word.substr(0, slash);
            bits = std::atoi(word.c_str() + slash + 1);
        }
        AggKeySpec k;
        char family = 0;
        if ((name == "srcip4" || name == "dstip4" || name == "srcip6" || name == "dstip6")) {
            family = name.back();
            if (bits < 0) {
                return Status::InvalidArgument("'" + name +
                                               "' needs number of subnet bits to aggregate");
            }
            name.pop_back();
            int max = family == '4' ? 32 : 128;
            if (bits < 1 || bits > max) {
                return Status::InvalidArgument("Subnet mask length '" + std::to_string(bits) +
                                               "' out of range for IPv" + family);
            }
            (family == '4' ? k.v4_bits : k.v6_bits) = bits;
        } else if (bits >= 0) {
            return Status::InvalidArgument(
                "Need src4/dst4 or src6/dst6 for IPv4 or IPv6 to "
                "aggregate with explicit netmask: '" +
                word + "'");
        }
        const FieldInfo* info = nullptr;
        for (const FieldInfo& f : kFields) {
            if (name == f.name) info = &f;
        }
        if (info == nullptr) {
            return Status::InvalidArgument("Unknown aggregation field '" + word + "'");
        }
        k.field = info->field;
        bool merged = false;
        for (AggKeySpec& prev : spec.keys) {
            if (prev.field != k.field) continue;
            // srcip4/N and srcip6/M name one key with a mask per family.
            if (family == '4' && prev.v4_bits == 0 && prev.v6_bits > 0) {
                prev.v4_bits = k.v4_bits;
                merged = true;
            } else if (family == '6' && prev.v6_bits == 0 && prev.v4_bits > 0) {
                prev.v6_bits = k.v6_bits;
                merged = true;
            } else {
                return Status::InvalidArgument(std::string("Duplicate aggregation mask: ") +
                                               info->name);
            }
        }
        if (!merged) spec.keys.push_back(k);
    }
    if (spec.keys.empty()) return Status::InvalidArgument("Unknown aggregation field ''");
    size_t words = 1;
    for (const AggKeySpec& k : spec.keys) {
        const bool net = k.field == AggField::kSrcNet || k.field == AggField::kDstNet;
        words += Info(k.field).address ? (net ? 3 : 2) : 1;
    }
    if (words > kKeyWords) return Status::InvalidArgument("Aggregate mask format length error");
    return spec;
}

Result<RecordOrderSpec> ParseRecordOrder(std::string_view arg) {
    static const std::pair<const char*, RecordOrder> kNames[] = {
        {"flows", RecordOrder::kFlows},       {"packets", RecordOrder::kPackets},
        {"ipkg", RecordOrder::kInPackets},    {"opkg", RecordOrder::kOutPackets},
        {"bytes", RecordOrder::kBytes},       {"ibyte", RecordOrder::kInBytes},
        {"obyte", RecordOrder::kOutBytes},    {"pps", RecordOrder::kPps},
        {"bps", RecordOrder::kBps},           {"bpp", RecordOrder::kBpp},
        {"ipps", RecordOrder::kInPps},        {"opps", RecordOrder::kOutPps},
        {"ibps", RecordOrder::kInBps},        {"obps", RecordOrder::kOutBps},
        {"ibpp", RecordOrder::kInBpp},        {"obpp", RecordOrder::kOutBpp},
        {"tstart", RecordOrder::kTstart},     {"tend", RecordOrder::kTend},
        {"duration", RecordOrder::kDuration},
    };
    std::string word = Lower(arg);
    RecordOrderSpec spec;
    std::string name = word.substr(0, word.find(':'));
    int direction = 0;  // 0 = the order's default
    if (name.size() != word.size()) {
        std::string dir = word.substr(name.size() + 1);
        if (dir == "a") {
            direction = 1;
        } else if (dir == "d") {
            direction = -1;
        } else {
            return Status::InvalidArgument("Unknown print order '" + name + "'");
        }
    }
    for (const auto& [n, o] : kNames) {
        if (name == n) spec.order = o;
    }
    if (spec.order == RecordOrder::kNone) {
        return Status::InvalidArgument("Unknown print order '" + std::string(arg) + "'");
    }
    bool default_asc = spec.order == RecordOrder::kTstart || spec.order == RecordOrder::kTend;
    spec.ascending = direction == 0 ? default_asc : direction > 0;
    return spec;
}

std::vector<RecordOrderSpec> RecordOrders(const StatSpec& spec) {
    std::vector<RecordOrderSpec> out;
    for (const OrderSpec& o : spec.orders) {
        RecordOrder r = RecordOrder::kFlows;
        switch (o.order) {
            case StatOrder::kFlows:
                r = RecordOrder::kFlows;
                break;
            case StatOrder::kPackets:
                r = RecordOrder::kPackets;
                break;
            case StatOrder::kInPackets:
                r = RecordOrder::kInPackets;
                break;
            case StatOrder::kOutPackets:
                r = RecordOrder::kOutPackets;
                break;
            case StatOrder::kBytes:
                r = RecordOrder::kBytes;
                break;
            case StatOrder::kInBytes:
                r = RecordOrder::kInBytes;
                break;
            case StatOrder::kOutBytes:
                r = RecordOrder::kOutBytes;
                break;
            case StatOrder::kPps:
                r = RecordOrder::kPps;
                break;
            case StatOrder::kInPps:
                r = RecordOrder::kInPps;
                break;
            case StatOrder::kOutPps:
                r = RecordOrder::kOutPps;
                break;
            case StatOrder::kBps:
                r = RecordOrder::kBps;
                break;
            case StatOrder::kInBps:
                r = RecordOrder::kInBps;
                break;
            case StatOrder::kOutBps:
                r = RecordOrder::kOutBps;
                break;
            case StatOrder::kBpp:
                r = RecordOrder::kBpp;
                break;
            case StatOrder::kInBpp:
                r = RecordOrder::kInBpp;
                break;
            case StatOrder::kOutBpp:
                r = RecordOrder::kOutBpp;
                break;
        }
        out.push_back(RecordOrderSpec{r, o.ascending});
    }
    return out;
}

const char* RecordOrderName(RecordOrder order) {
    switch (order) {
        case RecordOrder::kNone:
            return "";
        case RecordOrder::kFlows:
            return "flows";
        case RecordOrder::kPackets:
            return "packets";
        case RecordOrder::kInPackets:
            return "ipkg";
        case RecordOrder::kOutPackets:
            return "opkg";
        case RecordOrder::kBytes:
            return "bytes";
        case RecordOrder::kInBytes:
            return "ibyte";
        case RecordOrder::kOutBytes:
            return "obyte";
        case RecordOrder::kPps:
            return "pps";
        case RecordOrder::kInPps:
            return "ipps";
        case RecordOrder::kOutPps:
            return "opps";
        case RecordOrder::kBps:
            return "bps";
        case RecordOrder::kInBps:
            return "ibps";
        case RecordOrder::kOutBps:
            return "obps";
        case RecordOrder::kBpp:
            return "bpp";
        case RecordOrder::kInBpp:
            return "ibpp";
        case RecordOrder::kOutBpp:
            return "obpp";
        case RecordOrder::kTstart:
            return "tstart";
        case RecordOrder::kTend:
            return "tend";
        case RecordOrder::kDuration:
            return "duration";
    }
    return "";
}

// Entries kept in fixed chunks of 2^14, so that growing never copies them nor holds them
// twice (a doubling vector of 378k -A groups peaked at 1.5 times their size while moving).
template <class T>
class ChunkedVector {
public:
    void push_back(const T& v) {
        if ((size_ & (kChunk - 1)) == 0) chunks_.push_back(std::make_unique<T[]>(kChunk));
        chunks_.back()[size_ & (kChunk - 1)] = v;
        ++size_;
    }
    T& operator[](size_t i) { return chunks_[i / kChunk][i & (kChunk - 1)]; }
    const T& operator[](size_t i) const { return chunks_[i / kChunk][i & (kChunk - 1)]; }
    size_t size() const { return size_; }
    size_t memory_bytes() const {
        return chunks_.size() * kChunk * sizeof(T) + chunks_.capacity() * sizeof(void*);
    }

private:
    static constexpr size_t kChunk = size_t{1} << 14;
    std::vector<std::unique_ptr<T[]>> chunks_;
    size_t size_ = 0;
};

// An -A group as it is counted: the elements its record will carry and the counters; the
// key fields live in the index's arena and are unpacked only for the groups printed.
struct CompactGroup : GroupCounters {
    uint64_t present = 0;
};

struct Aggregator::Impl {
    explicit Impl(AggregateSpec s)
        : spec(std::move(s)),
          compact(!spec.five_tuple && !spec.bidirectional && !spec.each_record),
          index(compact ? KeyIndex(KeyWords(spec)) : KeyIndex(&records)),
          key_elements(KeyElements(spec)) {
        if (!compact) queued_records = std::make_unique<FlowRecord[]>(kQueue);
        if (!compact && !spec.bidirectional) {
            queued_stored = std::make_unique_for_overwrite<uint8_t[]>(kQueue *
                                                                      nffile::kMaxV3RecordSize);
        }
    }
    AggregateSpec spec;
    bool compact;           // -A: groups kept as CompactGroup, else in `records`
    RecordStore records;    // -a, -b, -B, -s record, -O (before `index`, which reads it)
    KeyIndex index;         // key -> group number + 1
    uint64_t key_elements;  // KeyElements(spec)
    size_t key_words = KeyWords(spec);
    ChunkedVector<CompactGroup> cgroups;
    mutable std::vector<FlowRecord> materialized;  // what Groups() last returned

    // Add() queues each record for kQueue records before it is counted, so that the memory
    // its probe and its group will touch (with millions of groups, cache misses in tables of
    // tens of MB) is loaded meanwhile: its home slot when it is queued, the entry that slot
    // names kCandidateAt records later, and (five-tuple keys, read from the groups' records)
    // that entry's record kRecordAt records later. Records are counted in the order they
    // came, so groups are made in first-seen order exactly as without the queue. Everything
    // that reads the groups counts the queue first (Drain()).
    static constexpr size_t kQueue = 16;  // a power of two
    static constexpr size_t kCandidateAt = 6;
    static constexpr size_t kRecordAt = 11;
    struct Queued {
        PackedKey key;         // the words the index uses
        uint64_t hash = 0;     // of key
        uint64_t rkey[5] = {};  // -b/-B: the reversed five-tuple, when pairable
        uint64_t rhash = 0;
        uint32_t candidate = 0;  // KeyIndex::Candidate() of key, and of rkey
        uint32_t rcandidate = 0;
        bool pairable = false;  // -b/-B: a TCP or UDP flow, looked up both ways
        bool turned = false;    // -B reversed the record
        uint64_t seq = 0;       // shares: the record's number among those offered
        CompactGroup group;     // -A: the counters the record adds
    };
    std::unique_ptr<Queued[]> queue = std::make_unique<Queued[]>(kQueue);
    // Five-tuple keys (-a, -b, -s record): the queued records themselves (a new group stores
    // its first record whole), and for -a and -s record, the bytes of each as its file
    // stores them (Add()'s `stored`; kMaxV3RecordSize apart, length 0: none), which a new
    // group copies instead of encoding the record again.
    std::unique_ptr<FlowRecord[]> queued_records;
    std::unique_ptr<uint8_t[]> queued_stored;
    uint16_t queued_stored_len[kQueue] = {};
    uint64_t queued = 0;   // records queued so far
    uint64_t counted = 0;  // of them, counted into the groups

    // Shares (Offer()): this one takes the keys whose hash falls in `share` of `shares`.
    // `offered` counts the records offered to all shares, and first_seen[i] is the number of
    // the record that made group i (rising with i): the place the group would have among
    // the groups of one aggregator given every record, which ranks ties across shares.
    unsigned share = 0;
    unsigned shares = 1;
    uint64_t offered = 0;
    std::vector<uint64_t> first_seen;
    std::vector<std::unique_ptr<Impl>> joined;  // the other shares, after Join()

    // Whether five-tuple key `k` falls in this share. Every share tests every record: a
    // hash of independent multiplies, a few cycles where Hash()'s chain of mixes takes tens
    // (and is made only for the records kept).
    bool InShare(const uint64_t* k) const {
        uint64_t m = k[0] * 0x9e3779b97f4a7c15ULL + k[1] * 0xc2b2ae3d27d4eb4fULL +
                     k[2] * 0x165667b19e3779f9ULL + k[3] * 0xd6e8feb86659fd93ULL +
                     k[4] * 0xff51afd7ed558ccdULL;
        m ^= m >> 29;
        m *= 0xbf58476d1ce4e5b9ULL;
        return ((m >> 32) * shares) >> 32 == share;
    }

    // Queues `rec` (and `stored`, see queued_stored) as record number `queued` and starts
    // loading its home slot(s). `tuple`: its five-tuple key already packed, whose hash is
    // `hash` (shares; not -b/-B).
    void Enqueue(const FlowRecord& rec, std::span<const uint8_t> stored,
                 const uint64_t* tuple = nullptr, uint64_t hash = 0);
    // The next memory steps of the queued records kCandidateAt and kRecordAt back.
    void Prefetch();
    // Counts the oldest queued record into its group.
    void CountOldest();
    void Drain() {
        while (counted < queued) CountOldest();
        for (const std::unique_ptr<Impl>& j : joined) j->Drain();
    }
    size_t groups() const { return compact ? cgroups.size() : records.size(); }

    // The record of compact group `i`: its key fields unpacked from the arena (the inverse
    // of Pack), its elements and counters.
    FlowRecord Materialize(size_t i) const {
        const CompactGroup& c = cgroups[i];
        FlowRecord g;
        g.present = c.present;
        g.flows = c.flows;
        g.packets = c.packets;
        g.bytes = c.bytes;
        g.out_packets = c.out_packets;
        g.out_bytes = c.out_bytes;
        g.first_ms = c.first_ms;
        g.last_ms = c.last_ms;
        const uint64_t* w = index.Key(i);
        auto addr = [&]() {
            IpAddr a{w[0], w[1]};
            w += 2;
            return a;
        };
        for (const AggKeySpec& k : spec.keys) {
            switch (k.field) {
                case AggField::kProto:
                    g.proto = static_cast<uint8_t>(*w++);
                    break;
                case AggField::kSrcPort:
                    g.src_port = static_cast<uint16_t>(*w++);
                    break;
                case AggField::kDstPort:
                    g.dst_port = static_cast<uint16_t>(*w++);
                    break;
                case AggField::kSrcAs:
                    g.src_as = static_cast<uint32_t>(*w++);
                    break;
                case AggField::kDstAs:
                    g.dst_as = static_cast<uint32_t>(*w++);
                    break;
                case AggField::kInIf:
                    g.input = static_cast<uint32_t>(*w++);
                    break;
                case AggField::kOutIf:
                    g.output = static_cast<uint32_t>(*w++);
                    break;
                case AggField::kSrcTos:
                case AggField::kTos:
                    g.src_tos = static_cast<uint8_t>(*w++);
                    break;
                case AggField::kDstTos:
                    g.dst_tos = static_cast<uint8_t>(*w++);
                    break;
                case AggField::kSrcVlan:
                    g.src_vlan = static_cast<decltype(g.src_vlan)>(*w++);
                    break;
                case AggField::kDstVlan:
                    g.dst_vlan = static_cast<decltype(g.dst_vlan)>(*w++);
                    break;
                case AggField::kSrcMask:
                    g.src_mask = static_cast<uint8_t>(*w++);
                    break;
                case AggField::kDstMask:
                    g.dst_mask = static_cast<uint8_t>(*w++);
                    break;
                case AggField::kNextAs:
                    g.next_as = static_cast<uint32_t>(*w++);
                    break;
                case AggField::kPrevAs:
                    g.prev_as = static_cast<uint32_t>(*w++);
                    break;
                case AggField::kMpls1:
                case AggField::kMpls2:
                case AggField::kMpls3:
                case AggField::kMpls4:
                case AggField::kMpls5:
                case AggField::kMpls6:
                case AggField::kMpls7:
                case AggField::kMpls8:
                case AggField::kMpls9:
                case AggField::kMpls10:
                    g.mpls[MplsIndex(k.field)] = static_cast<uint32_t>(*w++);
                    break;
                case AggField::kInSrcMac:
                    g.in_src_mac = *w++;
                    break;
                case AggField::kOutDstMac:
                    g.out_dst_mac = *w++;
                    break;
                case AggField::kInDstMac:
                    g.in_dst_mac = *w++;
                    break;
                case AggField::kOutSrcMac:
                    g.out_src_mac = *w++;
                    break;
                case AggField::kObsDomain:
                    g.observation_domain = static_cast<uint32_t>(*w++);
                    break;
                case AggField::kObsPoint:
                    g.observation_point = *w++;
                    break;
                case AggField::kXlateSrcPort:
                    g.xlate_src_port = static_cast<uint16_t>(*w++);
                    break;
                case AggField::kXlateDstPort:
                    g.xlate_dst_port = static_cast<uint16_t>(*w++);
                    break;
                case AggField::kSrcNet:
                    g.src_mask = static_cast<uint8_t>(*w++);
                    g.src_addr = addr();
                    break;
                case AggField::kDstNet:
                    g.dst_mask = static_cast<uint8_t>(*w++);
                    g.dst_addr = addr();
                    break;
                case AggField::kXlateSrcIp:
                    g.xlate_src = addr();
                    break;
                case AggField::kXlateDstIp:
                    g.xlate_dst = addr();
                    break;
                case AggField::kSrcIp:
                    g.src_addr = addr();
                    break;
                case AggField::kDstIp:
                    g.dst_addr = addr();
                    break;
                case AggField::kRouter:
                    g.received_from = addr();
                    break;
                case AggField::kNextHop:
                    g.ip_next_hop = addr();
                    break;
                case AggField::kBgpNextHop:
                    g.bgp_next_hop = addr();
                    break;
            }
        }
        return g;
    }

    // Packs the key of `rec` into `out`, whose words past those the key uses are left as
    // they were.
    void Pack(const FlowRecord& rec, PackedKey* out) const {
        PackedKey& key = *out;
        if (spec.five_tuple || spec.bidirectional) {
            key.w[0] = rec.src_addr.hi;
            key.w[1] = rec.src_addr.lo;
            key.w[2] = rec.dst_addr.hi;
            key.w[3] = rec.dst_addr.lo;
            key.w[4] = uint64_t{rec.src_port} << 32 | uint64_t{rec.dst_port} << 16 | rec.proto;
            return;
        }
        size_t w = 0;
        uint64_t families = 0;  // one bit per address key: set for IPv6
        for (const AggKeySpec& k : spec.keys) {
            IpAddr a;
            bool v6 = rec.IsV6();
            switch (k.field) {
                case AggField::kProto:
                    key.w[w++] = rec.proto;
                    continue;
                case AggField::kSrcPort:
                    key.w[w++] = rec.src_port;
                    continue;
                case AggField::kDstPort:
                    key.w[w++] = rec.dst_port;
                    continue;
                case AggField::kSrcAs:
                    key.w[w++] = rec.src_as;
                    continue;
                case AggField::kDstAs:
                    key.w[w++] = rec.dst_as;
                    continue;
                case AggField::kInIf:
                    key.w[w++] = rec.input;
                    continue;
                case AggField::kOutIf:
                    key.w[w++] = rec.output;
                    continue;
                case AggField::kSrcTos:
                    key.w[w++] = rec.src_tos;
                    continue;
                case AggField::kDstTos:
                    key.w[w++] = rec.dst_tos;
                    continue;
                // VLAN ids are 16 bits wherever nfdump shows or compares them; sfcapd 1.7
                // stores 0xffffffff for sFlow's "no VLAN", which is the group 65535.
                case AggField::kSrcVlan:
                    key.w[w++] = rec.src_vlan & 0xffffu;
                    continue;
                case AggField::kDstVlan:
                    key.w[w++] = rec.dst_vlan & 0xffffu;
                    continue;
                case AggField::kSrcMask:
                    key.w[w++] = rec.src_mask;
                    continue;
                case AggField::kDstMask:
                    key.w[w++] = rec.dst_mask;
                    continue;
                case AggField::kNextAs:
                    key.w[w++] = rec.next_as;
                    continue;
                case AggField::kPrevAs:
                    key.w[w++] = rec.prev_as;
                    continue;
                case AggField::kTos:
                    key.w[w++] = rec.src_tos;
                    continue;
                case AggField::kMpls1:
                case AggField::kMpls2:
                case AggField::kMpls3:
                case AggField::kMpls4:
                case AggField::kMpls5:
                case AggField::kMpls6:
                case AggField::kMpls7:
                case AggField::kMpls8:
                case AggField::kMpls9:
                case AggField::kMpls10:
                    key.w[w++] = rec.mpls[MplsIndex(k.field)];
                    continue;
                case AggField::kInSrcMac:
                    key.w[w++] = rec.in_src_mac;
                    continue;
                case AggField::kOutDstMac:
                    key.w[w++] = rec.out_dst_mac;
                    continue;
                case AggField::kInDstMac:
                    key.w[w++] = rec.in_dst_mac;
                    continue;
                case AggField::kOutSrcMac:
                    key.w[w++] = rec.out_src_mac;
                    continue;
                case AggField::kObsDomain:
                    key.w[w++] = rec.observation_domain;
                    continue;
                case AggField::kObsPoint:
                    key.w[w++] = rec.observation_point;
                    continue;
                case AggField::kXlateSrcPort:
                    key.w[w++] = rec.xlate_src_port;
                    continue;
                case AggField::kXlateDstPort:
                    key.w[w++] = rec.xlate_dst_port;
                    continue;
                case AggField::kSrcNet:
                    key.w[w++] = rec.src_mask;  // the mask is part of the key
                    a = Network(rec.src_addr, rec.src_mask, v6);
                    break;
                case AggField::kDstNet:
                    key.w[w++] = rec.dst_mask;
                    a = Network(rec.dst_addr, rec.dst_mask, v6);
                    break;
                case AggField::kXlateSrcIp:
                    a = rec.xlate_src;
                    v6 = rec.Has(kExNatXlateIpv6);
                    break;
                case AggField::kXlateDstIp:
                    a = rec.xlate_dst;
                    v6 = rec.Has(kExNatXlateIpv6);
                    break;
                case AggField::kSrcIp:
                    a = Masked(rec.src_addr, k, v6);
                    break;
                case AggField::kDstIp:
                    a = Masked(rec.dst_addr, k, v6);
                    break;
                case AggField::kRouter:
                    a = rec.received_from;
                    v6 = rec.Has(kExIpReceivedV6);
                    break;
                case AggField::kNextHop:
                    a = rec.ip_next_hop;
                    v6 = rec.Has(kExIpNextHopV6);
                    break;
                case AggField::kBgpNextHop:
                    a = rec.bgp_next_hop;
                    v6 = rec.Has(kExBgpNextHopV6);
                    break;
            }
            if (w + 3 > kKeyWords) break;  // the last word holds the family bits
            families = families << 1 | (v6 ? 1u : 0u);
            key.w[w++] = a.hi;
            key.w[w++] = a.lo;
        }
        key.w[w] = families;  // the last word: KeyWords() counts it
    }

    // The elements an -A group's record carries: the address family, the router and the
    // next hops (with zero values unless they are keys: a zero IPv6 next hop or router
    // prints as `::`, an IPv4 one as 0.0.0.0, as in nfdump's aggregated records), and the
    // element of each key field that has one (MPLS, MAC, observation, NAT translation).
    static uint64_t KeyElements(const AggregateSpec& spec) {
        auto bit = [](ElementId id) { return uint64_t{1} << id; };
        uint64_t m = bit(kExGenericFlow) | bit(kExIpv4Flow) | bit(kExIpv6Flow) | bit(kExFlowMisc) |
                     bit(kExCntFlow) | bit(kExVlan) | bit(kExAsRouting) | bit(kExAsAdjacent) |
                     bit(kExIpNextHopV4) | bit(kExIpNextHopV6) | bit(kExBgpNextHopV4) |
                     bit(kExBgpNextHopV6) | bit(kExIpReceivedV4) | bit(kExIpReceivedV6);
        for (const AggKeySpec& k : spec.keys) {
            switch (k.field) {
                case AggField::kMpls1:
                case AggField::kMpls2:
                case AggField::kMpls3:
                case AggField::kMpls4:
                case AggField::kMpls5:
                case AggField::kMpls6:
                case AggField::kMpls7:
                case AggField::kMpls8:
                case AggField::kMpls9:
                case AggField::kMpls10:
                    m |= bit(kExMplsLabel);
                    break;
                case AggField::kInSrcMac:
                case AggField::kOutDstMac:
                case AggField::kInDstMac:
                case AggField::kOutSrcMac:
                    m |= bit(kExMacAddr);
                    break;
                case AggField::kObsDomain:
                case AggField::kObsPoint:
                    m |= bit(kExObservation);
                    break;
                case AggField::kXlateSrcIp:
                case AggField::kXlateDstIp:
                    m |= bit(kExNatXlateIpv4) | bit(kExNatXlateIpv6);
                    break;
                case AggField::kXlateSrcPort:
                case AggField::kXlateDstPort:
                    m |= bit(kExNatXlatePort);
                    break;
                default:
                    break;
            }
        }
        return m;
    }
};

Aggregator::Aggregator(AggregateSpec spec) : impl_(std::make_unique<Impl>(std::move(spec))) {}
Aggregator::Aggregator(Aggregator&&) noexcept = default;
Aggregator& Aggregator::operator=(Aggregator&&) noexcept = default;
Aggregator::~Aggregator() = default;

uint64_t Aggregator::elements_read() const {
    const AggregateSpec& spec = impl_->spec;
    if (!spec.each_record && (!spec.five_tuple || spec.bidirectional)) return kAllElements;
    return uint64_t{1} << kExGenericFlow | uint64_t{1} << kExIpv4Flow |
           uint64_t{1} << kExIpv6Flow | uint64_t{1} << kExCntFlow;
}

size_t Aggregator::size() const {
    impl_->Drain();
    size_t n = impl_->groups();
    for (const std::unique_ptr<Impl>& j : impl_->joined) n += j->groups();
    return n;
}

size_t Aggregator::memory_bytes() const {
    impl_->Drain();
    size_t n = 0;
    auto add = [&](const Impl& s) {
        n += s.records.memory_bytes() + s.cgroups.memory_bytes() + s.index.memory_bytes() +
             s.first_seen.capacity() * sizeof(uint64_t);
    };
    add(*impl_);
    for (const std::unique_ptr<Impl>& j : impl_->joined) add(*j);
    return n;
}

bool Aggregator::Shareable(const AggregateSpec& spec) {
    return spec.five_tuple && !spec.bidirectional && !spec.each_record;
}

Aggregator::Aggregator(AggregateSpec spec, unsigned share, unsigned shares)
    : Aggregator(std::move(spec)) {
    assert(Shareable(impl_->spec) && share < shares);
    impl_->share = share;
    impl_->shares = shares;
}

bool Aggregator::Offer(const FlowRecord& in, std::span<const uint8_t> stored) {
    Impl& s = *impl_;
    const uint64_t seq = s.offered++;
    // The five-tuple key (Shareable()), as Pack() makes it.
    const uint64_t key[5] = {
        in.src_addr.hi, in.src_addr.lo, in.dst_addr.hi, in.dst_addr.lo,
        uint64_t{in.src_port} << 32 | uint64_t{in.dst_port} << 16 | in.proto};
    if (!s.InShare(key)) return false;
    const uint64_t h = s.index.Hash(key);
    if (s.queued - s.counted == Impl::kQueue) s.CountOldest();
    s.Enqueue(in, stored, key, h);
    s.queue[(s.queued - 1) & (Impl::kQueue - 1)].seq = seq;
    s.Prefetch();
    return true;
}

void Aggregator::Join(Aggregator&& other) {
    Impl& o = *other.impl_;
    assert(impl_->shares > 1 && o.shares == impl_->shares && o.offered == impl_->offered);
    std::vector<std::unique_ptr<Impl>> more = std::move(o.joined);
    impl_->joined.push_back(std::move(other.impl_));
    for (std::unique_ptr<Impl>& j : more) impl_->joined.push_back(std::move(j));
}

size_t Aggregator::joined_memory_bound() const {
    impl_->Drain();
    size_t groups = 0;
    size_t bytes = 0;
    auto add = [&](const Impl& s) {
        groups += s.records.size();
        bytes += s.records.stored_bytes();
    };
    add(*impl_);
    for (const std::unique_ptr<Impl>& j : impl_->joined) add(*j);
    return RecordStore::MemoryBound(groups, bytes) + KeyIndex::SlotBytes(groups);
}

namespace {

// nfdump's test for a TCP/UDP record that looks server -> client (-B).
bool NeedSwap(const FlowRecord& r) {
    if (r.proto != 6 && r.proto != 17) return false;
    uint32_t sp = r.src_port;
    uint32_t dp = r.dst_port;
    return (sp < 1024 && dp >= 1024) || (sp < 32768 && dp >= 32768) || (sp < 49152 && dp >= 49152);
}

// Swaps the endpoints, interfaces, AS numbers and in/out counters of a record, as 1.7.1's
// -B does (masks, vlans and MACs stay).
void Reverse(FlowRecord* r) {
    std::swap(r->src_addr, r->dst_addr);
    std::swap(r->input, r->output);
    std::swap(r->src_as, r->dst_as);
    std::swap(r->src_port, r->dst_port);
    std::swap(r->packets, r->out_packets);
    std::swap(r->bytes, r->out_bytes);
}

// Starts a -a/-b group with its first record, which counts at least one flow.
void AppendFirst(const FlowRecord& rec, RecordStore* store, bool turned = false) {
    if (rec.flows != 0) {
        store->Append(rec, turned);
        return;
    }
    FlowRecord first = rec;
    first.flows = 1;
    store->Append(first, turned);
}

// AppendGroup's way for a record the store cannot take from its bytes: decoded whole from
// them first, as `rec` may lack the elements Aggregator::elements_read() leaves out (they
// decoded for the reader, with the same options; `rec` stands in should they not). Out of
// line, so that the FlowRecord it fills is not set up for every group.
[[gnu::noinline]] void AppendGroupWhole(const FlowRecord& rec, std::span<const uint8_t> stored,
                                        bool first, RecordStore* store) {
    FlowRecord whole;
    ReadCounters unused;
    const char* error = nullptr;
    const FlowRecord& r = !stored.empty() &&
                                  nffile::DecodeV3(stored.data(), stored.size(),
                                                   nffile::V3Options{}, &whole, &unused,
                                                   &error) == nffile::Decoded::kFlow
                              ? whole
                              : rec;
    if (first) {
        AppendFirst(r, store);
    } else {
        store->Append(r);
    }
}

// Starts a group (-a: `first`, at least one flow; -O: the record as it is) with `rec` and
// `stored`, its bytes as its file stores them, or none.
void AppendGroup(const FlowRecord& rec, std::span<const uint8_t> stored, bool first,
                 RecordStore* store) {
    const uint64_t flows = first && rec.flows == 0 ? 1 : rec.flows;
    if (!stored.empty() && store->AppendStored(rec, flows, stored)) return;
    AppendGroupWhole(rec, stored, first, store);
}

}  // namespace

void Aggregator::Impl::Enqueue(const FlowRecord& in, std::span<const uint8_t> stored,
                               const uint64_t* tuple, uint64_t hash) {
    Queued& q = queue[queued & (kQueue - 1)];
    if (compact) {
        std::memset(q.key.w, 0, key_words * sizeof(uint64_t));
        Pack(in, &q.key);
        q.hash = index.Hash(q.key.w);
        index.PrefetchSlot(q.hash);
        CompactGroup& c = q.group;
        c.present = in.present & key_elements;
        c.flows = in.flows != 0 ? in.flows : 1;
        c.packets = in.packets;
        c.bytes = in.bytes;
        c.out_packets = in.out_packets;
        c.out_bytes = in.out_bytes;
        c.first_ms = in.first_ms;
        c.last_ms = in.last_ms;
        ++queued;
        return;
    }
    const size_t at = queued & (kQueue - 1);
    FlowRecord& rec = queued_records[at];
    const size_t n =
        queued_stored && stored.size() <= nffile::kMaxV3RecordSize ? stored.size() : 0;
    if (queued_stored) queued_stored_len[at] = static_cast<uint16_t>(n);
    if (n != 0) {
        std::memcpy(&queued_stored[at * nffile::kMaxV3RecordSize], stored.data(), n);
        // What Pack(), Merge() and AppendStored() read; a group made from the stored bytes
        // decodes them whole where it needs more. The other fields of `rec` are stale.
        rec.present = in.present;
        rec.first_ms = in.first_ms;
        rec.last_ms = in.last_ms;
        rec.packets = in.packets;
        rec.bytes = in.bytes;
        rec.src_port = in.src_port;
        rec.dst_port = in.dst_port;
        rec.proto = in.proto;
        rec.tcp_flags = in.tcp_flags;
        rec.src_addr = in.src_addr;
        rec.dst_addr = in.dst_addr;
        rec.flows = in.flows;
        rec.out_packets = in.out_packets;
        rec.out_bytes = in.out_bytes;
    } else {
        rec = in;
    }
    q.turned = spec.swap_server && NeedSwap(rec);
    if (q.turned) Reverse(&rec);
    if (tuple != nullptr) {
        std::memcpy(q.key.w, tuple, 5 * sizeof(uint64_t));
        q.hash = hash;
    } else {
        Pack(rec, &q.key);
        q.hash = index.Hash(q.key.w);
    }
    index.PrefetchSlot(q.hash);
    // Only TCP and UDP flows are paired with their reverse (1.7.1 leaves ICMP, IGMP...).
    q.pairable = spec.bidirectional && (rec.proto == 6 || rec.proto == 17);
    if (q.pairable) {
        q.rkey[0] = rec.dst_addr.hi;
        q.rkey[1] = rec.dst_addr.lo;
        q.rkey[2] = rec.src_addr.hi;
        q.rkey[3] = rec.src_addr.lo;
        q.rkey[4] = uint64_t{rec.dst_port} << 32 | uint64_t{rec.src_port} << 16 | rec.proto;
        q.rhash = index.Hash(q.rkey);
        index.PrefetchSlot(q.rhash);
    }
    ++queued;
}

void Aggregator::Impl::Prefetch() {
    if (queued - counted > kCandidateAt) {
        Queued& q = queue[(queued - 1 - kCandidateAt) & (kQueue - 1)];
        q.candidate = index.Candidate(q.hash);
        if (compact) {
            if (q.candidate != 0) {
                index.PrefetchKey(q.candidate - 1);
                // 64 bytes, in chunks aligned to 16: two lines.
                const CompactGroup* c = &cgroups[q.candidate - 1];
                detail::Prefetch(c);
                detail::Prefetch(reinterpret_cast<const uint8_t*>(c + 1) - 1);
            }
            return;
        }
        if (q.candidate != 0) records.PrefetchHandle(q.candidate - 1);
        q.rcandidate = q.pairable ? index.Candidate(q.rhash) : 0;
        if (q.rcandidate != 0) records.PrefetchHandle(q.rcandidate - 1);
    }
    if (!compact && queued - counted > kRecordAt) {
        const Queued& q = queue[(queued - 1 - kRecordAt) & (kQueue - 1)];
        if (q.candidate != 0) records.PrefetchRecord(q.candidate - 1);
        if (q.rcandidate != 0) records.PrefetchRecord(q.rcandidate - 1);
    }
}

void Aggregator::Impl::CountOldest() {
    const size_t at = counted & (kQueue - 1);
    ++counted;
    const Queued& q = queue[at];
    if (compact) {
        bool added = false;
        const uint32_t slot = index.FindOrAdd(q.key.w, q.hash, &added);
        if (added) {
            cgroups.push_back(q.group);
            return;
        }
        CompactGroup& c = cgroups[slot - 1];
        c.flows += q.group.flows;
        c.packets += q.group.packets;
        c.bytes += q.group.bytes;
        c.out_packets += q.group.out_packets;
        c.out_bytes += q.group.out_bytes;
        if (q.group.first_ms < c.first_ms) c.first_ms = q.group.first_ms;
        if (q.group.last_ms > c.last_ms) c.last_ms = q.group.last_ms;
        return;
    }
    const FlowRecord& rec = queued_records[at];
    if (spec.bidirectional) {
        // A group's TCP flags are those of its records that ran the way its first record
        // ran as stored in the file (before -B turned any of them), OR-ed; records of the
        // other direction add counters only. This is what 1.7.1 shows for -b and -B alike.
        if (uint32_t idx = index.Find(q.key.w, q.hash)) {
            const bool same_way = q.turned == records.FirstTurned(idx - 1);
            records.Merge(idx - 1, rec, false, same_way);
            return;
        }
        if (uint32_t idx = q.pairable ? index.Find(q.rkey, q.rhash) : 0) {
            const bool same_way = q.turned != records.FirstTurned(idx - 1);
            records.Merge(idx - 1, rec, true, same_way);
            return;
        }
        AppendFirst(rec, &records, q.turned);
        bool added = false;
        index.FindOrAdd(q.key.w, q.hash, &added);  // entry number == group index
        return;
    }
    bool added = false;
    const uint32_t slot = index.FindOrAdd(q.key.w, q.hash, &added);
    if (added) {  // -a: the first record, as nfdump prints it
        if (shares > 1) first_seen.push_back(q.seq);
        AppendGroup(rec,
                    std::span<const uint8_t>(&queued_stored[at * nffile::kMaxV3RecordSize],
                                             queued_stored_len[at]),
                    true, &records);
        return;
    }
    records.Merge(slot - 1, rec, false, spec.five_tuple);  // -a ORs the flags
}

void Aggregator::Add(const FlowRecord& in) { Add(in, {}); }

void Aggregator::Add(const FlowRecord& in, std::span<const uint8_t> stored) {
    Impl& s = *impl_;
    if (s.spec.each_record) {
        AppendGroup(in, stored, false, &s.records);
        return;
    }
    if (s.queued - s.counted == Impl::kQueue) s.CountOldest();
    s.Enqueue(in, stored);
    s.Prefetch();
}

namespace {

// The sort value of a group (a FlowRecord or a CompactGroup: the same counter names).
template <typename G>
uint64_t OrderValue(const G& r, RecordOrder o) {
    uint64_t packets = r.packets + r.out_packets;
    uint64_t bytes = r.bytes + r.out_bytes;
    uint64_t duration_ms = r.last_ms > r.first_ms ? r.last_ms - r.first_ms : 0;
    double seconds = static_cast<double>(duration_ms) / 1000.0;
    auto per_second = [seconds](uint64_t v, double factor) {
        return seconds > 0 ? static_cast<uint64_t>(factor * static_cast<double>(v) / seconds) : 0;
    };
    auto per_packet = [](uint64_t b, uint64_t p) { return p != 0 ? b / p : 0; };
    switch (o) {
        case RecordOrder::kNone:
            return 0;
        case RecordOrder::kFlows:
            return r.flows;
        case RecordOrder::kPackets:
            return packets;
        case RecordOrder::kInPackets:
            return r.packets;
        case RecordOrder::kOutPackets:
            return r.out_packets;
        case RecordOrder::kBytes:
            return bytes;
        case RecordOrder::kInBytes:
            return r.bytes;
        case RecordOrder::kOutBytes:
            return r.out_bytes;
        case RecordOrder::kPps:
            return per_second(packets, 1.0);
        case RecordOrder::kInPps:
            return per_second(r.packets, 1.0);
        case RecordOrder::kOutPps:
            return per_second(r.out_packets, 1.0);
        case RecordOrder::kBps:
            return per_second(bytes, 8.0);
        case RecordOrder::kInBps:
            return per_second(r.bytes, 8.0);
        case RecordOrder::kOutBps:
            return per_second(r.out_bytes, 8.0);
        case RecordOrder::kBpp:
            return per_packet(bytes, packets);
        case RecordOrder::kInBpp:
            return per_packet(r.bytes, r.packets);
        case RecordOrder::kOutBpp:
            return per_packet(r.out_bytes, r.out_packets);
        case RecordOrder::kTstart:
            return r.first_ms;
        case RecordOrder::kTend:
            return r.last_ms;
        case RecordOrder::kDuration:
            return duration_ms;
    }
    return 0;
}

}  // namespace

// Group numbers in print order: first-seen without an order, else sorted (equal values in
// first-seen order); the first `limit` (0 = all) are in place. `counters(i)` gives group i's
// counters.
template <typename CountersOf>
std::vector<uint32_t> Ranked(size_t count, const RecordOrderSpec& order, size_t limit,
                             const CountersOf& counters) {
    size_t n = limit == 0 ? count : std::min(limit, count);
    std::vector<uint32_t> out;
    if (order.order == RecordOrder::kNone) {
        out.resize(n);
        for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint32_t>(i);
        return out;
    }
    using Ranking = std::pair<uint64_t, uint32_t>;  // order value, group number
    auto before = [&](const Ranking& a, const Ranking& b) {
        if (a.first != b.first) return order.ascending ? a.first < b.first : a.first > b.first;
        return a.second < b.second;
    };
    std::vector<Ranking> rank;
    if (n < count / 4) {
        // A Top-N (-s record, -n): a heap of the best n so far, whose front is the worst of
        // them, instead of a ranking of every group.
        rank.reserve(n);
        for (size_t i = 0; i < count && n != 0; ++i) {
            Ranking r{OrderValue(counters(i), order.order), static_cast<uint32_t>(i)};
            if (rank.size() < n) {
                rank.push_back(r);
                std::push_heap(rank.begin(), rank.end(), before);
            } else if (before(r, rank.front())) {
                std::pop_heap(rank.begin(), rank.end(), before);
                rank.back() = r;
                std::push_heap(rank.begin(), rank.end(), before);
            }
        }
        std::sort_heap(rank.begin(), rank.end(), before);
    } else {
        rank.reserve(count);
        for (size_t i = 0; i < count; ++i) {
            rank.emplace_back(OrderValue(counters(i), order.order), static_cast<uint32_t>(i));
        }
        std::partial_sort(rank.begin(), rank.begin() + static_cast<long>(n), rank.end(), before);
    }
    out.reserve(n);
    for (size_t i = 0; i < n; ++i) out.push_back(rank[i].second);
    return out;
}

// The groups of `s` (an Aggregator::Impl, no shares joined) in print order.
template <typename Impl>
std::vector<uint32_t> RankedGroups(const Impl& s, const RecordOrderSpec& order, size_t limit) {
    if (s.compact) {
        return Ranked(s.cgroups.size(), order, limit,
                      [&](size_t i) -> const CompactGroup& { return s.cgroups[i]; });
    }
    return Ranked(s.records.size(), order, limit, [&](size_t i) { return s.records.Counters(i); });
}

// The groups of `s` and the shares joined to it in print order, as (share, group number).
template <typename Impl>
std::vector<std::pair<const Impl*, uint32_t>> JoinedGroups(const Impl& s,
                                                           const RecordOrderSpec& order,
                                                           size_t limit) {
    std::vector<std::pair<const Impl*, uint32_t>> out;
    if (s.joined.empty()) {
        const std::vector<uint32_t> ids = RankedGroups(s, order, limit);
        out.reserve(ids.size());
        for (uint32_t i : ids) out.emplace_back(&s, i);
        return out;
    }
    // Shares (five-tuple groups in RecordStores): group i of the shares one after the
    // other, tied by the number of its first record, which is its place among the groups
    // of one aggregator given every record.
    std::vector<const Impl*> parts{&s};
    for (const auto& j : s.joined) parts.push_back(j.get());
    // Each share's first `limit` in the order, ranked on threads of their own, then merged
    // (the first `limit` of all are among them). In a share, group numbers rise with the
    // numbers of their first records, so its ties are in first-seen order already.
    std::vector<std::vector<uint32_t>> ranked(parts.size());
    auto rank = [&](size_t k) { ranked[k] = RankedGroups(*parts[k], order, limit); };
    std::vector<std::thread> helpers;
    for (size_t k = 1; k < parts.size(); ++k) {
        try {
            helpers.emplace_back(rank, k);
        } catch (const std::system_error&) {
            rank(k);
        }
    }
    rank(0);
    for (std::thread& t : helpers) t.join();
    // The merge: by order value, ties by first record.
    auto key = [&](size_t k, uint32_t id) {
        const uint64_t v = order.order == RecordOrder::kNone
                               ? 0
                               : OrderValue(parts[k]->records.Counters(id), order.order);
        return std::pair<uint64_t, uint64_t>(v, parts[k]->first_seen[id]);
    };
    auto before = [&](const std::pair<uint64_t, uint64_t>& a,
                      const std::pair<uint64_t, uint64_t>& b) {
        if (a.first != b.first) return order.ascending ? a.first < b.first : a.first > b.first;
        return a.second < b.second;
    };
    size_t total = 0;
    for (const auto& r : ranked) total += r.size();
    const size_t n = limit == 0 ? total : std::min(limit, total);
    out.reserve(n);
    std::vector<size_t> at(parts.size(), 0);
    std::vector<std::pair<uint64_t, uint64_t>> head(parts.size());
    for (size_t k = 0; k < parts.size(); ++k) {
        if (!ranked[k].empty()) head[k] = key(k, ranked[k][0]);
    }
    while (out.size() < n) {
        size_t best = parts.size();
        for (size_t k = 0; k < parts.size(); ++k) {
            if (at[k] == ranked[k].size()) continue;
            if (best == parts.size() || before(head[k], head[best])) best = k;
        }
        out.emplace_back(parts[best], ranked[best][at[best]]);
        if (++at[best] < ranked[best].size()) head[best] = key(best, ranked[best][at[best]]);
    }
    return out;
}

std::vector<const FlowRecord*> Aggregator::Groups(const RecordOrderSpec& order,
                                                  size_t limit) const {
    impl_->Drain();
    const Impl& s = *impl_;
    const auto ids = JoinedGroups(s, order, limit);
    s.materialized.clear();
    s.materialized.resize(ids.size());
    for (size_t k = 0; k < ids.size(); ++k) {
        const auto& [p, i] = ids[k];
        if (p->compact) {
            s.materialized[k] = p->Materialize(i);
        } else {
            p->records.Materialize(i, &s.materialized[k]);
        }
    }
    std::vector<const FlowRecord*> out;
    out.reserve(ids.size());
    for (const FlowRecord& r : s.materialized) out.push_back(&r);
    return out;
}

void Aggregator::ForEach(const RecordOrderSpec& order, size_t limit,
                         const std::function<bool(const FlowRecord&)>& fn) const {
    impl_->Drain();
    const Impl& s = *impl_;
    FlowRecord g;
    if (!s.joined.empty()) {
        for (const auto& [p, i] : JoinedGroups(s, order, limit)) {
            p->records.Materialize(i, &g);
            if (!fn(g)) return;
        }
        return;
    }
    for (uint32_t i : RankedGroups(s, order, limit)) {
        if (s.compact) {
            g = s.Materialize(i);
        } else {
            s.records.Materialize(i, &g);
        }
        if (!fn(g)) return;
    }
}

}  // namespace flow::aggregate
