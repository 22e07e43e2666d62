// SPDX-License-Identifier: BSD-2-Clause
// Readers of one file that share a claim counter (ReaderOptions::block_claims), as the two
// threads of flowdump's scan do, read every data block exactly once between them, each in
// file order, whatever the pace of each.
#include <catch2/catch.hpp>
#include <atomic>
#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "nffile/nffile_test_util.h"

using namespace flow;
using namespace flow::testing;

namespace {

struct Taken {
    std::vector<uint32_t> blocks;  // block numbers in the order read
    uint64_t records = 0;
    bool ok = true;
};

void ReadShare(const std::string& path, std::atomic<uint64_t>* claims, bool slow, Taken* out) {
    ReaderOptions ro;
    ro.block_claims = claims;
    auto reader = NfFileReader::Open(path, ro);
    if (!reader.ok()) {
        out->ok = false;
        return;
    }
    NfFileReader& r = **reader;
    FlowRecord rec;
    for (;;) {
        Result<bool> more = r.NextBlock();
        if (!more.ok()) {
            out->ok = false;
            return;
        }
        if (!*more) break;
        out->blocks.push_back(r.block_number());
        while (r.NextRecord(&rec)) ++out->records;
        // A reader that keeps losing its CPU: the other one should take more blocks.
        if (slow) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

}  // namespace

TEST_CASE("readers sharing a claim counter read each data block once", "[nffile]") {
    const Codec codec = GENERATE(Codec::kNone, Codec::kLz4);
    CAPTURE(static_cast<int>(codec));
    const std::string path = ScratchDir() + "/block_claims.nf";
    constexpr uint32_t kRecords = 60000;
    {
        WriterOptions wo;
        wo.block_bytes = 16 * 1024;
        auto w = NfFileWriter::Create(path, codec, "block-claims", wo);
        REQUIRE(w.ok());
        for (uint32_t i = 0; i < kRecords; ++i) REQUIRE((*w)->Append(MakeRecord(i)).ok());
        REQUIRE((*w)->Close().ok());
    }

    SECTION("one reader alone takes them all") {
        std::atomic<uint64_t> claims{0};
        Taken t;
        ReadShare(path, &claims, false, &t);
        REQUIRE(t.ok);
        CHECK(t.records == kRecords);
        REQUIRE(t.blocks.size() > 100);
        for (size_t i = 0; i < t.blocks.size(); ++i) CHECK(t.blocks[i] == i + 1);
    }

    SECTION("two threads, one of them slow") {
        std::atomic<uint64_t> claims{0};
        Taken fast;
        Taken slow;
        std::thread other(ReadShare, path, &claims, true, &slow);
        ReadShare(path, &claims, false, &fast);
        other.join();
        REQUIRE(fast.ok);
        REQUIRE(slow.ok);
        CHECK(fast.records + slow.records == kRecords);
        std::set<uint32_t> all;
        for (const Taken* t : {&fast, &slow}) {
            for (size_t i = 1; i < t->blocks.size(); ++i) CHECK(t->blocks[i] > t->blocks[i - 1]);
            for (uint32_t b : t->blocks) CHECK(all.insert(b).second);  // no block twice
        }
        CHECK(all.size() == fast.blocks.size() + slow.blocks.size());
        CHECK(*all.rbegin() == all.size());  // none left out: numbers 1..n
        // The slow reader sleeps 2 ms per block, the other reads one in well under that:
        // it takes more (a fixed split, every other block, gives each half).
        CHECK(fast.blocks.size() > slow.blocks.size() + 10);
    }
    std::remove(path.c_str());
}
