// SPDX-License-Identifier: BSD-2-Clause
// Sets TZ for one test and restores the previous value (or its absence) afterwards, for the
// tests of local-time names and windows.
#pragma once

#include <cstdlib>
#include <ctime>
#include <string>

namespace unittest {

class ScopedTz {
public:
    explicit ScopedTz(const char* tz) {
        const char* old = std::getenv("TZ");
        had_ = old != nullptr;
        if (had_) old_ = old;
        ::setenv("TZ", tz, 1);
        ::tzset();
    }
    ~ScopedTz() {
        if (had_) {
            ::setenv("TZ", old_.c_str(), 1);
        } else {
            ::unsetenv("TZ");
        }
        ::tzset();
    }
    ScopedTz(const ScopedTz&) = delete;
    ScopedTz& operator=(const ScopedTz&) = delete;

private:
    bool had_ = false;
    std::string old_;
};

}  // namespace unittest
