// SPDX-License-Identifier: BSD-2-Clause
// flow::output: prints flow records the way nfdump 1.7.1 does (-o line/long/extended/biline/
// bilong/nsel/nel/raw/csv/json/ndjson/pipe/null and fmt:<tokens>), plus the header line, the
// "No matching flows" line and the summary block of a listing run. Statistics tables (-s)
// and -I/-v/-E info output are not printed here.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flow/record.h"
#include "flow/status.h"

namespace flow::output {

// How a name lookup ended.
enum class NameStatus {
    kNoTable,   // the exporter has no such table: nothing is printed
    kNotFound,  // the table lacks the id: printed as nfdump's " <ingress not found>"
    kFound,     // printed as " " + name (the name may be empty)
};

// Optional name tables from the files' metadata, used by %inam %onam %ivrfnam %evrfnam
// %nbnam and by the raw format. A null function pointer means "no table". An id of 0 never
// triggers a lookup (nfdump prints nothing for it). The callbacks are called once per record
// that prints such a field, from the printing thread; a returned view must stay valid until
// the next call.
struct NameLookup {
    void* context = nullptr;
    // Interface name of `ifindex` at exporter `sysid`.
    NameStatus (*interface_name)(void* context, uint16_t sysid, uint32_t ifindex,
                                 std::string_view* name) = nullptr;
    // VRF name of `vrf_id` at exporter `sysid`.
    NameStatus (*vrf_name)(void* context, uint16_t sysid, uint32_t vrf_id,
                           std::string_view* name) = nullptr;
    // Application name of the NBAR id bytes `app`/`len`; an empty view prints "<no info>".
    std::string_view (*nbar_name)(void* context, const uint8_t* app, size_t len) = nullptr;
};

// A format defined by name outside flowkit, as an `fmt.<name> = "<text>"` line of
// nfdump.conf (flow/nfconf.h). Such names are looked up before the built-in ones, by -o and
// by %<name> inside a format, so they may redefine `line`, `csv` and the others.
struct UserFormat {
    std::string name;  // lower case
    std::string text;  // fmt text, without "fmt:"; may be empty (refused when selected)
};
using UserFormats = std::vector<UserFormat>;

// Command-line switches that change how records and summaries look.
struct OutputOptions {
    bool plain_numbers = false;  // -N: no M/G/T scaling, %td in seconds, %pr as a number
    bool long_v6 = false;        // -6: IPv6 addresses in full, 39 wide (same as a `6` suffix)
    bool tag_addresses = false;  // -T: a 0x01 byte right before every IP address field
    bool quiet = false;          // -q: no header line, no summary block
    NameLookup names;            // optional lookups, see NameLookup
    // Named formats of a configuration file, or null; must outlive every Printer made.
    const UserFormats* formats = nullptr;
};

// What a format name selected. Every fmt-based format (line, long, extended, biline, bilong,
// nsel, nel, gline, glong, fmt:...) is kFmt.
enum class FormatKind { kFmt, kRaw, kCsv, kJson, kNdjson, kPipe, kNull };

// Totals over the records that passed the filter, kept the way nfdump 1.7.1 keeps them for
// the "Summary:" line: flows += the record's flow count (aggregated records count all their
// flows; a count of 0, as some 1.6 files store, counts as 1), bytes and packets add the in
// and the out counters, first/last are the min start and max end in ms. Add() is a handful
// of adds and compares: call it once per passed (with aggregation, once per printed) record.
// Plain data, thread-compatible.
struct Summary {
    uint64_t flows = 0;
    uint64_t bytes = 0;
    uint64_t packets = 0;
    uint64_t first_ms = UINT64_MAX;  // UINT64_MAX while no record was added
    uint64_t last_ms = 0;

    void Add(const FlowRecord& rec) {
        flows += rec.flows != 0 ? rec.flows : 1;
        bytes += rec.bytes + rec.out_bytes;
        packets += rec.packets + rec.out_packets;
        if (rec.first_ms < first_ms) first_ms = rec.first_ms;
        if (rec.last_ms > last_ms) last_ms = rec.last_ms;
    }
    void Merge(const Summary& other);
    bool empty() const { return flows == 0; }
};

// CPU and wall time of a run, in seconds, for the last summary line.
struct Timing {
    double sys_s = 0;
    double user_s = 0;
    double wall_s = 0;     // time spent reading/processing records
    double runtime_s = 0;  // time since the run started
};

// Measures a run: construct it when processing starts, call Stop() when it ends. Uses
// getrusage(RUSAGE_SELF) and CLOCK_MONOTONIC. Thread-compatible.
class RunTimer {
public:
    RunTimer();
    // Timing since construction; may be called more than once.
    Timing Stop() const;

private:
    double start_wall_s_ = 0;
    double start_user_s_ = 0;
    double start_sys_s_ = 0;
};

// Facts about the whole run that the summary block prints besides the totals.
struct RunInfo {
    uint64_t processed = 0;       // records read ("Total flows processed")
    uint64_t passed = 0;          // records that passed the filter; 0 prints "No matching flows"
    uint64_t blocks_skipped = 0;  // data blocks skipped
    uint64_t bytes_read = 0;      // sum of the data block sizes read
    // "Time window:" from the stat records of the opened files (epoch seconds, clipped to -t
    // by the caller). A zero end prints "<unknown>", a zero start with a
    // known end "Time Window unknown", as nfdump 1.7.1 does.
    uint64_t window_first_s = 0;
    uint64_t window_last_s = 0;
    Timing timing;
};

// Prints one listing: Begin(), Print() per record, Finish(). Not thread-safe; one Printer per
// output stream. Text is collected in an internal buffer and written to the destination in
// large chunks; the first write error is kept and returned by Flush()/Finish() (later output
// is dropped). The destination FILE* (or string) must outlive the Printer; the Printer does
// not close it. Move-only.
class Printer {
public:
    Printer(Printer&&) noexcept;
    Printer& operator=(Printer&&) noexcept;
    ~Printer();  // flushes, ignoring errors

    FormatKind kind() const;

    // Starts the listing: the header line (fmt formats, csv), or `[` for json. Prints nothing
    // when quiet, except what nfdump prints even then (nothing for 1.7.1 record formats).
    void Begin();

    // Prints the header line alone (fmt and csv formats; nothing for others, nothing when
    // quiet). For callers that print it after their own heading, such as `-s record`.
    void PrintHeader();

    // Prints one record. `label` is the filter label of the record (%lbl, json "label");
    // empty means none. Requires: Begin() was called. No allocation in steady state.
    // %cnt and the raw "RecordCount" show the number of records printed so far.
    void Print(const FlowRecord& rec, std::string_view label = {});

    // Same, with the record's 1-based position among all records read (nfdump's %cnt and raw
    // "RecordCount" count records read, filtered ones included): pass RunInfo::processed.
    void Print(const FlowRecord& rec, uint64_t record_number, std::string_view label = {});

    // Whether a record's text depends on more than the record: its number (%cnt, raw
    // "RecordCount") or its place in the list (json's separators). Records of the other
    // formats may be printed by several Printers and their text joined (PrintText).
    bool numbers_records() const;

    // Appends text another Printer of the same format and options printed (records only,
    // no Begin()), as if its records were printed here. For formats !numbers_records().
    void PrintText(std::string_view text);

    // Ends one list of a run that prints several (each `-s record` table): json closes its
    // array with `]`, and the next Begin() opens a new one; other formats print nothing.
    void EndList();

    // Ends the listing: `No matching flows` when run.passed == 0 (even when quiet; json with
    // -q prints an empty array instead), json `]`,
    // then the summary block unless quiet or the format has none (json, ndjson, pipe).
    // Returns the first write error, if any.
    Status Finish(const Summary& summary, const RunInfo& run);

    // Writes buffered text to the destination. Returns the first write error, if any.
    Status Flush();

private:
    struct Impl;
    explicit Printer(std::unique_ptr<Impl> impl);
    friend Result<Printer> CreatePrinter(std::string_view, const OutputOptions&, FILE*);
    friend Result<Printer> CreatePrinter(std::string_view, const OutputOptions&, std::string*);

    std::unique_ptr<Impl> impl_;
};

// Compiles `format` (an -o argument: a format name, case-insensitive, optionally with a `6`
// suffix; `fmt:<text>`; or a text starting with `%`) into a Printer writing to `out`.
// Fails with InvalidArgument and nfdump's message ("Unknown output mode 'x'",
// "Output format parse error at: %foo", "Missing format description for user defined output
// format!") for a bad format.
Result<Printer> CreatePrinter(std::string_view format, const OutputOptions& options, FILE* out);

// Same, appending all output to `*out` instead of a stream (for tests and embedding).
Result<Printer> CreatePrinter(std::string_view format, const OutputOptions& options,
                              std::string* out);

// The summary block of a text listing as nfdump 1.7.1 prints it: the "Summary:" line, the
// "Time window:" line, the "Total flows processed:" line and the timing line, each ending
// in '\n'. With `csv` it is the three-line csv block ("Summary", column names, values).
// For callers that print their own tables (statistics) before it.
std::string FormatSummary(const Summary& summary, const RunInfo& run, bool plain_numbers, bool csv);

}  // namespace flow::output
