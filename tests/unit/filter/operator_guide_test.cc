// SPDX-License-Identifier: BSD-2-Clause
// The six filter examples of the operator guide (Pandora FMS's help page, real-clients.md
// section 1.3) select exactly the records their words describe. Each is checked against a
// predicate written in C++ over a set of flows around 192.168.0.1, so the test needs no
// nfdump; tests/compat/filter_clients_test.sh compares the same examples with nfdump.
#include <catch2/catch.hpp>
#include <functional>
#include <string>
#include <vector>

#include "unit/filter/test_util.h"

using namespace flow;
using namespace flow::filter;
using namespace flow::filter::testing;

namespace {

std::vector<FlowRecord> GuideFlows() {
    return {
        MakeFlow("192.168.0.1", "10.0.0.9", 6, 51000, 80),
        MakeFlow("10.0.0.9", "192.168.0.1", 6, 80, 51000),
        MakeFlow("192.168.0.7", "192.168.0.1", 6, 40001, 22),
        MakeFlow("192.168.0.1", "192.168.0.7", 6, 22, 40001),
        MakeFlow("192.168.0.5", "198.51.100.77", 6, 53000, 443),
        MakeFlow("192.168.0.5", "192.0.2.1", 17, 41000, 53),
        MakeFlow("192.0.2.1", "192.168.0.5", 17, 53, 41000),
        MakeFlow("192.168.0.255", "192.168.1.1", 17, 53, 53),
        MakeFlow("192.168.1.1", "192.168.0.1", 17, 1234, 53),
        MakeFlow("192.168.1.0", "192.168.0.10", 6, 443, 22),
        MakeFlow("192.168.0.1", "192.0.2.1", 1, 0, 0x0800),
        MakeFlow("10.192.168.0", "10.0.0.1", 6, 8443, 8080),
        MakeFlow("2001:db8::c0a8:1", "2001:db8::1", 6, 22, 443),
        MakeFlow("::ffff:192.168.0.1", "2001:db8::1", 6, 80, 1),
    };
}

bool Is(const IpAddr& a, const char* text) { return a == ParseIp(text); }

bool In192168_0(const IpAddr& a) {
    for (int i = 0; i < 256; ++i) {
        if (a == ParseIp(("192.168.0." + std::to_string(i)).c_str())) return true;
    }
    return false;
}

bool Port(const FlowRecord& r, uint16_t p) { return r.src_port == p || r.dst_port == p; }

}  // namespace

TEST_CASE("the operator guide's six filter examples select what they say", "[filter]") {
    struct Example {
        const char* filter;
        std::function<bool(const FlowRecord&)> means;
        int count;
    };
    const Example examples[] = {
        {"host 192.168.0.1",
         [](const FlowRecord& r) {
             return Is(r.src_addr, "192.168.0.1") || Is(r.dst_addr, "192.168.0.1");
         },
         6},
        {"dst host 192.168.0.1", [](const FlowRecord& r) { return Is(r.dst_addr, "192.168.0.1"); },
         3},
        {"src net 192.168.0.0/24", [](const FlowRecord& r) { return In192168_0(r.src_addr); }, 7},
        {"(port 80) or (port 443)", [](const FlowRecord& r) { return Port(r, 80) || Port(r, 443); },
         6},
        {"port not 53", [](const FlowRecord& r) { return !Port(r, 53); }, 10},
        {"(port 22) and (dst host 192.168.0.1)",
         [](const FlowRecord& r) { return Port(r, 22) && Is(r.dst_addr, "192.168.0.1"); }, 1},
    };
    const std::vector<FlowRecord> flows = GuideFlows();
    for (const Example& ex : examples) {
        CAPTURE(ex.filter);
        Filter f = MustCompile(ex.filter);
        int n = 0;
        for (size_t i = 0; i < flows.size(); ++i) {
            CAPTURE(i);
            CHECK(f.Match(flows[i]) == ex.means(flows[i]));
            n += f.Match(flows[i]) ? 1 : 0;
        }
        CHECK(n == ex.count);  // the fixture holds both matching and non-matching flows
    }
    // `port not 53` is tcpdump's spelling; nfdump's own is `not port 53`. Same program.
    CHECK(MustCompile("port not 53").Dump() == MustCompile("not port 53").Dump());
}
