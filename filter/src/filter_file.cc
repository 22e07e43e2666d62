// SPDX-License-Identifier: BSD-2-Clause
// Filter files (`-f`): reading them and expanding nfdump's `@include <file>` lines.
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "flow/filter.h"

namespace flow::filter {
namespace {

constexpr int kMaxIncludeDepth = 10;

Status ReadOne(const std::string& path, int depth, std::string* out,
               std::vector<SourceLine>* lines) {
    if (depth > kMaxIncludeDepth) {
        return Status::InvalidArgument("filter file '" + path + "': @include nested deeper than " +
                                       std::to_string(kMaxIncludeDepth) + " levels");
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Status::IoError("failed to open filter file '" + path +
                               "': " + std::strerror(errno));
    }
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line.compare(start, 8, "@include") != 0) {
            *out += line;
            *out += '\n';
            if (lines != nullptr) lines->push_back({path, static_cast<uint32_t>(line_no)});
            continue;
        }
        size_t name_start = line.find_first_not_of(" \t\r", start + 8);
        size_t name_end = line.find_last_not_of(" \t\r");
        if (name_start == std::string::npos || name_start == start + 8) {
            return Status::InvalidArgument("filter file '" + path + "' line " +
                                           std::to_string(line_no) +
                                           ": @include needs a file name");
        }
        std::string name = line.substr(name_start, name_end - name_start + 1);
        Status st = ReadOne(name, depth + 1, out, lines);
        if (!st.ok()) return st;
    }
    if (in.bad()) {
        return Status::IoError("failed to read filter file '" + path +
                               "': " + std::strerror(errno));
    }
    // The end of the text (where "filter ends too early" points) is the end of the file
    // given to -f, on the line after its last one.
    if (depth == 0 && lines != nullptr) {
        lines->push_back({path, static_cast<uint32_t>(line_no + 1)});
    }
    return Status::Ok();
}

}  // namespace

Result<std::string> ReadFilterFile(const std::string& path, std::vector<SourceLine>* lines) {
    std::string text;
    if (lines != nullptr) lines->clear();
    Status st = ReadOne(path, 0, &text, lines);
    if (!st.ok()) return st;
    return text;
}

}  // namespace flow::filter
