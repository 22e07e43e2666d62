// SPDX-License-Identifier: BSD-2-Clause
// Compile errors as users meet them: every kind of message gives line and column, quotes
// the offending token and says what was expected; nesting and list sizes are bounded with a
// clear error instead of a crash or an unbounded table.
#include <catch2/catch.hpp>
#include <regex>
#include <string>

#include "unit/filter/test_util.h"

using namespace flow;
using namespace flow::filter;
using namespace flow::filter::testing;

namespace {

bool SaysWhatWasExpected(const std::string& message) {
    for (const char* word : {"expected", "allowed", "write", "use ", "not supported", "need"}) {
        if (message.find(word) != std::string::npos) return true;
    }
    return false;
}

std::string Repeat(const std::string& s, int n) {
    std::string out;
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

}  // namespace

TEST_CASE("every kind of compile error names column, token and what was expected", "[filter]") {
    struct Bad {
        const char* filter;
        const char* fragment;  // the whole message must contain it
    };
    // One row per place in the compiler that reports an error.
    auto bad = GENERATE(values<Bad>({
        {"proto 300", "column 7: protocol number '300' out of range; expected 0..255"},
        {"proto foo", "column 7: unknown protocol 'foo' (expected a name"},
        {"port 70000", "column 6: port '70000' out of range; expected 0..65535"},
        {"port 80k", "port '80k' (= 80000) out of range; expected 0..65535"},
        {"port 0x10000", "port '0x10000' (= 65536) out of range"},
        {"packets 12x", "invalid number '12x' for packets: not a number (expected e.g."},
        {"net 192.168.1.0/33",
         "column 17: too many netbits '33' for an IPv4 address; expected 0..32"},
        {"net 2001:db8::/129", "too many netbits '129' for an IPv6 address; expected 0..128"},
        {"net 10.0.0.0/x", "invalid prefix length 'x': not a number; expected 0..32"},
        {"net 192.168.1.0 255.0.255.0", "invalid netmask '255.0.255.0'; expected a contiguous"},
        {"net x.y/8", "invalid network address 'x.y' (expected e.g. 10.0.0.0/8"},
        {"net 2001:db8:: ffff::", "netmask 'ffff::' is valid only for IPv4; expected 2001:db8::/"},
        {"ip 300.1.1.1", "column 4: invalid IP address '300.1.1.1' (expected a.b.c.d"},
        {"ip 192.168.1", "incomplete IP address '192.168.1' (expected a.b.c.d"},
        {"next ip 192.168.1", "incomplete IP address '192.168.1' (expected"},
        {"next ip foo", "invalid IP address 'foo' (expected a.b.c.d or an IPv6 address"},
        {"ip in []", "column 8: empty address list after 'ip in' at ']'; expected at least one"},
        {"port in []", "empty list after 'port in' at ']'; expected at least one value"},
        {"ip in [10.0.0.1,]", "unexpected ']'; expected an address after ','"},
        {"portrange 500-400", "port range '500-400' is empty; expected start <= end"},
        {"portrange 500-", "invalid port range '500-'; expected e.g. 1024-2048"},
        {"flags C", "column 7: invalid TCP flag 'C' in 'C'; expected the letters F S R P A U"},
        {"mac 00:11:22", "invalid MAC address '00:11:22' (expected e.g. 00:11:22:33:44:55)"},
        {"mpls label11 5", "MPLS label number in 'label11' out of range; expected 1..10"},
        {"mpls foo 5", "unknown MPLS option 'foo' (expected labelN, expN, eos or any)"},
        {"ident ''", "empty ident ''; expected a name"},
        {"ident 'testv9", "column 7: unterminated quoted string 'testv9'; expected a closing '"},
        {"first seen > 2025-13-01T00:00:00", "invalid time '2025-13-01T00:00:00' (expected"},
        {"asa event foo", "unknown asa event 'foo' (expected ignore, create"},
        {"nat event foo", "unknown nat event 'foo' (expected add or delete)"},
        {"ingress foo 1", "expected acl, ace, xace or vrf after 'ingress', not 'foo'"},
        {"pblock foo 1", "expected start, end, step or size after 'pblock', not 'foo'"},
        {"frobnicate 3", "column 1: unknown filter keyword 'frobnicate'; expected a primitive"},
        {"src frobnicate 3", "unknown primitive 'frobnicate' after 'src'; expected e.g. ip"},
        {"in vlan 10", "column 1: qualifier 'in' is not allowed with 'vlan' (allowed: src, dst"},
        {"1.2.3.4", "a value '1.2.3.4' cannot start a primitive; write e.g. 'host 1.2.3.4'"},
        {"port != 53", "column 6: there is no not-equal comparator '!='; write 'not <primitive>'"},
        {"port => 80", "column 7: unexpected '>'; expected"},
        {"(port 80", "column 1: unbalanced '(': expected a ')' before the end of the filter"},
        {"port 80)", "column 8: unbalanced ')': no '(' to close; expected 'and', 'or'"},
        {"()", "column 2: unexpected ')'; expected an expression inside '( )'"},
        {"proto tcp and", "column 14: filter ends too early after 'and'; expected"},
        {"port", "filter ends too early after 'port'; expected a port number after 'port'"},
        {"port 80 port 81", "column 9: unexpected 'port'; expected 'and', 'or'"},
        {"port 80 $", "unexpected character '$'; expected"},
        {"(port 80) %waytoolonglabelname1", "flow label 'waytoolonglabelname1' too long; expected"},
        {"less 100", "tcpdump's 'less' tests packet length"},
        {"geo US", "'geo' filters need a geo location database"},
        // B29: the country code IN is not the `in` keyword, quoted or not.
        {"src geo 'IN'", "column 5: 'geo' filters need a geo location database"},
        {"src geo IN", "column 5: 'geo' filters need a geo location database"},
        {"payload content 'abc'", "'payload' filters are not supported"},
        {"@include x", "'@include' is expanded only in filter files; use it"},
    }));
    CAPTURE(bad.filter);
    CompileOptions options;
    options.resolve_names = false;  // `next ip foo` must not ask a DNS server
    std::string message = ErrorOf(bad.filter, options);
    CAPTURE(message);
    CHECK_THAT(message, Catch::Contains(bad.fragment));
    CHECK(std::regex_match(message, std::regex("^line 1, column [0-9]+: .*'[^']*'.*")));
    CHECK(SaysWhatWasExpected(message));
}

TEST_CASE("the error of a filter file names the file and the line", "[filter]") {
    CompileOptions options;
    options.source_name = "/etc/flowkit/web.filter";
    std::string message = ErrorOf("# web\nproto tcp and\n (port 80 or port 8o)\n", options);
    CHECK(message ==
          "file '/etc/flowkit/web.filter' line 3, column 19: invalid number '8o' for port: not "
          "a number (expected e.g. 1500, 0x5dc or 1.5k)");
}

// Regression: `port not not ... 53` recursed once per `not` and overflowed the stack
// (segfault at about 30000); it is now bounded like '(' and `not`.
TEST_CASE("port not repeated deeply is an error, not a stack overflow", "[filter][regression]") {
    std::string deep = "port " + Repeat("not ", 30000) + "53";
    CHECK_THAT(ErrorOf(deep), Catch::Contains("nested too deeply at 'not'; expected at most 500"));
    CHECK_THAT(ErrorOf("port " + Repeat("! ", 30000) + "53"),
               Catch::Contains("nested too deeply at '!'"));
    FlowRecord dns = MakeFlow("10.0.0.1", "10.0.0.2", 17, 40000, 53);
    FlowRecord web = MakeFlow("10.0.0.1", "10.0.0.2", 6, 40000, 80);
    CHECK_FALSE(Matches("port not 53", dns));
    CHECK(Matches("port not 53", web));
    CHECK(Matches("port not not 53", dns));
    CHECK_FALSE(Matches("port not not not 53", dns));
    CHECK(Matches("port " + Repeat("not ", 500) + "53", dns));  // at the limit: even count
}

TEST_CASE("nesting deeper than 500 levels is refused with the position of the cut", "[filter]") {
    std::string ok = Repeat("(", 500) + "port 80" + Repeat(")", 500);
    CHECK(Matches(ok, MakeFlow("10.0.0.1", "10.0.0.2", 6, 80, 2)));
    std::string message = ErrorOf(Repeat("(", 501) + "port 80" + Repeat(")", 501));
    CHECK(message ==
          "line 1, column 501: expression nested too deeply at '('; expected at most 500 levels "
          "of '(' and 'not'");
    CHECK_THAT(ErrorOf(Repeat("not ", 501) + "port 80"),
               Catch::StartsWith("line 1, column 2001: expression nested too deeply at 'not'"));
}

TEST_CASE("lists hold at most 100000 entries, and longer ones are refused clearly", "[filter]") {
    auto numbers = [](int n, const char* sep) {
        std::string out;
        for (int i = 0; i < n; ++i) out += (i ? sep : "") + std::to_string(i % 65536);
        return out;
    };
    auto addresses = [](int n, const char* sep) {
        std::string out;
        for (int i = 0; i < n; ++i) {
            out += (i ? sep : "") + std::string("10.") + std::to_string(i >> 16) + "." +
                   std::to_string((i >> 8) & 255) + "." + std::to_string(i & 255);
        }
        return out;
    };
    FlowRecord r = MakeFlow("10.1.134.159", "192.0.2.1", 6, 34463, 2);  // entry 99999
    // The largest allowed lists compile and match their last entry.
    CHECK(Matches("port in [" + numbers(100000, " ") + "]", r));
    CHECK(Matches("src ip in [" + addresses(100000, ", ") + "]", r));
    CHECK(Matches("src ip " + addresses(100000, ","), r));
    // One more entry is an error naming the list's keyword and the limit.
    std::string big = "port in [" + numbers(100001, " ") + "]";
    CHECK_THAT(ErrorOf(big), Catch::Contains("list after 'port' too long at '34464'; expected at "
                                             "most 100000 entries"));
    CHECK_THAT(ErrorOf("ip in [" + addresses(100001, " ") + "]"),
               Catch::Contains("list after 'ip' too long at '10.1.134.160'"));
    CHECK_THAT(ErrorOf("host " + addresses(100001, ",")), Catch::Contains("list after 'host'"));
    CHECK_THAT(ErrorOf("net " + addresses(100001, ",")), Catch::Contains("list after 'net'"));
    CHECK_THAT(ErrorOf("port " + numbers(100001, ",")), Catch::Contains("list after 'port'"));
    CHECK_THAT(ErrorOf("vlan in [" + numbers(100001, ",") + "]"),
               Catch::Contains("list after 'vlan' too long"));
}

TEST_CASE("Check() reports exactly what Compile() reports and accepts what it compiles",
          "[filter]") {
    for (const char* text : {"proto tcp", "", "# only a comment", "port not 53",
                             "src net 10.0.0.0/8 and port 53", "(port 80\nor port 443)"}) {
        CAPTURE(text);
        CHECK(Filter::Check(text).ok());
    }
    for (const char* text : {"port not", "proto foo", "ip in []", "(("}) {
        CAPTURE(text);
        Status st = Filter::Check(text);
        REQUIRE_FALSE(st.ok());
        CHECK(st.code() == StatusCode::kInvalidArgument);
        CHECK(st.message() == ErrorOf(text));
    }
}

TEST_CASE("filter text longer than 16 MiB is refused before compiling", "[filter]") {
    std::string text = "port 80 or port 443";
    text.resize(size_t{16} << 20, ' ');  // blanks: the limit counts bytes, not terms
    CHECK(MustCompile(text).Match(MakeFlow("10.0.0.1", "10.0.0.2", 6, 1, 443)));
    text += ' ';
    CompileOptions options;
    options.source_name = "huge.filter";
    CHECK(ErrorOf(text, options) ==
          "file 'huge.filter' line 1, column 1: filter text of 16777217 bytes is too long; "
          "expected at most 16777216 bytes");
}
