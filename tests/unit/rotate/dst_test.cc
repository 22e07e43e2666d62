// SPDX-License-Identifier: BSD-2-Clause
// Local-time file names across the daylight-saving changes of Europe/Berlin in 2026, and the
// writer across the repeated hour: no slot's flows are lost or overwritten (bug case B37).
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "flow/nffile.h"
#include "flow/rotation.h"
#include "unit/scoped_tz.h"

namespace {

using ScopedTz = unittest::ScopedTz;

bool HaveZone(const char* name) {
    struct stat st;
    return ::stat((std::string("/usr/share/zoneinfo/") + name).c_str(), &st) == 0;
}

struct Slot {
    uint64_t start_s;  // UTC
    const char* name;  // local YYYYMMDDhhmm
    const char* zone;  // the -Z suffix
};

// Every 5-minute slot from 2026-03-29 00:00 to 01:55 UTC: clocks go from 02:00 CET to
// 03:00 CEST at 01:00 UTC, so no name has hour 02. (Table from Python's zoneinfo.)
const std::vector<Slot> kSpring = {
    {1774742400, "202603290100", "+0100"}, {1774742700, "202603290105", "+0100"},
    {1774743000, "202603290110", "+0100"}, {1774743300, "202603290115", "+0100"},
    {1774743600, "202603290120", "+0100"}, {1774743900, "202603290125", "+0100"},
    {1774744200, "202603290130", "+0100"}, {1774744500, "202603290135", "+0100"},
    {1774744800, "202603290140", "+0100"}, {1774745100, "202603290145", "+0100"},
    {1774745400, "202603290150", "+0100"}, {1774745700, "202603290155", "+0100"},
    {1774746000, "202603290300", "+0200"}, {1774746300, "202603290305", "+0200"},
    {1774746600, "202603290310", "+0200"}, {1774746900, "202603290315", "+0200"},
    {1774747200, "202603290320", "+0200"}, {1774747500, "202603290325", "+0200"},
    {1774747800, "202603290330", "+0200"}, {1774748100, "202603290335", "+0200"},
    {1774748400, "202603290340", "+0200"}, {1774748700, "202603290345", "+0200"},
    {1774749000, "202603290350", "+0200"}, {1774749300, "202603290355", "+0200"},
};

// Every 5-minute slot from 2026-10-24 23:30 to 2026-10-25 02:25 UTC: clocks go from
// 03:00 CEST back to 02:00 CET at 01:00 UTC, so the names 0200..0255 come twice.
const std::vector<Slot> kFall = {
    {1792884600, "202610250130", "+0200"}, {1792884900, "202610250135", "+0200"},
    {1792885200, "202610250140", "+0200"}, {1792885500, "202610250145", "+0200"},
    {1792885800, "202610250150", "+0200"}, {1792886100, "202610250155", "+0200"},
    {1792886400, "202610250200", "+0200"}, {1792886700, "202610250205", "+0200"},
    {1792887000, "202610250210", "+0200"}, {1792887300, "202610250215", "+0200"},
    {1792887600, "202610250220", "+0200"}, {1792887900, "202610250225", "+0200"},
    {1792888200, "202610250230", "+0200"}, {1792888500, "202610250235", "+0200"},
    {1792888800, "202610250240", "+0200"}, {1792889100, "202610250245", "+0200"},
    {1792889400, "202610250250", "+0200"}, {1792889700, "202610250255", "+0200"},
    {1792890000, "202610250200", "+0100"}, {1792890300, "202610250205", "+0100"},
    {1792890600, "202610250210", "+0100"}, {1792890900, "202610250215", "+0100"},
    {1792891200, "202610250220", "+0100"}, {1792891500, "202610250225", "+0100"},
    {1792891800, "202610250230", "+0100"}, {1792892100, "202610250235", "+0100"},
    {1792892400, "202610250240", "+0100"}, {1792892700, "202610250245", "+0100"},
    {1792893000, "202610250250", "+0100"}, {1792893300, "202610250255", "+0100"},
    {1792893600, "202610250300", "+0100"}, {1792893900, "202610250305", "+0100"},
    {1792894200, "202610250310", "+0100"}, {1792894500, "202610250315", "+0100"},
    {1792894800, "202610250320", "+0100"}, {1792895100, "202610250325", "+0100"},
};

std::string MakeScratch() {
    char tmpl[] = "/tmp/flowkit-dst-test-XXXXXX";
    const char* d = ::mkdtemp(tmpl);
    REQUIRE(d != nullptr);
    return d;
}

// Regular files directly in `dir`, by name.
std::vector<std::string> ListFiles(const std::string& dir) {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    REQUIRE(d != nullptr);
    while (struct dirent* e = ::readdir(d)) {
        if (e->d_name[0] != '.') names.push_back(e->d_name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

// The first_ms of every flow in `path`.
std::vector<uint64_t> FlowStarts(const std::string& path) {
    std::vector<uint64_t> starts;
    auto reader = flow::NfFileReader::Open(path);
    REQUIRE(reader.ok());
    flow::FlowRecord rec;
    for (;;) {
        flow::Result<bool> more = (*reader)->NextBlock();
        REQUIRE(more.ok());
        if (!*more) break;
        while ((*reader)->NextRecord(&rec)) starts.push_back(rec.first_ms);
    }
    return starts;
}

void RemoveTree(const std::string& dir) {
    for (const std::string& name : ListFiles(dir)) ::unlink((dir + "/" + name).c_str());
    ::rmdir(dir.c_str());
}

flow::FlowRecord FlowAt(uint64_t start_s) {
    flow::FlowRecord r;
    r.Set(flow::kExGenericFlow);
    r.Set(flow::kExIpv4Flow);
    r.src_addr = flow::IpAddr::V4(0x0a000001u);
    r.dst_addr = flow::IpAddr::V4(0x0a000002u);
    r.proto = 17;
    r.packets = 1;
    r.bytes = 100;
    r.first_ms = start_s * 1000 + 1000;  // one second into the slot
    r.last_ms = r.first_ms;
    return r;
}

// Runs a writer through `slots` (one flow per slot, 5-minute interval) and closes it.
void WriteThrough(const std::string& dir, const std::vector<Slot>& slots, bool zone_suffix) {
    flow::RotationOptions opt;
    opt.dir = dir;
    opt.interval_s = 300;
    opt.zone_suffix = zone_suffix;
    auto w = flow::RotatingWriter::Open(opt, slots.front().start_s + 10);
    REQUIRE(w.ok());
    for (size_t i = 0; i < slots.size(); ++i) {
        if (i > 0) REQUIRE((*w)->Rotate(slots[i].start_s + 2, {}, 0).ok());
        REQUIRE((*w)->slot_start() == slots[i].start_s);
        REQUIRE((*w)->Append(FlowAt(slots[i].start_s)).ok());
    }
    REQUIRE((*w)->Close({}, 0).ok());
}

}  // namespace

TEST_CASE("slot names follow Berlin local time across the spring change, hour 02 skipped",
          "[rotate][dst]") {
    if (!HaveZone("Europe/Berlin")) {
        WARN("no tzdata for Europe/Berlin: skipped");
        return;
    }
    ScopedTz tz("Europe/Berlin");
    for (const Slot& s : kSpring) {
        CAPTURE(s.start_s);
        CHECK(flow::SlotFileName(s.start_s, 300, 0, false) == std::string("nfcapd.") + s.name);
        CHECK(flow::SlotFileName(s.start_s, 300, 0, true) ==
              std::string("nfcapd.") + s.name + s.zone);
    }
    // -S 2 (%Y/%m/%d/%H) follows the same local hour.
    CHECK(flow::SlotFileName(1774745700, 300, 2, false) == "2026/03/29/01/nfcapd.202603290155");
    CHECK(flow::SlotFileName(1774746000, 300, 2, false) == "2026/03/29/03/nfcapd.202603290300");
}

TEST_CASE(
    "slot names follow Berlin local time across the fall change, and -Z tells the two 02 "
    "hours apart",
    "[rotate][dst]") {
    if (!HaveZone("Europe/Berlin")) {
        WARN("no tzdata for Europe/Berlin: skipped");
        return;
    }
    ScopedTz tz("Europe/Berlin");
    for (const Slot& s : kFall) {
        CAPTURE(s.start_s);
        CHECK(flow::SlotFileName(s.start_s, 300, 0, false) == std::string("nfcapd.") + s.name);
        CHECK(flow::SlotFileName(s.start_s, 300, 0, true) ==
              std::string("nfcapd.") + s.name + s.zone);
    }
    // Below 60 s the names carry seconds; the repeated hour repeats them too.
    CHECK(flow::SlotFileName(1792886430, 30, 0, false) == "nfcapd.20261025020030");
    CHECK(flow::SlotFileName(1792890030, 30, 0, false) == "nfcapd.20261025020030");
    CHECK(flow::SlotFileName(1792890030, 30, 0, true) == "nfcapd.20261025020030+0100");
    CHECK(flow::SlotFileName(1792890000, 300, 2, false) == "2026/10/25/02/nfcapd.202610250200");
}

TEST_CASE("the repeated 02 hour is merged into the first one's files, nothing overwritten",
          "[rotate][dst][regression]") {
    // Guards the data loss nfcapd users reported (nfdump #5): the second 02:xx pass must not
    // replace the files of the first. Bug case B36 too: the restart at the end merges into the
    // existing file of its slot instead of overwriting it.
    if (!HaveZone("Europe/Berlin")) {
        WARN("no tzdata for Europe/Berlin: skipped");
        return;
    }
    ScopedTz tz("Europe/Berlin");
    const std::string dir = MakeScratch();
    WriteThrough(dir, kFall, false);

    // 36 slots, 24 names: each 02:xx file holds its CEST slot's flow, then its CET one's.
    const std::vector<std::string> files = ListFiles(dir);
    std::map<std::string, std::vector<uint64_t>> expected;
    for (const Slot& s : kFall) {
        expected[std::string("nfcapd.") + s.name].push_back(s.start_s * 1000 + 1000);
    }
    REQUIRE(files.size() == 24);
    REQUIRE(expected.size() == 24);
    size_t flows = 0;
    for (const auto& [name, starts] : expected) {
        CAPTURE(name);
        const std::vector<uint64_t> got = FlowStarts(dir + "/" + name);
        CHECK(got == starts);
        CHECK(got.size() == (name.compare(7, 10, "2026102502") == 0 ? 2u : 1u));
        flows += got.size();
    }
    CHECK(flows == kFall.size());

    // A restart inside the second 02:00 slot merges into that file again.
    flow::RotationOptions opt;
    opt.dir = dir;
    auto w = flow::RotatingWriter::Open(opt, 1792890000 + 100);
    REQUIRE(w.ok());
    REQUIRE((*w)->Append(FlowAt(1792890000 + 60)).ok());
    REQUIRE((*w)->Close({}, 0).ok());
    CHECK(FlowStarts(dir + "/nfcapd.202610250200") ==
          std::vector<uint64_t>{1792886401000, 1792890001000, 1792890061000});
    CHECK(ListFiles(dir).size() == 24);
    RemoveTree(dir);
}

TEST_CASE("with -Z every slot of the fall change gets a file of its own", "[rotate][dst]") {
    if (!HaveZone("Europe/Berlin")) {
        WARN("no tzdata for Europe/Berlin: skipped");
        return;
    }
    ScopedTz tz("Europe/Berlin");
    const std::string dir = MakeScratch();
    WriteThrough(dir, kFall, true);
    const std::vector<std::string> files = ListFiles(dir);
    REQUIRE(files.size() == kFall.size());
    for (const Slot& s : kFall) {
        const std::string name = std::string("nfcapd.") + s.name + s.zone;
        CAPTURE(name);
        CHECK(FlowStarts(dir + "/" + name) == std::vector<uint64_t>{s.start_s * 1000 + 1000});
    }
    RemoveTree(dir);
}

TEST_CASE("no slot is lost at the spring change", "[rotate][dst]") {
    if (!HaveZone("Europe/Berlin")) {
        WARN("no tzdata for Europe/Berlin: skipped");
        return;
    }
    ScopedTz tz("Europe/Berlin");
    const std::string dir = MakeScratch();
    WriteThrough(dir, kSpring, false);
    const std::vector<std::string> files = ListFiles(dir);
    REQUIRE(files.size() == kSpring.size());
    for (const Slot& s : kSpring) {
        const std::string name = std::string("nfcapd.") + s.name;
        CAPTURE(name);
        CHECK(FlowStarts(dir + "/" + name) == std::vector<uint64_t>{s.start_s * 1000 + 1000});
    }
    RemoveTree(dir);
}
