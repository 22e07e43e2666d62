// SPDX-License-Identifier: BSD-2-Clause
// json, raw, pipe and every fmt token against golden text printed by Debian's nfdump 1.7.1
// for records of the shared corpus (tests/unit/output/data, made by data/regen.sh): the first
// three records of several exporters, chosen to cover NetFlow v5/v9, IPFIX, sFlow, NSEL,
// NAT, MPLS, MAC, VLAN, VRF, BGP, IPv6 and observation elements.
#include <stdlib.h>
#include <time.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "flow/nffile.h"
#include "flow/output.h"
#include "unit/output/sample_records.h"

namespace {

// nfdump 1.7.1 prints `-q -o json` without the enclosing "[" line and "]" (flowkit keeps
// them, docs/compatibility.md): our output as 1.7.1 would print it.
std::string WithoutArrayBrackets(std::string json) {
    if (json.rfind("[\n", 0) == 0) json.erase(0, 2);
    if (json.size() >= 2 && json.compare(json.size() - 2, 2, "]\n") == 0)
        json.erase(json.size() - 2);
    return json;
}

// nfdump 1.7.1 prints the VRF ids of NAT records twice (the NAT block's, then the VRF
// element's); flowkit prints them once (docs/compatibility.md): 1.7.1's text with every
// repeated key of an object left out.
std::string WithoutRepeatedKeys(const std::string& json) {
    std::string out;
    std::set<std::string> keys;
    std::istringstream in(json);
    for (std::string line; std::getline(in, line);) {
        const size_t colon = line.find("\" : ");
        if (line.rfind("\t\"", 0) != 0 || colon == std::string::npos) {
            keys.clear();  // "{", "},", "}{": an object ends or starts
        } else if (!keys.insert(line.substr(0, colon)).second) {
            continue;
        }
        out += line;
        if (!in.eof()) out += '\n';
    }
    return out;
}

const std::string kCorpus = std::string(FLOWKIT_CORPUS_DIR) + "/nffile/generated/";
const std::string kGolden = std::string(FLOWKIT_SOURCE_DIR) + "/tests/unit/output/data/";

const char kTokens[] =
    "fmt:%ts|%te|%tr|%tsr|%trr|%td|%tds|%pr|%sa|%da|%sap|%dap|%sn|%dn|%sp|%dp|%it|%ic|%nh|%nhb|"
    "%ra|%sas|%das|%nas|%pas|%in|%out|%pkt|%ipkt|%opkt|%byt|%ibyt|%obyt|%fl|%flg|%tos|%stos|"
    "%dtos|%dir|%smk|%dmk|%fwd|%bfd|%end|%svln|%dvln|%ismc|%odmc|%idmc|%osmc|%mpls1|%mpls2|"
    "%mpls|%bps|%pps|%bpp|%eng|%exp|%nfv|%cnt|%lbl|%sc|%dc|%nbid|%ja3|%sni|%odid|%opid|%vrf|"
    "%ivrf|%evrf|%cl|%sl|%al|%nfc|%tevt|%evt|%xevt|%sgt|%msec|%iacl|%eacl|%xsa|%xda|%xsp|%xdp|"
    "%xsap|%xdap|%uname|%nevt|%nsa|%nda|%nsp|%ndp|%nsap|%ndap|%pbstart|%pbend|%pbstep|%pbsize";

struct UtcZone {
    UtcZone() {
        setenv("TZ", "UTC", 1);
        tzset();
    }
};
const UtcZone kUtc;

bool ReadFile(const std::string& path, std::string* out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream ss;
    ss << in.rdbuf();
    *out = ss.str();
    return true;
}

std::vector<std::string> SplitLines(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::vector<flow::FlowRecord> ReadAll(const std::string& path) {
    std::vector<flow::FlowRecord> out;
    auto reader = flow::NfFileReader::Open(path);
    REQUIRE(reader.ok());
    flow::FlowRecord rec;
    for (;;) {
        flow::Result<bool> more = (*reader)->NextBlock();
        REQUIRE(more.ok());
        if (!*more) break;
        while ((*reader)->NextRecord(&rec)) out.push_back(rec);
    }
    return out;
}

// The reader starts (nfdump 1.7.8's rule) and ends NAT events without flow times at the
// event time; 1.7.1, which printed the goldens, keeps the zeros.
flow::FlowRecord As171(flow::FlowRecord rec) {
    if (rec.Has(flow::kExNatCommon) && rec.first_ms == rec.event_ms) {
        rec.first_ms = 0;
        if (rec.last_ms == rec.event_ms) rec.last_ms = 0;
    }
    return rec;
}

// Prints the first three records received from each 127.0.1.<n> router with a fresh -q
// printer per router, as the goldens were made (nfdump -c 3 'router ip ...').
std::string PrintRouters(const std::vector<flow::FlowRecord>& records,
                         const std::vector<int>& routers, const std::string& format,
                         flow::output::OutputOptions options = {}) {
    options.quiet = true;
    std::string out;
    for (int router : routers) {
        std::string one;
        auto printer = flow::output::CreatePrinter(format, options, &one);
        REQUIRE(printer.ok());
        printer->Begin();
        flow::output::Summary summary;
        flow::output::RunInfo run;
        const flow::IpAddr ip = flow::IpAddr::V4(0x7f000100u + static_cast<uint32_t>(router));
        for (const flow::FlowRecord& r : records) {
            ++run.processed;
            if (run.passed == 3) break;
            if (r.Has(flow::kExIpReceivedV6) || r.received_from != ip) continue;
            printer->Print(As171(r), run.processed);
            summary.Add(r);
            ++run.passed;
        }
        REQUIRE(printer->Finish(summary, run).ok());
        out += format == "json" ? WithoutArrayBrackets(one) : one;
    }
    return out;
}

std::string PrintAll(const std::vector<flow::FlowRecord>& records, const std::string& format) {
    flow::output::OutputOptions options;
    options.quiet = true;
    std::string out;
    auto printer = flow::output::CreatePrinter(format, options, &out);
    REQUIRE(printer.ok());
    printer->Begin();
    flow::output::Summary summary;
    flow::output::RunInfo run;
    for (const flow::FlowRecord& r : records) {
        printer->Print(r);
        ++run.passed;
    }
    REQUIRE(printer->Finish(summary, run).ok());
    return out;
}

// Line-by-line comparison. Lines holding firewall ACL ids are skipped: the reader loads them
// in the other byte order than nfdump 1.7.1 shows (reported to the reader's owner); the ACL
// layouts themselves are checked with hand-built records in token_test.cc.
void CompareGolden(const std::string& ours, const std::string& golden_name,
                   std::string (*adapt)(const std::string&) = nullptr) {
    std::string golden;
    REQUIRE(ReadFile(kGolden + golden_name, &golden));
    if (adapt != nullptr) golden = adapt(golden);
    std::vector<std::string> a = SplitLines(ours);
    std::vector<std::string> b = SplitLines(golden);
    CAPTURE(golden_name);
    REQUIRE(a.size() == b.size());
    size_t compared = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        if (b[i].find("acl") != std::string::npos || b[i].find("ACL") != std::string::npos) {
            continue;
        }
        CAPTURE(i);
        if (b[i].rfind("  dst tos      =", 0) == 0) {
            // Deliberate: 1.7.1's raw format prints the source ToS on this line; we print
            // the destination ToS (checked in token_test.cc). Only the label must match.
            CHECK(a[i].substr(0, 16) == b[i].substr(0, 16));
            continue;
        }
        CHECK(a[i] == b[i]);
        ++compared;
    }
    CHECK(compared * 10 > b.size() * 9);
    // Byte-exact apart from line breaks: the -q json output ends without a newline.
    CHECK((ours.empty() || golden.empty() || ours.back() == golden.back()));
}

}  // namespace

TEST_CASE("json, pipe, raw and fmt tokens match nfdump 1.7.1 goldens for corpus records",
          "[output][corpus]") {
    std::string probe;
    if (!ReadFile(kCorpus + "nf171-none", &probe)) {
        WARN("corpus not found at " << kCorpus << ", skipped");
        return;
    }
    std::vector<flow::FlowRecord> nf171 = ReadAll(kCorpus + "nf171-none");
    const std::vector<int> json_routers = {1, 8, 9, 10, 11, 17, 21, 22, 24, 33, 44, 45, 55};
    const std::vector<int> raw_routers = {1, 8, 9, 10, 11, 17, 22, 33, 36};

    SECTION("json") {
        CompareGolden(PrintRouters(nf171, json_routers, "json"), "nf171.json.txt",
                      WithoutRepeatedKeys);
    }
    SECTION("pipe") { CompareGolden(PrintRouters(nf171, json_routers, "pipe"), "nf171.pipe.txt"); }
    SECTION("raw") { CompareGolden(PrintRouters(nf171, raw_routers, "raw"), "nf171.raw.txt"); }
    SECTION("every fmt token") {
        CompareGolden(PrintRouters(nf171, raw_routers, kTokens), "nf171.tokens.txt");
    }
    SECTION("address tokens with -6 and -T") {
        flow::output::OutputOptions options;
        options.long_v6 = true;
        options.tag_addresses = true;
        CompareGolden(
            PrintRouters(nf171, raw_routers, "fmt:%sa|%dap|%sn|%nh|%nhb|%ra|%xsap", options),
            "nf171.tokens6.txt");
    }
    SECTION("sFlow files") {
        std::vector<flow::FlowRecord> sf = ReadAll(kCorpus + "sf171-none");
        CompareGolden(WithoutArrayBrackets(PrintAll(sf, "json")), "sf171.json.txt");
        CompareGolden(PrintAll(sf, "raw"), "sf171.raw.txt");
        CompareGolden(PrintAll(sf, kTokens), "sf171.tokens.txt");
        CompareGolden(PrintAll(ReadAll(kCorpus + "sf171-v6agent"), "raw"), "sf171-v6agent.raw.txt");
    }
}
