// SPDX-License-Identifier: BSD-2-Clause
// The text side of expiry: nfexpire's -s and -t arguments, the `.nfstat` key=value format
// and the statistics blocks nfexpire prints. Nothing here touches the file system.
#include <algorithm>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <ctime>

#include "flow/expire.h"

namespace flow {

namespace {

using u128 = unsigned __int128;

std::string Printf(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

std::string Printf(const char* fmt, ...) {
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = std::vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return std::string(buf, n < 0 ? 0 : std::min<size_t>(static_cast<size_t>(n), sizeof(buf)));
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

std::string_view Trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
        s.remove_suffix(1);
    }
    return s;
}

// An unsigned decimal that fits 64 bits, nothing else.
bool ParseU64(std::string_view s, uint64_t* out) {
    if (s.empty() || s.size() > 20) return false;
    u128 v = 0;
    for (char c : s) {
        if (!IsDigit(c)) return false;
        v = v * 10 + static_cast<unsigned>(c - '0');
    }
    if (v > UINT64_MAX) return false;
    *out = static_cast<uint64_t>(v);
    return true;
}

std::string LocalTimeText(int64_t t) {
    time_t tt = static_cast<time_t>(t);
    struct tm tm;
    if (::localtime_r(&tt, &tm) == nullptr) return "?";
    char buf[64];
    std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    return buf;
}

// Sizes shown with a unit step every power of 1024, stopping at TB.
std::string Scaled(uint64_t n, const uint64_t* steps, const char* const* names, size_t count) {
    size_t i = 0;
    while (i + 1 < count && n >= steps[i + 1]) ++i;
    return Printf("%" PRIu64 " = %.1f %s", n, static_cast<double>(n) / steps[i], names[i]);
}

// A value from a damaged stat file as it may be shown on a terminal: bytes outside printable
// ASCII become \xNN, and the text is cut after 64 bytes.
std::string Shown(std::string_view raw) {
    constexpr size_t kMax = 64;
    std::string out;
    for (size_t i = 0; i < raw.size() && i < kMax; ++i) {
        unsigned char c = static_cast<unsigned char>(raw[i]);
        if (c >= 0x20 && c < 0x7f && c != '\\') {
            out += static_cast<char>(c);
        } else {
            static const char kHex[] = "0123456789abcdef";
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    if (raw.size() > kMax) out += "...";
    return out;
}

}  // namespace

std::string FormatExpireSize(uint64_t bytes) {
    if (bytes < 1024) return Printf("%" PRIu64 " B", bytes);
    static const uint64_t kSteps[] = {1024ULL, 1024ULL << 10, 1024ULL << 20, 1024ULL << 30};
    static const char* const kNames[] = {"KB", "MB", "GB", "TB"};
    return Scaled(bytes, kSteps, kNames, 4);
}

std::string FormatExpireAge(uint64_t seconds) {
    if (seconds < 60) return Printf("%" PRIu64 " sec", seconds);
    static const uint64_t kSteps[] = {60, 3600, 86400, 604800};
    static const char* const kNames[] = {"min", "hours", "days", "weeks"};
    return Scaled(seconds, kSteps, kNames, 4);
}

std::string FormatStatBlock(const DirStat& stat) {
    uint64_t lifetime =
        stat.last_s > stat.first_s ? static_cast<uint64_t>(stat.last_s - stat.first_s) : 0;
    std::string out;
    out += "First:     " + LocalTimeText(stat.first_s) + "\n";
    out += "Last:      " + LocalTimeText(stat.last_s) + "\n";
    out += "Lifetime:  " + FormatExpireAge(lifetime) + "\n";
    out += Printf("Numfiles:  %" PRIu64 "\n", stat.num_files);
    out += "Filesize:  " + FormatExpireSize(stat.size_bytes) + "\n";
    out += "Max Size:  " +
           (stat.limits.max_size_bytes ? FormatExpireSize(stat.limits.max_size_bytes)
                                       : std::string("<none>")) +
           "\n";
    out += "Max Life:  " +
           (stat.limits.max_lifetime_s ? FormatExpireAge(stat.limits.max_lifetime_s)
                                       : std::string("<none>")) +
           "\n";
    out += Printf("Watermark: %u%%\n", stat.limits.watermark_pct);
    out += stat.status == static_cast<uint32_t>(StatFileStatus::kOk) ? "Status:    OK\n"
                                                                     : "Status:    Force rebuild\n";
    return out;
}

std::string FormatExpiredBlock(const ExpireReport& report) {
    std::string out;
    out += Printf("Expired files:      %" PRIu64 "\n", report.files_expired);
    out += "Expired file size:  " + FormatExpireSize(report.bytes_expired) + "\n";
    uint64_t range = report.expired_range_s > 0 ? static_cast<uint64_t>(report.expired_range_s) : 0;
    out += "Expired time range: " + FormatExpireAge(range) + "\n\n";
    return out;
}

std::string FormatStatFile(const DirStat& stat) {
    auto clamp = [](int64_t t) { return t < 0 ? uint64_t{0} : static_cast<uint64_t>(t); };
    return Printf("first=%" PRIu64 "\nlast=%" PRIu64 "\nsize=%" PRIu64 "\nmaxsize=%" PRIu64
                  "\nnumfiles=%" PRIu64 "\nlifetime=%" PRIu64 "\nwatermark=%u\nstatus=%u\n",
                  clamp(stat.first_s), clamp(stat.last_s), stat.size_bytes,
                  stat.limits.max_size_bytes, stat.num_files, stat.limits.max_lifetime_s,
                  stat.limits.watermark_pct, stat.status);
}

ParsedStatFile ParseStatFile(std::string_view text) {
    ParsedStatFile out;
    DirStat& st = out.stat;
    uint64_t first = 0, last = 0;
    // Bit per key already seen: the first of duplicates wins, so an old tail left behind by
    // an interrupted rewrite cannot override the complete new lines before it.
    unsigned seen = 0;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) nl = text.size();
        std::string_view line = Trim(text.substr(pos, nl - pos));
        pos = nl + 1;
        if (line.empty() || line.front() == '#') continue;

        size_t eq = line.find('=');
        if (eq == std::string_view::npos) {
            out.problems.push_back("line without '=': '" + Shown(line) + "'");
            out.needs_rebuild = true;
            continue;
        }
        std::string_view key = Trim(line.substr(0, eq));
        std::string_view val = Trim(line.substr(eq + 1));
        static const char* const kKeys[] = {"first",    "last",     "size",      "maxsize",
                                            "numfiles", "lifetime", "watermark", "status"};
        int index = -1;
        for (int i = 0; i < 8; ++i) {
            if (key == kKeys[i]) index = i;
        }
        if (index < 0) {
            out.problems.push_back("unknown key '" + Shown(key) + "'");
            continue;
        }
        uint64_t v = 0;
        if (!ParseU64(val, &v)) {
            out.problems.push_back("bad value for '" + std::string(key) + "': '" + Shown(val) +
                                   "'");
            out.needs_rebuild = true;
            continue;
        }
        if (seen & (1u << index)) {
            out.problems.push_back("duplicate key '" + std::string(key) + "' ignored");
            continue;
        }
        seen |= 1u << index;
        switch (index) {
            case 0:
                first = v;
                break;
            case 1:
                last = v;
                break;
            case 2:
                st.size_bytes = v;
                break;
            case 3:
                st.limits.max_size_bytes = v;
                break;
            case 4:
                st.num_files = v;
                break;
            case 5:
                st.limits.max_lifetime_s = v;
                break;
            case 6:
                st.limits.watermark_pct = v > 0xffffffffu ? 0xffffffffu : static_cast<uint32_t>(v);
                break;
            case 7:
                st.status = v > 0xffffffffu ? 0xffffffffu : static_cast<uint32_t>(v);
                break;
        }
    }
    st.first_s = first > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(first);
    st.last_s = last > static_cast<uint64_t>(INT64_MAX) ? INT64_MAX : static_cast<int64_t>(last);

    // nfdump's sanity rules (nffile-format.md 4.5), plus a stored request to rebuild.
    if (first == 0 || first > last || st.status > 3 || st.limits.watermark_pct > 100 ||
        st.status == static_cast<uint32_t>(StatFileStatus::kForceRebuild)) {
        out.needs_rebuild = true;
    }
    // A watermark above 100 would mean "grow past the limit": drop it, keep the rest.
    if (st.limits.watermark_pct > 100) {
        out.problems.push_back("watermark " + std::to_string(st.limits.watermark_pct) +
                               " > 100 ignored");
        st.limits.watermark_pct = 0;
    }
    return out;
}

Result<uint64_t> ParseExpireSize(std::string_view text) {
    const std::string arg(text);
    size_t i = 0;
    u128 whole = 0;
    bool digits = false;
    while (i < text.size() && IsDigit(text[i])) {
        whole = whole * 10 + static_cast<unsigned>(text[i] - '0');
        if (whole > UINT64_MAX) return Status::InvalidArgument("Size '" + arg + "' is too large");
        digits = true;
        ++i;
    }
    // Up to 19 fractional digits are kept exactly; more cannot change a whole byte count
    // for any unit up to TB.
    uint64_t frac = 0, frac_scale = 1;
    if (i < text.size() && text[i] == '.') {
        ++i;
        while (i < text.size() && IsDigit(text[i])) {
            if (frac_scale < 10000000000000000000ULL) {
                frac = frac * 10 + static_cast<unsigned>(text[i] - '0');
                frac_scale *= 10;
            }
            digits = true;
            ++i;
        }
    }
    if (!digits) return Status::InvalidArgument("Missing number in '" + arg + "'");

    u128 factor = 1;
    if (i < text.size()) {
        switch (text[i]) {
            case 'b':
            case 'B':
                factor = 1;
                break;
            case 'k':
            case 'K':
                factor = u128{1} << 10;
                break;
            case 'm':
            case 'M':
                factor = u128{1} << 20;
                break;
            case 'g':
            case 'G':
                factor = u128{1} << 30;
                break;
            case 't':
            case 'T':
                factor = u128{1} << 40;
                break;
            default:
                return Status::InvalidArgument("Garbage character(s) '" +
                                               std::string(text.substr(i)) + "' in '" + arg + "'");
        }
        ++i;
        // "100MB": a byte suffix after a multiplier (but not after 'b' itself).
        if (factor != 1 && i < text.size() && (text[i] == 'B' || text[i] == 'b')) ++i;
        if (i < text.size()) {
            return Status::InvalidArgument("Garbage character(s) '" + std::string(text.substr(i)) +
                                           "' in '" + arg + "'");
        }
    }

    u128 value = whole * factor + (u128{frac} * factor) / frac_scale;
    if (value > UINT64_MAX) return Status::InvalidArgument("Size '" + arg + "' is too large");
    return static_cast<uint64_t>(value);
}

Result<uint64_t> ParseExpireLifetime(std::string_view text) {
    const std::string arg(text);
    struct Unit {
        char letter;
        const char* name;
        uint64_t seconds;
        bool seen;
    };
    Unit units[] = {{'w', "weeks", 604800, false},
                    {'d', "days", 86400, false},
                    {'H', "hours", 3600, false},
                    {'M', "minutes", 60, false}};
    u128 total = 0;
    size_t i = 0;
    while (i < text.size()) {
        size_t start = i;
        u128 n = 0;
        while (i < text.size() && IsDigit(text[i])) {
            n = n * 10 + static_cast<unsigned>(text[i] - '0');
            if (n > UINT64_MAX) {
                return Status::InvalidArgument("Lifetime '" + arg + "' is too large");
            }
            ++i;
        }
        // A bare number at the end counts as hours.
        char letter = i < text.size() ? text[i] : 'H';
        if (i == start) {
            return Status::InvalidArgument("Missing number before '" + std::string(text.substr(i)) +
                                           "'");
        }
        Unit* unit = nullptr;
        for (Unit& u : units) {
            if (u.letter == letter) unit = &u;
        }
        if (unit == nullptr) {
            return Status::InvalidArgument("Unknown time unit '" + std::string(text.substr(start)) +
                                           "'");
        }
        if (unit->seen) {
            return Status::InvalidArgument(std::string("Ambiguous ") + unit->name + " " +
                                           std::string(text.substr(start, i - start)) +
                                           unit->letter);
        }
        unit->seen = true;
        total += n * unit->seconds;
        if (total > UINT64_MAX) {
            return Status::InvalidArgument("Lifetime '" + arg + "' is too large");
        }
        if (i < text.size()) ++i;
    }
    return static_cast<uint64_t>(total);
}

}  // namespace flow
