// SPDX-License-Identifier: BSD-2-Clause
// The walk over a data directory that finds the flow files nfexpire counts. It only reads:
// names, types and block counts; file contents are never opened.
#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <set>
#include <string_view>
#include <utility>

#include "flow/expire.h"
#include "flow/select.h"
#include "util/local_time.h"

namespace flow {

namespace {

// The flow file name `name` is, or names with a ".N" suffix: the files flowcapd sets aside
// beside an interval's file it could not merge into (nfcapd.202612010000.1), which hold the
// same interval's flows. Empty for any other name.
std::string_view FlowFileBase(std::string_view name) {
    if (IsFlowFileName(std::string(name))) return name;
    const size_t dot = name.rfind('.');
    if (dot == std::string_view::npos || dot + 1 == name.size() || name.size() - dot > 10) {
        return {};
    }
    for (size_t i = dot + 1; i < name.size(); ++i) {
        if (name[i] < '0' || name[i] > '9') return {};
    }
    const std::string_view base = name.substr(0, dot);
    return IsFlowFileName(std::string(base)) ? base : std::string_view();
}

// Deeper than any -S layout (at most 4 levels) by far; only a pathological tree gets here.
constexpr int kMaxDepth = 32;

std::string Errno(int err) { return std::strerror(err); }

class Walker {
public:
    Walker(FlowDirectoryScan* out, int64_t deadline_ms) : out_(out), deadline_ms_(deadline_ms) {}

    bool timed_out() const { return timed_out_; }

    // Returns false only when `dir` itself (depth 0) cannot be listed; `err` gets errno.
    bool Walk(const std::string& dir, int depth, int* err) {
        if (Expired()) return true;
        std::vector<std::string> names;
        if (!List(dir, &names, err)) {
            if (depth == 0) return false;
            // A sub-directory that went away since we saw it is no problem; one we may not
            // read leaves its files out of the totals, which makes us remove less, not more.
            if (*err != ENOENT)
                out_->problems.push_back("cannot read '" + dir + "': " + Errno(*err));
            return true;
        }
        for (const std::string& name : names) {
            if (timed_out_) return true;
            Visit(dir, name, depth);
        }
        return true;
    }

    // Marks a directory as visited; false when it was seen before (a symlink loop or two
    // links to one directory).
    bool FirstVisit(const struct stat& st) {
        return visited_.insert({st.st_dev, st.st_ino}).second;
    }

private:
    bool Expired() {
        if (deadline_ms_ > 0 && NowMs() >= deadline_ms_) timed_out_ = true;
        return timed_out_;
    }

    static bool List(const std::string& dir, std::vector<std::string>* names, int* err) {
        DIR* d = ::opendir(dir.c_str());
        if (d == nullptr) {
            *err = errno;
            return false;
        }
        while (struct dirent* e = ::readdir(d)) {
            if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
            names->emplace_back(e->d_name);
        }
        ::closedir(d);
        // std::string compares as unsigned char, like strcmp: nfexpire's order.
        std::sort(names->begin(), names->end());
        return true;
    }

    void Visit(const std::string& dir, const std::string& name, int depth) {
        std::string path = dir + "/" + name;
        struct stat st;
        if (::lstat(path.c_str(), &st) != 0) return;  // vanished meanwhile
        bool is_link = S_ISLNK(st.st_mode);
        if (is_link && ::stat(path.c_str(), &st) != 0) return;  // dangling link

        if (S_ISDIR(st.st_mode)) {
            // -S layouts start every level with a digit (%Y, %m, %d, %H, %W, %u, %j, %F);
            // everything else (hidden, channel or foreign directories) is not ours.
            if (name[0] < '0' || name[0] > '9') return;
            if (depth + 1 > kMaxDepth || !FirstVisit(st)) return;
            int err = 0;
            Walk(path, depth + 1, &err);
            // Added after its children: the list ends up deepest first.
            out_->subdirs.push_back({path, static_cast<int64_t>(st.st_mtime)});
            return;
        }
        // A symlinked file is somebody else's data, and unlinking it would free nothing.
        if (is_link || !S_ISREG(st.st_mode)) return;
        const std::string_view base = FlowFileBase(name);
        if (base.empty()) return;

        Result<int64_t> t = FlowFileNameTime(base);
        if (!t.ok()) return;
        FlowFileEntry entry;
        entry.path = std::move(path);
        entry.time_s = *t;
        entry.has_seconds = base.size() == 21;
        entry.disk_bytes = 512ULL * static_cast<uint64_t>(st.st_blocks);
        out_->files.push_back(std::move(entry));
        if ((out_->files.size() & 1023) == 0) Expired();
    }

    FlowDirectoryScan* out_;
    int64_t deadline_ms_;
    bool timed_out_ = false;
    std::set<std::pair<dev_t, ino_t>> visited_;
};

}  // namespace

Result<int64_t> FlowFileNameTime(std::string_view name) {
    if (!IsFlowFileName(std::string(name))) {
        return Status::InvalidArgument("not a flow file name: '" + std::string(name) + "'");
    }
    const char* d = name.data() + 7;
    auto num = [d](int off, int len) {
        int v = 0;
        for (int i = 0; i < len; ++i) v = v * 10 + (d[off + i] - '0');
        return v;
    };
    struct tm tm = {};
    tm.tm_year = num(0, 4) - 1900;
    tm.tm_mon = num(4, 2) - 1;
    tm.tm_mday = num(6, 2);
    tm.tm_hour = num(8, 2);
    tm.tm_min = num(10, 2);
    tm.tm_sec = name.size() == 21 ? num(12, 2) : 0;
    return util::LocalToUnix(tm);  // the zone decides, as nfdump's ISO2UNIX lets it
}

int64_t NowMs() {
    struct timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000;
}

Result<FlowDirectoryScan> ScanFlowDirectory(const std::string& dir, int64_t deadline_ms) {
    FlowDirectoryScan scan;
    scan.dir = dir;
    struct stat st;
    if (::stat(dir.c_str(), &st) != 0) {
        int err = errno;
        std::string msg = "stat() '" + dir + "': " + Errno(err);
        return err == ENOENT ? Status::NotFound(msg) : Status::IoError(msg);
    }
    if (!S_ISDIR(st.st_mode)) return Status::NotFound("No such directory: " + dir);

    Walker walker(&scan, deadline_ms);
    walker.FirstVisit(st);
    int err = 0;
    if (!walker.Walk(dir, 0, &err)) {
        return Status::IoError("cannot read directory '" + dir + "': " + Errno(err));
    }
    if (walker.timed_out()) {
        return Status::IoError("deadline: scan of '" + dir + "' did not finish in time");
    }

    if (!scan.files.empty()) scan.first_s = scan.last_s = scan.files.front().time_s;
    for (const FlowFileEntry& f : scan.files) {
        scan.size_bytes += f.disk_bytes;
        scan.first_s = std::min(scan.first_s, f.time_s);
        scan.last_s = std::max(scan.last_s, f.time_s);
    }
    return scan;
}

}  // namespace flow
