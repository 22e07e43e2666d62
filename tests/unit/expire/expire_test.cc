// SPDX-License-Identifier: BSD-2-Clause
// Expiry on generated data directories: the scan (flat and every -S layout, foreign files),
// nfexpire's decision rules at their boundaries (values observed with nfexpire 1.7.1), the
// run modes, `.nfstat` handling, locking, dry runs and the runtime bound.
#include "flow/expire.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "unit/scoped_tz.h"

namespace fs = std::filesystem;
using Catch::Generators::table;

namespace {

using TzGuard = unittest::ScopedTz;

// 2026-12-10 12:00:00 UTC, the "now" of most tests.
constexpr int64_t kNoon = 1796904000;

std::string Strftime(int64_t t, const char* fmt) {
    time_t tt = static_cast<time_t>(t);
    struct tm tm;
    ::localtime_r(&tt, &tm);
    char buf[128];
    std::strftime(buf, sizeof(buf), fmt, &tm);
    return buf;
}

std::string FlowName(int64_t t, bool seconds = false) {
    return Strftime(t, seconds ? "nfcapd.%Y%m%d%H%M%S" : "nfcapd.%Y%m%d%H%M");
}

// A data directory in /tmp that disappears with the test.
class Tree {
public:
    Tree() {
        char tmpl[] = "/tmp/flowkit-expire-XXXXXX";
        root_ = ::mkdtemp(tmpl);
    }
    ~Tree() {
        std::error_code ec;
        fs::remove_all(root_, ec);
    }

    std::string dir() const { return root_.string(); }
    std::string operator/(const std::string& rel) const { return (root_ / rel).string(); }

    void Write(const std::string& rel, size_t bytes = 1000) {
        fs::create_directories((root_ / rel).parent_path());
        std::ofstream(root_ / rel) << std::string(bytes, 'x');
    }

    // A flow file for time `t` in the -S sub-directory `layout` (strftime, "" = flat).
    std::string AddFlow(int64_t t, const std::string& layout = "", size_t bytes = 1000,
                        bool seconds = false) {
        std::string rel =
            (layout.empty() ? "" : Strftime(t, layout.c_str()) + "/") + FlowName(t, seconds);
        Write(rel, bytes);
        return rel;
    }

    // `count` files every `step` seconds from `start`; returns their relative paths.
    std::vector<std::string> AddSeries(int64_t start, int64_t step, int count,
                                       const std::string& layout = "", size_t bytes = 1000) {
        std::vector<std::string> out;
        for (int i = 0; i < count; ++i) out.push_back(AddFlow(start + i * step, layout, bytes));
        return out;
    }

    // Regular files below the root except `.nfstat`, sorted.
    std::vector<std::string> Files() const {
        std::vector<std::string> out;
        for (auto& e : fs::recursive_directory_iterator(root_)) {
            if (e.is_regular_file() && !e.is_symlink() && e.path().filename() != ".nfstat") {
                out.push_back(fs::relative(e.path(), root_).string());
            }
        }
        std::sort(out.begin(), out.end());
        return out;
    }

    bool Exists(const std::string& rel) const {
        std::error_code ec;
        return fs::exists(fs::symlink_status(root_ / rel, ec));
    }

    // Disk usage of a file as nfexpire counts it.
    uint64_t DiskBytes(const std::string& rel) const {
        struct stat st;
        REQUIRE(::stat((root_ / rel).c_str(), &st) == 0);
        return 512ULL * static_cast<uint64_t>(st.st_blocks);
    }

    // Sets every directory's mtime `age_s` into the past: an archive, not a fresh tree.
    void AgeDirectories(int64_t age_s = 86400) {
        auto when = fs::file_time_type::clock::now() - std::chrono::seconds(age_s);
        for (auto& e : fs::recursive_directory_iterator(root_)) {
            if (e.is_directory() && !e.is_symlink()) fs::last_write_time(e.path(), when);
        }
    }

    std::string ReadStat() const {
        std::ifstream in(root_ / ".nfstat");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

    void WriteStat(const std::string& text) const { std::ofstream(root_ / ".nfstat") << text; }

private:
    fs::path root_;
};

std::vector<std::string> Tail(const std::vector<std::string>& v, size_t n) {
    return std::vector<std::string>(v.end() - static_cast<long>(n), v.end());
}

flow::FlowFileEntry Entry(int64_t t, uint64_t bytes = 4096, bool seconds = false) {
    flow::FlowFileEntry e;
    e.time_s = t;
    e.disk_bytes = bytes;
    e.has_seconds = seconds;
    return e;
}

// A file with a 14-digit name, `age` seconds before kNoon.
flow::FlowFileEntry Entry14(int64_t age) { return Entry(kNoon - age, 4096, true); }

std::vector<flow::FlowFileEntry> Series(int64_t start, int64_t step, int count,
                                        uint64_t bytes = 4096) {
    std::vector<flow::FlowFileEntry> v;
    for (int i = 0; i < count; ++i) v.push_back(Entry(start + i * step, bytes));
    return v;
}

uint64_t Total(const std::vector<flow::FlowFileEntry>& v) {
    uint64_t t = 0;
    for (const auto& e : v) t += e.disk_bytes;
    return t;
}

flow::ExpireRequest ExpireAt(int64_t now) {
    flow::ExpireRequest r;
    r.now_s = now;
    return r;
}

}  // namespace

TEST_CASE("flow file names are read as local time", "[expire]") {
    {
        TzGuard tz("UTC");
        CHECK(*flow::FlowFileNameTime("nfcapd.202612041510") == 1796397000);
        CHECK(*flow::FlowFileNameTime("nfcapd.20261204151034") == 1796397034);
        // Out-of-range fields roll over as with mktime(): month 13, day 45 -> 2027-02-14.
        CHECK(*flow::FlowFileNameTime("nfcapd.202613450000") == 1802563200);
    }
    {
        TzGuard tz("Europe/Berlin");
        CHECK(*flow::FlowFileNameTime("nfcapd.202607011200") == 1782900000);
        // 02:30 on the day the clocks go back names two instants: always the earlier one
        // (00:30 UTC, summer time), whatever name was read before (mktime() alone gave
        // 01:30 UTC after a winter time, 00:30 after a summer one).
        CHECK(*flow::FlowFileNameTime("nfcapd.202612011200") == 1796122800);
        CHECK(*flow::FlowFileNameTime("nfcapd.202610250230") == 1792888200);
        CHECK(*flow::FlowFileNameTime("nfcapd.202607011200") == 1782900000);
        CHECK(*flow::FlowFileNameTime("nfcapd.202610250230") == 1792888200);
        CHECK(*flow::FlowFileNameTime("nfcapd.202610250300") == 1792893600);
        // 02:30 on the day the clocks go forward does not exist: as mktime() reads it.
        CHECK(*flow::FlowFileNameTime("nfcapd.202603290230") > 0);
    }
    for (const char* bad : {"nfcapd.2026120415", "nfcapd.current.123", "nfcapd.202612041510+0100",
                            "nfcapd.20261204151a", "xfcapd.202612041510"}) {
        CAPTURE(bad);
        flow::Result<int64_t> r = flow::FlowFileNameTime(bad);
        REQUIRE_FALSE(r.ok());
        CHECK(r.status().code() == flow::StatusCode::kInvalidArgument);
    }
}

TEST_CASE("the scan finds flow files in every -S layout and nothing else", "[expire]") {
    TzGuard tz("UTC");
    const char* layout = GENERATE("", "%Y/%m/%d", "%Y/%m/%d/%H", "%Y/%W/%u", "%Y/%W/%u/%H", "%Y/%j",
                                  "%Y/%j/%H", "%Y-%m-%d", "%Y-%m-%d/%H");
    CAPTURE(layout);
    Tree t;
    // Every 3 hours across the end of November.
    std::vector<std::string> flows = t.AddSeries(kNoon - 12 * 86400, 3 * 3600, 60, layout);
    t.Write("nfcapd.current.4711");
    t.Write("README");
    t.Write(".hidden/" + FlowName(kNoon - 40 * 86400));
    t.Write("abc/" + FlowName(kNoon - 40 * 86400));
    t.Write("nfcapd.202601010000.old");
    t.Write("nfcapd.2026010100");
    fs::create_directories(t / "nfcapd.202601010000");
    t.Write("elsewhere.bin");
    fs::create_symlink(t / "elsewhere.bin", t / FlowName(kNoon - 50 * 86400));

    flow::Result<flow::FlowDirectoryScan> scan = flow::ScanFlowDirectory(t.dir());
    REQUIRE(scan.ok());
    std::vector<std::string> found;
    for (const auto& f : scan->files) found.push_back(f.path.substr(t.dir().size() + 1));
    // Walk order is byte-wise name order at every level: oldest first for each layout.
    CHECK(found == flows);

    uint64_t size = 0;
    for (const auto& f : flows) size += t.DiskBytes(f);
    CHECK(scan->size_bytes == size);
    CHECK(scan->first_s == kNoon - 12 * 86400);
    CHECK(scan->last_s == kNoon - 12 * 86400 + 59 * 3 * 3600);
    CHECK(scan->files.front().time_s == scan->first_s);
    CHECK(scan->problems.empty());
}

TEST_CASE("the scan enters digit directories only and follows directory links once", "[expire]") {
    TzGuard tz("UTC");
    Tree t;
    t.AddFlow(kNoon - 3600, "2026/12/10");
    t.Write("9x/" + FlowName(kNoon - 7200));               // starts with a digit: entered
    fs::create_directory_symlink(t / "2026", t / "2027");  // a second way to the same files
    fs::create_directory_symlink(t.dir(), t / "2026/12/10/0loop");

    flow::Result<flow::FlowDirectoryScan> scan = flow::ScanFlowDirectory(t.dir());
    REQUIRE(scan.ok());
    REQUIRE(scan->files.size() == 2);
    CHECK(scan->files[0].path == t / ("2026/12/10/" + FlowName(kNoon - 3600)));
    CHECK(scan->files[1].path == t / ("9x/" + FlowName(kNoon - 7200)));
}

TEST_CASE("the scan of a missing or plain path fails", "[expire]") {
    Tree t;
    t.Write("plain");
    flow::Result<flow::FlowDirectoryScan> r = flow::ScanFlowDirectory(t / "missing");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == flow::StatusCode::kNotFound);
    r = flow::ScanFlowDirectory(t / "plain");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "No such directory: " + (t / "plain"));
}

TEST_CASE("size limit: expiry starts at the limit and stops at the watermark", "[expire]") {
    // nfexpire 1.7.1 on files of 4096 bytes: {files, max size, watermark} -> removed.
    auto [files, max_size, watermark, removed] = GENERATE(table<int, uint64_t, uint32_t, size_t>({
        {10, 40960, 90, 1},   // total == limit expires already
        {10, 40960, 100, 0},  // ... unless the watermark is the limit itself
        {11, 40960, 90, 2},   // stops when total == limit * 90 %
        {10, 40959, 90, 2},
        {19, 81920, 90, 0},  // below the limit nothing happens, watermark or not
        {20, 81920, 90, 2},
        {25, 81920, 50, 15},
        {25, 81921, 50, 15},
        {25, 81919, 50, 16},
        {21, 81920, 100, 1},
        {21, 81920, 95, 2},
        {5, 1, 95, 5},  // everything
    }));
    CAPTURE(files, max_size, watermark);
    auto v = Series(kNoon - 100 * 3600, 3600, files);
    flow::ExpireLimits limits{max_size, 0, watermark};
    CHECK(flow::CountFilesToExpire(v, Total(v), limits, watermark, kNoon) == removed);
}

TEST_CASE("age limit: ages are exact to the second and the watermark scales them", "[expire]") {
    const int64_t t1000 = kNoon - 7200;  // 10:00
    // {first file, step, count, lifetime, watermark, now, removed}, observed with nfexpire.
    auto [first, step, count, life, wm, now, removed] =
        GENERATE_COPY(table<int64_t, int64_t, int, uint64_t, uint32_t, int64_t, size_t>({
            {t1000 + 58 * 60, 60, 5, 3600, 100, kNoon, 3},      // 11:00 is exactly 1 h old
            {t1000 + 58 * 60, 60, 5, 3600, 100, kNoon - 1, 2},  // ... one second earlier not
            {t1000 + 60 * 60, 60, 5, 3600, 100, kNoon, 1},
            {t1000 + 60 * 60, 60, 5, 3600, 100, kNoon - 1, 0},  // oldest too young: no pass
            {t1000 + 58 * 60, 60, 5, 3600, 100, kNoon + 30, 3},
            {t1000, 300, 24, 6000, 50, kNoon, 15},         // 100 min at 50 %: 50 min
            {t1000 + 1200, 300, 24, 6000, 50, kNoon, 11},  // oldest exactly 100 min old
            {t1000 + 1140, 300, 24, 6000, 50, kNoon, 11},
            {t1000 + 1800, 300, 18, 6000, 50, kNoon, 0},  // oldest 90 min: below the limit
            {t1000 + 3000, 300, 4, 3600, 100, kNoon, 3},
            {t1000, 300, 4, 3600, 100, kNoon, 4},
        }));
    CAPTURE(first, step, count, life, wm, now);
    auto v = Series(first, step, count);
    flow::ExpireLimits limits{0, life, wm};
    CHECK(flow::CountFilesToExpire(v, Total(v), limits, wm, now) == removed);
}

TEST_CASE("age limit: a 12-digit name needs L seconds, a 14-digit name more", "[expire]") {
    // Observed with nfexpire 1.7.1, which compares names with the 14-digit time string of
    // now - L, L = lifetime * watermark / 100 rounded down.
    flow::ExpireLimits limits{0, 420, 33};  // 7 min at 33 %: 138.6 s, L = 138
    std::vector<flow::FlowFileEntry> v = {Entry14(500), Entry14(139), Entry14(138), Entry14(137)};
    CHECK(flow::CountFilesToExpire(v, Total(v), limits, 33, kNoon) == 2);
    // At 12:02:18 the name 12:00 is 138 s old: enough for a 12-digit name.
    const int64_t now = kNoon + 138;
    v = {Entry(now - 498), Entry(now - 138), Entry(now - 18)};
    CHECK(flow::CountFilesToExpire(v, Total(v), limits, 33, now) == 2);

    limits = {0, 3600, 50};  // L = 1800; the pass starts at exactly one hour
    v = {Entry14(3600), Entry14(2000), Entry14(1800), Entry14(100)};
    CHECK(flow::CountFilesToExpire(v, Total(v), limits, 50, kNoon) == 2);
    v = {Entry14(3599), Entry14(2000), Entry14(1800), Entry14(100)};
    CHECK(flow::CountFilesToExpire(v, Total(v), limits, 50, kNoon) == 0);
}

TEST_CASE("size pass first, then the age pass goes on with the following files", "[expire]") {
    // 10 hourly files from midnight, 36 KiB at 80 % and 5 h at 80 %: the size pass takes
    // 00-02, the age pass 03-08 (at least 4 h old), 09:00 stays.
    auto v = Series(kNoon - 12 * 3600, 3600, 10);
    flow::ExpireLimits limits{36864, 18000, 80};
    CHECK(flow::CountFilesToExpire(v, Total(v), limits, 80, kNoon) == 9);

    // Without an age limit only the size pass runs.
    limits.max_lifetime_s = 0;
    CHECK(flow::CountFilesToExpire(v, Total(v), limits, 80, kNoon) == 3);
    // Without limits nothing goes.
    CHECK(flow::CountFilesToExpire(v, Total(v), flow::ExpireLimits{}, 95, kNoon) == 0);
    CHECK(flow::CountFilesToExpire({}, 0, flow::ExpireLimits{1, 1, 95}, 95, kNoon) == 0);
}

TEST_CASE("a future file is never old enough", "[expire]") {
    std::vector<flow::FlowFileEntry> v = {Entry(kNoon - 10 * 86400), Entry(kNoon + 86400)};
    CHECK(flow::CountFilesToExpire(v, Total(v), flow::ExpireLimits{0, 3600, 100}, 100, kNoon) == 1);
}

TEST_CASE("expire by size removes the oldest files of a flat directory", "[expire]") {
    TzGuard tz("UTC");
    Tree t;
    std::vector<std::string> flows = t.AddSeries(kNoon - 80 * 3600, 3600, 80);
    const uint64_t unit = t.DiskBytes(flows[0]);
    t.AgeDirectories();

    flow::ExpireRequest req = ExpireAt(kNoon);
    req.max_size_bytes = 25 * unit;  // stops at 95 %: 23.75 units, so 23 files stay
    flow::Result<flow::ExpireReport> r = flow::ExpireDirectory(t.dir(), req);
    REQUIRE(r.ok());
    CHECK(r->files_expired == 57);
    CHECK(r->bytes_expired == 57 * unit);
    CHECK(r->expired_range_s == 57 * 3600);
    CHECK(r->warnings.empty());
    CHECK_FALSE(r->timed_out);
    CHECK(t.Files() == Tail(flows, 23));
    REQUIRE(r->expired_paths.size() == 57);
    CHECK(r->expired_paths[0] == t / flows[0]);
    REQUIRE(r->dirs.size() == 1);
    CHECK(r->dirs[0].origin == flow::StatOrigin::kMissing);

    // The written record: real counters, the limit, the watermark that was used.
    flow::ParsedStatFile st = flow::ParseStatFile(t.ReadStat());
    CHECK_FALSE(st.needs_rebuild);
    CHECK(st.stat.first_s == kNoon - 23 * 3600);
    CHECK(st.stat.last_s == kNoon - 3600);
    CHECK(st.stat.size_bytes == 23 * unit);
    CHECK(st.stat.num_files == 23);
    CHECK(st.stat.limits.max_size_bytes == 25 * unit);
    CHECK(st.stat.limits.watermark_pct == 95);
    CHECK(st.stat.status == 0);
    CHECK(t.ReadStat() == flow::FormatStatFile(r->total));

    // A second run with the stored limits has nothing to do.
    r = flow::ExpireDirectory(t.dir(), ExpireAt(kNoon));
    REQUIRE(r.ok());
    CHECK(r->files_expired == 0);
    CHECK(r->dirs[0].origin == flow::StatOrigin::kLoaded);
    CHECK_FALSE(r->dirs[0].stat_was_stale);
}

TEST_CASE("expire by age works in every layout and removes emptied directories", "[expire]") {
    TzGuard tz("UTC");
    const char* layout = GENERATE("%Y/%m/%d", "%Y/%m/%d/%H", "%Y/%W/%u", "%Y/%W/%u/%H", "%Y/%j",
                                  "%Y/%j/%H", "%Y-%m-%d", "%Y-%m-%d/%H");
    CAPTURE(layout);
    Tree t;
    // Every six hours for 40 days: spans the November/December boundary.
    std::vector<std::string> flows = t.AddSeries(kNoon - 40 * 86400, 6 * 3600, 160, layout);
    t.AgeDirectories();

    flow::ExpireRequest req = ExpireAt(kNoon);
    req.max_lifetime_s = 10 * 86400;
    req.watermark_pct = 90;  // files of 9 days and older go
    flow::Result<flow::ExpireReport> r = flow::ExpireDirectory(t.dir(), req);
    REQUIRE(r.ok());

    std::vector<std::string> keep;
    for (int i = 0; i < 160; ++i) {
        int64_t ts = kNoon - 40 * 86400 + int64_t{i} * 6 * 3600;
        if (kNoon - ts < 9 * 86400) keep.push_back(flows[static_cast<size_t>(i)]);
    }
    CHECK(t.Files() == keep);
    CHECK(r->files_expired == 160 - keep.size());

    // No directory is left without a file; the base directory stays.
    for (auto& e : fs::recursive_directory_iterator(t.dir())) {
        if (!e.is_directory()) continue;
        bool has_file = false;
        for (auto& f : fs::recursive_directory_iterator(e.path())) has_file |= f.is_regular_file();
        CAPTURE(e.path().string());
        CHECK(has_file);
    }
    CHECK(fs::is_directory(t.dir()));
}

TEST_CASE("names decide, not modification times", "[expire]") {
    TzGuard tz("UTC");
    Tree t;
    std::vector<std::string> flows = t.AddSeries(kNoon - 10 * 86400, 86400, 10);
    // The newest names get ancient mtimes, the oldest keep today's.
    for (size_t i = 5; i < flows.size(); ++i) {
        fs::last_write_time(t / flows[i],
                            fs::file_time_type::clock::now() - std::chrono::hours(24 * 3650));
    }
    flow::ExpireRequest req = ExpireAt(kNoon);
    req.max_lifetime_s = 5 * 86400;
    req.watermark_pct = 100;
    REQUIRE(flow::ExpireDirectory(t.dir(), req).ok());
    CHECK(t.Files() == Tail(flows, 4));  // 5 days old is old enough
}

TEST_CASE("foreign files, current files and hidden directories survive", "[expire]") {
    TzGuard tz("UTC");
    Tree t;
    std::vector<std::string> flows = t.AddSeries(kNoon - 5 * 86400, 3 * 3600, 40, "%Y/%m/%d");
    std::vector<std::string> foreign = {
        "README",
        "nfcapd.current.4711",
        "nfcapd.2026120100",
        "nfcapd.202612010000+0100",  // -Z names are not nfexpire's
        ".hidden/" + FlowName(kNoon - 30 * 86400),
        "abc/" + FlowName(kNoon - 30 * 86400),
        "live/" + FlowName(kNoon - 30 * 86400),
        Strftime(kNoon - 5 * 86400, "%Y/%m/%d") + "/notes.txt",
    };
    for (const auto& f : foreign) t.Write(f);
    t.Write("target");
    fs::create_symlink(t / "target", t / FlowName(kNoon - 60 * 86400));
    t.AgeDirectories();

    flow::ExpireRequest req = ExpireAt(kNoon);
    req.max_size_bytes = 1;  // as small as it gets: every flow file goes
    flow::Result<flow::ExpireReport> r = flow::ExpireDirectory(t.dir(), req);
    REQUIRE(r.ok());
    CHECK(r->files_expired == flows.size());
    for (const auto& f : flows) CHECK_FALSE(t.Exists(f));
    for (const auto& f : foreign) {
        CAPTURE(f);
        CHECK(t.Exists(f));
    }
    CHECK(t.Exists("target"));
    CHECK(t.Exists(FlowName(kNoon - 60 * 86400)));

    // All gone: the record shows the run's time and asks for a rebuild, as nfexpire's does.
    flow::ParsedStatFile st = flow::ParseStatFile(t.ReadStat());
    CHECK(st.stat.first_s == kNoon);
    CHECK(st.stat.last_s == kNoon);
    CHECK(st.stat.num_files == 0);
    CHECK(st.stat.status == 3);
    CHECK(r->expired_range_s == 5 * 86400);
}

TEST_CASE("fresh empty directories are left for the collector", "[expire]") {
    TzGuard tz("UTC");
    Tree t;
    std::vector<std::string> old_day = t.AddSeries(kNoon - 3 * 86400, 3600, 3, "%Y/%m/%d");
    std::vector<std::string> new_day = t.AddSeries(kNoon - 86400, 3600, 3, "%Y/%m/%d");
    t.AgeDirectories();
    // A collector has just made tomorrow's directory and is about to move a file into it.
    fs::create_directories(t / "2026/12/11");
    fs::create_directories(t / "2026/11/01");  // an old empty one
    for (const char* d : {"2026/11/01", "2026/11"}) {
        fs::last_write_time(t / d, fs::file_time_type::clock::now() - std::chrono::hours(48));
    }

    flow::ExpireRequest req = ExpireAt(kNoon);
    req.max_lifetime_s = 2 * 86400;
    req.watermark_pct = 100;
    REQUIRE(flow::ExpireDirectory(t.dir(), req).ok());
    CHECK(t.Files() == new_day);
    CHECK_FALSE(t.Exists(Strftime(kNoon - 3 * 86400, "%Y/%m/%d")));
    CHECK_FALSE(t.Exists("2026/11"));
    CHECK(t.Exists("2026/12/11"));

    // Everything goes: the base directory itself always stays.
    req.max_size_bytes = 1;
    REQUIRE(flow::ExpireDirectory(t.dir(), req).ok());
    CHECK(t.Files().empty());
    CHECK(fs::is_directory(t.dir()));
}

TEST_CASE("flat files left from an earlier layout expire in time order", "[expire]") {
    // NOTE: a deliberate difference. nfexpire walks "2026/..." before "nfcapd.*" in the
    // base directory and stops at the first young file, so the older flat files stay for ever.
    TzGuard tz("UTC");
    Tree t;
    std::vector<std::string> flat = t.AddSeries(kNoon - 20 * 86400, 86400, 5);
    std::vector<std::string> daily = t.AddSeries(kNoon - 10 * 86400, 86400, 10, "%Y/%m/%d");
    t.AgeDirectories();
    flow::ExpireRequest req = ExpireAt(kNoon);
    req.max_lifetime_s = 7 * 86400;
    req.watermark_pct = 100;
    flow::Result<flow::ExpireReport> r = flow::ExpireDirectory(t.dir(), req);
    REQUIRE(r.ok());
    CHECK(t.Files() == Tail(daily, 6));
    CHECK(r->files_expired == 9);
    CHECK(r->expired_paths.front() == t / flat.front());
}

TEST_CASE("a stale .nfstat is corrected and never drives removals", "[expire]") {
    TzGuard tz("UTC");
    Tree t;
    std::vector<std::string> flows = t.AddSeries(kNoon - 5 * 3600, 3600, 5);
    const uint64_t unit = t.DiskBytes(flows[0]);
    // Claims ten times the data and an ancient first file; limit is 6 files' worth.
    t.WriteStat("first=1500000000\nlast=" + std::to_string(kNoon - 3600) +
                "\nsize=" + std::to_string(50 * unit) + "\nmaxsize=" + std::to_string(6 * unit) +
                "\nnumfiles=50\nlifetime=86400\nwatermark=90\nstatus=0\n");

    flow::Result<flow::ExpireReport> r = flow::ExpireDirectory(t.dir(), ExpireAt(kNoon));
    REQUIRE(r.ok());
    CHECK(r->files_expired == 0);
    CHECK(t.Files() == flows);
    REQUIRE(r->dirs.size() == 1);
    CHECK(r->dirs[0].origin == flow::StatOrigin::kLoaded);
    CHECK(r->dirs[0].stat_was_stale);

    flow::ParsedStatFile st = flow::ParseStatFile(t.ReadStat());
    CHECK(st.stat.size_bytes == 5 * unit);
    CHECK(st.stat.num_files == 5);
    CHECK(st.stat.first_s == kNoon - 5 * 3600);
    CHECK(st.stat.limits.max_size_bytes == 6 * unit);  // the limits are kept
    CHECK(st.stat.limits.max_lifetime_s == 86400);
    CHECK(st.stat.limits.watermark_pct == 90);
}

TEST_CASE("a damaged .nfstat asks for a rebuild and keeps what it can", "[expire]") {
    TzGuard tz("UTC");
    Tree t;
    std::vector<std::string> flows = t.AddSeries(kNoon - 5 * 3600, 3600, 5);
    t.WriteStat("first=junk\nlifetime=10800\ncolour=blue\n");
    flow::ExpireRequest req = ExpireAt(kNoon);
    req.watermark_pct = 100;
    flow::Result<flow::ExpireReport> r = flow::ExpireDirectory(t.dir(), req);
    REQUIRE(r.ok());
    CHECK(r->dirs[0].origin == flow::StatOrigin::kRebuildRequested);
    CHECK(t.Files() == Tail(flows, 2));  // the 3 h age limit still applies
    REQUIRE(r->warnings.size() == 2);
    CHECK(r->warnings[0].find("bad value for 'first'") != std::string::npos);
    CHECK(r->warnings[1].find("unknown key 'colour'") != std::string::npos);
    CHECK_FALSE(flow::ParseStatFile(t.ReadStat()).needs_rebuild);
}

TEST_CASE("a garbled .nfstat is reported without its raw bytes", "[expire]") {
    std::string text = "first=12\x01\x1b[2J\xff\n";
    text += "size=" + std::string(100, '7') + "x\n";
    text += "\x1b]0;title\x07=1\n";
    flow::ParsedStatFile p = flow::ParseStatFile(text);
    REQUIRE(p.problems.size() == 3);
    CHECK(p.problems[0] == "bad value for 'first': '12\\x01\\x1b[2J\\xff'");
    CHECK(p.problems[1] == "bad value for 'size': '" + std::string(64, '7') + "...'");
    CHECK(p.problems[2] == "unknown key '\\x1b]0;title\\x07'");
    CHECK(p.needs_rebuild);
}

TEST_CASE("modes store limits as nfexpire's -l, -r, -u and -e do", "[expire]") {
    TzGuard tz("UTC");
    Tree t;
    t.AddSeries(kNoon - 5 * 3600, 3600, 5);
    flow::ExpireRequest req = ExpireAt(kNoon);
    req.max_size_bytes = 1 << 30;
    req.max_lifetime_s = 7 * 86400;
    req.watermark_pct = 80;
    auto stored = [&] { return flow::ParseStatFile(t.ReadStat()).stat.limits; };

    req.mode = flow::ExpireMode::kList;  // changes nothing
    REQUIRE(flow::ExpireDirectory(t.dir(), req).ok());
    CHECK(stored().max_size_bytes == 0);
    CHECK(stored().max_lifetime_s == 0);
    CHECK(stored().watermark_pct == 0);

    req.mode = flow::ExpireMode::kRescan;  // the watermark only
    REQUIRE(flow::ExpireDirectory(t.dir(), req).ok());
    CHECK(stored().max_size_bytes == 0);
    CHECK(stored().max_lifetime_s == 0);
    CHECK(stored().watermark_pct == 80);

    req.mode = flow::ExpireMode::kUpdate;  // everything given
    REQUIRE(flow::ExpireDirectory(t.dir(), req).ok());
    CHECK(stored().max_size_bytes == 1 << 30);
    CHECK(stored().max_lifetime_s == 7 * 86400);

    req.max_size_bytes.reset();  // unset overrides keep the stored value
    req.max_lifetime_s = 86400;
    req.watermark_pct.reset();
    REQUIRE(flow::ExpireDirectory(t.dir(), req).ok());
    CHECK(stored().max_size_bytes == 1 << 30);
    CHECK(stored().max_lifetime_s == 86400);
    CHECK(stored().watermark_pct == 80);

    // -e stores its overrides; a stored watermark of 0 becomes the 95 it used.
    Tree u;
    u.AddSeries(kNoon - 5 * 3600, 3600, 5);
    flow::ExpireRequest e = ExpireAt(kNoon);
    e.max_lifetime_s = 86400;
    REQUIRE(flow::ExpireDirectory(u.dir(), e).ok());
    flow::ExpireLimits l = flow::ParseStatFile(u.ReadStat()).stat.limits;
    CHECK(l.max_lifetime_s == 86400);
    CHECK(l.watermark_pct == 95);
}

TEST_CASE("a dry run removes and writes nothing", "[expire]") {
    TzGuard tz("UTC");
    Tree t;
    std::vector<std::string> flows = t.AddSeries(kNoon - 10 * 3600, 3600, 10);
    flow::ExpireRequest req = ExpireAt(kNoon);
    req.max_lifetime_s = 4 * 3600;
    req.watermark_pct = 100;
    req.dry_run = true;
    flow::Result<flow::ExpireReport> r = flow::ExpireDirectory(t.dir(), req);
    REQUIRE(r.ok());
    CHECK(t.Files() == flows);
    CHECK_FALSE(t.Exists(".nfstat"));
    CHECK(r->files_expired == 7);
    REQUIRE(r->expired_paths.size() == 7);
    for (size_t i = 0; i < 7; ++i) CHECK(r->expired_paths[i] == t / flows[i]);
    CHECK(r->total.num_files == 3);
    CHECK(r->total.limits.max_lifetime_s == 4 * 3600);

    // The same run for real removes exactly those.
    req.dry_run = false;
    REQUIRE(flow::ExpireDirectory(t.dir(), req).ok());
    CHECK(t.Files() == Tail(flows, 3));
}

TEST_CASE("a file that vanishes during the run is no error", "[expire]") {
    TzGuard tz("UTC");
    Tree t;
    std::vector<std::string> flows = t.AddSeries(kNoon - 10 * 3600, 3600, 10);
    flow::ExpireRequest req = ExpireAt(kNoon);
    req.max_lifetime_s = 5 * 3600;
    req.watermark_pct = 100;
    // Somebody else deletes the third file just before we get to it.
    req.on_remove = [&](const std::string& path) {
        if (path == t / flows[2]) fs::remove(path);
    };
    flow::Result<flow::ExpireReport> r = flow::ExpireDirectory(t.dir(), req);
    REQUIRE(r.ok());
    CHECK(r->warnings.empty());
    CHECK(r->files_expired == 5);  // six gone, one of them not by us
    CHECK(std::find(r->expired_paths.begin(), r->expired_paths.end(), t / flows[2]) ==
          r->expired_paths.end());
    CHECK(t.Files() == Tail(flows, 4));
    CHECK(flow::ParseStatFile(t.ReadStat()).stat.num_files == 4);
}

TEST_CASE("a file that cannot be removed is stepped over, its room still counted", "[expire]") {
    TzGuard tz("UTC");
    Tree t;
    std::vector<std::string> flows = t.AddSeries(kNoon - 10 * 3600, 3600, 10);
    const uint64_t unit = t.DiskBytes(flows[0]);
    flow::ExpireRequest req = ExpireAt(kNoon);
    req.max_size_bytes = 6 * unit;
    req.watermark_pct = 100;
    // The oldest file turns into a directory with a file in it just before its turn, so
    // that unlink() fails (EISDIR) whoever runs the test, as for an immutable file.
    req.on_remove = [&](const std::string& path) {
        if (path != t / flows[0]) return;
        fs::remove(path);
        fs::create_directory(path);
        std::ofstream(path + "/keep") << "x";
    };
    flow::Result<flow::ExpireReport> r = flow::ExpireDirectory(t.dir(), req);
    REQUIRE(r.ok());
    // Ten units against six: the four after the kept one go (it still takes its room), so
    // that six are left, not seven.
    CHECK(r->files_expired == 4);
    REQUIRE(r->warnings.size() == 1);
    CHECK(r->warnings[0].find("cannot remove '" + t / flows[0] + "'") == 0);
    for (int i = 1; i <= 4; ++i) CHECK_FALSE(t.Exists(flows[i]));
    for (int i = 5; i < 10; ++i) CHECK(t.Exists(flows[i]));
    // The range of what went: up to the first file kept after them.
    CHECK(r->expired_range_s == 5 * 3600);
}

TEST_CASE("the runtime bound stops removing and keeps the record right", "[expire]") {
    TzGuard tz("UTC");
    Tree t;
    std::vector<std::string> flows = t.AddSeries(kNoon - 10 * 3600, 3600, 10);
    flow::ExpireRequest req = ExpireAt(kNoon);
    req.max_lifetime_s = 3600;
    req.watermark_pct = 100;
    req.max_runtime_s = 1;
    // Start right after a second begins, so the bound is a full second away.
    for (time_t s0 = ::time(nullptr); ::time(nullptr) == s0;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    bool slept = false;
    req.on_remove = [&](const std::string&) {
        if (!slept) std::this_thread::sleep_for(std::chrono::milliseconds(1100));
        slept = true;
    };
    flow::Result<flow::ExpireReport> r = flow::ExpireDirectory(t.dir(), req);
    REQUIRE(r.ok());
    CHECK(r->timed_out);
    CHECK(r->files_expired == 1);
    CHECK(t.Files() == Tail(flows, 9));
    flow::ParsedStatFile st = flow::ParseStatFile(t.ReadStat());
    CHECK(st.stat.num_files == 9);
    CHECK(st.stat.first_s == kNoon - 9 * 3600);
}

TEST_CASE("a run waits for nfexpire's lock, within the runtime bound", "[expire]") {
    TzGuard tz("UTC");
    Tree t;
    std::vector<std::string> flows = t.AddSeries(kNoon - 10 * 3600, 3600, 10);
    t.WriteStat("");

    // A child process holds a classic fcntl lock, as nfexpire and nfcapd take it, until the
    // test writes to `release` (not for a fixed time: a loaded machine could otherwise let
    // the lock go before the bounded run below has tried it for its second).
    int ready[2];
    int release[2];
    REQUIRE(::pipe(ready) == 0);
    REQUIRE(::pipe(release) == 0);
    pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        ::close(release[1]);  // so that the test's end, however it ends, releases the lock
        int fd = ::open((t / ".nfstat").c_str(), O_RDWR);
        struct flock fl = {};
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        int ok = fd >= 0 && ::fcntl(fd, F_SETLK, &fl) == 0;
        (void)!::write(ready[1], &ok, sizeof(ok));
        char c;
        (void)!::read(release[0], &c, 1);
        ::_exit(0);
    }
    int ok = 0;
    REQUIRE(::read(ready[0], &ok, sizeof(ok)) == sizeof(ok));
    REQUIRE(ok == 1);

    flow::ExpireRequest req = ExpireAt(kNoon);
    req.max_lifetime_s = 3600;
    req.max_runtime_s = 1;
    // Start half a second into a second: the bound is a full second all the same (whole
    // seconds of the clock ended the wait after about half of it).
    for (time_t s0 = ::time(nullptr); ::time(nullptr) == s0;) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const auto t0 = std::chrono::steady_clock::now();
    flow::Result<flow::ExpireReport> r = flow::ExpireDirectory(t.dir(), req);
    const auto waited = std::chrono::steady_clock::now() - t0;
    REQUIRE(r.ok());
    CHECK(r->timed_out);
    CHECK(waited >= std::chrono::milliseconds(950));
    CHECK(r->files_expired == 0);
    CHECK(t.Files() == flows);

    // Without a bound the run waits until the lock is free, then works. The lock is let go
    // a little after the run starts; should the run start later, it finds the lock free,
    // and the outcome is the same.
    req.max_runtime_s = 0;
    req.max_lifetime_s = 7200;
    req.watermark_pct = 100;
    std::thread releaser([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        (void)!::write(release[1], "x", 1);
    });
    r = flow::ExpireDirectory(t.dir(), req);
    releaser.join();
    REQUIRE(r.ok());
    CHECK_FALSE(r->timed_out);
    CHECK(t.Files() == Tail(flows, 1));
    int status = 0;
    ::waitpid(child, &status, 0);
    for (int fd : {ready[0], ready[1], release[0], release[1]}) ::close(fd);
}

TEST_CASE("two threads expiring one directory take turns", "[expire]") {
    TzGuard tz("UTC");
    Tree t;
    std::vector<std::string> flows = t.AddSeries(kNoon - 200 * 3600, 3600, 200);
    const uint64_t unit = t.DiskBytes(flows[0]);
    flow::ExpireRequest req = ExpireAt(kNoon);
    req.max_size_bytes = 100 * unit;
    req.watermark_pct = 50;
    flow::Result<flow::ExpireReport> a = flow::Status::Ok(), b = flow::Status::Ok();
    std::thread ta([&] { a = flow::ExpireDirectory(t.dir(), req); });
    std::thread tb([&] { b = flow::ExpireDirectory(t.dir(), req); });
    ta.join();
    tb.join();
    REQUIRE(a.ok());
    REQUIRE(b.ok());
    // One of them did the work, the other found nothing left to do.
    CHECK(a->files_expired + b->files_expired == 150);
    CHECK(std::min(a->files_expired, b->files_expired) == 0);
    CHECK(a->warnings.empty());
    CHECK(b->warnings.empty());
    CHECK(t.Files() == Tail(flows, 50));
}

TEST_CASE("a profile expires the globally oldest file first", "[expire]") {
    TzGuard tz("UTC");
    Tree t;
    std::vector<std::string> rel1, rel2;
    for (int i = 0; i < 20; ++i) {
        rel1.push_back("ch1/" + FlowName(kNoon - 20 * 3600 + i * 3600));
        rel2.push_back("ch2/" + FlowName(kNoon - 20 * 3600 + 1800 + i * 3600));
        t.Write(rel1.back());
        t.Write(rel2.back());
    }
    t.Write(".ch3/" + FlowName(kNoon - 100 * 3600));  // hidden: not a channel
    t.Write("notes");
    const uint64_t unit = t.DiskBytes(rel1[0]);
    t.AgeDirectories();

    flow::ExpireRequest req = ExpireAt(kNoon);
    req.max_size_bytes = 30 * unit;  // 40 files; the default 98 % leaves 29
    flow::Result<flow::ExpireReport> r = flow::ExpireProfile(t.dir(), req);
    REQUIRE(r.ok());
    REQUIRE(r->dirs.size() == 2);
    CHECK(r->dirs[0].dir == t / "ch1");
    CHECK(r->dirs[1].dir == t / "ch2");
    CHECK(r->files_expired == 11);
    // Alternating channels: ch1 00, ch2 00:30, ch1 01, ...
    std::vector<std::string> expect;
    for (size_t i = 0; i < 20; ++i) {
        if (i >= 6) expect.push_back(rel1[i]);
        if (i >= 5) expect.push_back(rel2[i]);
    }
    std::sort(expect.begin(), expect.end());
    expect.insert(expect.begin(), ".ch3/" + FlowName(kNoon - 100 * 3600));
    expect.push_back("notes");
    std::sort(expect.begin(), expect.end());
    CHECK(t.Files() == expect);
    CHECK(r->total.limits.watermark_pct == 98);
    CHECK(r->total.num_files == 29);
    CHECK(r->total.first_s == kNoon - 20 * 3600 + 1800 + 5 * 3600);

    // Channel records get their counters, but not the profile's limits.
    std::ifstream in(t / "ch1/.nfstat");
    flow::ParsedStatFile st =
        flow::ParseStatFile(std::string(std::istreambuf_iterator<char>(in), {}));
    CHECK(st.stat.num_files == 14);
    CHECK(st.stat.limits.max_size_bytes == 0);

    req.mode = flow::ExpireMode::kUpdate;
    CHECK(flow::ExpireProfile(t.dir(), req).status().code() == flow::StatusCode::kInvalidArgument);
    Tree empty;
    CHECK(flow::ExpireProfile(empty.dir(), ExpireAt(kNoon)).status().code() ==
          flow::StatusCode::kNotFound);
}

TEST_CASE("expiring a missing directory or a plain file fails cleanly", "[expire]") {
    Tree t;
    t.Write("plain");
    flow::Result<flow::ExpireReport> r = flow::ExpireDirectory(t / "missing");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() ==
          "Data directory '" + (t / "missing") + "': No such file or directory");
    r = flow::ExpireDirectory(t / "plain");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "No such directory: " + (t / "plain"));
    CHECK(t.Files() == std::vector<std::string>{"plain"});
}

// B37: local-time names repeat an hour when daylight saving time ends. Expiry must still
// take files in name order and never skip an older name for a younger one.
TEST_CASE("names across the end of daylight saving time expire in name order", "[expire]") {
    TzGuard tz("Europe/Berlin");
    Tree t;
    // 2026-10-24 22:00 UTC (00:00 CEST) to 2026-10-25 03:55 UTC every 5 minutes; the names
    // of 00:00-00:55 UTC (02:xx CEST) and 01:00-01:55 UTC (02:xx CET) coincide, and a
    // collector merges such slots into one file.
    const int64_t start = 1792879200;
    std::vector<std::string> names;
    for (int64_t ts = start; ts < start + 6 * 3600; ts += 300) {
        std::string n = FlowName(ts);
        if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(n);
        t.Write(n);
    }
    REQUIRE(names.size() == 60);  // 72 slots, 12 names shared
    REQUIRE(std::is_sorted(names.begin(), names.end()));
    t.AgeDirectories();

    flow::ExpireRequest req = ExpireAt(start + 6 * 3600);  // 05:00 CET
    req.max_lifetime_s = 3 * 3600;
    req.watermark_pct = 100;
    flow::Result<flow::ExpireReport> r = flow::ExpireDirectory(t.dir(), req);
    REQUIRE(r.ok());
    std::vector<std::string> left = t.Files();
    // What is left is a tail of the names: nothing younger went before something older.
    REQUIRE_FALSE(left.empty());
    CHECK(left == Tail(names, left.size()));
    // 00:00-01:55 CEST are unambiguous and older than 3 h; 03:00 CET and later are not.
    CHECK(std::find(left.begin(), left.end(), "nfcapd.202610250155") == left.end());
    CHECK(std::find(left.begin(), left.end(), "nfcapd.202610250300") != left.end());
    CHECK(r->files_expired == names.size() - left.size());
}

TEST_CASE("files flowcapd set aside beside an interval's file (name.N) are counted and expire",
          "[expire]") {
    TzGuard tz("UTC");
    Tree t;
    std::vector<std::string> flows = t.AddSeries(kNoon - 10 * 3600, 3600, 10);
    t.Write(flows[0] + ".1");
    t.Write(flows[0] + ".12");
    t.Write(flows[9] + ".1");
    t.Write(flows[1] + ".x");          // not a number
    t.Write(flows[1] + ".");           // no number
    t.Write(flows[1] + ".1234567890");  // more digits than flowcapd ever counts to
    t.Write("nfcapd.2026120100.1");    // the base is no flow file name
    flow::Result<flow::FlowDirectoryScan> scan = flow::ScanFlowDirectory(t.dir());
    REQUIRE(scan.ok());
    std::vector<std::string> found;
    for (const auto& f : scan->files) found.push_back(f.path.substr(t.dir().size() + 1));
    std::vector<std::string> expected = flows;
    expected.insert(expected.begin() + 1, {flows[0] + ".1", flows[0] + ".12"});
    expected.push_back(flows[9] + ".1");
    CHECK(found == expected);
    REQUIRE(scan->files.size() == 13);
    CHECK(scan->files[1].time_s == scan->files[0].time_s);
    CHECK(scan->files[12].time_s == kNoon - 3600);

    // By age: the set-aside files go with their interval's file.
    t.AgeDirectories();
    flow::ExpireRequest req = ExpireAt(kNoon);
    req.max_lifetime_s = 5 * 3600;
    flow::Result<flow::ExpireReport> r = flow::ExpireDirectory(t.dir(), req);
    REQUIRE(r.ok());
    for (const std::string& gone : {flows[0], flows[0] + ".1", flows[0] + ".12"}) {
        CHECK_FALSE(fs::exists(t / gone));
    }
    CHECK(fs::exists(t / (flows[9] + ".1")));
    CHECK(fs::exists(t / (flows[1] + ".x")));
}
