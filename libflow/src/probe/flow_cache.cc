// SPDX-License-Identifier: BSD-2-Clause
// FlowCache: a preallocated pool of flow entries, an open-addressing index over them
// (linear probing, backward-shift deletion so no tombstones pile up) and one intrusive list
// in last-seen order and one in creation order. The head of the first is both the next flow
// to go idle and the one to evict when the pool is full; the head of the second is the next
// to reach the active timeout. Every step is O(1).
#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>

#include "flow/probe.h"

namespace flow::probe {

namespace {

constexpr uint32_t kNone = std::numeric_limits<uint32_t>::max();
constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpRst = 0x04;
constexpr uint8_t kProtoTcp = 6;
constexpr uint64_t kFragmentLifetimeMs = 30000;  // RFC 791's suggested reassembly limit

uint64_t Mix(uint64_t h, uint64_t v) {
    // A 64-bit multiply-xorshift step: cheap and good enough to spread flow keys.
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

}  // namespace

struct FlowCache::Entry {
    // Key.
    IpAddr src;
    IpAddr dst;
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    uint16_t vlan = 0;
    uint16_t inner_vlan = 0;
    uint8_t proto = 0;
    uint8_t tos = 0;
    bool v6 = false;
    // Counters.
    uint8_t tcp_flags = 0;
    uint64_t hash = 0;
    uint64_t first_ms = 0;
    uint64_t last_ms = 0;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    // Last-seen list, or the free list through `next`; creation-order list.
    uint32_t prev = kNone;
    uint32_t next = kNone;
    uint32_t age_prev = kNone;
    uint32_t age_next = kNone;
    uint32_t slot = kNone;  // position in table_
    bool used = false;

    bool SameKey(const Entry& o) const {
        return src == o.src && dst == o.dst && src_port == o.src_port && dst_port == o.dst_port &&
               vlan == o.vlan && inner_vlan == o.inner_vlan && proto == o.proto && tos == o.tos &&
               v6 == o.v6;
    }
};

// The ports of a recent first fragment, so later fragments of the datagram join its flow.
struct FlowCache::FragmentSlot {
    IpAddr src;
    IpAddr dst;
    uint32_t id = 0;
    uint8_t proto = 0;
    bool used = false;
    uint16_t src_port = 0;
    uint16_t dst_port = 0;
    uint64_t time_ms = 0;
};

namespace {

template <typename K>
uint64_t KeyHash(const K& k) {
    uint64_t h = 0;
    h = Mix(h, k.src.hi);
    h = Mix(h, k.src.lo);
    h = Mix(h, k.dst.hi);
    h = Mix(h, k.dst.lo);
    h = Mix(h, uint64_t{k.src_port} << 48 | uint64_t{k.dst_port} << 32 | uint64_t{k.vlan} << 16 |
                   k.inner_vlan);
    return Mix(h, uint64_t{k.proto} << 16 | uint64_t{k.tos} << 8 | (k.v6 ? 1u : 0u));
}

uint64_t FragmentHash(const Packet& p) {
    uint64_t h = Mix(0, p.src.hi ^ p.src.lo);
    h = Mix(h, p.dst.hi ^ p.dst.lo);
    return Mix(h, uint64_t{p.fragment_id} << 8 | p.proto);
}

}  // namespace

FlowCache::FlowCache(const CacheOptions& options, FlowSink* sink) : options_(options), sink_(sink) {
    assert(options_.max_flows >= 1 && options_.sampling >= 1);
    entries_.resize(options_.max_flows);
    for (size_t i = 0; i < entries_.size(); ++i) {
        entries_[i].next = i + 1 < entries_.size() ? static_cast<uint32_t>(i + 1) : kNone;
    }
    size_t slots = 16;
    while (slots < options_.max_flows * 2) slots *= 2;
    table_.assign(slots, kNone);
    fragments_.resize(std::max<size_t>(options_.fragment_slots, 1));
    head_ = tail_ = age_head_ = age_tail_ = kNone;
}

FlowCache::~FlowCache() = default;

uint32_t FlowCache::Find(const Entry& key, uint64_t hash) const {
    const size_t mask = table_.size() - 1;
    for (size_t s = hash & mask;; s = (s + 1) & mask) {
        const uint32_t index = table_[s];
        if (index == kNone) return kNone;
        const Entry& e = entries_[index];
        if (e.hash == hash && e.SameKey(key)) return index;
    }
}

void FlowCache::Unlink(uint32_t index) {
    Entry& e = entries_[index];
    if (e.prev != kNone) entries_[e.prev].next = e.next;
    if (e.next != kNone) entries_[e.next].prev = e.prev;
    if (head_ == index) head_ = e.next;
    if (tail_ == index) tail_ = e.prev;
    e.prev = e.next = kNone;
}

void FlowCache::PushBack(uint32_t index) {
    Entry& e = entries_[index];
    e.prev = tail_;
    e.next = kNone;
    if (tail_ != kNone) entries_[tail_].next = index;
    tail_ = index;
    if (head_ == kNone) head_ = index;
}

void FlowCache::End(uint32_t index, EndReason reason) {
    Entry& e = entries_[index];
    FlowRecord& r = scratch_;
    r.Clear();
    r.Set(kExGenericFlow);
    r.Set(e.v6 ? kExIpv6Flow : kExIpv4Flow);
    r.Set(kExFlowMisc);
    r.src_addr = e.src;
    r.dst_addr = e.dst;
    r.src_port = e.src_port;
    r.dst_port = e.dst_port;
    r.proto = e.proto;
    r.src_tos = e.tos;
    r.tcp_flags = e.tcp_flags;
    r.first_ms = e.first_ms;
    r.last_ms = e.last_ms;
    r.packets = e.packets;
    r.bytes = e.bytes;
    r.input = options_.input_if;
    r.end_reason = static_cast<uint8_t>(reason);
    if (e.vlan != 0 || e.inner_vlan != 0) {
        r.Set(kExVlan);
        r.src_vlan = e.vlan;
        r.dst_vlan = e.inner_vlan;
    }
    r.received_ms = clock_ms_;

    // Backward-shift deletion: pull later members of the probe run into the hole so that
    // lookups never meet an empty slot before their entry.
    const size_t mask = table_.size() - 1;
    size_t hole = e.slot;
    table_[hole] = kNone;
    for (size_t s = (hole + 1) & mask; table_[s] != kNone; s = (s + 1) & mask) {
        const uint32_t moved = table_[s];
        const size_t home = entries_[moved].hash & mask;
        // Move when the hole lies cyclically between the entry's home slot and its slot.
        const bool between = hole <= s ? (home <= hole || home > s) : (home <= hole && home > s);
        if (!between) continue;
        table_[hole] = moved;
        entries_[moved].slot = hole;
        table_[s] = kNone;
        hole = s;
    }
    Unlink(index);
    if (e.age_prev != kNone) entries_[e.age_prev].age_next = e.age_next;
    if (e.age_next != kNone) entries_[e.age_next].age_prev = e.age_prev;
    if (age_head_ == index) age_head_ = e.age_next;
    if (age_tail_ == index) age_tail_ = e.age_prev;
    e.used = false;
    e.next = free_;
    free_ = index;
    --used_;
    ++counters_.flows_exported;
    sink_->OnFlow(r);
}

uint32_t FlowCache::Insert(const Packet& p, uint64_t hash) {
    if (free_ == kNone) {
        ++counters_.evicted;
        End(head_, EndReason::kLackOfResources);
    }
    const uint32_t index = free_;
    Entry& e = entries_[index];
    free_ = e.next;
    e = Entry();
    e.src = p.src;
    e.dst = p.dst;
    e.src_port = p.src_port;
    e.dst_port = p.dst_port;
    e.vlan = p.vlan;
    e.inner_vlan = p.inner_vlan;
    e.proto = p.proto;
    e.tos = p.tos;
    e.v6 = p.v6;
    e.hash = hash;
    e.first_ms = p.time_ms;
    e.used = true;

    const size_t mask = table_.size() - 1;
    size_t s = hash & mask;
    while (table_[s] != kNone) s = (s + 1) & mask;
    table_[s] = index;
    e.slot = static_cast<uint32_t>(s);
    PushBack(index);
    e.age_prev = age_tail_;
    e.age_next = kNone;
    if (age_tail_ != kNone) entries_[age_tail_].age_next = index;
    age_tail_ = index;
    if (age_head_ == kNone) age_head_ = index;
    ++used_;
    ++counters_.flows_created;
    return index;
}

void FlowCache::ResolveFragment(Packet* p) {
    FragmentSlot& slot = fragments_[FragmentHash(*p) % fragments_.size()];
    if (p->first_fragment) {
        slot = FragmentSlot{p->src, p->dst,      p->fragment_id, p->proto,
                            true,   p->src_port, p->dst_port,    p->time_ms};
        return;
    }
    const bool match = slot.used && slot.src == p->src && slot.dst == p->dst &&
                       slot.id == p->fragment_id && slot.proto == p->proto &&
                       p->time_ms <= slot.time_ms + kFragmentLifetimeMs;
    if (!match) {
        // TODO: a later fragment that arrives before its first one is accounted to a
        // port-less flow; reordering buffers would cost per-fragment state.
        ++counters_.fragments_unmatched;
        return;
    }
    p->src_port = slot.src_port;
    p->dst_port = slot.dst_port;
}

void FlowCache::Add(const Packet& packet) {
    ++counters_.packets;
    if (options_.sampling > 1 && sample_counter_++ % options_.sampling != 0) {
        ++counters_.sampled_out;
        return;
    }
    Expire(packet.time_ms);

    // Flow times are the packets' own; a merged capture may step back in time.
    Packet p = packet;
    if (p.fragment) ResolveFragment(&p);
    const uint64_t hash = KeyHash(p);
    Entry key;
    key.src = p.src;
    key.dst = p.dst;
    key.src_port = p.src_port;
    key.dst_port = p.dst_port;
    key.vlan = p.vlan;
    key.inner_vlan = p.inner_vlan;
    key.proto = p.proto;
    key.tos = p.tos;
    key.v6 = p.v6;

    uint32_t index = Find(key, hash);
    if (index != kNone &&
        p.time_ms >= entries_[index].first_ms + uint64_t{options_.active_timeout_s} * 1000) {
        End(index, EndReason::kActive);
        index = kNone;
    }
    if (index == kNone) index = Insert(p, hash);

    Entry& e = entries_[index];
    e.first_ms = std::min(e.first_ms, p.time_ms);
    e.last_ms = std::max(e.last_ms, p.time_ms);
    ++e.packets;
    e.bytes += p.ip_bytes;
    e.tcp_flags |= p.tcp_flags;
    Unlink(index);
    PushBack(index);
    if (p.proto == kProtoTcp && (p.tcp_flags & (kTcpFin | kTcpRst)) != 0) {
        End(index, EndReason::kEndOfFlow);
    }
}

void FlowCache::Expire(uint64_t now_ms) {
    // The clock follows the packets, also back in time (a merged capture): flows "from the
    // future" then simply do not time out until the clock passes them again.
    clock_ms_ = now_ms;
    const uint64_t inactive_ms = uint64_t{options_.inactive_timeout_s} * 1000;
    while (head_ != kNone && clock_ms_ >= entries_[head_].last_ms + inactive_ms) {
        End(head_, EndReason::kIdle);
    }
    // Creation order is first-seen order (up to captures that step back in time, which
    // only delays such a flow's end).
    const uint64_t active_ms = uint64_t{options_.active_timeout_s} * 1000;
    while (age_head_ != kNone && clock_ms_ >= entries_[age_head_].first_ms + active_ms) {
        End(age_head_, EndReason::kActive);
    }
}

void FlowCache::Flush() {
    while (head_ != kNone) End(head_, EndReason::kForced);
}

}  // namespace flow::probe
