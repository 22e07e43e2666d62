// SPDX-License-Identifier: BSD-2-Clause
// Named formats from nfdump.conf (OutputOptions::formats): -o selects them before the
// built-in names, %<name> expands them inside other formats, and the errors a bad one gives.
// Expected lines are what nfdump 1.7.1 printed with the same `fmt.<name>` lines (TZ=UTC).
#include <catch2/catch.hpp>
#include <string>

#include "flow/output.h"
#include "unit/output/sample_records.h"

using flow::output::CreatePrinter;
using flow::output::OutputOptions;
using flow::output::UserFormats;
using namespace flow::output::testing;

namespace {

const UserFormats kFormats = {
    {"csv", "%sa %da"},  // a configured name is looked up before the built-in one
    {"empty", ""},
    {"line", "%pr %sap -> %dap"},
    {"loop", "%pool"},
    {"mini", "%sa -> %da %byt"},
    {"mini2", "%da"},
    {"pool", "%loop"},
    {"twice", "%mini | %pkt"},
};

// Record `rec` printed with `format` and -q, or the error CreatePrinter gives.
std::string Print(const std::string& format, const flow::FlowRecord& rec,
                  const UserFormats* formats = &kFormats) {
    OutputOptions options;
    options.quiet = true;
    options.formats = formats;
    std::string out;
    auto printer = CreatePrinter(format, options, &out);
    if (!printer.ok()) return "error: " + printer.status().message();
    printer->Begin();
    printer->Print(rec);
    REQUIRE(printer->Flush().ok());
    if (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

flow::FlowRecord Record() {
    flow::FlowRecord r;
    r.src_addr = V4("161.202.212.212");
    r.dst_addr = V4("202.152.70.24");
    r.proto = 6;
    r.src_port = 30104;
    r.dst_port = 11963;
    r.packets = 1;
    r.bytes = 133;
    return r;
}

}  // namespace

TEST_CASE("user formats: -o selects a configured name, in any case, before a built-in one",
          "[output][nfconf]") {
    const flow::FlowRecord r = Record();
    CHECK(Print("mini", r) == " 161.202.212.212 ->    202.152.70.24      133");
    CHECK(Print("MINI", r) == " 161.202.212.212 ->    202.152.70.24      133");
    CHECK(Print("line", r) == "TCP    161.202.212.212:30104 ->    202.152.70.24:11963");
    CHECK(Print("csv", r) == " 161.202.212.212    202.152.70.24");
    // Without the table the built-in formats are back, and a configured name is unknown.
    CHECK(Print("mini", r, nullptr) == "error: Unknown output mode 'mini'");
    CHECK(Print("line", r, nullptr).rfind("1970-01-01 00:00:00.000 ", 0) == 0);
}

TEST_CASE("user formats: a 6 suffix, %name inside formats, the longest name that fits",
          "[output][nfconf]") {
    const flow::FlowRecord r = Record();
    CHECK(Print("mini6", r) == "                        161.202.212.212 ->"
                               "                           202.152.70.24      133");
    CHECK(Print("twice", r) == " 161.202.212.212 ->    202.152.70.24      133 |        1");
    CHECK(Print("fmt:%mini %fl", r) == " 161.202.212.212 ->    202.152.70.24      133     1");
    // "%mini6" is %mini and a literal 6, as nfdump reads it.
    CHECK(Print("fmt:%mini6", r) == " 161.202.212.212 ->    202.152.70.24      1336");
    // mini2 is a name of its own, not mini followed by a 2.
    CHECK(Print("fmt:%mini2", r) == "   202.152.70.24");
    // %line inside a format is the configured line.
    CHECK(Print("fmt:%line", r) == "TCP    161.202.212.212:30104 ->    202.152.70.24:11963");
}

TEST_CASE("user formats: an empty one, formats naming each other, runaway expansion",
          "[output][nfconf]") {
    const flow::FlowRecord r = Record();
    CHECK(Print("empty", r) ==
          "error: Missing format description for user defined output format 'empty'!");
    CHECK(Print("loop", r).rfind("error: Output format parse error at: %", 0) == 0);
    // Eight names a level, four levels deep: refused before 4096 copies are compiled.
    UserFormats wide = {{"a", "%b%b%b%b%b%b%b%b"}, {"b", "%c%c%c%c%c%c%c%c"},
                        {"c", "%d%d%d%d%d%d%d%d"}, {"d", "%line %line %line %line"}};
    CHECK(Print("a", r, &wide).rfind("error: Output format too long after expanding", 0) ==
          0);
}
