// SPDX-License-Identifier: BSD-2-Clause
// Internal interface between the Printer and the per-format record writers: the compiled
// fmt: format and the fixed csv, json, pipe and raw layouts. Each appends one record's text
// to a reused buffer.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flow/output.h"
#include "flow/record.h"
#include "flow/status.h"
#include "output/text_buffer.h"

namespace flow::output::detail {

// What a record writer may need besides the record.
struct RecordContext {
    const OutputOptions* options = nullptr;
    uint64_t count = 0;      // 1-based number of this record among those read (%cnt)
    std::string_view label;  // filter label, empty for none
};

// The predefined fmt formats of nfdump 1.7.1, for format selection and %name expansion.
// Returns an empty view for an unknown name (compared case-insensitively).
std::string_view PredefinedFormat(std::string_view name);

// A fmt: format compiled once into a list of token operations.
class FmtFormat {
public:
    // Parses `text` (without the "fmt:" prefix). `long_v6` widens address columns to 39.
    // %<name> of a format in `user` (may be null) or a built-in one is replaced by its text.
    // InvalidArgument "Output format parse error at: <rest>" on an unknown token.
    static Result<FmtFormat> Compile(std::string_view text, bool long_v6,
                                     const UserFormats* user = nullptr);

    // The header line without the trailing newline.
    const std::string& header() const { return header_; }

    // Appends the record's line including the trailing newline.
    void Append(Buffer& out, const FlowRecord& rec, const RecordContext& ctx) const;

    // Whether the format prints the record number (%cnt).
    bool uses_count() const;

    struct Op {
        uint16_t token = 0;    // token id; 0 = literal text
        uint16_t arg = 0;      // token argument (MPLS label index)
        uint32_t lit_off = 0;  // literal: offset into literals_
        uint32_t lit_len = 0;
    };

private:
    std::vector<Op> ops_;
    std::string literals_;
    std::string header_;
    bool long_v6_ = false;
};

// Legacy 48-column csv (nfdump 1.6 .. 1.7.4).
std::string_view CsvHeader();
void AppendCsv(Buffer& out, const FlowRecord& rec);
// The csv Summary block's lines.
void AppendCsvSummary(Buffer& out, const Summary& summary);

// One json object in nfdump 1.7.1's layout ("{\n\t\"key\" : value,\n ... }", no newline after
// the closing brace). With `compact` the same keys on one line ("{"key":value,...}").
void AppendJson(Buffer& out, const FlowRecord& rec, const RecordContext& ctx, bool compact);

// One `|`-separated pipe line with newline.
void AppendPipe(Buffer& out, const FlowRecord& rec);

// One raw record block (blank line, "Flow Record: ", one line per field).
void AppendRaw(Buffer& out, const FlowRecord& rec, const RecordContext& ctx);

// Appends what nfdump prints after an interface or VRF id: nothing, " <ingress not found>"
// or " " + name (see NameLookup).
void AppendName(Buffer& out, NameStatus (*lookup)(void*, uint16_t, uint32_t, std::string_view*),
                const OutputOptions& options, uint16_t sysid, uint32_t id);

// Text of the summary line of a listing, the averages computed as nfdump does.
struct Averages {
    uint64_t bps = 0;
    uint64_t pps = 0;
    uint64_t bpp = 0;
};
Averages ComputeAverages(const Summary& summary);

}  // namespace flow::output::detail
