// SPDX-License-Identifier: BSD-2-Clause
// The listing run of flowdump: read the selected files, keep records inside the -t window
// that pass the filter, print or write them, and finish with nfdump's summary block.
#include "query.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "flow/aggregate.h"
#include "flow/filter.h"
#include "flow/nffile.h"
#include "nffile/reader_impl.h"  // NfFileReader::ScanBlock

namespace flowdump {

// Prints a reader or file error as one line naming the file.
void FileError(const std::string& path, const flow::Status& s) {
    const std::string text = s.ToString();
    // Most reader messages already name the file: say it once.
    if (text.find(path) != std::string::npos) {
        std::fprintf(stderr, "flowdump: %s\n", text.c_str());
    } else {
        std::fprintf(stderr, "flowdump: %s: %s\n", path.c_str(), text.c_str());
    }
}

namespace {

// Widens [first, last] (seconds) by a file's stat record, as nfdump does: a file whose
// flows carry no time contributes a first of 0. `*first_s` starts at UINT64_MAX.
void WidenWindow(const flow::FileInfo& info, uint64_t* first_s, uint64_t* last_s) {
    if (!info.has_stat) return;
    uint64_t f = info.stat.first_ms / 1000;
    uint64_t l = info.stat.last_ms / 1000;
    if (f < *first_s) *first_s = f;
    if (l > *last_s) *last_s = l;
}

// Ends a -s run: "No matching flows" when nothing passed, every table in command-line
// order (element tables as text or csv, -s record tables through the record printer), then
// the summary block (text or csv) unless quiet.
int PrintStats(const Options& opt, const std::vector<flow::aggregate::ElementStat>& stats,
               const flow::aggregate::Aggregator* records, flow::output::Printer* printer,
               const flow::output::Summary& summary, const flow::output::RunInfo& run) {
    flow::aggregate::StatPrintOptions po;
    po.top_n = opt.top_n;
    switch (printer->kind()) {
        case flow::output::FormatKind::kCsv:
            po.layout = flow::aggregate::StatLayout::kCsv;
            po.csv = true;
            break;
        case flow::output::FormatKind::kPipe:
            po.layout = flow::aggregate::StatLayout::kPipe;
            break;
        case flow::output::FormatKind::kJson:
            po.layout = flow::aggregate::StatLayout::kJson;
            break;
        case flow::output::FormatKind::kNdjson:
            po.layout = flow::aggregate::StatLayout::kNdjson;
            break;
        default:
            break;
    }
    // Pipe and JSON statistics carry no headings and no summary block (as nfdump prints
    // them; JSON rows are one object per line, as nfdump 1.7.2+ and nfsen-ng have them).
    const bool bare = po.layout == flow::aggregate::StatLayout::kPipe ||
                      po.layout == flow::aggregate::StatLayout::kJson ||
                      po.layout == flow::aggregate::StatLayout::kNdjson;

    po.quiet = opt.output.quiet;
    po.plain = opt.output.plain_numbers;
    po.long_v6 = opt.output.long_v6;
    po.tag = opt.output.tag_addresses;
    po.packet_limit = opt.stat_packet_limit;
    po.packets_below = opt.stat_packets_below;
    po.byte_limit = opt.stat_byte_limit;
    po.bytes_below = opt.stat_bytes_below;
    bool failed = false;
    std::string text;
    auto write_text = [&] {
        if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) failed = true;
        text.clear();
    };
    // -s record: per order a heading, the format's header and the top records; no blank line.
    auto print_records = [&] {
        for (const flow::aggregate::RecordOrderSpec& order : opt.record_orders) {
            if (!po.quiet && !po.csv && !bare) {
                const char* name = flow::aggregate::RecordOrderName(order.order);
                char line[128];
                if (po.top_n == 0) {
                    std::snprintf(line, sizeof(line), "Top flows ordered by %s:\n", name);
                } else {
                    std::snprintf(line, sizeof(line), "Top %zu flows ordered by %s:\n", po.top_n,
                                  name);
                }
                text += line;
                write_text();
            }
            printer->Begin();  // the format's header; json opens an array per table
            // One group made into a record at a time: -n 0 needs no copy of every group.
            records->ForEach(order, po.top_n, [&](const flow::FlowRecord& g) {
                printer->Print(g);
                return true;
            });
            printer->EndList();
            if (!printer->Flush().ok()) failed = true;
        }
    };

    // Pipe output says it too (scripts split on '|' and skip it); JSON stays parseable.
    if (run.passed == 0 && (!bare || po.layout == flow::aggregate::StatLayout::kPipe)) {
        text += "No matching flows\n";
    }
    for (size_t i = 0; i <= stats.size(); ++i) {
        // With nothing passed nfdump prints no record table at all (element tables stay).
        if (records != nullptr && run.passed != 0 && i == opt.record_position) {
            write_text();
            print_records();
        }
        if (i < stats.size()) stats[i].Print(po, summary, &text);
    }
    if (!po.quiet && !bare) text += flow::output::FormatSummary(summary, run, po.plain, po.csv);
    write_text();
    if (std::fflush(stdout) != 0) failed = true;
    return failed ? 1 : 0;
}

// The memory -a/-A/-b/-s tables may take: FLOWDUMP_MEMORY_LIMIT (MiB) when set, else half
// of the machine's physical memory, so a huge selection ends with a message rather than
// the kernel's OOM killer.
uint64_t MemoryLimitBytes() {
    if (const char* env = std::getenv("FLOWDUMP_MEMORY_LIMIT")) {
        char* end = nullptr;
        unsigned long long mib = std::strtoull(env, &end, 10);
        if (end != env && *end == '\0' && mib > 0 && mib < (uint64_t{1} << 44)) return mib << 20;
        std::fprintf(stderr,
                     "flowdump: FLOWDUMP_MEMORY_LIMIT='%s' is not a number of MiB above 0; "
                     "using the default (half the RAM)\n",
                     env);
    }
    long pages = ::sysconf(_SC_PHYS_PAGES);
    long page = ::sysconf(_SC_PAGESIZE);
    if (pages <= 0 || page <= 0) return uint64_t{8} << 30;
    return static_cast<uint64_t>(pages) * static_cast<uint64_t>(page) / 2;
}

// Hands the aggregated records to print or write to `fn`: in -O order, those passing the
// -P filter, at most -n of them. One record at a time, so printing a million groups needs
// no second copy of them.
void ForSelectedGroups(const flow::aggregate::Aggregator& agg, const Options& opt,
                       const std::function<bool(const flow::FlowRecord&)>& fn) {
    size_t limit = opt.top_n_given ? opt.top_n : 0;
    if (!opt.post_filter) {
        agg.ForEach(opt.order, limit, fn);
        return;
    }
    size_t taken = 0;
    agg.ForEach(opt.order, 0, [&](const flow::FlowRecord& g) {
        if (!opt.post_filter->Match(g)) return true;
        if (!fn(g)) return false;
        return limit == 0 || ++taken < limit;
    });
}

// ---- Two-thread scan ---------------------------------------------------------------------
//
// Reading, filtering, summing and element statistics do not depend on the order of the
// records, so two threads can share the data blocks of every file, each taking the next
// block neither has taken (one reader per thread, ReaderOptions::block_claims: a thread that
// gets less CPU takes fewer blocks), and their results be joined afterwards. Records
// to print are formatted by each thread into text per block, which is printed in the serial
// order of the blocks after the join; formats whose text depends on a record's number or
// place (%cnt, raw, json) keep the records instead, with their place in the serial order,
// and print them after the join. Any
// error, a -c limit, the `count` primitive, -w, -a/-A/-b/-B and -s record keep the serial
// loop, which also runs again from the start when a scan fails, so that messages and
// output are exactly those of a serial run.

// At most this many passed records per thread are kept for printing, or this much of their
// text; more mean a listing that the serial loop streams better.
// TODO: listings longer than that (-o line/csv of most records) stay on one thread, reading
// and decompressing aside; text blocks handed to the output in order while the scan runs
// would split their formatting too.
constexpr size_t kMaxKeptRecords = 1u << 15;
constexpr size_t kMaxKeptText = size_t{16} << 20;

// What one thread of the scan found. Cache-line aligned: the two threads' counters, updated
// per record, must not share a line.
struct alignas(64) ScanPart {
    struct Kept {
        uint64_t block_key;  // file index << 32 | block number
        uint64_t in_block;   // records of the block processed up to this one
        flow::FlowRecord rec;
    };

    flow::output::Summary summary;
    std::vector<flow::aggregate::ElementStat> stats;
    uint64_t processed = 0;
    uint64_t passed = 0;
    uint64_t bytes_read = 0;
    uint64_t window_first_s = UINT64_MAX;
    uint64_t window_last_s = 0;
    std::vector<Kept> kept;
    // Formatted records (ScanJob::keep_text): the text, and per block (block key, where the
    // block's text ends in `text`), in this thread's block order.
    std::string text;
    std::vector<std::pair<uint64_t, size_t>> text_blocks;
    std::vector<std::pair<uint64_t, uint64_t>> blocks;  // (block key, records processed)
    bool failed = false;
};

struct ScanJob {
    const Options* opt;
    const std::vector<std::string>* files;
    const flow::filter::Filter* filter;
    const std::optional<flow::TimeWindow>* window;
    bool keep_records;
    // With keep_records: the records are formatted as they pass, by a Printer of this format
    // and options for each thread, and only their text kept.
    bool keep_text = false;
    const std::string* format = nullptr;
    const flow::output::OutputOptions* out_opts = nullptr;
    uint64_t total_bytes;  // the sizes of all files, to project the records to keep
    uint64_t elements;     // ReaderOptions::elements: what the filter and the summary read
    uint64_t memory_share;
    std::atomic<bool> abort{false};
    // Per file: the data blocks the two threads claimed so far (ReaderOptions::block_claims).
    std::unique_ptr<std::atomic<uint64_t>[]> claims;
};

// Opens file `path` for one thread of a two-thread scan: null when the scan must give up
// (the file does not open, or it is a layout 1 file, whose records need the extension maps
// of earlier blocks, which the other thread may hold); `*skip` set when the file lies
// outside the time window. Otherwise widens [*first_s, *last_s] by the file and gives the
// filter the file's ident.
std::unique_ptr<flow::NfFileReader> OpenShared(const std::string& path,
                                               const flow::ReaderOptions& ro,
                                               const std::optional<flow::TimeWindow>& window,
                                               flow::filter::Filter* f, uint64_t* first_s,
                                               uint64_t* last_s, bool* skip) {
    *skip = false;
    auto reader = flow::NfFileReader::Open(path, ro);
    if (!reader.ok()) return nullptr;
    const flow::FileInfo& info = (*reader)->info();
    if (info.layout != 2) return nullptr;
    if (window && info.has_stat && info.stat.first_ms != 0 &&
        !window->Overlaps(info.stat.first_ms, info.stat.last_ms)) {
        *skip = true;
        return std::move(*reader);
    }
    WidenWindow(info, first_s, last_s);
    if (f->uses_ident()) f->SetIdent(info.ident);
    return std::move(*reader);
}

// One thread's share of the scan: the blocks it claims of every file.
void ScanShare(ScanJob* job, ScanPart* part) {
    const std::optional<flow::TimeWindow>& window = *job->window;
    flow::filter::Filter f = *job->filter;
    const bool match_all = f.matches_all();
    flow::FlowRecord rec;
    uint64_t blocks_done = 0;   // blocks of all files this thread read
    uint64_t bytes_before = 0;  // stored bytes this thread read of the files before this one
    auto give_up = [&] {
        part->failed = true;
        job->abort.store(true, std::memory_order_relaxed);
    };
    std::optional<flow::output::Printer> printer;
    if (job->keep_text) {
        auto p = flow::output::CreatePrinter(*job->format, *job->out_opts, &part->text);
        if (!p.ok()) return give_up();
        printer.emplace(std::move(*p));
    }
    for (size_t fi = 0; fi < job->files->size(); ++fi) {
        flow::ReaderOptions ro;
        ro.reuse_record = true;
        ro.block_claims = &job->claims[fi];
        ro.elements = job->elements;
        bool skip = false;
        std::unique_ptr<flow::NfFileReader> reader =
            OpenShared((*job->files)[fi], ro, window, &f, &part->window_first_s,
                       &part->window_last_s, &skip);
        if (reader == nullptr) return give_up();
        if (skip) continue;
        flow::NfFileReader& r = *reader;
        for (;;) {
            if (job->abort.load(std::memory_order_relaxed)) return give_up();
            // Gives up early when the listing will not fit: a scan that gives up late wastes
            // the work of everything it read, which the serial loop then reads again. The
            // records kept so far per stored byte read, over this thread's share of the
            // bytes of all files, taken as half (an overestimate where files hold skipped
            // blocks).
            const uint64_t own_bytes = bytes_before + r.counters().stored_bytes;
            if (job->keep_records && ++blocks_done > 4 && own_bytes != 0) {
                const double share = static_cast<double>(job->total_bytes / 2) / own_bytes;
                if (job->keep_text
                        ? static_cast<double>(part->text.size()) * share > kMaxKeptText
                        : static_cast<double>(part->kept.size()) * share > kMaxKeptRecords) {
                    return give_up();
                }
            }
            flow::Result<bool> more = r.NextBlock();
            if (!more.ok()) return give_up();
            if (!*more) break;
            const uint64_t key = uint64_t{fi} << 32 | r.block_number();
            uint64_t in_block = 0;
            const flow::TimeWindow* const w = window ? &*window : nullptr;
            if (!printer && !job->keep_records) {
                // Totals and element statistics (-o null, -s, a filter's summary): the
                // counters live in locals, which the reader's calls cannot reach, and are
                // added once per block; the statistics' memory is looked at once per block.
                flow::output::Summary sum;
                uint64_t passed = 0;
                flow::aggregate::ElementStat* const stats = part->stats.data();
                const size_t num_stats = part->stats.size();
                // Two copies of the loop: without statistics it has no inner loop to test.
                auto scan = [&]<bool kStats>() {
                    r.ScanBlock(&rec, [&](const flow::FlowRecord& x) {
                        ++in_block;
                        if (w != nullptr && !w->Contains(x.first_ms, x.last_ms)) return true;
                        if (!match_all && !f.Match(x)) return true;
                        ++passed;
                        sum.Add(x);
                        if constexpr (kStats) {
                            for (size_t i = 0; i < num_stats; ++i) stats[i].Add(x);
                        }
                        return true;
                    });
                };
                if (num_stats == 0) {
                    scan.template operator()<false>();
                } else {
                    scan.template operator()<true>();
                }
                part->passed += passed;
                part->summary.Merge(sum);
                if (num_stats != 0) {
                    uint64_t used = 0;
                    for (const auto& st : part->stats) used += st.memory_bytes();
                    if (used > job->memory_share) return give_up();
                }
            } else {
                bool full = false;
                r.ScanBlock(&rec, [&](const flow::FlowRecord& x) {
                    ++in_block;
                    if (w != nullptr && !w->Contains(x.first_ms, x.last_ms)) return true;
                    if (!match_all && !f.Match(x)) return true;
                    ++part->passed;
                    part->summary.Add(x);
                    if (printer) {
                        r.DecodeWhole(&rec);
                        printer->Print(rec);
                    } else if (job->keep_records) {
                        if (part->kept.size() == kMaxKeptRecords) {
                            full = true;
                            return false;
                        }
                        r.DecodeWhole(&rec);
                        part->kept.push_back({key, in_block, rec});
                    }
                    return true;
                });
                if (full) return give_up();
            }
            part->blocks.emplace_back(key, in_block);
            part->processed += in_block;
            if (printer) {
                (void)printer->Flush();  // into part->text: no error to be had
                if (part->text.size() > kMaxKeptText) return give_up();
                part->text_blocks.emplace_back(key, part->text.size());
            }
            // So do layout 1 records in a layout 2 file (nfdump never writes them).
            const flow::ReadCounters& c = r.counters();
            if (c.extension_maps != 0 || c.unmapped_records != 0) return give_up();
        }
        part->bytes_read += r.counters().bytes_read;
        bytes_before += r.counters().stored_bytes;
    }
}

// Runs the scan on this thread and one more; false when it gave up (nothing was printed).
// On success `parts[0]` holds the joined totals and statistics, and `printer` has printed
// the kept records in serial order.
bool ScanInParallel(ScanJob* job, ScanPart parts[2], flow::output::Printer* printer) {
    std::thread helper;
    try {
        helper = std::thread(ScanShare, job, &parts[1]);
    } catch (const std::system_error&) {
        return false;  // no thread to be had: the serial loop does it all
    }
    ScanShare(job, &parts[0]);
    helper.join();
    if (parts[0].failed || parts[1].failed) return false;

    ScanPart& a = parts[0];
    const ScanPart& b = parts[1];
    a.summary.Merge(b.summary);
    for (size_t i = 0; i < a.stats.size(); ++i) a.stats[i].Merge(b.stats[i]);
    a.processed += b.processed;
    a.passed += b.passed;
    a.bytes_read += b.bytes_read;
    if (!job->keep_records) return true;

    if (job->keep_text) {
        // Each block's text where its key falls in the serial order.
        size_t i = 0;
        size_t j = 0;
        size_t a_at = 0;
        size_t b_at = 0;
        while (i < a.text_blocks.size() || j < b.text_blocks.size()) {
            const bool take_a =
                j == b.text_blocks.size() ||
                (i < a.text_blocks.size() && a.text_blocks[i].first < b.text_blocks[j].first);
            const ScanPart& part = take_a ? a : b;
            size_t& at = take_a ? a_at : b_at;
            const size_t end = take_a ? a.text_blocks[i++].second : b.text_blocks[j++].second;
            if (end > at) printer->PrintText(std::string_view(part.text).substr(at, end - at));
            at = end;
        }
        return true;
    }

    // Record numbers as the serial loop counts them: records of all earlier blocks plus the
    // place in the block.
    std::vector<std::pair<uint64_t, uint64_t>> blocks;
    blocks.reserve(a.blocks.size() + b.blocks.size());
    std::merge(a.blocks.begin(), a.blocks.end(), b.blocks.begin(), b.blocks.end(),
               std::back_inserter(blocks));
    std::vector<uint64_t> before(blocks.size());
    uint64_t total = 0;
    for (size_t i = 0; i < blocks.size(); ++i) {
        before[i] = total;
        total += blocks[i].second;
    }
    auto base_of = [&](uint64_t key) {
        auto it = std::lower_bound(blocks.begin(), blocks.end(), std::make_pair(key, uint64_t{0}));
        return before[static_cast<size_t>(it - blocks.begin())];
    };
    size_t i = 0;
    size_t j = 0;
    while (i < a.kept.size() || j < b.kept.size()) {
        const bool take_a =
            j == b.kept.size() || (i < a.kept.size() && a.kept[i].block_key < b.kept[j].block_key);
        const ScanPart::Kept& k = take_a ? a.kept[i++] : b.kept[j++];
        printer->Print(k.rec, base_of(k.block_key) + k.in_block);
    }
    return true;
}

// ---- -s record on two threads ------------------------------------------------------------
//
// The serial -s record loop spends most of its time in cache and TLB misses of the groups'
// index and records, not in reading. Here two threads each read every record of every file
// (decoding is cheap next to a missed group) and offer it to their own share of the groups
// (Aggregator::Offer): each keeps the records whose five-tuple hash falls in its half, and
// counts only those into its totals and element statistics, so every record is counted
// once and each thread's tables hold half the groups. The shares are joined to print, in
// the serial order (ties by first-seen order across the shares). Any error, layout 1 data,
// and memory near the limit give up, and the serial loop runs from the start.

struct alignas(64) RecordPart {
    std::optional<flow::aggregate::Aggregator> groups;
    flow::output::Summary summary;
    std::vector<flow::aggregate::ElementStat> stats;
    uint64_t processed = 0;  // every record read (the same in both threads)
    uint64_t passed = 0;     // of the passed records, those in this share
    uint64_t bytes_read = 0;
    uint64_t window_first_s = UINT64_MAX;
    uint64_t window_last_s = 0;
    bool failed = false;
};

struct RecordJob {
    const std::vector<std::string>* files;
    const flow::filter::Filter* filter;
    const std::optional<flow::TimeWindow>* window;
    uint64_t elements;      // ReaderOptions::elements
    uint64_t memory_share;  // what one thread's groups and statistics may take
    std::atomic<bool> abort{false};
};

// One thread's share of the -s record groups: every record read, those of its share kept.
void RecordShare(RecordJob* job, RecordPart* part) {
    const std::optional<flow::TimeWindow>& window = *job->window;
    flow::filter::Filter f = *job->filter;
    const bool match_all = f.matches_all();
    flow::aggregate::Aggregator& groups = *part->groups;
    flow::aggregate::ElementStat* const stats = part->stats.data();
    const size_t num_stats = part->stats.size();
    flow::FlowRecord rec;
    auto give_up = [&] {
        part->failed = true;
        job->abort.store(true, std::memory_order_relaxed);
    };
    for (const std::string& path : *job->files) {
        flow::ReaderOptions ro;
        ro.reuse_record = true;
        ro.elements = job->elements;
        bool skip = false;
        std::unique_ptr<flow::NfFileReader> reader = OpenShared(
            path, ro, window, &f, &part->window_first_s, &part->window_last_s, &skip);
        if (reader == nullptr) return give_up();
        if (skip) continue;
        flow::NfFileReader& r = *reader;
        for (;;) {
            if (job->abort.load(std::memory_order_relaxed)) return give_up();
            flow::Result<bool> more = r.NextBlock();
            if (!more.ok()) return give_up();
            if (!*more) break;
            uint64_t processed = 0;
            uint64_t passed = 0;
            while (r.NextRecord(&rec)) {
                ++processed;
                if (window && !window->Contains(rec.first_ms, rec.last_ms)) continue;
                if (!match_all && !f.Match(rec)) continue;
                const std::span<const uint8_t> stored = r.StoredRecord();
                if (stored.empty()) r.DecodeWhole(&rec);
                if (!groups.Offer(rec, stored)) continue;
                ++passed;
                part->summary.Add(rec);
                for (size_t i = 0; i < num_stats; ++i) stats[i].Add(rec);
            }
            part->processed += processed;
            const uint64_t before = part->passed;
            part->passed += passed;
            // As the serial loop, every 64 Ki records (here those of this share).
            if ((before ^ part->passed) >> 16 != 0) {
                uint64_t used = groups.memory_bytes();
                for (const auto& st : part->stats) used += st.memory_bytes();
                if (used > job->memory_share) return give_up();
            }
            const flow::ReadCounters& c = r.counters();
            if (c.extension_maps != 0 || c.unmapped_records != 0) return give_up();
        }
        part->bytes_read += r.counters().bytes_read;
    }
}

// Runs the -s record scan on this thread and one more; false when it gave up, or when the
// serial loop might have stopped at its memory limit (it then runs, for its message). On
// success parts[0] holds the joined groups, totals and statistics.
bool RecordStatInParallel(RecordJob* job, RecordPart parts[2], uint64_t memory_limit) {
    std::thread helper;
    try {
        helper = std::thread(RecordShare, job, &parts[1]);
    } catch (const std::system_error&) {
        return false;
    }
    RecordShare(job, &parts[0]);
    helper.join();
    if (parts[0].failed || parts[1].failed) return false;
    RecordPart& a = parts[0];
    RecordPart& b = parts[1];
    a.summary.Merge(b.summary);
    for (size_t i = 0; i < a.stats.size(); ++i) a.stats[i].Merge(b.stats[i]);
    a.passed += b.passed;
    a.groups->Join(std::move(*b.groups));
    b.groups.reset();
    // The serial loop's bound: its groups and statistics never above the limit. The
    // statistics merged are what the serial loop's would hold; twice their size allows for
    // a table grown in other steps.
    uint64_t bound = a.groups->joined_memory_bound();
    for (const auto& st : a.stats) bound += 2 * st.memory_bytes();
    return bound <= memory_limit;
}

// Takes the totals, statistics and run facts of a two-thread scan that joined its parts
// into `*part` (a ScanPart or a RecordPart).
template <typename Part>
void TakeJoined(Part* part, flow::output::Summary* summary,
                std::vector<flow::aggregate::ElementStat>* stats, flow::output::RunInfo* run) {
    *summary = part->summary;
    *stats = std::move(part->stats);
    run->processed = part->processed;
    run->passed = part->passed;
    run->bytes_read = part->bytes_read;
    run->window_first_s = part->window_first_s;
    run->window_last_s = part->window_last_s;
}

}  // namespace

int RunQuery(const Options& opt, const std::vector<std::string>& files,
             const flow::filter::Filter& filter, const std::optional<flow::TimeWindow>& window) {
    flow::output::RunTimer timer;
    flow::output::OutputOptions out_opts = opt.output;
    bool writing = !opt.write_path.empty();
    if (writing) out_opts.quiet = true;

    std::string format = opt.format.empty() ? "line" : opt.format;
    // -s: passed records are counted into the statistics instead of being printed.
    std::vector<flow::aggregate::ElementStat> stats;
    if (!writing) {
        for (const auto& spec : opt.stats) stats.emplace_back(spec);
    }
    bool record_stat = !writing && !opt.record_orders.empty();
    bool stat_mode = !stats.empty() || record_stat;
    // -a/-A: passed records are grouped and the groups printed at the end.
    std::optional<flow::aggregate::Aggregator> aggregator;
    flow::aggregate::AggregateSpec aggregator_spec;  // -s record's
    // Without -o, groups print as nfdump prints them: -b/-B as biline, -A keys in a layout
    // of those keys alone. The -s record tables take the same layout as the -a/-A listing.
    auto pick_group_format = [&] {
        if (!opt.format.empty() || !opt.aggregate) return;
        if (opt.aggregation.bidirectional) format = "biline";
        if (!opt.aggregation.five_tuple && !opt.aggregation.each_record) {
            format = opt.aggregation.AutoFormat();
        }
    };
    if (record_stat) {
        // -s record groups by -A keys when given, else by the five-tuple as -a does.
        aggregator_spec = opt.aggregation;
        if (!opt.aggregate) aggregator_spec.five_tuple = true;
        aggregator.emplace(aggregator_spec);
        pick_group_format();
    } else if (opt.aggregate && !stat_mode) {
        // With -w the groups (or the sorted records of -O) are what is written.
        aggregator.emplace(opt.aggregation);
        pick_group_format();
    }
    auto printer = flow::output::CreatePrinter(writing ? "null" : format, out_opts, stdout);
    if (!printer.ok()) {
        std::fprintf(stderr, "%s\n", printer.status().message().c_str());
        return 1;
    }

    std::unique_ptr<flow::NfFileWriter> writer;
    flow::output::Summary summary;
    flow::output::RunInfo run;
    run.window_first_s = UINT64_MAX;
    flow::FlowRecord rec;
    flow::filter::Filter f = filter;
    bool match_all = f.matches_all();
    // -o null prints nothing per record: the call is skipped, the summary still counts.
    const bool print_records = printer->kind() != flow::output::FormatKind::kNull;
    bool stop = false;
    int rc = 0;  // 1 once an input file could not be opened or had a damaged block

    // The record elements to decode. A plain listing or -o null reads the filter's
    // elements, the times and counters of the summary and the -t window, and the whole
    // record only of those that pass: most of a record goes undecoded when few pass.
    // Element statistics read their own few elements besides. Writing and aggregating read
    // (nearly) every field of every passed record.
    uint64_t elements = flow::kAllElements;
    if (!writing && !aggregator && (!stat_mode || !stats.empty()) &&
        (stat_mode || !print_records || !match_all)) {
        elements = f.elements_read() | uint64_t{1} << flow::kExGenericFlow |
                   uint64_t{1} << flow::kExCntFlow;
        for (const auto& st : stats) elements |= st.elements_read();
    } else if (!writing && aggregator && aggregator->elements_read() != flow::kAllElements) {
        // -a, -s record and -O keep each group's first record as its file stores it, and
        // read only keys, counters and times of the others (records a file does not keep
        // in a form that decodes alone are decoded whole below).
        elements = aggregator->elements_read() | f.elements_read();
        for (const auto& st : stats) elements |= st.elements_read();
    }

    const uint64_t memory_limit = MemoryLimitBytes();
    if (writing) {
        // Writing over a file that is also read would destroy it before it is read.
        struct stat out_st;
        if (::stat(opt.write_path.c_str(), &out_st) == 0) {
            for (const std::string& path : files) {
                struct stat in_st;
                if (::stat(path.c_str(), &in_st) == 0 && in_st.st_dev == out_st.st_dev &&
                    in_st.st_ino == out_st.st_ino) {
                    std::fprintf(stderr, "flowdump: -w %s is also an input file\n",
                                 opt.write_path.c_str());
                    return 1;
                }
            }
        }
    }
    if (!stat_mode && !aggregator) printer->Begin();

    // The two-thread scan, where the result cannot depend on the order of the records.
    bool scanned = false;
    const bool listing = !stat_mode && print_records;
    const bool unfiltered = match_all && !window;
    if (!writing && !aggregator && !record_stat && opt.limit == 0 && !f.uses_count() &&
        !(listing && unfiltered) && std::thread::hardware_concurrency() >= 2) {
        ScanJob job;
        job.opt = &opt;
        job.files = &files;
        job.filter = &f;
        job.window = &window;
        job.keep_records = listing;
        job.keep_text = listing && !printer->numbers_records();
        job.format = &format;
        job.out_opts = &out_opts;
        job.total_bytes = 0;
        for (const std::string& path : files) {
            struct stat st;
            if (::stat(path.c_str(), &st) == 0) {
                job.total_bytes += static_cast<uint64_t>(st.st_size);
            }
        }
        job.elements = elements;
        job.memory_share = memory_limit / 2;
        job.claims = std::make_unique<std::atomic<uint64_t>[]>(files.size());
        ScanPart parts[2];
        for (ScanPart& part : parts) {
            for (const auto& spec : opt.stats) part.stats.emplace_back(spec);
        }
        if (ScanInParallel(&job, parts, &*printer)) {
            scanned = true;
            TakeJoined(&parts[0], &summary, &stats, &run);
        }
    }
    if (record_stat && !writing && opt.limit == 0 && !f.uses_count() &&
        flow::aggregate::Aggregator::Shareable(aggregator_spec) &&
        std::thread::hardware_concurrency() >= 2) {
        RecordJob job;
        job.files = &files;
        job.filter = &f;
        job.window = &window;
        job.elements = elements;
        job.memory_share = memory_limit / 2;
        bool joined = false;
        {
            RecordPart parts[2];
            for (unsigned i = 0; i < 2; ++i) {
                parts[i].groups.emplace(aggregator_spec, i, 2);
                for (const auto& spec : opt.stats) parts[i].stats.emplace_back(spec);
            }
            if (RecordStatInParallel(&job, parts, memory_limit)) {
                joined = true;
                aggregator = std::move(*parts[0].groups);
                TakeJoined(&parts[0], &summary, &stats, &run);
            }
        }  // a scan that gave up frees its groups before the serial loop makes its own
        scanned = joined;
    }
    for (const std::string& path : files) {
        if (stop || scanned) break;
        flow::ReaderOptions ro;
        ro.prefetch_blocks = 2;  // read and decompress on a second core
        ro.reuse_record = true;  // `rec` below is only read between NextRecord() calls
        ro.elements = elements;
        auto reader = flow::NfFileReader::Open(path, ro);
        if (!reader.ok()) {
            FileError(path, reader.status());
            rc = 1;
            continue;
        }
        flow::NfFileReader& r = **reader;
        const flow::FileInfo& info = r.info();
        if (window && info.has_stat && info.stat.first_ms != 0 &&
            !window->Overlaps(info.stat.first_ms, info.stat.last_ms)) {
            continue;
        }
        WidenWindow(info, &run.window_first_s, &run.window_last_s);
        if (f.uses_ident()) f.SetIdent(info.ident);
        if (writing && !writer) {
            flow::WriterOptions wo;
            wo.level = opt.codec_level;
            wo.stat_rule = flow::StatRule::kNfdump;  // the stat record nfdump -w writes
            auto w =
                flow::NfFileWriter::Create(opt.write_path, opt.codec.value_or(flow::Codec::kNone),
                                           info.ident.empty() ? "none" : info.ident, wo);
            if (!w.ok()) {
                std::fprintf(stderr, "flowdump: %s\n", w.status().ToString().c_str());
                return 1;
            }
            writer = std::move(w.value());
        }
        size_t exporters_written = 0;
        size_t samplers_written = 0;

        for (;;) {
            flow::Result<bool> more = r.NextBlock();
            if (!more.ok()) {
                FileError(path, more.status());
                ++run.blocks_skipped;
                rc = 1;
                continue;  // a corrupt record; a broken block sequence ends with false next
            }
            if (!*more) break;
            while (r.NextRecord(&rec)) {
                ++run.processed;
                if (window && !window->Contains(rec.first_ms, rec.last_ms)) continue;
                // `count` numbers the records read so far, across files (as nfdump).
                if (!match_all && !f.Match(rec, flow::filter::MatchContext{run.processed})) {
                    continue;
                }
                ++run.passed;
                summary.Add(rec);
                if (writer) {
                    // Exporters and samplers are copied ahead of the flows that use them.
                    for (; exporters_written < r.exporters().size(); ++exporters_written) {
                        (void)writer->AddExporter(r.exporters()[exporters_written]);
                    }
                    for (; samplers_written < r.samplers().size(); ++samplers_written) {
                        (void)writer->AddSampler(r.samplers()[samplers_written]);
                    }
                }
                if (writer && aggregator) {
                    aggregator->Add(rec, r.StoredRecord());
                } else if (writer) {
                    // A 1.7 record is copied as the file stores it, every element with it.
                    const std::span<const uint8_t> stored = r.StoredRecord();
                    flow::Status s = stored.empty() ? writer->Append(rec)
                                                    : writer->AppendStored(rec, stored);
                    if (!s.ok()) {
                        std::fprintf(stderr, "flowdump: %s: %s\n", opt.write_path.c_str(),
                                     s.ToString().c_str());
                        return 1;
                    }
                } else if (aggregator || stat_mode) {
                    if (aggregator) {
                        const std::span<const uint8_t> stored = r.StoredRecord();
                        if (stored.empty()) r.DecodeWhole(&rec);
                        aggregator->Add(rec, stored);
                    }
                    for (flow::aggregate::ElementStat& st : stats) st.Add(rec);
                    if ((run.passed & 0xffff) == 0) {
                        uint64_t used = aggregator ? aggregator->memory_bytes() : 0;
                        for (const auto& st : stats) used += st.memory_bytes();
                        if (used > memory_limit) {
                            std::fprintf(stderr,
                                         "flowdump: %s needs more than %llu MiB of "
                                         "memory after %llu flows; narrow the filter, time "
                                         "window or files, or raise FLOWDUMP_MEMORY_LIMIT (MiB)\n",
                                         stats.empty() && opt.aggregation.each_record
                                             ? "sorting (-O)"
                                             : "aggregation",
                                         static_cast<unsigned long long>(memory_limit >> 20),
                                         static_cast<unsigned long long>(run.passed));
                            return 255;
                        }
                    }
                } else if (print_records) {
                    r.DecodeWhole(&rec);
                    printer->Print(rec, run.processed);
                }
                if (opt.limit != 0 && run.passed >= opt.limit) {
                    stop = true;
                    break;
                }
            }
            if (stop) break;
        }
        run.bytes_read += r.counters().bytes_read;
        // Layout 1 records whose extension map is missing or damaged cannot be decoded and
        // are skipped (as nfdump does): a loss the user has to hear of.
        if (const uint64_t lost = r.counters().unmapped_records; lost != 0) {
            std::fprintf(stderr,
                         "flowdump: %s: %llu records skipped: they name an extension map "
                         "the file does not define (damaged file)\n",
                         path.c_str(), static_cast<unsigned long long>(lost));
            rc = 1;
        }
    }

    if (run.window_first_s == UINT64_MAX) run.window_first_s = run.window_last_s = 0;
    if (window && run.window_last_s != 0) {
        if (run.window_first_s < window->start_ms / 1000)
            run.window_first_s = window->start_ms / 1000;
        if (window->end_ms != UINT64_MAX && run.window_last_s > window->end_ms / 1000) {
            run.window_last_s = window->end_ms / 1000;
        }
    }
    run.timing = timer.Stop();
    if (writer && aggregator) {
        flow::Status failed;
        ForSelectedGroups(*aggregator, opt, [&](const flow::FlowRecord& g) {
            flow::FlowRecord out = g;
            if (out.flows > 1) out.Set(flow::kExCntFlow);  // the flow count is stored
            failed = writer->Append(out);
            return failed.ok();
        });
        if (!failed.ok()) {
            std::fprintf(stderr, "flowdump: %s: %s\n", opt.write_path.c_str(),
                         failed.ToString().c_str());
            return 1;
        }
    }
    if (writer) {
        flow::Status s = writer->Close();
        if (!s.ok()) {
            std::fprintf(stderr, "flowdump: %s: %s\n", opt.write_path.c_str(),
                         s.ToString().c_str());
            return 1;
        }
        if (run.passed == 0) std::printf("No matching flows\n");
        return rc;
    }
    if (stat_mode) {
        int printed =
            PrintStats(opt, stats, aggregator ? &*aggregator : nullptr, &*printer, summary, run);
        return printed != 0 ? printed : rc;
    }
    if (aggregator) {
        printer->Begin();
        ForSelectedGroups(*aggregator, opt, [&](const flow::FlowRecord& g) {
            printer->Print(g);
            return true;
        });
    }
    flow::Status s = printer->Finish(summary, run);
    if (!s.ok()) {
        // A closed pipe (`| head`) is not worth a message; anything else is.
        return 1;
    }
    return rc;
}

// A closed layout 2 file whose appendix (ident and stat record) could not be read whole.
bool AppendixDamaged(const flow::FileInfo& info) {
    return info.layout == 2 && info.closed &&
           (info.appendix_offset == 0 || info.appendix_blocks_read < info.appendix_blocks ||
            !info.has_stat);
}

int RunFileInfo(const std::vector<std::string>& files) {
    flow::StatRecord total;
    std::string ident;
    bool any = false;
    // A file that cannot be read, or whose statistics are lost, makes the sums short: exit 1
    // as the listings do, so that a script does not take the numbers for the whole range.
    bool failed = false;
    for (const std::string& path : files) {
        auto reader = flow::NfFileReader::Open(path);
        if (!reader.ok()) {
            FileError(path, reader.status());
            failed = true;
            continue;
        }
        const flow::FileInfo& info = (*reader)->info();
        if (AppendixDamaged(info)) {
            std::fprintf(stderr,
                         "flowdump: %s: appendix unreadable (file truncated or damaged): its "
                         "ident and statistics are missing\n",
                         path.c_str());
            failed = true;
        }
        if (!any) ident = info.ident;
        if (!any) {
            total = info.stat;
        } else {
            total.Merge(info.stat);
        }
        any = true;
    }
    // Nothing could be read: no block of zeros that would read as an idle link.
    if (!any) return 1;
    std::printf("Ident: %s\n", ident.c_str());
    auto line = [](const char* name, uint64_t v) { std::printf("%s: %" PRIu64 "\n", name, v); };
    line("Flows", total.num_flows);
    line("Flows_tcp", total.flows_tcp);
    line("Flows_udp", total.flows_udp);
    line("Flows_icmp", total.flows_icmp);
    line("Flows_other", total.flows_other);
    line("Packets", total.num_packets);
    line("Packets_tcp", total.packets_tcp);
    line("Packets_udp", total.packets_udp);
    line("Packets_icmp", total.packets_icmp);
    line("Packets_other", total.packets_other);
    line("Bytes", total.num_bytes);
    line("Bytes_tcp", total.bytes_tcp);
    line("Bytes_udp", total.bytes_udp);
    line("Bytes_icmp", total.bytes_icmp);
    line("Bytes_other", total.bytes_other);
    line("First", total.first_ms / 1000);
    line("Last", total.last_ms / 1000);
    line("msec_first", total.first_ms % 1000);
    line("msec_last", total.last_ms % 1000);
    line("Sequence failures", total.sequence_failures);
    return failed ? 1 : 0;
}

int RunVerify(const std::string& path) {
    auto reader = flow::NfFileReader::Open(path);
    if (!reader.ok()) {
        FileError(path, reader.status());
        return 1;
    }
    flow::NfFileReader& r = **reader;
    const flow::FileInfo& info = r.info();
    std::printf("File       : %s\n", path.c_str());
    // Layout 1 headers end this line with a space, or " anonymized" for files nfanon wrote,
    // as nfdump prints them.
    const char* tail = info.layout != 1 ? "" : info.anonymized ? " anonymized" : " ";
    if (info.codec == flow::Codec::kNone) {
        std::printf("Version    : %d - not compressed%s\n", info.layout, tail);
    } else {
        std::printf("Version    : %d - %s compressed%s\n", info.layout, flow::CodecName(info.codec),
                    tail);
    }
    if (info.layout == 2) {
        time_t created = static_cast<time_t>(info.created);
        struct tm tm;
        ::localtime_r(&created, &tm);
        char when[32];
        ::strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
        std::printf("Created    : %s\n", when);
        std::printf("nfdump     : %x\n", info.nfd_version);
        std::printf("encryption : no\n");
        std::printf("Appdx blks : %u\n", info.appendix_blocks);
        std::printf("Data blks  : %u\n", info.num_blocks);
    } else {
        std::printf("Blocks     : %u\n", info.num_blocks);
    }
    if (!info.closed) std::printf("File is not closed: reading blocks up to end of file\n");
    std::printf("Checking data blocks\n");
    int rc = 0;
    bool progress_shown = false;
    flow::FlowRecord rec;
    for (;;) {
        flow::Result<bool> more = r.NextBlock();
        if (!more.ok()) {
            std::fflush(stdout);
            // The reader's message names the file and the block (counted from 1).
            FileError(path, more.status());
            rc = 1;
            continue;
        }
        if (!*more) break;
        if (!progress_shown) {
            std::fputs(" |\r", stdout);  // nfdump's progress mark, overwritten by what follows
            progress_shown = true;
        }
        while (r.NextRecord(&rec)) {
        }
    }
    if (info.layout == 2 && info.appendix_blocks > 0) std::printf("Checking appendix blocks\n");
    if (AppendixDamaged(info)) {
        std::fflush(stdout);
        std::fprintf(stderr,
                     "Appendix: unreadable (file truncated or damaged): ident and "
                     "statistics are missing\n");
        rc = 1;
    }
    const uint64_t blocks = r.counters().blocks + info.appendix_blocks_read;
    std::printf("\nTotal\n");
    if (blocks > 0) {
        std::printf("Type %d blocks : %" PRIu64 "\n", info.layout == 1 ? 2 : 3, blocks);
    }
    std::printf("Records       : %" PRIu64 "\n",
                r.counters().block_records + info.appendix_records);
    return rc;
}

}  // namespace flowdump
