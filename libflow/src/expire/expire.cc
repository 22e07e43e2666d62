// SPDX-License-Identifier: BSD-2-Clause
// The expiry run: lock and read `.nfstat`, rescan, decide with nfexpire's rules, remove the
// oldest files and emptied sub-directories, and write the corrected `.nfstat`. The rules
// are in nffile-format.md 4.5/4.6; boundary cases were checked against nfexpire 1.7.1.
#include "flow/expire.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <set>
#include <utility>

namespace flow {

namespace {

using u128 = unsigned __int128;

constexpr char kStatFileName[] = ".nfstat";
// `.nfstat` is a few hundred bytes; anything much larger is not one.
constexpr size_t kMaxStatFileBytes = 64 * 1024;

std::string Errno(int err) { return std::strerror(err); }

// An open, locked `.nfstat`. The lock is an open-file-description lock: it conflicts with
// the classic fcntl locks of nfexpire and nfcapd, and unlike those it also keeps two threads
// of one process apart. Closing the descriptor releases it.
class LockedStatFile {
public:
    LockedStatFile() = default;
    LockedStatFile(const LockedStatFile&) = delete;
    LockedStatFile& operator=(const LockedStatFile&) = delete;
    ~LockedStatFile() {
        if (fd_ >= 0) ::close(fd_);
    }

    // Opens `<dir>/.nfstat`, creating it when `writable`, locks it (a read lock when not
    // writable) and reads it. Waits for the lock until `deadline_ms` (0 = for ever).
    //
    // A symlink or a file with other hard links is never read or written through (it could
    // point at any file the caller may write): it counts as missing and, when `writable`, is
    // replaced by a new regular file (temporary file created with O_EXCL, renamed over it).
    Status Open(const std::string& dir, bool writable, int64_t deadline_ms) {
        path_ = dir + "/" + kStatFileName;
        fd_ = ::open(path_.c_str(), (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC | O_NOFOLLOW);
        bool foreign = fd_ < 0 && errno == ELOOP;
        struct stat st;
        if (fd_ >= 0 && ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink > 1) {
            ::close(fd_);
            fd_ = -1;
            foreign = true;
        }
        existed_ = fd_ >= 0;
        if (foreign) {
            if (!writable) return Status::Ok();  // dry run: as if there were none
            Status s = ReplaceForeign();
            if (!s.ok()) return s;
        } else if (fd_ < 0 && errno == ENOENT && writable) {
            // No O_EXCL here: two runs creating it at once must end up locking one inode.
            fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        }
        if (fd_ < 0) {
            if (errno == ENOENT && !writable) return Status::Ok();  // dry run, no file
            return Status::IoError("open() '" + path_ + "': " + Errno(errno));
        }
        if (::fstat(fd_, &st) != 0 || !S_ISREG(st.st_mode)) {
            return Status::IoError("'" + path_ + "' is not a regular file");
        }
        Status s = Lock(writable, deadline_ms);
        if (!s.ok()) return s;
        return ReadAll();
    }

    bool existed() const { return existed_; }
    const std::string& text() const { return text_; }
    const std::string& path() const { return path_; }

    // Rewrites the file in place (other processes lock this very inode, so it cannot be
    // replaced by a rename). The new text is written before the old tail is cut off, so an
    // interruption never leaves an empty or half-written record, only a stale tail that
    // ParseStatFile ignores.
    Status Write(const std::string& text) {
        size_t done = 0;
        while (done < text.size()) {
            ssize_t n =
                ::pwrite(fd_, text.data() + done, text.size() - done, static_cast<off_t>(done));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return Status::IoError("write() '" + path_ + "': " + Errno(errno));
            done += static_cast<size_t>(n);
        }
        if (::ftruncate(fd_, static_cast<off_t>(text.size())) != 0 || ::fsync(fd_) != 0) {
            return Status::IoError("write() '" + path_ + "': " + Errno(errno));
        }
        return Status::Ok();
    }

private:
    // Puts an empty regular file of our own in place of the symlink or hard link at path_
    // and opens it.
    Status ReplaceForeign() {
        std::string tmp = path_ + ".XXXXXX";
        const int fd = ::mkostemp(tmp.data(), O_CLOEXEC);  // O_CREAT | O_EXCL: no symlink
        if (fd < 0) return Status::IoError("mkstemp() '" + tmp + "': " + Errno(errno));
        (void)::fchmod(fd, 0644);
        if (::rename(tmp.c_str(), path_.c_str()) != 0) {
            const int err = errno;
            ::unlink(tmp.c_str());
            ::close(fd);
            return Status::IoError("rename() '" + tmp + "' to '" + path_ + "': " + Errno(err));
        }
        fd_ = fd;
        return Status::Ok();
    }

    Status Lock(bool writable, int64_t deadline_ms) {
        struct flock fl = {};
        fl.l_type = writable ? F_WRLCK : F_RDLCK;
        fl.l_whence = SEEK_SET;
        for (;;) {
            int cmd = deadline_ms > 0 ? F_OFD_SETLK : F_OFD_SETLKW;
            if (::fcntl(fd_, cmd, &fl) == 0) return Status::Ok();
            if (errno == EINTR) continue;
            if (errno != EAGAIN && errno != EACCES) {
                return Status::IoError("fcntl() lock '" + path_ + "': " + Errno(errno));
            }
            if (NowMs() >= deadline_ms) {
                return Status::IoError("deadline: '" + path_ + "' stayed locked");
            }
            ::usleep(50 * 1000);
        }
    }

    Status ReadAll() {
        char buf[4096];
        off_t off = 0;
        for (;;) {
            ssize_t n = ::pread(fd_, buf, sizeof(buf), off);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return Status::IoError("read() '" + path_ + "': " + Errno(errno));
            if (n == 0) return Status::Ok();
            text_.append(buf, static_cast<size_t>(n));
            off += n;
            if (text_.size() > kMaxStatFileBytes) {
                return Status::IoError("'" + path_ + "' is too large for a stat file");
            }
        }
    }

    int fd_ = -1;
    bool existed_ = false;
    std::string path_;
    std::string text_;
};

// Everything known about one directory during a run.
struct DirState {
    DirectoryOutcome outcome;
    LockedStatFile stat_file;
    DirStat stored;  // as read (limits included)
    FlowDirectoryScan scan;
    std::vector<bool> removed;  // parallel to scan.files: gone after this run
};

// The rules of CountFilesToExpire (flow/expire.h), one file at a time, oldest first, so
// that a file that cannot be removed is stepped over: its bytes still count (Kept), and the
// files after it go instead, as nfexpire does.
class ExpiryPlan {
public:
    ExpiryPlan(const FlowFileEntry& oldest, uint64_t total_bytes, const ExpireLimits& limits,
               uint32_t watermark_pct, int64_t now_s)
        : now_s_(now_s), size_(total_bytes) {
        const u128 wm = watermark_pct;
        // Size: starts at the limit itself, stops at the watermark below it (nfexpire 1.7.1:
        // total == limit already expires; total == limit * wm / 100 is low enough).
        size_pass_ = limits.max_size_bytes > 0 && total_bytes >= limits.max_size_bytes;
        size_goal_x100_ = u128{limits.max_size_bytes} * wm;
        // Age: starts when the oldest file is at least the lifetime old. Then files go while
        // they are older than `age_limit_` = lifetime * wm / 100, rounded down. nfexpire
        // compares each name with the 14-digit time string of now - age_limit: a 12-digit name
        // equal to its first 12 digits sorts before it (so an age of exactly age_limit, or a
        // few seconds less, is old enough), a 14-digit name must be strictly older.
        age_pass_ = limits.max_lifetime_s > 0 &&
                    now_s - oldest.time_s >=
                        static_cast<int64_t>(std::min<uint64_t>(limits.max_lifetime_s, INT64_MAX));
        age_limit_ = u128{limits.max_lifetime_s} * wm / 100;
    }

    // Whether `f`, the oldest file not yet decided, goes.
    bool Takes(const FlowFileEntry& f) {
        by_size_ = false;
        if (size_pass_ && size_ * 100 > size_goal_x100_) {
            size_ -= std::min<u128>(size_, f.disk_bytes);
            by_size_ = true;
            return true;
        }
        size_pass_ = false;
        const int64_t age = now_s_ - f.time_s;
        if (age_pass_ && age >= 0) {
            const u128 a = static_cast<uint64_t>(age);
            if (f.has_seconds ? a > age_limit_ : a >= age_limit_) return true;
        }
        return false;
    }

    // The file Takes() just gave could not be removed: it still takes its room.
    void Kept(const FlowFileEntry& f) {
        if (by_size_) size_ += f.disk_bytes;
    }

private:
    int64_t now_s_;
    u128 size_;
    u128 size_goal_x100_ = 0;
    u128 age_limit_ = 0;
    bool size_pass_ = false;
    bool age_pass_ = false;
    bool by_size_ = false;  // the last Takes() counted its file off the size
};

// A flow file in the merged, oldest-first order of all directories of a run.
struct Candidate {
    size_t dir;
    size_t file;
};

uint32_t EffectiveWatermark(uint32_t stored, uint32_t fallback) {
    return stored == 0 ? fallback : stored;
}

// Recomputes counters of `st` from the files that remain; `now_s` stands in for first and
// last when none does, and the status asks the next reader for a rescan then (as nfexpire).
void FillCounters(const DirState& d, int64_t now_s, DirStat* st) {
    st->size_bytes = 0;
    st->num_files = 0;
    bool any = false;
    for (size_t i = 0; i < d.scan.files.size(); ++i) {
        if (d.removed[i]) continue;
        const FlowFileEntry& f = d.scan.files[i];
        st->size_bytes += f.disk_bytes;
        ++st->num_files;
        st->first_s = any ? std::min(st->first_s, f.time_s) : f.time_s;
        st->last_s = any ? std::max(st->last_s, f.time_s) : f.time_s;
        any = true;
    }
    if (!any) st->first_s = st->last_s = now_s;
    st->status = static_cast<uint32_t>(any ? StatFileStatus::kOk : StatFileStatus::kForceRebuild);
}

// Removes the entered sub-directories that are empty now, deepest first, as nfexpire does
// after expiring. One that was modified shortly before the scan is left: a collector may
// have made it for the file it is about to rename into it. Non-empty directories, symlinks
// and directories gone meanwhile are simply left; other errors become warnings.
void RemoveEmptyDirs(const FlowDirectoryScan& scan, int64_t scan_time_s,
                     std::vector<std::string>* warnings) {
    for (const FlowDirectoryScan::SubDirectory& d : scan.subdirs) {
        if (d.mtime_s > scan_time_s - kFreshDirectorySeconds) continue;
        if (::rmdir(d.path.c_str()) == 0) continue;
        int err = errno;
        if (err == ENOTEMPTY || err == EEXIST || err == ENOENT || err == ENOTDIR) continue;
        warnings->push_back("cannot remove directory '" + d.path + "': " + Errno(err));
    }
}

struct RunSpec {
    bool profile = false;
    ExpireLimits profile_limits;  // the request's limits, profile mode only
};

bool IsDirectory(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

Result<std::string> RealDirectory(const std::string& dir) {
    char* real = ::realpath(dir.c_str(), nullptr);
    if (real == nullptr) {
        int err = errno;
        std::string msg = "Data directory '" + dir + "': " + Errno(err);
        return err == ENOENT ? Status::NotFound(msg) : Status::IoError(msg);
    }
    std::string out(real);
    std::free(real);
    if (!IsDirectory(out)) return Status::NotFound("No such directory: " + out);
    return out;
}

Result<ExpireReport> Run(const std::vector<std::string>& dirs, const ExpireRequest& req,
                         const RunSpec& spec) {
    const int64_t started = ::time(nullptr);
    const int64_t now = req.now_s != 0 ? req.now_s : started;
    // -T: to the millisecond (whole seconds cut a run up to a second short).
    const int64_t deadline = req.max_runtime_s ? NowMs() + int64_t{req.max_runtime_s} * 1000 : 0;
    ExpireReport report;

    // Lock every `.nfstat` first (in name order, so two runs cannot deadlock), then scan:
    // no collector or other expirer may change the counters between scan and decision.
    std::vector<std::unique_ptr<DirState>> states;
    for (const std::string& dir : dirs) {
        auto d = std::make_unique<DirState>();
        d->outcome.dir = dir;
        Status s = d->stat_file.Open(dir, !req.dry_run, deadline);
        if (!s.ok()) {
            if (s.message().rfind("deadline", 0) == 0) {
                report.timed_out = true;
                report.warnings.push_back(s.message());
                return report;
            }
            return s;
        }
        ParsedStatFile parsed = ParseStatFile(d->stat_file.text());
        d->stored = parsed.stat;
        if (!d->stat_file.existed()) {
            d->outcome.origin = StatOrigin::kMissing;
        } else if (parsed.needs_rebuild) {
            d->outcome.origin = StatOrigin::kRebuildRequested;
        }
        for (const std::string& p : parsed.problems) {
            report.warnings.push_back("'" + d->stat_file.path() + "': " + p);
        }
        states.push_back(std::move(d));
    }

    // NOTE: every run rescans, where nfexpire trusts `.nfstat` and its collector's
    // bookkeeping. It costs one stat() per file (about 0.6 s for 100,000 files, as long as
    // nfexpire's own -r) and makes stale counters harmless.
    for (auto& d : states) {
        Result<FlowDirectoryScan> scan = ScanFlowDirectory(d->outcome.dir, deadline);
        if (!scan.ok()) {
            if (scan.status().message().rfind("deadline", 0) == 0) {
                // Without a complete scan nothing is known for sure: remove nothing.
                report.timed_out = true;
                report.warnings.push_back(scan.status().message());
                return report;
            }
            return scan.status();
        }
        d->scan = std::move(scan).value();
        d->removed.assign(d->scan.files.size(), false);
        for (const std::string& p : d->scan.problems) report.warnings.push_back(p);

        const DirStat& old = d->stored;
        d->outcome.stat_was_stale =
            d->outcome.origin == StatOrigin::kLoaded &&
            (old.size_bytes != d->scan.size_bytes || old.num_files != d->scan.files.size() ||
             (!d->scan.files.empty() &&
              (old.first_s != d->scan.first_s || old.last_s != d->scan.last_s)));
    }

    // The limits of each directory after this run, and the limits the decision uses.
    for (auto& d : states) {
        ExpireLimits& lim = d->outcome.stat.limits;
        lim = d->stored.limits;
        if (spec.profile) continue;  // a profile's limits live in NfSen, not in `.nfstat`
        bool store_all = req.mode == ExpireMode::kUpdate || req.mode == ExpireMode::kExpire;
        bool store_watermark = store_all || req.mode == ExpireMode::kRescan;
        if (store_all && req.max_size_bytes) lim.max_size_bytes = *req.max_size_bytes;
        if (store_all && req.max_lifetime_s) lim.max_lifetime_s = *req.max_lifetime_s;
        if (store_watermark && req.watermark_pct) lim.watermark_pct = *req.watermark_pct;
        // nfexpire -e stores the watermark it used.
        if (req.mode == ExpireMode::kExpire) {
            lim.watermark_pct = EffectiveWatermark(lim.watermark_pct, kDefaultWatermarkPct);
        }
    }
    ExpireLimits limits = spec.profile ? spec.profile_limits : states[0]->outcome.stat.limits;
    limits.watermark_pct = EffectiveWatermark(
        limits.watermark_pct, spec.profile ? kProfileWatermarkPct : kDefaultWatermarkPct);

    // Oldest first over all directories. Sorting by the time in the name (the walk order
    // breaks ties) keeps this right when layouts were mixed, e.g. flat files left in the
    // base directory after a change to -S 1, where nfexpire's walk would reach them last.
    std::vector<Candidate> order;
    uint64_t total_bytes = 0;
    int64_t old_first = 0;
    bool any = false;
    for (size_t di = 0; di < states.size(); ++di) {
        const FlowDirectoryScan& scan = states[di]->scan;
        for (size_t fi = 0; fi < scan.files.size(); ++fi) order.push_back({di, fi});
        total_bytes += scan.size_bytes;
        if (!scan.files.empty()) {
            old_first = any ? std::min(old_first, scan.first_s) : scan.first_s;
            any = true;
        }
    }
    auto file_of = [&](const Candidate& c) -> const FlowFileEntry& {
        return states[c.dir]->scan.files[c.file];
    };
    std::stable_sort(order.begin(), order.end(), [&](const Candidate& a, const Candidate& b) {
        return file_of(a).time_s < file_of(b).time_s;
    });

    // Where the expired range ends when a file could not be removed: the first file kept
    // after the last one removed (the stat's first time still names the kept older file).
    bool remove_failed = false;
    size_t after_last_removed = 0;
    if (req.mode == ExpireMode::kExpire && !order.empty()) {
        ExpiryPlan plan(file_of(order.front()), total_bytes, limits, limits.watermark_pct, now);
        for (size_t i = 0; i < order.size() && plan.Takes(file_of(order[i])); ++i) {
            if (deadline > 0 && NowMs() >= deadline) {
                report.timed_out = true;
                break;
            }
            const Candidate& c = order[i];
            const FlowFileEntry& f = file_of(c);
            if (req.dry_run) {
                states[c.dir]->removed[c.file] = true;
                report.expired_paths.push_back(f.path);
                ++report.files_expired;
                report.bytes_expired += f.disk_bytes;
                continue;
            }
            if (req.on_remove) req.on_remove(f.path);
            if (::unlink(f.path.c_str()) == 0) {
                states[c.dir]->removed[c.file] = true;
                report.expired_paths.push_back(f.path);
                ++report.files_expired;
                report.bytes_expired += f.disk_bytes;
                after_last_removed = i + 1;
            } else if (errno == ENOENT) {
                // Somebody else removed it meanwhile: it is gone, which is all we wanted.
                states[c.dir]->removed[c.file] = true;
                after_last_removed = i + 1;
            } else {
                // Stepped over: the next files go in its place (an immutable file, or a
                // directory the collector's user may not write to, must not stop expiry).
                report.warnings.push_back("cannot remove '" + f.path + "': " + Errno(errno));
                plan.Kept(f);
                remove_failed = true;
            }
        }
    }
    if (req.mode == ExpireMode::kExpire && !req.dry_run) {
        for (auto& d : states) RemoveEmptyDirs(d->scan, started, &report.warnings);
    }

    // New counters, the report's totals, and `.nfstat` on disk.
    DirStat& total = report.total;
    bool total_any = false;
    for (auto& d : states) {
        FillCounters(*d, now, &d->outcome.stat);
        const DirStat& st = d->outcome.stat;
        total.size_bytes += st.size_bytes;
        total.num_files += st.num_files;
        if (st.num_files > 0) {
            total.first_s = total_any ? std::min(total.first_s, st.first_s) : st.first_s;
            total.last_s = total_any ? std::max(total.last_s, st.last_s) : st.last_s;
            total_any = true;
        }
    }
    if (!total_any) total.first_s = total.last_s = now;
    total.status =
        static_cast<uint32_t>(total_any ? StatFileStatus::kOk : StatFileStatus::kForceRebuild);
    total.limits = spec.profile ? limits : states[0]->outcome.stat.limits;
    if (req.mode == ExpireMode::kExpire) {
        report.expired_range_s = any ? total.first_s - old_first : 0;
        if (remove_failed) {
            const int64_t end = after_last_removed == 0 ? old_first
                                : after_last_removed < order.size()
                                    ? file_of(order[after_last_removed]).time_s
                                    : now;
            report.expired_range_s = end - old_first;
        }
    }

    for (auto& d : states) {
        if (!req.dry_run) {
            Status s = d->stat_file.Write(FormatStatFile(d->outcome.stat));
            if (!s.ok()) return s;
        }
        report.dirs.push_back(d->outcome);
    }
    return report;
}

}  // namespace

size_t CountFilesToExpire(const std::vector<FlowFileEntry>& oldest_first, uint64_t total_bytes,
                          const ExpireLimits& limits, uint32_t watermark_pct, int64_t now_s) {
    if (oldest_first.empty()) return 0;
    ExpiryPlan plan(oldest_first.front(), total_bytes, limits, watermark_pct, now_s);
    size_t n = 0;
    while (n < oldest_first.size() && plan.Takes(oldest_first[n])) ++n;
    return n;
}

Result<ExpireReport> ExpireDirectory(const std::string& dir, const ExpireRequest& request) {
    Result<std::string> real = RealDirectory(dir);
    if (!real.ok()) return real.status();
    return Run({*real}, request, RunSpec{});
}

Result<ExpireReport> ExpireProfile(const std::string& profile_dir, const ExpireRequest& request) {
    if (request.mode == ExpireMode::kUpdate) {
        return Status::InvalidArgument("-u is not supported for a profile (-p)");
    }
    Result<std::string> real = RealDirectory(profile_dir);
    if (!real.ok()) return real.status();

    DIR* d = ::opendir(real->c_str());
    if (d == nullptr) return Status::IoError("opendir() '" + *real + "': " + Errno(errno));
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
        if (e->d_name[0] != '.') names.emplace_back(e->d_name);
    }
    ::closedir(d);
    std::sort(names.begin(), names.end());

    // Channels are directories; a second link to the same one is counted once.
    std::vector<std::string> channels;
    std::set<std::pair<dev_t, ino_t>> seen;
    for (const std::string& name : names) {
        std::string path = *real + "/" + name;
        struct stat st;
        if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        if (!seen.insert({st.st_dev, st.st_ino}).second) continue;
        channels.push_back(path);
    }
    if (channels.empty()) {
        return Status::NotFound("No channel directories in profile '" + *real + "'");
    }

    RunSpec spec;
    spec.profile = true;
    if (request.max_size_bytes) spec.profile_limits.max_size_bytes = *request.max_size_bytes;
    if (request.max_lifetime_s) spec.profile_limits.max_lifetime_s = *request.max_lifetime_s;
    if (request.watermark_pct) spec.profile_limits.watermark_pct = *request.watermark_pct;
    return Run(channels, request, spec);
}

}  // namespace flow
