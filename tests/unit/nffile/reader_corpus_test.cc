// SPDX-License-Identifier: BSD-2-Clause
// Reads every nfdump file of the shared corpus and compares with what real nfdump printed
// for it (generated/README.md): record counts, the -I stat record, and csv field values.
#include <catch2/catch.hpp>
#include <cinttypes>
#include <cstdlib>

#include "nffile/nffile_test_util.h"

using namespace flow;
using namespace flow::testing;

namespace {

struct CorpusCase {
    const char* file;
    const char* csv;   // reference csv output (records, one per line)
    bool csv_header;   // the csv starts with a header line (1.7.8 format)
    const char* info;  // reference -I output
    int layout;
    Codec codec;
    bool closed;
};

// The reference chosen per file is the nfdump that shows all its records: 1.7.1 for
// layout 1 and 1.7.1/1.7.8 files, 1.7.8 for zstd (1.7.1 cannot read it), 1.6.25 for the
// unclosed 1.6 file, and the salvaged read for the unclosed 1.7.1 file.
const CorpusCase kCases[] = {
    {"nd178-bz2", "nd178-bz2.1.7.1.csv.txt", false, "nd178-bz2.1.7.8.info.txt", 2, Codec::kBz2,
     true},
    {"nd178-lzo", "nd178-lzo.1.7.1.csv.txt", false, "nd178-lzo.1.7.8.info.txt", 2, Codec::kLzo,
     true},
    {"nf1625-bz2", "nf1625-bz2.1.7.1.csv.txt", false, "nf1625-bz2.1.7.1.info.txt", 1, Codec::kBz2,
     true},
    {"nf1625-lz4", "nf1625-lz4.1.7.1.csv.txt", false, "nf1625-lz4.1.7.1.info.txt", 1, Codec::kLz4,
     true},
    {"nf1625-lzo", "nf1625-lzo.1.7.1.csv.txt", false, "nf1625-lzo.1.7.1.info.txt", 1, Codec::kLzo,
     true},
    {"nf1625-none", "nf1625-none.1.7.1.csv.txt", false, "nf1625-none.1.7.1.info.txt", 1,
     Codec::kNone, true},
    {"nf171-bz2", "nf171-bz2.1.7.1.csv.txt", false, "nf171-bz2.1.7.1.info.txt", 2, Codec::kBz2,
     true},
    {"nf171-lz4", "nf171-lz4.1.7.1.csv.txt", false, "nf171-lz4.1.7.1.info.txt", 2, Codec::kLz4,
     true},
    {"nf171-lzo", "nf171-lzo.1.7.1.csv.txt", false, "nf171-lzo.1.7.1.info.txt", 2, Codec::kLzo,
     true},
    {"nf171-none", "nf171-none.1.7.1.csv.txt", false, "nf171-none.1.7.1.info.txt", 2, Codec::kNone,
     true},
    {"nf178-lz4", "nf178-lz4.1.7.1.csv.txt", false, "nf178-lz4.1.7.8.info.txt", 2, Codec::kLz4,
     true},
    {"nf178-none", "nf178-none.1.7.1.csv.txt", false, "nf178-none.1.7.8.info.txt", 2, Codec::kNone,
     true},
    {"nf178-zstd", "nf178-zstd.1.7.8.csv.txt", true, "nf178-zstd.1.7.8.info.txt", 2, Codec::kZstd,
     true},
    {"nfcapd.current.nf1625", "nfcapd.current.nf1625.1.6.25.csv.txt", false,
     "nfcapd.current.nf1625.1.7.1.info.txt", 1, Codec::kNone, false},
    {"nfcapd.current.nf171", "nfcapd.current.nf171.1.7.1.salvaged-csv.txt", false, nullptr, 2,
     Codec::kLz4, false},
    {"sf1625-bz2", "sf1625-bz2.1.7.1.csv.txt", false, "sf1625-bz2.1.7.1.info.txt", 1, Codec::kBz2,
     true},
    {"sf1625-lz4", "sf1625-lz4.1.7.1.csv.txt", false, "sf1625-lz4.1.7.1.info.txt", 1, Codec::kLz4,
     true},
    {"sf1625-lzo", "sf1625-lzo.1.7.1.csv.txt", false, "sf1625-lzo.1.7.1.info.txt", 1, Codec::kLzo,
     true},
    {"sf1625-none", "sf1625-none.1.7.1.csv.txt", false, "sf1625-none.1.7.1.info.txt", 1,
     Codec::kNone, true},
    {"sf171-bz2", "sf171-bz2.1.7.1.csv.txt", false, "sf171-bz2.1.7.1.info.txt", 2, Codec::kBz2,
     true},
    {"sf171-lz4", "sf171-lz4.1.7.1.csv.txt", false, "sf171-lz4.1.7.1.info.txt", 2, Codec::kLz4,
     true},
    {"sf171-lzo", "sf171-lzo.1.7.1.csv.txt", false, "sf171-lzo.1.7.1.info.txt", 2, Codec::kLzo,
     true},
    {"sf171-none", "sf171-none.1.7.1.csv.txt", false, "sf171-none.1.7.1.info.txt", 2, Codec::kNone,
     true},
    {"sf171-v6agent", "sf171-v6agent.1.7.1.csv.txt", false, "sf171-v6agent.1.7.1.info.txt", 2,
     Codec::kNone, true},
    {"sf178-lz4", "sf178-lz4.1.7.1.csv.txt", false, "sf178-lz4.1.7.8.info.txt", 2, Codec::kLz4,
     true},
    {"sf178-none", "sf178-none.1.7.1.csv.txt", false, "sf178-none.1.7.8.info.txt", 2, Codec::kNone,
     true},
    {"sf178-v6agent", "sf178-v6agent.1.7.1.csv.txt", false, "sf178-v6agent.1.7.8.info.txt", 2,
     Codec::kNone, true},
    {"sf178-zstd", "sf178-zstd.1.7.8.csv.txt", true, "sf178-zstd.1.7.8.info.txt", 2, Codec::kZstd,
     true},
};

std::string Generated() {
    const std::string corpus = CorpusDir();
    return corpus.empty() ? corpus : corpus + "/nffile/generated/";
}

size_t CountLines(const std::string& path, bool header) {
    size_t n = 0;
    for (const std::string& line : ReadLines(path)) {
        if (!line.empty()) ++n;
    }
    return header && n > 0 ? n - 1 : n;
}

void CheckStat(const FileInfo& info, const std::map<std::string, std::string>& ref) {
    const StatRecord& s = info.stat;
    const std::pair<const char*, uint64_t> fields[] = {
        {"Flows", s.num_flows},           {"Flows_tcp", s.flows_tcp},
        {"Flows_udp", s.flows_udp},       {"Flows_icmp", s.flows_icmp},
        {"Flows_other", s.flows_other},   {"Packets", s.num_packets},
        {"Packets_tcp", s.packets_tcp},   {"Packets_udp", s.packets_udp},
        {"Packets_icmp", s.packets_icmp}, {"Packets_other", s.packets_other},
        {"Bytes", s.num_bytes},           {"Bytes_tcp", s.bytes_tcp},
        {"Bytes_udp", s.bytes_udp},       {"Bytes_icmp", s.bytes_icmp},
        {"Bytes_other", s.bytes_other},   {"First", s.first_ms / 1000},
        {"Last", s.last_ms / 1000},       {"msec_first", s.first_ms % 1000},
        {"msec_last", s.last_ms % 1000},  {"Sequence failures", s.sequence_failures},
    };
    for (const auto& [key, value] : fields) {
        CAPTURE(key);
        auto it = ref.find(key);
        REQUIRE(it != ref.end());
        CHECK(it->second == std::to_string(value));
    }
    auto ident = ref.find("Ident");
    REQUIRE(ident != ref.end());
    CHECK(info.ident == (ident->second == "(null)" ? std::string() : ident->second));
}

}  // namespace

TEST_CASE("Every generated corpus file reads completely with nfdump's record count and stat",
          "[nffile][corpus]") {
    const std::string dir = Generated();
    if (dir.empty()) {
        WARN("corpus not found at " FLOWKIT_CORPUS_DIR "; skipped");
        return;
    }
    for (const CorpusCase& c : kCases) {
        CAPTURE(c.file);
        ReadOutcome out = ReadWholeFile(dir + c.file);
        REQUIRE(out.open_status.ok());
        CHECK(out.status.ok());
        CAPTURE(out.status.ToString());
        CHECK(out.info.layout == c.layout);
        CHECK(out.info.codec == c.codec);
        CHECK(out.info.closed == c.closed);
        CHECK(out.records.size() == CountLines(dir + c.csv, c.csv_header));
        CHECK(out.counters.flow_records == out.records.size());
        CHECK(out.counters.unmapped_records == 0);
        CHECK(out.counters.bad_maps == 0);
        if (c.info != nullptr) {
            CHECK(out.info.has_stat);
            CheckStat(out.info, ParseInfo(ReadLines(dir + c.info)));
        } else {
            CHECK_FALSE(out.info.has_stat);
            CHECK(out.info.ident.empty());
        }
        // Every flow names an exporter the file describes (the 1.6 sFlow files name agents).
        for (const FlowRecord& r : out.records) {
            if (r.exporter_sysid == 0) continue;
            bool found = false;
            for (const ExporterInfo& x : out.exporters) found |= x.sysid == r.exporter_sysid;
            CHECK(found);
            if (!found) break;
        }
    }
}

TEST_CASE("Prefetching reader hands out the same records as the synchronous one",
          "[nffile][corpus]") {
    const std::string dir = Generated();
    if (dir.empty()) {
        WARN("corpus not found; skipped");
        return;
    }
    for (const char* file : {"nf1625-lzo", "nf171-bz2", "nf178-zstd", "nfcapd.current.nf1625"}) {
        CAPTURE(file);
        ReadOutcome plain = ReadWholeFile(dir + file);
        ReaderOptions options;
        options.prefetch_blocks = 3;
        ReadOutcome ahead = ReadWholeFile(dir + file, options);
        REQUIRE(plain.status.ok());
        REQUIRE(ahead.status.ok());
        REQUIRE(plain.records.size() == ahead.records.size());
        for (size_t i = 0; i < plain.records.size(); ++i) {
            CHECK(CsvColumns(plain.records[i]) == CsvColumns(ahead.records[i]));
        }
    }
}

TEST_CASE(
    "The sFlow file 1.6.25 wrote with a corrupt record yields its first flow, then an "
    "error naming file and block",
    "[nffile][corpus][regression]") {
    // Guards the reader against sfcapd 1.6.25's over-long IPv6-agent record (README "Odd things").
    const std::string dir = Generated();
    if (dir.empty()) {
        WARN("corpus not found; skipped");
        return;
    }
    ReadOutcome out = ReadWholeFile(dir + "sf1625-v6agent");
    REQUIRE(out.open_status.ok());
    CHECK(out.status.code() == StatusCode::kMalformed);
    CHECK_THAT(out.status.message(),
               Catch::Contains("sf1625-v6agent") && Catch::Contains("block 1"));
    CHECK(out.records.size() == CountLines(dir + "sf1625-v6agent.1.7.1.csv.txt", false));
    CheckStat(out.info, ParseInfo(ReadLines(dir + "sf1625-v6agent.1.7.1.info.txt")));
}

// Column indexes of the 48-column csv that are compared; `pr` only where our name table
// knows the protocol.
TEST_CASE("Record fields equal the csv nfdump printed for layout 1 and layout 2 files",
          "[nffile][corpus]") {
    const std::string dir = Generated();
    if (dir.empty()) {
        WARN("corpus not found; skipped");
        return;
    }
    // nd178-* have the duplicate address elements blanked, so 1.7.1 shows the same address
    // as our reader; nf171-none is checked apart below.
    const char* files[][2] = {
        {"nf1625-none", "nf1625-none.1.7.1.csv.txt"},
        {"nf1625-bz2", "nf1625-bz2.1.6.25.csv.txt"},
        {"nd178-lzo", "nd178-lzo.1.7.1.csv.txt"},
        {"sf171-none", "sf171-none.1.7.1.csv.txt"},
        {"sf178-v6agent", "sf178-v6agent.1.7.1.csv.txt"},
        {"nfcapd.current.nf171", "nfcapd.current.nf171.1.7.1.salvaged-csv.txt"},
        {"nfcapd.current.nf1625", "nfcapd.current.nf1625.1.6.25.csv.txt"},
    };
    for (const auto& f : files) {
        CAPTURE(f[0]);
        ReadOutcome out = ReadWholeFile(dir + f[0]);
        REQUIRE(out.status.ok());
        const std::vector<std::string> lines = ReadLines(dir + f[1]);
        REQUIRE(lines.size() == out.records.size());
        size_t mismatches = 0;
        for (size_t i = 0; i < lines.size() && mismatches < 5; ++i) {
            const std::vector<std::string> want = SplitCsv(lines[i]);
            const std::vector<std::string> got = CsvColumns(out.records[i]);
            REQUIRE(want.size() == got.size());
            for (size_t col = 0; col < want.size(); ++col) {
                if ((col == 7 && got[col].empty()) ||
                    KnownCsvQuirk(out.records[i], col, want[col])) {
                    continue;
                }
                if (got[col] != want[col]) {
                    CAPTURE(i, col, lines[i]);
                    CHECK(got[col] == want[col]);
                    ++mismatches;
                }
            }
        }
        CHECK(mismatches == 0);
    }
}

TEST_CASE("The 1.7.1 file's dual-address records keep IPv4 where 1.7.1 prints IPv6",
          "[nffile][corpus]") {
    // nfdump 1.7.1 prints the IPv6 element of records carrying both families; we follow
    // 1.7.8, which keeps the IPv4 one. Every other column must equal 1.7.1's csv.
    const std::string dir = Generated();
    if (dir.empty()) {
        WARN("corpus not found; skipped");
        return;
    }
    ReadOutcome out = ReadWholeFile(dir + "nf171-none");
    REQUIRE(out.status.ok());
    const std::vector<std::string> lines = ReadLines(dir + "nf171-none.1.7.1.csv.txt");
    REQUIRE(lines.size() == out.records.size());
    size_t dual = 0;
    size_t mismatches = 0;
    for (size_t i = 0; i < lines.size(); ++i) {
        const std::vector<std::string> want = SplitCsv(lines[i]);
        const std::vector<std::string> got = CsvColumns(out.records[i]);
        REQUIRE(want.size() == got.size());
        const bool shown_v6 = want[3].find(':') != std::string::npos;
        if (shown_v6 && !out.records[i].IsV6()) {
            ++dual;
            // The IPv6 element 1.7.1 shows holds the same address as ::a.b.c.d, or nothing.
            CHECK((want[3] == "::" + got[3] || want[3] == "::"));
            CHECK((want[4] == "::" + got[4] || want[4] == "::"));
        }
        for (size_t col = 0; col < want.size(); ++col) {
            if ((col == 7 && got[col].empty()) || KnownCsvQuirk(out.records[i], col, want[col])) {
                continue;
            }
            if (got[col] != want[col] && mismatches < 5) {
                CAPTURE(i, col, lines[i]);
                CHECK(got[col] == want[col]);
            }
            mismatches += got[col] != want[col];
        }
    }
    CHECK(mismatches == 0);
    // 95 records carry both elements; in 9 the IPv4 one is empty and both 1.7.1 and
    // we show IPv6 (README: nfdump -w blanks 86 IPv6 and 9 IPv4 elements).
    CHECK(dual == 86);
}

TEST_CASE("The other corpus files read to the end with the record count nfdump prints",
          "[nffile][corpus][oracle]") {
    const std::string corpus = CorpusDir();
    if (corpus.empty() || !FileExists("/usr/bin/nfdump")) {
        WARN("corpus or /usr/bin/nfdump missing; skipped");
        return;
    }
    for (const char* file :
         {"gonfdump__nfcapd-empty", "gonfdump__nfcapd-small-lzo", "gonfdump__nfcapd.sample",
          "libnf__data1", "libnf__data2", "libnf__record_v4", "libnf__record_v6"}) {
        CAPTURE(file);
        const std::string path = corpus + "/nffile/" + file;
        ReadOutcome out = ReadWholeFile(path);
        REQUIRE(out.open_status.ok());
        CHECK(out.status.ok());
        const std::string csv =
            RunCommand("TZ=UTC /usr/bin/nfdump -q -o csv -r '" + path + "' 2>/dev/null");
        std::vector<std::string> lines;
        for (const std::string& l : SplitLines(csv)) {
            if (!l.empty() && l != "No matching flows") lines.push_back(l);
        }
        if (std::string(file) == "libnf__data2") {
            // Type-1 records of nfdump <= 1.6.11: 1.7.1 skips them all; checked below.
            CHECK(lines.empty());
            CHECK(out.counters.v0_records == out.records.size());
            continue;
        }
        CHECK(out.records.size() == lines.size());
        if (out.records.size() == lines.size()) {
            size_t mismatches = 0;
            for (size_t i = 0; i < lines.size(); ++i) {
                const std::vector<std::string> want = SplitCsv(lines[i]);
                const std::vector<std::string> got = CsvColumns(out.records[i]);
                for (size_t col = 0; col < want.size() && col < got.size(); ++col) {
                    if ((col == 7 && got[col].empty()) ||
                        KnownCsvQuirk(out.records[i], col, want[col])) {
                        continue;
                    }
                    if (got[col] != want[col] && mismatches < 3) {
                        CAPTURE(i, col, lines[i]);
                        CHECK(got[col] == want[col]);
                    }
                    mismatches += got[col] != want[col];
                }
            }
            CHECK(mismatches == 0);
        }
        CheckStat(out.info, ParseInfo(SplitLines(RunCommand("TZ=UTC /usr/bin/nfdump -I -r '" +
                                                            path + "' 2>/dev/null"))));
    }
}

TEST_CASE("Layout 1 type-1 records convert into flows whose sums equal the file's stat record",
          "[nffile][corpus]") {
    // nfdump 1.7 cannot show these records at all, so the file's own stat record (written
    // by the 1.6 collector from the same flows) is the reference.
    const std::string corpus = CorpusDir();
    if (corpus.empty()) {
        WARN("corpus not found; skipped");
        return;
    }
    ReadOutcome out = ReadWholeFile(corpus + "/nffile/libnf__data2");
    REQUIRE(out.status.ok());
    CHECK(out.counters.v0_records == 8170);
    REQUIRE(out.records.size() == out.info.stat.num_flows);
    StatRecord sum;
    sum.first_ms = StatRecord::kUnsetFirstMs;
    uint64_t out_packets = 0;
    uint64_t out_bytes = 0;
    for (const FlowRecord& r : out.records) {
        AccumulateStat(r, &sum);
        out_packets += r.out_packets;
        out_bytes += r.out_bytes;
    }
    const StatRecord& want = out.info.stat;
    CHECK(sum.num_flows == want.num_flows);
    // nfdump 1.6 totals count in-direction packets and bytes only (1.7 adds out counters).
    CHECK(sum.num_packets - out_packets == want.num_packets);
    CHECK(sum.num_bytes - out_bytes == want.num_bytes);
    CHECK(sum.flows_tcp == want.flows_tcp);
    CHECK(sum.flows_udp == want.flows_udp);
    CHECK(sum.flows_icmp == want.flows_icmp);
    CHECK(sum.bytes_other == want.bytes_other);
    CHECK(sum.first_ms == want.first_ms);
    CHECK(sum.last_ms == want.last_ms);
}
