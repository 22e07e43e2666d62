// SPDX-License-Identifier: BSD-2-Clause
// File selection (-r/-R/-M) and -t parsing on directory trees made for each test.
#include "flow/select.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

namespace fs = std::filesystem;

namespace {

struct TempTree {
    fs::path root;
    TempTree() {
        char tmpl[] = "/tmp/flowkit-select-XXXXXX";
        root = ::mkdtemp(tmpl);
    }
    ~TempTree() { fs::remove_all(root); }
    void Touch(const std::string& rel) {
        fs::create_directories((root / rel).parent_path());
        std::ofstream(root / rel) << "x";
    }
    std::string operator/(const std::string& rel) const { return (root / rel).string(); }
};

std::vector<std::string> Names(const std::vector<std::string>& paths, const std::string& root) {
    std::vector<std::string> out;
    for (const auto& p : paths) out.push_back(p.substr(root.size() + 1));
    return out;
}

}  // namespace

TEST_CASE("skip rules for directory walks") {
    CHECK(flow::IsSkippedName(".nfstat"));
    CHECK(flow::IsSkippedName("nfcapd.current.1234"));
    CHECK(flow::IsSkippedName("x.pcap"));
    CHECK_FALSE(flow::IsSkippedName("nfcapd.202612041510"));
    CHECK(flow::IsFlowFileName("nfcapd.202612041510"));
    CHECK(flow::IsFlowFileName("nfcapd.20261204151005"));
    CHECK_FALSE(flow::IsFlowFileName("nfcapd.2026120415"));
    CHECK_FALSE(flow::IsFlowFileName("nfcapd.20261204151a"));
}

TEST_CASE("selection: -R forms select by name") {
    TempTree t;
    for (const char* n : {"nfcapd.202612041500", "nfcapd.202612041505", "nfcapd.202612041510",
                          "nfcapd.202612041515", "nfcapd.current.99", ".nfstat"}) {
        t.Touch(std::string("d/") + n);
    }
    std::string root = t.root.string();

    flow::FileSelection all;
    all.range = t / "d";
    auto r = flow::ExpandSelection(all);
    REQUIRE(r.ok());
    CHECK(Names(*r, root) ==
          std::vector<std::string>{"d/nfcapd.202612041500", "d/nfcapd.202612041505",
                                   "d/nfcapd.202612041510", "d/nfcapd.202612041515"});

    flow::FileSelection range;
    range.range = t / "d/nfcapd.202612041505:nfcapd.202612041510";
    r = flow::ExpandSelection(range);
    REQUIRE(r.ok());
    CHECK(Names(*r, root) ==
          std::vector<std::string>{"d/nfcapd.202612041505", "d/nfcapd.202612041510"});

    flow::FileSelection from;
    from.range = t / "d/nfcapd.202612041510";
    r = flow::ExpandSelection(from);
    REQUIRE(r.ok());
    CHECK(r->size() == 2);

    flow::FileSelection missing;
    missing.range = t / "d/nfcapd.209912041510";
    r = flow::ExpandSelection(missing);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("stat() error") == 0);

    flow::FileSelection bad;
    bad.range = t / "d/a:b:c";
    CHECK_FALSE(flow::ExpandSelection(bad).ok());
}

TEST_CASE(
    "selection: -R range across sub-directories, with and without the last file's sub-directory") {
    TempTree t;
    for (const char* n : {"2026/12/03/nfcapd.202612032355", "2026/12/04/nfcapd.202612040000",
                          "2026/12/04/nfcapd.202612040005", "2026/12/05/nfcapd.202612050000"}) {
        t.Touch(n);
    }
    std::string root = t.root.string();
    flow::FileSelection sel;
    sel.range = t / "2026/12/03/nfcapd.202612032355:2026/12/04/nfcapd.202612040000";
    auto r = flow::ExpandSelection(sel);
    REQUIRE(r.ok());
    CHECK(Names(*r, root) == std::vector<std::string>{"2026/12/03/nfcapd.202612032355",
                                                      "2026/12/04/nfcapd.202612040000"});

    setenv("TZ", "UTC", 1);
    tzset();
    sel.range = t / "2026/12/03/nfcapd.202612032355:nfcapd.202612040005";
    r = flow::ExpandSelection(sel);
    REQUIRE(r.ok());
    CHECK(r->size() == 3);
}

TEST_CASE("selection: -M applies -r and -R in each directory") {
    TempTree t;
    t.Touch("a/nfcapd.202612041500");
    t.Touch("b/nfcapd.202612041500");
    t.Touch("b/nfcapd.202612041505");
    flow::FileSelection sel;
    sel.multi_dirs = t / "a:b";
    sel.range = ".";
    auto r = flow::ExpandSelection(sel);
    REQUIRE(r.ok());
    CHECK(r->size() == 3);

    sel.range.reset();
    sel.read_path = "nfcapd.202612041500";
    r = flow::ExpandSelection(sel);
    REQUIRE(r.ok());
    CHECK(r->size() == 2);

    sel.read_path.reset();
    r = flow::ExpandSelection(sel);
    CHECK_FALSE(r.ok());

    // A missing channel is reported and skipped, as nfdump reads the others.
    sel.multi_dirs = t / "a:zz";
    sel.range = ".";
    std::vector<std::string> warnings;
    r = flow::ExpandSelection(sel, &warnings);
    REQUIRE(r.ok());
    CHECK(Names(*r, t.root.string()) == std::vector<std::string>{"a/nfcapd.202612041500"});
    CHECK(warnings == std::vector<std::string>{"Not a directory: '" + t / "zz" + "'"});

    sel.multi_dirs = t / "yy:zz";
    warnings.clear();
    r = flow::ExpandSelection(sel, &warnings);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "Not a directory: '" + t / "yy" + "'");
    CHECK(warnings.empty());  // the error alone, not the same line twice
}

// Regression: `-M a -r /nfcapd.X` read a/nfcapd.X (the leading '/' dropped) and `-M a -R
// /abs/path` looked for a/abs/path; nfdump refuses absolute names with -M.
TEST_CASE("selection: -M refuses an absolute -r file or -R range", "[regression]") {
    TempTree t;
    t.Touch("a/nfcapd.202612041500");
    flow::FileSelection sel;
    sel.multi_dirs = t / "a";
    sel.read_path = "/nfcapd.202612041500";
    auto r = flow::ExpandSelection(sel);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == flow::StatusCode::kInvalidArgument);
    CHECK(r.status().message() ==
          "File -r must not start with '/', when combined with a source list -M");

    sel.read_path.reset();
    for (const std::string& range :
         {t / "a/nfcapd.202612041500", t / "a/nfcapd.202612041500:nfcapd.202612041505"}) {
        CAPTURE(range);
        sel.range = range;
        r = flow::ExpandSelection(sel);
        REQUIRE_FALSE(r.ok());
        CHECK(r.status().message() ==
              "File list -R must not start with '/' when combined with a source list -M");
    }
    sel.range = "nfcapd.202612041500";
    r = flow::ExpandSelection(sel);
    REQUIRE(r.ok());
    CHECK(r->size() == 1);
}

// Regression: `-M a:b -r FILE` with FILE missing in b (its collector missed the slot) read
// nothing at all; nfdump warns and reads a's file.
TEST_CASE("selection: -M -r reads the channels that hold the file and warns about the rest") {
    TempTree t;
    t.Touch("a/nfcapd.202612041500");
    t.Touch("b/nfcapd.202612041505");
    flow::FileSelection sel;
    sel.read_path = "nfcapd.202612041500";
    for (const char* dirs : {"a:b", "b:a"}) {
        CAPTURE(dirs);
        sel.multi_dirs = t / dirs;
        std::vector<std::string> warnings;
        auto r = flow::ExpandSelection(sel, &warnings);
        REQUIRE(r.ok());
        CHECK(Names(*r, t.root.string()) == std::vector<std::string>{"a/nfcapd.202612041500"});
        REQUIRE(warnings.size() == 1);
        CHECK(warnings[0].find(t / "b/nfcapd.202612041500") != std::string::npos);
    }
    // In no channel at all: the error.
    sel.read_path = "nfcapd.202612041510";
    auto r = flow::ExpandSelection(sel);
    CHECK_FALSE(r.ok());
}

// Regression: NfSen's `-M live/upstream1:peer1` read upstream1 first; nfdump walks the
// channels as sorted roots, so peer1's files come first and `-c N` picks the same flows.
TEST_CASE("selection: -M channels are walked in path order, not command-line order") {
    TempTree t;
    t.Touch("live/upstream1/nfcapd.202612041500");
    t.Touch("live/peer1/nfcapd.202612041500");
    t.Touch("live/peer1/nfcapd.202612041505");
    flow::FileSelection sel;
    sel.multi_dirs = t / "live/upstream1:peer1";
    sel.range = ".";
    auto r = flow::ExpandSelection(sel);
    REQUIRE(r.ok());
    CHECK(Names(*r, t.root.string()) ==
          std::vector<std::string>{"live/peer1/nfcapd.202612041500",
                                   "live/peer1/nfcapd.202612041505",
                                   "live/upstream1/nfcapd.202612041500"});
}

// Regression: LibreNMS/NfSen need exit 250 when the first file of a -R range is missing;
// flowdump used to read the rest of the range. With -M only the first channel named counts.
TEST_CASE("selection: a -R range needs its first file, in the first -M channel named") {
    TempTree t;
    t.Touch("a/2026/12/04/nfcapd.202612041500");
    t.Touch("a/2026/12/04/nfcapd.202612041505");
    t.Touch("b/2026/12/04/nfcapd.202612041505");
    flow::FileSelection sel;
    sel.range = t / "a/2026/12/04/nfcapd.202612041455:2026/12/04/nfcapd.202612041505";
    auto r = flow::ExpandSelection(sel);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == flow::StatusCode::kNotFound);
    CHECK(r.status().message().find("stat() error '") == 0);

    // The last file only bounds the walk and may not exist yet.
    sel.range = t / "a/2026/12/04/nfcapd.202612041500:2026/12/04/nfcapd.202612041510";
    r = flow::ExpandSelection(sel);
    REQUIRE(r.ok());
    CHECK(r->size() == 2);

    sel.range = "2026/12/04/nfcapd.202612041500:2026/12/04/nfcapd.202612041505";
    sel.multi_dirs = t / "a:b";
    r = flow::ExpandSelection(sel);
    REQUIRE(r.ok());
    CHECK(r->size() == 3);
    sel.multi_dirs = t / "b:a";
    r = flow::ExpandSelection(sel);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("File not found!") != std::string::npos);

    // A single file (no range) likewise: needed in the first channel named only (newcomer
    // report: -M b:a -R FILE with FILE only in b failed on a).
    sel.range = "2026/12/04/nfcapd.202612041505";
    sel.multi_dirs = t / "b:a";
    r = flow::ExpandSelection(sel);
    REQUIRE(r.ok());
    CHECK(r->size() == 2);  // b's file, and a's from that name on
    t.Touch("c/x");
    sel.range = "2026/12/04/nfcapd.202612041500";
    sel.multi_dirs = t / "b:a";
    r = flow::ExpandSelection(sel);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message().find("File not found!") != std::string::npos);
}

// Regression (newcomer): with -M, nfdump looks for a bare `nfcapd.<time>` name in the -S
// sub-directory its time points to, and a -R first file with sub-directories and no last
// file runs to the end of each channel; flowdump failed (`is not a file or directory`, exit
// 250) or stopped at the end of the first file's directory. Expected lists are nfdump
// 1.7.1's on the same tree.
TEST_CASE("selection: -M finds bare file names in their sub-directory, as nfdump") {
    TempTree t;
    for (const char* ch : {"p1", "p2"}) {
        for (const char* f : {"2026/12/03/nfcapd.202612032355", "2026/12/04/nfcapd.202612040000",
                              "2026/12/04/nfcapd.202612041200", "2026/12/04/nfcapd.202612042355",
                              "2026/12/05/nfcapd.202612050000", "2026/12/05/nfcapd.202612051200"}) {
            t.Touch(std::string(ch) + "/" + f);
        }
    }
    t.Touch("flat/nfcapd.202612040005");
    const std::string root = t.root.string();
    auto expand = [&](const char* dirs, std::optional<std::string> read,
                      std::optional<std::string> range) {
        flow::FileSelection sel;
        sel.multi_dirs = t / dirs;
        sel.read_path = std::move(read);
        sel.range = std::move(range);
        auto r = flow::ExpandSelection(sel);
        REQUIRE(r.ok());
        return Names(*r, root);
    };
    using V = std::vector<std::string>;

    // -r: the guessed file of every channel, in the order -M names them.
    CHECK(expand("p1:p2", "nfcapd.202612041200", std::nullopt) ==
          V{"p1/2026/12/04/nfcapd.202612041200", "p2/2026/12/04/nfcapd.202612041200"});
    CHECK(expand("p2:p1", "nfcapd.202612041200", std::nullopt) ==
          V{"p2/2026/12/04/nfcapd.202612041200", "p1/2026/12/04/nfcapd.202612041200"});
    CHECK(expand("p2:p1", "2026/12/04/nfcapd.202612041200", std::nullopt) ==
          V{"p2/2026/12/04/nfcapd.202612041200", "p1/2026/12/04/nfcapd.202612041200"});
    CHECK(expand("p1:flat", "nfcapd.202612041200", std::nullopt) ==
          V{"p1/2026/12/04/nfcapd.202612041200"});

    // -R first:last, both bare: a range across the sub-directories; a channel without the
    // sub-directories reads nothing of it.
    const V range{"p1/2026/12/04/nfcapd.202612041200", "p1/2026/12/04/nfcapd.202612042355",
                  "p1/2026/12/05/nfcapd.202612050000", "p2/2026/12/04/nfcapd.202612041200",
                  "p2/2026/12/04/nfcapd.202612042355", "p2/2026/12/05/nfcapd.202612050000"};
    CHECK(expand("p1:p2", std::nullopt, "nfcapd.202612041200:nfcapd.202612050000") == range);
    CHECK(expand("p1:flat", std::nullopt, "nfcapd.202612041200:nfcapd.202612050000") ==
          V(range.begin(), range.begin() + 3));

    // -R first alone, with sub-directories given or guessed: to the end of each channel.
    const V to_end{"p1/2026/12/04/nfcapd.202612041200", "p1/2026/12/04/nfcapd.202612042355",
                   "p1/2026/12/05/nfcapd.202612050000", "p1/2026/12/05/nfcapd.202612051200",
                   "p2/2026/12/04/nfcapd.202612041200", "p2/2026/12/04/nfcapd.202612042355",
                   "p2/2026/12/05/nfcapd.202612050000", "p2/2026/12/05/nfcapd.202612051200"};
    CHECK(expand("p1:p2", std::nullopt, "2026/12/04/nfcapd.202612041200") == to_end);
    CHECK(expand("p1:p2", std::nullopt, "nfcapd.202612041200") == to_end);

    // Without -M a first file alone still ends with its directory, as in nfdump.
    flow::FileSelection plain;
    plain.range = t / "p1/2026/12/04/nfcapd.202612041200";
    auto r = flow::ExpandSelection(plain);
    REQUIRE(r.ok());
    CHECK(Names(*r, root) == V(to_end.begin(), to_end.begin() + 2));
}

// Regression: Pandora FMS with both collectors passes `-R sflow/a:b -R netflow/c:d` and means
// both; nfdump 1.7 reads only the first.
TEST_CASE("selection: every -R is expanded, in command-line order") {
    TempTree t;
    t.Touch("sflow/nfcapd.202612041500");
    t.Touch("netflow/nfcapd.202612041500");
    t.Touch("netflow/nfcapd.202612041505");
    flow::FileSelection sel;
    sel.range = t / "sflow";
    sel.more_ranges.push_back(t / "netflow/nfcapd.202612041505:nfcapd.202612041505");
    auto r = flow::ExpandSelection(sel);
    REQUIRE(r.ok());
    CHECK(Names(*r, t.root.string()) ==
          std::vector<std::string>{"sflow/nfcapd.202612041500", "netflow/nfcapd.202612041505"});
}

TEST_CASE("selection: -t windows") {
    setenv("TZ", "UTC", 1);
    tzset();
    auto w = flow::ParseTimeWindow("2026/12/04.15:10-2026/12/04.15:20:30");
    REQUIRE(w.ok());
    CHECK(w->start_ms == 1796397000000ULL);
    CHECK(w->end_ms == 1796397630000ULL);
    CHECK(w->Contains(1796397000000ULL, 1796397630000ULL));
    CHECK_FALSE(w->Contains(1796396999999ULL, 1796397000000ULL));

    auto open = flow::ParseTimeWindow("2026");
    REQUIRE(open.ok());
    CHECK(open->end_ms == UINT64_MAX);

    auto bad = flow::ParseTimeWindow("2026/7/11");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.status().message() ==
          "Time format error in '2026/7/11': expected a 2-digit month at '7/11' (format "
          "YYYY/MM/dd.hh:mm:ss, trailing parts optional)");
    // The message quotes what was typed (newcomer: `-t garbage` said `'' unexpected`).
    auto garbage = flow::ParseTimeWindow("garbage");
    REQUIRE_FALSE(garbage.ok());
    CHECK(garbage.status().message().rfind("Time format error in 'garbage': expected a "
                                           "4-digit year at 'garbage'",
                                           0) == 0);
    // `T-` is a window without an end, as nfdump reads it.
    auto no_end = flow::ParseTimeWindow("2026/12/04.15:10-");
    REQUIRE(no_end.ok());
    CHECK(no_end->start_ms == 1796397000000ULL);
    CHECK(no_end->end_ms == UINT64_MAX);
    CHECK_FALSE(flow::ParseTimeWindow("2026/13").ok());
    CHECK_FALSE(flow::ParseTimeWindow("20").ok());
    // Relative windows are refused as not supported (newcomer: the message said they "are
    // resolved against the data", and nothing was read).
    for (const char* rel : {"+3600", "-3600"}) {
        auto r = flow::ParseTimeWindow(rel);
        REQUIRE_FALSE(r.ok());
        CHECK(r.status().message() == std::string("relative time windows (") + rel +
                                          ") are not supported: give the window as "
                                          "YYYY/MM/dd.hh:mm:ss[-YYYY/MM/dd.hh:mm:ss]");
    }
}

// Regression (newcomer report): a range whose last file comes before its first matched
// nothing without a word.
TEST_CASE("selection: a reversed -R range gives a warning") {
    TempTree t;
    t.Touch("d/nfcapd.202612041500");
    t.Touch("d/nfcapd.202612041505");
    flow::FileSelection sel;
    sel.range = t / "d/nfcapd.202612041505:nfcapd.202612041500";
    std::vector<std::string> warnings;
    auto r = flow::ExpandSelection(sel, &warnings);
    REQUIRE(r.ok());
    CHECK(r->empty());
    REQUIRE(warnings.size() == 1);
    CHECK(warnings[0].find("comes before first file") != std::string::npos);
    warnings.clear();
    sel.range = t / "d/nfcapd.202612041500:nfcapd.202612041505";
    r = flow::ExpandSelection(sel, &warnings);
    REQUIRE(r.ok());
    CHECK(r->size() == 2);
    CHECK(warnings.empty());
}

TEST_CASE("selection: a directory symlink back to an ancestor is not walked again",
          "[regression]") {
    TempTree t;
    t.Touch("e/nfcapd.202612050020");
    t.Touch("d/nfcapd.202612050000");
    t.Touch("e/sub/nfcapd.202612050030");
    fs::create_directory_symlink(".", t.root / "e/loop");        // e/loop -> e
    fs::create_directory_symlink("../..", t.root / "e/sub/up");  // e/sub/up -> parent of e
    fs::create_directory_symlink("../d", t.root / "e/dl");       // not an ancestor: walked
    std::string root = t.root.string();

    flow::FileSelection sel;
    sel.range = t / "e";
    auto r = flow::ExpandSelection(sel);
    REQUIRE(r.ok());
    // e/sub/up leads to the root, which holds e again (the loop) and d.
    CHECK(Names(*r, root) ==
          std::vector<std::string>{"e/dl/nfcapd.202612050000", "e/nfcapd.202612050020",
                                   "e/sub/nfcapd.202612050030", "e/sub/up/d/nfcapd.202612050000"});
}

TEST_CASE("selection: a -R range starting at a directory is refused as not a file",
          "[regression]") {
    TempTree t;
    t.Touch("d/2026/12/05/nfcapd.202612050000");
    t.Touch("d/2026/12/05/nfcapd.202612050010");
    flow::FileSelection sel;
    sel.range = t / "d/2026/12/05:nfcapd.202612050010";
    auto r = flow::ExpandSelection(sel);
    REQUIRE_FALSE(r.ok());
    // The path exists: "No such file or directory" would send the user looking elsewhere.
    CHECK(r.status().message() == "Not a file: '" + (t / "d/2026/12/05") + "'");
}
