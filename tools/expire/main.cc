// SPDX-License-Identifier: BSD-2-Clause
// flowexpire: nfexpire's command line over flow/expire.h. Parses argv the way nfexpire's
// getopt does (same letters, same error texts, exit status 250), runs one mode and prints
// nfexpire's output. It never prompts and never reads standard input, so it runs the same
// from cron, under `yes |` and with stdin closed.
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <optional>
#include <string>

#include "flow/expire.h"

namespace {

// nfexpire's exit status for every error.
constexpr int kExitError = 250;

const char kUsage[] =
    "usage flowexpire [options]\n"
    "-h\t\tprint this help\n"
    "-l dir\t\tlist the statistics of a data directory\n"
    "-L dir\t\tthe same as -l\n"
    "-e dir\t\texpire the oldest files of a data directory as the limits demand\n"
    "-r dir\t\trescan a data directory and rewrite its .nfstat\n"
    "-u dir\t\tstore the limits given with -s, -t and -w in a data directory\n"
    "-s size\t\tsize limit: number with optional fraction and unit b, k, m, g, t (x1024)\n"
    "-t age\t\tage limit: units w (week), d (day), H (hour), M (minute), e.g. 2d12H;\n"
    "\t\ta bare number means hours\n"
    "-w percent\tlow water mark: expiry stops at this % of a limit (default 95)\n"
    "-T seconds\tstop after this many seconds (at most 3600)\n"
    "-p\t\tprofile mode: the directory holds NfSen channel directories\n"
    "-Y\t\tprint the statistics as one line Stat|size|first|last\n"
    "--dry-run\tshow what -e would remove; remove and write nothing\n";

struct Options {
    std::string dir;
    char mode_letter = 0;  // l, L, e, r or u
    bool profile = false;
    bool one_line = false;  // -Y
    bool dry_run = false;
    std::optional<uint64_t> max_size_bytes;
    std::optional<uint64_t> max_lifetime_s;
    std::optional<uint32_t> watermark_pct;
    uint32_t max_runtime_s = 0;
};

int Usage(int status) {
    std::fputs(kUsage, stdout);
    std::fflush(stdout);
    return status;
}

int Fail(const std::string& message) {
    std::fprintf(stderr, "%s\n", message.c_str());
    return kExitError;
}

// A whole number 0..UINT32_MAX and nothing else.
bool ParseSmall(const char* text, uint64_t* out) {
    if (*text == '\0') return false;
    uint64_t v = 0;
    for (const char* p = text; *p; ++p) {
        if (*p < '0' || *p > '9' || v > 0xffffffffULL) return false;
        v = v * 10 + static_cast<uint64_t>(*p - '0');
    }
    *out = v;
    return true;
}

// -w: 0..100 with an optional '%'; 0 means 100, as in nfexpire. Unlike nfexpire's atoi(),
// text that is not a number is refused instead of being read as 0 (which means 100).
std::optional<std::string> ParseWatermark(const char* text, uint32_t* out) {
    std::string s(text);
    if (!s.empty() && s.back() == '%') s.pop_back();
    uint64_t v = 0;
    if (!s.empty() && s.front() == '-') return "Water mark > 100%";
    if (!ParseSmall(s.c_str(), &v)) return "Invalid water mark '" + std::string(text) + "'";
    if (v > 100) return "Water mark > 100%";
    *out = v == 0 ? 100 : static_cast<uint32_t>(v);
    return std::nullopt;
}

std::optional<std::string> ParseRuntime(const char* text, uint32_t* out) {
    uint64_t v = 0;
    if (text[0] == '-') return "Runtime > 3600 (1h)";
    if (!ParseSmall(text, &v)) return "Invalid runtime '" + std::string(text) + "'";
    if (v > 3600) return "Runtime > 3600 (1h)";
    *out = static_cast<uint32_t>(v);
    return std::nullopt;
}

// fds 0-2 must be taken: a cron job started with stdout closed would otherwise get
// `.nfstat` as fd 1, and the statistics we print would land in it.
void GuardStandardDescriptors() {
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) != -1) continue;
        int null_fd = ::open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
        if (null_fd >= 0 && null_fd != fd) {
            ::dup2(null_fd, fd);
            ::close(null_fd);
        }
    }
}

// Returns the exit status when parsing ends the program, nullopt to go on.
std::optional<int> ParseArgs(int argc, char** argv, Options* opt) {
    enum { kDryRun = 1000 };
    static const struct option kLong[] = {
        {"dry-run", no_argument, nullptr, kDryRun},
        {nullptr, 0, nullptr, 0},
    };
    int c;
    while ((c = ::getopt_long(argc, argv, "e:hl:L:T:Ypr:s:t:u:w:", kLong, nullptr)) != -1) {
        switch (c) {
            case 'h':
                return Usage(0);
            case 'l':
            case 'L':
            case 'e':
            case 'r':
            case 'u':
                if (opt->mode_letter != 0) {
                    return Fail("Only one option allowed out of -l -e -r -u or -p");
                }
                opt->mode_letter = static_cast<char>(c);
                opt->dir = optarg;
                break;
            case 'p':
                opt->profile = true;
                break;
            case 'Y':
                opt->one_line = true;
                break;
            case kDryRun:
                opt->dry_run = true;
                break;
            case 's': {
                flow::Result<uint64_t> v = flow::ParseExpireSize(optarg);
                if (!v.ok()) return Fail(v.status().message());
                opt->max_size_bytes = *v;
                break;
            }
            case 't': {
                flow::Result<uint64_t> v = flow::ParseExpireLifetime(optarg);
                if (!v.ok()) return Fail(v.status().message());
                opt->max_lifetime_s = *v;
                break;
            }
            case 'w': {
                uint32_t v = 0;
                if (auto err = ParseWatermark(optarg, &v)) return Fail(*err);
                opt->watermark_pct = v;
                break;
            }
            case 'T':
                if (auto err = ParseRuntime(optarg, &opt->max_runtime_s)) return Fail(*err);
                break;
            default:  // getopt has already named the bad option on stderr
                return Usage(kExitError);
        }
    }
    // NOTE: words after the options are ignored, as nfexpire ignores them.
    if (opt->mode_letter == 0) {
        std::fprintf(stderr, "Data directory (null)\n");
        return Usage(kExitError);
    }
    return std::nullopt;
}

int Run(const Options& opt) {
    flow::ExpireRequest req;
    switch (opt.mode_letter) {
        case 'l':
        case 'L':
            req.mode = flow::ExpireMode::kList;
            break;
        case 'r':
            req.mode = flow::ExpireMode::kRescan;
            break;
        case 'u':
            req.mode = flow::ExpireMode::kUpdate;
            break;
        default:
            req.mode = flow::ExpireMode::kExpire;
            break;
    }
    req.max_size_bytes = opt.max_size_bytes;
    req.max_lifetime_s = opt.max_lifetime_s;
    req.watermark_pct = opt.watermark_pct;
    req.max_runtime_s = opt.max_runtime_s;
    req.dry_run = opt.dry_run;

    flow::Result<flow::ExpireReport> result =
        opt.profile ? flow::ExpireProfile(opt.dir, req) : flow::ExpireDirectory(opt.dir, req);
    if (!result.ok()) {
        const flow::Status& s = result.status();
        if (s.message().rfind("Data directory ", 0) == 0) {
            Fail(s.message());
            return Usage(kExitError);
        }
        return Fail(s.message());
    }
    const flow::ExpireReport& report = *result;

    std::string out;
    if (opt.mode_letter == 'L') {
        // TODO: nfexpire -L also shows the collector's shared-memory bookkeeping; flowkit's
        // collector keeps none (every run rescans), so there is nothing more to show.
        for (const auto& d : report.dirs) {
            out += "No collector bookkeeping for directory: '" + d.dir + "'\n";
        }
    }
    for (const auto& d : report.dirs) {
        if (d.origin == flow::StatOrigin::kMissing && req.mode != flow::ExpireMode::kRescan) {
            out += "Force rebuild to create stat record in " + d.dir + "\n";
        } else if (d.origin == flow::StatOrigin::kRebuildRequested) {
            out += "Force rebuild requested by stat record in " + d.dir + "\n";
        }
    }
    for (const auto& d : report.dirs) {
        if (d.origin != flow::StatOrigin::kLoaded || req.mode == flow::ExpireMode::kRescan) {
            out += "Scanning files in " + d.dir + " .. done.\n";
        }
    }
    if (opt.dry_run) {
        out += "Dry run: no file is removed and no .nfstat is written\n";
        for (const std::string& p : report.expired_paths) out += "Would remove " + p + "\n";
    }
    if (req.mode == flow::ExpireMode::kExpire && !report.dirs.empty()) {
        out += flow::FormatExpiredBlock(report);
    }
    if (!report.dirs.empty()) {
        if (opt.one_line) {
            const flow::DirStat& t = report.total;
            out += "Stat|" + std::to_string(t.size_bytes) + "|" +
                   std::to_string(t.first_s < 0 ? 0 : t.first_s) + "|" +
                   std::to_string(t.last_s < 0 ? 0 : t.last_s) + "\n";
        } else {
            out += flow::FormatStatBlock(report.total);
        }
    }

    for (const std::string& w : report.warnings) {
        if (w.rfind("deadline", 0) == 0) continue;
        std::fprintf(stderr, "flowexpire: %s\n", w.c_str());
    }
    if (report.timed_out)
        std::fprintf(stderr, "Maximum execution time reached! Interrupt expire.\n");
    std::fputs(out.c_str(), stdout);
    return std::fflush(stdout) == 0 ? 0 : kExitError;
}

}  // namespace

int main(int argc, char** argv) {
    GuardStandardDescriptors();
    Options opt;
    if (std::optional<int> done = ParseArgs(argc, argv, &opt)) return *done;
    return Run(opt);
}
