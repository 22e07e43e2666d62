// SPDX-License-Identifier: BSD-2-Clause
// Every filter of nfdump-cli.md section 5.5 on the 16-record v9 sample: the match counts
// Debian's nfdump 1.7.1 printed, and the errors it gave where flowkit keeps them.
#include <catch2/catch.hpp>
#include <string>

#include "unit/filter/fixture.h"

using flow::filter::testing::CountMatches;

namespace {

struct Row {
    const char* filter;
    int count;
};

}  // namespace

TEST_CASE("section 5.5 filters match as many sample records as nfdump 1.7.1", "[filter]") {
    auto row = GENERATE(values<Row>({
        {"any", 16},
        {"proto tcp", 9},
        {"PROTO TCP", 9},
        {"proto Tcp", 9},
        {"proto 17", 4},
        {"Proto Udp", 4},
        {"proto icmp", 2},
        {"proto icmp6", 1},
        {"proto 58", 1},
        {"host 192.168.1.10", 2},
        {"ip 192.168.1.10", 2},
        {"src ip 192.168.1.10", 1},
        {"dst host 10.0.0.1", 1},
        {"src and dst ip 10.0.0.1", 0},
        {"src or dst ip 10.0.0.1", 2},
        {"ip 2001:db8:1::10", 2},
        {"net 192.168.1.0/24", 10},
        {"net 192.168.1.0 255.255.255.0", 10},
        {"net 192.168.1/24", 10},
        {"net 192.168.1.5/24", 10},
        {"net 192.168/16", 12},
        {"src net 192.168.0.0/16", 7},
        {"dst net 10.0.0.0/8", 5},
        {"net 2001:db8::/32", 3},
        {"net 2001:db8:1::/48", 2},
        {"ip in [192.168.1.10 10.0.0.1]", 2},
        {"ip in [192.168.1.10, 2001:db8:1::10]", 4},
        {"ip in [192.168.1.0/24]", 10},
        {"port 80", 2},
        {"port = 80", 2},
        {"port == 80", 2},
        {"port eq 80", 2},
        {"port EQ 80", 2},
        {"port 0x50", 2},
        {"port > 1024", 11},
        {"port >= 1024", 13},
        {"port < 100", 10},
        {"port <= 80", 10},
        {"src port 80", 1},
        {"dst port 80", 1},
        {"port in [80 443 22]", 8},
        {"port in [80,443,22]", 8},
        {"port in [ 80, 443, 22 ]", 8},
        {"port 53 or port 80", 5},
        {"port 53 || port 80", 5},
        {"port 53 && proto udp", 3},
        {"not port 53", 13},
        {"! port 53", 13},
        {"proto tcp and not port 80", 7},
        {"proto tcp and (port 80 or port 443)", 6},
        {"proto tcp and port 80 or port 53", 5},
        {"proto tcp or proto udp and port 53", 12},
        {"(proto tcp or proto udp) and port 53", 3},
        {"not proto tcp or proto udp", 7},
        {"not (port 53 or port 80 or port 443)", 7},
        {"icmp-type 8", 0},
        {"icmp-type 0", 3},
        {"icmp-code 0", 3},
        {"flags S", 7},
        {"flags A", 8},
        {"flags FS", 5},
        {"flags SA", 6},
        {"flags R", 2},
        {"flags U", 0},
        {"flags X", 0},
        {"flags S and not flags AFRPU", 1},
        {"flags 2", 1},
        {"flags 0x02", 1},
        {"flags = 27", 4},
        {"flags > 20", 7},
        {"tos 40", 2},
        {"tos 0x28", 2},
        {"src tos 40", 2},
        {"tos 184", 1},
        {"tos > 10", 3},
        {"packets 10", 1},
        {"packets > 100", 3},
        {"packets >= 1k", 2},
        {"packets > 1M", 1},
        {"packets > 1m", 1},
        {"bytes > 1G", 1},
        {"bytes > 5900k", 1},
        {"bytes < 100", 4},
        {"bytes > 6T", 0},
        {"in packets 10", 1},
        {"out packets 0", 16},
        {"out bytes > 0", 0},
        {"pps > 100", 2},
        {"bps > 1M", 1},
        {"bps > 100k", 3},
        {"bpp > 1000", 4},
        {"bpp 1500", 2},
        {"duration > 1000", 10},
        {"duration < 1", 5},
        {"duration 0", 5},
        {"duration >= 60000", 3},
        {"flows 1", 16},
        {"flows > 1", 0},
        {"if 1", 14},
        {"in if 1", 8},
        {"out if 2", 4},
        {"out if 0", 1},
        {"next ip 192.168.1.1", 6},
        {"next ip 2001:db8:1::1", 1},
        {"next ip in [192.168.1.1 10.0.0.254]", 9},
        {"router ip 127.0.0.1", 16},
        {"bgpnext ip 0.0.0.0", 16},
        {"engine-type 0", 16},
        {"engine-id 1", 16},
        {"engine-id > 0", 16},
        {"sysid 1", 16},
        {"vlan 10", 10},
        {"src vlan 10", 5},
        {"dst vlan 20", 3},
        {"mac 00:11:22:33:44:55", 2},
        {"in src mac 00:11:22:33:44:55", 1},
        {"out dst mac 66:77:88:99:aa:bb", 1},
        {"src mac 00:11:22:33:44:55", 1},
        {"mask 24", 12},
        {"src mask 24", 7},
        {"dst mask 8", 5},
        {"mask 64", 4},
        {"ipv4", 12},
        {"inet", 12},
        {"not ipv6", 12},
        {"ipv6", 4},
        {"inet6", 4},
        {"nfversion 9", 16},
        {"nfversion 5", 0},
        {"count 3", 1},
        {"count > 14", 2},
        {"count < 3", 2},
        {"ident testv9", 16},
        {"ident foo", 0},
        {"dir 0", 16},
        {"flowdir 0", 16},
        {"dir ingress", 16},
        {"flowdir egress", 0},
        {"host localhost", 0},
    }));
    CAPTURE(row.filter);
    std::string error;
    int n = CountMatches(row.filter, &error);
    CAPTURE(error);
    CHECK(n == row.count);
}

TEST_CASE("section 5.5 filters nfdump rejects are rejected with a message naming the token",
          "[filter]") {
    struct Bad {
        const char* filter;
        const char* fragment;
    };
    auto bad = GENERATE(values<Bad>({
        {"proto 300", "protocol number '300' out of range; expected 0..255"},
        {"proto foo", "unknown protocol 'foo'"},
        {"net 192.168.1.0/33", "too many netbits '33' for an IPv4 address; expected 0..32"},
        {"ip in []", "empty address list"},
        {"port 70000", "port '70000' out of range; expected 0..65535"},
        {"port 80k", "port '80k' (= 80000) out of range; expected 0..65535"},
        {"flags C", "invalid TCP flag 'C'"},
        {"flags E", "invalid TCP flag 'E'"},
        {"in vlan 10", "qualifier 'in' is not allowed with 'vlan'"},
        {"nextas 0", "unknown filter keyword 'nextas'"},
        {"geo US", "geo location database"},
        {"payload content 'abc'", "'payload' filters are not supported"},
    }));
    CAPTURE(bad.filter);
    std::string error;
    CHECK(CountMatches(bad.filter, &error) == -1);
    CHECK_THAT(error, Catch::Contains(bad.fragment));
}

// flowkit deliberately accepts these; nfdump 1.7.1 rejects them (docs/filter.md lists why).
TEST_CASE("forms nfdump 1.7.1 rejects but flowkit accepts give the natural counts", "[filter]") {
    auto row = GENERATE(values<Row>({
        {"net 10/8", 8},
        {"net in [192.168.1.0/24]", 10},
        {"flags s", 7},
        {"bytes 5.9M", 1},
        {"mac 00-11-22-33-44-55", 2},
        {"in dst mac 00:00:00:00:00:00", 16},
        {"ident \"testv9\"", 16},
        {"as 65001", 14},
        {"src as 65001", 8},
        {"as in [15169 65003]", 5},
        {"next as 0", 16},
        {"egress acl 1", 0},
    }));
    CAPTURE(row.filter);
    std::string error;
    int n = CountMatches(row.filter, &error);
    CAPTURE(error);
    CHECK(n == row.count);
}
