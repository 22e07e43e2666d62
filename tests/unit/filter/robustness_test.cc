// SPDX-License-Identifier: BSD-2-Clause
// Compile() on hostile input: random token soup, every prefix of valid filters, and raw
// bytes. Each call must return a Filter or an InvalidArgument message, never crash (run
// under ASan/UBSan with FLOWKIT_SANITIZE=ON), and compiled filters must evaluate.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>
#include <regex>
#include <string>
#include <vector>

#include "unit/filter/test_util.h"

using namespace flow;
using namespace flow::filter;
using namespace flow::filter::testing;

namespace {

// Every message gives the position, quotes the offending token (or a keyword near it) and
// says what was expected, allowed or what to write instead.
void CheckMessageShape(const std::string& message) {
    CAPTURE(message);
    static const std::regex kShape("^line [0-9]+, column [0-9]+: .*'[^']*'.*");
    CHECK(std::regex_match(message, kShape));
    bool says_what = false;
    for (const char* word : {"expected", "allowed", "write", "use ", "not supported", "need"}) {
        says_what = says_what || message.find(word) != std::string::npos;
    }
    CHECK(says_what);
}

// Compiles `text`; on success runs it over the sample records. Returns true if it compiled.
bool Exercise(const std::string& text) {
    CompileOptions options;
    options.resolve_names = false;  // random words must never reach a DNS server
    Result<Filter> f = Filter::Compile(text, options);
    if (!f.ok()) {
        CHECK(f.status().code() == StatusCode::kInvalidArgument);
        CHECK_FALSE(f.status().message().empty());
        CHECK(f.status().message().find('\n') == std::string::npos);
        CheckMessageShape(f.status().message());
        return false;
    }
    uint64_t count = 0;
    for (const FlowRecord& r : SampleRecords()) {
        std::string_view label;
        (void)f->Match(r, MatchContext{++count}, &label);
    }
    (void)f->Dump();
    return true;
}

}  // namespace

TEST_CASE("random token soup never crashes the compiler", "[filter]") {
    const std::vector<std::string> words = {"(",
                                            ")",
                                            "[",
                                            "]",
                                            ",",
                                            "/",
                                            "%",
                                            "!",
                                            "&&",
                                            "||",
                                            "=",
                                            "==",
                                            ">",
                                            "<",
                                            ">=",
                                            "<=",
                                            "!=",
                                            "and",
                                            "or",
                                            "not",
                                            "src",
                                            "dst",
                                            "in",
                                            "out",
                                            "prev",
                                            "next",
                                            "ip",
                                            "host",
                                            "net",
                                            "port",
                                            "proto",
                                            "tcp",
                                            "udp",
                                            "flags",
                                            "SA",
                                            "X",
                                            "tos",
                                            "packets",
                                            "bytes",
                                            "pps",
                                            "duration",
                                            "as",
                                            "mask",
                                            "vlan",
                                            "mac",
                                            "mpls",
                                            "label1",
                                            "eos",
                                            "any",
                                            "if",
                                            "ident",
                                            "count",
                                            "10.0.0.1",
                                            "10/8",
                                            "2001:db8::",
                                            "80",
                                            "0x50",
                                            "1k",
                                            "5.9M",
                                            "65536",
                                            "00:11:22:33:44:55",
                                            "pblock",
                                            "icmp-type",
                                            "asa",
                                            "event",
                                            "nat",
                                            "'q'",
                                            "\"",
                                            "#",
                                            "\n",
                                            "portrange",
                                            "1-5",
                                            "ipv6",
                                            "router",
                                            "xip",
                                            "ingress",
                                            "acl"};
    uint32_t seed = 12345;
    if (const char* s = std::getenv("FLOWKIT_FILTER_SEED")) seed = std::stoul(s);
    CAPTURE(seed);
    std::mt19937 rng(seed);
    int compiled = 0;
    for (int round = 0; round < 20000; ++round) {
        std::string text;
        int n = 1 + static_cast<int>(rng() % 8);
        for (int i = 0; i < n; ++i) text += words[rng() % words.size()] + " ";
        CAPTURE(text);
        if (Exercise(text)) ++compiled;
    }
    // Some soups are valid filters; make sure the test reaches the evaluator at all.
    CHECK(compiled > 100);
}

TEST_CASE("every prefix and every byte flip of valid filters is handled", "[filter]") {
    const std::vector<std::string> valid = {
        "proto tcp and (port 80 or port 443) and not src net 10.0.0.0/8",
        "ip in [192.0.2.1/32, 2001:db8::/32 198.51.100.7] or mac 00:11:22:33:44:55",
        "(flags SA) %SYNACK or %BIG (bytes > 1.5M) or mpls label2 > 16",
        "src and dst port in [1, 2, 3] and tos 0x28 && !ipv6 || count >= 3",
    };
    for (const std::string& text : valid) {
        REQUIRE(Exercise(text));
        for (size_t len = 0; len <= text.size(); ++len) Exercise(text.substr(0, len));
        for (size_t i = 0; i < text.size(); ++i) {
            for (unsigned char c : {'\0', '\xff', '(', ']', ' ', '9', ':', '%'}) {
                std::string damaged = text;
                damaged[i] = static_cast<char>(c);
                Exercise(damaged);
            }
        }
    }
}

TEST_CASE("raw random bytes are rejected or compiled, never crash", "[filter]") {
    std::mt19937 rng(777);
    for (int round = 0; round < 5000; ++round) {
        std::string text(rng() % 40, '\0');
        for (char& c : text) c = static_cast<char>(rng() % 256);
        Exercise(text);
    }
}

TEST_CASE("error messages stay one short line for huge or multi-line tokens", "[filter]") {
    std::string huge = "port " + std::string(100000, '7');
    Result<Filter> f = Filter::Compile(huge);
    REQUIRE_FALSE(f.ok());
    CHECK(f.status().message().size() < 1000);
    CHECK_THAT(f.status().message(), Catch::Contains("number too large"));
    Result<Filter> g = Filter::Compile("ident 'a\nb' and (port 1) %'x\ny'");
    REQUIRE_FALSE(g.ok());
    CHECK(g.status().message().find('\n') == std::string::npos);
    CHECK_THAT(g.status().message(), Catch::Contains("\\n"));
}
