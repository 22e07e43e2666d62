// SPDX-License-Identifier: BSD-2-Clause
// Local calendar time to UNIX time, the same for the same fields on every call; not part of
// the public API.
#pragma once

#include <time.h>

#include <algorithm>
#include <cstdint>

namespace flow::util {

// mktime() of `fields` with the zone deciding on daylight saving time. A local time that
// names two instants (the hour repeated when the clocks go back) is taken as the earlier,
// the first time the clock showed it: mktime() alone picks either, after the calls before
// it (glibc keeps its last offset), so the same file name could sort differently within
// one run. A time the clocks skip is mktime()'s. -1 when out of range.
inline int64_t LocalToUnix(const struct tm& fields) {
    struct tm any = fields;
    any.tm_isdst = -1;
    time_t t = ::mktime(&any);
    if (t == static_cast<time_t>(-1)) return -1;
    for (int dst : {0, 1}) {
        struct tm as = fields;
        as.tm_isdst = dst;
        const time_t u = ::mktime(&as);
        // Valid only if the zone agrees with `dst` at that instant and the fields stand.
        if (u != static_cast<time_t>(-1) && as.tm_isdst == dst && as.tm_hour == fields.tm_hour &&
            as.tm_min == fields.tm_min && as.tm_mday == fields.tm_mday) {
            t = std::min(t, u);
        }
    }
    return static_cast<int64_t>(t);
}

}  // namespace flow::util
