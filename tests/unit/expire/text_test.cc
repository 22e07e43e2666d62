// SPDX-License-Identifier: BSD-2-Clause
// nfexpire's -s and -t arguments, its number formats and the .nfstat text, with the values
// and error texts nfexpire 1.7.1 gives for the same input.
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdlib>
#include <ctime>
#include <string>
#include <tuple>

#include "flow/expire.h"

using Catch::Generators::table;

TEST_CASE("sizes are parsed with 1024-based units and fractions", "[expire]") {
    auto [text, bytes] = GENERATE(table<const char*, uint64_t>({
        {"0", 0},
        {"1", 1},
        {"1.5", 1},  // whole bytes, rounded down
        {"1.999", 1},
        {"1024.7", 1024},
        {"1.5k", 1536},
        {"1.5K", 1536},
        {".5k", 512},
        {"5.", 5},
        {"5.k", 5120},
        {"0.1k", 102},
        {"100M", 104857600},
        {"100MB", 104857600},
        {"100mb", 104857600},
        {"100Mb", 104857600},
        {"1G", 1073741824},
        {"1.5G", 1610612736},
        {"2T", 2199023255552},
        {"2TB", 2199023255552},
        {"5B", 5},
        {"5b", 5},
        {"0.0009765625k", 1},
        {"16777215T", 18446742974197923840ULL},
    }));
    CAPTURE(text);
    flow::Result<uint64_t> r = flow::ParseExpireSize(text);
    REQUIRE(r.ok());
    CHECK(*r == bytes);
}

TEST_CASE("bad sizes are refused with nfexpire's texts", "[expire]") {
    auto [text, message] = GENERATE(table<const char*, const char*>({
        {"5q", "Garbage character(s) 'q' in '5q'"},
        {"5kq", "Garbage character(s) 'q' in '5kq'"},
        {"5bB", "Garbage character(s) 'B' in '5bB'"},
        {"5MBB", "Garbage character(s) 'B' in '5MBB'"},
        {"1e3", "Garbage character(s) 'e3' in '1e3'"},
        {"5 k", "Garbage character(s) ' k' in '5 k'"},
        {"0x10", "Garbage character(s) 'x10' in '0x10'"},
        {"5.5.5", "Garbage character(s) '.5' in '5.5.5'"},
        {"k", "Missing number in 'k'"},
        {"", "Missing number in ''"},
        {"-1", "Missing number in '-1'"},
        {" 5k", "Missing number in ' 5k'"},
        {".", "Missing number in '.'"},
        // nfexpire wraps these to nonsense; we refuse them.
        {"18446744073709551616", "Size '18446744073709551616' is too large"},
        {"16777216T", "Size '16777216T' is too large"},
    }));
    CAPTURE(text);
    flow::Result<uint64_t> r = flow::ParseExpireSize(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == flow::StatusCode::kInvalidArgument);
    CHECK(r.status().message() == message);
}

TEST_CASE("lifetimes combine w, d, H and M and default to hours", "[expire]") {
    auto [text, seconds] = GENERATE(table<const char*, uint64_t>({
        {"0", 0},
        {"", 0},
        {"1", 3600},
        {"24", 86400},
        {"5", 18000},
        {"1w", 604800},
        {"2d", 172800},
        {"3H", 10800},
        {"4M", 240},
        {"2d12H", 216000},
        {"1w2d3H4M", 788640},
        {"4M3H", 11040},  // any order
        {"2d5", 190800},  // a bare trailing number is hours
        {"2d0", 172800},
        {"00d", 0},
        {"0d1H", 3600},
        {"30500568904943w", 18446744073709526400ULL},
    }));
    CAPTURE(text);
    flow::Result<uint64_t> r = flow::ParseExpireLifetime(text);
    REQUIRE(r.ok());
    CHECK(*r == seconds);
}

TEST_CASE("bad lifetimes are refused with nfexpire's texts", "[expire]") {
    auto [text, message] = GENERATE(table<const char*, const char*>({
        {"1.5d", "Unknown time unit '1.5d'"},
        {"5.5", "Unknown time unit '5.5'"},
        {"1h", "Unknown time unit '1h'"},
        {"1m", "Unknown time unit '1m'"},
        {"1D", "Unknown time unit '1D'"},
        {"5s", "Unknown time unit '5s'"},
        {"2d1h", "Unknown time unit '1h'"},
        {"1w2x", "Unknown time unit '2x'"},
        {"5 ", "Unknown time unit '5 '"},
        {"d", "Missing number before 'd'"},
        {"M", "Missing number before 'M'"},
        {"2dd", "Missing number before 'd'"},
        {"-1", "Missing number before '-1'"},
        {" 5", "Missing number before ' 5'"},
        {"2d-1", "Missing number before '-1'"},
        {"1w1w", "Ambiguous weeks 1w"},
        {"2d3d", "Ambiguous days 3d"},  // nfexpire prints "3D"
        {"3H4", "Ambiguous hours 4H"},
        {"4H5H", "Ambiguous hours 5H"},
        {"1H0", "Ambiguous hours 0H"},
        {"0H5H", "Ambiguous hours 5H"},  // nfexpire accepts a repeated unit after a 0
        {"3M4M", "Ambiguous minutes 4M"},
        {"99999999999999999999", "Lifetime '99999999999999999999' is too large"},
        {"30500568904944w", "Lifetime '30500568904944w' is too large"},
    }));
    CAPTURE(text);
    flow::Result<uint64_t> r = flow::ParseExpireLifetime(text);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == message);
}

TEST_CASE("sizes and ages print with nfexpire's units", "[expire]") {
    CHECK(flow::FormatExpireSize(0) == "0 B");
    CHECK(flow::FormatExpireSize(1023) == "1023 B");
    CHECK(flow::FormatExpireSize(1024) == "1024 = 1.0 KB");
    CHECK(flow::FormatExpireSize(1048575) == "1048575 = 1024.0 KB");
    CHECK(flow::FormatExpireSize(1048576) == "1048576 = 1.0 MB");
    CHECK(flow::FormatExpireSize(1073741824) == "1073741824 = 1.0 GB");
    CHECK(flow::FormatExpireSize(1099511627776) == "1099511627776 = 1.0 TB");
    CHECK(flow::FormatExpireSize(1152921504606846976ULL) == "1152921504606846976 = 1048576.0 TB");

    CHECK(flow::FormatExpireAge(0) == "0 sec");
    CHECK(flow::FormatExpireAge(59) == "59 sec");
    CHECK(flow::FormatExpireAge(60) == "60 = 1.0 min");
    CHECK(flow::FormatExpireAge(3540) == "3540 = 59.0 min");
    CHECK(flow::FormatExpireAge(3600) == "3600 = 1.0 hours");
    CHECK(flow::FormatExpireAge(86340) == "86340 = 24.0 hours");
    CHECK(flow::FormatExpireAge(86400) == "86400 = 1.0 days");
    CHECK(flow::FormatExpireAge(601200) == "601200 = 7.0 days");
    CHECK(flow::FormatExpireAge(604800) == "604800 = 1.0 weeks");
    CHECK(flow::FormatExpireAge(6048000000ULL) == "6048000000 = 10000.0 weeks");
}

TEST_CASE("the statistics block matches nfexpire -l", "[expire]") {
    flow::DirStat st;
    st.first_s = 1796397034;  // 2026-12-04 15:10:34 UTC
    st.last_s = 1796397044;
    st.size_bytes = 28672;
    st.num_files = 6;
    st.limits = {10240, 172800, 80};
    const char* old_tz = std::getenv("TZ");
    const std::string saved_tz = old_tz ? old_tz : "";
    ::setenv("TZ", "UTC", 1);
    ::tzset();
    CHECK(flow::FormatStatBlock(st) ==
          "First:     2026-12-04 15:10:34\n"
          "Last:      2026-12-04 15:10:44\n"
          "Lifetime:  10 sec\n"
          "Numfiles:  6\n"
          "Filesize:  28672 = 28.0 KB\n"
          "Max Size:  10240 = 10.0 KB\n"
          "Max Life:  172800 = 2.0 days\n"
          "Watermark: 80%\n"
          "Status:    OK\n");

    st.limits = {};
    st.status = 3;
    std::string block = flow::FormatStatBlock(st);
    CHECK(block.find("Max Size:  <none>\nMax Life:  <none>\nWatermark: 0%\n") != std::string::npos);
    CHECK(block.find("Status:    Force rebuild\n") != std::string::npos);

    flow::ExpireReport report;
    report.files_expired = 5;
    report.bytes_expired = 24576;
    report.expired_range_s = 10;
    CHECK(flow::FormatExpiredBlock(report) ==
          "Expired files:      5\n"
          "Expired file size:  24576 = 24.0 KB\n"
          "Expired time range: 10 sec\n\n");

    if (old_tz) {
        ::setenv("TZ", saved_tz.c_str(), 1);
    } else {
        ::unsetenv("TZ");
    }
    ::tzset();
}

TEST_CASE(".nfstat text round-trips in nfdump's key order", "[expire]") {
    flow::DirStat st;
    st.first_s = 1796374800;
    st.last_s = 1796396400;
    st.size_bytes = 8192;
    st.num_files = 2;
    st.limits = {0, 172800, 95};
    std::string text = flow::FormatStatFile(st);
    // The file nfexpire 1.7.1 wrote for the same directory.
    CHECK(text ==
          "first=1796374800\nlast=1796396400\nsize=8192\nmaxsize=0\nnumfiles=2\n"
          "lifetime=172800\nwatermark=95\nstatus=0\n");

    flow::ParsedStatFile back = flow::ParseStatFile(text);
    CHECK_FALSE(back.needs_rebuild);
    CHECK(back.problems.empty());
    CHECK(back.stat.first_s == st.first_s);
    CHECK(back.stat.last_s == st.last_s);
    CHECK(back.stat.size_bytes == st.size_bytes);
    CHECK(back.stat.num_files == st.num_files);
    CHECK(back.stat.limits.max_size_bytes == 0);
    CHECK(back.stat.limits.max_lifetime_s == 172800);
    CHECK(back.stat.limits.watermark_pct == 95);
    CHECK(back.stat.status == 0);

    st.limits = {UINT64_MAX, UINT64_MAX - 1, 100};
    st.size_bytes = UINT64_MAX;
    back = flow::ParseStatFile(flow::FormatStatFile(st));
    CHECK(back.stat.limits.max_size_bytes == UINT64_MAX);
    CHECK(back.stat.limits.max_lifetime_s == UINT64_MAX - 1);
    CHECK(back.stat.size_bytes == UINT64_MAX);
}

TEST_CASE(".nfstat parsing is lenient about layout but keeps limits", "[expire]") {
    flow::ParsedStatFile p = flow::ParseStatFile(
        "# written by hand\r\n"
        "\n"
        "  maxsize = 1048576 \r\n"
        "first=1796374800\n"
        "last=1796396400\n"
        "colour=blue\n"
        "lifetime=3600");  // no final newline
    CHECK_FALSE(p.needs_rebuild);
    CHECK(p.stat.limits.max_size_bytes == 1048576);
    CHECK(p.stat.limits.max_lifetime_s == 3600);
    REQUIRE(p.problems.size() == 1);
    CHECK(p.problems[0] == "unknown key 'colour'");
}

TEST_CASE(".nfstat sanity rules ask for a rebuild", "[expire]") {
    auto [text, why] = GENERATE(table<const char*, const char*>({
        {"", "empty"},
        {"first=0\nlast=5\n", "first is 0"},
        {"first=9\nlast=5\n", "first after last"},
        {"first=1\nlast=5\nstatus=4\n", "unknown status"},
        {"first=1\nlast=5\nstatus=3\n", "rebuild requested"},
        {"first=1\nlast=5\nwatermark=101\n", "watermark above 100"},
        {"first=1\nlast=5\nsize=-3\n", "negative value"},
        {"first=1\nlast=5\nsize=12k\n", "value with a unit"},
        {"first=1\nlast=5\nsize\n", "line without ="},
    }));
    CAPTURE(why);
    CHECK(flow::ParseStatFile(text).needs_rebuild);
}

TEST_CASE(".nfstat damage keeps the limits that still parse", "[expire]") {
    flow::ParsedStatFile p =
        flow::ParseStatFile("first=garbage\nlast=5\nmaxsize=4096\nlifetime=60\nwatermark=250\n");
    CHECK(p.needs_rebuild);
    CHECK(p.stat.limits.max_size_bytes == 4096);
    CHECK(p.stat.limits.max_lifetime_s == 60);
    CHECK(p.stat.limits.watermark_pct == 0);  // 250 is dropped, the default applies
}

// Guards the in-place rewrite: new lines are complete, an old tail may follow them.
TEST_CASE(".nfstat duplicate keys: the first one wins", "[expire][regression]") {
    flow::ParsedStatFile p = flow::ParseStatFile(
        "first=10\nlast=20\nsize=0\nmaxsize=100\nnumfiles=0\nlifetime=0\nwatermark=95\n"
        "status=0\nmaxsize=1\n");
    CHECK(p.stat.limits.max_size_bytes == 100);
    CHECK(p.problems.size() == 1);
}

// Any damage to a record gives either a record that passes nfdump's sanity rules or a
// request to rebuild; never a crash, never a watermark above 100.
TEST_CASE(".nfstat prefixes and byte flips are handled", "[expire]") {
    const std::string good =
        "first=1796374800\nlast=1796396400\nsize=8192\nmaxsize=1048576\nnumfiles=2\n"
        "lifetime=172800\nwatermark=95\nstatus=0\n";
    auto check = [](const std::string& text) {
        flow::ParsedStatFile p = flow::ParseStatFile(text);
        CHECK(p.stat.limits.watermark_pct <= 100);
        if (!p.needs_rebuild) {
            CHECK(p.stat.first_s > 0);
            CHECK(p.stat.first_s <= p.stat.last_s);
            CHECK(p.stat.status == 0);
        }
    };
    for (size_t n = 0; n <= good.size(); ++n) check(good.substr(0, n));
    for (size_t i = 0; i < good.size(); ++i) {
        for (char c : {'\0', '=', '\n', '9', 'x', '#', ' ', '\xff'}) {
            std::string bad = good;
            bad[i] = c;
            check(bad);
        }
    }
    CHECK_FALSE(flow::ParseStatFile(good).needs_rebuild);
    CHECK(flow::ParseStatFile(good.substr(0, good.find("last="))).needs_rebuild);
}
