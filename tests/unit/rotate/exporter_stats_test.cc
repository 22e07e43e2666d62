// SPDX-License-Identifier: BSD-2-Clause
// RotatingWriter with more exporters than one exporter-stats record holds.
#include <dirent.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>
#include <vector>

#include "flow/nffile.h"
#include "flow/rotation.h"
#include "nffile/nffile_test_util.h"

namespace {

std::string OnlyFile(const std::string& dir) {
    std::string found;
    DIR* d = ::opendir(dir.c_str());
    REQUIRE(d != nullptr);
    while (struct dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        REQUIRE(found.empty());
        found = dir + "/" + e->d_name;
    }
    ::closedir(d);
    return found;
}

}  // namespace

// Regression (newcomer): flowcapd fed datagrams with 3154 different v9 source ids (garbage
// from one address is enough) could no longer close a file with its exporter statistics:
// `more than 2730 exporter stats in one record` at every rotation, the statistics of every
// exporter missing from every later file, and exit status 1 at SIGTERM.
TEST_CASE("Exporter statistics of more exporters than one record holds are all written",
          "[rotate][regression]") {
    char tmpl[] = "/tmp/flowkit-exporter-stats-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const uint64_t now_s = 1796472000;  // 2026-12-05 12:00 UTC
    {
        flow::RotationOptions opt;
        opt.dir = dir;
        opt.interval_s = 300;
        auto w = flow::RotatingWriter::Open(opt, now_s);
        REQUIRE(w.ok());
        constexpr uint32_t kExporters = 6000;  // three records' worth
        std::vector<flow::ExporterStats> stats;
        for (uint32_t i = 1; i <= kExporters; ++i) {
            flow::ExporterInfo x;
            x.sysid = static_cast<uint16_t>(i);
            x.version = 9;
            x.ip = flow::IpAddr::V4(0x7f000001u);
            x.id = i;
            REQUIRE((*w)->AddExporter(x).ok());
            stats.push_back({i, i % 5, i * 2ULL, i * 3ULL});
        }
        flow::FlowRecord r;
        r.Set(flow::kExGenericFlow);
        r.first_ms = r.last_ms = now_s * 1000;
        r.packets = 1;
        r.bytes = 40;
        REQUIRE((*w)->Append(r).ok());
        REQUIRE((*w)->Close(stats, 0).ok());
    }
    const std::string path = OnlyFile(dir);
    const flow::testing::ReadOutcome read = flow::testing::ReadWholeFile(path);
    REQUIRE(read.open_status.ok());
    REQUIRE(read.status.ok());
    CHECK(read.records.size() == 1);
    const std::vector<flow::ExporterInfo>& ex = read.exporters;
    REQUIRE(ex.size() == 6000);
    size_t right = 0;
    for (const flow::ExporterInfo& e : ex) {
        if (e.packets == e.sysid * 2ULL && e.flows == e.sysid * 3ULL &&
            e.sequence_failures == e.sysid % 5) {
            ++right;
        }
    }
    CHECK(right == 6000);
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
}

// Regression (newcomer): a collector restarted within its slot merges into the slot's file;
// the merged file lost the exporter statistics of both runs (-E: "no flows sent").
TEST_CASE("A merged slot file keeps the exporter statistics of both runs", "[rotate][regression]") {
    char tmpl[] = "/tmp/flowkit-merge-stats-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const uint64_t now_s = 1796472000;
    // Run 1: exporters A (sysid 1) and B (sysid 2). Run 2: B again (its sysid 1 there) and a
    // new exporter C (sysid 2 there, renumbered to 3 in the merged file).
    auto exporter = [](uint16_t sysid, uint32_t ip) {
        flow::ExporterInfo x;
        x.sysid = sysid;
        x.version = 9;
        x.ip = flow::IpAddr::V4(ip);
        return x;
    };
    auto run = [&](const std::vector<flow::ExporterInfo>& xs,
                   const std::vector<flow::ExporterStats>& stats) {
        flow::RotationOptions opt;
        opt.dir = dir;
        opt.interval_s = 300;
        auto w = flow::RotatingWriter::Open(opt, now_s + 10);
        REQUIRE(w.ok());
        for (const auto& x : xs) REQUIRE((*w)->AddExporter(x).ok());
        flow::FlowRecord r;
        r.Set(flow::kExGenericFlow);
        r.first_ms = r.last_ms = now_s * 1000;
        r.exporter_sysid = 1;
        REQUIRE((*w)->Append(r).ok());
        REQUIRE((*w)->Close(stats, 0).ok());
    };
    run({exporter(1, 0x0a000001u), exporter(2, 0x0a000002u)}, {{1, 1, 10, 100}, {2, 2, 20, 200}});
    run({exporter(1, 0x0a000002u), exporter(2, 0x0a000003u)}, {{1, 3, 30, 300}, {2, 4, 40, 400}});

    const std::string path = OnlyFile(dir);
    const flow::testing::ReadOutcome read = flow::testing::ReadWholeFile(path);
    REQUIRE(read.open_status.ok());
    REQUIRE(read.status.ok());
    auto stats_of = [&](uint32_t ip) {
        for (const flow::ExporterInfo& e : read.exporters) {
            if (e.ip == flow::IpAddr::V4(ip))
                return flow::ExporterStats{e.sysid, static_cast<uint32_t>(e.sequence_failures),
                                           e.packets, e.flows};
        }
        return flow::ExporterStats{};
    };
    CHECK(stats_of(0x0a000001u) == flow::ExporterStats{1, 1, 10, 100});
    CHECK(stats_of(0x0a000002u) == flow::ExporterStats{2, 5, 50, 500});
    CHECK(stats_of(0x0a000003u) == flow::ExporterStats{3, 4, 40, 400});
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
}
