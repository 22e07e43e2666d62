// SPDX-License-Identifier: BSD-2-Clause
// A slot's file that already exists but cannot be merged into (damaged): every run's flows
// are kept in a file of their own beside it, none overwriting another.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "flow/nffile.h"
#include "flow/rotation.h"
#include "nffile/nffile_test_util.h"
#include "unit/rotate/dir_names.h"

// Regression (newcomer): a restart inside a slot whose final file was damaged put the new
// flows in `<final>.1`; a second restart in that slot renamed its file over `<final>.1`, and
// the first run's flows were gone.
TEST_CASE("Runs that cannot merge into a damaged slot file each keep a file of their own",
          "[rotate][regression]") {
    char tmpl[] = "/tmp/flowkit-damaged-final-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const uint64_t now_s = 1796472000;  // 2026-12-05 12:00 UTC
    const std::string final_name = "nfcapd.202612051200";
    // The slot's file: an nfdump header whose first block runs past the end of the file.
    {
        std::ofstream out(dir + "/" + final_name, std::ios::binary);
        const unsigned char head[] = {0x0c, 0xa5, 0x02, 0x00, 0x00, 0x01, 0x07, 0x01};
        out.write(reinterpret_cast<const char*>(head), sizeof(head));
        std::string rest(32, '\0');
        rest[28] = 1;  // one data block announced
        out.write(rest.data(), static_cast<std::streamsize>(rest.size()));
        const unsigned char block[] = {1, 0, 0, 0, 0, 0x10, 0, 0, 3, 0, 0, 0, 1, 2, 3};
        out.write(reinterpret_cast<const char*>(block), sizeof(block));
    }
    auto run = [&](uint32_t flows) {
        flow::RotationOptions opt;
        opt.dir = dir;
        opt.interval_s = 300;
        auto w = flow::RotatingWriter::Open(opt, now_s + 10);
        REQUIRE(w.ok());
        for (uint32_t i = 0; i < flows; ++i) {
            flow::FlowRecord r;
            r.Set(flow::kExGenericFlow);
            r.first_ms = r.last_ms = now_s * 1000 + i;
            REQUIRE((*w)->Append(r).ok());
        }
        // The merge fails: Close says so, and says where the flows went.
        flow::Status s = (*w)->Close({}, 0);
        CHECK_FALSE(s.ok());
    };
    run(3);
    run(5);
    run(7);

    const std::vector<std::string> names = flow::testing::DirNames(dir);
    REQUIRE(names.size() == 4);
    CHECK(names[0] == final_name);
    std::vector<uint64_t> counts;
    for (size_t i = 1; i < names.size(); ++i) {
        CHECK(names[i].rfind(final_name + ".", 0) == 0);
        const flow::testing::ReadOutcome read = flow::testing::ReadWholeFile(dir + "/" + names[i]);
        REQUIRE(read.open_status.ok());
        REQUIRE(read.status.ok());
        counts.push_back(read.records.size());
    }
    std::sort(counts.begin(), counts.end());
    CHECK(counts == std::vector<uint64_t>{3, 5, 7});
    for (const std::string& n : names) ::unlink((dir + "/" + n).c_str());
    ::rmdir(dir.c_str());
}
