// SPDX-License-Identifier: BSD-2-Clause
// The rotation tests' look at a flow directory: the names in it, sorted.
#pragma once

#include <dirent.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace flow::testing {

// The names in `dir` that do not start with a dot, in byte order.
inline std::vector<std::string> DirNames(const std::string& dir) {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    REQUIRE(d != nullptr);
    while (struct dirent* e = ::readdir(d)) {
        if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

}  // namespace flow::testing
