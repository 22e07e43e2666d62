// SPDX-License-Identifier: BSD-2-Clause
// Expansion of -r/-R/-M into an ordered file list. Walks are depth-first, each level in
// byte-wise name order, so the list is chronological for every -S sub-directory layout.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>

#include "flow/select.h"

namespace flow {

namespace {

bool IsDirectory(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool IsRegularFile(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Removes "//", "/./", a leading "./" and a trailing "/" so name comparisons are stable.
std::string CleanPath(std::string path) {
    size_t pos;
    while ((pos = path.find("//")) != std::string::npos) path.erase(pos, 1);
    while ((pos = path.find("/./")) != std::string::npos) path.erase(pos, 2);
    while (path.size() > 2 && path.compare(0, 2, "./") == 0) path.erase(0, 2);
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    return path;
}

std::vector<std::string> SplitPath(const std::string& path) {
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= path.size()) {
        size_t slash = path.find('/', start);
        if (slash == std::string::npos) slash = path.size();
        if (slash > start) parts.push_back(path.substr(start, slash - start));
        start = slash + 1;
    }
    return parts;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
    if (dir.empty() || dir == ".") return name;
    if (dir.back() == '/') return dir + name;
    return dir + "/" + name;
}

// Sorted names of a directory, hidden entries excluded. Unreadable directories give none.
std::vector<std::string> ListDirectory(const std::string& dir) {
    std::vector<std::string> names;
    DIR* d = ::opendir(dir.c_str());
    if (d == nullptr) return names;
    while (struct dirent* e = ::readdir(d)) {
        if (e->d_name[0] == '.') continue;
        names.emplace_back(e->d_name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());
    return names;
}

// The directories from a walk's root down to the one being listed, by device and inode.
using DirChain = std::vector<std::pair<dev_t, ino_t>>;

// Every flow file below `dir`. `rel` holds the path components below the walk's root, and
// `keep` decides on each file by those components (including the file name). Symlinks are
// followed, except a directory that is already on the way down from the root (a symlink
// back to an ancestor, `latest -> ..`): it would list the same files over and over.
template <typename Keep>
void Walk(const std::string& dir, std::vector<std::string>& rel, const Keep& keep,
          std::vector<std::string>* out, DirChain& chain) {
    if (chain.size() > 64) return;  // an absurd tree
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) return;
    const std::pair<dev_t, ino_t> id(st.st_dev, st.st_ino);
    if (std::find(chain.begin(), chain.end(), id) != chain.end()) return;
    chain.push_back(id);
    for (const std::string& name : ListDirectory(dir)) {
        std::string path = JoinPath(dir, name);
        rel.push_back(name);
        if (IsDirectory(path)) {
            if (keep(rel, true)) Walk(path, rel, keep, out, chain);
        } else if (!IsSkippedName(name) && keep(rel, false)) {
            out->push_back(path);
        }
        rel.pop_back();
    }
    chain.pop_back();
}

template <typename Keep>
void Walk(const std::string& dir, std::vector<std::string>& rel, const Keep& keep,
          std::vector<std::string>* out) {
    DirChain chain;
    Walk(dir, rel, keep, out, chain);
}

void WalkAll(const std::string& dir, std::vector<std::string>* out) {
    std::vector<std::string> rel;
    Walk(
        dir, rel, [](const std::vector<std::string>&, bool) { return true; }, out);
}

// Compares the first `n` components of `a` with `b`'s (a shorter side compares as a prefix).
int ComparePrefix(const std::vector<std::string>& a, const std::vector<std::string>& b, size_t n) {
    for (size_t i = 0; i < n && i < a.size() && i < b.size(); ++i) {
        int c = a[i].compare(b[i]);
        if (c != 0) return c < 0 ? -1 : 1;
    }
    return 0;
}

// Sub-directory layouts a collector may use (-S 1..8), for guessing where `last` lives.
constexpr const char* kSubdirFormats[] = {"%Y/%m/%d", "%Y/%m/%d/%H", "%Y/%W/%u", "%Y/%W/%u/%H",
                                          "%Y/%j",    "%Y/%j/%H",    "%Y-%m-%d", "%Y-%m-%d/%H"};

// For `nfcapd.YYYYMMDDhhmm[ss]`, the sub-directory candidates of each layout.
std::vector<std::string> GuessSubdirs(const std::string& name) {
    std::vector<std::string> out;
    if (!IsFlowFileName(name)) return out;
    struct tm tm = {};
    const char* d = name.c_str() + 7;
    auto num = [&](int off, int len) { return std::stoi(std::string(d + off, len)); };
    tm.tm_year = num(0, 4) - 1900;
    tm.tm_mon = num(4, 2) - 1;
    tm.tm_mday = num(6, 2);
    tm.tm_hour = num(8, 2);
    tm.tm_min = num(10, 2);
    tm.tm_isdst = -1;
    time_t t = ::mktime(&tm);
    struct tm local;
    ::localtime_r(&t, &local);
    for (const char* fmt : kSubdirFormats) {
        char buf[64];
        if (::strftime(buf, sizeof(buf), fmt, &local) > 0) out.emplace_back(buf);
    }
    return out;
}

// `name` (a bare `nfcapd.<time>` name) in the sub-directory of `dir` its time points to, as
// a path relative to `dir` (`2026/12/04/nfcapd.202612041200`); empty when no layout holds it.
std::string FindInSubdir(const std::string& dir, const std::string& name) {
    for (const std::string& g : GuessSubdirs(name)) {
        const std::string rel = g + "/" + name;
        if (IsRegularFile(JoinPath(dir, rel))) return rel;
    }
    return "";
}

// The flow files from `lo` on below `base`, across its sub-directories: `lo` are the path
// components of the first file below `base`.
void WalkFrom(const std::string& base, const std::vector<std::string>& lo,
              std::vector<std::string>* out) {
    const size_t k = lo.size() - 1;
    std::vector<std::string> rel;
    Walk(
        base, rel,
        [&](const std::vector<std::string>& r, bool is_dir) {
            if (is_dir) return r.size() <= k && ComparePrefix(r, lo, r.size()) >= 0;
            return r.size() == k + 1 && ComparePrefix(r, lo, k + 1) >= 0;
        },
        out);
}

// -R PATH[:LAST], with `base_dir` the directory -M supplies (empty without -M). With
// `require_first`, a missing first file of a range is NotFound. With -M, a PATH without
// LAST that names sub-directories (`2026/12/04/nfcapd.202612041200`) takes every file
// from there to the end of the channel, later sub-directories included, as nfdump does;
// without -M only the rest of that one directory.
Status ExpandRange(const std::string& spec, const std::string& base_dir,
                   std::vector<std::string>* out, bool require_first = true) {
    size_t colon = spec.find(':');
    if (colon != std::string::npos && spec.find(':', colon + 1) != std::string::npos) {
        return Status::InvalidArgument("Multiple file separators ':' in path not allowed!");
    }
    std::string first = CleanPath(base_dir.empty() ? spec.substr(0, colon)
                                                   : JoinPath(base_dir, spec.substr(0, colon)));
    if (colon == std::string::npos) {
        if (IsDirectory(first)) {
            WalkAll(first, out);
            return Status::Ok();
        }
        if (!IsRegularFile(first)) {
            // With -M only the first channel named must hold it; the others may lack it.
            if (!require_first) return Status::Ok();
            return Status::NotFound("stat() error '" + first + "': " +
                                    (base_dir.empty() ? std::strerror(ENOENT) : "File not found!"));
        }
        const std::string rel = CleanPath(spec);
        if (!base_dir.empty() && rel.find('/') != std::string::npos) {
            WalkFrom(CleanPath(base_dir), SplitPath(rel), out);
            return Status::Ok();
        }
        // An existing file: it and every later file of its directory.
        std::string dir = first.find('/') == std::string::npos ? std::string(".")
                                                               : first.substr(0, first.rfind('/'));
        std::string name = first.substr(first.rfind('/') + 1);
        for (const std::string& n : ListDirectory(dir)) {
            std::string p = JoinPath(dir, n);
            if (n >= name && !IsSkippedName(n) && IsRegularFile(p)) out->push_back(p);
        }
        return Status::Ok();
    }

    std::string last = CleanPath(spec.substr(colon + 1));
    if (spec.substr(colon + 1).empty()) {
        return Status::InvalidArgument("Missing last file option after ':'!");
    }
    // nfdump opens the range at its first file: a missing one is an error (exit 250), while
    // the last only bounds the name walk and may not exist yet. With -M only the first
    // channel named is checked; in the others the range just bounds the walk.
    if (require_first && !IsRegularFile(first)) {
        // A range runs from one file to another: a directory there exists, but is no start.
        if (IsDirectory(first)) return Status::NotFound("Not a file: '" + first + "'");
        return Status::NotFound("stat() error '" + first + "': " +
                                (base_dir.empty() ? std::strerror(ENOENT) : "File not found!"));
    }
    if (last.front() == '/') {
        return Status::InvalidArgument("Last file name in -R list must not start with '/'");
    }
    std::vector<std::string> first_parts = SplitPath(first);
    std::vector<std::string> last_parts = SplitPath(last);
    bool absolute = !first.empty() && first.front() == '/';

    // A plain last name in a hierarchy: find the sub-directory its date points to.
    if (last_parts.size() == 1 && first_parts.size() >= 2) {
        std::string dir = first.substr(0, first.rfind('/'));
        if (!IsRegularFile(JoinPath(dir, last))) {
            std::vector<std::string> guesses = GuessSubdirs(last);
            for (size_t up = 1; up < first_parts.size() && last_parts.size() == 1; ++up) {
                std::vector<std::string> anc(first_parts.begin(), first_parts.end() - 1 - up);
                std::string anc_path = (absolute ? "/" : "");
                for (size_t i = 0; i < anc.size(); ++i) anc_path += (i ? "/" : "") + anc[i];
                for (const std::string& g : guesses) {
                    if (SplitPath(g).size() != up) continue;
                    if (IsRegularFile(JoinPath(JoinPath(anc_path, g), last))) {
                        last_parts = SplitPath(g + "/" + last);
                        break;
                    }
                }
            }
        }
    }

    size_t k = last_parts.size() - 1;  // sub-directory levels below the base
    if (first_parts.size() < k + 1) {
        return Status::InvalidArgument("-R range '" + spec +
                                       "': first path has fewer levels "
                                       "than last");
    }
    std::vector<std::string> lo(first_parts.end() - static_cast<long>(k + 1), first_parts.end());
    std::string base = absolute ? "/" : "";
    for (size_t i = 0; i + k + 1 < first_parts.size(); ++i) {
        base += (i ? "/" : "") + first_parts[i];
    }
    if (base.empty()) base = ".";
    if (!IsDirectory(base)) {
        // A -M channel other than the first named may lack the sub-directory altogether.
        if (!require_first) return Status::Ok();
        return Status::NotFound("stat() error '" + base + "': " + std::strerror(ENOENT));
    }
    const std::vector<std::string>& hi = last_parts;
    std::vector<std::string> rel;
    Walk(
        base, rel,
        [&](const std::vector<std::string>& r, bool is_dir) {
            if (is_dir) {
                return r.size() <= k && ComparePrefix(r, lo, r.size()) >= 0 &&
                       ComparePrefix(r, hi, r.size()) <= 0;
            }
            return r.size() == k + 1 && ComparePrefix(r, lo, k + 1) >= 0 &&
                   ComparePrefix(r, hi, k + 1) <= 0;
        },
        out);
    return Status::Ok();
}

Status ExpandRead(const std::string& path, std::vector<std::string>* out) {
    if (IsDirectory(path)) {
        WalkAll(CleanPath(path), out);
        return Status::Ok();
    }
    if (IsRegularFile(path)) {
        out->push_back(path);
        return Status::Ok();
    }
    return Status::NotFound(path + " is not a file or directory");
}

}  // namespace

bool IsSkippedName(const std::string& name) {
    return name.empty() || name[0] == '.' || name.rfind("nfcapd.current", 0) == 0 ||
           name.find(".stat") != std::string::npos || name.find(".DS_Store") != std::string::npos ||
           name.find("pcap") != std::string::npos;
}

bool IsFlowFileName(const std::string& name) {
    if (name.rfind("nfcapd.", 0) != 0) return false;
    size_t digits = name.size() - 7;
    if (digits != 12 && digits != 14) return false;
    return std::all_of(name.begin() + 7, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A range whose last file name sorts before its first matches nothing: worth a warning
// (nfdump warns too) rather than a silent "No matching flows".
void WarnReversedRange(const std::string& range, std::vector<std::string>* warnings) {
    const size_t colon = range.find(':');
    if (warnings == nullptr || colon == std::string::npos) return;
    if (range.find(':', colon + 1) != std::string::npos) return;  // refused: two separators
    const std::string first = range.substr(0, colon);
    const std::string last = range.substr(colon + 1);
    const std::string first_name = first.substr(first.rfind('/') + 1);
    const std::string last_name = last.substr(last.rfind('/') + 1);
    if (!last_name.empty() && last_name < first_name) {
        warnings->push_back("WARNING: last file '" + last + "' comes before first file '" + first +
                            "': the range matches nothing");
    }
}

Result<std::vector<std::string>> ExpandSelection(const FileSelection& sel,
                                                 std::vector<std::string>* warnings) {
    std::vector<std::string> files;
    if (sel.read_path && sel.range) {
        return Status::InvalidArgument(
            "-r and -R are mutually exclusive. Please specify either -r or -R");
    }
    std::vector<std::string> ranges;
    if (sel.range) ranges.push_back(*sel.range);
    ranges.insert(ranges.end(), sel.more_ranges.begin(), sel.more_ranges.end());
    for (const std::string& range : ranges) WarnReversedRange(range, warnings);
    if (!sel.multi_dirs) {
        if (ranges.empty() && !sel.read_path) {
            return Status::InvalidArgument("no input files: use -r, -R or -M");
        }
        if (sel.read_path) {
            Status s = ExpandRead(*sel.read_path, &files);
            if (!s.ok()) return s;
        }
        for (const std::string& range : ranges) {
            Status s = ExpandRange(range, "", &files);
            if (!s.ok()) return s;
        }
        return files;
    }

    if (!sel.read_path && ranges.empty()) {
        return Status::InvalidArgument(
            "-M needs either -r or -R to specify the file or file list. Add '-R .' for all "
            "files in the directories.");
    }
    // With -M the -r file and -R ranges are names inside each directory; an absolute one
    // is refused as nfdump refuses it, rather than read as a name under every directory.
    if (sel.read_path && !sel.read_path->empty() && sel.read_path->front() == '/') {
        return Status::InvalidArgument(
            "File -r must not start with '/', when combined with a source list -M");
    }
    for (const std::string& range : ranges) {
        if (!range.empty() && range.front() == '/') {
            return Status::InvalidArgument(
                "File list -R must not start with '/' when combined with a source list -M");
        }
    }
    // -M base/d1:d2:d3: the text before the first element's last '/' prefixes every element.
    const std::string& m = *sel.multi_dirs;
    size_t colon = m.find(':');
    std::string head = m.substr(0, colon);
    std::string prefix = head.find('/') == std::string::npos ? "" : head.substr(0, head.rfind('/'));
    std::vector<std::string> dirs;
    dirs.push_back(head);
    while (colon != std::string::npos) {
        size_t next = m.find(':', colon + 1);
        std::string part = m.substr(colon + 1, next == std::string::npos ? next : next - colon - 1);
        if (!part.empty()) dirs.push_back(prefix.empty() ? part : JoinPath(prefix, part));
        colon = next;
    }
    // nfdump walks all channels as the roots of one sorted directory walk: channel order is
    // byte-wise path order, whatever order -M lists them in.
    const std::string first_named = dirs.front();
    const std::vector<std::string> dirs_named = dirs;
    std::stable_sort(dirs.begin(), dirs.end());
    std::vector<std::string> present;
    std::vector<std::string> missing;
    for (const std::string& dir : dirs) {
        if (IsDirectory(dir)) {
            present.push_back(dir);
        } else {
            missing.push_back("Not a directory: '" + dir + "'");
        }
    }
    if (present.empty()) return Status::NotFound(missing.front());
    if (warnings != nullptr) warnings->insert(warnings->end(), missing.begin(), missing.end());
    Status first_missing = Status::Ok();
    if (sel.read_path) {
        // -r reads the channels in the order -M names them (nfdump does not sort them here).
        // A bare `nfcapd.<time>` name a channel does not hold directly is looked for in the
        // sub-directory its time points to (the -S layouts), as nfdump does. A channel whose
        // collector missed this slot lacks the file: the other channels are still read, with
        // a warning, as nfdump does.
        for (const std::string& dir : dirs_named) {
            if (!IsDirectory(dir)) continue;
            std::string path = JoinPath(dir, *sel.read_path);
            if (!IsRegularFile(path) && !IsDirectory(path) && IsFlowFileName(*sel.read_path)) {
                const std::string rel = FindInSubdir(dir, *sel.read_path);
                if (!rel.empty()) path = JoinPath(dir, rel);
            }
            Status s = ExpandRead(path, &files);
            if (!s.ok()) {
                if (first_missing.ok()) first_missing = s;
                if (warnings != nullptr) warnings->push_back(s.message());
            }
        }
    }
    for (std::string& range : ranges) {
        // A bare first file name the first channel named does not hold directly: the
        // sub-directory its time points to there (nfdump's guess), applied to every channel;
        // a bare last name is then looked for the same way by ExpandRange.
        const size_t sep = range.find(':');
        const std::string first = range.substr(0, sep);
        if (IsFlowFileName(first) && !IsRegularFile(JoinPath(first_named, first))) {
            const std::string rel = FindInSubdir(first_named, first);
            if (!rel.empty()) range = rel + (sep == std::string::npos ? "" : range.substr(sep));
        }
    }
    for (const std::string& dir : present) {
        for (const std::string& range : ranges) {
            Status s = Status::Ok();
            if (range == "." || range.empty()) {
                WalkAll(CleanPath(dir), &files);
            } else {
                s = ExpandRange(range, dir, &files, dir == first_named);
            }
            if (!s.ok()) return s;
        }
    }
    if (files.empty() && !first_missing.ok()) return first_missing;
    return files;
}

}  // namespace flow
