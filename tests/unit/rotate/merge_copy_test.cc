// SPDX-License-Identifier: BSD-2-Clause
// The copy a merge builds (nfcapd.current.merge.<pid>) left by a collector that died during
// the merge: the next start removes it (both files it merged are still there), and keeps
// every other file of the directory.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#include "flow/rotation.h"
#include "unit/rotate/dir_names.h"

namespace {

// The pid of a process that has exited and been reaped.
long DeadPid() {
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) ::_exit(0);
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    return static_cast<long>(child);
}

}  // namespace

// Regression (newcomer): the merge copy of a collector killed during the merge was never
// removed; readers skip its name, so it only took disk space, forever.
TEST_CASE("A stopped collector's unfinished merge copy is removed at the next start",
          "[rotate][regression]") {
    char tmpl[] = "/tmp/flowkit-merge-copy-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const std::string dead = "nfcapd.current.merge." + std::to_string(DeadPid());
    const std::string own = "nfcapd.current.merge." + std::to_string(::getpid());
    const std::string alive = "nfcapd.current.merge." + std::to_string(::getppid());
    const std::string other = "nfcapd.current.merge.x1";
    for (const std::string& name : {dead, own, alive, other}) {
        std::ofstream(dir + "/" + name) << "a partial copy";
    }
    flow::RotationOptions opt;
    opt.dir = dir;
    opt.interval_s = 300;
    auto w = flow::RotatingWriter::Open(opt, 1796472010);
    REQUIRE(w.ok());
    const std::vector<std::string>& log = (*w)->recovered();
    CHECK(std::count_if(log.begin(), log.end(), [&](const std::string& l) {
              return l == dead + ": a stopped collector's unfinished merge copy, removed";
          }) == 1);
    CHECK(std::count_if(log.begin(), log.end(), [&](const std::string& l) {
              return l == own + ": a stopped collector's unfinished merge copy, removed";
          }) == 1);
    const std::vector<std::string> names = flow::testing::DirNames(dir);
    CHECK(std::find(names.begin(), names.end(), dead) == names.end());
    CHECK(std::find(names.begin(), names.end(), own) == names.end());
    // A live process's copy (a merge in progress) and a name without a pid stay.
    CHECK(std::find(names.begin(), names.end(), alive) != names.end());
    CHECK(std::find(names.begin(), names.end(), other) != names.end());
    REQUIRE((*w)->Close({}, 0).ok());
    for (const std::string& name : flow::testing::DirNames(dir)) {
        ::unlink((dir + "/" + name).c_str());
    }
    ::rmdir(dir.c_str());
}
