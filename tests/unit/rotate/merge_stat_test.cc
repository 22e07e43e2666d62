// SPDX-License-Identifier: BSD-2-Clause
// Merging a run's flows into a slot file that has no stat record (left unclosed by a
// collector that died): the merged file's stat record counts the flows of both.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "flow/nffile.h"
#include "flow/rotation.h"
#include "nffile/nffile_test_util.h"

namespace {

// Turns a closed layout 2 file into one its writer never closed: the appendix cut off, the
// header's appendix offset and block count zero, as a collector killed mid-slot leaves it.
void Unclose(const std::string& path) {
    FILE* f = std::fopen(path.c_str(), "r+b");
    REQUIRE(f != nullptr);
    unsigned char head[40];
    REQUIRE(std::fread(head, 1, sizeof(head), f) == sizeof(head));
    uint64_t appendix = 0;
    for (int i = 7; i >= 0; --i) appendix = appendix << 8 | head[24 + i];
    REQUIRE(appendix > 40);
    for (int i = 24; i < 32; ++i) head[i] = 0;
    for (int i = 36; i < 40; ++i) head[i] = 0;
    REQUIRE(std::fseek(f, 0, SEEK_SET) == 0);
    REQUIRE(std::fwrite(head, 1, sizeof(head), f) == sizeof(head));
    std::fclose(f);
    REQUIRE(::truncate(path.c_str(), static_cast<off_t>(appendix)) == 0);
}

flow::FlowRecord Flow(uint64_t ms, uint8_t proto) {
    flow::FlowRecord r;
    r.Set(flow::kExGenericFlow);
    r.first_ms = ms;
    r.last_ms = ms + 500;
    r.proto = proto;
    r.packets = 2;
    r.bytes = 100;
    return r;
}

}  // namespace

// Regression (newcomer): the merged stat record took the old file's stat record as it was,
// which an unclosed file does not have, so it counted only the new run's flows and its time
// window was theirs alone: flowdump -I under-counted, and -t skipped the file as outside the
// window while most of its flows were inside.
TEST_CASE("A merge into an unclosed slot file counts the flows of both in the stat record",
          "[rotate][regression]") {
    char tmpl[] = "/tmp/flowkit-merge-unclosed-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const uint64_t now_s = 1796472000;  // 2026-12-05 12:00 UTC, the slot
    const std::string path = dir + "/nfcapd.202612051200";
    const uint64_t early_ms = (now_s - 7200) * 1000;  // flows two hours before the slot
    {
        auto w = flow::NfFileWriter::Create(path, flow::Codec::kLz4, "edge1");
        REQUIRE(w.ok());
        for (int i = 0; i < 4; ++i) REQUIRE((*w)->Append(Flow(early_ms + i, 6)).ok());
        REQUIRE((*w)->Close().ok());
    }
    Unclose(path);
    REQUIRE_FALSE(flow::testing::ReadWholeFile(path).info.has_stat);

    {
        flow::RotationOptions opt;
        opt.dir = dir;
        opt.interval_s = 300;
        auto w = flow::RotatingWriter::Open(opt, now_s + 10);
        REQUIRE(w.ok());
        REQUIRE((*w)->Append(Flow(now_s * 1000, 17)).ok());
        REQUIRE((*w)->Append(Flow(now_s * 1000 + 1, 17)).ok());
        REQUIRE((*w)->Close({}, 0).ok());
    }

    const flow::testing::ReadOutcome read = flow::testing::ReadWholeFile(path);
    REQUIRE(read.open_status.ok());
    REQUIRE(read.status.ok());
    CHECK(read.records.size() == 6);
    REQUIRE(read.info.has_stat);
    CHECK(read.info.stat.num_flows == 6);
    CHECK(read.info.stat.flows_tcp == 4);
    CHECK(read.info.stat.flows_udp == 2);
    CHECK(read.info.stat.num_packets == 12);
    CHECK(read.info.stat.first_ms == early_ms);
    CHECK(read.info.stat.last_ms == now_s * 1000 + 501);
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
}
