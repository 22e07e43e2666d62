// SPDX-License-Identifier: BSD-2-Clause
// flow::filter::Filter: nfdump 1.7's filter language (plus the tcpdump forms operators type)
// compiled once into a flat program and matched against FlowRecords. The language is
// described in docs/filter.md; this header is the whole public API of the flowfilter target.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "flow/record.h"
#include "flow/status.h"

namespace flow::filter {

namespace detail {
struct Program;
}  // namespace detail

// Where one line of the text ReadFilterFile() returns was read from.
struct SourceLine {
    std::string file;  // the filter file, or the file an `@include` pulled in
    uint32_t line = 0;  // 1-based line number in `file`
};

// Settings that change how a filter text is read. All optional.
struct CompileOptions {
    // Where the text came from, for messages: empty for the command line, else a file name
    // (`-f file`); messages then start with "file '<name>' line N" instead of "line N".
    std::string source_name;
    // For text from ReadFilterFile(): where each of its lines came from (index = line - 1),
    // so that a message names the included file and the line in it. Lines it does not
    // cover are reported with `source_name` and their line in the text.
    std::vector<SourceLine> line_sources;
    // The ident the `ident` primitive compares against until SetIdent() changes it.
    std::string ident;
    // Host names in `ip`/`host`/`net` primitives are resolved at compile time with
    // getaddrinfo() when true. When false a host name is an error ("unknown host").
    bool resolve_names = true;
    // Whether Match() may run the evaluator specialised for filters of plain field, flags,
    // address and family tests (it gives the same results). Tests turn it off to compare.
    bool fast_evaluator = true;
};

// Per-record facts that are not part of the record itself.
struct MatchContext {
    // 1-based sequence number of the record in the read stream (`count` primitive);
    // 0 when the caller does not count.
    uint64_t count = 0;
};

// A compiled filter. Compile once, then Match() any number of records.
//
// Thread safety: Match() and the const accessors may be called from many threads at once.
// SetIdent() mutates the filter and needs exclusive access. Copying is cheap (the program is
// shared, immutable) except that each copy keeps its own ident state.
class Filter {
public:
    // The filter that matches everything (same as Compile("")).
    Filter();

    // Compiles `text`. Empty or whitespace/comment-only text matches every record (nfdump's
    // `any`). On failure returns InvalidArgument with a one-line message of the form
    //   line 1, column 7: unknown protocol 'foo' (expected a name such as tcp or 0..255)
    // naming the offending token and what was expected; `source_name` prefixes it with
    // "file '<name>' ". Never throws except std::bad_alloc. `text` need not outlive the
    // Filter.
    static Result<Filter> Compile(std::string_view text);
    static Result<Filter> Compile(std::string_view text, const CompileOptions& options);

    // Syntax and semantic check only, for nfdump's `-Z`: OK or the Compile() error.
    static Status Check(std::string_view text, const CompileOptions& options = {});

    // True if `rec` passes the filter. No allocation, no virtual call. The `count` primitive
    // sees 0 in the one-argument form; use the MatchContext form when counting records.
    bool Match(const FlowRecord& rec) const;
    bool Match(const FlowRecord& rec, const MatchContext& ctx) const;

    // Like Match(), and on a match sets `*label` to the flow label of the last labelled
    // sub-expression on the path that decided the match (`(expr) %NAME` or `%NAME (expr)`),
    // or to an empty view when none applied. The view points into this Filter and stays
    // valid while the Filter lives. `label` may be null.
    bool Match(const FlowRecord& rec, const MatchContext& ctx, std::string_view* label) const;

    // Sets the ident the `ident` primitive compares against (call when a new input file is
    // opened). Cheap: the comparisons are evaluated here once, not per record.
    void SetIdent(std::string_view ident);

    // True if the filter is constant-true (empty text, `any`, or folded to true), so callers
    // may skip Match() entirely.
    bool matches_all() const;
    // True if the filter uses `count`, so callers know to pass a MatchContext.
    bool uses_count() const;
    // True if the filter uses `ident`.
    bool uses_ident() const;
    // True if any sub-expression carries a flow label.
    bool has_labels() const;
    // True if Match() runs the specialised evaluator (see CompileOptions::fast_evaluator).
    bool fast_evaluator() const;
    // Which evaluator Match() runs: "general", or a fast form, "one-test", "chain" (and- or
    // or-chains of tests) or "jumps". For tests.
    const char* evaluator_name() const;
    // The record elements (bits 1 << ElementId, as FlowRecord::present) whose fields Match()
    // reads; 0 for a constant filter. A reader may leave every other element undecoded
    // (ReaderOptions::elements). The header fields (engine, exporter sysid, flags) belong to
    // no element and are always decoded.
    uint64_t elements_read() const;

    // The compiled program as text, one instruction a line, for nfdump's `-X` and for tests.
    // Stable enough to compare in tests: two filters that compile to the same program give
    // the same text.
    std::string Dump() const;

    // The original filter text as given to Compile().
    const std::string& text() const;

private:
    explicit Filter(std::shared_ptr<const detail::Program> program);

    std::shared_ptr<const detail::Program> program_;
    // Per-ident-primitive results, recomputed by SetIdent(); indexed by the primitive's slot.
    std::vector<uint8_t> ident_results_;
};

// Reads a filter file for nfdump's `-f`: its text with every line of the form
// `@include <path>` replaced by the contents of that file (includes nest up to 10 deep; a
// relative path is taken from the current directory, as nfdump does). The result goes to
// Compile() with CompileOptions::source_name set to `path`; when `lines` is not null it
// receives the origin of every line of the result, plus one entry for the end of the text
// (the line after the last one of `path`), for CompileOptions::line_sources.
// Errors: IoError naming the file and the strerror text when a file cannot be read;
// InvalidArgument when includes nest deeper than 10 or an `@include` line names no file.
Result<std::string> ReadFilterFile(const std::string& path,
                                   std::vector<SourceLine>* lines = nullptr);

}  // namespace flow::filter
