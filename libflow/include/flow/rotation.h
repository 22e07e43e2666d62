// SPDX-License-Identifier: BSD-2-Clause
// RotatingWriter: the collector side of nfdump's file layout. Flows go into
// `<dir>/nfcapd.current.<pid>`; at each interval boundary the file is closed and renamed to
// `<dir>[/<subdir>]/nfcapd.YYYYMMDDhhmm[ss]` for the slot's start. Used by flowcapd and by
// anything else that stores flows the way nfcapd does.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "flow/exporter.h"
#include "flow/nffile.h"
#include "flow/record.h"
#include "flow/status.h"

namespace flow {

struct RotationOptions {
    std::string dir;             // flow directory; must exist
    std::string ident = "none";  // stored in every file
    uint32_t interval_s = 300;   // rotation interval, >= 2
    int subdir_layout = 0;       // nfcapd -S 0..8
    bool zone_suffix = false;    // nfcapd -Z: append %z to names
    Codec codec = Codec::kNone;
    int codec_level = 0;
    // Name of the temporary file inside `dir`; empty = "nfcapd.current.<pid>".
    std::string current_name;
};

// The final name of the file for the slot starting at `slot_start_s` (local time), relative
// to the flow directory, with the -S sub-directory: e.g. "2026/12/04/nfcapd.202612041510".
std::string SlotFileName(uint64_t slot_start_s, uint32_t interval_s, int subdir_layout,
                         bool zone_suffix);

// Start of the slot holding `now_s`: now - now % interval.
inline uint64_t SlotStart(uint64_t now_s, uint32_t interval_s) {
    return now_s - now_s % interval_s;
}

// Writes flows into rotating nfdump files. Not thread-safe.
//
// A file always starts with an exporter record for every exporter registered so far and
// their samplers, so each file is self-describing. When the final name already exists (a
// restart inside the same slot, or a repeated local hour at a DST change) the new flows are
// merged into it instead of replacing it: nothing stored earlier is lost. At Open(), current
// files of collectors that are no longer running are given their final names too.
class RotatingWriter {
public:
    // Checks the directory and opens the first current file for the slot holding `now_s`.
    static Result<std::unique_ptr<RotatingWriter>> Open(const RotationOptions& options,
                                                        uint64_t now_s);
    ~RotatingWriter();

    // Registers an exporter (or updates a known sysid) and writes its record into the
    // current file; it is also written at the start of every later file.
    Status AddExporter(const ExporterInfo& exporter);
    // Registers a sampler (keyed by exporter sysid and id) and writes its record.
    Status AddSampler(const SamplerInfo& sampler);

    // Appends one flow to the current file. IoError when there is no current file (its
    // creation failed, e.g. on a full disk); Reopen() tries again.
    // While no current file can be created (directory not writable, disk full), records
    // are held in memory, up to kMaxBacklog, and written as soon as a file opens again;
    // beyond that Append fails and the record is the caller's to count as lost.
    Status Append(const FlowRecord& rec) {
        if (writer_) return writer_->Append(rec);
        if (backlog_.size() >= kMaxBacklog) {
            return Status::IoError("no current file in " + options_.dir + " and " +
                                   std::to_string(kMaxBacklog) + " records already held");
        }
        backlog_.push_back(rec);
        return Status::Ok();
    }
    // Appends flows already encoded (NfFileWriter::AppendEncoded) to the current file;
    // returns how many were not stored. They are never held: without a current file every
    // one is refused (IoError), so a caller appends FlowRecords while has_current() is false.
    size_t AppendEncoded(const EncodedFlows& flows, Status* error) {
        if (writer_) return writer_->AppendEncoded(flows, error);
        if (!flows.empty()) *error = Status::IoError("no current file in " + options_.dir);
        return flows.size();
    }
    static constexpr size_t kMaxBacklog = 32768;  // about 19 MiB of records
    size_t backlog() const { return backlog_.size(); }

    // When the current file could not be created, tries again for the slot of `now_s`.
    // OK when a current file exists afterwards.
    Status Reopen(uint64_t now_s);
    bool has_current() const { return writer_ != nullptr; }

    // True when `now_s` lies beyond the current slot.
    bool Due(uint64_t now_s) const { return now_s >= slot_start_s_ + options_.interval_s; }

    // Closes the current file under its slot name and opens the next one. `stats` are the
    // per-exporter counters of the interval (written as one exporter-stats record) and
    // `sequence_failures` goes into the stat record. `path_out`, when not null, receives the
    // final path of the closed file. The next slot is the one after the current (catching up
    // one slot per call, as nfcapd does), or the slot of `now_s` when that is further ahead
    // by more than one interval.
    Status Rotate(uint64_t now_s, const std::vector<ExporterStats>& stats,
                  uint64_t sequence_failures, std::string* path_out = nullptr);

    // Closes the current file under the current slot's name (for shutdown). Without a
    // current file, records still held are given up and counted in flows_dropped(). The
    // writer is unusable afterwards.
    Status Close(const std::vector<ExporterStats>& stats, uint64_t sequence_failures,
                 std::string* path_out = nullptr);

    // Current files left by collectors that died (SIGKILL, power loss) found at Open():
    // each was written as a closed file with this writer's ident (MergeInto) under the final
    // name of the slot it was last written in, merged into that file when it existed. One
    // line per file, for the log.
    const std::vector<std::string>& recovered() const { return recovered_; }

    uint64_t slot_start() const { return slot_start_s_; }
    const std::string& current_path() const { return current_path_; }
    // The stat record of the current file's blocks on disk (an empty one when there is none).
    const StatRecord& stat() const { return writer_ ? writer_->stat() : empty_stat_; }
    // The stat record of the file closed last by Rotate() or Close(), as written into it
    // (empty before the first close): what that file's data blocks hold.
    const StatRecord& last_closed_stat() const { return last_closed_stat_; }
    // Flows of blocks that could not be written (disk full) in every file so far, the
    // current one included; with Append() failures, the flows not stored.
    uint64_t flows_dropped() const {
        return dropped_closed_ + (writer_ ? writer_->flows_dropped() : 0);
    }
    // NfFileWriter::accepted_stat() summed over every file so far, the current one included.
    StatRecord accepted_stat() const {
        StatRecord all = accepted_closed_;
        if (writer_) all.Merge(writer_->accepted_stat());
        return all;
    }

private:
    explicit RotatingWriter(const RotationOptions& options);
    Status OpenCurrent(uint64_t slot_start_s);
    void RecoverOrphans();
    Status CloseCurrent(const std::vector<ExporterStats>& stats, uint64_t sequence_failures,
                        std::string* path_out);
    // Gives the closed current file its final name (merging into an existing file of that
    // name). On failure the file keeps the current name and the move stays pending.
    Status FinishPending();

    RotationOptions options_;
    std::string current_path_;
    uint64_t slot_start_s_ = 0;
    std::unique_ptr<NfFileWriter> writer_;
    std::vector<ExporterInfo> exporters_;
    std::vector<SamplerInfo> samplers_;
    StatRecord empty_stat_;
    StatRecord last_closed_stat_;
    uint64_t dropped_closed_ = 0;  // flows_dropped() of the files closed so far
    StatRecord accepted_closed_;    // accepted_stat() of the files closed so far
    std::vector<std::string> recovered_;
    // A closed file still under the current name because its rename failed (directory not
    // writable): no new current file may be opened over it until it has moved.
    std::string pending_final_;
    std::vector<FlowRecord> backlog_;  // records received while no file was open
};

// Merges the file `src` into `dst`: the result holds dst's records followed by src's, both
// files' exporters (src's sysids renumbered where they clash with a different exporter of
// dst), and the summed stat record; it replaces `dst` atomically and `src` is removed. Its
// ident is dst's, or `ident` where dst has none (a file left unclosed, whose ident is in
// the appendix it never got). Without a file at `dst`, src alone is written there as a
// closed file (a stopped collector's current file gets its appendix so). On failure both
// files are left as they were.
Status MergeInto(const std::string& src, const std::string& dst, Codec codec,
                 const std::string& ident);

// The file MergeInto writes before it replaces `dst`: in dst's directory, under a name that
// directory walks skip (flowdump's and nfdump's, which pass over `nfcapd.current*`), so a
// query during the merge does not read the half-written copy beside `dst`.
std::string MergeTempPath(const std::string& dst);

}  // namespace flow
