// SPDX-License-Identifier: BSD-2-Clause
// The language around the primitives: precedence, comments, error messages and positions,
// nesting limits, tcpdump forms, flow labels, the compiled program and its optimisations.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <string>

#include "unit/filter/test_util.h"

using namespace flow;
using namespace flow::filter;
using namespace flow::filter::testing;

namespace {

std::string DumpOf(const std::string& text) { return MustCompile(text).Dump(); }

}  // namespace

TEST_CASE("empty, blank and comment-only filters match everything", "[filter]") {
    FlowRecord r = MakeFlow("10.0.0.1", "10.0.0.2", 6, 1, 2);
    for (const char* text : {"", "   ", "\n\t", "# nothing but a comment", "any"}) {
        CAPTURE(text);
        Filter f = MustCompile(text);
        CHECK(f.matches_all());
        CHECK(f.Match(r));
    }
    Filter def;
    CHECK(def.matches_all());
    CHECK(def.Match(r));
    CHECK_FALSE(MustCompile("port 1").matches_all());
    CHECK(MustCompile("port 1 or any").matches_all());  // folded to a constant
    CHECK_FALSE(MustCompile("not any").Match(r));
}

TEST_CASE("not binds tighter than and, and tighter than or", "[filter]") {
    // a = proto tcp (true), b = port 99 (false), c = port 1 (true).
    FlowRecord r = MakeFlow("10.0.0.1", "10.0.0.2", 6, 1, 2);
    CHECK(Matches("proto tcp or port 99 and port 98", r));  // a or (b and x)
    CHECK_FALSE(Matches("(proto tcp or port 99) and port 98", r));
    CHECK(Matches("not port 99 and port 1", r));  // (not b) and c
    CHECK_FALSE(Matches("not (port 1 and proto tcp)", r));
    CHECK(Matches("not proto tcp or port 1", r));  // (not a) or c
    CHECK_FALSE(Matches("not (proto tcp or port 1)", r));
    CHECK(Matches("port 99 or port 98 or port 1", r));
    CHECK(Matches("! port 99 && port 1 || port 98", r));
    CHECK(DumpOf("proto tcp or port 99 and port 98") ==
          DumpOf("proto tcp or (port 99 and port 98)"));
    CHECK(DumpOf("not proto tcp or port 1") == DumpOf("(not proto tcp) or port 1"));
}

TEST_CASE("keywords are case-insensitive, comments and newlines are whitespace", "[filter]") {
    FlowRecord r = MakeFlow("10.0.0.1", "10.0.0.2", 17, 53, 40000);
    CHECK(Matches("PROTO UDP AND SRC PORT 53", r));
    CHECK(Matches("Proto Udp # the DNS replies\n and\tport 53", r));
    CHECK(Matches("port>52", r));
    CHECK(Matches("bytes>=1000", r));
    CHECK(Matches("(port 53)and(proto udp)", r));
}

TEST_CASE("aliases compile to the same program", "[filter]") {
    std::string base = DumpOf("port 80");
    for (const char* alias : {"port = 80", "port == 80", "port eq 80", "port EQ 80", "port 0x50",
                              "src or dst port 80"}) {
        CAPTURE(alias);
        CHECK(DumpOf(alias) == base);
    }
    CHECK(DumpOf("ipv4") == DumpOf("inet"));
    CHECK(DumpOf("ipv4") == DumpOf("not ipv6"));
    CHECK(DumpOf("not not port 80") == base);
    CHECK(DumpOf("port 80 && proto tcp") == DumpOf("port 80 and proto tcp"));
    CHECK(DumpOf("port not 53") == DumpOf("not port 53"));
    CHECK(DumpOf("host 192.0.2.1 or host 192.0.2.2 or host 192.0.2.3") ==
          DumpOf("ip in [192.0.2.1 192.0.2.2 192.0.2.3]"));
    CHECK(DumpOf("net 192.168.1.0/24") == DumpOf("net 192.168.1.0 255.255.255.0"));
    CHECK(DumpOf("net 192.168.1.0/24") == DumpOf("net 192.168.1.99/24"));
    CHECK(DumpOf("dir 0") == DumpOf("flowdir ingress"));
}

TEST_CASE("the program dump shows tests, jumps and constants", "[filter]") {
    std::string dump = DumpOf("proto tcp and port 80");
    CHECK_THAT(dump, Catch::Contains("proto == 6"));
    CHECK_THAT(dump, Catch::Contains("src_port == 80"));
    CHECK_THAT(dump, Catch::Contains("dst_port == 80"));
    CHECK_THAT(dump, Catch::Contains("ACCEPT"));
    CHECK_THAT(dump, Catch::Contains("REJECT"));
    CHECK_THAT(DumpOf("any"), Catch::Contains("constant: ACCEPT"));
    CHECK_THAT(DumpOf("not any"), Catch::Contains("constant: REJECT"));
    CHECK_THAT(DumpOf("proto tcp and not any"), Catch::Contains("constant: REJECT"));
    CHECK_THAT(DumpOf("ip 2001:db8::1"), Catch::Contains("src_addr in 2001:db8::1"));
    CHECK_THAT(DumpOf("net 10.0.0.0/8"), Catch::Contains("src_addr in 10.0.0.0/8"));
    CHECK_THAT(DumpOf("port in [443 80 80 22]"), Catch::Contains("src_port in [22 80 443]"));
    CHECK(MustCompile("port 80").text() == "port 80");
}

TEST_CASE("cheap tests run before expensive ones without changing results", "[filter]") {
    // bps needs a division, proto is one byte: proto must come first in the program.
    std::string dump = DumpOf("bps > 1000 and proto tcp");
    CHECK(dump.find("proto == 6") < dump.find("bps > 1000"));
    FlowRecord r = MakeFlow("10.0.0.1", "10.0.0.2", 6, 1, 2);
    r.bytes = 1000000;
    CHECK(Matches("bps > 1000 and proto tcp", r));
    CHECK_FALSE(Matches("bps > 1000 and proto udp", r));
}

TEST_CASE("long or-chains become one sorted list test", "[filter]") {
    std::string text = "host 10.0.0.1";
    for (int i = 2; i <= 300; ++i) text += " or host 10.0.1." + std::to_string(i % 250);
    std::string dump = DumpOf(text);
    CHECK_THAT(dump, Catch::Contains("src_addr in ["));
    CHECK(std::count(dump.begin(), dump.end(), '\n') == 3);  // start line + two list tests
    CHECK(Matches(text, MakeFlow("192.0.2.1", "10.0.1.200", 6, 1, 2)));
    CHECK_FALSE(Matches(text, MakeFlow("192.0.2.1", "10.0.2.200", 6, 1, 2)));
}

TEST_CASE("errors name the problem, the token and its line and column", "[filter]") {
    struct Bad {
        const char* filter;
        const char* fragment;
    };
    auto bad = GENERATE(values<Bad>({
        {"(port 80", "line 1, column 1: unbalanced '('"},
        {"port 80)", "line 1, column 8: unbalanced ')'"},
        {"((port 80)", "unbalanced '('"},
        {"()", "column 2: unexpected ')'"},
        {"ip 300.1.1.1", "column 4: invalid IP address '300.1.1.1'"},
        {"ip 1.2.3.4.5", "invalid IP address '1.2.3.4.5'"},
        {"ip 192.168.1", "incomplete IP address '192.168.1'"},
        {"ip 2001:db8", "incomplete IP address '2001:db8'"},
        {"ip 2001:db8::1::2", "invalid IP address"},
        {"packets 12x", "invalid number '12x' for packets"},
        {"duration 1.5", "fractions need a scale letter"},
        {"as in [127.0.1.10]", "invalid number '127.0.1.10' for as: not a number ("},
        {"bytes 1.0001k", "not a whole number"},
        {"packets 18446744073709551616", "number too large"},
        {"packets -1", "invalid number '-1'"},
        {"frobnicate 3", "column 1: unknown filter keyword 'frobnicate'"},
        {"src frobnicate 3", "unknown primitive 'frobnicate' after 'src'"},
        {"port 80 and", "filter ends too early after 'and'"},
        {"and port 80", "unexpected 'and'"},
        {"port 80 port 81", "column 9: unexpected 'port'; expected 'and', 'or'"},
        {"port != 80", "no not-equal comparator"},
        {"port <> 80", "no not-equal comparator"},
        {"port ne 80", "no not-equal comparator"},
        {"port => 80", "column 7: unexpected '>'"},
        {"ident 'abc", "unterminated quoted string"},
        {"port 80 $", "unexpected character '$'"},
        {"in vlan 10", "qualifier 'in' is not allowed with 'vlan' (allowed: src, dst"},
        {"prev port 5", "qualifier 'prev' is not allowed with 'port'"},
        {"flags S C", "unexpected 'C'"},
        {"tos 300", "tos '300' out of range; expected 0..255"},
        {"less 100", "packet length"},
        {"net x.y/8", "invalid network address 'x.y'"},
        {"(port 80) %waytoolonglabelname1", "too long; expected 1 to 16 characters"},
        {"1.2.3.4", "cannot start a primitive"},
        {"tcp udp", "unexpected 'udp'; expected a primitive or 'and'/'or' after 'tcp'"},
    }));
    CAPTURE(bad.filter);
    CHECK_THAT(ErrorOf(bad.filter), Catch::Contains(bad.fragment));
}

TEST_CASE("errors count lines and name the filter file", "[filter]") {
    CompileOptions options;
    options.source_name = "rules.txt";
    std::string error = ErrorOf("# first line\nproto tcp and\n  port 99999", options);
    CHECK_THAT(error,
               Catch::StartsWith("file 'rules.txt' line 3, column 8: port '99999' out of range"));
    CHECK_THAT(ErrorOf("proto tcp\n\nand bogus 1"), Catch::StartsWith("line 3, column 5:"));
    CHECK(Filter::Check("proto tcp").ok());
    Status st = Filter::Check("proto tcpp");
    CHECK(st.code() == StatusCode::kInvalidArgument);
    CHECK_THAT(st.message(), Catch::Contains("unknown protocol 'tcpp'"));
}

TEST_CASE("deep nesting is an error, not a stack overflow", "[filter]") {
    std::string parens(10000, '(');
    CHECK_THAT(ErrorOf(parens + "port 80" + std::string(10000, ')')),
               Catch::Contains("nested too deeply"));
    std::string nots;
    for (int i = 0; i < 10000; ++i) nots += "not ";
    CHECK_THAT(ErrorOf(nots + "port 80"), Catch::Contains("nested too deeply"));
    CHECK_THAT(ErrorOf(std::string(100000, '!') + "port 80"), Catch::Contains("nested too deeply"));
    // Just under the limit still works.
    std::string ok = std::string(400, '(') + "port 80" + std::string(400, ')');
    CHECK(Matches(ok, MakeFlow("10.0.0.1", "10.0.0.2", 6, 80, 2)));
    // Long flat chains are not nesting: 50000 terms compile and run.
    std::string chain = "port 1";
    for (int i = 0; i < 50000; ++i) chain += i % 2 ? " or proto 99" : " and not port 7";
    FlowRecord r = MakeFlow("10.0.0.1", "10.0.0.2", 6, 1, 2);
    CHECK(MustCompile(chain).Match(r));  // the first term, "port 1 and not port 7", holds
    CHECK_FALSE(MustCompile(chain).Match(MakeFlow("10.0.0.1", "10.0.0.2", 6, 5, 7)));
}

TEST_CASE("tcpdump forms nfdump rejects are accepted with tcpdump's meaning", "[filter]") {
    FlowRecord dns = MakeFlow("10.0.0.1", "192.0.2.53", 17, 40000, 53);
    FlowRecord web = MakeFlow("10.0.0.1", "192.0.2.80", 6, 40000, 443);
    FlowRecord ping = MakeFlow("10.0.0.1", "192.0.2.1", 1, 0, 0x0800);
    CHECK(Matches("udp", dns));
    CHECK_FALSE(Matches("tcp", dns));
    CHECK(Matches("icmp", ping));
    CHECK(Matches("tcp port 443", web));
    CHECK_FALSE(Matches("udp port 443", web));
    CHECK(Matches("udp dst port 53", dns));
    CHECK(Matches("src 10.0.0.1", dns));
    CHECK(Matches("dst 192.0.2.53", dns));
    CHECK_FALSE(Matches("dst 10.0.0.1", dns));
    CHECK(Matches("ip src 10.0.0.1", dns));
    CHECK(Matches("ip host 192.0.2.53", dns));
    CHECK(Matches("ip proto 17", dns));
    CHECK(Matches("ip", dns));
    CHECK(Matches("port not 80", dns));
    CHECK_FALSE(Matches("port not 53", dns));
    CHECK(Matches("portrange 50-60", dns));
    CHECK(Matches("port 80,443", web));
    CHECK(Matches("port 80, 443", web));
    CHECK(Matches("dst port 80 or 443", web));  // the value repeats `dst port`
    CHECK_FALSE(Matches("src port 80 or 443", web));
    CHECK(Matches("host 192.0.2.99 or 192.0.2.80", web));
    CHECK(Matches("!tcp && (udp || icmp)", dns));
    CHECK(Matches("src or dst host 192.0.2.53", dns));
    CHECK(Matches("icmp and icmp type 8", ping));
    CHECK(Matches("net 192.0.2.0 mask 255.255.255.0", dns));
    CHECK(Matches("ether src 00:00:00:00:00:00", dns));
    // Comma lists without brackets, as console "basic" filter fields hold them.
    CHECK(Matches("dst ip 192.0.2.1,192.0.2.53", dns));
    CHECK(Matches("dst ip 192.0.2.1, 192.0.2.0/24", dns));
    CHECK_FALSE(Matches("src ip 192.0.2.1,192.0.2.53", dns));
    CHECK(Matches("net 172.16.0.0/12,192.0.2.0/24", dns));
    CHECK_FALSE(Matches("dst net 172.16.0.0/12, 10.0.0.0/8", dns));
    CHECK(Matches("src port 1,2,40000", dns));
    CHECK_THAT(ErrorOf("ip 192.0.2.1,"), Catch::Contains("expected an IP address after ','"));
}

TEST_CASE("flow labels name the labelled branch that decided a match", "[filter]") {
    Filter f = MustCompile("(proto udp) %UDP or (port 443) %HTTPS or %ICMP(proto icmp)");
    CHECK(f.has_labels());
    auto label_of = [&](const FlowRecord& r) {
        std::string_view label = "unset";
        bool matched = f.Match(r, MatchContext{}, &label);
        return matched ? std::string(label) : std::string("no match");
    };
    CHECK(label_of(MakeFlow("10.0.0.1", "10.0.0.2", 17, 1, 2)) == "UDP");
    CHECK(label_of(MakeFlow("10.0.0.1", "10.0.0.2", 6, 1, 443)) == "HTTPS");
    CHECK(label_of(MakeFlow("10.0.0.1", "10.0.0.2", 1, 0, 0)) == "ICMP");
    CHECK(label_of(MakeFlow("10.0.0.1", "10.0.0.2", 6, 1, 80)) == "no match");
    Filter plain = MustCompile("proto tcp");
    std::string_view label = "unset";
    CHECK(plain.Match(MakeFlow("10.0.0.1", "10.0.0.2", 6, 1, 2), MatchContext{}, &label));
    CHECK(label.empty());
    CHECK_FALSE(plain.has_labels());
    // A labelled branch that matched but whose conjunction failed does not label the record.
    Filter nested = MustCompile("((port 80) %WEB and proto udp) or proto tcp");
    label = "unset";
    CHECK(nested.Match(MakeFlow("10.0.0.1", "10.0.0.2", 6, 1, 80), MatchContext{}, &label));
    CHECK(label.empty());
}

// Guards the message of an error inside an @include'd file: it named the -f file and the
// line in the expanded text, not the included file and its own line.
TEST_CASE("errors in an included filter file name that file and its line", "[filter][regression]") {
    std::string dir = "/tmp/flowkit-filter-origin-" + std::to_string(getpid());
    REQUIRE(mkdir(dir.c_str(), 0700) == 0);
    auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir + "/" + name) << text;
    };
    const std::string inner = dir + "/inner.txt";
    const std::string outer = dir + "/outer.txt";
    write("inner.txt", "# ports\nport 80 or\n  bogus\n");
    write("outer.txt", "proto tcp and (\n@include " + inner + "\n)\n");
    write("open.txt", "proto tcp\n@include " + dir + "/ok.txt\nand (\n");
    write("ok.txt", "and port 1\nand port 2\nand port 3\n");

    auto error_of = [&](const std::string& path) {
        CompileOptions options;
        Result<std::string> text = ReadFilterFile(path, &options.line_sources);
        REQUIRE(text.ok());
        options.source_name = path;
        Result<Filter> f = Filter::Compile(text.value(), options);
        REQUIRE_FALSE(f.ok());
        return f.status().message();
    };
    // The bad word is on line 3 of inner.txt (line 4 of the expanded text).
    CHECK_THAT(error_of(outer), Catch::StartsWith("file '" + inner + "' line 3, column 3:"));
    // The end of the filter is the end of the file given to -f.
    CHECK_THAT(error_of(dir + "/open.txt"),
               Catch::StartsWith("file '" + dir + "/open.txt' line 4, column 1:"));
    // Without the line map, messages keep the -f name and the line in the text.
    CompileOptions plain;
    plain.source_name = outer;
    Result<Filter> f = Filter::Compile(ReadFilterFile(outer).value(), plain);
    REQUIRE_FALSE(f.ok());
    CHECK_THAT(f.status().message(), Catch::StartsWith("file '" + outer + "' line 4,"));

    for (const char* name : {"inner.txt", "outer.txt", "open.txt", "ok.txt"}) {
        unlink((dir + "/" + name).c_str());
    }
    rmdir(dir.c_str());
}

TEST_CASE("filter files expand @include lines and report unreadable files", "[filter]") {
    std::string dir = "/tmp/flowkit-filter-files-" + std::to_string(getpid());
    REQUIRE(mkdir(dir.c_str(), 0700) == 0);
    auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir + "/" + name) << text;
    };
    write("inner.txt", "# web ports\nport in [80 443]\n");
    write("outer.txt", "proto tcp and (\n  @include " + dir + "/inner.txt\n)\n");
    write("loop.txt", "@include " + dir + "/loop.txt\n");
    write("empty.txt", "@include\n");

    Result<std::string> text = ReadFilterFile(dir + "/outer.txt");
    REQUIRE(text.ok());
    CHECK_THAT(text.value(), Catch::Contains("port in [80 443]"));
    CompileOptions options;
    options.source_name = dir + "/outer.txt";
    Filter f = MustCompile(text.value(), options);
    CHECK(f.Match(MakeFlow("10.0.0.1", "10.0.0.2", 6, 1, 443)));
    CHECK_FALSE(f.Match(MakeFlow("10.0.0.1", "10.0.0.2", 17, 1, 443)));

    Result<std::string> missing = ReadFilterFile(dir + "/nope.txt");
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.status().code() == StatusCode::kIoError);
    CHECK_THAT(missing.status().message(), Catch::Contains("No such file or directory"));
    Result<std::string> loop = ReadFilterFile(dir + "/loop.txt");
    REQUIRE_FALSE(loop.ok());
    CHECK_THAT(loop.status().message(), Catch::Contains("nested deeper than 10"));
    CHECK_FALSE(ReadFilterFile(dir + "/empty.txt").ok());
    CHECK_THAT(ErrorOf("@include x"), Catch::Contains("only in filter files"));

    for (const char* name : {"inner.txt", "outer.txt", "loop.txt", "empty.txt"}) {
        unlink((dir + "/" + name).c_str());
    }
    rmdir(dir.c_str());
}
