// SPDX-License-Identifier: BSD-2-Clause
// sFlow v5 entry point of the wire decoder (sflow.cc). Private to libflow: the Decoder calls
// it for datagrams that start with a 32-bit version 2, 4 or 5.
#pragma once

#include <cstdint>
#include <vector>

#include "flow/record.h"
#include "flow/status.h"
#include "wire/byte_reader.h"
#include "wire/decoder_state.h"

namespace flow::wire::detail {

// sFlow exporters are stored with this version, as sfcapd writes them (nffile-format §1.8).
inline constexpr uint16_t kSflowExporterVersion = 9999;

// Limits on counts read from the wire. Bigger counts cannot fit a UDP datagram anyway; they
// are refused before any loop runs on them.
inline constexpr uint32_t kMaxSflowSamples = 8192;      // 8 bytes at least per sample
inline constexpr uint32_t kMaxSflowFlowRecords = 8192;  // 8 bytes at least per record

// Decodes the sFlow datagram `data` (the whole UDP payload) from `from`: one FlowRecord per
// flow sample (sFlow v5 §5.2 flow_sample / flow_sample_expanded), counter samples counted
// only. Returns OK, or Truncated/Malformed/Unsupported with "sflow: detail"; flows of the
// samples before a fault are appended. Never reads outside `data`.
Status DecodeSflow(DecoderState* st, ByteReader data, const Endpoint& from, uint64_t now_ms,
                   std::vector<FlowRecord>* out);

}  // namespace flow::wire::detail
