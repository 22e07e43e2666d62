// SPDX-License-Identifier: BSD-2-Clause
// nfdump.conf: which file is read (-C, $NFCONF, none) and what is taken from it.
#include "flow/nfconf.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

namespace {

// A scratch directory removed with its files at the end of a test.
struct ScratchDir {
    std::string path;
    ScratchDir() {
        char tmpl[] = "/tmp/nfconf_test.XXXXXX";
        REQUIRE(::mkdtemp(tmpl) != nullptr);
        path = tmpl;
    }
    ~ScratchDir() {
        for (const char* name : {"a.conf", "b.conf"}) ::unlink((path + "/" + name).c_str());
        ::rmdir(path.c_str());
    }
    std::string Write(const char* name, const std::string& text) const {
        const std::string file = path + "/" + name;
        std::ofstream(file) << text;
        return file;
    }
};

}  // namespace

TEST_CASE("nfconf: -C before $NFCONF, -C none, missing files and directories",
          "[nfconf]") {
    ScratchDir dir;
    const std::string a = dir.Write("a.conf", "[nfdump]\n");
    const std::string b = dir.Write("b.conf", "[nfdump]\n");
    CHECK(flow::LocateNfConf(a, b.c_str()).value() == a);
    CHECK(flow::LocateNfConf("", b.c_str()).value() == b);
    CHECK(flow::LocateNfConf("none", b.c_str()).value().empty());
    auto missing = flow::LocateNfConf(dir.path + "/c.conf", nullptr);
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.status().message() == "path does not exist: " + dir.path + "/c.conf");
    auto missing_env = flow::LocateNfConf("", (dir.path + "/c.conf").c_str());
    REQUIRE_FALSE(missing_env.ok());
    auto directory = flow::LocateNfConf(dir.path, nullptr);
    REQUIRE_FALSE(directory.ok());
    CHECK(directory.status().message() == "not a regular file: " + dir.path);
    CHECK(flow::DefaultNfConfPaths().back() == "/usr/local/etc/nfdump.conf");
}

TEST_CASE("nfconf: nfdump formats, nfcapd exporters, other keys ignored",
          "[nfconf]") {
    ScratchDir dir;
    const std::string path = dir.Write("a.conf", R"(# nfdump's and nfcapd's settings
fmt.top = "%sa"          # outside [nfdump]: not a format of nfdump's
[nfdump]
fmt.Mini = "%sa -> %da"  # names are kept in lower case
fmt.esc = "%sa\t|\"q\""
fmt.lit = '%da\t'
maxworkers = 4
geodb.path = "/var/db/mmdb.nf"

[nfdump.fmt]
dotted = "%pr"

[nfcapd]
exporter.up2 = ["192.0.2.2", "/var/flows/up2"]
exporter.up1 = [ "192.0.2.1" , "/var/flows/up1" ]
pidfile = "/run/x.pid"
)");
    auto conf = flow::ReadNfConf(path);
    // [nfdump.fmt] after fmt.<name> lines redefines the table: TOML refuses that.
    REQUIRE_FALSE(conf.ok());
    CHECK(conf.status().message().rfind("Failed to parse config file " + path + ": ", 0) == 0);

    dir.Write("a.conf", R"([nfdump]
fmt.Mini = "%sa -> %da"
fmt.esc = "%sa\t|\"q\""
fmt.lit = '%da\t'
maxworkers = 4
geodb.path = "/var/db/mmdb.nf"
[nfcapd]
exporter.up2 = ["192.0.2.2", "/var/flows/up2"]
exporter.up1 = [ "192.0.2.1" , "/var/flows/up1" ]
pidfile = "/run/x.pid"
)");
    conf = flow::ReadNfConf(path);
    REQUIRE(conf.ok());
    CHECK(conf->path == path);
    REQUIRE(conf->formats.size() == 3);
    CHECK(conf->formats[0].name == "esc");
    CHECK(conf->formats[0].text == "%sa\t|\"q\"");
    CHECK(conf->formats[1].name == "lit");
    CHECK(conf->formats[1].text == "%da\\t");
    CHECK(conf->formats[2].name == "mini");
    REQUIRE(conf->exporters.size() == 2);
    CHECK(conf->exporters[0].ident == "up1");
    CHECK(conf->exporters[0].address == "192.0.2.1");
    CHECK(conf->exporters[0].directory == "/var/flows/up1");
    CHECK(conf->exporters[1].ident == "up2");
    REQUIRE(conf->other_nfcapd_keys.size() == 1);
    CHECK(conf->other_nfcapd_keys[0] == "pidfile");
}

TEST_CASE("nfconf: what is refused, with the file's name", "[nfconf]") {
    ScratchDir dir;
    const std::string prefix = "Failed to parse config file " + dir.path + "/a.conf: ";
    auto error = [&](const std::string& text) {
        auto conf = flow::ReadNfConf(dir.Write("a.conf", text));
        REQUIRE_FALSE(conf.ok());
        const std::string& m = conf.status().message();
        REQUIRE(m.rfind(prefix, 0) == 0);
        return m.substr(prefix.size());
    };
    CHECK(error("[nfdump]\nfmt.mini = \"%sa\n") == "Unterminated string literal at line 2");
    CHECK(error("[nfdump]\nfmt.mini = 5\n") == "fmt.mini must be a string");
    CHECK(error("[nfdump]\nfmt = \"%sa\"\n") == "fmt must be a table of formats");
    CHECK(error("[nfdump]\nfmt.mini = \"%sa\"\nfmt.MINI = \"%da\"\n") ==
          "two formats named mini (names are compared without case)");
    CHECK(error("[nfcapd]\nexporter.x = [\"192.0.2.1\"]\n") ==
          "the value of 'exporter.x' must be [\"IP\", \"dir\"]");
    CHECK(error("[nfcapd]\nexporter.x = \"192.0.2.1\"\n") ==
          "the value of 'exporter.x' must be [\"IP\", \"dir\"]");
    CHECK(error("[nfcapd]\nexporter.x = [1, 2]\n") ==
          "the value of 'exporter.x' must be [\"IP\", \"dir\"]");
    // Nesting that would overflow the parser's stack, and a file too large for a
    // configuration; brackets inside strings and comments do not count.
    CHECK(error("[nfdump]\nx = " + std::string(100000, '[') + std::string(100000, ']') +
                "\n") == "nested deeper than 32 at line 2");
    CHECK(error("[nfdump]\nx = " + std::string(40, '{') + "\n") ==
          "nested deeper than 32 at line 2");
    CHECK(error("# " + std::string(1u << 20, '#') + "\n") == "larger than 1 MiB");
    const std::string b(40, '[');
    auto fine = flow::ReadNfConf(dir.Write(
        "a.conf", "# " + b + "\n[nfdump]\nfmt.a = \"" + b + "\\\"\"\nfmt.b = '" + b +
                      "'\nfmt.c = \"\"\"\n" + b + "\"\"\"\nfmt.d = '''" + b + "\n'''\n"));
    REQUIRE(fine.ok());
    REQUIRE(fine->formats.size() == 4);
    CHECK(fine->formats[0].text == b + "\"");
    CHECK(fine->formats[1].text == b);
    CHECK(fine->formats[2].text == b);
    CHECK(fine->formats[3].text.rfind(b, 0) == 0);
    // A file that is not TOML at all.
    CHECK_FALSE(flow::ReadNfConf(dir.Write("a.conf", "\x01\x02 = = [[\n")).ok());
}
