// SPDX-License-Identifier: BSD-2-Clause
// RotatingWriter: current file, slot names, sub-directories and the merge that keeps an
// existing file of the same slot instead of replacing it.
#include "flow/rotation.h"

#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <span>

#include "nffile/layout.h"

namespace flow {

namespace {

// nfcapd -S layouts 1..8 as strftime patterns of the slot start in local time.
constexpr const char* kSubdirLayouts[] = {"",         "%Y/%m/%d",    "%Y/%m/%d/%H",
                                          "%Y/%W/%u", "%Y/%W/%u/%H", "%Y/%j",
                                          "%Y/%j/%H", "%Y-%m-%d",    "%Y-%m-%d/%H"};

// Writes `stats` as exporter-stats records. One record holds at most 2730 entries (its size
// is 16 bits): more exporters than that (a big network, or datagrams with forged source ids)
// get several records, as readers take each on its own.
Status AddExporterStatsRecords(NfFileWriter* w, std::span<const ExporterStats> stats) {
    constexpr size_t kStatsPerRecord = (0xFFFF - 8) / nffile::kExporterStatEntrySize;
    for (size_t i = 0; i < stats.size(); i += kStatsPerRecord) {
        Status s =
            w->AddExporterStats(stats.subspan(i, std::min(kStatsPerRecord, stats.size() - i)));
        if (!s.ok()) return s;
    }
    return Status::Ok();
}

std::string Errno(const std::string& what, const std::string& path) {
    return what + " '" + path + "': " + std::strerror(errno);
}

// mkdir -p for the sub-directory part of `rel` below `dir`.
bool MakeSubdirs(const std::string& dir, const std::string& rel) {
    size_t pos = 0;
    while ((pos = rel.find('/', pos)) != std::string::npos) {
        std::string path = dir + "/" + rel.substr(0, pos);
        if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) return false;
        ++pos;
    }
    return true;
}

bool Exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
}

}  // namespace

std::string SlotFileName(uint64_t slot_start_s, uint32_t interval_s, int subdir_layout,
                         bool zone_suffix) {
    time_t t = static_cast<time_t>(slot_start_s);
    struct tm tm;
    ::localtime_r(&t, &tm);
    char name[64];
    const char* fmt = interval_s < 60
                          ? (zone_suffix ? "nfcapd.%Y%m%d%H%M%S%z" : "nfcapd.%Y%m%d%H%M%S")
                          : (zone_suffix ? "nfcapd.%Y%m%d%H%M%z" : "nfcapd.%Y%m%d%H%M");
    ::strftime(name, sizeof(name), fmt, &tm);
    if (subdir_layout <= 0 || subdir_layout > 8) return name;
    char sub[64];
    ::strftime(sub, sizeof(sub), kSubdirLayouts[subdir_layout], &tm);
    return std::string(sub) + "/" + name;
}

RotatingWriter::RotatingWriter(const RotationOptions& options) : options_(options) {}

RotatingWriter::~RotatingWriter() = default;

Result<std::unique_ptr<RotatingWriter>> RotatingWriter::Open(const RotationOptions& options,
                                                             uint64_t now_s) {
    struct stat st;
    if (::stat(options.dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
        return Status::NotFound("No valid directory: " + options.dir);
    }
    if (options.interval_s < 2) {
        return Status::InvalidArgument("time interval <= 2s not allowed");
    }
    if (options.subdir_layout < 0 || options.subdir_layout > 8) {
        return Status::InvalidArgument("sub-directory layout must be 0..8");
    }
    std::unique_ptr<RotatingWriter> w(new RotatingWriter(options));
    if (w->options_.current_name.empty()) {
        w->options_.current_name = "nfcapd.current." + std::to_string(::getpid());
    }
    w->RecoverOrphans();
    Status s = w->OpenCurrent(SlotStart(now_s, options.interval_s));
    if (!s.ok()) return s;
    return w;
}

namespace {

// Whether process `pid` exists and has not exited. A collector killed a moment ago stays a
// zombie until its parent (systemd, a shell) collects its status; kill(pid, 0) still finds
// it, and a restart in that moment would leave its current file for the next start.
bool ProcessRuns(pid_t pid) {
    if (::kill(pid, 0) != 0 && errno != EPERM) return false;
    // /proc/<pid>/stat: "<pid> (<command>) <state> ...", the command in parentheses possibly
    // holding spaces and parentheses itself: the state follows the last ')'.
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(in, stat)) return true;  // no /proc: kill's answer stands
    const size_t close = stat.rfind(')');
    if (close == std::string::npos || close + 2 >= stat.size()) return true;
    const char state = stat[close + 2];
    return state != 'Z' && state != 'X';
}

}  // namespace

void RotatingWriter::RecoverOrphans() {
    DIR* d = ::opendir(options_.dir.c_str());
    if (d == nullptr) return;
    std::vector<std::string> orphans;
    while (struct dirent* e = ::readdir(d)) {
        std::string name = e->d_name;
        if (name.rfind("nfcapd.current.", 0) != 0) continue;
        if (name == options_.current_name) {
            // This runs before our own current file is created: a file with its name comes
            // from an earlier process that had our pid (pids repeat after a reboot; in a
            // container the collector may be pid 1 each time). Creating ours would truncate it.
            orphans.push_back(name);
            continue;
        }
        // nfcapd.current.merge.<pid>: the copy a merge (MergeInto) builds before it replaces
        // the slot's file. Left behind, the collector died during the merge, and both files
        // merged are still there (the next start merges them again): the copy is removed.
        const bool merge_copy = name.rfind("nfcapd.current.merge.", 0) == 0;
        std::string pid_text = name.substr(merge_copy ? 21 : 15);
        if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos) {
            continue;  // not a pid: another collector's naming scheme
        }
        long pid = std::strtol(pid_text.c_str(), nullptr, 10);
        const bool own = pid == static_cast<long>(::getpid());
        if (!own && pid > 0 && ProcessRuns(static_cast<pid_t>(pid))) continue;
        if (merge_copy) {
            const std::string path = options_.dir + "/" + name;
            recovered_.push_back(::unlink(path.c_str()) == 0
                                     ? name + ": a stopped collector's unfinished merge copy, "
                                              "removed"
                                     : name + ": not removed: " + std::strerror(errno));
            continue;
        }
        orphans.push_back(name);
    }
    ::closedir(d);
    for (const std::string& name : orphans) {
        std::string path = options_.dir + "/" + name;
        struct stat st;
        if (::stat(path.c_str(), &st) != 0) continue;
        // A file without a readable header (left empty by a collector killed as it created
        // it, or on a full disk) holds no flows; under a slot's name it would only make every
        // query over the directory fail. It stays as it is (directory walks skip the name).
        if (auto probe = NfFileReader::Open(path); !probe.ok()) {
            recovered_.push_back(name + ": not recovered: " + probe.status().message());
            continue;
        }
        // The slot is the one the file was last written in; complete blocks are kept.
        uint64_t slot = SlotStart(static_cast<uint64_t>(st.st_mtime), options_.interval_s);
        // Where the slot's file belongs: in its sub-directory (-S), as CloseCurrent puts it,
        // so that the slot keeps one file and a range over sub-directories finds it.
        const std::string rel =
            SlotFileName(slot, options_.interval_s, options_.subdir_layout, options_.zone_suffix);
        std::string final_path = options_.dir + "/" + rel;
        if (rel.find('/') != std::string::npos && !MakeSubdirs(options_.dir, rel)) {
            final_path = options_.dir + "/" + rel.substr(rel.rfind('/') + 1);
        }
        // Merged into the slot's file, or written there alone: either way the records are
        // copied into a closed file with an appendix, the collector's ident and a stat
        // record (renamed as it was, the file kept an empty ident, and `ident X` filters
        // missed its flows).
        Status s = MergeInto(path, final_path, options_.codec, options_.ident);
        recovered_.push_back(s.ok() ? name + " -> " + final_path
                                    : name + ": not recovered: " + s.message());
    }
}

Status RotatingWriter::FinishPending() {
    if (pending_final_.empty()) return Status::Ok();
    if (!Exists(current_path_)) {
        // The closed file went away with its directory (removed or moved by someone): there
        // is nothing left to name; the next current file may be created.
        std::string lost = current_path_;
        pending_final_.clear();
        return Status::IoError("closed file " + lost +
                               " vanished before it got its name (directory removed or moved?)");
    }
    Status s;
    if (Exists(pending_final_)) {
        s = MergeInto(current_path_, pending_final_, options_.codec, options_.ident);
    } else if (::rename(current_path_.c_str(), pending_final_.c_str()) != 0) {
        s = Status::IoError(Errno("rename to", pending_final_));
    }
    if (s.ok()) pending_final_.clear();
    return s;
}

Status RotatingWriter::OpenCurrent(uint64_t slot_start_s) {
    slot_start_s_ = slot_start_s;
    current_path_ = options_.dir + "/" + options_.current_name;
    // Never create the new current file over a closed one that could not be renamed.
    Status pending = FinishPending();
    if (!pending_final_.empty()) {
        return Status::IoError("closed file " + current_path_ + " still waits for its name (" +
                               pending.message() + ")");
    }
    WriterOptions wo;
    wo.level = options_.codec_level;
    auto writer = NfFileWriter::Create(current_path_, options_.codec, options_.ident, wo);
    if (!writer.ok()) return writer.status();
    writer_ = std::move(writer.value());
    for (const ExporterInfo& e : exporters_) {
        Status s = writer_->AddExporter(e);
        if (!s.ok()) return s;
    }
    for (const SamplerInfo& smp : samplers_) {
        Status s = writer_->AddSampler(smp);
        if (!s.ok()) return s;
    }
    // Records held while no file could be opened go first.
    size_t written = 0;
    Status s;
    for (; written < backlog_.size(); ++written) {
        s = writer_->Append(backlog_[written]);
        if (!s.ok()) break;
    }
    backlog_.erase(backlog_.begin(), backlog_.begin() + static_cast<long>(written));
    if (backlog_.empty()) std::vector<FlowRecord>().swap(backlog_);
    // A closed file that vanished is reported once the new file is open.
    return s.ok() ? pending : s;
}

Status RotatingWriter::Reopen(uint64_t now_s) {
    if (writer_) return Status::Ok();
    return OpenCurrent(SlotStart(now_s, options_.interval_s));
}

Status RotatingWriter::AddExporter(const ExporterInfo& exporter) {
    bool known = false;
    for (ExporterInfo& e : exporters_) {
        if (e.sysid == exporter.sysid) {
            e = exporter;
            known = true;
        }
    }
    if (!known) exporters_.push_back(exporter);
    return writer_ ? writer_->AddExporter(exporter) : Status::Ok();
}

Status RotatingWriter::AddSampler(const SamplerInfo& sampler) {
    bool known = false;
    for (SamplerInfo& s : samplers_) {
        if (s.exporter_sysid == sampler.exporter_sysid && s.id == sampler.id) {
            s = sampler;
            known = true;
        }
    }
    if (!known) samplers_.push_back(sampler);
    return writer_ ? writer_->AddSampler(sampler) : Status::Ok();
}

Status RotatingWriter::CloseCurrent(const std::vector<ExporterStats>& stats,
                                    uint64_t sequence_failures, std::string* path_out) {
    if (!writer_) return Status::IoError("no current file in " + options_.dir);
    // A failure here (full disk) must not stop the file from getting its final name: the
    // next current file would otherwise replace it. Its complete blocks stay readable.
    Status first_error = AddExporterStatsRecords(writer_.get(), stats);
    writer_->SetSequenceFailures(sequence_failures);
    // The last block first, so that stat() is what the file holds when it is judged idle.
    Status flushed = writer_->Flush();
    if (first_error.ok()) first_error = flushed;
    if (writer_->stat().num_flows == 0) {
        // An idle slot still gets a file; its time window is the slot (nfcapd 1.7.1 does so).
        StatRecord stat = writer_->stat();
        stat.first_ms = slot_start_s_ * 1000;
        stat.last_ms = (slot_start_s_ + options_.interval_s) * 1000;
        writer_->SetStat(stat);
    }
    Status s = writer_->Close();
    last_closed_stat_ = writer_->stat();
    FinishStat(&last_closed_stat_);
    dropped_closed_ += writer_->flows_dropped();
    accepted_closed_.Merge(writer_->accepted_stat());
    writer_.reset();
    if (first_error.ok()) first_error = s;

    std::string rel = SlotFileName(slot_start_s_, options_.interval_s, options_.subdir_layout,
                                   options_.zone_suffix);
    std::string final_path = options_.dir + "/" + rel;
    if (rel.find('/') != std::string::npos && !MakeSubdirs(options_.dir, rel)) {
        // As nfcapd does: without the sub-directory, the file stays in the flow directory.
        final_path = options_.dir + "/" + rel.substr(rel.rfind('/') + 1);
    }
    if (Exists(final_path)) {
        s = MergeInto(current_path_, final_path, options_.codec, options_.ident);
        if (!s.ok()) {
            // Keep both: the new data under a name of its own beside the existing file, the
            // first of <final>.1, .2, ... that is free. Never renamed over a file there: an
            // earlier run's flows may have been set aside the same way. link() fails on a
            // name taken meanwhile; where the file system has no hard links, rename() to a
            // name seen free does.
            std::string aside;
            for (int n = 1; n <= 1000 && aside.empty(); ++n) {
                const std::string candidate = final_path + "." + std::to_string(n);
                if (Exists(candidate)) continue;
                if (::link(current_path_.c_str(), candidate.c_str()) == 0) {
                    ::unlink(current_path_.c_str());
                    aside = candidate;
                } else if (errno == EEXIST) {
                    continue;
                } else if (::rename(current_path_.c_str(), candidate.c_str()) == 0) {
                    aside = candidate;
                } else {
                    pending_final_ = candidate;
                    return Status::IoError(Errno("rename to", candidate) + " (" + s.message() +
                                           ")");
                }
            }
            if (aside.empty()) {
                // The closed file keeps its current name; no new file is created over it.
                pending_final_ = final_path;
                return Status::IoError("no free name beside " + final_path + " (" + s.message() +
                                       "); the flows stay in " + current_path_);
            }
            final_path = aside;
            if (first_error.ok()) {
                const std::string where = s.message() + "; this slot's flows are kept in " + aside;
                first_error = s.code() == StatusCode::kTruncated   ? Status::Truncated(where)
                              : s.code() == StatusCode::kMalformed ? Status::Malformed(where)
                                                                   : Status::IoError(where);
            }
        }
    } else if (::rename(current_path_.c_str(), final_path.c_str()) != 0) {
        // The file stays complete under the current name; it moves as soon as it can.
        pending_final_ = final_path;
        return Status::IoError(Errno("rename to", final_path));
    }
    if (path_out != nullptr) *path_out = final_path;
    return first_error;
}

Status RotatingWriter::Rotate(uint64_t now_s, const std::vector<ExporterStats>& stats,
                              uint64_t sequence_failures, std::string* path_out) {
    uint64_t next = slot_start_s_ + options_.interval_s;
    uint64_t now_slot = SlotStart(now_s, options_.interval_s);
    // After a long stall (suspend, clock jump) start again at the present slot rather than
    // producing every missed slot.
    if (now_slot > next + options_.interval_s) next = now_slot;
    Status s = CloseCurrent(stats, sequence_failures, path_out);
    Status o = OpenCurrent(next);
    if (s.ok()) return o;
    if (o.ok()) return s;
    return Status::IoError(s.message() + "; " + o.message());
}

Status RotatingWriter::Close(const std::vector<ExporterStats>& stats, uint64_t sequence_failures,
                             std::string* path_out) {
    // A closed file still waiting for its name gets one more try; if that fails it stays
    // as nfcapd.current.<pid>, which the next start recovers. Records still held for want
    // of a file are given up and counted in flows_dropped().
    if (!writer_) {
        for (const FlowRecord& rec : backlog_) dropped_closed_ += rec.flows != 0 ? rec.flows : 1;
        std::vector<FlowRecord>().swap(backlog_);
        return FinishPending();
    }
    return CloseCurrent(stats, sequence_failures, path_out);
}

std::string MergeTempPath(const std::string& dst) {
    const size_t slash = dst.rfind('/');
    const std::string dir = slash == std::string::npos ? std::string() : dst.substr(0, slash + 1);
    return dir + "nfcapd.current.merge." + std::to_string(::getpid());
}

Status MergeInto(const std::string& src, const std::string& dst, Codec codec,
                 const std::string& ident) {
    // Without a file at dst the old side is an empty reader: no records, exporters or stat.
    std::unique_ptr<NfFileReader> old_reader;
    if (Exists(dst)) {
        auto opened = NfFileReader::Open(dst);
        if (!opened.ok()) return opened.status();
        old_reader = std::move(*opened);
    }
    auto new_file = NfFileReader::Open(src);
    if (!new_file.ok()) return new_file.status();
    const std::vector<ExporterInfo> no_exporters;
    const std::vector<ExporterInfo>& old_exporters =
        old_reader != nullptr ? old_reader->exporters() : no_exporters;

    const std::string tmp = MergeTempPath(dst);
    const std::string old_ident = old_reader != nullptr ? old_reader->info().ident : "";
    auto out = NfFileWriter::Create(tmp, codec, old_ident.empty() ? ident : old_ident);
    if (!out.ok()) return out.status();
    NfFileWriter& w = **out;
    // A file's own stat record where it has one (an idle slot's keeps the slot as its time
    // window); a file left unclosed has none, and its flows are counted as they are copied.
    StatRecord old_counted;
    StatRecord new_counted;
    old_counted.first_ms = new_counted.first_ms = StatRecord::kUnsetFirstMs;

    auto fail = [&](Status s) {
        ::unlink(tmp.c_str());
        return s;
    };
    // Copies every flow of `reader`, with exporter sysids passed through `remap`.
    auto copy = [&](NfFileReader& reader, std::map<uint16_t, uint16_t>& remap, bool remap_new,
                    StatRecord* counted) -> Status {
        FlowRecord rec;
        size_t exporters_done = 0;
        size_t samplers_done = 0;
        // Writes the exporter and sampler records the reader has met since the last call.
        auto sync = [&]() -> Status {
            for (; exporters_done < reader.exporters().size(); ++exporters_done) {
                ExporterInfo e = reader.exporters()[exporters_done];
                if (remap_new && remap.count(e.sysid)) e.sysid = remap[e.sysid];
                Status s = w.AddExporter(e);
                if (!s.ok()) return s;
            }
            for (; samplers_done < reader.samplers().size(); ++samplers_done) {
                SamplerInfo smp = reader.samplers()[samplers_done];
                if (remap.count(smp.exporter_sysid)) smp.exporter_sysid = remap[smp.exporter_sysid];
                Status s = w.AddSampler(smp);
                if (!s.ok()) return s;
            }
            return Status::Ok();
        };
        for (;;) {
            Result<bool> more = reader.NextBlock();
            if (!more.ok()) {
                // A file left unclosed (a stopped collector's) may hold a block cut off or
                // damaged as it was being written: its other blocks are copied, as a query
                // would read them.
                if (!reader.info().closed) continue;
                return more.status();
            }
            if (!*more) break;
            while (reader.NextRecord(&rec)) {
                Status s = sync();
                if (!s.ok()) return s;
                // A layout 2 record is copied as stored, every element with it (also those
                // flowkit does not model), unless its exporter gets another sysid here.
                const auto to = remap.find(rec.exporter_sysid);
                const bool renumbered = to != remap.end() && to->second != rec.exporter_sysid;
                const std::span<const uint8_t> stored = reader.StoredRecord();
                if (renumbered) rec.exporter_sysid = to->second;
                s = renumbered || stored.empty() ? w.Append(rec, false)
                                                 : w.AppendStored(rec, stored, false);
                if (!s.ok()) return s;
                if (counted != nullptr) AccumulateStat(rec, counted);
            }
        }
        return sync();
    };

    std::map<uint16_t, uint16_t> identity;
    const bool old_has_stat = old_reader != nullptr && old_reader->info().has_stat;
    Status s;
    if (old_reader != nullptr) {
        s = copy(*old_reader, identity, false, old_has_stat ? nullptr : &old_counted);
        if (!s.ok()) return fail(s);
    }

    // The second file came from another collector run: its sysids may name other exporters.
    std::map<uint16_t, uint16_t> remap;
    uint16_t next_sysid = 1;
    for (const ExporterInfo& e : old_exporters) {
        next_sysid = std::max<uint16_t>(next_sysid, static_cast<uint16_t>(e.sysid + 1));
    }
    // Exporter records of the new file precede its flows (RotatingWriter writes them first),
    // so its exporter table is complete after its first block; read ahead with a second
    // reader to build the map.
    auto peek = NfFileReader::Open(src);
    if (!peek.ok()) return fail(peek.status());
    FlowRecord scratch;
    for (;;) {
        Result<bool> more = (*peek)->NextBlock();
        if (!more.ok() || !*more) break;
        while ((*peek)->NextRecord(&scratch)) {
        }
    }
    for (const ExporterInfo& e : (*peek)->exporters()) {
        const ExporterInfo* same = nullptr;
        bool taken = false;
        for (const ExporterInfo& o : old_exporters) {
            if (o.version == e.version && o.ip == e.ip && o.is_v6 == e.is_v6 && o.id == e.id) {
                same = &o;
            }
            taken = taken || o.sysid == e.sysid;
        }
        if (same != nullptr) {
            remap[e.sysid] = same->sysid;
        } else if (taken) {
            remap[e.sysid] = next_sysid++;
        }
    }
    const bool new_has_stat = (*new_file)->info().has_stat;
    s = copy(**new_file, remap, true, new_has_stat ? nullptr : &new_counted);
    if (!s.ok()) return fail(s);

    // The exporter statistics of both runs, summed per exporter of the merged file (they were
    // dropped: every exporter of a merged file showed "no flows sent" in -E).
    std::map<uint16_t, ExporterStats> per_sysid;
    auto add_stats = [&](const NfFileReader& r, const std::map<uint16_t, uint16_t>& sysids) {
        for (const ExporterInfo& e : r.exporters()) {
            if (e.packets == 0 && e.flows == 0 && e.sequence_failures == 0) continue;
            const auto to = sysids.find(e.sysid);
            const uint16_t sysid = to == sysids.end() ? e.sysid : to->second;
            ExporterStats& st = per_sysid[sysid];
            st.sysid = sysid;
            st.packets += e.packets;
            st.flows += e.flows;
            st.sequence_failures += static_cast<uint32_t>(e.sequence_failures);
        }
    };
    if (old_reader != nullptr) add_stats(*old_reader, identity);
    add_stats(**new_file, remap);
    std::vector<ExporterStats> stats;
    for (const auto& [sysid, st] : per_sysid) stats.push_back(st);
    s = AddExporterStatsRecords(&w, stats);
    if (!s.ok()) return fail(s);

    FinishStat(&old_counted);
    FinishStat(&new_counted);
    StatRecord stat = old_has_stat ? old_reader->info().stat : old_counted;
    stat.Merge(new_has_stat ? (*new_file)->info().stat : new_counted);
    w.SetStat(stat);
    s = w.Close();
    if (!s.ok()) return fail(s);
    if (::rename(tmp.c_str(), dst.c_str()) != 0)
        return fail(Status::IoError(Errno("rename to", dst)));
    ::unlink(src.c_str());
    return Status::Ok();
}

}  // namespace flow
