// SPDX-License-Identifier: BSD-2-Clause
// flowdump: queries nfdump files with nfdump's command line. This file turns argv into
// Options the way nfdump's getopt does (bundling, glued values, options after the filter)
// and dispatches to the run modes in query.cc.
#include <getopt.h>
#include <strings.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "flow/filter.h"
#include "flow/nfconf.h"
#include "flow/nffile.h"
#include "options.h"
#include "query.h"

namespace {

const char kUsage[] =
    "usage flowdump [options] [\"filter\"]\n"
    "-h\t\tthis text you see right here\n"
    "-V\t\tPrint version and exit.\n"
    "-r <file|dir>\tread input from file or directory\n"
    "-R <expr>\tread input from a sequence of files: dir, dir/file, dir/first:last\n"
    "-M <expr>\tread input from multiple directories: /base/dir1:dir2:dir3\n"
    "-t <time>\ttime window: yyyy/MM/dd.hh:mm:ss[-yyyy/MM/dd.hh:mm:ss]\n"
    "-f <file>\tread the filter from file\n"
    "-c <num>\tstop after <num> records passed the filter\n"
    "-o <mode>\toutput: raw, line, long, extended, biline, bilong, pipe, csv, json,\n"
    "\t\tndjson, nsel, nel, null, fmt:<format>; a 6 suffix prints full IPv6\n"
    "-q\t\tquiet: no header and no summary\n"
    "-N\t\tprint plain numbers\n"
    "-6\t\tprint full IPv6 addresses\n"
    "-T\t\tmark IP addresses with a 0x01 byte\n"
    "-w <file>\twrite the passed records to a file\n"
    "-z, -y, -j\tcompress -w output with LZO, LZ4, BZ2; -z=lzo|lz4|bz2|zstd[:level]\n"
    "-s <stat>[:p][/order]\tTop-N statistics of an element: srcip, dstip, ip, srcport,\n"
    "\t\tdstport, port, proto, srcas, dstas, as, inif, outif, if, router, ...;\n"
    "\t\torders flows, packets, bytes, pps, bps, bpp (and i/o variants)\n"
    "-l, -L [+|-]N\tshow only -s rows above (-: below) N packets (-l) or bytes (-L)\n"
    "-n <num>\trows per statistics table (default 10, 0 = all) or aggregated records\n"
    "-a\t\taggregate records by proto, addresses and ports\n"
    "-b, -B\t\taggregate a flow and its reverse into one (-B: server->client first "
    "swapped)\n"
    "-A <keys>\taggregate by keys: proto, srcip, dstip, srcport, dstport, srcip4/N,\n"
    "\t\tdstip4/N, srcip6/N, dstip6/N, srcas, dstas, inif, outif, router, ...\n"
    "-O <order>\tsort aggregated records: flows, packets, bytes, pps, bps, bpp, tstart,\n"
    "\t\ttend, duration (:a or :d for the direction)\n"
    "-m\t\tsort the records by first seen (the same as -O tstart)\n"
    "-P <filter>\tfilter the aggregated records (with -a, -A, -b or -B)\n"
    "-I\t\tprint the statistics of the selected files\n"
    "-g\t\tprint the selected files' counters as gnuplot data\n"
    "-E <file>\tlist the exporters and samplers of a file\n"
    "-J <codec>\trecompress the selected files in place: 0..4 or none, lzo, bz2, lz4, zstd\n"
    "-v <file>\tverify a file\n"
    "-x <file>\tlist the extension maps of an nfdump 1.6 file\n"
    "-i <ident>\tchange the ident of the -r file\n"
    "-Z\t\tcheck the filter syntax and exit\n"
    "-X\t\tprint the compiled filter and exit\n"
    "-C <file>\tread the fmt.<name> formats of this nfdump.conf (none: no file)\n"
    "-G <geodb>, -D <dns>\taccepted and ignored (no geo database; the system's resolver)\n";

// A count without sign. False for anything else; then errno is ERANGE for a number past
// 2^64-1.
bool ParseCount(const char* text, uint64_t* out) {
    char* end = nullptr;
    errno = 0;
    unsigned long long v = std::strtoull(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || text[0] == '-') return false;
    *out = v;
    return true;
}

// -l / -L value: [+|-]N[.F][k|K|m|M|g|G|b|B], the suffixes 1000-based. A fraction is taken
// when the scaled value is whole (1.5M = 1500000; nfdump 1.7.1 reads it as 1M). False with
// nfdump's message on stdout for anything else, and for values past 2^64-1 (which would
// wrap to a small limit).
bool ParseLimit(const std::string& text, uint64_t* value, bool* below) {
    size_t i = 0;
    *below = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) *below = text[i++] == '-';
    auto is_digit = [&](size_t k) { return k < text.size() && text[k] >= '0' && text[k] <= '9'; };
    const size_t digits = i;
    uint64_t v = 0;
    while (is_digit(i) && v < UINT64_MAX / 10 - 9) {
        v = v * 10 + static_cast<uint64_t>(text[i++] - '0');
    }
    if (i == digits) {
        std::printf("Can't understand '%s'\n", text.c_str());
        return false;
    }
    // The fraction's digits, as a numerator over 10^n.
    size_t dot = std::string::npos;
    uint64_t frac = 0, frac_div = 1;
    if (i < text.size() && text[i] == '.' && is_digit(i + 1)) {
        dot = i++;
        while (is_digit(i) && frac_div < 1000000000000ULL) {
            frac = frac * 10 + static_cast<uint64_t>(text[i++] - '0');
            frac_div *= 10;
        }
    }
    uint64_t scale = 1;
    if (i < text.size()) {
        switch (text[i]) {
            case 'k':
            case 'K':
                scale = 1000;
                break;
            case 'm':
            case 'M':
                scale = 1000 * 1000;
                break;
            case 'g':
            case 'G':
                scale = 1000 * 1000 * 1000;
                break;
            case 'b':
            case 'B':
                scale = 1;
                break;
            default:
                scale = 0;
        }
        if (scale == 0 || i + 1 != text.size()) {
            std::printf("Can't understand '%c' in '%s'\n", text[i], text.c_str());
            return false;
        }
    }
    const unsigned __int128 scaled_frac = static_cast<unsigned __int128>(frac) * scale;
    const unsigned __int128 whole =
        static_cast<unsigned __int128>(v) * scale + scaled_frac / frac_div;
    if (dot != std::string::npos && scaled_frac % frac_div != 0) {
        std::printf("Can't understand '%c' in '%s'\n", text[dot], text.c_str());
        return false;
    }
    if (whole > UINT64_MAX) {
        std::printf("Can't understand '%s': number too large\n", text.c_str());
        return false;
    }
    *value = static_cast<uint64_t>(whole);
    return true;
}

// An option of the getopt string below without a case of its own (none today).
int NotYet(char opt) {
    std::fprintf(stderr, "flowdump: option -%c is not supported yet\n", opt);
    return 1;
}

int Run(int argc, char** argv) {
    flowdump::Options opt;
    std::vector<char*> args(argv, argv + argc);

    // -z=NAME[:LEVEL] is not a getopt form; take it out first.
    for (size_t i = 1; i < args.size(); ++i) {
        if (std::strncmp(args[i], "-z=", 3) != 0) continue;
        std::string spec = args[i] + 3;
        auto codec = flow::ParseCodec(spec.substr(0, spec.find(':')));
        if (!codec.ok()) {
            std::fprintf(stderr, "Unknown compression '%s'\n", spec.c_str());
            return 1;
        }
        opt.codec = *codec;
        if (spec.find(':') != std::string::npos) {
            // As flowcapd: a level from 0 to 22 (zstd; LZ4-HC takes 1..12), nothing else.
            const char* text = spec.c_str() + spec.find(':') + 1;
            char* end = nullptr;
            long level = std::strtol(text, &end, 10);
            if (end == text || *end != '\0' || level < 0 || level > 22) {
                std::fprintf(stderr, "Invalid compression level in '%s'\n", spec.c_str());
                return 1;
            }
            opt.codec_level = static_cast<int>(level);
        }
        args.erase(args.begin() + static_cast<long>(i));
        --i;
    }
    int nargs = static_cast<int>(args.size());
    args.push_back(nullptr);

    bool any_input = false;
    std::string record_order_list;  // the orders of every -s record so far
    bool bidir_given = false;       // -b or -B
    bool custom_keys_given = false;  // -A
    std::string config_path;         // -C: nfdump.conf, or "none"
    int c;
    while ((c = ::getopt(nargs, args.data(),
                         "6aA:Bbc:C:D:E:G:s:ghn:i:jf:qyzr:v:w:J:M:NImO:P:R:XZt:TVv:x:l:L:o:")) !=
           -1) {
        switch (c) {
            case '6':
                opt.output.long_v6 = true;
                break;
            case 'b':
            case 'B':
                bidir_given = true;
                opt.aggregate = true;
                opt.aggregation.five_tuple = true;
                opt.aggregation.bidirectional = true;
                opt.aggregation.swap_server = c == 'B';
                break;
            case 'a':
                opt.aggregate = true;
                if (opt.aggregation.keys.empty()) opt.aggregation.five_tuple = true;
                break;
            case 'A': {
                // nfdump takes one key list; a second -A is refused rather than silently
                // replacing the first (the keys asked for first would be lost).
                if (custom_keys_given) {
                    std::fprintf(stderr, "Multiple aggregation masks not allowed\n");
                    return 1;
                }
                auto spec = flow::aggregate::ParseAggregateSpec(optarg);
                if (!spec.ok()) {
                    std::fprintf(stderr, "%s\n", spec.status().message().c_str());
                    return 1;
                }
                opt.aggregate = true;
                opt.aggregation = std::move(*spec);
                custom_keys_given = true;
                break;
            }
            case 'O': {
                auto order = flow::aggregate::ParseRecordOrder(optarg);
                if (!order.ok()) {
                    std::fprintf(stderr, "%s\n", order.status().message().c_str());
                    return 1;
                }
                opt.order = *order;
                break;
            }
            case 'c':
                if (!ParseCount(optarg, &opt.limit) || opt.limit == 0) {
                    std::fprintf(stderr, "Option -c needs a number > 0%s, not '%s'\n",
                                 errno == ERANGE ? " and below 2^64" : "", optarg);
                    return 1;
                }
                break;
            case 'f':
                // Read after the options, as nfdump does: the last -f counts, and filter
                // words on the command line replace it (the file is then not opened).
                opt.filter_file = optarg;
                break;
            case 'h':
                std::fputs(kUsage, stdout);
                return 0;
            case 'i':
                opt.new_ident = optarg;
                break;
            case 'I':
                opt.info = true;
                break;
            case 'j':
            case 'y':
            case 'z':
                if (opt.codec) {
                    std::fprintf(stderr,
                                 "Use one compression: -z for LZO, -j for BZ2 or -y for "
                                 "LZ4 compression\n");
                    return 1;
                }
                opt.codec = c == 'j'   ? flow::Codec::kBz2
                            : c == 'y' ? flow::Codec::kLz4
                                       : flow::Codec::kLzo;
                break;
            case 'M':
                opt.selection.multi_dirs = optarg;
                any_input = true;
                break;
            case 'N':
                opt.output.plain_numbers = true;
                break;
            case 'n': {
                uint64_t n = 0;
                if (!ParseCount(optarg, &n)) {
                    std::fprintf(stderr,
                                 "Option -n needs a number of rows, 0 or more%s, not '%s'\n",
                                 errno == ERANGE ? " and below 2^64" : "", optarg);
                    return 1;
                }
                opt.top_n = static_cast<size_t>(n);
                opt.top_n_given = true;
                break;
            }
            case 'o':
                opt.format = optarg;
                break;
            case 'q':
                opt.output.quiet = true;
                break;
            case 'r':
                if (opt.selection.range) {
                    std::fprintf(stderr,
                                 "-r and -R are mutually exclusive. Please specify "
                                 "either -r or -R\n");
                    return 1;
                }
                opt.selection.read_path = optarg;
                any_input = true;
                break;
            case 'R':
                if (opt.selection.read_path) {
                    std::fprintf(stderr,
                                 "-r and -R are mutually exclusive. Please specify "
                                 "either -r or -R\n");
                    return 1;
                }
                if (opt.selection.range) {
                    // nfdump 1.7 reads only the first -R (1.6 only the last); Pandora FMS
                    // passes one per collector and means both, so every -R is read in turn.
                    opt.selection.more_ranges.emplace_back(optarg);
                    break;
                }
                opt.selection.range = optarg;
                any_input = true;
                break;
            case 's': {
                if (strncasecmp(optarg, "record", 6) == 0 &&
                    (optarg[6] == '\0' || optarg[6] == '/' || optarg[6] == ':')) {
                    // The orders parse as an element statistic's; "record" names none.
                    // Every -s record adds its orders to one record statistic, whose
                    // tables print in the canonical order ("record" alone: flows). A
                    // ":flags" word before the orders (record:p) changes nothing, as in
                    // nfdump: a record's key already holds its protocol.
                    const char* rest = optarg + 6;
                    if (*rest == ':') rest += std::strcspn(rest, "/");
                    record_order_list += *rest == '\0' ? "/flows" : rest;
                    auto spec = flow::aggregate::ParseStatSpec("srcip" + record_order_list);
                    auto orders = spec.ok() ? flow::aggregate::RecordOrders(*spec)
                                            : std::vector<flow::aggregate::RecordOrderSpec>();
                    if (orders.empty()) {
                        std::fprintf(stderr, "Unknown stat: '%s'!\n", optarg);
                        return 1;
                    }
                    opt.record_orders = std::move(orders);
                    opt.record_position = 0;  // nfdump prints it before element tables
                    break;
                }
                auto spec = flow::aggregate::ParseStatSpec(optarg);
                if (!spec.ok()) {
                    std::fprintf(stderr, "%s\n", spec.status().message().c_str());
                    return 1;
                }
                opt.stats.push_back(std::move(*spec));
                break;
            }
            case 't':
                opt.time_window = optarg;
                break;
            case 'T':
                opt.output.tag_addresses = true;
                break;
            case 'v':
                opt.verify_path = optarg;
                break;
            case 'E':
                opt.exporters_path = optarg;
                break;
            case 'x':
                opt.extension_maps_path = optarg;
                break;
            case 'V':
                std::printf("%s: Version: %s-flowkit-%s\n", argv[0], flowdump::kCompatVersion,
                            FLOWKIT_VERSION);
                return 0;
            case 'w':
                opt.write_path = optarg;
                break;
            case 'm': {
                // 1.6's "sort by time" (NfSen sent it until 2026); 1.7.1 maps it to -O tstart
                // with a deprecation note on stderr, which flowkit leaves out.
                auto order = flow::aggregate::ParseRecordOrder("tstart");
                if (order.ok()) opt.order = *order;
                break;
            }
            case 'C':
                config_path = optarg;
                break;
            case 'G':
                // NfSen passes `-G none` (no geo database); flowkit has no geo lookup, so the
                // value is accepted and ignored.
                break;
            case 'X':
                opt.dump_filter = true;
                break;
            case 'g':
                opt.gnuplot = true;
                break;
            case 'D':
                // nfdump's resolver for host names in filters; flowdump asks the system's
                // resolver (resolv.conf), so the server named here is not used.
                break;
            case 'J': {
                // 0..4 as nfdump numbers the codecs, or a codec name (none, lzo, bz2, lz4,
                // zstd); the level of -z=NAME:LEVEL applies.
                static constexpr flow::Codec kByNumber[] = {flow::Codec::kNone, flow::Codec::kLzo,
                                                            flow::Codec::kBz2, flow::Codec::kLz4,
                                                            flow::Codec::kZstd};
                if (optarg[0] >= '0' && optarg[0] <= '4' && optarg[1] == '\0') {
                    opt.recompress = kByNumber[optarg[0] - '0'];
                } else if (auto named = flow::ParseCodec(optarg); named.ok()) {
                    opt.recompress = *named;
                } else {
                    std::fprintf(stderr,
                                 "Expected -J <num>, 0: uncompressed, 1: LZO, 2: BZ2, 3: LZ4, "
                                 "4: ZSTD compressed (or none, lzo, bz2, lz4, zstd)\n");
                    return 1;
                }
                break;
            }
            case 'Z':
                opt.check_filter = true;
                break;
            case 'P':
                opt.post_filter_text = optarg;
                break;
            case 'l':
                opt.packet_limit = optarg;
                break;
            case 'L':
                opt.byte_limit = optarg;
                break;
            case '?':
                std::fputs(kUsage, stdout);
                return 0;  // nfdump exits 0 on an unknown option
            default:
                return NotYet(static_cast<char>(c));
        }
    }
    if (bidir_given && custom_keys_given) {
        // -b/-B pair a five-tuple with its reverse; other keys have no reverse.
        std::fprintf(stderr, "Can not set custom aggregation in bidir mode\n");
        return 1;
    }
    if (opt.packet_limit || opt.byte_limit) {
        // Limits apply to element statistics (and are accepted, unused, with -a).
        if (opt.stats.empty() && opt.record_orders.empty() && !opt.aggregate) {
            std::fputs("Options -l and -L do not make sense for plain packet dumps.\n"
                       "Use -l and -L together with -s -S or -a.\n"
                       "Use netflow filter syntax to limit the number of packets and bytes in "
                       "netflow records.\n",
                       stderr);
            return 250;
        }
        // Announced when the query starts (below).
        if (opt.byte_limit &&
            !ParseLimit(*opt.byte_limit, &opt.stat_byte_limit, &opt.stat_bytes_below)) {
            return 250;
        }
        if (opt.packet_limit &&
            !ParseLimit(*opt.packet_limit, &opt.stat_packet_limit, &opt.stat_packets_below)) {
            return 250;
        }
    }
    if (!opt.write_path.empty() && (!opt.stats.empty() || !opt.record_orders.empty())) {
        // nfdump prints the tables and ignores -w; writing every record instead, or silently
        // nothing, would both surprise.
        std::fprintf(stderr, "-s and -w do not go together: -s prints statistics, -w writes "
                             "records (use -A or -a with -w to write aggregated records)\n");
        return 1;
    }
    if (opt.order.order != flow::aggregate::RecordOrder::kNone && !opt.record_orders.empty()) {
        std::fprintf(stderr, "-s record and -O (-m) are mutually exclusive options\n");
        return 1;
    }
    if (opt.order.order != flow::aggregate::RecordOrder::kNone && !opt.aggregate &&
        opt.stats.empty()) {
        // -O alone sorts the listing: every record is its own group.
        opt.aggregate = true;
        opt.aggregation.five_tuple = false;
        opt.aggregation.each_record = true;
    }
    // Every remaining word is part of the filter, joined by single spaces. A filter given on
    // the command line wins over -f.
    std::string words;
    for (int i = optind; i < nargs; ++i) {
        if (!words.empty()) words += ' ';
        words += args[i];
    }
    flow::filter::CompileOptions co;
    if (!words.empty()) {
        opt.filter_text = words;
    } else if (!opt.filter_file.empty()) {
        auto text = flow::filter::ReadFilterFile(opt.filter_file, &co.line_sources);
        if (!text.ok()) {
            // nfdump: a filter file it cannot stat is exit 1, an @include inside it that
            // cannot be opened 255; a filter that does not compile is 254.
            struct stat st;
            std::fprintf(stderr, "%s\n", text.status().message().c_str());
            return ::stat(opt.filter_file.c_str(), &st) != 0 ? 1 : 255;
        }
        opt.filter_text = *text;
        co.source_name = opt.filter_file;
    }
    if (opt.check_filter) {
        flow::Status s = flow::filter::Filter::Check(opt.filter_text, co);
        if (!s.ok()) {
            std::fprintf(stderr, "%s\n", s.message().c_str());
            return 254;
        }
        return 0;
    }
    auto filter = flow::filter::Filter::Compile(opt.filter_text, co);
    if (!filter.ok()) {
        std::fprintf(stderr, "%s\n", filter.status().message().c_str());
        return 254;
    }
    // -P: a filter on the aggregated records (nfdump 1.7.5+), e.g. 'bytes > 10M' on sampled
    // data whose single records are all small.
    if (opt.post_filter_text) {
        if (!opt.aggregate) {
            std::fprintf(stderr, "-P needs aggregation (-a, -A, -b or -B)\n");
            return 255;
        }
        auto post = flow::filter::Filter::Compile(*opt.post_filter_text);
        if (!post.ok()) {
            std::fprintf(stderr, "%s\n", post.status().message().c_str());
            return 254;
        }
        opt.post_filter = std::make_shared<flow::filter::Filter>(std::move(*post));
    }
    if (opt.dump_filter) {
        std::fputs(filter->Dump().c_str(), stdout);
        return 0;
    }
    if (!opt.verify_path.empty()) return flowdump::RunVerify(opt.verify_path);
    if (!opt.exporters_path.empty()) return flowdump::RunExporterList(opt.exporters_path);
    if (!opt.extension_maps_path.empty()) {
        return flowdump::RunExtensionMaps(opt.extension_maps_path);
    }
    if (!any_input) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    // nfdump.conf's formats: -C FILE, else $NFCONF, else a default file that exists.
    auto conf_path = flow::LocateNfConf(config_path, std::getenv("NFCONF"));
    if (!conf_path.ok()) {
        std::fprintf(stderr, "%s\n", conf_path.status().message().c_str());
        return 1;
    }
    flow::NfConf conf;
    if (!conf_path->empty()) {
        auto read = flow::ReadNfConf(*conf_path);
        if (!read.ok()) {
            std::fprintf(stderr, "%s\n", read.status().message().c_str());
            return 1;
        }
        conf = std::move(*read);
        opt.output.formats = &conf.formats;
    }
    if (!opt.new_ident.empty()) {
        // An ident is printed as a line of its own by -I: no control characters in it.
        for (unsigned char ch : opt.new_ident) {
            if (ch < 0x20 || ch == 0x7f) {
                std::fprintf(stderr, "-i: the ident may not hold control characters\n");
                return 1;
            }
        }
        if (!opt.selection.read_path) {
            std::fprintf(stderr, "-i needs a file given with -r\n");
            return 1;
        }
        const std::string& path = *opt.selection.read_path;
        auto reader = flow::NfFileReader::Open(path);
        if (!reader.ok()) {
            std::fprintf(stderr, "flowdump: %s: %s\n", path.c_str(),
                         reader.status().ToString().c_str());
            return 1;
        }
        std::string old_ident = (*reader)->info().ident;
        reader.value().reset();
        flow::Status s = flow::ChangeIdent(path, opt.new_ident);
        if (!s.ok()) {
            std::fprintf(stderr, "flowdump: %s: %s\n", path.c_str(), s.ToString().c_str());
            return 1;
        }
        std::printf("%s ident: %s -> %s\n", path.c_str(), old_ident.c_str(), opt.new_ident.c_str());
        return 0;
    }

    std::optional<flow::TimeWindow> window;
    if (opt.time_window) {
        auto w = flow::ParseTimeWindow(*opt.time_window);
        if (!w.ok()) {
            std::fprintf(stderr, "%s\n", w.status().message().c_str());
            return 1;
        }
        window = *w;
    }
    std::vector<std::string> warnings;
    auto files = flow::ExpandSelection(opt.selection, &warnings);
    for (const std::string& w : warnings) std::fprintf(stderr, "%s\n", w.c_str());
    if (!files.ok()) {
        std::fprintf(stderr, "%s\n", files.status().message().c_str());
        // nfdump: a -R that cannot be set up is exit 250 ("cannot get stat info for slot" to
        // NfSen); a -r path that is neither file nor directory is exit 1.
        bool range_error = files.status().code() == flow::StatusCode::kInvalidArgument ||
                           opt.selection.range.has_value();
        return range_error ? 250 : 1;
    }
    if (opt.info) return flowdump::RunFileInfo(*files);
    if (opt.gnuplot) return flowdump::RunGnuplot(*files);
    if (opt.recompress) {
        // Each file is read whole and replaced only when all of it was readable; a damaged
        // one is reported and left as it is, and the others are still done.
        int rc = 0;
        for (const std::string& path : *files) {
            flow::Status s = flow::ChangeCodec(path, *opt.recompress, opt.codec_level);
            if (!s.ok()) {
                std::fprintf(stderr, "flowdump: %s: %s\n", path.c_str(), s.ToString().c_str());
                rc = 1;
                continue;
            }
            std::printf("File %s compression changed\n", path.c_str());
        }
        return rc;
    }
    // nfdump announces -L/-l on stdout, bytes first, even with -q, once the query starts: not
    // after an option, filter or file error.
    if (opt.byte_limit) {
        std::printf("Byte limit: %c %llu bytes\n", opt.stat_bytes_below ? '<' : '>',
                    static_cast<unsigned long long>(opt.stat_byte_limit));
    }
    if (opt.packet_limit) {
        std::printf("Packet limit: %c %llu packets\n", opt.stat_packets_below ? '<' : '>',
                    static_cast<unsigned long long>(opt.stat_packet_limit));
    }
    return flowdump::RunQuery(opt, *files, *filter, window);
}

}  // namespace

int main(int argc, char** argv) {
    int rc = Run(argc, argv);
    // Output that could not be written (a full disk, /dev/full) must not end in silence or
    // with exit 0. A closed pipe ends the process by SIGPIPE before this point.
    errno = 0;
    if (std::fflush(stdout) != 0 || std::ferror(stdout)) {
        std::fprintf(stderr, "flowdump: write error on standard output%s%s\n",
                     errno != 0 ? ": " : "", errno != 0 ? std::strerror(errno) : "");
        if (rc == 0) rc = 1;
    }
    return rc;
}
