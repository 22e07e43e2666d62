// SPDX-License-Identifier: BSD-2-Clause
// Retention of flow directories as nfexpire does it: the `.nfstat` file with its limits, the
// scan of a data directory (flat or any -S layout), and the decision which of the oldest files
// go so that size and age stay within their limits. Used by flowexpire and by flowcapd -e.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flow/status.h"

namespace flow {

// Watermarks used when a directory's `.nfstat` holds 0: a single data directory, and a
// profile of several channel directories (NfSen).
constexpr uint32_t kDefaultWatermarkPct = 95;
constexpr uint32_t kProfileWatermarkPct = 98;
// An empty sub-directory modified this recently is left alone by expiry.
constexpr int64_t kFreshDirectorySeconds = 60;

// The `status` values stored in `.nfstat`. Written to disk: do not renumber.
enum class StatFileStatus : uint32_t {
    kOk = 0,
    kForceRebuild = 3,  // the next reader must rescan (no files, or the record is not trusted)
};

// Size and age limits of a directory. 0 means "no limit" (for the watermark: the default).
struct ExpireLimits {
    uint64_t max_size_bytes = 0;  // total disk usage allowed
    uint64_t max_lifetime_s = 0;  // age of the oldest file allowed, from the file names
    uint32_t watermark_pct = 0;   // expiry stops at this percentage of a limit
};

// The contents of `.nfstat`: what a scan found plus the stored limits.
struct DirStat {
    int64_t first_s = 0;      // time of the oldest file name (UNIX seconds, names in local time)
    int64_t last_s = 0;       // time of the newest file name
    uint64_t size_bytes = 0;  // sum of 512 * st_blocks over the flow files
    uint64_t num_files = 0;
    ExpireLimits limits;
    uint32_t status = 0;  // a StatFileStatus value; other values are read but never written
};

// ---- `.nfstat` text --------------------------------------------------------------------

// The text nfdump writes: `key=value` lines in the order first, last, size, maxsize,
// numfiles, lifetime, watermark, status; unsigned decimal. Negative times are written as 0.
std::string FormatStatFile(const DirStat& stat);

// What ParseStatFile made of a `.nfstat` text.
struct ParsedStatFile {
    DirStat stat;
    // True when the record must not be trusted: a value that is not an unsigned decimal, or
    // one of nfdump's sanity rules failed (first = 0, first > last, status > 3,
    // watermark > 100), or status 3 was stored. The limits that did parse are kept.
    bool needs_rebuild = false;
    // One line per oddity (unknown key, bad value, line without '='), for a warning.
    std::vector<std::string> problems;
};

// Parses `.nfstat` text leniently: `#` lines and blank lines are skipped, blanks around keys
// and values and a trailing CR are ignored, unknown keys are reported and ignored, and the
// first of duplicate keys wins. Never fails; see ParsedStatFile for what it reports.
ParsedStatFile ParseStatFile(std::string_view text);

// ---- Scanning ----------------------------------------------------------------------------

// The time encoded in a flow file name `nfcapd.YYYYMMDDhhmm[ss]`, read as local time the way
// mktime() does (out-of-range fields roll over); a name in the hour repeated when the clocks
// go back is the earlier of its two times. InvalidArgument when `name` is not a flow file
// name (see IsFlowFileName in flow/select.h).
Result<int64_t> FlowFileNameTime(std::string_view name);

// One flow file found by ScanFlowDirectory.
struct FlowFileEntry {
    std::string path;          // the directory given to the scan, '/', the relative path
    int64_t time_s = 0;        // FlowFileNameTime of its name
    bool has_seconds = false;  // the name has 14 digits (collector interval below a minute)
    uint64_t disk_bytes = 0;   // 512 * st_blocks
};

// The flow files of one data directory.
struct FlowDirectoryScan {
    std::string dir;
    // Walk order: depth first, every level in byte-wise name order. For a directory that
    // holds a single -S layout this is also oldest first.
    std::vector<FlowFileEntry> files;
    uint64_t size_bytes = 0;
    int64_t first_s = 0;  // smallest time_s, 0 when there are no files
    int64_t last_s = 0;   // largest time_s
    // The sub-directories entered, deepest first (children before their parent), with
    // their modification time when the scan saw them.
    struct SubDirectory {
        std::string path;
        int64_t mtime_s = 0;
    };
    std::vector<SubDirectory> subdirs;
    // Sub-directories that could not be read (their files are missing from the totals).
    std::vector<std::string> problems;
};

// Walks `dir` and collects the files nfexpire counts: regular files named `nfcapd.` plus 12
// or 14 digits, in `dir` and in sub-directories whose names start with a digit (the -S
// layouts). Directories starting with '.' or a non-digit are not entered; symlinked
// directories are followed (each directory is visited once), symlinked files are ignored.
// Entries that vanish during the walk are skipped. Fails with NotFound/IoError when `dir`
// itself cannot be read, and with IoError "deadline" when `deadline_ms` (NowMs(), 0 = none)
// passes during the walk. Never modifies anything. Thread-safe.
Result<FlowDirectoryScan> ScanFlowDirectory(const std::string& dir, int64_t deadline_ms = 0);

// The wall clock in UNIX milliseconds (the clock of the deadlines above).
int64_t NowMs();

// ---- Decision ----------------------------------------------------------------------------

// How many of `oldest_first` (flow files sorted oldest first, with `total_bytes` their summed
// size) have to go under `limits`, with `watermark_pct` (1..100) the effective watermark and
// `now_s` the current time. The rules of nfexpire 1.7.1:
//  - size: when total >= max size, the oldest files go while total > max size * watermark.
//  - age: when now - oldest >= max lifetime, after the size pass the following files go
//    while their age (now - name time) is at least L = max lifetime * watermark / 100
//    (rounded down) for a 12-digit name, or more than L for a 14-digit name.
// Removal is always a prefix of `oldest_first`. Pure function.
size_t CountFilesToExpire(const std::vector<FlowFileEntry>& oldest_first, uint64_t total_bytes,
                          const ExpireLimits& limits, uint32_t watermark_pct, int64_t now_s);

// ---- Running it ------------------------------------------------------------------------

// What a run does with the directory, after nfexpire's -l, -r, -u and -e.
enum class ExpireMode {
    kList,    // refresh and show the statistics; limits are not changed
    kRescan,  // rescan; stores a watermark override (as nfexpire -r), ignores size and age
    kUpdate,  // store the size, age and watermark overrides as the directory's limits
    kExpire,  // store the overrides, then remove the oldest files as the limits demand
};

struct ExpireRequest {
    ExpireMode mode = ExpireMode::kExpire;
    // Overrides of the limits stored in `.nfstat`; unset = use the stored value. A watermark
    // override must be 1..100 (nfexpire's "-w 0" is 100: map it before).
    std::optional<uint64_t> max_size_bytes;
    std::optional<uint64_t> max_lifetime_s;
    std::optional<uint32_t> watermark_pct;
    // Compute everything, remove nothing and write no `.nfstat`; `expired_paths` lists the
    // files a real run would remove.
    bool dry_run = false;
    // The current time in UNIX seconds; 0 = the clock.
    int64_t now_s = 0;
    // Called with each file's path just before it is removed (not in a dry run), for
    // logging. Runs with the `.nfstat` lock held; must not start another run on the same
    // directory.
    std::function<void(const std::string& path)> on_remove;
    // Stop removing files once this many seconds have passed (0 = no bound). The bound also
    // covers waiting for the `.nfstat` lock and the scan; a scan that does not finish in time
    // removes nothing.
    uint32_t max_runtime_s = 0;
};

// How the `.nfstat` of a directory was found when the run started.
enum class StatOrigin {
    kLoaded,            // present and sane
    kMissing,           // not there (or empty of keys); created by this run
    kRebuildRequested,  // present but untrusted (ParsedStatFile::needs_rebuild)
};

// One data directory's part in a run.
struct DirectoryOutcome {
    std::string dir;  // realpath of the directory
    StatOrigin origin = StatOrigin::kLoaded;
    bool stat_was_stale = false;  // a sane `.nfstat` disagreed with the scan and was corrected
    DirStat stat;                 // after the run: what was (or would be) written
};

struct ExpireReport {
    // One entry for ExpireDirectory; one per channel, in name order, for ExpireProfile.
    std::vector<DirectoryOutcome> dirs;
    // Totals over all directories after the run (for a profile: sizes and counts summed,
    // first/last over the channels that still hold files; the limits are the effective ones).
    DirStat total;
    uint64_t files_expired = 0;
    uint64_t bytes_expired = 0;
    int64_t expired_range_s = 0;             // new oldest time minus old oldest time
    std::vector<std::string> expired_paths;  // removed files (dry run: files to remove)
    bool timed_out = false;                  // max_runtime_s ended the run early
    // Things the caller should log: unreadable sub-directories, files that could not be
    // removed, `.nfstat` oddities. Files that vanished on their own are not reported.
    std::vector<std::string> warnings;
};

// Runs `request` on one data directory: takes the `.nfstat` lock (an fcntl write lock,
// compatible with nfexpire and nfcapd), rescans the directory, applies the mode and rewrites
// `.nfstat` in place. The scan always decides, never the stored counters, so a stale or
// damaged `.nfstat` can make nothing go that should stay; it is corrected instead. In kExpire
// mode, entered sub-directories that are empty afterwards are removed too, deepest first;
// never `dir` itself, and never one changed less than kFreshDirectorySeconds before the scan
// (a collector may have just made it for the file it is about to move there).
// Fails (removing nothing) when `dir` is not a directory, the lock cannot be had, or
// `.nfstat` cannot be written; errors carry the path and strerror text. Removal failures are
// warnings. Thread-safe; concurrent runs on one directory, in one process or several, are
// serialised by the lock.
//
// flowcapd -e calls it after each rotation with a default request: the limits then come from
// `.nfstat`, which is created (watermark 95) when missing.
Result<ExpireReport> ExpireDirectory(const std::string& dir, const ExpireRequest& request = {});

// The same for an NfSen profile: every sub-directory of `profile_dir` not starting with '.'
// is a channel with its own `.nfstat`. Limits come from `request` only (they are not stored),
// the watermark defaults to 98, and the globally oldest file goes first. kUpdate is refused
// with InvalidArgument. Fails with NotFound when the profile has no channel.
Result<ExpireReport> ExpireProfile(const std::string& profile_dir, const ExpireRequest& request);

// ---- Text forms of nfexpire ------------------------------------------------------------

// "1023 B", "4096 = 4.0 KB" ... "= x.x TB" (1024-based, one decimal).
std::string FormatExpireSize(uint64_t bytes);
// "59 sec", "3600 = 1.0 hours"; units min, hours, days, weeks.
std::string FormatExpireAge(uint64_t seconds);
// The nine-line statistics block of nfexpire -l ("First:     ..." to "Status:    ...").
std::string FormatStatBlock(const DirStat& stat);
// The three "Expired ..." lines and the blank line that nfexpire -e prints first.
std::string FormatExpiredBlock(const ExpireReport& report);

// Parses nfexpire's -s argument: a number with an optional fraction, then an optional unit
// b, k, m, g, t (either case, powers of 1024), then an optional 'B' or 'b': "100MB", "1.5G".
// The value is rounded down to whole bytes. InvalidArgument with nfexpire's texts
// ("Missing number in '<arg>'", "Garbage character(s) '<rest>' in '<arg>'") or
// "Size '<arg>' is too large".
Result<uint64_t> ParseExpireSize(std::string_view text);

// Parses nfexpire's -t argument: integers with units w, d, H, M, combinable ("2d12H"); a bare
// trailing number is hours; case-sensitive. InvalidArgument with nfexpire's texts
// ("Unknown time unit '<rest>'", "Missing number before '<rest>'", "Ambiguous days 3d") or
// "Lifetime '<arg>' is too large".
Result<uint64_t> ParseExpireLifetime(std::string_view text);

}  // namespace flow
