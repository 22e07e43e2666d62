// SPDX-License-Identifier: BSD-2-Clause
// Input file selection as nfdump's -r, -R and -M options define it, and the -t time window.
// Only names are compared for ranges; file contents are never opened here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flow/status.h"

namespace flow {

// What the user asked for on the command line. Exactly one of `read_path` (-r) or
// `range` (-R) is normally set; `multi_dirs` (-M) modifies how either is applied.
struct FileSelection {
    std::optional<std::string> read_path;   // -r FILE or -r DIR
    std::optional<std::string> range;       // -R DIR | DIR/first | DIR/first:last
    std::vector<std::string> more_ranges;   // further -R options, expanded after `range`
    std::optional<std::string> multi_dirs;  // -M base/d1:d2:...
};

// True for names a directory walk passes over: `.nfstat`, `nfcapd.current*`, names holding
// `.stat`, `.DS_Store` or `pcap`, and hidden files.
bool IsSkippedName(const std::string& name);

// True for `nfcapd.` followed by exactly 12 or 14 digits.
bool IsFlowFileName(const std::string& name);

// Expands a selection into the ordered list of files to read. Directory walks are
// depth-first with entries in byte-wise name order; for -R the -M directories are walked in
// byte-wise order of their paths, as nfdump's directory walk sorts its roots, and -r takes
// them in the order -M names them. With -M, a bare `nfcapd.<time>` name (-r, or the first
// file of -R) that a directory lacks is looked for in the -S sub-directory its time points
// to, and a -R first file with sub-directories and no last file runs to the end of each
// directory, later sub-directories included (nfdump's rules). Each -R range
// (`range`, then `more_ranges`) is expanded in turn. Errors carry nfdump's wording where one
// exists (e.g. "stat() error '<path>': No such file or directory"); a missing first file of
// a -R range is NotFound. A -M directory that does not exist is skipped with the message
// "Not a directory: '<dir>'" appended to `warnings` (when not null), as nfdump reads the
// other channels; NotFound when no -M directory exists.
Result<std::vector<std::string>> ExpandSelection(const FileSelection& selection,
                                                 std::vector<std::string>* warnings = nullptr);

// A -t window in UNIX milliseconds; `end_ms` is UINT64_MAX when open-ended.
struct TimeWindow {
    uint64_t start_ms = 0;
    uint64_t end_ms = UINT64_MAX;

    // nfdump 1.7.1 keeps a flow only when it lies wholly inside the window.
    bool Contains(uint64_t first_ms, uint64_t last_ms) const {
        return first_ms >= start_ms && last_ms <= end_ms;
    }
    // A file whose [first, last] does not overlap the window can be skipped.
    bool Overlaps(uint64_t first_ms, uint64_t last_ms) const {
        return !(end_ms < first_ms || start_ms > last_ms);
    }
};

// Parses `YYYY[/MM[/dd[.hh[:mm[:ss]]]]][-YYYY...]` in local time. Relative `+N`/`-N`
// windows are not supported: InvalidArgument whose message says so and names the form to
// use instead.
Result<TimeWindow> ParseTimeWindow(const std::string& text);

}  // namespace flow
