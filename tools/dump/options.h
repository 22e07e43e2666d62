// SPDX-License-Identifier: BSD-2-Clause
// flowdump's parsed command line: nfdump's options, in the meaning nfdump 1.7 gives them.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "flow/aggregate.h"
#include "flow/filter.h"
#include "flow/nffile.h"
#include "flow/output.h"
#include "flow/select.h"

namespace flowdump {

struct Options {
    flow::FileSelection selection;
    std::optional<std::string> time_window;  // -t
    std::string filter_text;                 // the words after the options, or -f FILE
    std::string filter_file;                 // -f, for messages
    std::string format;                      // -o; empty = default
    flow::output::OutputOptions output;
    uint64_t limit = 0;                // -c: stop after this many passed records
    std::string write_path;            // -w
    std::optional<flow::Codec> codec;  // -z/-y/-j/-z=
    int codec_level = 0;
    bool info = false;                             // -I
    std::string verify_path;                       // -v FILE
    std::string exporters_path;                    // -E FILE
    std::string extension_maps_path;               // -x FILE
    std::string new_ident;                         // -i
    // -J: recompress the selected files in place with this codec (and codec_level).
    std::optional<flow::Codec> recompress;
    bool gnuplot = false;  // -g
    bool check_filter = false;                     // -Z
    bool dump_filter = false;                      // -X
    std::vector<flow::aggregate::StatSpec> stats;  // -s, in command-line order
    size_t top_n = 10;                             // -n: rows per table; 0 = all
    bool top_n_given = false;                      // -n seen: limits -a/-A output too
    bool aggregate = false;                        // -a or -A
    flow::aggregate::AggregateSpec aggregation;    // -A keys, or five_tuple for -a
    flow::aggregate::RecordOrderSpec order;        // -O
    // -s record[/orders]: the orders (canonical sequence) and how many element statistics
    // print before it (0: nfdump 1.7.1 prints it first); empty orders = no -s record.
    std::vector<flow::aggregate::RecordOrderSpec> record_orders;
    size_t record_position = 0;
    // -l / -L: packet and byte limits of element statistic rows ("+N"/"N" above, "-N" below).
    std::optional<std::string> packet_limit;
    std::optional<std::string> byte_limit;
    std::optional<std::string> post_filter_text;        // -P
    std::shared_ptr<flow::filter::Filter> post_filter;  // -P compiled: applied to groups
    uint64_t stat_packet_limit = 0;  // parsed -l; 0 = none
    bool stat_packets_below = false;
    uint64_t stat_byte_limit = 0;    // parsed -L
    bool stat_bytes_below = false;
};

// Version line in the shape console installers parse: the first three numbers are the
// nfdump release whose behaviour flowkit reproduces.
inline constexpr const char* kCompatVersion = "1.7.4";

}  // namespace flowdump
