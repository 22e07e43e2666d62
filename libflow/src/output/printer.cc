// SPDX-License-Identifier: BSD-2-Clause
// Printer: format selection, the buffered writer around the record layouts, the end of a
// listing ("No matching flows", json brackets) and the summary block of nfdump 1.7.1.
#include <fmt/format.h>
#include <sys/resource.h>
#include <time.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <optional>

#include "flow/format_util.h"
#include "flow/output.h"
#include "output/formats.h"

namespace flow::output {

namespace {

// Buffered text is handed to the destination once it holds this much.
constexpr size_t kFlushBytes = 256 * 1024;

std::string Lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

double Seconds(const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

double MonotonicSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

void AppendSummary(detail::Buffer& out, const Summary& summary, const RunInfo& run, bool plain,
                   bool csv) {
    using detail::Put;
    using detail::PutUint;
    if (csv) {
        detail::AppendCsvSummary(out, summary);
        return;
    }
    detail::Averages avg = detail::ComputeAverages(summary);
    char text[kTextSize];
    auto counter = [&](uint64_t v) {
        Put(out, std::string_view(text, FormatCounter(v, plain, false, text)));
    };
    Put(out, "Summary: total flows: ");
    PutUint(out, summary.flows);
    Put(out, ", total bytes: ");
    counter(summary.bytes);
    Put(out, ", total packets: ");
    counter(summary.packets);
    Put(out, ", avg bps: ");
    counter(avg.bps);
    Put(out, ", avg pps: ");
    counter(avg.pps);
    Put(out, ", avg bpp: ");
    counter(avg.bpp);
    Put(out, "\nTime window: ");
    // nfdump 1.7.1 has two texts: no time at all, and a known end without a start (files
    // whose flows carry no time).
    if (run.window_last_s == 0) {
        Put(out, "<unknown>");
    } else if (run.window_first_s == 0) {
        Put(out, "Time Window unknown");
    } else {
        Put(out, std::string_view(
                     text, FormatLocalSeconds(static_cast<int64_t>(run.window_first_s), text)));
        Put(out, " - ");
        Put(out, std::string_view(
                     text, FormatLocalSeconds(static_cast<int64_t>(run.window_last_s), text)));
    }
    Put(out, "\nTotal flows processed: ");
    PutUint(out, run.processed);
    Put(out, ", passed: ");
    PutUint(out, run.passed);
    Put(out, ", Blocks skipped: ");
    PutUint(out, run.blocks_skipped);
    Put(out, ", Bytes read: ");
    PutUint(out, run.bytes_read);
    const Timing& t = run.timing;
    double fps = t.wall_s > 0 ? static_cast<double>(run.processed) / t.wall_s : 0.0;
    fmt::format_to(std::back_inserter(out),
                   "\nSys: {:.4f}s User: {:.4f}s Wall: {:.4f}s flows/second: {:.1f} "
                   "Runtime: {:.4f}s\n",
                   t.sys_s, t.user_s, t.wall_s, fps, t.runtime_s);
}

}  // namespace

// ---- Summary, RunTimer -----------------------------------------------------------------

void Summary::Merge(const Summary& other) {
    flows += other.flows;
    bytes += other.bytes;
    packets += other.packets;
    if (other.first_ms < first_ms) first_ms = other.first_ms;
    if (other.last_ms > last_ms) last_ms = other.last_ms;
}

RunTimer::RunTimer() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    start_user_s_ = Seconds(ru.ru_utime);
    start_sys_s_ = Seconds(ru.ru_stime);
    start_wall_s_ = MonotonicSeconds();
}

Timing RunTimer::Stop() const {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    Timing t;
    t.user_s = Seconds(ru.ru_utime) - start_user_s_;
    t.sys_s = Seconds(ru.ru_stime) - start_sys_s_;
    t.wall_s = MonotonicSeconds() - start_wall_s_;
    t.runtime_s = t.wall_s;
    return t;
}

std::string FormatSummary(const Summary& summary, const RunInfo& run, bool plain_numbers,
                          bool csv) {
    detail::Buffer out;
    AppendSummary(out, summary, run, plain_numbers, csv);
    return std::string(out.data(), out.size());
}

// ---- Printer ---------------------------------------------------------------------------

// Cache-line aligned: the two threads of a scan each format with their own printer.
struct alignas(64) Printer::Impl {
    FormatKind kind = FormatKind::kFmt;
    OutputOptions options;
    std::optional<detail::FmtFormat> fmt;
    detail::Buffer buf;
    FILE* file = nullptr;
    std::string* str = nullptr;
    Status error;
    uint64_t count = 0;       // records printed
    uint64_t list_count = 0;  // records printed since Begin(): json separates them by ",\n"

    void MaybeFlush() {
        if (buf.size() >= kFlushBytes) (void)Flush();
    }

    // Hands `size` bytes to the destination; the first failure is kept and later text
    // dropped.
    void Write(const char* data, size_t size) {
        if (!error.ok()) return;
        if (str != nullptr) {
            str->append(data, size);
        } else if (file != nullptr) {
            if (std::fwrite(data, 1, size, file) != size || std::fflush(file) != 0) {
                error = Status::IoError(std::string("output: write failed: ") +
                                        std::strerror(errno));
            }
        }
    }

    Status Flush() {
        if (buf.size() == 0) return error;
        Write(buf.data(), buf.size());
        buf.clear();
        return error;
    }
};

Printer::Printer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Printer::Printer(Printer&&) noexcept = default;
Printer& Printer::operator=(Printer&&) noexcept = default;

Printer::~Printer() {
    if (impl_) (void)impl_->Flush();
}

FormatKind Printer::kind() const { return impl_->kind; }

void Printer::PrintHeader() {
    Impl& p = *impl_;
    if (p.options.quiet) return;
    if (p.kind == FormatKind::kFmt) {
        detail::Put(p.buf, p.fmt->header());
        detail::PutChar(p.buf, '\n');
    } else if (p.kind == FormatKind::kCsv) {
        detail::Put(p.buf, detail::CsvHeader());
        detail::PutChar(p.buf, '\n');
    }
}

void Printer::Begin() {
    Impl& p = *impl_;
    p.list_count = 0;
    if (p.kind == FormatKind::kJson) {
        // The array brackets stay with -q: -q drops the summary, never the document's
        // syntax (nfdump 1.7.1 drops them; docs/compatibility.md).
        detail::Put(p.buf, "[\n");
        return;
    }
    PrintHeader();
}

void Printer::Print(const FlowRecord& rec, std::string_view label) {
    Print(rec, impl_->count + 1, label);
}

void Printer::Print(const FlowRecord& rec, uint64_t record_number, std::string_view label) {
    Impl& p = *impl_;
    ++p.count;
    detail::RecordContext ctx;
    ctx.options = &p.options;
    ctx.count = record_number;
    ctx.label = label;
    switch (p.kind) {
        case FormatKind::kFmt:
            p.fmt->Append(p.buf, rec, ctx);
            break;
        case FormatKind::kCsv:
            detail::AppendCsv(p.buf, rec);
            break;
        case FormatKind::kJson:
            // nfdump 1.7.1 separates objects by ",\n" and closes the last one with "]".
            if (++p.list_count > 1) detail::Put(p.buf, ",\n");
            detail::AppendJson(p.buf, rec, ctx, false);
            break;
        case FormatKind::kNdjson:
            detail::AppendJson(p.buf, rec, ctx, true);
            detail::PutChar(p.buf, '\n');
            break;
        case FormatKind::kPipe:
            detail::AppendPipe(p.buf, rec);
            break;
        case FormatKind::kRaw:
            detail::AppendRaw(p.buf, rec, ctx);
            break;
        case FormatKind::kNull:
            break;
    }
    p.MaybeFlush();
}

bool Printer::numbers_records() const {
    const Impl& p = *impl_;
    return p.kind == FormatKind::kJson || p.kind == FormatKind::kRaw ||
           (p.kind == FormatKind::kFmt && p.fmt->uses_count());
}

void Printer::PrintText(std::string_view text) {
    Impl& p = *impl_;
    if (text.size() < kFlushBytes) {
        detail::Put(p.buf, text);
        p.MaybeFlush();
        return;
    }
    // Large text goes out as it is, after what is buffered.
    (void)p.Flush();
    p.Write(text.data(), text.size());
}

void Printer::EndList() {
    Impl& p = *impl_;
    if (p.kind == FormatKind::kJson) detail::Put(p.buf, "]\n");
}

Status Printer::Finish(const Summary& summary, const RunInfo& run) {
    Impl& p = *impl_;
    // ndjson stays a valid stream of objects, and json with -q a valid (empty) array; without
    // -q json keeps nfdump's marker line inside the brackets, which consoles look for.
    const bool quiet_json = p.kind == FormatKind::kJson && p.options.quiet;
    if (run.passed == 0 && p.kind != FormatKind::kNdjson && !quiet_json) {
        detail::Put(p.buf, "No matching flows\n");
    }
    EndList();

    bool has_summary = p.kind == FormatKind::kFmt || p.kind == FormatKind::kRaw ||
                       p.kind == FormatKind::kNull || p.kind == FormatKind::kCsv;
    if (has_summary && !p.options.quiet) {
        AppendSummary(p.buf, summary, run, p.options.plain_numbers, p.kind == FormatKind::kCsv);
    }
    return p.Flush();
}

Status Printer::Flush() { return impl_->Flush(); }

namespace {

// The format of `formats` (may be null) named `name` (lower case), or null.
const UserFormat* FindUserFormat(const UserFormats* formats, std::string_view name) {
    if (formats == nullptr) return nullptr;
    for (const UserFormat& f : *formats) {
        if (f.name == name) return &f;
    }
    return nullptr;
}

// What a format argument selects, before a Printer exists.
struct Selection {
    FormatKind kind = FormatKind::kFmt;
    OutputOptions options;
    std::optional<detail::FmtFormat> fmt;
};

Result<Selection> SelectFormat(std::string_view format, const OutputOptions& options) {
    Selection sel;
    sel.options = options;

    std::string_view fmt_text;
    bool is_fmt = false;
    if (format.size() >= 4 && Lower(format.substr(0, 4)) == "fmt:") {
        fmt_text = format.substr(4);
        if (fmt_text.empty()) {
            return Status::InvalidArgument(
                "Missing format description for user defined output format!");
        }
        is_fmt = true;
    } else if (!format.empty() && format[0] == '%') {
        fmt_text = format;
        is_fmt = true;
    } else {
        std::string name = Lower(format);
        // A configured format of the name comes first, then the built-in ones. A name longer
        // than 2 characters ending in '6' is the long-IPv6 variant of the name without it.
        const UserFormat* user = FindUserFormat(options.formats, name);
        if (user == nullptr && name.size() > 2 && name.back() == '6') {
            sel.options.long_v6 = true;
            name.pop_back();
            user = FindUserFormat(options.formats, name);
        }
        std::string_view predefined = detail::PredefinedFormat(name);
        if (user != nullptr) {
            if (user->text.empty()) {
                return Status::InvalidArgument("Missing format description for user defined "
                                               "output format '" + user->name + "'!");
            }
            fmt_text = user->text;
            is_fmt = true;
        } else if (!predefined.empty()) {
            fmt_text = predefined;
            is_fmt = true;
        } else if (name == "raw") {
            sel.kind = FormatKind::kRaw;
        } else if (name == "csv") {
            sel.kind = FormatKind::kCsv;
        } else if (name == "json") {
            sel.kind = FormatKind::kJson;
        } else if (name == "ndjson") {
            sel.kind = FormatKind::kNdjson;
        } else if (name == "pipe") {
            sel.kind = FormatKind::kPipe;
        } else if (name == "null") {
            sel.kind = FormatKind::kNull;
        } else {
            return Status::InvalidArgument("Unknown output mode '" + std::string(format) + "'");
        }
    }
    if (is_fmt) {
        sel.kind = FormatKind::kFmt;
        auto compiled =
            detail::FmtFormat::Compile(fmt_text, sel.options.long_v6, options.formats);
        if (!compiled.ok()) return compiled.status();
        sel.fmt.emplace(std::move(compiled.value()));
    }
    return sel;
}

}  // namespace

Result<Printer> CreatePrinter(std::string_view format, const OutputOptions& options, FILE* out) {
    auto sel = SelectFormat(format, options);
    if (!sel.ok()) return sel.status();
    auto impl = std::make_unique<Printer::Impl>();
    impl->kind = sel->kind;
    impl->options = sel->options;
    impl->fmt = std::move(sel->fmt);
    impl->file = out;
    return Printer(std::move(impl));
}

Result<Printer> CreatePrinter(std::string_view format, const OutputOptions& options,
                              std::string* out) {
    auto sel = SelectFormat(format, options);
    if (!sel.ok()) return sel.status();
    auto impl = std::make_unique<Printer::Impl>();
    impl->kind = sel->kind;
    impl->options = sel->options;
    impl->fmt = std::move(sel->fmt);
    impl->str = out;
    return Printer(std::move(impl));
}

}  // namespace flow::output
