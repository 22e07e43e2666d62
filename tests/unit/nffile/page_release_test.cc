// SPDX-License-Identifier: BSD-2-Clause
// A mapped file's pages leave the reader's memory once their blocks are done (decompressed,
// for a compressed file), and a reader that shares its file (ReaderOptions::block_claims)
// does not keep the pages of the blocks it steps over.
#include <catch2/catch.hpp>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "nffile/nffile_test_util.h"

using namespace flow;
using namespace flow::testing;

namespace {

// Resident kB of this process's mappings of `path` (from /proc/self/smaps), or -1 when the
// kernel gives no smaps.
long ResidentKb(const std::string& path) {
    std::ifstream in("/proc/self/smaps");
    if (!in) return -1;
    long total = 0;
    bool ours = false;
    std::string line;
    while (std::getline(in, line)) {
        // A mapping's first line starts with its address range, e.g. "7f0c...-7f0c... r--p".
        const size_t dash = line.find('-');
        const bool header = dash != std::string::npos && dash > 0 &&
                            line.find_first_not_of("0123456789abcdef") == dash;
        if (header) {
            ours = line.size() >= path.size() &&
                   line.compare(line.size() - path.size(), path.size(), path) == 0;
        } else if (ours && line.rfind("Rss:", 0) == 0) {
            total += std::stol(line.substr(4));
        }
    }
    return total;
}

}  // namespace

TEST_CASE("a mapped file's pages are released behind the reader, stepped-over blocks too",
          "[nffile]") {
    // Compressed blocks are decompressed from the mapping: their stored pages go once the
    // block is decompressed.
    const Codec codec = GENERATE(Codec::kNone, Codec::kLz4);
    CAPTURE(static_cast<int>(codec));
    const std::string path = ScratchDir() + "/page_release.nf";
    {
        WriterOptions wo;
        wo.block_bytes = 64 * 1024;
        auto w = NfFileWriter::Create(path, codec, "page-release", wo);
        REQUIRE(w.ok());
        for (uint32_t i = 0; i < 400000; ++i) REQUIRE((*w)->Append(MakeRecord(i)).ok());
        REQUIRE((*w)->Close().ok());
    }
    // Several times what may stay mapped, so that keeping every page fails below.
    REQUIRE(std::filesystem::file_size(path) > 16u << 20);
    // A reader alone, then two sharing the file (ReaderOptions::block_claims), taking
    // blocks in turn on this thread.
    for (int readers : {1, 2}) {
        CAPTURE(readers);
        std::atomic<uint64_t> claims{0};
        ReaderOptions ro;
        if (readers == 2) ro.block_claims = &claims;
        std::vector<std::unique_ptr<NfFileReader>> open;
        for (int i = 0; i < readers; ++i) {
            auto reader = NfFileReader::Open(path, ro);
            REQUIRE(reader.ok());
            open.push_back(std::move(*reader));
        }
        FlowRecord rec;
        uint64_t records = 0;
        for (bool more = true; more;) {
            more = false;
            for (auto& r : open) {
                Result<bool> got = r->NextBlock();
                REQUIRE(got.ok());
                if (!*got) continue;
                more = true;
                while (r->NextRecord(&rec)) ++records;
            }
        }
        CHECK(records == 400000);
        const long kb = ResidentKb(path);
        if (kb < 0) {
            WARN("no /proc/self/smaps: not checked");
            continue;
        }
        // Pages are released 4 MiB at a time (BlockSource::ReleaseBefore); beyond those,
        // the last block and the pages around its header at most, per reader: 64 KiB blocks
        // and the kernel's fault-around of 64 KiB.
        CHECK(kb <= readers * (4096 + 256));
    }
    // A reader sharing the file with one that ran ahead (ReaderOptions::block_claims) steps
    // over every block but the last before it takes one: their pages are not mapped on the
    // way (their headers are read with pread).
    {
        auto probe = NfFileReader::Open(path);
        REQUIRE(probe.ok());
        const uint32_t blocks = (*probe)->info().num_blocks;
        REQUIRE(blocks > 100);
        std::atomic<uint64_t> claims{blocks - 1};
        ReaderOptions ro;
        ro.block_claims = &claims;
        auto reader = NfFileReader::Open(path, ro);
        REQUIRE(reader.ok());
        REQUIRE(*(*reader)->NextBlock());
        CHECK((*reader)->block_number() == blocks);
        const long kb = ResidentKb(path);
        if (kb >= 0) CHECK(kb <= 4096 + 256);
        CHECK(!*(*reader)->NextBlock());
    }
    std::remove(path.c_str());
}
