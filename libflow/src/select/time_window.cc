// SPDX-License-Identifier: BSD-2-Clause
// The -t time window: `YYYY/MM/dd.hh:mm:ss` with trailing parts optional, in local time,
// optionally followed by `-` and a second time of the same form; `T-` has no end.
#include <cctype>
#include <ctime>

#include "flow/select.h"
#include "util/local_time.h"

namespace flow {

namespace {

// Parses one time; omitted trailing parts take their earliest value.
Result<uint64_t> ParseOneTime(const std::string& text) {
    if (text.size() < 4) return Status::InvalidArgument("Time string format error '" + text + "'");
    // Field widths and the separator that must precede each field after the year.
    static constexpr int kWidth[6] = {4, 2, 2, 2, 2, 2};
    static constexpr char kSep[6] = {0, '/', '/', '.', ':', ':'};
    static constexpr int kMin[6] = {1970, 1, 1, 0, 0, 0};
    static constexpr int kMax[6] = {2038, 12, 31, 23, 59, 59};
    static constexpr const char* kName[6] = {"Year", "Month", "Day", "Hour", "Minute", "Second"};
    int value[6] = {1970, 1, 1, 0, 0, 0};

    size_t pos = 0;
    for (int field = 0; field < 6 && pos < text.size(); ++field) {
        if (field > 0) {
            if (text[pos] != kSep[field]) {
                return Status::InvalidArgument("Time format error at '" + text.substr(pos) +
                                               "': unexpected character: '" + text[pos] + "'.");
            }
            ++pos;
        }
        size_t start = pos;
        while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) ++pos;
        if (static_cast<int>(pos - start) != kWidth[field]) {
            std::string field_name = kName[field];
            field_name[0] = static_cast<char>(std::tolower(field_name[0]));
            return Status::InvalidArgument(
                "Time format error in '" + text + "': expected a " +
                std::to_string(kWidth[field]) + "-digit " + field_name + " at '" +
                text.substr(start) + "' (format YYYY/MM/dd.hh:mm:ss, trailing parts optional)");
        }
        value[field] = std::stoi(text.substr(start, pos - start));
        if (value[field] < kMin[field] || value[field] > kMax[field]) {
            return Status::InvalidArgument(std::string(kName[field]) + " out of range: '" +
                                           text.substr(start, pos - start) + "'");
        }
    }
    if (pos != text.size()) {
        return Status::InvalidArgument("Time format error at '" + text.substr(pos) +
                                       "': unexpected character: '" + text[pos] + "'.");
    }
    struct tm tm = {};
    tm.tm_year = value[0] - 1900;
    tm.tm_mon = value[1] - 1;
    tm.tm_mday = value[2];
    tm.tm_hour = value[3];
    tm.tm_min = value[4];
    tm.tm_sec = value[5];
    const int64_t t = util::LocalToUnix(tm);
    if (t < 0) return Status::InvalidArgument("Time out of range: '" + text + "'");
    return static_cast<uint64_t>(t) * 1000;
}

}  // namespace

Result<TimeWindow> ParseTimeWindow(const std::string& text) {
    if (!text.empty() && (text[0] == '+' || text[0] == '-')) {
        return Status::InvalidArgument("relative time windows (" + text +
                                       ") are not supported: give the window as "
                                       "YYYY/MM/dd.hh:mm:ss[-YYYY/MM/dd.hh:mm:ss]");
    }
    TimeWindow w;
    size_t dash = text.find('-');
    Result<uint64_t> start = ParseOneTime(text.substr(0, dash));
    if (!start.ok()) return start.status();
    w.start_ms = *start;
    if (dash != std::string::npos && dash + 1 < text.size()) {
        Result<uint64_t> end = ParseOneTime(text.substr(dash + 1));
        if (!end.ok()) return end.status();
        w.end_ms = *end;
        if (w.end_ms < w.start_ms) {
            return Status::InvalidArgument("Time window end is before its start: '" + text + "'");
        }
    }
    return w;
}

}  // namespace flow
