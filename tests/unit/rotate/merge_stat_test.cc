// SPDX-License-Identifier: BSD-2-Clause
// Merging into a slot file that has no stat record (left unclosed by a collector that died)
// counts the flows of both; a recovered current file goes where its slot's file belongs.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "flow/nffile.h"
#include "flow/rotation.h"
#include "flow/select.h"
#include "nffile/nffile_test_util.h"
#include "scoped_tz.h"

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

// Leaves at `path` what a collector killed a minute into the slot of `now_s` leaves: a
// current file of three flows that was never closed, last written a minute after `now_s`.
void WriteOrphan(const std::string& path, uint64_t now_s) {
    {
        auto w = flow::NfFileWriter::Create(path, flow::Codec::kLz4, "edge1");
        REQUIRE(w.ok());
        for (int i = 0; i < 3; ++i) REQUIRE((*w)->Append(Flow(now_s * 1000 + i, 6)).ok());
        REQUIRE((*w)->Close().ok());
    }
    Unclose(path);
    const struct timespec times[2] = {{static_cast<time_t>(now_s + 60), 0},
                                      {static_cast<time_t>(now_s + 60), 0}};
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
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

// Regression (newcomer): with a sub-directory layout (-S 1) the current file of a killed
// collector was recovered into the flow directory itself, beside the layout: the slot then
// had two files, and a range over the sub-directories (-R 2026/12/05/nfcapd.A:nfcapd.B, as
// NfSen and LibreNMS ask) did not see the recovered flows.
TEST_CASE("A recovered current file goes to its slot's sub-directory", "[rotate][regression]") {
    const unittest::ScopedTz tz("UTC");
    char tmpl[] = "/tmp/flowkit-orphan-subdir-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const uint64_t now_s = 1796472000;  // 2026-12-05 12:00 UTC
    // A pid no process has (above any pid_max).
    const std::string orphan = dir + "/nfcapd.current.999999999";
    WriteOrphan(orphan, now_s);

    flow::RotationOptions opt;
    opt.dir = dir;
    opt.interval_s = 300;
    opt.subdir_layout = 1;
    auto w = flow::RotatingWriter::Open(opt, now_s + 120);
    REQUIRE(w.ok());
    REQUIRE((*w)->Append(Flow(now_s * 1000 + 10, 17)).ok());
    REQUIRE((*w)->Close({}, 0).ok());

    const std::string final_path = dir + "/2026/12/05/nfcapd.202612051200";
    CHECK_FALSE(flow::testing::FileExists(dir + "/nfcapd.202612051200"));
    CHECK_FALSE(flow::testing::FileExists(orphan));
    const flow::testing::ReadOutcome read = flow::testing::ReadWholeFile(final_path);
    REQUIRE(read.open_status.ok());
    CHECK(read.records.size() == 4);
    CHECK(read.info.stat.num_flows == 4);
    ::unlink(final_path.c_str());
    ::rmdir((dir + "/2026/12/05").c_str());
    ::rmdir((dir + "/2026/12").c_str());
    ::rmdir((dir + "/2026").c_str());
    ::rmdir(dir.c_str());
}

// Regression (newcomer): a restart inside a slot whose file nfcapd wrote (an operator moving
// from nfcapd to flowcapd) re-encoded that file's records from flowkit's reading of them:
// elements flowkit does not model were dropped and NSEL records came back with other times,
// so nfdump printed the old flows differently after the merge. They are now copied as stored.
TEST_CASE("A merge keeps the records of the existing slot file byte for byte",
          "[rotate][regression]") {
    const std::string corpus = flow::testing::CorpusDir();
    if (corpus.empty()) {
        WARN("corpus not found: skipped");
        return;
    }
    const std::string src = corpus + "/nffile/generated/nf171-lz4";
    if (!flow::testing::FileExists(src)) {
        WARN("no " + src + ": skipped");
        return;
    }
    auto stored_records = [](const std::string& path) {
        std::vector<std::vector<uint8_t>> out;
        auto r = flow::NfFileReader::Open(path);
        REQUIRE(r.ok());
        flow::FlowRecord rec;
        for (;;) {
            auto more = (*r)->NextBlock();
            REQUIRE(more.ok());
            if (!*more) break;
            while ((*r)->NextRecord(&rec)) {
                const auto s = (*r)->StoredRecord();
                out.emplace_back(s.begin(), s.end());
            }
        }
        return out;
    };
    char tmpl[] = "/tmp/flowkit-merge-stored-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const uint64_t now_s = 1796472000;
    const std::string path = dir + "/nfcapd.202612051200";
    {
        std::ifstream in(src, std::ios::binary);
        std::ofstream out(path, std::ios::binary);
        out << in.rdbuf();
    }
    const auto before = stored_records(path);
    REQUIRE(before.size() > 600);
    {
        flow::RotationOptions opt;
        opt.dir = dir;
        opt.interval_s = 300;
        auto w = flow::RotatingWriter::Open(opt, now_s + 10);
        REQUIRE(w.ok());
        REQUIRE((*w)->Append(Flow(now_s * 1000, 17)).ok());
        REQUIRE((*w)->Close({}, 0).ok());
    }
    const auto after = stored_records(path);
    REQUIRE(after.size() == before.size() + 1);
    size_t differ = 0;
    for (size_t i = 0; i < before.size(); ++i) differ += before[i] != after[i];
    CHECK(differ == 0);
    ::unlink(path.c_str());
    ::rmdir(dir.c_str());
}

// Regression (newcomer): the merged copy was written as `<final>.merge.<pid>` beside the
// slot's file, a name directory walks read: flowdump -R during a merge read the half-written
// copy as well (2,731,312 flows processed where the directory held 2,000,010), and one left
// by a collector killed mid-merge would have been read forever.
TEST_CASE("The merge's temporary file is skipped by directory walks", "[rotate][regression]") {
    const std::string tmp = flow::MergeTempPath("/var/flows/2026/12/05/nfcapd.202612051200");
    CHECK(tmp.rfind("/var/flows/2026/12/05/", 0) == 0);
    CHECK(flow::IsSkippedName(tmp.substr(tmp.rfind('/') + 1)));
    const std::string flat = flow::MergeTempPath("nfcapd.202612051200");
    CHECK(flat.find('/') == std::string::npos);
    CHECK(flow::IsSkippedName(flat));
}

// Regression (tester): a current file left by a killed collector was renamed to its slot's
// name as it was, unclosed: its ident lives in the appendix it never got, so the file had an
// empty ident, `ident edge1` matched none of its flows (NfSen's profile filters), and later
// merges into it kept the empty ident. It is now written as a closed file with the
// collector's ident; a block cut off as it was being written does not stop that.
TEST_CASE("A recovered current file is closed with the collector's ident",
          "[rotate][regression]") {
    const unittest::ScopedTz tz("UTC");
    char tmpl[] = "/tmp/flowkit-orphan-ident-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const uint64_t now_s = 1796472000;  // 2026-12-05 12:00 UTC
    const std::string orphan = dir + "/nfcapd.current.999999999";
    WriteOrphan(orphan, now_s);
    {
        // The header of a block whose 1000 bytes never made it to the disk.
        std::ofstream tail(orphan, std::ios::binary | std::ios::app);
        const unsigned char block[] = {1, 0, 0, 0, 0xe8, 0x03, 0, 0, 3, 0, 0, 0, 0x0b, 0};
        tail.write(reinterpret_cast<const char*>(block), sizeof(block));
    }
    const struct timespec times[2] = {{static_cast<time_t>(now_s + 60), 0},
                                      {static_cast<time_t>(now_s + 60), 0}};
    REQUIRE(::utimensat(AT_FDCWD, orphan.c_str(), times, 0) == 0);
    const flow::testing::ReadOutcome before = flow::testing::ReadWholeFile(orphan);
    REQUIRE(before.open_status.ok());
    REQUIRE(before.info.ident.empty());
    REQUIRE_FALSE(before.status.ok());  // the cut-off block

    flow::RotationOptions opt;
    opt.dir = dir;
    opt.interval_s = 300;
    opt.ident = "edge1";
    // Restarted in the next slot: the recovered file is the 12:00 slot's alone.
    auto w = flow::RotatingWriter::Open(opt, now_s + 420);
    REQUIRE(w.ok());
    REQUIRE((*w)->recovered().size() == 1);
    CHECK((*w)->recovered()[0].find("-> " + dir + "/nfcapd.202612051200") != std::string::npos);
    REQUIRE((*w)->Close({}, 0).ok());

    const std::string recovered = dir + "/nfcapd.202612051200";
    CHECK_FALSE(flow::testing::FileExists(orphan));
    const flow::testing::ReadOutcome read = flow::testing::ReadWholeFile(recovered);
    REQUIRE(read.open_status.ok());
    CHECK(read.status.ok());
    CHECK(read.info.ident == "edge1");
    CHECK(read.info.closed);
    REQUIRE(read.info.has_stat);
    CHECK(read.info.stat.num_flows == 3);
    CHECK(read.records.size() == 3);
    ::unlink(recovered.c_str());
    ::unlink((dir + "/nfcapd.202612051205").c_str());
    ::rmdir(dir.c_str());
}

// Regression (newcomer): a current file left by a collector that had the pid this one has
// now (after a reboot pids repeat; in a container the collector may be pid 1 every time) was
// taken for this collector's own file: not recovered, and then truncated when the new current
// file was created under the same name. Its flows were lost.
TEST_CASE("A current file of an earlier process with this process's pid is recovered",
          "[rotate][regression]") {
    const unittest::ScopedTz tz("UTC");
    char tmpl[] = "/tmp/flowkit-orphan-samepid-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const uint64_t now_s = 1796472000;  // 2026-12-05 12:00 UTC
    const std::string name = "nfcapd.current." + std::to_string(::getpid());
    WriteOrphan(dir + "/" + name, now_s);

    flow::RotationOptions opt;
    opt.dir = dir;
    opt.interval_s = 300;  // current_name left empty: nfcapd.current.<pid>
    auto w = flow::RotatingWriter::Open(opt, now_s + 120);
    REQUIRE(w.ok());
    REQUIRE((*w)->Append(Flow(now_s * 1000 + 10, 17)).ok());
    REQUIRE((*w)->Close({}, 0).ok());

    const std::string final_path = dir + "/nfcapd.202612051200";
    const flow::testing::ReadOutcome read = flow::testing::ReadWholeFile(final_path);
    REQUIRE(read.open_status.ok());
    CHECK(read.records.size() == 4);
    CHECK(read.info.stat.num_flows == 4);
    ::unlink(final_path.c_str());
    ::unlink((dir + "/" + name).c_str());
    ::rmdir(dir.c_str());
}

// Regression (newcomer): a collector killed a moment before its restart is a zombie until
// its parent collects it; the restart took it for a running collector and left its current
// file unrecovered until the next start.
TEST_CASE("A current file of a collector that exited but was not yet reaped is recovered",
          "[rotate][regression]") {
    const unittest::ScopedTz tz("UTC");
    char tmpl[] = "/tmp/flowkit-orphan-zombie-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const uint64_t now_s = 1796472000;  // 2026-12-05 12:00 UTC
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) ::_exit(0);
    // Exited, not waited for: a zombie. Wait for /proc to show it so.
    const std::string proc = "/proc/" + std::to_string(child) + "/stat";
    bool zombie = false;
    for (int i = 0; i < 500 && !zombie; ++i) {
        std::ifstream in(proc);
        std::string stat;
        if (std::getline(in, stat) && stat.find(") Z") != std::string::npos) zombie = true;
        if (!zombie) ::usleep(2000);
    }
    const std::string name = "nfcapd.current." + std::to_string(child);
    WriteOrphan(dir + "/" + name, now_s);

    flow::RotationOptions opt;
    opt.dir = dir;
    opt.interval_s = 300;
    auto w = flow::RotatingWriter::Open(opt, now_s + 120);
    int status = 0;
    ::waitpid(child, &status, 0);
    REQUIRE(zombie);
    REQUIRE(w.ok());
    REQUIRE((*w)->Close({}, 0).ok());

    const std::string final_path = dir + "/nfcapd.202612051200";
    CHECK_FALSE(flow::testing::FileExists(dir + "/" + name));
    const flow::testing::ReadOutcome read = flow::testing::ReadWholeFile(final_path);
    REQUIRE(read.open_status.ok());
    CHECK(read.records.size() == 3);
    ::unlink(final_path.c_str());
    ::unlink((dir + "/" + name).c_str());
    ::rmdir(dir.c_str());
}

// Regression (newcomer): a current file left empty or with half a header (a collector killed
// as it created the file, or a full disk) was renamed to its slot's name: every later query
// over the directory failed on it (`file shorter than a file header`, exit 1), and the
// restarted run, unable to merge into it, set its own flows aside as `<final>.1`.
TEST_CASE("A current file without a complete header is not recovered into a slot file",
          "[rotate][regression]") {
    const unittest::ScopedTz tz("UTC");
    char tmpl[] = "/tmp/flowkit-orphan-empty-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const uint64_t now_s = 1796472000;  // 2026-12-05 12:00 UTC
    const std::string empty = dir + "/nfcapd.current.999999999";
    const std::string half = dir + "/nfcapd.current.999999998";
    { std::ofstream(empty, std::ios::binary); }
    {
        std::ofstream out(half, std::ios::binary);
        const unsigned char head[] = {0x0c, 0xa5, 0x02, 0x00, 0x00, 0x01, 0x07, 0x01, 0, 0};
        out.write(reinterpret_cast<const char*>(head), sizeof(head));
    }
    const struct timespec times[2] = {{static_cast<time_t>(now_s + 60), 0},
                                      {static_cast<time_t>(now_s + 60), 0}};
    REQUIRE(::utimensat(AT_FDCWD, empty.c_str(), times, 0) == 0);
    REQUIRE(::utimensat(AT_FDCWD, half.c_str(), times, 0) == 0);

    flow::RotationOptions opt;
    opt.dir = dir;
    opt.interval_s = 300;
    auto w = flow::RotatingWriter::Open(opt, now_s + 120);
    REQUIRE(w.ok());
    REQUIRE((*w)->recovered().size() == 2);
    for (const std::string& line : (*w)->recovered()) {
        CHECK(line.find("not recovered") != std::string::npos);
    }
    REQUIRE((*w)->Append(Flow(now_s * 1000 + 10, 17)).ok());
    REQUIRE((*w)->Close({}, 0).ok());

    const std::string final_path = dir + "/nfcapd.202612051200";
    CHECK_FALSE(flow::testing::FileExists(final_path + ".1"));
    const flow::testing::ReadOutcome read = flow::testing::ReadWholeFile(final_path);
    REQUIRE(read.open_status.ok());
    CHECK(read.records.size() == 1);
    // Left where they were: nothing is lost, and directory walks skip the name.
    CHECK(flow::testing::FileExists(empty));
    CHECK(flow::testing::FileExists(half));
    for (const std::string& p : {final_path, empty, half}) ::unlink(p.c_str());
    ::rmdir(dir.c_str());
}
