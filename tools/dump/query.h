// SPDX-License-Identifier: BSD-2-Clause
// flowdump's run modes after option parsing: the listing, -I file statistics, -v checks and
// the -E exporter list.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "flow/filter.h"
#include "flow/select.h"
#include "options.h"

namespace flowdump {

// Lists (or with -w writes) the records of `files` that lie in `window` and pass `filter`.
// Returns the process exit code.
int RunQuery(const Options& options, const std::vector<std::string>& files,
             const flow::filter::Filter& filter, const std::optional<flow::TimeWindow>& window);

// -I: the stat records of `files` summed, in nfdump's layout.
int RunFileInfo(const std::vector<std::string>& files);

// -v FILE: header facts and a walk over every block.
int RunVerify(const std::string& path);

// Prints a reader or file error on stderr as one line naming the file once.
void FileError(const std::string& path, const flow::Status& s);

// -E FILE: the exporters and samplers the file describes (exporters.cc).
int RunExporterList(const std::string& path);

// -x FILE: the extension maps of an nfdump 1.6 file, in file order; 0, or 1 when the file
// could not be read whole.
int RunExtensionMaps(const std::string& path);

// -g: per file, the slot time of its name and its stat record's flows, packets and bytes
// (gnuplot.cc).
int RunGnuplot(const std::vector<std::string>& files);

}  // namespace flowdump
