// SPDX-License-Identifier: BSD-2-Clause
// The listing run of flowdump: read the selected files, keep records inside the -t window
// that pass the filter, print or write them, and finish with nfdump's summary block.
#include "query.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "flow/aggregate.h"
#include "flow/filter.h"
#include "flow/nffile.h"

namespace flowdump {

namespace {

// Prints a reader or file error as one line naming the file.
void FileError(const std::string& path, const flow::Status& s) {
    std::fprintf(stderr, "flowdump: %s: %s\n", path.c_str(), s.ToString().c_str());
}

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
            printer->PrintHeader();
            for (const flow::FlowRecord* g : records->Groups(order, po.top_n)) printer->Print(*g);
            if (!printer->Flush().ok()) failed = true;
        }
    };

    if (run.passed == 0 && !bare) text += "No matching flows\n";
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
        if (end != env && *end == '\0' && mib > 0) return mib << 20;
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
    if (record_stat) {
        // -s record groups by -A keys when given, else by the five-tuple as -a does.
        flow::aggregate::AggregateSpec spec = opt.aggregation;
        if (!opt.aggregate) spec.five_tuple = true;
        aggregator.emplace(std::move(spec));
    } else if (opt.aggregate && !stat_mode) {
        // With -w the groups (or the sorted records of -O) are what is written.
        aggregator.emplace(opt.aggregation);
        if (opt.format.empty() && opt.aggregation.bidirectional) format = "biline";
        if (opt.format.empty() && !opt.aggregation.five_tuple && !opt.aggregation.each_record) {
            format = opt.aggregation.AutoFormat();
        }
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
    int rc = 0;

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
    for (const std::string& path : files) {
        if (stop) break;
        flow::ReaderOptions ro;
        ro.prefetch_blocks = 2;  // read and decompress on a second core
        ro.reuse_record = true;  // `rec` below is only read between NextRecord() calls
        auto reader = flow::NfFileReader::Open(path, ro);
        if (!reader.ok()) {
            FileError(path, reader.status());
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
                    aggregator->Add(rec);
                } else if (writer) {
                    flow::Status s = writer->Append(rec);
                    if (!s.ok()) {
                        std::fprintf(stderr, "flowdump: %s: %s\n", opt.write_path.c_str(),
                                     s.ToString().c_str());
                        return 1;
                    }
                } else if (aggregator || stat_mode) {
                    if (aggregator) aggregator->Add(rec);
                    for (flow::aggregate::ElementStat& st : stats) st.Add(rec);
                    if ((run.passed & 0xffff) == 0) {
                        uint64_t used = aggregator ? aggregator->memory_bytes() : 0;
                        for (const auto& st : stats) used += st.memory_bytes();
                        if (used > memory_limit) {
                            std::fprintf(stderr,
                                         "flowdump: aggregation needs more than %llu MiB of "
                                         "memory after %llu flows; narrow the filter, time "
                                         "window or files, or raise FLOWDUMP_MEMORY_LIMIT (MiB)\n",
                                         static_cast<unsigned long long>(memory_limit >> 20),
                                         static_cast<unsigned long long>(run.passed));
                            return 255;
                        }
                    }
                } else if (print_records) {
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
        return PrintStats(opt, stats, aggregator ? &*aggregator : nullptr, &*printer, summary, run);
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
    for (const std::string& path : files) {
        auto reader = flow::NfFileReader::Open(path);
        if (!reader.ok()) {
            FileError(path, reader.status());
            continue;
        }
        const flow::FileInfo& info = (*reader)->info();
        if (AppendixDamaged(info)) {
            std::fprintf(stderr,
                         "flowdump: %s: appendix unreadable (file truncated or damaged): its "
                         "ident and statistics are missing\n",
                         path.c_str());
        }
        if (!any) ident = info.ident;
        if (!any) {
            total = info.stat;
        } else {
            total.Merge(info.stat);
        }
        any = true;
    }
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
    return 0;
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
    // Layout 1 headers end this line with a space, as nfdump prints them.
    const char* tail = info.layout == 1 ? " " : "";
    if (info.codec == flow::Codec::kNone) {
        std::printf("Version    : %d - not compressed%s\n", info.layout, tail);
    } else {
        std::printf("Version    : %d - %s compressed%s\n", info.layout,
                    flow::CodecName(info.codec), tail);
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
            std::fprintf(stderr, "Block %u: %s\n", r.block_number(),
                         more.status().ToString().c_str());
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
        std::fprintf(stderr, "Appendix: unreadable (file truncated or damaged): ident and "
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
