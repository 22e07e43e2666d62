// SPDX-License-Identifier: BSD-2-Clause
// EncodedFlows: flows handed from the decoder to a file writer already encoded as nfdump V3
// records, so that the collector builds no FlowRecord for them (flowcapd's path:
// wire::Decoder::DecodeEncoded, NfFileWriter::AppendEncoded).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "flow/record.h"

namespace flow {

// What a file's stat record counts of one flow: the FlowRecord fields of the same names
// that AccumulateStat reads.
struct FlowCounts {
    uint64_t flows = 1;
    uint64_t packets = 0;
    uint64_t bytes = 0;
    uint64_t out_packets = 0;
    uint64_t out_bytes = 0;
    uint64_t first_ms = 0;
    uint64_t last_ms = 0;
    uint8_t proto = 0;

    // The counts of `r`.
    static FlowCounts Of(const FlowRecord& r) {
        return {r.flows, r.packets, r.bytes, r.out_packets, r.out_bytes, r.first_ms, r.last_ms,
                r.proto};
    }
};

// V3 records (record type 11, each as NfFileWriter::Append encodes a FlowRecord; the
// record's size is its 16-bit field at byte 2) back to back, with the counts of each.
// Reused across calls it allocates only to grow.
class EncodedFlows {
public:
    void Clear() {
        used_ = 0;
        counts_.clear();
    }
    size_t size() const { return counts_.size(); }
    bool empty() const { return counts_.empty(); }
    const uint8_t* data() const { return bytes_.data(); }
    size_t bytes() const { return used_; }
    const std::vector<FlowCounts>& counts() const { return counts_; }

    // Room for one record of at most `n` bytes behind the others; Commit() keeps it.
    uint8_t* Reserve(size_t n) {
        if (used_ + n > bytes_.size()) bytes_.resize(std::max(bytes_.size() * 2, used_ + n));
        return bytes_.data() + used_;
    }
    // Keeps the `n` bytes written after Reserve() as one record; its counts are the
    // caller's to fill.
    FlowCounts& Commit(size_t n) {
        used_ += n;
        return counts_.emplace_back();
    }

private:
    std::vector<uint8_t> bytes_;
    size_t used_ = 0;
    std::vector<FlowCounts> counts_;
};

}  // namespace flow
