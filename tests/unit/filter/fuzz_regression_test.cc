// SPDX-License-Identifier: BSD-2-Clause
// Filter bugs found by fuzz/fuzz_filter, one test each, holding the right behaviour. The
// reproducer of each is kept in fuzz/seeds/fuzz_filter/.
#include <catch2/catch.hpp>
#include <string>

#include "unit/filter/test_util.h"

using namespace flow;
using namespace flow::filter;
using namespace flow::filter::testing;

TEST_CASE("IPv6 networks of exactly 64 bits cover the whole /64", "[filter][regression][fuzz]") {
    // Guards PrefixMask(64): shifting a 64-bit mask by 64 is undefined (UBSan) and on x86
    // produced an all-ones low half, so a /64 matched only its first address.
    const FlowRecord inside = MakeFlow("2001:db8:db8:1::5", "2001:db8::53", 17, 4000, 53);
    const FlowRecord first = MakeFlow("2001:db8:db8:1::", "2001:db8::53", 17, 4000, 53);
    const FlowRecord outside = MakeFlow("2001:db8:db8:2::5", "2001:db8::53", 17, 4000, 53);
    for (const std::string text : {"src net 2001:db8:db8:1::/64", "src net 2001:db8:db8:1"}) {
        CAPTURE(text);
        CHECK(Matches(text, inside));
        CHECK(Matches(text, first));
        CHECK_FALSE(Matches(text, outside));
    }
}

TEST_CASE("IPv6 prefix lengths around the 64-bit boundary mask the right bits",
          "[filter][regression][fuzz]") {
    const FlowRecord rec = MakeFlow("2001:db8:0:1:8000::1", "2001:db8::53", 17, 4000, 53);
    CHECK(Matches("src net 2001:db8:0:1::/63", rec));
    CHECK(Matches("src net 2001:db8:0:1::/64", rec));
    CHECK_FALSE(Matches("src net 2001:db8:0:1::/65", rec));
    CHECK(Matches("src net 2001:db8:0:1:8000::/65", rec));
    CHECK(Matches("src net 2001:db8:0:1:8000::1/128", rec));
    CHECK(Matches("src net ::/0", rec));
}
