// SPDX-License-Identifier: BSD-2-Clause
#include <catch2/catch.hpp>

#include "flow/record.h"
#include "flow/status.h"

TEST_CASE("IpAddr keeps IPv6 as host-order halves, high half first") {
    const uint8_t bytes[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    flow::IpAddr a = flow::IpAddr::V6(bytes);
    CHECK(a.hi == 0x20010db800000000ULL);
    CHECK(a.lo == 1);
    uint8_t back[16];
    a.ToBytes(back);
    CHECK(std::memcmp(back, bytes, 16) == 0);
}

TEST_CASE("FlowRecord presence bits and Clear") {
    flow::FlowRecord r;
    CHECK(r.flows == 1);
    r.Set(flow::kExIpv6Flow);
    r.packets = 7;
    CHECK(r.IsV6());
    r.Clear();
    CHECK_FALSE(r.IsV6());
    CHECK(r.packets == 0);
}

TEST_CASE("Status carries code and message") {
    flow::Status s = flow::Status::Truncated("block 3: 12 bytes short");
    CHECK_FALSE(s.ok());
    CHECK(s.ToString() == "Truncated: block 3: 12 bytes short");
    flow::Result<int> r(5);
    CHECK(r.ok());
    CHECK(*r == 5);
}
